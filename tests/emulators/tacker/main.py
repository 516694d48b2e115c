#!/usr/bin/python3
"""Tacker (ETSI SOL003 VNF LCM v2) + Nova emulator over HTTPS, for meshorch's tests.

usage: main.py --pki DIR (--keystone URL --keystone-admin-password P | --token T)
               [--port 0] [--op-seconds 0.3] [--boot-timeout S] [--packages DIR]
               [--accept-any-vnfd] [--vm-addresses 10.10.0.0/24] [--seed N]
               [--kube-url URL --kube-token T --kube-ca FILE]

Prints one JSON line when ready, then serves until SIGTERM:
  {"url": "https://127.0.0.1:PORT", "tacker": "https://127.0.0.1:PORT/",
   "nova": "https://127.0.0.1:PORT/compute/v2.1", "control": "https://127.0.0.1:PORT/_emulator"}
"tacker" and "nova" are the URLs to register in the Keystone catalog (service types
nfv-orchestration and compute). See control_api.py for the control API.
"""
import argparse
import collections
import http.server
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import traceback
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import problem  # noqa: E402
from control_api import ControlApi  # noqa: E402
from faults import Faults  # noqa: E402
from keystone_auth import AuthError, KeystoneValidator, StaticTokenValidator  # noqa: E402
from kube_client import KubeClient  # noqa: E402
from lcm_worker import LcmWorker  # noqa: E402
from notifier import Notifier  # noqa: E402
from nova import Nova, NovaError  # noqa: E402
from packages import PackageCatalog  # noqa: E402
from store import Store  # noqa: E402
from vnflcm_api import VnfLcmApi  # noqa: E402

NOVA_PREFIX = "/compute/v2.1"
UNAUTHORIZED = {"error": {"code": 401, "title": "Unauthorized",
                          "message": "The request you have made requires authentication."}}


class Request:
    def __init__(self, method, path, query, headers, body):
        self.method, self.path, self.query, self.headers, self.body = (
            method, path, query, headers, body)


class Emulator:
    def __init__(self, args, base_url):
        self.store = Store(base_url, args.vm_addresses)
        self.faults = Faults(args.seed)
        ca_file = os.path.join(args.pki, "ca.pem")
        self.notifier = Notifier(self.store, ca_file=ca_file)
        self.packages = PackageCatalog(args.packages, args.accept_any_vnfd)
        self.nova = Nova(self.store, base_url + NOVA_PREFIX)
        kube = None
        if args.kube_url:
            kube = KubeClient(args.kube_url, args.kube_token, args.kube_ca)
        self.worker = LcmWorker(self.store, self.notifier, self.packages, self.nova,
                                args.op_seconds, args.boot_timeout, kube)
        self.lcm = VnfLcmApi(self.store, self.packages, self.worker, self.notifier)
        self.request_log = collections.deque(maxlen=500)
        self.control = ControlApi(self.store, self.faults, self.notifier, self.request_log)
        if args.keystone:
            self.auth = KeystoneValidator(args.keystone, args.keystone_admin_user,
                                          args.keystone_admin_password,
                                          args.keystone_admin_project,
                                          cache_seconds=args.auth_cache_seconds)
            self.www_authenticate = 'Keystone uri="%s"' % args.keystone
        else:
            self.auth = StaticTokenValidator(args.token)
            self.www_authenticate = 'Keystone uri="none"'


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "meshorch-tacker-emulator"
    sys_version = ""

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("tacker emulator: %s\n" % (fmt % args))

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def _send(self, status, body=None, headers=None, content_type="application/json",
              malformed=False):
        raw = b""
        if body is not None:
            raw = json.dumps(body).encode()
            if malformed and len(raw) > 1:
                raw = raw[: max(1, len(raw) // 2)]
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if body is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(raw)

    def _handle(self):
        app = self.server.app
        url = urllib.parse.urlsplit(self.path)
        path, query = url.path, urllib.parse.parse_qs(url.query)
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        try:
            if app.control.handles(path):
                status, body = app.control.dispatch(self.command, path, raw_body)
                return self._send(status, body)
            app.request_log.append({"method": self.command, "path": path,
                                    "version": self.headers.get("Version"),
                                    "has_token": bool(self.headers.get("X-Auth-Token"))})
            is_nova = path == NOVA_PREFIX or path.startswith(NOVA_PREFIX + "/")
            decision = app.faults.decide(self.command, path)
            if decision.latency:
                time.sleep(decision.latency)
            if decision.drop:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if decision.error_code is not None:
                headers = {}
                if decision.error_code in (429, 503):
                    headers["Retry-After"] = str(decision.retry_after)
                detail = "emulated fault: HTTP %d" % decision.error_code
                if is_nova:
                    return self._send(decision.error_code, {"computeFault": {
                        "code": decision.error_code, "message": detail}}, headers)
                headers["Version"] = "2.0.0"
                return self._send(decision.error_code, problem.problem(
                    decision.error_code, detail), headers, "application/problem+json")
            token = self.headers.get("X-Auth-Token")
            try:
                if not token:
                    raise AuthError("no X-Auth-Token")
                app.auth.validate(token)
            except AuthError:
                return self._send(401, UNAUTHORIZED,
                                  {"WWW-Authenticate": app.www_authenticate})
            if is_nova:
                return self._nova(app, path[len(NOVA_PREFIX):], query, decision.malformed)
            return self._lcm(app, Request(self.command, path, query, self.headers, raw_body),
                             decision.malformed)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:
            traceback.print_exc()
            self._send(500, problem.problem(500, "emulator error"),
                       {"Version": "2.0.0"}, "application/problem+json")

    def _nova(self, app, sub, query, malformed):
        headers = {"OpenStack-API-Version": "compute 2.1", "X-OpenStack-Nova-API-Version": "2.1"}
        try:
            status, body = app.nova.handle(self.command, sub, query)
        except NovaError as e:
            status, body = e.status, e.body
        self._send(status, body, headers, malformed=malformed)

    def _lcm(self, app, req, malformed):
        headers = {"Version": "2.0.0", "Accept-Ranges": "none"}
        try:
            resp = app.lcm.dispatch(req)
        except problem.ApiError as e:
            return self._send(e.status, e.body(), headers, "application/problem+json",
                              malformed)
        headers.update(resp.headers)
        self._send(resp.status, resp.body, headers, malformed=malformed)


class TlsThreadingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, handler, ssl_context):
        super().__init__(address, handler)
        self.ssl_context = ssl_context

    def get_request(self):
        sock, addr = self.socket.accept()
        # The handshake happens in the handler thread, on the first read.
        return self.ssl_context.wrap_socket(sock, server_side=True,
                                            do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ssl.SSLError, ConnectionError, TimeoutError)):
            return  # a client that gave up or did not trust us
        super().handle_error(request, client_address)


