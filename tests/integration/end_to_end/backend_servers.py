"""The servers meshorch's real adapters talk to in the end-to-end test, all on loopback: a real
Keystone (scripts/start-keystone), the Kubernetes API emulator and the Tacker + Nova emulator,
with Tacker and Nova registered in Keystone's catalog. Each helper prints one JSON line when
ready (the contract of every server helper in tests/); they run in their own process groups and
are stopped on close().
"""
import json
import os
import select
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request

SOURCE_DIR = os.environ.get("MESHORCH_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SHARED_DIR = os.environ.get("MESHORCH_SHARED_DIR") or os.path.join(SOURCE_DIR, "..", "shared")
PYTHON = "/usr/bin/python3"
START_KEYSTONE = os.path.join(SOURCE_DIR, "scripts", "start-keystone")
KUBE_EMULATOR = os.path.join(SOURCE_DIR, "tests", "emulators", "kube_apiserver", "main.py")
TACKER_EMULATOR = os.path.join(SOURCE_DIR, "tests", "emulators", "tacker", "main.py")
PKI = os.path.join(SOURCE_DIR, "tests", "emulators", "pki.py")
ISTIO_CRDS = os.path.join(SHARED_DIR, "data", "istio", "crd-all.gen.yaml")
KUBE_TOKEN = "meshorch-e2e-admin"


class ServerError(Exception):
    pass


class BackendServers:
    """Starts Keystone, the Kubernetes emulator and the Tacker emulator in `base_dir`."""

    def __init__(self, base_dir):
        self.dir = base_dir
        self.procs = []
        self.keystone = self.kube = self.tacker = None
        self.pki = os.path.join(base_dir, "pki")
        self.packages = os.path.join(base_dir, "packages")

    def start(self, vm_addresses):
        started = time.time()
        subprocess.run([PYTHON, PKI, self.pki], check=True, stdout=subprocess.DEVNULL)
        os.makedirs(self.packages, exist_ok=True)
        # Keystone is the slow one (~10 s): the Kubernetes emulator starts meanwhile.
        keystone = self._spawn([PYTHON, START_KEYSTONE, "--dir", os.path.join(self.dir, "keystone")],
                               "keystone")
        kube = self._spawn([PYTHON, KUBE_EMULATOR, "--pki", self.pki, "--token", KUBE_TOKEN,
                            "--crds", ISTIO_CRDS, "--inject-sidecars", "--pod-ready-seconds",
                            "0.2"], "kube-apiserver")
        self.kube = self._ready(kube, "kube-apiserver", 60)
        self.keystone = self._ready(keystone, "keystone", 180)
        admin_password = self.keystone["admin"]["password"]
        tacker = self._spawn([PYTHON, TACKER_EMULATOR, "--pki", self.pki, "--keystone",
                              self.keystone["url"], "--keystone-admin-password", admin_password,
                              "--packages", self.packages, "--op-seconds", "0.2",
                              "--vm-addresses", vm_addresses, "--kube-url", self.kube["url"],
                              "--kube-token", KUBE_TOKEN, "--kube-ca",
                              os.path.join(self.pki, "ca.pem")], "tacker")
        self.tacker = self._ready(tacker, "tacker", 60)
        subprocess.run([PYTHON, START_KEYSTONE, "--catalog-only", "--url", self.keystone["url"],
                        "--admin-password", admin_password, "--tacker-url", self.tacker["tacker"],
                        "--nova-url", self.tacker["nova"]], check=True, stdout=subprocess.DEVNULL)
        print("servers ready in %.1f s: keystone %s, kubernetes %s, tacker %s"
              % (time.time() - started, self.keystone["url"], self.kube["url"],
                 self.tacker["url"]), flush=True)

    def close(self):
        for proc, _ in reversed(self.procs):
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for proc, _ in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def log(self, name):
        try:
            with open(os.path.join(self.dir, name + ".log")) as f:
                return f.read()
        except OSError:
            return ""

    # ---- the emulators' control APIs ----

    def kube_control(self, method, path):
        return self._call(method, self.kube["control"] + path,
                          {"Authorization": "Bearer " + KUBE_TOKEN})

    def tacker_control(self, method, path):
        return self._call(method, self.tacker["control"] + path, {})

    def kube_objects(self):
        return self.kube_control("GET", "/objects")["items"]

    def tacker_state(self):
        return self.tacker_control("GET", "/state")

    def reset(self):
        """Both emulators forget everything (Keystone keeps its users)."""
        self.kube_control("POST", "/reset")
        self.tacker_control("POST", "/reset")

    def _call(self, method, url, headers):
        request = urllib.request.Request(url, method=method, headers=headers,
                                         data=b"" if method == "POST" else None)
        context = ssl.create_default_context(cafile=os.path.join(self.pki, "ca.pem"))
        try:
            with urllib.request.urlopen(request, timeout=20, context=context) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as e:
            raise ServerError("%s %s -> %d: %s" % (method, url, e.code, e.read()[:500]))

    # ---- processes ----

    def _spawn(self, argv, name):
        log = open(os.path.join(self.dir, name + ".log"), "w")
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                                start_new_session=True, text=True)
        log.close()
        self.procs.append((proc, name))
        return proc

    def _ready(self, proc, name, timeout):
        """The JSON line `proc` prints when it is ready."""
        deadline = time.time() + timeout
        line = ""
        while time.time() < deadline:
            readable, _, _ = select.select([proc.stdout], [], [], 0.5)
            if readable:
                line = proc.stdout.readline()
                break
            if proc.poll() is not None:
                break
        if not line:
            raise ServerError("%s was not ready (exit status %s):\n%s"
                              % (name, proc.poll(), self.log(name)[-3000:]))
        return json.loads(line)
