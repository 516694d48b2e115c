#!/usr/bin/python3
"""Two `meshorch serve` instances on one etcd state store (a three-member etcd cluster on
loopback), in front of the same backends: a real Keystone and the Tacker + Nova and Kubernetes
emulators. Exactly one instance leads and serves the API; the other waits.

  1. A leads; B waits (it prints no startup line while A holds the lease).
  2. A deploy is sent to A, and A is killed (SIGKILL) in the middle of it.
  3. B takes over within about a lease TTL, resumes the operation under its id and finishes
     it; the backends then hold exactly what the spec says (no duplicate VNF or object).
  4. A, restarted, does not act: it waits, the leader key stays B's, and nothing changes.
  5. B terminates the service; SIGTERM on B hands the lead to A at once (B resigns).

usage: test_serve_leader_failover.py MESHORCH_CLI   (PYTHONPATH = the build's python dir)
"""
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import types

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import backend_servers  # noqa: E402
import test_bookinfo_real_backends as e2e  # noqa: E402
from test_serve_crash_recovery import TOKEN, api_call, wait_operation  # noqa: E402

ETCD_SERVER = os.path.join(HERE, "..", "etcd", "etcd_server.py")
LEASE_TTL_S = 2
check = e2e.check
Failure = e2e.Failure


def spec():
    """Containers only (the emulated Tacker hands them to the emulated Kubernetes)."""
    def version(ms, name, replicas):
        return {"name": name, "container": {"image": "example/%s:%s" % (ms, name),
                                            "replicas": replicas},
                "vnf": {"vnfdId": "failover-%s-%s" % (ms, name), "flavourId": "simple"}}
    port = [{"name": "http", "number": 8080, "protocol": "HTTP"}]
    return {
        "apiVersion": "meshorch.io/v1alpha1", "kind": "Service",
        "metadata": {"name": "shop", "namespace": "shop"},
        "spec": {
            "microservices": [
                {"name": "frontend", "ports": port, "versions": [version("frontend", "v1", 1)]},
                {"name": "cart", "ports": port, "versions": [version("cart", "v1", 2),
                                                            version("cart", "v2", 1)]},
            ],
            "links": [{"from": "frontend", "to": "cart", "port": "http", "routes": [
                {"split": [{"version": "v1", "weight": 70}, {"version": "v2", "weight": 30}]}]}],
        },
    }


