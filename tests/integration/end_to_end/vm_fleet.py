"""Virtual machines for the end-to-end test: each one a network namespace (its own address on a
test bridge, its own loopback) plus a private mount namespace running a real OpenSSH server.

Inside a VM, /etc, /var, /usr and /run are overlays over the host's directories whose writable
layers live on a tmpfs of that VM only: whatever the proxy install writes (dpkg's database,
/usr/local, /etc/istio, /var/lib/meshorch, /run/secrets, /etc/hosts...) stays in the VM and
the host's files never change. The host reads a VM's files through /proc/<sshd pid>/root, and
what the VM changed is exactly the content of its upper layers.

Needs root, `ip netns` and overlayfs; `unavailable()` says why not when they are missing.
"""
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import time

OVERLAID = ("etc", "var", "usr", "run")


def run(argv, check=True, **kwargs):
    """Runs a command quietly; raises with its output when it fails and check is set."""
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          **kwargs)
    if check and done.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(argv), done.returncode,
                                                   done.stdout.strip()))
    return done


def unavailable():
    """Why VMs cannot be made here, or None."""
    if os.geteuid() != 0:
        return "network namespaces and sshd need root"
    for tool in ("/usr/sbin/sshd", "/usr/bin/ssh-keygen", "/usr/bin/unshare", "/usr/bin/nsenter"):
        if not os.path.exists(tool):
            return tool + " is not installed"
    if shutil.which("ip") is None:
        return "iproute2 (ip) is not installed"
    probe = "meshorch-probe-%d" % os.getpid()
    made = run(["ip", "netns", "add", probe], check=False)
    if made.returncode != 0:
        return "ip netns is not permitted: " + made.stdout.strip()
    run(["ip", "netns", "delete", probe], check=False)
    overlay = run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                   "d=$(mktemp -d) && mount -t tmpfs tmpfs $d && mkdir $d/u $d/w && "
                   "mount -t overlay overlay -o lowerdir=/etc,upperdir=$d/u,workdir=$d/w /etc"],
                  check=False)
    if overlay.returncode != 0:
        return "overlayfs is not available: " + overlay.stdout.strip()
    return None


