#!/usr/bin/python3
"""The emulator's /_emulator control API as adapter tests use it, seen through the official
Python client: injected errors (with Retry-After), latency, dropped connections and truncated
bodies, each limited to `count` matching requests; the object dump and reset."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from kubernetes import client  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

from fidelity_python_client import api_client  # noqa: E402
from fidelity_support import Checks, Emulator  # noqa: E402


def config_map(name):
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name), data={"k": "v"})


def main():
    checks = Checks()
    with Emulator() as emu:
        cfg = api_client(emu).configuration
        cfg.retries = False  # urllib3 would otherwise resend after the dropped connection
        core = client.CoreV1Api(client.ApiClient(cfg))

        emu.control("POST", "faults", {"error_rate": 1, "error_code": 429, "retry_after": 2,
                                       "count": 1, "match": {"method": "POST",
                                                             "path_regex": "/configmaps$"}})
        try:
            core.create_namespaced_config_map("default", config_map("a"))
            checks.ok("an injected 429 fails the request", False, "it succeeded")
        except ApiException as exc:
            body = json.loads(exc.body)
            checks.ok("an injected 429 is a TooManyRequests Status with Retry-After",
                      exc.status == 429 and body["reason"] == "TooManyRequests" and
                      exc.headers.get("Retry-After") == "2" and
                      body["details"]["retryAfterSeconds"] == 2, (exc.status, body))
        core.create_namespaced_config_map("default", config_map("a"))
        checks.ok("count: 1 fails only the next matching request", True)

        emu.control("POST", "faults", {"latency_ms": 300, "count": 1})
        started = time.time()
        core.list_namespace()
        checks.ok("latency_ms delays the answer", time.time() - started >= 0.3)

        emu.control("POST", "faults", {"drop_rate": 1, "count": 1,
                                       "match": {"path_regex": "/configmaps/a$"}})
        try:
            core.read_namespaced_config_map("a", "default", _request_timeout=5)
            checks.ok("a dropped connection fails the request", False, "it succeeded")
        except ApiException:
            checks.ok("a dropped connection fails the request", False, "got an HTTP answer")
        except Exception as exc:  # urllib3 reports the closed connection its own way
            checks.ok("a dropped connection fails the request without an answer", True,
                      type(exc).__name__)

        emu.control("POST", "faults", {"malformed_rate": 1, "count": 1, "after_apply": True,
                                       "match": {"method": "POST"}})
        resp = core.create_namespaced_config_map("default", config_map("b"),
                                                 _preload_content=False)
        raw = resp.data
        try:
            json.loads(raw)
            checks.ok("a malformed answer is not JSON", False, raw)
        except ValueError:
            checks.ok("a malformed answer is a 200 with a truncated JSON body",
                      resp.status == 200 and raw.startswith(b"{"))
        checks.ok("with after_apply the request took effect anyway",
                  core.read_namespaced_config_map("b", "default").data == {"k": "v"})

        log = emu.control("GET", "requests")["items"]
        codes = [(e["method"], e["code"]) for e in log if "/configmaps" in e["path"]]
        checks.ok("the request log has each request with its outcome",
                  codes[:2] == [("POST", 429), ("POST", 201)] and ("GET", "dropped") in codes and
                  ("POST", "malformed") in codes, codes)

        objects = emu.control("GET", "objects?namespace=default")["items"]
        names = {(o["kind"], o["metadata"]["name"]) for o in objects}
        checks.ok("GET objects lists stored objects with kind",
                  {("ConfigMap", "a"), ("ConfigMap", "b"), ("ConfigMap", "istio-ca-root-cert"),
                   ("ServiceAccount", "default")} <= names, sorted(names))

        emu.control("POST", "reset")
        checks.ok("reset forgets what tests created and keeps the bootstrap objects",
                  [c.metadata.name for c in core.list_namespaced_config_map("default").items] ==
                  ["istio-ca-root-cert", "kube-root-ca.crt"])
        checks.ok("the emulator logged no internal error", "Traceback" not in emu.errors(),
                  emu.errors())
    checks.done()


if __name__ == "__main__":
    main()
