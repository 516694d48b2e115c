// The real VM sidecar injector: delivers the bootstrap bundle (vm_bundle.hpp) to a VM over SSH +
// SFTP (libssh), installs and starts the Istio proxy package, and waits until the proxy reports
// ready on its readiness endpoint, reached through the SSH session itself (a direct-tcpip channel
// to 127.0.0.1:15021 on the VM), so no port other than SSH needs to be open.
//
// Where the files land (every path below is prefixed with SshInjectorConfig::remote_root):
//   root-cert.pem  /etc/certs/root-cert.pem               0644 proxy_user:proxy_group
//   cluster.env    /var/lib/istio/envoy/cluster.env       0644
//   mesh.yaml      /etc/istio/config/mesh                 0644
//   istio-token    <token_dir>/istio-token                0600 (owner only), replaced atomically
//   hosts          appended to /etc/hosts between "# BEGIN meshorch" / "# END meshorch" markers
//
// The token on disk. The proxy reads /var/run/secrets/tokens/istio-token, and /var/run is a tmpfs
// on most VMs: a token written only there is lost at the next reboot and the proxy cannot rejoin
// the mesh until the next refresh. So by default the token lives in a persistent directory
// (token_dir = /var/lib/meshorch/tokens, 0700), /var/run/secrets/tokens/istio-token is a symlink
// to it, and a systemd-tmpfiles rule (/etc/tmpfiles.d/meshorch-istio-token.conf) recreates the
// directory and the symlink at every boot. Setting token_link_dir empty (or equal to token_dir)
// writes the token straight into token_dir, with no symlink and no rule.
//
// Every remote command is built from validated values, each one single-quoted: nothing from a
// spec, a bundle or a configuration reaches a remote shell unquoted, and names and paths with
// shell metacharacters are refused before any connection is made.
//
// Idempotence: inject first reads the SHA-256 of every managed file on the VM (one command) and
// uploads only what differs; with the same inputs a second inject uploads nothing, restarts
// nothing and reports changed=false. refresh_token replaces only the token (0600, atomic rename);
// the proxy re-reads the token file whenever it asks the CA for a certificate, so no restart.
//
// Errors: connection refused / no route / reset are Errc::transient; authentication failures and
// host keys that do not match the policy are Errc::backend (terminal); a deadline or a proxy that
// never became ready is Errc::timeout; a cancel closes the session (Errc::cancelled); a remote
// command that fails is Errc::backend with its exit status and stderr excerpt. remove() of a VM
// that refuses connections or cannot be routed to counts the VM as gone (success); an
// authentication failure or a host-key mismatch on remove is still an error.
//
// The private key, passphrase, password and token never reach a log line (spdlog logger
// "injector", the operation id on every line).
#pragma once

#include <meshorch/cancel.hpp>
#include <meshorch/error.hpp>
#include <meshorch/ports.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace meshorch::injector {

// How the VM's host key is checked. There is no silent acceptance.
enum class HostKeyMode {
    pinned,       // the key must be `pinned_key`
    known_hosts,  // the key must be listed for the host in `known_hosts_file`
    accept_new,   // as known_hosts, but a host not listed yet is accepted and recorded there;
                  // a listed host with a different key is still refused
};

struct HostKeyPolicy {
    HostKeyMode mode = HostKeyMode::known_hosts;
    // pinned: "SHA256:<base64>" (as ssh-keygen -l prints it) or a public key line
    // "<type> <base64> [comment]" (as in a .pub file).
    std::string pinned_key;
    std::string known_hosts_file;  // known_hosts, accept_new
};

// Public-key authentication (a key file or the key text, optionally encrypted) or a password.
// A key wins over a password when both are set.
struct SshCredentials {
    std::string user = "root";
    std::string private_key_file;
    std::string private_key;  // OpenSSH or PEM text
    std::string passphrase;
    std::string password;
};

enum class PackageManager { dpkg, rpm, none };

