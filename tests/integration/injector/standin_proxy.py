#!/usr/bin/python3
# Stand-in for the Istio proxy in the injector's integration tests: answers the readiness probe
# (/healthz/ready) with 200 once the bootstrap files it would read are there, 503 otherwise (or
# always, with --never-ready). Usage: standin_proxy.py --port N --root DIR [--never-ready]
import http.server
import os
import sys


def arg(name):
    return sys.argv[sys.argv.index(name) + 1]


PORT = int(arg("--port"))
ROOT = arg("--root")
NEVER_READY = "--never-ready" in sys.argv
FILES = ["etc/certs/root-cert.pem", "var/lib/istio/envoy/cluster.env", "etc/istio/config/mesh",
         "var/run/secrets/tokens/istio-token"]


def ready():
    if NEVER_READY:
        return False
    for f in FILES:
        path = os.path.join(ROOT, f)
        if not os.path.isfile(path) or os.path.getsize(path) == 0:
            return False
    return True


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path == "/healthz/ready" and ready()
        self.send_response(200 if ok else 503)
        self.end_headers()
        self.wfile.write(b"ready\n" if ok else b"not ready\n")

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
