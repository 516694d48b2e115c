#!/usr/bin/env python3
"""A Kubernetes API server emulator over HTTPS, for testing clients of the API.

usage: main.py --pki DIR --token TOKEN [--address 127.0.0.1] [--port 0]
               [--crds FILE] [--inject-sidecars] [--pod-ready-seconds S]
               [--token-lifetime-cap SECONDS]

When it listens it prints one JSON line {"url", "ca", "token", "control"} and serves until
SIGTERM. See README.md beside this file for what is emulated and the /_emulator control API.
"""
import argparse
import json
import os
import signal
import ssl
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import openapi  # noqa: E402
from api import Api  # noqa: E402
from controllers import Controllers  # noqa: E402
from faults import Faults  # noqa: E402
from resources import Registry, builtin_types, load_crds  # noqa: E402
from server import EmulatorServer, RequestLog  # noqa: E402
from store import Store  # noqa: E402
from tokens import API_AUDIENCE, TokenIssuer  # noqa: E402

VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.4",
           "gitCommit": "59526cd4867447956156ae3a602fcbac10a2c335", "gitTreeState": "clean",
           "buildDate": "2025-04-22T16:02:27Z", "goVersion": "go1.23.6", "compiler": "gc",
           "platform": "linux/amd64"}
PKI_FILES = ("ca.pem", "server.pem", "server-key.pem")


class App:
    """Everything one emulated API server holds."""

    def __init__(self, args):
        self.token = args.token
        self.issuer = TokenIssuer()
        self.crd_types, self.crd_objects = load_crds(args.crds) if args.crds else ([], [])
        self.registry = Registry(builtin_types() + self.crd_types)
        self.store = Store()
        self.options = {"pod_ready_seconds": args.pod_ready_seconds,
                        "token_lifetime_cap": args.token_lifetime_cap,
                        "namespace_finalize_seconds": 0.2,
                        "bookmark_interval_seconds": 2.0,
                        "api_audience": API_AUDIENCE}
        self.api = Api(self.registry, self.store, self.issuer, self.options)
        with open(os.path.join(args.pki, "ca.pem")) as f:
            self.ca_pem = f.read()
        self.api.controllers = Controllers(self.api, self.ca_pem, args.inject_sidecars)
        self.faults = Faults()
        self.requests = RequestLog()
        self.version_info = VERSION
        self.address = ""
        self.server = None
        self._openapi = None
        self.bootstrap()

    def bootstrap(self):
        with self.store.lock:
            namespaces = ["default", "kube-system", "kube-public", "kube-node-lease"]
            if self.crd_types:
                namespaces.append("istio-system")
            self.api.controllers.bootstrap(namespaces)
            crd_type = self.registry.lookup("apiextensions.k8s.io", "v1",
                                            "customresourcedefinitions")
            for crd in self.crd_objects:
                obj = json.loads(json.dumps(crd, default=str))
                obj["status"] = {"conditions": [{"type": "Established", "status": "True"}],
                                 "acceptedNames": obj["spec"]["names"],
                                 "storedVersions": [v["name"] for v in obj["spec"]["versions"]
                                                    if v.get("storage")]}
                self.api.controllers.create_system(crd_type, obj, "kube-apiserver")

    def reset(self):
        with self.store.lock:
            self.api.controllers.cancel_timers()
            self.store.clear()
            self.faults.clear()
            self.requests.clear()
            self.bootstrap()

    def configure(self, data):
        with self.store.lock:
            for key, value in data.items():
                if key == "history_limit":
                    self.store.history_limit = int(value)
                    self.store.trim()
                elif key in ("pod_ready_seconds", "namespace_finalize_seconds",
                             "bookmark_interval_seconds", "token_lifetime_cap"):
                    self.options[key] = float(value) if key != "token_lifetime_cap" else (
                        int(value) if value else None)
                else:
                    from errors import bad_request
                    raise bad_request("unknown setting %r" % key)

    def config(self):
        out = {k: v for k, v in self.options.items() if k != "api_audience"}
        out["history_limit"] = self.store.history_limit
        out["inject_sidecars"] = self.api.controllers.inject_sidecars
        return out

    def openapi(self, gv_parts):
        """/openapi/v3 (gv_parts empty) or one group-version document; None if unknown."""
        if self._openapi is None:
            self._openapi = {(): openapi.root_document(self.registry)}
            for group, version in openapi.group_versions(self.registry):
                key = ("api", version) if not group else ("apis", group, version)
                self._openapi[key] = openapi.gv_document(self.registry, group, version)
        return self._openapi.get(tuple(gv_parts))

    def server_stopping(self):
        return self.server is not None and self.server.stopping.is_set()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--pki", required=True, help="directory made by tests/emulators/pki.py")
    parser.add_argument("--token", required=True, help="the accepted bearer token")
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--crds", help="a YAML file of CustomResourceDefinitions to serve")
    parser.add_argument("--inject-sidecars", action="store_true",
                        help="run the Deployment controller, the Istio injector and pod readiness")
    parser.add_argument("--pod-ready-seconds", type=float, default=0.2)
    parser.add_argument("--token-lifetime-cap", type=int, default=None,
                        help="the longest token a TokenRequest gets, in seconds")
    args = parser.parse_args()

    pki = os.path.abspath(args.pki)
    if not all(os.path.exists(os.path.join(pki, f)) for f in PKI_FILES):
        subprocess.run([sys.executable, os.path.join(os.path.dirname(HERE), "pki.py"), pki],
                       check=True)
    args.pki = pki

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(os.path.join(pki, "server.pem"), os.path.join(pki, "server-key.pem"))
    ctx.load_verify_locations(os.path.join(pki, "ca.pem"))
    ctx.verify_mode = ssl.CERT_OPTIONAL  # client certificates are verified when presented
    ctx.set_alpn_protocols(["http/1.1"])

    app = App(args)
    server = EmulatorServer((args.address, args.port), ctx, app)
    app.server = server
    host, port = server.server_address[:2]
    host = "[%s]" % host if ":" in host else host
    app.address = "%s:%d" % (host, port)
    url = "https://%s:%d" % (host, port)

    def stop(*_):
        server.stopping.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(json.dumps({"url": url, "ca": os.path.join(pki, "ca.pem"), "token": args.token,
                      "control": url + "/_emulator"}), flush=True)
    server.serve_forever(poll_interval=0.2)
    server.server_close()


if __name__ == "__main__":
    main()
