"""The emulator's control API (/_emulator): inspect state, inject faults, reset.

GET  /_emulator/state            everything (instances, op occs, servers, subscriptions,
                                 faults, pending one-shot failures, notification counts,
                                 the last 500 Tacker/Nova requests: method, path, Version)
POST /_emulator/faults           a rule or {"rules": [...]} (see faults.py)
DELETE /_emulator/faults         removes all rules
POST /_emulator/fail_next_ops    {"operation": "INSTANTIATE", "count": 1, "detail": "..."}:
                                 the next such operations end in FAILED_TEMP
POST /_emulator/never_boot       {"count": 1}: the next servers created stay in BUILD
POST /_emulator/reset            forgets everything (faults included)
"""
import json

OPERATIONS = ("INSTANTIATE", "TERMINATE", "SCALE", "HEAL")


class ControlError(Exception):
    pass


class ControlApi:
    PREFIX = "/_emulator"

    def __init__(self, store, faults, notifier, request_log):
        self.request_log = request_log
        self.store = store
        self.faults = faults
        self.notifier = notifier

    def handles(self, path):
        return path == self.PREFIX or path.startswith(self.PREFIX + "/")

    def dispatch(self, method, path, raw_body):
        """Returns (status, body)."""
        sub = path[len(self.PREFIX):] or "/"
        try:
            body = json.loads(raw_body) if raw_body else {}
        except ValueError:
            return 400, {"error": "body is not JSON"}
        try:
            if method == "GET" and sub in ("/", "/state"):
                state = self.store.snapshot()
                state["faults"] = self.faults.describe()
                state["requests"] = list(self.request_log)
                state["notifications"] = {"delivered": self.notifier.delivered,
                                          "failed": self.notifier.failed}
                return 200, state
            if sub == "/faults" and method == "POST":
                for rule in body.get("rules", [body]):
                    self.faults.add(rule)
                return 200, {"faults": self.faults.describe()}
            if sub == "/faults" and method == "DELETE":
                self.faults.clear()
                return 200, {"faults": []}
            if sub == "/fail_next_ops" and method == "POST":
                op = body.get("operation")
                if op not in OPERATIONS:
                    raise ControlError("operation must be one of %s" % ", ".join(OPERATIONS))
                count = body.get("count", 1)
                if not isinstance(count, int) or count < 0:
                    raise ControlError("count must be a non-negative integer")
                with self.store.lock:
                    self.store.fail_next.append({"operation": op, "count": count,
                                                 "detail": body.get("detail")})
                    return 200, {"fail_next_ops": self.store.fail_next}
            if sub == "/never_boot" and method == "POST":
                count = body.get("count", 1)
                if not isinstance(count, int) or count < 0:
                    raise ControlError("count must be a non-negative integer")
                with self.store.lock:
                    self.store.never_boot += count
                    return 200, {"never_boot": self.store.never_boot}
            if sub == "/reset" and method == "POST":
                self.store.reset()
                self.faults.clear()
                self.request_log.clear()
                return 200, {"reset": True}
        except (ControlError, ValueError) as e:
            return 400, {"error": str(e)}
        return 404, {"error": "no control endpoint %s %s" % (method, path)}
