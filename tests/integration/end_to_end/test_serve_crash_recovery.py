#!/usr/bin/python3
"""Crash recovery of `meshorch serve` on the real adapters: a real Keystone, the Tacker + Nova
and Kubernetes emulators, real sshd VMs (network namespaces) and a SQLite state store.

Each trial sends one operation of the cycle deploy -> reconfigure -> terminate over the REST API,
kills the server with SIGKILL after a random delay (seeded: every trial's seed is printed, and
MESHORCH_CRASH_SEED=BASE reruns the same sequence of delays), starts a new server on the same store and follows the
operation until it ends: a journaled operation is resumed under its id; one the dead server
never journaled is sent again, as a client would. After every operation the backends must hold
exactly what the spec says: the objects meshorch renders for the VMs it reports, one VNF per
version with the spec's counts, one Nova server per VM, a ready proxy on each of those VMs and
nothing on the others; after a terminate nothing at all. No leak, no duplicate.

usage: test_serve_crash_recovery.py MESHORCH_CLI [TRIALS]   (PYTHONPATH = the build's python dir)
Exit status 77 (skipped) without root, network namespaces or overlayfs.
"""
import copy
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import types

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import backend_servers  # noqa: E402
import proxy_package  # noqa: E402
import test_bookinfo_real_backends as e2e  # noqa: E402
import vm_fleet  # noqa: E402

SKIP = 77
VM_COUNT = 4
TOKEN = "crash-test-admin-token"
OPERATION_TIMEOUT = 180
check = e2e.check
Failure = e2e.Failure


# ---- the specs --------------------------------------------------------------------------------

def first_spec():
    """frontend (container) -> cart: v1 on a VM, v2 in a container, 80/20."""
    def version(name, vdu):
        return {"name": name, "vnf": {"vnfdId": "crash-%s-%s" % (vdu, name), "flavourId": "simple"}}
    frontend_v1 = version("v1", "frontend")
    frontend_v1["container"] = {"image": "example/frontend:1", "replicas": 1}
    cart_v1 = version("v1", "cart")
    cart_v1["vm"] = {"image": "cart-v1", "flavor": "m1.small", "network": "private",
                     "instances": 1}
    cart_v2 = version("v2", "cart")
    cart_v2["container"] = {"image": "example/cart:2", "replicas": 1}
    port = [{"name": "http", "number": 8080, "protocol": "HTTP"}]
    return {
        "apiVersion": "meshorch.io/v1alpha1", "kind": "Service",
        "metadata": {"name": "shop", "namespace": "shop"},
        "spec": {
            "microservices": [
                {"name": "frontend", "ports": port, "versions": [frontend_v1]},
                {"name": "cart", "ports": port, "versions": [cart_v1, cart_v2]},
            ],
            "links": [{"from": "frontend", "to": "cart", "port": "http", "routes": [
                {"split": [{"version": "v1", "weight": 80}, {"version": "v2", "weight": 20}]}]}],
        },
    }


def second_spec():
    """The same with cart v3 on a new VM, traffic 40/30/30."""
    spec = copy.deepcopy(first_spec())
    cart = spec["spec"]["microservices"][1]
    cart["versions"].append({"name": "v3", "vm": {"image": "cart-v3", "flavor": "m1.small",
                                                  "network": "private", "instances": 1},
                             "vnf": {"vnfdId": "crash-cart-v3", "flavourId": "simple"}})
    spec["spec"]["links"][0]["routes"][0]["split"] = [
        {"version": "v1", "weight": 40}, {"version": "v2", "weight": 30},
        {"version": "v3", "weight": 30}]
    return spec


# ---- the server -------------------------------------------------------------------------------

