"""Shared by the fidelity checks: start the Kubernetes API emulator on a fresh PKI in a
temporary directory, talk to its control API, and count checks."""
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
CRDS = os.environ.get("MESHORCH_CRDS") or os.path.join(
    SOURCE_DIR, "..", "shared", "data", "istio", "crd-all.gen.yaml")


class Emulator:
    """The emulator as a child process: `with Emulator(...) as emu: emu.url, emu.ca, ...`."""

    def __init__(self, *extra_args, token="fidelity-token"):
        self.token = token
        self.extra_args = list(extra_args)
        self.dir = tempfile.mkdtemp(prefix="kube-emulator-")
        self.proc = None

    def __enter__(self):
        pki = os.path.join(self.dir, "pki")
        subprocess.run([sys.executable, os.path.join(SOURCE_DIR, "tests", "emulators", "pki.py"),
                        pki], check=True)
        self.stderr = open(os.path.join(self.dir, "emulator.err"), "w")
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(SOURCE_DIR, "tests", "emulators", "kube_apiserver",
                                              "main.py"),
             "--pki", pki, "--token", self.token, "--crds", CRDS] + self.extra_args,
            stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the emulator exited before it was ready: " + self.errors())
        self.info = json.loads(line)
        self.url, self.ca = self.info["url"], self.info["ca"]
        self.pki = pki
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
        shutil.rmtree(self.dir, ignore_errors=True)

    def errors(self):
        with open(os.path.join(self.dir, "emulator.err")) as f:
            return f.read()

    def control(self, method, what, body=None):
        req = urllib.request.Request(
            self.info["control"] + "/" + what, method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": "Bearer " + self.token,
                     "Content-Type": "application/json"})
        with urllib.request.urlopen(req, context=self.tls, timeout=10) as resp:
            return json.loads(resp.read())


class Checks:
    """Counts named checks; a failed one stops the run with what was expected and seen."""

    def __init__(self):
        self.passed = 0
        self.started = time.time()

    def ok(self, name, condition, detail=""):
        if not condition:
            print("FAIL - %s %s" % (name, detail), flush=True)
            print("%d passed, 1 failed" % self.passed, flush=True)
            sys.exit(1)
        self.passed += 1
        print("ok - " + name, flush=True)

    def done(self):
        print("(%.1fs)" % (time.time() - self.started))
        print("%d passed, 0 failed" % self.passed, flush=True)


def wait_for(predicate, timeout=5.0, interval=0.05):
    """Polls `predicate` until it returns something true; returns the last value."""
    deadline = time.time() + timeout
    value = predicate()
    while not value and time.time() < deadline:
        time.sleep(interval)
        value = predicate()
    return value
