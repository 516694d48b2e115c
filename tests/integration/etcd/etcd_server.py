#!/usr/bin/python3
"""Starts a real etcd (Debian's etcd-server) on loopback for the tests: one member, or a cluster.

Free ports, a temporary data directory, fast raft timings (50 ms heartbeat, 500 ms election
timeout: lease TTLs of 1 s are honoured). Once every member answers /health, prints one JSON line:

  {"url": "http://127.0.0.1:P", "urls": [...], "members": [{"name", "url", "pid"}], "data_dir": D}

then serves until SIGTERM, when it stops the members and removes the data directory. SIGHUP
starts again every member that has exited (same name, ports and data), so a test can stop a
member (kill its pid) and bring it back.

  etcd_server.py [--members N] [--tls DIR]    # --tls: https, certificates from tests/emulators/pki.py
"""
import argparse
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PKI = os.path.join(HERE, "..", "..", "emulators", "pki.py")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Member:
    def __init__(self, name, scheme, data_dir):
        self.name = name
        self.client_url = f"{scheme}://127.0.0.1:{free_port()}"
        self.peer_url = f"http://127.0.0.1:{free_port()}"
        self.data_dir = os.path.join(data_dir, name)
        self.process = None

    def start(self, cluster, tls_dir):
        argv = [
            "etcd", "--name", self.name, "--data-dir", self.data_dir,
            "--listen-client-urls", self.client_url, "--advertise-client-urls", self.client_url,
            "--listen-peer-urls", self.peer_url, "--initial-advertise-peer-urls", self.peer_url,
            "--initial-cluster", cluster, "--initial-cluster-token", "meshorch-test",
            "--initial-cluster-state", "new",
            "--heartbeat-interval", "50", "--election-timeout", "500",
            "--logger", "zap", "--log-level", "error",
        ]
        if tls_dir:
            argv += ["--cert-file", os.path.join(tls_dir, "server.pem"),
                     "--key-file", os.path.join(tls_dir, "server-key.pem")]
            # No --trusted-ca-file / --client-cert-auth: etcd 3.4's JSON gateway dials its own
            # gRPC server presenting the server certificate, which pki.py makes for server
            # authentication only, so client certificates cannot be asked for here.
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=sys.stderr)

    def running(self):
        return self.process is not None and self.process.poll() is None


def healthy(url, context):
    try:
        with urllib.request.urlopen(url + "/health", timeout=1, context=context) as r:
            return json.load(r).get("health") == "true"
    except Exception:
        return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1)
    parser.add_argument("--tls", help="directory for the test PKI; serve https")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="meshorch-etcd-")
    context = None
    if args.tls:
        subprocess.run(["/usr/bin/python3", PKI, args.tls], check=True, stdout=sys.stderr)
        context = ssl.create_default_context(cafile=os.path.join(args.tls, "ca.pem"))
    members = [Member(f"m{n}", "https" if args.tls else "http", data_dir)
               for n in range(args.members)]
    cluster = ",".join(f"{m.name}={m.peer_url}" for m in members)

    stopping = False
    restart = False

    def on_term(signum, frame):
        nonlocal stopping
        stopping = True

    def on_hup(signum, frame):
        nonlocal restart
        restart = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    signal.signal(signal.SIGHUP, on_hup)
    try:
        for m in members:
            m.start(cluster, args.tls)
        deadline = time.monotonic() + 30
        while not all(healthy(m.client_url, context) for m in members):
            if stopping or time.monotonic() > deadline or not all(m.running() for m in members):
                raise SystemExit("etcd did not become healthy")
            time.sleep(0.05)
        print(json.dumps({
            "url": members[0].client_url,
            "urls": [m.client_url for m in members],
            "members": [{"name": m.name, "url": m.client_url, "pid": m.process.pid}
                        for m in members],
            "data_dir": data_dir,
        }), flush=True)
        while not stopping:
            for m in members:
                m.running()  # reaps a member that exited, so its pid is gone for the tests
            if restart:
                restart = False
                for m in members:
                    if not m.running():
                        m.process.wait()
                        m.start(cluster, args.tls)
            time.sleep(0.05)
    finally:
        # SIGKILL: the data is thrown away anyway, and a member that lost its quorum takes
        # seconds to stop politely, longer than a test waits for this script.
        for m in members:
            if m.running():
                m.process.kill()
        for m in members:
            if m.process is not None:
                m.process.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