def api_call(port, method, path, body=None):
    """One request to the REST API on loopback, as the admin: (status, decoded JSON body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": "Bearer " + TOKEN}
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(body)
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, (json.loads(data) if data else None)


class Server:
    """One `meshorch serve` process on the backends configuration (with its SQLite store)."""

    def __init__(self, cli, config_path, tokens, log_path):
        self.proc = subprocess.Popen(
            [cli, "serve", "--listen", "127.0.0.1:0", "--token-file", tokens,
             "--backends", config_path],
            stdout=subprocess.PIPE, stderr=open(log_path, "a"), stdin=subprocess.DEVNULL,
            start_new_session=True, text=True, env=dict(os.environ, MESHORCH_LOG_LEVEL="info"))
        line = self.proc.stdout.readline()
        if not line:
            raise Failure("meshorch serve printed no startup line (exit status %s); see %s"
                          % (self.proc.wait(10), log_path))
        self.port = int(json.loads(line)["url"].rsplit(":", 1)[1])

    def call(self, method, path, body=None):
        return api_call(self.port, method, path, body)

    def kill(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode


def start(server, kind, spec):
    """Sends the operation; its id, or None when the server says there is nothing to do."""
    if kind == "deploy":
        status, body = server.call("POST", "/v1/services", spec)
    elif kind == "reconfigure":
        status, body = server.call("PUT", "/v1/services/shop", spec)
    else:
        status, body = server.call("DELETE", "/v1/services/shop")
    if status == 202:
        return body["id"]
    # Already done by an operation the dead server finished (deploy: it exists; terminate: it
    # is gone).
    if (kind == "deploy" and status == 409) or (kind == "terminate" and status == 404):
        return None
    raise Failure("%s was refused: %d %s" % (kind, status, body))


def wait_operation(server, op_id):
    deadline = time.time() + OPERATION_TIMEOUT
    while time.time() < deadline:
        status, body = server.call("GET", "/v1/operations/" + op_id)
        if status == 404:
            return None  # unknown to this server: the dead one never journaled it
        if status != 200:
            raise Failure("GET operation %s: %d %s" % (op_id, status, body))
        if body["done"]:
            return body
        time.sleep(0.1)
    raise Failure("operation %s did not end within %d s" % (op_id, OPERATION_TIMEOUT))


def run_to_end(server, kind, spec, op_id):
    """Follows the operation (sending it again when the server does not know it) to its end."""
    for _ in range(3):
        if op_id is None:
            op_id = start(server, kind, spec)
            if op_id is None:
                return None
        ended = wait_operation(server, op_id)
        if ended is None:
            op_id = None
            continue
        if ended["state"] != "Succeeded":
            raise Failure("%s %s ended %s: %s" % (kind, op_id, ended["state"], ended.get("error")))
        return ended
    raise Failure("%s: the server forgot the operation three times" % kind)


# ---- what the backends must hold --------------------------------------------------------------

def status_of(server):
    status, body = server.call("GET", "/v1/services/shop")
    if status != 200:
        raise Failure("GET /v1/services/shop: %d %s" % (status, body))
    workloads = [types.SimpleNamespace(
        microservice=w["microservice"], version=w["version"], instance=w["instance"],
        substrate=types.SimpleNamespace(name=w["substrate"]), server_id=w["serverId"],
        address=w["address"], state=w["state"]) for w in body["workloads"]]
    return body, types.SimpleNamespace(workloads=workloads)


def check_vm(vm, w, namespace):
    name = "%s/%s#%d on %s" % (w.microservice, w.version, w.instance, vm.netns)
    env = vm.read(e2e.BUNDLE_FILES["cluster.env"]) if vm.exists(
        e2e.BUNDLE_FILES["cluster.env"]) else ""
    check("CANONICAL_SERVICE='%s'\n" % w.microservice in env and
          "CANONICAL_REVISION='%s'\n" % w.version in env and
          "POD_NAMESPACE='%s'\n" % namespace in env,
          "%s: its bundle names its microservice, version and namespace" % name, env)
    installed = vm.shell("dpkg-query -W -f='${Status}' istio-sidecar", check=False).stdout
    proxies = [p for p in vm.processes() if proxy_package.PROXY_BINARY in p]
    check(installed == "install ok installed" and len(proxies) == 1 and
          e2e.proxy_answers_ready(vm),
          "%s: one proxy, installed, running and ready" % name, (installed, vm.processes()))


def check_holds(meshorch, servers, fleet, spec, server):
    body, status = status_of(server)
    check(body["phase"] == "Ready", "the service is Ready", body["phase"])
    e2e.check_cluster(servers, meshorch, yaml.safe_dump(spec), spec, status)
    e2e.check_tacker(servers, spec, status)
    used = set()
    for w in status.workloads:
        if w.substrate.name != "vm":
            continue
        vm = fleet.by_address(w.address)
        used.add(vm.address)
        check_vm(vm, w, spec["metadata"]["namespace"])
    e2e.check_vms_clean(types.SimpleNamespace(vms=[vm for vm in fleet.vms
                                                   if vm.address not in used]),
                        HOST_HOSTS)


# ---- the trials -------------------------------------------------------------------------------

CYCLE = [("deploy", first_spec), ("reconfigure", second_spec), ("terminate", lambda: None)]


def calibrate(cli, config_path, tokens, log_path, meshorch, servers, fleet):
    """One uncrashed cycle: every check, and how long each operation takes (the kill range)."""
    server = Server(cli, config_path, tokens, log_path)
    durations = {}
    try:
        for kind, make_spec in CYCLE:
            spec = make_spec()
            began = time.time()
            run_to_end(server, kind, spec, None)
            durations[kind] = time.time() - began
            check(True, "calibration: %s took %.1f s" % (kind, durations[kind]))
            if spec:
                check_holds(meshorch, servers, fleet, spec, server)
            else:
                e2e.check_backends_empty(servers, "shop")
                e2e.check_vms_clean(fleet, HOST_HOSTS)
    finally:
        check(server.stop() == 0, "SIGTERM stops the server with status 0")
    return durations


def trial(number, seed, cli, config_path, tokens, log_path, meshorch, servers, fleet, durations):
    kind, make_spec = CYCLE[number % len(CYCLE)]
    spec = make_spec()
    rng = random.Random(seed)
    delay = rng.uniform(0.0, durations[kind] * 1.1)
    server = Server(cli, config_path, tokens, log_path)
    op_id = start(server, kind, spec)
    time.sleep(delay)
    server.kill()
    print("trial %d (seed %d): %s %s killed after %.2f s" % (number, seed, kind, op_id, delay),
          flush=True)
    server = Server(cli, config_path, tokens, log_path)
    try:
        began = time.time()
        ended = run_to_end(server, kind, spec, op_id)
        how = ("resumed" if ended and ended["id"] == op_id
               else "sent again" if ended else "already done")
        check(True, "trial %d: %s converged (%s) %.1f s after the restart"
              % (number, kind, how, time.time() - began))
        if spec:
            check_holds(meshorch, servers, fleet, spec, server)
        else:
            e2e.check_backends_empty(servers, "shop")
            e2e.check_vms_clean(fleet, HOST_HOSTS)
    finally:
        server.kill()
    return how


HOST_HOSTS = ""


def main():
    global HOST_HOSTS
    signal.signal(signal.SIGTERM, e2e.stop_on_sigterm)
    if len(sys.argv) not in (2, 3):
        print(__doc__)
        return 2
    cli = sys.argv[1]
    trials = int(sys.argv[2]) if len(sys.argv) == 3 else 51
    reason = vm_fleet.unavailable()
    if reason:
        print("SKIP: the test VMs cannot be made here: " + reason)
        return SKIP
    import meshorch

    with open("/etc/hosts") as f:
        HOST_HOSTS = f.read()
    base_seed = int(os.environ.get("MESHORCH_CRASH_SEED", str(int(time.time()) % 100000)))
    print("base seed %d (MESHORCH_CRASH_SEED=%d reruns these trials)" % (base_seed, base_seed),
          flush=True)
    started = time.time()
    base = tempfile.mkdtemp(prefix="meshorch-crash-")
    servers = backend_servers.BackendServers(base)
    log_path = os.path.join(base, "serve.log")
    failed = None
    try:
        with vm_fleet.VmFleet(base, VM_COUNT) as fleet:
            servers.start(fleet.cidr_of_first(VM_COUNT))
            e2e.write_vnf_packages(second_spec(), servers.packages)
            package = proxy_package.build_proxy_package(base)
            config_path = e2e.write_backends_config(base, servers, fleet, package)
            with open(config_path) as f:
                config = json.load(f)
            config["store"] = {"type": "sqlite", "path": os.path.join(base, "state.db")}
            with open(config_path, "w") as f:
                json.dump(config, f, indent=2)
            tokens = os.path.join(base, "tokens")
            with open(tokens, "w") as f:
                f.write("%s admin\n" % TOKEN)
            durations = calibrate(cli, config_path, tokens, log_path, meshorch, servers, fleet)
            outcomes = {}
            for number in range(trials):
                seed = base_seed + number
                how = trial(number, seed, cli, config_path, tokens, log_path,
                            meshorch, servers, fleet, durations)
                outcomes[how] = outcomes.get(how, 0) + 1
            print("after the kill: %s" % ", ".join("%d %s" % (n, how)
                                                  for how, n in sorted(outcomes.items())))
            # Leave nothing behind whatever the last trial was.
            server = Server(cli, config_path, tokens, log_path)
            try:
                if server.call("GET", "/v1/services/shop")[0] == 200:
                    run_to_end(server, "terminate", None, None)
                e2e.check_backends_empty(servers, "shop")
                e2e.check_vms_clean(fleet, HOST_HOSTS)
            finally:
                server.kill()
    except Failure as f:
        print("FAILED: %s" % f, flush=True)
        failed = "FAILED: %s" % f
    except Exception as e:
        failed = "FAILED: %r" % e
        raise
    finally:
        servers.close()
        if failed:
            with open(log_path) as f:
                print("---- meshorch serve log (tail) ----\n" + f.read()[-6000:])
            for name in ("tacker", "kube-apiserver"):
                print("---- %s log (tail) ----\n%s" % (name, servers.log(name)[-2000:]))
            # Again after the logs, where a reader of the output's tail finds it.
            print(failed, flush=True)
        shutil.rmtree(base, ignore_errors=True)
    if failed:
        return 1
    print("%d crash trials passed in %.1f s" % (trials, time.time() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
