// Internal: one SSH connection to a VM (libssh), already past host-key verification and
// authentication, with the three things the injector does over it: run a command, upload a file
// over SFTP, and ask an HTTP endpoint on the VM's loopback through a direct-tcpip channel.
//
// Bounded and cancellable: the TCP connect and the handshake are bounded by connect_timeout, each
// command and transfer by command_timeout, everything by CallContext::deadline; a cancel (or the
// deadline) shuts the socket down at once, so a blocked libssh call returns, and the error then
// says Errc::cancelled (or Errc::timeout). One thread uses a session at a time.
#pragma once

#include <meshorch/cancel.hpp>
#include <meshorch/error.hpp>
#include <meshorch/ssh_injector.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}

namespace meshorch::injector {

struct CommandOutput {
    int exit_status = -1;
    std::string out;
    std::string err;
};

class SshSession {
public:
    // `unreachable` is set when the VM refused the TCP connection or had no route to it: the
    // caller decides whether that means "gone".
    static Result<std::unique_ptr<SshSession>> open(const SshInjectorConfig& config,
                                                    const std::string& host, const CallContext& ctx,
                                                    std::shared_ptr<spdlog::logger> log,
                                                    bool* unreachable = nullptr);
    ~SshSession();
    SshSession(const SshSession&) = delete;
    SshSession& operator=(const SshSession&) = delete;

    // Runs `command` (a complete command line) and collects its output. A non-zero exit status is
    // not an error here. Errc::timeout after `timeout` or the call's deadline.
    Result<CommandOutput> run(const std::string& command, std::chrono::milliseconds timeout);

    // Writes a new file `path` with permissions `mode` (created with them: never readable by
    // others in between). The file must not exist.
    Status upload(const std::string& path, std::string_view content, unsigned mode);

    // HTTP GET http://127.0.0.1:<port><path> from the VM's side. The status code, or
    // Errc::transient when nothing answers (connection refused, no status line in `timeout`).
    Result<int> http_get_status(std::uint16_t port, const std::string& path,
                                std::chrono::milliseconds timeout);

    // True once a cancel or the deadline shut the connection down.
    bool interrupted() const noexcept;
    const std::string& host() const noexcept;

    struct Impl;

private:
    explicit SshSession(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace meshorch::injector
