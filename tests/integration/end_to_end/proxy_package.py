"""The stand-in for Istio's istio-sidecar.deb that the end-to-end test installs on its VMs: the
package name the injector manages, with the readiness stand-in of the injector's integration
tests (tests/integration/injector/standin_proxy.py) as /usr/local/bin/meshorch-standin-proxy.
It answers /healthz/ready with 200 once the bootstrap files the real proxy reads are in place.
Like Istio's package, its postinst creates the proxy's system user istio-proxy (and its postrm
removes it again on purge, so that a purged VM is as before).
"""
import os
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
STANDIN_PROXY = os.path.join(HERE, "..", "injector", "standin_proxy.py")
PACKAGE_NAME = "istio-sidecar"
PROXY_BINARY = "/usr/local/bin/meshorch-standin-proxy"


def build_proxy_package(base_dir):
    """Builds the .deb in base_dir and returns its path."""
    tree = os.path.join(base_dir, "proxy-package")
    os.makedirs(os.path.join(tree, "DEBIAN"))
    with open(os.path.join(tree, "DEBIAN", "control"), "w") as f:
        f.write("Package: %s\nVersion: 1.20.1-meshorch\nArchitecture: all\n"
                "Maintainer: meshorch tests <tests@meshorch.invalid>\n"
                "Description: stand-in for the Istio sidecar (end-to-end test)\n" % PACKAGE_NAME)
    # As Istio's package does: the proxy's system user comes with the package.
    scripts = {
        "postinst": "#!/bin/sh\nset -e\nif ! getent passwd istio-proxy >/dev/null; then\n"
                    "    groupadd --system istio-proxy\n"
                    "    useradd --system --gid istio-proxy --home-dir /var/lib/istio "
                    "--no-create-home --shell /usr/sbin/nologin istio-proxy\nfi\n",
        "postrm": "#!/bin/sh\nset -e\nif [ \"$1\" = purge ] && getent passwd istio-proxy "
                  ">/dev/null; then\n    userdel istio-proxy\nfi\n",
    }
    for name, text in scripts.items():
        with open(os.path.join(tree, "DEBIAN", name), "w") as f:
            f.write(text)
        os.chmod(os.path.join(tree, "DEBIAN", name), 0o755)
    binary = tree + PROXY_BINARY
    os.makedirs(os.path.dirname(binary))
    shutil.copy(STANDIN_PROXY, binary)
    os.chmod(binary, 0o755)
    deb = os.path.join(base_dir, "istio-sidecar.deb")
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", tree, deb], check=True,
                   stdout=subprocess.DEVNULL)
    return deb
