"""The emulated Nova (compute API v2.1): the servers Tacker creates for OpenStack VIMs.

GET /servers, /servers/detail and /servers/{id} answer like real Nova, including the
404 {"itemNotFound": {...}} body. Addresses come from --vm-addresses; real Tacker v2
does not report dynamically assigned IPs, so clients read them here.
"""
import re

from store import new_id, now_text

NETWORK_NAME = "net0"


class NovaError(Exception):
    def __init__(self, status, body):
        super().__init__(body)
        self.status = status
        self.body = body


class Nova:
    def __init__(self, store, base_url):
        self.store = store
        self.base_url = base_url.rstrip("/")

    # ---- used by the LCM worker ---------------------------------------------------
    def create_server(self, name, inst_id, address=None):
        with self.store.lock:
            if address is None:
                address = self.store.allocate_address()
            never_boot = self.store.never_boot > 0
            if never_boot:
                self.store.never_boot -= 1
            sid = new_id()
            server = {
                "id": sid, "name": name, "status": "BUILD",
                "addresses": {NETWORK_NAME: [{"addr": address, "version": 4,
                                              "OS-EXT-IPS:type": "fixed",
                                              "OS-EXT-IPS-MAC:mac_addr": _mac(address)}]},
                "created": now_text(), "updated": now_text(),
                "tenant_id": "demo", "user_id": "tacker", "hostId": "emulated-host",
                "metadata": {"tacker_vnf_instance_id": inst_id},
                "flavor": {"id": "m1.small"}, "image": {"id": "emulated-image"},
                "OS-EXT-STS:vm_state": "building", "OS-EXT-STS:task_state": "spawning",
                "OS-EXT-STS:power_state": 0,
                "_emu": {"never_boot": never_boot, "inst_id": inst_id},
            }
            self.store.servers[sid] = server
            return dict(server)

    def boot(self, sid):
        with self.store.lock:
            server = self.store.servers.get(sid)
            if server and server["status"] == "BUILD" and not server["_emu"]["never_boot"]:
                server.update({"status": "ACTIVE", "updated": now_text(),
                               "OS-EXT-STS:vm_state": "active",
                               "OS-EXT-STS:task_state": None, "OS-EXT-STS:power_state": 1})

    def set_status(self, sid, status):
        with self.store.lock:
            if sid in self.store.servers:
                self.store.servers[sid]["status"] = status
                self.store.servers[sid]["OS-EXT-STS:vm_state"] = status.lower()

    def get_server(self, sid):
        with self.store.lock:
            server = self.store.servers.get(sid)
            return dict(server) if server else None

    @staticmethod
    def server_address(server):
        return server["addresses"][NETWORK_NAME][0]["addr"]

    def delete_server(self, sid, release_address=True):
        with self.store.lock:
            server = self.store.servers.pop(sid, None)
            if server and release_address:
                self.store.used_addresses.discard(self.server_address(server))

    # ---- the compute API ----------------------------------------------------------
    def _view(self, server, detail=True):
        link = [{"rel": "self", "href": "%s/servers/%s" % (self.base_url, server["id"])}]
        if not detail:
            return {"id": server["id"], "name": server["name"], "links": link}
        view = {k: v for k, v in server.items() if not k.startswith("_")}
        view["links"] = link
        return view

    def handle(self, method, path, query):
        """Returns (status, body) for a request under the Nova base path."""
        if method != "GET":
            raise NovaError(405, {"badMethod": {"code": 405, "message": "The method %s is "
                                                "not emulated." % method}})
        if path in ("/servers", "/servers/detail"):
            with self.store.lock:
                servers = sorted(self.store.servers.values(), key=lambda s: s["created"])
                name = query.get("name", [None])[0]
                if name:
                    servers = [s for s in servers if re.search(name, s["name"])]
                status = query.get("status", [None])[0]
                if status:
                    servers = [s for s in servers if s["status"] == status.upper()]
                return 200, {"servers": [self._view(s, path.endswith("/detail"))
                                         for s in servers]}
        m = re.fullmatch(r"/servers/([^/]+)", path)
        if m:
            with self.store.lock:
                server = self.store.servers.get(m.group(1))
                if server is None:
                    raise NovaError(404, {"itemNotFound": {
                        "code": 404,
                        "message": "Instance %s could not be found." % m.group(1)}})
                return 200, {"server": self._view(server)}
        if path in ("", "/"):
            return 200, {"version": {"id": "v2.1", "status": "CURRENT",
                                     "version": "2.79", "min_version": "2.1"}}
        raise NovaError(404, {"itemNotFound": {"code": 404,
                                               "message": "The resource could not be found."}})


def _mac(address):
    parts = [int(p) for p in address.split(".")]
    return "fa:16:3e:%02x:%02x:%02x" % (parts[1], parts[2], parts[3])