def main():
    parser = argparse.ArgumentParser(description="Tacker + Nova emulator")
    parser.add_argument("--pki", required=True, help="dir with server.pem/server-key.pem/ca.pem")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--keystone", help="Keystone v3 URL that validates X-Auth-Token")
    parser.add_argument("--keystone-admin-user", default="admin")
    parser.add_argument("--keystone-admin-password")
    parser.add_argument("--keystone-admin-project", default="admin")
    parser.add_argument("--auth-cache-seconds", type=float, default=2.0)
    parser.add_argument("--token", help="static X-Auth-Token accepted without Keystone")
    parser.add_argument("--op-seconds", type=float, default=0.3)
    parser.add_argument("--boot-timeout", type=float, default=None,
                        help="seconds a server may stay in BUILD (default 10 x op-seconds, >= 2)")
    parser.add_argument("--packages", help="dir of VNF packages, one sub-dir per vnfdId")
    parser.add_argument("--accept-any-vnfd", action="store_true")
    parser.add_argument("--vm-addresses", default="10.10.0.0/24")
    parser.add_argument("--seed", type=int, default=None, help="seed of the fault dice")
    parser.add_argument("--kube-url")
    parser.add_argument("--kube-token")
    parser.add_argument("--kube-ca")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if bool(args.keystone) == bool(args.token):
        parser.error("give exactly one of --keystone (with --keystone-admin-password) "
                     "or --token")
    if args.keystone and not args.keystone_admin_password:
        parser.error("--keystone needs --keystone-admin-password")

    if not os.path.exists(os.path.join(args.pki, "server.pem")):
        subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(
            __file__)), "..", "pki.py"), args.pki], check=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.path.join(args.pki, "server.pem"),
                            os.path.join(args.pki, "server-key.pem"))

    server = TlsThreadingServer(("127.0.0.1", args.port), Handler, context)
    base = "https://127.0.0.1:%d" % server.server_address[1]
    server.app = Emulator(args, base)
    server.verbose = args.verbose

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    print(json.dumps({"url": base, "tacker": base + "/", "nova": base + NOVA_PREFIX,
                      "control": base + ControlApi.PREFIX}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
