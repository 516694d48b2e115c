#!/usr/bin/python3
"""The Tacker emulator's LCM semantics over HTTPS (static token, no Keystone): Version
checks, ProblemDetails, scale and heal, injected failures with rollback / retry / fail,
a server that never boots, subscriptions with the callback test and notifications,
HTTP faults, and the Kubernetes VIM path against a small recording Kubernetes API."""
import http.server as http_server
import json
import os
import threading
import time

from fidelity_support import Processes, check, http, run_main

TOKEN = "emulator-test-token"


class Recorder(http_server.BaseHTTPRequestHandler):
    """Notification callback (GET -> 204, POST recorded) and a minimal Kubernetes API
    (POST/PATCH/DELETE recorded, GET pods -> empty list)."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _reply(self, status, body=None):
        raw = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Length", str(len(raw)))
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(raw)

    def _record(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.server.calls.append((self.command, self.path, dict(self.headers), body))
        return body

    def do_GET(self):
        self._record()
        if self.path.startswith("/callback"):
            return self._reply(204 if "refuse" not in self.path else 500)
        return self._reply(200, {"kind": "PodList", "items": []})

    def do_POST(self):
        body = self._record()
        if self.path.startswith("/api"):
            return self._reply(201, body)
        self._reply(204)

    def do_PATCH(self):
        self._reply(200, self._record())

    def do_DELETE(self):
        self._record()
        self._reply(200, {"kind": "Status", "apiVersion": "v1", "status": "Success"})


def start_recorder():
    server = http_server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.calls = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, "http://127.0.0.1:%d" % server.server_address[1]


def wait_op(api, occ_id, states=("COMPLETED", "FAILED_TEMP", "ROLLED_BACK", "FAILED"),
            timeout=20):
    deadline = time.time() + timeout
    while True:
        status, _, occ = api("GET", "/vnflcm/v2/vnf_lcm_op_occs/" + occ_id)
        if occ["operationState"] in states or time.time() > deadline:
            return occ
        time.sleep(0.05)


def test():
    recorder, rec_url = start_recorder()
    with Processes() as p:
        pki = p.pki()
        ca = os.path.join(pki, "ca.pem")
        pkg = os.path.join(p.dir, "packages", "cnf-pkg", "Files", "kubernetes")
        os.makedirs(pkg)
        with open(os.path.join(pkg, "deployment.yaml"), "w") as f:
            f.write("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
                    "spec:\n  replicas: 1\n  selector:\n    matchLabels: {app: web}\n"
                    "  template:\n    metadata:\n      labels: {app: web}\n    spec:\n"
                    "      containers: [{name: web, image: nginx}]\n---\n"
                    "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n"
                    "spec:\n  ports: [{port: 80}]\n")
        os.makedirs(os.path.join(p.dir, "packages", "vm-pkg"))
        emu = p.emulator(pki, None, "--token", TOKEN, "--op-seconds", "0.15",
                         "--boot-timeout", "1", "--packages", os.path.join(p.dir, "packages"),
                         "--kube-url", rec_url, "--kube-token", "kube-secret",
                         "--vm-addresses", "10.20.0.0/29")
        base = emu["url"]

        def api(method, path, body=None, version="2.0.0", token=TOKEN):
            headers = {"X-Auth-Token": token}
            if version:
                headers["Version"] = version
            return http(method, base + path, body, headers, ca)

        def control(method, path, body=None):
            return http(method, emu["control"] + path, body, ca=ca)

        # ---- Version header and ProblemDetails
        status, headers, body = api("GET", "/vnflcm/v2/vnf_instances", version=None)
        check(status == 400 and body["detail"] == "'Version' HTTP header missing." and
              headers["Content-Type"] == "application/problem+json" and
              headers["Version"] == "2.0.0", "missing Version -> 400 problem+json")
        status, _, body = api("GET", "/vnflcm/v2/vnf_instances", version="3.0.0")
        check(status == 406 and body["title"] == "Not Acceptable", "Version 3.0.0 -> 406")
        status, _, body = api("GET", "/vnflcm/v2/vnf_instances", version="2.0")
        check(status == 400 and "invalid format" in body["detail"], "Version 2.0 -> 400")
        status, _, body = api("GET", "/vnflcm/v2/api_versions", version=None)
        check(status == 200 and body["apiVersions"][0]["version"] == "2.0.0",
              "api_versions needs no Version header")
        status, _, body = api("GET", "/vnflcm/v2/vnf_instances", token="wrong")
        check(status == 401 and body["error"]["code"] == 401, "wrong token -> 401")
        status, _, body = api("POST", "/vnflcm/v2/vnf_instances", {"vnfdId": "unknown"})
        check(status == 422 and "not found or not operational" in body["detail"],
              "unknown vnfdId -> 422")
        status, _, body = api("PUT", "/vnflcm/v2/vnf_instances")
        check(status == 405, "PUT on the collection -> 405")

        # ---- subscriptions
        status, _, body = api("POST", "/vnflcm/v2/subscriptions",
                              {"callbackUri": rec_url + "/callback/refuse"})
        check(status == 422 and body["detail"] == "Can't get from notification callback Uri.",
              "subscription whose callback test fails -> 422")
        status, headers, subsc = api("POST", "/vnflcm/v2/subscriptions", {
            "callbackUri": rec_url + "/callback/ok",
            "filter": {"notificationTypes": ["VnfLcmOperationOccurrenceNotification"]}})
        check(status == 201 and headers["Location"].endswith(subsc["id"]),
              "subscription created after the GET test")

        # ---- VM VNF: instantiate level 3, scale in/out, heal
        status, headers, inst = api("POST", "/vnflcm/v2/vnf_instances",
                                    {"vnfdId": "vm-pkg", "vnfInstanceName": "vm1"})
        check(status == 201 and headers["Location"].endswith(inst["id"]) and
              inst["instantiationState"] == "NOT_INSTANTIATED", "create -> 201 + Location")
        iid = inst["id"]
        status, _, found = api("GET", "/vnflcm/v2/vnf_instances?filter=(eq,vnfInstanceName,vm1)")
        status2, _, none = api("GET", "/vnflcm/v2/vnf_instances?filter=(eq,vnfInstanceName,x)")
        check([i["id"] for i in found] == [iid] and none == [], "filter (eq,vnfInstanceName,..)")
        status, _, body = api("GET", "/vnflcm/v2/vnf_instances?filter=(eq,vnfInstanceName")
        check(status == 400, "malformed filter -> 400")

        status, headers, body = api("POST", "/vnflcm/v2/vnf_instances/%s/instantiate" % iid,
                                    {"flavourId": "simple",
                                     "instantiationLevelId": "instantiation_level_3"})
        occ_id = headers["Location"].rsplit("/", 1)[1]
        check(status == 202 and body is None, "instantiate -> 202, empty body")
        status, _, body = api("POST", "/vnflcm/v2/vnf_instances/%s/instantiate" % iid,
                              {"flavourId": "simple"})
        check(status == 409, "second instantiate while the first runs -> 409")
        occ = wait_op(api, occ_id)
        check(occ["operationState"] == "COMPLETED" and
              len(occ["resourceChanges"]["affectedVnfcs"]) == 3, "instantiate COMPLETED, 3 VNFCs")
        _, _, inst = api("GET", "/vnflcm/v2/vnf_instances/" + iid)
        info = inst["instantiatedVnfInfo"]
        check(info["scaleStatus"][0]["scaleLevel"] == 2, "scale level 2 for 3 instances")

        status, _, body = api("POST", "/vnflcm/v2/vnf_instances/%s/scale" % iid,
                              {"type": "SCALE_OUT", "aspectId": "nope"})
        check(status == 400 and "Invalid aspectId" in body["detail"], "unknown aspect -> 400")
        status, headers, _ = api("POST", "/vnflcm/v2/vnf_instances/%s/scale" % iid,
                                 {"type": "SCALE_IN", "aspectId": "VDU1_aspect",
                                  "numberOfSteps": 2})
        occ = wait_op(api, headers["Location"].rsplit("/", 1)[1])
        _, _, inst = api("GET", "/vnflcm/v2/vnf_instances/" + iid)
        vnfcs = inst["instantiatedVnfInfo"]["vnfcResourceInfo"]
        check(occ["operationState"] == "COMPLETED" and len(vnfcs) == 1, "scale in by 2 -> 1 VNFC")

        old_server = vnfcs[0]["computeResource"]["resourceId"]
        _, _, old = http("GET", emu["nova"] + "/servers/" + old_server,
                         headers={"X-Auth-Token": TOKEN}, ca=ca)
        vnfc_id = inst["instantiatedVnfInfo"]["vnfcInfo"][0]["id"]
        status, _, body = api("POST", "/vnflcm/v2/vnf_instances/%s/heal" % iid,
                              {"vnfcInstanceId": ["nope"]})
        check(status == 400 and "does not exist" in body["detail"], "heal unknown VNFC -> 400")
        status, headers, _ = api("POST", "/vnflcm/v2/vnf_instances/%s/heal" % iid,
                                 {"vnfcInstanceId": [vnfc_id]})
        occ = wait_op(api, headers["Location"].rsplit("/", 1)[1])
        _, _, inst = api("GET", "/vnflcm/v2/vnf_instances/" + iid)
        new_server = inst["instantiatedVnfInfo"]["vnfcResourceInfo"][0]["computeResource"][
            "resourceId"]
        status, _, new = http("GET", emu["nova"] + "/servers/" + new_server,
                              headers={"X-Auth-Token": TOKEN}, ca=ca)
        check(occ["operationState"] == "COMPLETED" and new_server != old_server and
              new["server"]["addresses"] == old["server"]["addresses"],
              "heal replaced the server, same address")

        # ---- injected failure on scale out, then rollback
        control("POST", "/fail_next_ops", {"operation": "SCALE", "count": 1})
        status, headers, _ = api("POST", "/vnflcm/v2/vnf_instances/%s/scale" % iid,
                                 {"type": "SCALE_OUT", "aspectId": "VDU1_aspect"})
        occ_id = headers["Location"].rsplit("/", 1)[1]
        occ = wait_op(api, occ_id)
        check(occ["operationState"] == "FAILED_TEMP" and occ["error"]["status"] == 422 and
              "rollback" in occ["_links"], "injected SCALE failure -> FAILED_TEMP + error")
        status, _, _ = api("POST", "/vnflcm/v2/vnf_instances/%s/terminate" % iid,
                           {"terminationType": "FORCEFUL"})
        check(status == 409, "terminate while an op is FAILED_TEMP -> 409")
        status, _, body = api("POST", "/vnflcm/v2/vnf_lcm_op_occs/%s/rollback" % occ_id)
        check(status == 202 and body is None, "rollback -> 202")
        occ = wait_op(api, occ_id, ("ROLLED_BACK",))
        _, _, servers = http("GET", emu["nova"] + "/servers", headers={"X-Auth-Token": TOKEN},
                             ca=ca)
        check(occ["operationState"] == "ROLLED_BACK" and len(servers["servers"]) == 1,
              "ROLLED_BACK, the added server is gone")
        status, _, _ = api("POST", "/vnflcm/v2/vnf_lcm_op_occs/%s/fail" % occ_id)
        check(status == 409, "fail on a ROLLED_BACK op -> 409")

        # ---- a server that never boots: FAILED_TEMP, then retry succeeds, then fail path
        control("POST", "/never_boot", {"count": 1})
        status, headers, _ = api("POST", "/vnflcm/v2/vnf_instances/%s/scale" % iid,
                                 {"type": "SCALE_OUT", "aspectId": "VDU1_aspect"})
        occ_id = headers["Location"].rsplit("/", 1)[1]
        occ = wait_op(api, occ_id)
        check(occ["operationState"] == "FAILED_TEMP" and "ACTIVE" in occ["error"]["detail"],
              "never-booting server -> FAILED_TEMP after the boot timeout")
        status, _, body = api("POST", "/vnflcm/v2/vnf_lcm_op_occs/%s/fail" % occ_id)
        check(status == 200 and body["operationState"] == "FAILED", "fail -> 200, FAILED")

        # ---- terminate, address pool reuse, delete
        status, headers, _ = api("POST", "/vnflcm/v2/vnf_instances/%s/terminate" % iid,
                                 {"terminationType": "GRACEFUL"})
        occ = wait_op(api, headers["Location"].rsplit("/", 1)[1])
        _, _, inst = api("GET", "/vnflcm/v2/vnf_instances/" + iid)
        check(occ["operationState"] == "COMPLETED" and
              inst["instantiationState"] == "NOT_INSTANTIATED", "terminate -> NOT_INSTANTIATED")
        status, _, _ = api("DELETE", "/vnflcm/v2/vnf_instances/" + iid)
        status2, _, _ = api("GET", "/vnflcm/v2/vnf_instances/" + iid)
        check(status == 204 and status2 == 404, "delete -> 204, then 404")

        # ---- Kubernetes VIM
        status, _, cnf = api("POST", "/vnflcm/v2/vnf_instances",
                             {"vnfdId": "cnf-pkg", "vnfInstanceName": "cnf1"})
        kube_vim = {"vim1": {"vimId": "k8s", "vimType": "kubernetes",
                             "interfaceInfo": {"endpoint": rec_url},
                             "accessInfo": {"bearer_token": "x"}}}
        status, headers, _ = api("POST", "/vnflcm/v2/vnf_instances/%s/instantiate" % cnf["id"],
                                 {"flavourId": "simple", "vimConnectionInfo": kube_vim,
                                  "additionalParams": {"lcm-kubernetes-def-files": [
                                      "Files/kubernetes/missing.yaml"]}})
        occ_id = headers["Location"].rsplit("/", 1)[1]
        occ = wait_op(api, occ_id)
        check(occ["operationState"] == "FAILED_TEMP" and
              "do not exist in vnf artifact files" in occ["error"]["detail"],
              "missing manifest -> FAILED_TEMP like Tacker")
        status, _, body = api("POST", "/vnflcm/v2/vnf_lcm_op_occs/%s/rollback" % occ_id)
        check(status == 404, "rollback of a Kubernetes instantiate -> 404 (unsupported)")
        api("POST", "/vnflcm/v2/vnf_lcm_op_occs/%s/fail" % occ_id)
        recorder.calls.clear()
        status, headers, _ = api("POST", "/vnflcm/v2/vnf_instances/%s/instantiate" % cnf["id"],
                                 {"flavourId": "simple", "vimConnectionInfo": kube_vim,
                                  "instantiationLevelId": "instantiation_level_2",
                                  "additionalParams": {
                                      "lcm-kubernetes-def-files": [
                                          "Files/kubernetes/deployment.yaml"],
                                      "namespace": "shop"}})
        occ = wait_op(api, headers["Location"].rsplit("/", 1)[1])
        kube_calls = [c for c in recorder.calls if c[1].startswith("/api")]
        posts = [(c[1], c[3]) for c in kube_calls if c[0] == "POST"]
        check(occ["operationState"] == "COMPLETED" and
              [p_[0] for p_ in posts] == ["/apis/apps/v1/namespaces/shop/deployments",
                                          "/api/v1/namespaces/shop/services"] and
              posts[0][1]["spec"]["replicas"] == 2,
              "Kubernetes objects created in namespace shop, replicas 2: %s %s"
              % (occ["operationState"], occ.get("error")))
        auth = [c[2].get("Authorization") for c in kube_calls]
        check(auth and all(a == "Bearer kube-secret" for a in auth), "with the bearer token")
        _, _, inst = api("GET", "/vnflcm/v2/vnf_instances/" + cnf["id"])
        check(inst["instantiatedVnfInfo"]["metadata"]["namespace"] == "shop" and
              len(inst["instantiatedVnfInfo"]["vnfcResourceInfo"]) == 2,
              "instantiatedVnfInfo: namespace and 2 VNFCs")
        recorder.calls.clear()
        status, headers, _ = api("POST", "/vnflcm/v2/vnf_instances/%s/terminate" % cnf["id"],
                                 {"terminationType": "FORCEFUL"})
        occ = wait_op(api, headers["Location"].rsplit("/", 1)[1])
        deletes = [c[1] for c in recorder.calls if c[0] == "DELETE"]
        check(occ["operationState"] == "COMPLETED" and
              deletes == ["/api/v1/namespaces/shop/services/web",
                          "/apis/apps/v1/namespaces/shop/deployments/web"],
              "terminate deletes them in reverse order: %s %s" % (deletes, occ.get("error")))

        # ---- notifications received
        time.sleep(0.3)
        notes = [c[3] for c in recorder.calls if c[0] == "POST" and c[1] == "/callback/ok"]
        states = [(n["operation"], n["operationState"], n["notificationStatus"]) for n in notes]
        check(("TERMINATE", "STARTING", "START") in states and
              ("TERMINATE", "PROCESSING", "RESULT") in states and
              ("TERMINATE", "COMPLETED", "RESULT") in states and
              all(n["subscriptionId"] == subsc["id"] for n in notes),
              "notifications for STARTING/PROCESSING/COMPLETED delivered")

        # ---- HTTP faults
        control("POST", "/faults", {"path": "/vnf_instances$", "method": "GET",
                                    "error_rate": 1, "error_code": 503, "retry_after": 2,
                                    "count": 1})
        status, headers, body = api("GET", "/vnflcm/v2/vnf_instances")
        check(status == 503 and headers["Retry-After"] == "2" and body["status"] == 503,
              "injected 503 with Retry-After")
        status, _, _ = api("GET", "/vnflcm/v2/vnf_instances")
        check(status == 200, "count 1: the next request is served")
        control("POST", "/faults", {"path": "/servers", "malformed_rate": 1, "count": 1})
        status, _, body = http("GET", emu["nova"] + "/servers",
                               headers={"X-Auth-Token": TOKEN}, ca=ca)
        check(status == 200 and isinstance(body, bytes), "malformed (truncated JSON) body")
        control("POST", "/faults", {"path": "/servers", "drop_rate": 1, "count": 1})
        try:
            http("GET", emu["nova"] + "/servers", headers={"X-Auth-Token": TOKEN}, ca=ca)
            dropped = False
        except Exception:
            dropped = True
        check(dropped, "dropped connection")
        control("POST", "/faults", {"path": "/servers", "latency_ms": 300, "count": 1})
        started = time.time()
        http("GET", emu["nova"] + "/servers", headers={"X-Auth-Token": TOKEN}, ca=ca)
        check(time.time() - started >= 0.3, "latency injected")
        status, _, body = control("POST", "/faults", {"bogus": 1})
        check(status == 400, "unknown fault key refused")
        status, _, body = control("POST", "/reset")
        _, _, state = control("GET", "/state")
        check(state["vnf_instances"] == [] and state["faults"] == [], "reset")


if __name__ == "__main__":
    run_main(test)
