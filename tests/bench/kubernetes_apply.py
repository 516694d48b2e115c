#!/usr/bin/python3
"""Kubernetes apply benchmark: the same rendered Istio objects server-side applied to the
Kubernetes API emulator by meshorch, by `kubectl apply --server-side` and by the official Python
client, in one run against one emulator process; prints seconds, applies per second and the
ratio of each client to meshorch.

Full run (about 30 s; --repeat 3 for medians):

    cmake -S . -B build -G Ninja -DMESHORCH_BUILD_BENCHMARKS=ON
    cmake --build build --target bench_kubernetes_apply
    /usr/bin/python3 tests/bench/kubernetes_apply.py \\
        --bench build/tests/bench/bench_kubernetes_apply --objects 1000

The ctest test `bench_kubernetes_apply` (label bench) runs it with --objects 200: a check that
the three clients work and do the same work, not a measurement.

What one run does:
  1. `bench_kubernetes_apply render` builds a spec whose rendered objects number exactly
     --objects besides the Namespace (ServiceAccount, Service, WorkloadGroup, DestinationRule,
     VirtualService, AuthorizationPolicy, Sidecar, PeerAuthentication; all in one namespace) and
     writes them, in meshorch's apply order, to objects.yaml: multi-document YAML whose documents
     are one-line JSON. Every client applies that file, in that order.
  2. One emulator process serves every client. Before each client: POST /_emulator/reset, the
     Namespace is created (not timed), the request log is cleared. After each client:
     /_emulator/objects must hold exactly the file's objects in the namespace (besides what the
     emulator's controllers create there), each with a managedFields entry "Apply" by that
     client's field manager, and the emulator's request log gives the requests the client sent.
  3. Clients, in this fixed order:
       meshorch C   bench_kubernetes_apply apply --concurrency C (C = --concurrency, default 16)
       meshorch 1   the same, one apply at a time (the per-request cost of the emulator + meshorch)
       kubectl      kubectl apply --server-side --field-manager=bench -f objects.yaml, fresh
                    discovery cache: everything a user pays
       kubectl warm the same after `kubectl api-resources` filled the discovery cache (that call
                    is timed on its own): kubectl without its discovery
       kubectl --validate=false   the same, cold, without client-side schema validation: where
                    kubectl's time goes (it checks every object against the OpenAPI v3 schemas
                    before its first PATCH: about 6 ms of CPU per object)
       python       DynamicClient (discovery on first use, as a script does) and
                    server_side_apply of each object in turn, field manager bench-python
  "seconds" is the client's own apply phase where it can tell (meshorch: first apply to last
  answer, including its discovery; python: DynamicClient creation to last answer, including
  discovery; kubectl: the whole command) and "process" the whole process as the driver timed it.
  Ratios divide by meshorch C's seconds. "cpu" is the client's CPU time (its process and
  children), "emu cpu" the emulator's in the same interval: the emulator is one Python process,
  so near one core busy means the emulator, not the client, set the pace; the last line gives
  each client's CPU per apply, what it would cost against a server that keeps up. With
  --repeat R every client runs R times (each from an empty namespace) and the median is reported.

Exit status: 0 when every client applied every object; 1 otherwise; 3 when --min-kubectl-ratio
is given and kubectl/meshorch stays below it.
"""
import argparse
import json
import os
import resource
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EMULATOR = os.path.join(SOURCE_DIR, "tests", "emulators", "kube_apiserver", "main.py")
PKI = os.path.join(SOURCE_DIR, "tests", "emulators", "pki.py")
DEFAULT_CRDS = os.path.join(SOURCE_DIR, "..", "shared", "data", "istio", "crd-all.gen.yaml")
TOKEN = "bench-token"
REQUEST_LOG_LIMIT = 2000  # the emulator keeps the last 2000 requests


class BenchError(Exception):
    pass


# ---- the emulator ---------------------------------------------------------------------------

