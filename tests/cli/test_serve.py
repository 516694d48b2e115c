#!/usr/bin/python3
"""`meshorch serve` as a process: deploys a sample spec over its REST API, follows the operation
to Succeeded, terminates the service, then SIGTERMs the server and expects exit status 0.

usage: test_serve.py MESHORCH_BINARY SOURCE_DIR
"""
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

TOKEN = "serve-test-admin-token"
READER = "serve-test-reader-token"


def main():
    meshorch, source_dir = sys.argv[1], sys.argv[2]
    spec_path = os.path.join(source_dir, "examples", "specs", "bookinfo-hybrid.yaml")
    with open(spec_path, "rb") as f:
        spec = f.read()
    with tempfile.TemporaryDirectory() as work:
        tokens = os.path.join(work, "tokens")
        with open(tokens, "w") as f:
            f.write(f"# test tokens\n{TOKEN} admin\n{READER} reader\n")
        server = subprocess.Popen(
            [meshorch, "serve", "--listen", "127.0.0.1:0", "--token-file", tokens,
             "--latency-ms", "2"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            run(server, spec)
        finally:
            if server.poll() is None:
                server.kill()
            stderr = server.stderr.read().decode(errors="replace")
        if TOKEN in stderr or READER in stderr:
            fail("a token appears in the server's log")
        refuses_an_unreadable_store(meshorch, work, tokens)
    print("ok")


def refuses_an_unreadable_store(meshorch, work, tokens):
    """A SQLite store with a record that does not decode: serve refuses to start, names the
    service and the field, and keeps every record as it was."""
    import sqlite3
    kubeconfig = os.path.join(work, "kubeconfig")
    with open(kubeconfig, "w") as f:
        f.write("apiVersion: v1\nkind: Config\ncurrent-context: c\n"
                "clusters: [{name: k, cluster: {server: 'https://127.0.0.1:1'}}]\n"
                "users: [{name: u, user: {token: t}}]\n"
                "contexts: [{name: c, context: {cluster: k, user: u}}]\n")
    for name in ("key", "known_hosts", "proxy.deb"):
        with open(os.path.join(work, name), "w") as f:
            f.write("never read\n")
    store = os.path.join(work, "state.db")
    config = os.path.join(work, "backends.json")
    with open(config, "w") as f:
        json.dump({
            "kubernetes": {"kubeconfig": "kubeconfig"},
            "tacker": {"keystone_url": "https://127.0.0.1:1/v3",
                       "credentials": {"username": "u", "password": "p", "project_name": "p",
                                       "user_domain_name": "d", "project_domain_name": "d"},
                       "vim_ids": {"vm": "v", "container": "c"}},
            "injector": {"ssh_user": "root", "ssh_private_key": "key",
                         "known_hosts": "known_hosts", "proxy_package": "proxy.deb"},
            "store": {"type": "sqlite", "path": "state.db"},
        }, f)
    argv = [meshorch, "serve", "--listen", "127.0.0.1:0", "--token-file", tokens,
            "--backends", config]
    first = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if not first.stdout.readline():
        fail("serve on a new SQLite store did not start: "
             + first.stderr.read().decode(errors="replace"))
    first.send_signal(signal.SIGTERM)
    if first.wait(30) != 0:
        fail("serve on a new SQLite store did not stop cleanly")
    with sqlite3.connect(store) as db:
        db.execute("INSERT INTO services (name, record, updated_at) VALUES "
                   "('shop', '{\"name\": \"shop\", \"vnfs\": 7}', '2026-11-28T00:00:00Z')")
    def rows():
        with sqlite3.connect(store) as db:
            return db.execute("SELECT name, record, updated_at FROM services").fetchall()
    before = rows()
    second = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    message = second.stderr.decode(errors="replace")
    if second.returncode != 1 or second.stdout:
        fail("serve started on an unreadable store (status %d): %s" % (second.returncode,
                                                                        message))
    if '"shop"' not in message or "applied_spec" not in message:
        fail("the refusal does not name the service and the field: " + message)
    if rows() != before:
        fail("the refused store lost or changed a record")


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def run(server, spec):
    line = server.stdout.readline().decode()
    if not line:
        fail("the server printed no startup line (exit status %s)" % server.wait(5))
    url = json.loads(line)["url"]
    if not url.startswith("http://127.0.0.1:"):
        fail("unexpected url " + url)
    port = int(url.rsplit(":", 1)[1])

    def call(method, path, body=None, content_type=None, token=TOKEN):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {}
        if token:
            headers["Authorization"] = "Bearer " + token
        if content_type:
            headers["Content-Type"] = content_type
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response.status, response.headers, (json.loads(data) if data else None)

    status, _, body = call("GET", "/healthz", token=None)
    if status != 200:
        fail("healthz answered %d" % status)
    status, _, body = call("GET", "/v1/services", token=None)
    if status != 401:
        fail("no token: %d, expected 401" % status)

    status, headers, op = call("POST", "/v1/services", spec, "application/yaml")
    if status != 202:
        fail("deploy answered %d: %s" % (status, op))
    if headers["Location"] != "/v1/operations/" + op["id"]:
        fail("Location %s" % headers["Location"])
    op = wait_done(call, op["id"])
    if op["state"] != "Succeeded":
        fail("deploy ended %s: %s" % (op["state"], op["error"]))

    status, _, service = call("GET", "/v1/services/bookinfo", token=READER)
    if status != 200 or service["phase"] != "Ready":
        fail("status after deploy: %d %s" % (status, service))
    kinds = {w["substrate"] for w in service["workloads"]}
    if kinds != {"vm", "container"}:
        fail("workload substrates %s" % kinds)

    status, _, op = call("DELETE", "/v1/services/bookinfo")
    if status != 202:
        fail("terminate answered %d: %s" % (status, op))
    op = wait_done(call, op["id"])
    if op["state"] != "Succeeded":
        fail("terminate ended %s: %s" % (op["state"], op["error"]))
    status, _, listing = call("GET", "/v1/services")
    if status != 200 or listing["services"]:
        fail("services after terminate: %s" % listing)

    started = time.monotonic()
    server.send_signal(signal.SIGTERM)
    try:
        code = server.wait(20)
    except subprocess.TimeoutExpired:
        fail("the server did not exit within 20 s of SIGTERM")
    if code != 0:
        fail("exit status %d after SIGTERM" % code)
    print("stopped in %.2f s" % (time.monotonic() - started))


def wait_done(call, op_id, limit=60):
    until = time.monotonic() + limit
    while True:
        status, _, op = call("GET", "/v1/operations/" + op_id)
        if status != 200:
            fail("GET operation answered %d: %s" % (status, op))
        if op["done"]:
            return op
        if time.monotonic() > until:
            fail("operation %s still %s after %d s" % (op_id, op["state"], limit))
        time.sleep(0.05)


if __name__ == "__main__":
    main()
