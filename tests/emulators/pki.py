#!/usr/bin/env python3
"""Test PKI for the emulators and the real servers the tests start on loopback.

Makes, with the openssl command, in DIR:
  ca.pem / ca-key.pem          a self-signed CA
  server.pem / server-key.pem  a server certificate for 127.0.0.1, ::1 and localhost
  client.pem / client-key.pem  a client certificate (CN=meshorch-test, O=system:masters)
  other-ca.pem                 an unrelated CA (for "wrong CA" tests)
  wrong-host.pem / wrong-host-key.pem  signed by the CA, but only for wrong.example.invalid

Idempotent: existing files are kept.   usage: pki.py DIR
"""
import os
import subprocess
import sys


# P-256 keys: generated in milliseconds, where RSA takes seconds per test run.
EC_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1")


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_ca(d, name, cn):
    key, cert = os.path.join(d, name + "-key.pem"), os.path.join(d, name + ".pem")
    if not os.path.exists(cert):
        run("openssl", "req", "-x509", *EC_KEY, "-nodes", "-days", "30", "-subj", "/CN=" + cn,
            "-keyout", key, "-out", cert, "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return key, cert


def make_leaf(d, name, subject, ext):
    key, cert = os.path.join(d, name + "-key.pem"), os.path.join(d, name + ".pem")
    if os.path.exists(cert):
        return
    csr, extfile = os.path.join(d, name + ".csr"), os.path.join(d, name + ".ext")
    with open(extfile, "w") as f:
        f.write(ext)
    run("openssl", "req", *EC_KEY, "-nodes", "-subj", subject,
        "-keyout", key, "-out", csr)
    run("openssl", "x509", "-req", "-in", csr, "-CA", os.path.join(d, "ca.pem"),
        "-CAkey", os.path.join(d, "ca-key.pem"), "-CAcreateserial", "-days", "30",
        "-out", cert, "-extfile", extfile)
    os.remove(csr)
    os.remove(extfile)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    make_ca(d, "ca", "meshorch test CA")
    make_ca(d, "other-ca", "unrelated test CA")
    make_leaf(d, "server", "/CN=127.0.0.1",
              "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n"
              "extendedKeyUsage=serverAuth\n")
    make_leaf(d, "client", "/O=system:masters/CN=meshorch-test",
              "extendedKeyUsage=clientAuth\n")
    make_leaf(d, "wrong-host", "/CN=wrong.example.invalid",
              "subjectAltName=DNS:wrong.example.invalid\nextendedKeyUsage=serverAuth\n")


if __name__ == "__main__":
    main()