class Emulator:
    def __init__(self, workdir, crds, program):
        self.workdir = workdir
        self.crds = crds
        self.program = program
        self.proc = None

    def __enter__(self):
        pki = os.path.join(self.workdir, "pki")
        subprocess.run(["/usr/bin/python3", PKI, pki], check=True, stdout=subprocess.DEVNULL)
        self.stderr = open(os.path.join(self.workdir, "emulator.err"), "w")
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", self.program, "--pki", pki, "--token", TOKEN, "--crds", self.crds],
            stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise BenchError("the emulator exited before it was ready:\n" + self.errors())
        self.info = json.loads(line)
        self.url, self.ca = self.info["url"], self.info["ca"]
        self.tls = ssl.create_default_context(cafile=self.ca)
        return self

    def __exit__(self, *exc):
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()

    def cpu_seconds(self):
        """User + system CPU time the emulator process has used so far."""
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def errors(self):
        with open(os.path.join(self.workdir, "emulator.err")) as f:
            return f.read()[-4000:]

    def call(self, method, path, body=None):
        req = urllib.request.Request(
            self.url + path, method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, context=self.tls, timeout=60) as resp:
            return json.loads(resp.read())

    def objects(self, namespace):
        return self.call("GET", "/_emulator/objects?namespace=" +
                         urllib.parse.quote(namespace))["items"]

    def requests(self):
        return self.call("GET", "/_emulator/requests")

    def write_kubeconfig(self, path):
        with open(path, "w") as f:
            f.write("""apiVersion: v1
kind: Config
clusters:
- name: emulator
  cluster: {server: "%s", certificate-authority: "%s"}
users:
- name: bench
  user: {token: "%s"}
contexts:
- name: emulator
  context: {cluster: emulator, user: bench}
current-context: emulator
""" % (self.url, self.ca, TOKEN))


def object_id(obj):
    """(group, kind, name): the apiVersion's version is left out, as the emulator stores a
    custom resource in its storage version whatever version it was applied in."""
    group = obj["apiVersion"].rpartition("/")[0]
    return group, obj["kind"], obj["metadata"]["name"]


# ---- one client run -------------------------------------------------------------------------

class Workload:
    """The objects file and what the emulator must hold after a client applied it."""

    def __init__(self, render_info, objects_path):
        import yaml
        self.info = render_info
        self.namespace = render_info["namespace"]
        self.path = objects_path
        with open(objects_path) as f:
            self.expected = [object_id(doc) for doc in yaml.safe_load_all(f) if doc]
        if len(set(self.expected)) != len(self.expected):
            raise BenchError("%s names an object twice" % objects_path)
        self.count = len(self.expected)


def prepare(emu, work):
    """An empty namespace (but for what the emulator's controllers put there) and an empty
    request log. Returns the ids present before the client runs."""
    emu.call("POST", "/_emulator/reset")
    emu.call("POST", "/api/v1/namespaces", work.info["namespace_manifest"])
    before = {object_id(o) for o in emu.objects(work.namespace)}
    overlap = before & set(work.expected)
    if overlap:
        raise BenchError("the emulator creates objects the file holds: %s" % sorted(overlap)[:3])
    emu.call("DELETE", "/_emulator/requests")
    return before


def verify(emu, work, before, client, manager):
    """Every object of the file and nothing else is in the namespace, server-side applied by
    `manager`. Returns what the request log says about the client's requests."""
    stored = {object_id(o): o for o in emu.objects(work.namespace)}
    added = set(stored) - before
    missing = set(work.expected) - added
    extra = added - set(work.expected)
    if missing or extra:
        raise BenchError("%s: the namespace holds %d of the %d objects; missing %s, unexpected %s"
                         % (client, len(added & set(work.expected)), work.count,
                            sorted(missing)[:3], sorted(extra)[:3]))
    not_applied = [oid for oid in work.expected
                   if not any(m.get("manager") == manager and m.get("operation") == "Apply"
                              for m in stored[oid]["metadata"].get("managedFields", []))]
    if not_applied:
        raise BenchError("%s: %d objects have no server-side apply entry by field manager %r, "
                         "e.g. %s" % (client, len(not_applied), manager, not_applied[0]))
    entries = emu.requests()["items"]
    patches = sum(1 for e in entries if e.get("method") == "PATCH")
    errors = sum(1 for e in entries if not (isinstance(e.get("code"), int) and e["code"] < 400))
    return {"requests": len(entries), "requests_truncated": len(entries) >= REQUEST_LOG_LIMIT,
            "patches": patches, "error_answers": errors}