// How the proxy service is controlled: argv vectors, each element single-quoted on the VM.
struct ServiceCommands {
    std::vector<std::string> start;      // enable and start
    std::vector<std::string> stop;       // stop and disable
    std::vector<std::string> restart;    // after a configuration change
    std::vector<std::string> is_active;  // exit status 0 when running
};

// systemctl enable --now <unit>, disable --now, restart, is-active --quiet.
ServiceCommands systemd_service(const std::string& unit = "istio");

struct SshInjectorConfig {
    HostKeyPolicy host_key;
    SshCredentials credentials;
    std::uint16_t port = 22;

    std::chrono::milliseconds connect_timeout{10000};   // TCP connect + SSH handshake + auth
    std::chrono::milliseconds command_timeout{120000};  // one remote command or file transfer
    std::chrono::milliseconds readiness_timeout{
        120000};  // proxy start -> /healthz/ready answers 200
    std::chrono::milliseconds readiness_interval{500};

    // Prepended to every remote path (tests use a directory as "the VM"); absolute.
    std::string remote_root = "/";
    std::string staging_dir = "/tmp";  // uploads go to a private mktemp -d directory below it
    std::string token_dir = "/var/lib/meshorch/tokens";
    std::string token_link_dir = "/var/run/secrets/tokens";  // where the proxy reads the token
    std::string tmpfiles_rule = "/etc/tmpfiles.d/meshorch-istio-token.conf";
    std::string state_dir = "/var/lib/meshorch";  // what was installed (package digest)

    std::string proxy_user = "istio-proxy";
    std::string proxy_group = "istio-proxy";

    // The proxy package the operator supplies (Istio's istio-sidecar.deb / .rpm), a local file.
    // Empty with PackageManager::none: the proxy is installed already (an image with the proxy).
    PackageManager package_manager = PackageManager::dpkg;
    std::string package_file;
    std::string package_name = "istio-sidecar";

    ServiceCommands service = systemd_service();
    // Prefix every command with "sudo -n" (the SSH user is not root). Default: when user != root.
    enum class Sudo { automatic, always, never } sudo = Sudo::automatic;

    std::uint16_t readiness_port = 15021;
    std::string readiness_path = "/healthz/ready";

    std::size_t threads = 4;  // concurrent injections (the asynchronous port)
};

// Every problem with the configuration: Errc::invalid_argument with one FieldError per field
// ("proxy_user", "service.start[0]", ...). Nothing is connected to.
Status validate(const SshInjectorConfig& config);

// The blocking API (the Python bindings and Tacker's management driver call this). Thread-safe:
// every call opens its own SSH session. Deadline::max() means only the configured timeouts apply.
class SshInjector {
public:
    static Result<std::shared_ptr<SshInjector>> create(SshInjectorConfig config);
    ~SshInjector();
    SshInjector(const SshInjector&) = delete;
    SshInjector& operator=(const SshInjector&) = delete;

    Result<InjectionResult> inject_sync(const InjectionRequest& request,
                                        Deadline deadline = Deadline::max());
    Status refresh_token_sync(const VmInstance& vm, const std::string& token,
                              Deadline deadline = Deadline::max());
    Status remove_sync(const VmInstance& vm, Deadline deadline = Deadline::max());

    // The same, with cancellation and an operation id for the log lines.
    Result<InjectionResult> inject(const InjectionRequest& request, const CallContext& ctx);
    Status refresh_token(const VmInstance& vm, const std::string& token, const CallContext& ctx);
    Status remove(const VmInstance& vm, const CallContext& ctx);

    const SshInjectorConfig& config() const noexcept;

private:
    struct Impl;
    explicit SshInjector(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// The asynchronous port for the engine: SshInjector calls on a pool of `config.threads` threads.
// Errc::invalid_argument when the configuration does not validate.
Result<std::shared_ptr<SidecarInjector>> make_ssh_injector(SshInjectorConfig config);

}  // namespace meshorch::injector
