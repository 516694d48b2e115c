"""The emulator's state: VNF instances, LCM operation occurrences, subscriptions, Nova
servers, and the one-shot faults for operations. Everything is guarded by one lock.

Records are plain dicts in the SOL003 v2 shape; the `_emu` key of a record holds
emulator-private data and is never shown through the VNF LCM API.
"""
import copy
import datetime
import ipaddress
import threading
import uuid

V2 = "/vnflcm/v2"
SECRET_ACCESS_INFO = ("password", "bearer_token", "client_secret", "client_key",
                      "ssl_ca_cert", "token")


def now_text():
    return datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id():
    return str(uuid.uuid4())


class Store:
    def __init__(self, base_url, vm_network):
        self.lock = threading.RLock()
        self.base_url = base_url.rstrip("/")
        self.vm_network = ipaddress.ip_network(vm_network)
        self.reset()

    def reset(self):
        with self.lock:
            self.instances = {}
            self.occs = {}
            self.subscriptions = {}
            self.servers = {}
            self.fail_next = []       # [{"operation": "INSTANTIATE", "count": n, "detail": ...}]
            self.never_boot = 0       # next N servers stay in BUILD
            self.used_addresses = set()

    # ---- links -------------------------------------------------------------------
    def href(self, path):
        return {"href": self.base_url + V2 + path}

    def inst_href(self, inst_id):
        return self.base_url + V2 + "/vnf_instances/" + inst_id

    def occ_href(self, occ_id):
        return self.base_url + V2 + "/vnf_lcm_op_occs/" + occ_id

    def subsc_href(self, subsc_id):
        return self.base_url + V2 + "/subscriptions/" + subsc_id

    # ---- views -------------------------------------------------------------------
    def inst_view(self, inst):
        view = {k: copy.deepcopy(v) for k, v in inst.items() if not k.startswith("_")}
        for vim in (view.get("vimConnectionInfo") or {}).values():
            access = vim.get("accessInfo")
            if isinstance(access, dict):
                for key in SECRET_ACCESS_INFO:
                    access.pop(key, None)
        links = {"self": self.href("/vnf_instances/" + inst["id"])}
        if inst["instantiationState"] == "NOT_INSTANTIATED":
            links["instantiate"] = self.href("/vnf_instances/%s/instantiate" % inst["id"])
        else:
            for op in ("terminate", "scale", "heal", "change_ext_conn"):
                key = "changeExtConn" if op == "change_ext_conn" else op
                links[key] = self.href("/vnf_instances/%s/%s" % (inst["id"], op))
        view["_links"] = links
        return view

    def occ_view(self, occ):
        view = {k: copy.deepcopy(v) for k, v in occ.items() if not k.startswith("_")}
        links = {"self": self.href("/vnf_lcm_op_occs/" + occ["id"]),
                 "vnfInstance": self.href("/vnf_instances/" + occ["vnfInstanceId"])}
        if occ["operationState"] == "FAILED_TEMP":
            for op in ("retry", "rollback", "fail"):
                links[op] = self.href("/vnf_lcm_op_occs/%s/%s" % (occ["id"], op))
        view["_links"] = links
        return view

    def subsc_view(self, subsc):
        view = {k: copy.deepcopy(v) for k, v in subsc.items() if not k.startswith("_")}
        view.pop("authentication", None)  # SOL003: never returned
        view["_links"] = {"self": self.href("/subscriptions/" + subsc["id"])}
        return view

    # ---- queries -------------------------------------------------------------------
    def occ_in_progress(self, inst_id):
        return any(o["vnfInstanceId"] == inst_id and
                   o["operationState"] not in ("COMPLETED", "FAILED", "ROLLED_BACK")
                   for o in self.occs.values())

    def take_fail_next(self, operation):
        """Consumes one injected failure for this operation type, if any."""
        for rule in self.fail_next:
            if rule["operation"] == operation and rule["count"] > 0:
                rule["count"] -= 1
                return rule.get("detail") or "emulated failure of %s" % operation
        return None

    def allocate_address(self):
        for addr in self.vm_network.hosts():
            text = str(addr)
            if text not in self.used_addresses:
                self.used_addresses.add(text)
                return text
        raise RuntimeError("no free address left in %s" % self.vm_network)

    def snapshot(self):
        with self.lock:
            return copy.deepcopy({
                "vnf_instances": list(self.instances.values()),
                "vnf_lcm_op_occs": list(self.occs.values()),
                "subscriptions": list(self.subscriptions.values()),
                "servers": list(self.servers.values()),
                "fail_next_ops": self.fail_next,
                "never_boot": self.never_boot,
            })
