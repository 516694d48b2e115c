#!/usr/bin/python3
"""End to end on the real adapters: meshorch deploys the hybrid Bookinfo
(examples/specs/bookinfo-hybrid.yaml) through Keystone (real), the Tacker + Nova emulator, the
Kubernetes API emulator and real sshd VMs (network namespaces, vm_fleet.py), then terminates it.

  1. Python: Orchestrator.connect(config).deploy(spec) reaches Succeeded; the Kubernetes emulator
     holds exactly what meshorch rendered for the observed VMs plus the Deployments Tacker made
     from the VNF packages (their pods carrying istio-proxy); Tacker has one instantiated VNF
     per version with the spec's instance counts; every VM was reached only through the
     injector and has its bootstrap files and a running, ready proxy.
  2. terminate reaches Succeeded and leaves nothing: no namespace, no VNF, no server, and on
     every VM no bundle file, no hosts block, no package, no proxy process, no stray file.
  3. The command line, on fresh emulators: meshorch deploy SPEC --backends FILE --terminate.

usage: test_bookinfo_real_backends.py MESHORCH_CLI   (PYTHONPATH = the build's python dir)
Exit status 77 (skipped) without root, network namespaces or overlayfs.
"""
import base64
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import backend_servers  # noqa: E402
import proxy_package  # noqa: E402
import vm_fleet  # noqa: E402

SKIP = 77
SPEC_FILE = os.path.join(backend_servers.SOURCE_DIR, "examples", "specs", "bookinfo-hybrid.yaml")
SERVICECTL = os.path.join(HERE, "vm_servicectl.sh")
VM_COUNT = 6  # the 4 VMs of the spec and 2 spare (a heal keeps the address; a retry may not)
OPERATION_TIMEOUT = 120  # seconds, deploy or terminate
BUNDLE_FILES = {  # where the injector puts each bundle file on a VM (ssh_injector.hpp)
    "root-cert.pem": "/etc/certs/root-cert.pem",
    "cluster.env": "/var/lib/istio/envoy/cluster.env",
    "mesh.yaml": "/etc/istio/config/mesh",
    "istio-token": "/var/lib/meshorch/tokens/istio-token",
}
TOKEN_LINK = "/var/run/secrets/tokens/istio-token"
MANAGED_BY = "app.kubernetes.io/managed-by"
USER_DATABASE_BACKUPS = {"/etc/passwd-", "/etc/group-", "/etc/shadow-", "/etc/gshadow-"}


class Failure(Exception):
    pass


def check(condition, what, detail=None):
    if not condition:
        raise Failure(what + ("" if detail is None else ":\n" + str(detail)))
    print("ok: " + what, flush=True)


# ---- the spec, as data ------------------------------------------------------------------------

def versions(spec):
    """(microservice, version, substrate, count, vnf) for every version of the spec."""
    out = []
    for ms in spec["spec"]["microservices"]:
        for v in ms["versions"]:
            if "vm" in v:
                out.append((ms["name"], v["name"], "vm", v["vm"].get("instances", 1), v["vnf"]))
            else:
                out.append((ms["name"], v["name"], "container", v["container"].get("replicas", 1),
                            v["vnf"]))
    return out


def write_vnf_packages(spec, packages_dir):
    """One onboarded package per vnfdId; container ones carry the Deployment Tacker creates
    (what meshorch's Tacker adapter names in lcm-kubernetes-def-files by default)."""
    for ms_name, version, substrate, count, vnf in versions(spec):
        root = os.path.join(packages_dir, vnf["vnfdId"])
        os.makedirs(root, exist_ok=True)
        if substrate != "container":
            continue
        ms = next(m for m in spec["spec"]["microservices"] if m["name"] == ms_name)
        v = next(x for x in ms["versions"] if x["name"] == version)
        labels = {"app": ms_name, "version": version}
        deployment = {
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "%s-%s" % (ms_name, version), "labels": labels},
            "spec": {
                "replicas": count,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "serviceAccountName": ms_name,
                        "containers": [{
                            "name": ms_name, "image": v["container"]["image"],
                            "ports": [{"containerPort": p["number"]} for p in ms["ports"]],
                            "resources": v["container"].get("resources", {})}]}}}}
        files = os.path.join(root, "Files", "kubernetes")
        os.makedirs(files, exist_ok=True)
        with open(os.path.join(files, "deployment.yaml"), "w") as f:
            yaml.safe_dump(deployment, f)


