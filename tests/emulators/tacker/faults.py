"""Injected HTTP faults for the Tacker and Nova APIs (never for /_emulator).

A rule: {"method": "POST", "path": "regex", "latency_ms": 200, "error_rate": 1.0,
"error_code": 503, "retry_after": 1, "drop_rate": 0, "malformed_rate": 0, "count": 2}.
`method`/`path` select requests (path is searched with re.search; default: all); `count`
limits how many requests the rule affects (default: unlimited). Per affected request:
latency first, then drop (close the connection without answering), then error (an
error answer, with Retry-After for 429/503), then malformed (the real answer with its
JSON body truncated).
"""
import random
import re
import threading

KNOWN_KEYS = {"method", "path", "latency_ms", "error_rate", "error_code", "retry_after",
              "drop_rate", "malformed_rate", "count"}


class FaultDecision:
    def __init__(self):
        self.latency = 0.0
        self.drop = False
        self.error_code = None
        self.retry_after = None
        self.malformed = False


class Faults:
    def __init__(self, seed=None):
        self.lock = threading.Lock()
        self.rules = []
        self.random = random.Random(seed)

    def add(self, rule):
        unknown = set(rule) - KNOWN_KEYS
        if unknown:
            raise ValueError("unknown fault keys: %s" % ", ".join(sorted(unknown)))
        code = rule.get("error_code", 503)
        if not isinstance(code, int) or not 400 <= code <= 599:
            raise ValueError("error_code must be an HTTP error status, got %r" % (code,))
        for key in ("error_rate", "drop_rate", "malformed_rate"):
            if not 0 <= rule.get(key, 0) <= 1:
                raise ValueError("%s must be within [0, 1]" % key)
        compiled = dict(rule)
        compiled["_path"] = re.compile(rule.get("path", ""))
        with self.lock:
            self.rules.append(compiled)

    def clear(self):
        with self.lock:
            self.rules = []

    def describe(self):
        with self.lock:
            return [{k: v for k, v in r.items() if not k.startswith("_")} for r in self.rules]

    def decide(self, method, path):
        decision = FaultDecision()
        with self.lock:
            for rule in self.rules:
                if rule.get("method") and rule["method"].upper() != method:
                    continue
                if not rule["_path"].search(path):
                    continue
                if "count" in rule:
                    if rule["count"] <= 0:
                        continue
                    rule["count"] -= 1
                decision.latency += rule.get("latency_ms", 0) / 1000.0
                if self.random.random() < rule.get("drop_rate", 0):
                    decision.drop = True
                if decision.error_code is None and \
                        self.random.random() < rule.get("error_rate", 0):
                    decision.error_code = rule.get("error_code", 503)
                    decision.retry_after = rule.get("retry_after", 1)
                if self.random.random() < rule.get("malformed_rate", 0):
                    decision.malformed = True
        return decision