def _free_subnet():
    """A /24 in 10.0.0.0/8 that no interface or route of the host uses."""
    used = run(["ip", "-4", "route", "show", "table", "all"]).stdout
    used += run(["ip", "-4", "addr", "show"]).stdout
    networks = []
    for word in used.split():
        try:
            networks.append(ipaddress.ip_network(word, strict=False))
        except ValueError:
            pass
    start = os.getpid() % (56 * 256)
    for n in range(56 * 256):
        k = (start + n) % (56 * 256)
        candidate = ipaddress.ip_network("10.%d.%d.0/24" % (200 + k // 256, k % 256))
        if not any(candidate.overlaps(net) for net in networks if net.prefixlen > 0):
            return candidate
    raise RuntimeError("no free 10.x.y.0/24 for the test VMs")


def _wait_for_port(address, port, timeout, alive):
    end = time.time() + timeout
    while time.time() < end:
        if not alive():
            return False
        try:
            with socket.create_connection((address, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class Vm:
    def __init__(self, fleet, index):
        self.index = index
        self.netns = "%s-vm%d" % (fleet.prefix, index)
        self.host_veth = "%sv%d" % (fleet.short, index)
        self.address = str(fleet.subnet.network_address + index)
        self.dir = os.path.join(fleet.dir, "vm%d" % index)
        self.layers = os.path.join(self.dir, "layers")  # a tmpfs inside the VM only
        self.sshd = None

    # ---- looking inside ----

    def path(self, vm_path):
        """The host path of a file as the VM sees it (absolute symlinks under it would resolve
        on the host: read the VM's files with read() and stat())."""
        return "/proc/%d/root%s" % (self.sshd.pid, vm_path)

    def read(self, vm_path):
        """The content of a file, as the VM sees it (symlinks resolved in the VM)."""
        return self.shell("cat -- '%s'" % vm_path).stdout

    def stat(self, vm_path):
        """'<octal mode> <owner> <group> <file type>' of a file in the VM (no symlink followed),
        or None when there is none."""
        done = self.shell("stat -c '%%a %%U %%G %%F' -- '%s'" % vm_path, check=False)
        return done.stdout.strip() if done.returncode == 0 else None

    def exists(self, vm_path):
        return self.stat(vm_path) is not None

    def shell(self, command, check=True):
        """Runs a shell command inside the VM (its network and mount namespaces); its stdout,
        stderr apart."""
        done = subprocess.run(["nsenter", "--target", str(self.sshd.pid), "--net", "--mount",
                               "sh", "-c", command], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
        if check and done.returncode != 0:
            raise RuntimeError("in VM %s: %s failed (%d): %s" % (self.netns, command,
                                                                 done.returncode, done.stderr))
        return done

    def processes(self):
        """Command lines of every process in the VM but its sshd listener."""
        pids = run(["ip", "netns", "pids", self.netns], check=False).stdout.split()
        out = []
        for pid in pids:
            if int(pid) == self.sshd.pid:
                continue
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    out.append(f.read().replace(b"\0", b" ").decode().strip())
            except OSError:
                pass
        return out

    def changes(self):
        """Every file, symlink and directory the VM added or changed, relative to /, from its
        overlays' upper layers (deleted files of the host appear as character devices)."""
        out = {}
        for top in OVERLAID:
            upper = self.path(os.path.join(self.layers, top, "upper"))
            if not os.path.isdir(upper):
                raise RuntimeError("VM %s has no upper layer %s" % (self.netns, upper))
            for dirpath, dirnames, filenames in os.walk(upper):
                for name in dirnames + filenames:
                    full = os.path.join(dirpath, name)
                    rel = "/" + top + "/" + os.path.relpath(full, upper)
                    if os.path.islink(full):
                        out[rel] = "symlink"
                    elif os.path.isdir(full):
                        out[rel] = "dir"
                    elif os.path.isfile(full):
                        out[rel] = "file"
                    else:
                        out[rel] = "whiteout"
        return out

    def changed_content(self, path):
        """The bytes of a regular file the VM changed (as changes() names it)."""
        top, rest = path.lstrip("/").split("/", 1)
        with open(self.path(os.path.join(self.layers, top, "upper", rest)), "rb") as f:
            return f.read()

    def sshd_log(self):
        try:
            with open(os.path.join(self.dir, "sshd.log")) as f:
                return f.read()
        except OSError:
            return ""


class VmFleet:
    """`count` VMs on one bridge; addresses <subnet>.1 .. <subnet>.count, the host .254.
    Use as a context manager: everything is torn down on exit, whatever happened."""

    def __init__(self, base_dir, count):
        self.dir = os.path.join(base_dir, "vms")
        self.count = count
        self.short = "mo%d" % os.getpid()  # interface names stay within 15 characters
        self.prefix = "meshorch-e2e-%d" % os.getpid()
        self.bridge = self.short + "br"
        self.subnet = None
        self.vms = []

    def __enter__(self):
        try:
            self._create()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    @property
    def host_address(self):
        return str(self.subnet.network_address + 254)

    def cidr_of_first(self, n):
        """The smallest CIDR whose first hosts are the first n VMs' addresses (for Tacker)."""
        prefix = 30
        while ipaddress.ip_network("%s/%d" % (self.subnet.network_address, prefix)).num_addresses \
                - 2 < n:
            prefix -= 1
        return "%s/%d" % (self.subnet.network_address, prefix)

    def by_address(self, address):
        for vm in self.vms:
            if vm.address == address:
                return vm
        raise KeyError("no test VM has the address %s" % address)

    def _create(self):
        os.makedirs(self.dir)
        os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege separation directory
        self.subnet = _free_subnet()
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "meshorch-e2e", "-f",
             os.path.join(self.dir, "client_key")])
        shutil.copy(os.path.join(self.dir, "client_key.pub"),
                    os.path.join(self.dir, "authorized_keys"))
        run(["ip", "link", "add", self.bridge, "type", "bridge"])
        run(["ip", "addr", "add", "%s/24" % self.host_address, "dev", self.bridge])
        run(["ip", "link", "set", self.bridge, "up"])
        known_hosts = []
        for i in range(1, self.count + 1):
            vm = Vm(self, i)
            self.vms.append(vm)
            self._create_vm(vm)
            with open(os.path.join(vm.dir, "host_key.pub")) as f:
                key_type, key = f.read().split()[:2]
            known_hosts.append("%s %s %s\n" % (vm.address, key_type, key))
        with open(self.known_hosts, "w") as f:
            f.writelines(known_hosts)
        for vm in self.vms:
            self._start_sshd(vm)

    @property
    def known_hosts(self):
        return os.path.join(self.dir, "known_hosts")

    @property
    def client_key(self):
        return os.path.join(self.dir, "client_key")

    def _create_vm(self, vm):
        os.makedirs(vm.layers)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", vm.netns, "-f",
             os.path.join(vm.dir, "host_key")])
        run(["ip", "netns", "add", vm.netns])
        run(["ip", "link", "add", vm.host_veth, "type", "veth", "peer", "name", "eth0",
             "netns", vm.netns])
        run(["ip", "link", "set", vm.host_veth, "master", self.bridge, "up"])
        for command in (["ip", "addr", "add", "%s/24" % vm.address, "dev", "eth0"],
                        ["ip", "link", "set", "eth0", "up"], ["ip", "link", "set", "lo", "up"]):
            run(["ip", "netns", "exec", vm.netns] + command)
        with open(os.path.join(vm.dir, "sshd_config"), "w") as f:
            f.write("Port 22\nListenAddress %s\nHostKey %s\nAuthorizedKeysFile %s\n"
                    "PidFile none\nUsePAM no\nStrictModes no\nPasswordAuthentication no\n"
                    "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
                    "AllowTcpForwarding yes\nLogLevel VERBOSE\nMaxStartups 50\nMaxSessions 50\n"
                    "Subsystem sftp internal-sftp\n"
                    % (vm.address, os.path.join(vm.dir, "host_key"),
                       os.path.join(self.dir, "authorized_keys")))

    def _start_sshd(self, vm):
        mounts = ["mount -t tmpfs -o mode=0700 meshorch-vm '%s'" % vm.layers]
        for top in OVERLAID:
            upper = os.path.join(vm.layers, top, "upper")
            work = os.path.join(vm.layers, top, "work")
            mounts.append("mkdir -p '%s' '%s'" % (upper, work))
            mounts.append("mount -t overlay overlay -o lowerdir=/%s,upperdir=%s,workdir=%s /%s"
                          % (top, upper, work, top))
        script = " && ".join(mounts) + " && exec /usr/sbin/sshd -D -e -f '%s'" % os.path.join(
            vm.dir, "sshd_config")
        with open(os.path.join(vm.dir, "sshd.log"), "w") as log:
            vm.sshd = subprocess.Popen(
                ["ip", "netns", "exec", vm.netns, "unshare", "--mount", "--propagation",
                 "private", "sh", "-c", script],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        if not _wait_for_port(vm.address, 22, 20, lambda: vm.sshd.poll() is None):
            raise RuntimeError("sshd of VM %s did not listen on %s:22:\n%s"
                               % (vm.netns, vm.address, vm.sshd_log()[-2000:]))

    def close(self):
        """Kills every process of every VM, deletes the namespaces, veths and the bridge."""
        for vm in self.vms:
            pids = run(["ip", "netns", "pids", vm.netns], check=False).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            if vm.sshd is not None:
                try:
                    vm.sshd.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
            run(["ip", "netns", "delete", vm.netns], check=False)
            run(["ip", "link", "delete", vm.host_veth], check=False)
        run(["ip", "link", "delete", self.bridge], check=False)