# ---- configuration ----------------------------------------------------------------------------

def write_backends_config(base, servers, fleet, package):
    """The backend configuration document (include/meshorch/backends.hpp) and its kubeconfig."""
    kubeconfig = os.path.join(base, "kubeconfig")
    with open(kubeconfig, "w") as f:
        yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "e2e",
            "clusters": [{"name": "emulator", "cluster": {
                "server": servers.kube["url"],
                "certificate-authority": os.path.join(servers.pki, "ca.pem")}}],
            "users": [{"name": "admin", "user": {"token": backend_servers.KUBE_TOKEN}}],
            "contexts": [{"name": "e2e", "context": {"cluster": "emulator", "user": "admin"}}],
        }, f)
    user = servers.keystone["user"]
    servicectl = ["/bin/sh", SERVICECTL]
    config = {
        "kubernetes": {"kubeconfig": "kubeconfig"},
        "tacker": {
            "keystone_url": servers.keystone["url"],
            "credentials": {"username": user["name"], "password": user["password"],
                            "project_name": user["project"], "user_domain_name": user["domain"],
                            "project_domain_name": user["domain"]},
            "region": servers.keystone["region"],
            "ca_file": "pki/ca.pem",
            "vim_ids": {"vm": "vim-openstack-e2e", "container": "vim-kubernetes-e2e"},
            "poll_interval_ms": 200,
        },
        "injector": {
            "ssh_user": "root",
            "ssh_private_key": os.path.relpath(fleet.client_key, base),
            "known_hosts": os.path.relpath(fleet.known_hosts, base),
            "proxy_package": os.path.relpath(package, base),
            "package_manager": "dpkg",
            "service": {"start": servicectl + ["start"], "stop": servicectl + ["stop"],
                        "restart": servicectl + ["restart"],
                        "is_active": servicectl + ["is-active"]},
            "readiness_port": 15021,
        },
    }
    path = os.path.join(base, "backends.json")
    with open(path, "w") as f:
        json.dump(config, f, indent=2)
    return path


# ---- what the backends hold -------------------------------------------------------------------

