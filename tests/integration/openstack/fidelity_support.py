"""Starts the real Keystone (scripts/start-keystone) and the Tacker emulator for the
fidelity tests, and stops them (process groups) when the test ends."""
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
START_KEYSTONE = os.path.join(SOURCE_DIR, "scripts", "start-keystone")
EMULATOR = os.path.join(SOURCE_DIR, "tests", "emulators", "tacker", "main.py")
PKI = os.path.join(SOURCE_DIR, "tests", "emulators", "pki.py")
PYTHON = "/usr/bin/python3"


class Failure(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failure(what)
    print("ok: " + what, flush=True)


class Processes:
    """Context manager owning a temp dir and the helper processes started in it."""

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="meshorch-fidelity-")
        self.procs = []
        return self

    def __exit__(self, *exc):
        for proc in reversed(self.procs):
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for proc in self.procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        subprocess.run(["rm", "-rf", self.dir])
        return False

    def start(self, argv, name, timeout=90):
        """Starts argv, returns the JSON line it prints when ready."""
        log = open(os.path.join(self.dir, name + ".log"), "w")
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log,
                                start_new_session=True, text=True)
        self.procs.append(proc)
        started = time.time()
        line = proc.stdout.readline()
        if not line:
            log.close()
            with open(os.path.join(self.dir, name + ".log")) as f:
                raise Failure("%s exited (%s) before it was ready:\n%s"
                              % (name, proc.wait(), f.read()[-3000:]))
        info = json.loads(line)
        print("%s ready in %.1f s: %s" % (name, time.time() - started, info["url"]), flush=True)
        return info

    def keystone(self, *extra):
        return self.start([PYTHON, START_KEYSTONE, "--dir", os.path.join(self.dir, "keystone"),
                           *extra], "keystone")

    def pki(self):
        pki_dir = os.path.join(self.dir, "pki")
        subprocess.run([PYTHON, PKI, pki_dir], check=True)
        return pki_dir

    def emulator(self, pki_dir, keystone=None, *extra):
        argv = [PYTHON, EMULATOR, "--pki", pki_dir]
        if keystone:
            argv += ["--keystone", keystone["url"],
                     "--keystone-admin-password", keystone["admin"]["password"]]
        return self.start(argv + list(extra), "emulator")

    def register_catalog(self, keystone, emulator):
        subprocess.run([PYTHON, START_KEYSTONE, "--catalog-only", "--url", keystone["url"],
                        "--admin-password", keystone["admin"]["password"],
                        "--tacker-url", emulator["tacker"], "--nova-url", emulator["nova"]],
                       check=True, stdout=subprocess.DEVNULL)


def http(method, url, body=None, headers=None, ca=None):
    """Returns (status, headers, parsed JSON body or raw bytes)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    context = ssl.create_default_context(cafile=ca) if ca else None
    try:
        with urllib.request.urlopen(req, timeout=20, context=context) as resp:
            status, hdrs, raw = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        status, hdrs, raw = e.code, e.headers, e.read()
    try:
        return status, hdrs, json.loads(raw) if raw else None
    except ValueError:
        return status, hdrs, raw


def password_token(keystone, user, password, project):
    status, headers, body = http("POST", keystone["url"] + "/auth/tokens", {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"name": "Default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"name": "Default"}}}}})
    if status != 201:
        raise Failure("Keystone refused %s: %d %s" % (user, status, body))
    return headers["X-Subject-Token"], body["token"]


def run_main(test):
    try:
        test()
    except Failure as f:
        print("FAILED: %s" % f, flush=True)
        sys.exit(1)
    print("all checks passed", flush=True)