class Instance:
    """One `meshorch serve`; its startup line is read in the background (a standby prints it
    only once it leads)."""

    def __init__(self, name, cli, config, tokens, log_dir):
        self.name = name
        self.proc = subprocess.Popen(
            [cli, "serve", "--listen", "127.0.0.1:0", "--token-file", tokens, "--backends",
             config, "--instance-id", name],
            stdout=subprocess.PIPE, stderr=open(os.path.join(log_dir, name + ".log"), "a"),
            stdin=subprocess.DEVNULL, start_new_session=True, text=True)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.port = None

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)

    def serving(self, timeout):
        """True once it printed its startup line (it leads) within `timeout` seconds."""
        if self.port is not None:
            return True
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            return False
        self.port = int(json.loads(line)["url"].rsplit(":", 1)[1])
        return True

    def call(self, method, path, body=None):
        return api_call(self.port, method, path, body)

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def terminate(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(30)


def etcd_leader(etcd_url):
    import base64
    import urllib.request
    key = base64.b64encode(b"/meshorch-failover/leader").decode()
    req = urllib.request.Request(etcd_url + "/v3/kv/range", method="POST",
                                 data=json.dumps({"key": key}).encode())
    with urllib.request.urlopen(req, timeout=5) as r:
        kvs = json.loads(r.read()).get("kvs", [])
    return base64.b64decode(kvs[0]["value"]).decode() if kvs else None


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    cli = sys.argv[1]
    import meshorch

    started = time.time()
    base = tempfile.mkdtemp(prefix="meshorch-failover-")
    servers = backend_servers.BackendServers(base)
    etcd = None
    instances = []
    failed = False
    try:
        etcd = subprocess.Popen([sys.executable, ETCD_SERVER, "--members", "3"],
                                stdout=subprocess.PIPE, text=True, start_new_session=True)
        etcd_info = json.loads(etcd.stdout.readline())
        servers.start("192.0.2.0/28")  # no VM in this spec
        the_spec = spec()
        e2e.write_vnf_packages(the_spec, servers.packages)
        config_path = e2e.write_backends_config(base, servers, types_fleet(base),
                                                os.path.join(base, "unused.deb"))
        with open(config_path) as f:
            config = json.load(f)
        config["store"] = {"type": "etcd", "endpoints": etcd_info["urls"],
                           "prefix": "/meshorch-failover/", "lease_ttl": "%ds" % LEASE_TTL_S}
        with open(config_path, "w") as f:
            json.dump(config, f, indent=2)
        tokens = os.path.join(base, "tokens")
        with open(tokens, "w") as f:
            f.write("%s admin\n" % TOKEN)

        a = Instance("a", cli, config_path, tokens, base)
        instances.append(a)
        check(a.serving(60), "instance a leads and serves")
        b = Instance("b", cli, config_path, tokens, base)
        instances.append(b)
        check(not b.serving(LEASE_TTL_S * 2), "instance b waits while a leads")
        check(etcd_leader(etcd_info["url"]) == "a", "the leader key names a")

        status, body = a.call("POST", "/v1/services", the_spec)
        check(status == 202, "a accepts the deploy", (status, body))
        op_id = body["id"]
        while True:  # kill a once the VNFs are being made
            status, body = a.call("GET", "/v1/operations/" + op_id)
            if body["state"] in ("Instantiating", "Injecting", "Configuring") or body["done"]:
                break
            time.sleep(0.02)
        check(not body["done"], "the deploy is in flight (%s) when a is killed" % body["state"])
        killed = time.time()
        a.kill()

        check(b.serving(LEASE_TTL_S * 5), "b takes over %.1f s after a was killed"
              % (time.time() - killed))
        ended = wait_operation(b, op_id)
        check(ended is not None and ended["state"] == "Succeeded",
              "b resumed deploy %s under its id and finished it" % op_id, ended)
        status, body = b.call("GET", "/v1/services/shop")
        check(status == 200 and body["phase"] == "Ready", "the service is Ready", body)
        check_cluster(servers, meshorch, the_spec)
        e2e.check_tacker(servers, the_spec, types.SimpleNamespace(workloads=[]))

        a2 = Instance("a", cli, config_path, tokens, base)
        instances.append(a2)
        before = servers.kube_objects()
        check(not a2.serving(LEASE_TTL_S * 2), "a, restarted, waits: it does not lead")
        check(etcd_leader(etcd_info["url"]) == "b", "the leader key still names b")
        check(servers.kube_objects() == before, "a changed nothing in the cluster")

        status, body = b.call("DELETE", "/v1/services/shop")
        check(status == 202, "b accepts the terminate", (status, body))
        ended = wait_operation(b, body["id"])
        check(ended is not None and ended["state"] == "Succeeded", "terminate succeeded", ended)
        e2e.check_backends_empty(servers, "shop")
        resigned = time.time()
        check(b.terminate() == 0, "SIGTERM stops b with status 0")
        check(a2.serving(LEASE_TTL_S), "a leads %.1f s after b stopped (b resigned)"
              % (time.time() - resigned))
        check(a2.terminate() == 0, "SIGTERM stops a with status 0")
    except Failure as f:
        print("FAILED: %s" % f, flush=True)
        failed = True
    except Exception:
        failed = True
        raise
    finally:
        for i in instances:
            i.kill()
        if etcd is not None:
            etcd.send_signal(signal.SIGTERM)
            etcd.wait(30)
        servers.close()
        if failed:
            for name in ("a", "b"):
                log = os.path.join(base, name + ".log")
                if os.path.exists(log):
                    with open(log) as f:
                        print("---- meshorch serve %s log (tail) ----\n%s"
                              % (name, f.read()[-4000:]))
        shutil.rmtree(base, ignore_errors=True)
    if failed:
        return 1
    print("leader failover passed in %.1f s" % (time.time() - started))
    return 0


def types_fleet(base):
    """The injector settings need key files; no VM is ever reached in this test."""
    key = os.path.join(base, "unused_key")
    hosts = os.path.join(base, "unused_known_hosts")
    for path in (key, hosts, os.path.join(base, "unused.deb")):
        with open(path, "w") as f:
            f.write("never read\n")
    return types.SimpleNamespace(client_key=key, known_hosts=hosts)


def check_cluster(servers, meshorch, spec):
    """The emulated cluster holds exactly the objects meshorch renders (no VM: no
    WorkloadEntry), plus one Deployment per version made by Tacker."""
    namespace = spec["metadata"]["namespace"]
    rendered = {e2e.object_key(o) for o in meshorch.render(yaml.safe_dump(spec), {})}
    stored = e2e.service_objects(servers, namespace)
    managed = {e2e.object_key(o) for o in stored
               if o["metadata"].get("labels", {}).get(e2e.MANAGED_BY) == "meshorch"}
    check(managed == rendered, "the cluster holds exactly the %d rendered objects" % len(rendered),
          (sorted(rendered - managed), sorted(managed - rendered)))
    deployments = sorted(o["metadata"]["name"] for o in stored if o["kind"] == "Deployment")
    check(deployments == ["cart-v1", "cart-v2", "frontend-v1"],
          "one Deployment per version, none twice", deployments)


if __name__ == "__main__":
    sys.exit(main())