def object_key(o):
    group = o["apiVersion"].split("/")[0] if "/" in o["apiVersion"] else ""
    return (group, o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"])


def contains(actual, expected, path=""):
    """Where `expected` is not part of `actual` (servers add defaults and metadata), or None."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return "%s: expected an object, got %r" % (path, actual)
        for k, v in expected.items():
            if k not in actual:
                return "%s.%s: missing (expected %r)" % (path, k, v)
            why = contains(actual[k], v, path + "." + k)
            if why:
                return why
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return "%s: expected %r, got %r" % (path, expected, actual)
        for i, (a, e) in enumerate(zip(actual, expected)):
            why = contains(a, e, "%s[%d]" % (path, i))
            if why:
                return why
        return None
    return None if actual == expected else "%s: expected %r, got %r" % (path, expected, actual)


def service_objects(servers, namespace):
    """Everything the Kubernetes emulator stores for the service: the namespace itself and
    every object in it."""
    return [o for o in servers.kube_objects()
            if o["metadata"].get("namespace") == namespace
            or (o["kind"] == "Namespace" and o["metadata"]["name"] == namespace)]


def check_cluster(servers, meshorch, spec_text, spec, status):
    namespace = spec["metadata"]["namespace"]
    observed = {}
    for w in sorted(status.workloads, key=lambda w: (w.microservice, w.version, w.instance)):
        if w.substrate.name == "vm":
            observed.setdefault((w.microservice, w.version), []).append(
                {"server_id": w.server_id, "address": w.address})
    rendered = {object_key(o): o for o in meshorch.render(spec_text, observed)}
    stored = service_objects(servers, namespace)
    managed = {object_key(o): o for o in stored
               if o["metadata"].get("labels", {}).get(MANAGED_BY) == "meshorch"}
    check(sorted(managed) == sorted(rendered),
          "the Kubernetes emulator holds exactly the %d objects meshorch renders for the "
          "observed VMs" % len(rendered),
          "only rendered: %s\nonly stored: %s" % (sorted(set(rendered) - set(managed)),
                                                  sorted(set(managed) - set(rendered))))
    kinds = sorted({k[1] for k in rendered})
    check(kinds == sorted(["Namespace", "ServiceAccount", "Service", "WorkloadGroup",
                           "WorkloadEntry", "DestinationRule", "VirtualService",
                           "PeerAuthentication", "AuthorizationPolicy", "Sidecar"]),
          "they are every kind of DESIGN.md section 4", kinds)
    differences = []
    for key, want in rendered.items():
        got = managed[key]
        pairs = [(got.get(p), want[p], p) for p in ("spec", "data") if p in want]
        pairs += [(got["metadata"].get(p, {}), want["metadata"].get(p, {}), "metadata." + p)
                  for p in ("labels", "annotations")]
        for actual, expected, part in pairs:
            why = contains(actual, expected, part)
            if why:
                differences.append("%s %s/%s: %s" % (key[1], key[2], key[3], why))
    check(differences == [], "every stored object carries the rendered spec, labels and "
          "annotations", "\n".join(differences))

    vm_versions = [(m, v, n) for m, v, s, n, _ in versions(spec) if s == "vm"]
    entries = [o for o in managed.values() if o["kind"] == "WorkloadEntry"]
    check(len(entries) == sum(n for _, _, n in vm_versions),
          "one WorkloadEntry per VM (%d)" % len(entries))

    # The rest of the namespace: what Tacker created from the packages, and the objects every
    # namespace gets from the cluster's own controllers.
    containers = [(m, v, n) for m, v, s, n, _ in versions(spec) if s == "container"]
    rest = [o for o in stored if object_key(o) not in managed]
    deployments = {o["metadata"]["name"]: o for o in rest if o["kind"] == "Deployment"}
    check(sorted(deployments) == sorted("%s-%s" % (m, v) for m, v, _ in containers),
          "Tacker created one Deployment per container version", sorted(deployments))
    pods = [o for o in rest if o["kind"] == "Pod"]
    for m, v, n in containers:
        mine = [p for p in pods if p["metadata"]["labels"].get("app") == m
                and p["metadata"]["labels"].get("version") == v]
        check(deployments["%s-%s" % (m, v)]["spec"]["replicas"] == n and len(mine) == n,
              "%s/%s runs %d pod(s)" % (m, v, n))
        for p in mine:
            containers_of = [c["name"] for c in p["spec"]["containers"]]
            check("istio-proxy" in containers_of and p["spec"]["serviceAccountName"] == m,
                  "pod %s carries istio-proxy and runs as ServiceAccount %s"
                  % (p["metadata"]["name"], m), containers_of)
    others = sorted((o["kind"], o["metadata"]["name"]) for o in rest
                    if o["kind"] not in ("Deployment", "Pod"))
    check(others == [("ConfigMap", "istio-ca-root-cert"), ("ConfigMap", "kube-root-ca.crt"),
                     ("ServiceAccount", "default")],
          "nothing else is in the namespace but what the cluster puts in every one", others)
    return entries


def check_tacker(servers, spec, status):
    state = servers.tacker_state()
    instances = state["vnf_instances"]
    expected = versions(spec)
    check(len(instances) == len(expected) and
          all(i["instantiationState"] == "INSTANTIATED" for i in instances),
          "Tacker holds one instantiated VNF per version (%d)" % len(expected),
          [(i.get("vnfInstanceName"), i.get("instantiationState")) for i in instances])
    by_vnfd = {i["vnfdId"]: i for i in instances}
    for m, v, substrate, count, vnf in expected:
        inst = by_vnfd.get(vnf["vnfdId"])
        check(inst is not None, "the VNF of %s/%s is from package %s" % (m, v, vnf["vnfdId"]))
        vnfcs = inst["instantiatedVnfInfo"].get("vnfcResourceInfo", [])
        check(len(vnfcs) == count, "%s/%s has %d VNFC(s)" % (m, v, count), len(vnfcs))
    servers_by_id = {s["id"]: s for s in state["servers"]}
    vm_workloads = [w for w in status.workloads if w.substrate.name == "vm"]
    check(len(state["servers"]) == len(vm_workloads) and
          all(s["status"] == "ACTIVE" for s in state["servers"]),
          "Nova runs one ACTIVE server per VM workload (%d)" % len(vm_workloads))
    for w in vm_workloads:
        server = servers_by_id.get(w.server_id)
        addresses = [a["addr"] for net in (server or {}).get("addresses", {}).values()
                     for a in net]
        check(server is not None and w.address in addresses,
              "%s/%s#%d is Nova server %s at %s" % (w.microservice, w.version, w.instance,
                                                   w.server_id, w.address))


def jwt_claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def proxy_answers_ready(vm):
    probe = ("import urllib.request; "
             "print(urllib.request.urlopen('http://127.0.0.1:15021/healthz/ready', "
             "timeout=2).status)")
    return vm.shell("/usr/bin/python3 -c \"%s\"" % probe, check=False).stdout.strip() == "200"


def check_vms_in_mesh(fleet, servers, spec, status, entries):
    namespace = spec["metadata"]["namespace"]
    with open(os.path.join(servers.pki, "ca.pem")) as f:
        ca = f.read()
    entry_by_address = {e["spec"]["address"]: e for e in entries}
    used = set()
    for w in [w for w in status.workloads if w.substrate.name == "vm"]:
        vm = fleet.by_address(w.address)
        used.add(vm.address)
        name = "%s/%s#%d on %s" % (w.microservice, w.version, w.instance, vm.netns)
        entry = entry_by_address.get(w.address)
        check(entry is not None and entry["spec"]["labels"].get("app") == w.microservice
              and entry["spec"]["labels"].get("version") == w.version,
              "%s: its WorkloadEntry has the Nova address and its labels" % name)
        env = vm.read(BUNDLE_FILES["cluster.env"])
        check("CANONICAL_SERVICE='%s'\n" % w.microservice in env and
              "CANONICAL_REVISION='%s'\n" % w.version in env and
              "POD_NAMESPACE='%s'\n" % namespace in env,
              "%s: cluster.env names its microservice, version and namespace" % name, env)
        check(vm.read(BUNDLE_FILES["root-cert.pem"]) == ca,
              "%s: root-cert.pem is the cluster's CA" % name)
        check(vm.read(BUNDLE_FILES["mesh.yaml"]).startswith("defaultConfig:"),
              "%s: mesh.yaml is a proxy configuration" % name)
        token_stat = vm.stat(BUNDLE_FILES["istio-token"])
        link = vm.shell("readlink -- '%s'" % TOKEN_LINK, check=False).stdout.strip()
        claims = jwt_claims(vm.read(TOKEN_LINK))
        owners = {f: vm.stat(path) for f, path in BUNDLE_FILES.items()}
        check(all(st is not None and st.split()[1:3] == ["istio-proxy", "istio-proxy"]
                  for st in owners.values()),
              "%s: the bundle files belong to the proxy's user (made by its package)" % name,
              owners)
        check(token_stat.startswith("600 ") and link == BUNDLE_FILES["istio-token"] and
              claims["sub"] == "system:serviceaccount:%s:%s" % (namespace, w.microservice) and
              "istio-ca" in claims["aud"],
              "%s: the token (0600, via %s) is the ServiceAccount's, audience istio-ca"
              % (name, TOKEN_LINK), (token_stat, link, claims))
        check("Accepted publickey for root from %s " % fleet.host_address in vm.sshd_log(),
              "%s: the injector logged in over SSH from the host" % name)
        installed = vm.shell("dpkg-query -W -f='${Status}' istio-sidecar", check=False).stdout
        check(installed == "install ok installed", "%s: the proxy package is installed" % name,
              installed)
        changes = vm.changes()
        added = sorted(p for p in list(BUNDLE_FILES.values()) + [TOKEN_LINK,
                                                                 proxy_package.PROXY_BINARY]
                       if changes.get(p.replace("/var/run/", "/run/")) not in ("file", "symlink"))
        check(added == [], "%s: the VM's own layers hold the bundle and the proxy (the host "
              "has none of them)" % name, added)
        check(any(proxy_package.PROXY_BINARY in p for p in vm.processes()) and
              proxy_answers_ready(vm), "%s: the proxy runs and answers ready" % name,
              vm.processes())
    for vm in fleet.vms:
        if vm.address not in used:
            check(not vm.exists(BUNDLE_FILES["cluster.env"]) and not vm.processes() and
                  "Accepted publickey" not in vm.sshd_log(),
                  "spare VM %s was left alone" % vm.netns)


def check_vms_clean(fleet, host_hosts):
    """No bundle file, hosts block, package, proxy or any other file the proxy brought."""
    for vm in fleet.vms:
        deadline = time.time() + 5
        while vm.processes() and time.time() < deadline:  # a stopped proxy takes a moment
            time.sleep(0.05)
        check(vm.processes() == [], "%s: no proxy process" % vm.netns, vm.processes())
        installed = vm.shell("dpkg-query -W -f='${Status}' istio-sidecar 2>/dev/null",
                             check=False).stdout
        check("installed" not in installed.split(), "%s: no proxy package" % vm.netns,
              installed)
        check(vm.read("/etc/hosts") == host_hosts, "%s: /etc/hosts as before, no meshorch "
              "block" % vm.netns, vm.read("/etc/hosts"))
        stray = []
        for path, kind in sorted(vm.changes().items()):
            if path.startswith("/var/lib/dpkg/") or path.startswith("/var/log/"):
                continue  # dpkg's database and logs remember the install, as on any machine
            if path in USER_DATABASE_BACKUPS:
                continue  # the package's useradd / userdel keep the previous user database
            if kind == "dir" and os.path.isdir(path):
                continue  # directories that were there before
            if kind == "file" and os.path.isfile(path):
                with open(path, "rb") as f:
                    if f.read() == vm.changed_content(path):
                        continue  # rewritten with what was there before (/etc/passwd...)
            stray.append("%s (%s)" % (path, kind))
        check(stray == [], "%s: nothing else left behind" % vm.netns, stray)


def check_backends_empty(servers, namespace):
    # Deleting a namespace is asynchronous in Kubernetes (Terminating, then finalized), and
    # terminate ends once the deletion is accepted: give the finalizer a few seconds.
    started = time.time()
    left = service_objects(servers, namespace)
    while left and time.time() - started < 10:
        time.sleep(0.1)
        left = service_objects(servers, namespace)
    check(left == [], "the Kubernetes emulator holds nothing of the service (namespace gone "
          "%.1f s after terminate)" % (time.time() - started),
          [(o["kind"], o["metadata"]["name"], o["metadata"].get("deletionTimestamp"))
           for o in left])
    state = servers.tacker_state()
    check(state["vnf_instances"] == [] and state["servers"] == [],
          "Tacker has no VNF instance and Nova no server",
          (state["vnf_instances"], state["servers"]))


# ---- the runs ---------------------------------------------------------------------------------

def run_operation(op, events, what):
    started = time.time()
    ended = op.wait(timeout=OPERATION_TIMEOUT)
    state = op.state
    if not ended or state.name != "succeeded":
        log = "\n".join("  " + str(e) for e in events if e.operation_id == op.id)
        try:
            op.result(timeout=0)
        except Exception as e:  # noqa: BLE001 - the error is the report
            log += "\n  error: %s: %s" % (type(e).__name__, e)
        raise Failure("%s ended %s after %.1f s; its events:\n%s"
                      % (what, state.name if ended else "NOT (still " + state.name + ")",
                         time.time() - started, log))
    check(True, "%s: Succeeded in %.1f s" % (what, time.time() - started))


def workload_states(events, op_id):
    out = {}
    for e in events:
        if e.operation_id == op_id and e.workload is not None:
            out.setdefault(str(e.workload), []).append(e.workload_state.name)
    return out


def python_part(meshorch, base, config_path, servers, fleet, host_hosts):
    with open(SPEC_FILE) as f:
        spec_text = f.read()
    spec = yaml.safe_load(spec_text)
    name, namespace = spec["metadata"]["name"], spec["metadata"]["namespace"]
    with open(config_path) as f:
        config = json.load(f)
    events = []
    with meshorch.Orchestrator.connect(config, base_dir=base, poll_interval_ms=200) as orch:
        orch.subscribe(events.append)
        op = orch.deploy(spec_text)
        run_operation(op, events, "deploy " + name)
        status = orch.status(name)
        check(all(w.state.name == "ready" for w in status.workloads) and
              len(status.workloads) == sum(v[3] if v[2] == "vm" else 1 for v in versions(spec)),
              "status: every workload Ready", status.workloads)
        substrate_of = {str(w.id): w.substrate.name for w in status.workloads}
        for workload, states in workload_states(events, op.id).items():
            if substrate_of.get(workload) == "vm":
                check("injecting" in states and "in_mesh" in states and
                      states.index("injecting") < states.index("in_mesh"),
                      "%s reached InMesh through the injector" % workload, states)
            else:
                check("injecting" not in states and "in_mesh" in states,
                      "%s reached InMesh without the injector" % workload, states)
        entries = check_cluster(servers, meshorch, spec_text, spec, status)
        check_tacker(servers, spec, status)
        check_vms_in_mesh(fleet, servers, spec, status, entries)

        op = orch.terminate(name)
        run_operation(op, events, "terminate " + name)
        check_backends_empty(servers, namespace)
        check_vms_clean(fleet, host_hosts)


def cli_part(cli, config_path, servers, fleet, host_hosts):
    started = time.time()
    done = subprocess.run([cli, "deploy", SPEC_FILE, "--backends", config_path, "--terminate",
                           "--plain"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=2 * OPERATION_TIMEOUT)
    print("---- meshorch deploy output ----\n%s\n----" % done.stdout.strip(), flush=True)
    check(done.returncode == 0 and "-> deploy bookinfo: Succeeded" in done.stdout and
          "-> terminate bookinfo: Succeeded" in done.stdout,
          "meshorch deploy --backends --terminate: both Succeeded, exit 0 (%.1f s)"
          % (time.time() - started), done.stdout[-6000:])
    check_backends_empty(servers, "bookinfo")
    check_vms_clean(fleet, host_hosts)


# ---- the host stays as it was -----------------------------------------------------------------

HOST_PATHS = ["/etc/hosts", "/var/lib/dpkg/status", "/etc/istio", "/etc/certs",
              "/var/lib/istio", "/var/lib/meshorch", "/var/run/secrets", "/etc/tmpfiles.d",
              proxy_package.PROXY_BINARY]


def host_fingerprint():
    out = {}
    for p in HOST_PATHS:
        if os.path.isfile(p):
            with open(p, "rb") as f:
                out[p] = hashlib.sha256(f.read()).hexdigest()
        elif os.path.isdir(p):
            out[p] = sorted(os.listdir(p))
        else:
            out[p] = None
    out["dpkg istio-sidecar"] = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", proxy_package.PACKAGE_NAME],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    return out


def stop_on_sigterm(signum, frame):
    raise SystemExit("stopped by signal %d" % signum)  # the VMs and servers still go


def main():
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    cli = sys.argv[1]
    reason = vm_fleet.unavailable()
    if reason:
        print("SKIP: the test VMs cannot be made here: " + reason)
        return SKIP
    import meshorch

    started = time.time()
    host_before = host_fingerprint()
    with open("/etc/hosts") as f:
        host_hosts = f.read()
    base = tempfile.mkdtemp(prefix="meshorch-e2e-")
    servers = backend_servers.BackendServers(base)
    failed = False
    try:
        with vm_fleet.VmFleet(base, VM_COUNT) as fleet:
            print("%d VMs on %s (bridge %s)" % (VM_COUNT, fleet.subnet, fleet.bridge), flush=True)
            servers.start(fleet.cidr_of_first(VM_COUNT))
            with open(SPEC_FILE) as f:
                write_vnf_packages(yaml.safe_load(f), servers.packages)
            package = proxy_package.build_proxy_package(base)
            config_path = write_backends_config(base, servers, fleet, package)
            python_part(meshorch, base, config_path, servers, fleet, host_hosts)
            servers.reset()
            cli_part(cli, config_path, servers, fleet, host_hosts)
    except Failure as f:
        print("FAILED: %s" % f, flush=True)
        failed = True
    except Exception:
        failed = True
        raise
    finally:
        servers.close()
        if failed:
            for name in ("tacker", "kube-apiserver", "keystone"):
                print("---- %s log (tail) ----\n%s" % (name, servers.log(name)[-3000:]))
        shutil.rmtree(base, ignore_errors=True)
    host_after = host_fingerprint()
    if host_after != host_before:
        print("FAILED: the host's files changed: %s" % {
            k: (host_before[k], host_after[k]) for k in host_before
            if host_before[k] != host_after[k]})
        return 1
    print("ok: the host's files are as before")
    if failed:
        return 1
    print("all checks passed in %.1f s" % (time.time() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