def children_cpu_seconds():
    """CPU time of the driver's finished children (the emulator runs until the end)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv):
    """Runs a client: (wall seconds, the CompletedProcess, CPU seconds it used)."""
    cpu = children_cpu_seconds()
    started = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return time.perf_counter() - started, proc, children_cpu_seconds() - cpu


def last_json_line(text, what):
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise BenchError("%s printed no result line" % what)


def run_meshorch(args, work, kubeconfig, concurrency):
    argv = [args.bench, "apply", "--kubeconfig", kubeconfig, "--objects", work.path,
            "--concurrency", str(concurrency)]
    wall, proc, cpu = timed(argv)
    if proc.returncode != 0:
        raise BenchError("meshorch (concurrency %d) failed (exit %d):\n%s%s"
                         % (concurrency, proc.returncode, proc.stderr[-3000:], proc.stdout[-1000:]))
    result = last_json_line(proc.stdout, "bench_kubernetes_apply apply")
    if result["applied"] != work.count:
        raise BenchError("meshorch applied %s of %d objects" % (result["applied"], work.count))
    return {"seconds": result["seconds"], "process": wall, "cpu": cpu,
            "latency_p50_ms": result["latency_ms"]["p50"],
            "latency_p99_ms": result["latency_ms"]["p99"]}


def run_kubectl(args, work, kubeconfig, cache_dir, warm=False, validate=True):
    base = [args.kubectl, "--kubeconfig", kubeconfig, "--cache-dir", cache_dir,
            "--request-timeout=60s"]
    out = {}
    if warm:
        wall, proc, _ = timed(base + ["api-resources"])
        if proc.returncode != 0:
            raise BenchError("kubectl api-resources failed:\n" + proc.stderr[-3000:])
        out["warmup"] = wall
    wall, proc, cpu = timed(base + ["apply", "--server-side", "--field-manager=bench"] +
                            ([] if validate else ["--validate=false"]) + ["-f", work.path])
    if proc.returncode != 0:
        raise BenchError("kubectl apply failed (exit %d):\n%s"
                         % (proc.returncode, proc.stderr[-3000:]))
    applied = sum(1 for line in proc.stdout.splitlines() if "serverside-applied" in line)
    if applied != work.count:
        raise BenchError("kubectl reported %d of %d objects applied:\n%s"
                         % (applied, work.count, proc.stdout[-2000:]))
    out.update(seconds=wall, process=wall, cpu=cpu)
    return out


def run_python(args, work, kubeconfig, cache_file):
    argv = ["/usr/bin/python3", os.path.abspath(__file__), "--python-client", kubeconfig,
            work.path, cache_file]
    wall, proc, cpu = timed(argv)
    if proc.returncode != 0:
        raise BenchError("the Python client failed (exit %d):\n%s"
                         % (proc.returncode, proc.stderr[-3000:]))
    result = last_json_line(proc.stdout, "the Python client")
    if result["applied"] != work.count:
        raise BenchError("the Python client applied %s of %d objects"
                         % (result["applied"], work.count))
    return {"seconds": result["seconds"], "process": wall, "cpu": cpu}


def python_client(kubeconfig, objects_path, cache_file):
    """What a typical script does: load the kubeconfig, a DynamicClient, then server-side apply
    each document in turn. In python3-kubernetes 22.6 server_side_apply() sends a dict body
    only as JSON content types, so the body goes as text (JSON is YAML) with name and namespace
    given explicitly."""
    import yaml
    from kubernetes import config, dynamic
    with open(objects_path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    api = config.new_client_from_config(config_file=kubeconfig)
    started = time.perf_counter()
    client = dynamic.DynamicClient(api, cache_file=cache_file)
    applied = 0
    for doc in docs:
        resource = client.resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
        result = resource.server_side_apply(
            body=json.dumps(doc), name=doc["metadata"]["name"],
            namespace=doc["metadata"].get("namespace"), field_manager="bench-python",
            force_conflicts=True)
        if not result.metadata.resourceVersion:
            raise BenchError("%s %s: the answer has no resourceVersion"
                             % (doc["kind"], doc["metadata"]["name"]))
        applied += 1
    seconds = time.perf_counter() - started
    print(json.dumps({"client": "python", "applied": applied, "seconds": seconds}), flush=True)


# ---- the table ------------------------------------------------------------------------------

def print_table(work, rows, concurrency):
    reference = rows[0][1]["seconds"]
    print()
    print("Server-side apply of %d objects (%s) to the Kubernetes API emulator, one object per "
          "PATCH" % (work.count, ", ".join("%d %s" % (n, k)
                                          for k, n in sorted(work.info["kinds"].items()))))
    print("%-24s %8s %10s %10s %8s %8s %8s %8s  %s"
          % ("client", "seconds", "applies/s", "/meshorch", "process", "cpu", "emu cpu",
             "requests", "notes"))
    for name, r in rows:
        print("%-24s %8.3f %10.1f %10.2f %8.3f %8.3f %8.3f %8s  %s"
              % (name, r["seconds"], work.count / r["seconds"], r["seconds"] / reference,
                 r["process"], r["cpu"], r["emulator_cpu"],
                 ("%d+" if r["requests_truncated"] else "%d") % r["requests"], r.get("notes", "")))
    serial, parallel = rows[1][1], rows[0][1]
    print("seconds: the client's apply phase (kubectl: the whole command); process: the whole "
          "process;\ncpu: the client's CPU seconds; emu cpu: the emulator's CPU seconds in the "
          "same interval.")
    print("through the emulator: %.0f applies/s one at a time, %.0f with %d in flight; the "
          "emulator was busy %.0f%% of a core then (one Python process, one GIL: its ceiling)"
          % (work.count / serial["seconds"], work.count / parallel["seconds"], concurrency,
             100 * parallel["emulator_cpu"] / parallel["process"]))
    print("kubectl / meshorch = %.2f, python / meshorch = %.2f"
          % (rows[2][1]["seconds"] / reference, rows[5][1]["seconds"] / reference))
    # What the clients would cost against a server that is not the bottleneck: their own CPU.
    per_apply = {name: 1000 * r["cpu"] / work.count for name, r in rows}
    serial_name = rows[1][0]
    print("client CPU per apply (process start included): " + ", ".join(
        "%s %.2f ms (%.1fx)" % (name, per_apply[name], per_apply[name] / per_apply[serial_name])
        for name in (serial_name, rows[0][0], rows[2][0], rows[5][0])))


def median_run(runs):
    """The run with the median seconds (its other figures with it)."""
    ordered = sorted(runs, key=lambda r: r["seconds"])
    return ordered[(len(ordered) - 1) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bench", required=True, help="the bench_kubernetes_apply program")
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--crds", default=DEFAULT_CRDS)
    parser.add_argument("--emulator", default=EMULATOR, help="the emulator's main.py")
    parser.add_argument("--kubectl", default=shutil.which("kubectl") or "/usr/bin/kubectl")
    parser.add_argument("--min-kubectl-ratio", type=float,
                        help="exit 3 when kubectl's seconds / meshorch's are below this")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="bench-kubernetes-apply-")
    try:
        objects_path = os.path.join(workdir, "objects.yaml")
        proc = subprocess.run([args.bench, "render", "--objects", str(args.objects), "--out",
                               objects_path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
        if proc.returncode != 0:
            raise BenchError("render failed: " + proc.stderr)
        work = Workload(last_json_line(proc.stdout, "bench_kubernetes_apply render"), objects_path)
        print("objects: %d in namespace %s from %d microservices (%d with a VM version), "
              "%d links; order: the file's (meshorch's apply order); repeat %d"
              % (work.count, work.namespace, work.info["microservices"],
                 work.info["hybrid_microservices"], work.info["links"], args.repeat), flush=True)

        def cache(kind, i):
            return os.path.join(workdir, "%s-%d" % (kind, i))

        with Emulator(workdir, args.crds, args.emulator) as emu:
            kubeconfig = os.path.join(workdir, "kubeconfig")
            emu.write_kubeconfig(kubeconfig)
            emu.call("GET", "/openapi/v3")  # the emulator builds its OpenAPI documents once

            c = args.concurrency
            clients = [  # (row, field manager, run); print_table relies on this order
                ("meshorch c=%d" % c, "meshorch",
                 lambda i: run_meshorch(args, work, kubeconfig, c)),
                ("meshorch c=1", "meshorch", lambda i: run_meshorch(args, work, kubeconfig, 1)),
                ("kubectl", "bench",
                 lambda i: run_kubectl(args, work, kubeconfig, cache("kube-cold", i))),
                ("kubectl warm cache", "bench",
                 lambda i: run_kubectl(args, work, kubeconfig, cache("kube-warm", i), warm=True)),
                ("kubectl --validate=false", "bench",
                 lambda i: run_kubectl(args, work, kubeconfig, cache("kube-noval", i),
                                       validate=False)),
                ("python client", "bench-python",
                 lambda i: run_python(args, work, kubeconfig, cache("python-discovery", i))),
            ]
            rows = []
            for name, manager, run in clients:
                runs = []
                for i in range(args.repeat):
                    before = prepare(emu, work)
                    emu_cpu = emu.cpu_seconds()
                    result = run(i)
                    result["emulator_cpu"] = emu.cpu_seconds() - emu_cpu
                    result.update(verify(emu, work, before, name, manager))
                    runs.append(result)
                    print("  %-24s run %d: %.3f s (%d requests, %d PATCH)"
                          % (name, i + 1, result["seconds"], result["requests"],
                             result["patches"]), flush=True)
                row = dict(median_run(runs))
                if "latency_p50_ms" in row:
                    row["notes"] = "apply latency p50 %.1f ms, p99 %.1f ms" % (
                        row["latency_p50_ms"], row["latency_p99_ms"])
                if "warmup" in row:
                    row["notes"] = "after %.3f s of `kubectl api-resources`" % row["warmup"]
                if row["error_answers"]:
                    row["notes"] = ("%d error answers; " % row["error_answers"]) + \
                        row.get("notes", "")
                rows.append((name, row))

        print_table(work, rows, args.concurrency)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"objects": work.count, "kinds": work.info["kinds"],
                           "rows": [dict(r, client=n) for n, r in rows]}, f, indent=2)
        kubectl_ratio = rows[2][1]["seconds"] / rows[0][1]["seconds"]
        if args.min_kubectl_ratio is not None and kubectl_ratio < args.min_kubectl_ratio:
            print("kubectl/meshorch = %.2f, below the target %.2f"
                  % (kubectl_ratio, args.min_kubectl_ratio))
            return 3
        return 0
    except BenchError as e:
        print("FAIL: %s" % e, file=sys.stderr, flush=True)
        return 1
    finally:
        if args.keep:
            print("work directory kept: " + workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--python-client":
        python_client(*sys.argv[2:])
        sys.exit(0)
    sys.exit(main())
