#include "injector/ssh_session.hpp"

#include "injector/host_key.hpp"

#include <libssh/libssh.h>
#include <libssh/sftp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace meshorch::injector {

namespace {

constexpr std::size_t max_command_output = 16u << 20;
constexpr std::size_t sftp_chunk = 16 * 1024;

enum class Interrupt { none, timeout, cancelled };

std::chrono::milliseconds until(Deadline d) {
    const auto left = d - Clock::now();
    if (left <= Clock::duration::zero()) return std::chrono::milliseconds(0);
    return std::chrono::duration_cast<std::chrono::milliseconds>(left);
}

Deadline earlier(Deadline a, std::chrono::milliseconds from_now) {
    const auto now = Clock::now();
    if (a - now < from_now) return a;
    return now + from_now;
}

void init_libssh_once() {
    static std::once_flag once;
    std::call_once(once, [] { ssh_init(); });
}

bool is_unreachable_errno(int e) {
    return e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH || e == EHOSTDOWN;
}

struct TcpResult {
    int fd = -1;
    Error error;
    bool unreachable = false;
};

// A connected, blocking TCP socket; non-blocking connect so that the deadline and a cancel are
// honoured while it is under way.
TcpResult tcp_connect(const std::string& host, std::uint16_t port, Deadline until_time,
                      const CancelToken& cancel) {
    TcpResult r;
    const std::string where = host + ":" + std::to_string(port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
        r.error = make_error(Errc::transient,
                             "cannot resolve VM address " + host + ": " + ::gai_strerror(rc));
        return r;
    }
    std::string last = "no address";
    int last_errno = 0;
    for (addrinfo* ai = found; ai; ai = ai->ai_next) {
        int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                          ai->ai_protocol);
        if (fd < 0) continue;
        int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
        int err = rc == 0 ? 0 : errno;
        if (err == EINPROGRESS) {
            err = ETIMEDOUT;
            while (!cancel.cancelled()) {
                const auto left = until(until_time);
                if (left.count() == 0) break;
                pollfd p{fd, POLLOUT, 0};
                const int n = ::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 50)));
                if (n > 0) {
                    socklen_t len = sizeof err;
                    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
                    break;
                }
            }
            if (cancel.cancelled()) {
                ::close(fd);
                ::freeaddrinfo(found);
                r.error = make_error(Errc::cancelled, "connecting to " + where + ": cancelled");
                return r;
            }
        }
        if (err == 0) {
            ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
            ::freeaddrinfo(found);
            r.fd = fd;
            return r;
        }
        ::close(fd);
        last_errno = err;
        last = std::strerror(err);
    }
    ::freeaddrinfo(found);
    if (last_errno == ETIMEDOUT) {
        r.error = make_error(Errc::timeout, "connecting to " + where + ": timed out");
    } else {
        r.unreachable = is_unreachable_errno(last_errno);
        r.error = make_error(Errc::transient, "connecting to " + where + ": " + last);
    }
    return r;
}

KnownHostsState known_state(ssh_known_hosts_e e) {
    switch (e) {
        case SSH_KNOWN_HOSTS_OK: return KnownHostsState::match;
        case SSH_KNOWN_HOSTS_CHANGED: return KnownHostsState::changed;
        case SSH_KNOWN_HOSTS_OTHER: return KnownHostsState::other_type;
        case SSH_KNOWN_HOSTS_UNKNOWN: return KnownHostsState::unknown;
        case SSH_KNOWN_HOSTS_NOT_FOUND: return KnownHostsState::no_file;
        case SSH_KNOWN_HOSTS_ERROR: break;
    }
    return KnownHostsState::error;
}

std::string sftp_status_name(int code) {
    switch (code) {
        case SSH_FX_OK: return "OK";
        case SSH_FX_EOF: return "EOF";
        case SSH_FX_NO_SUCH_FILE: return "no such file";
        case SSH_FX_PERMISSION_DENIED: return "permission denied";
        case SSH_FX_FAILURE: return "failure (e.g. the disk is full)";
        case SSH_FX_BAD_MESSAGE: return "bad message";
        case SSH_FX_NO_CONNECTION: return "no connection";
        case SSH_FX_CONNECTION_LOST: return "connection lost";
        case SSH_FX_OP_UNSUPPORTED: return "operation unsupported";
        case SSH_FX_FILE_ALREADY_EXISTS: return "file already exists";
        case SSH_FX_WRITE_PROTECT: return "write protected";
        default: return "status " + std::to_string(code);
    }
}

}  // namespace

// Shuts the socket down when the deadline passes or the call is cancelled. Shared with the
// watchdog thread and the cancel callback, so a cancel racing the session's end stays safe.
struct Tripwire {
    std::mutex mutex;
    std::condition_variable cv;
    bool closing = false;  // the session is ending: the socket must not be touched any more
    int fd = -1;
    std::atomic<Interrupt> interrupt{Interrupt::none};

    void fire(Interrupt why) {
        std::lock_guard lock(mutex);
        if (closing || interrupt.load() != Interrupt::none) return;
        interrupt.store(why);
        if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
    }
};

struct SshSession::Impl {
    const SshInjectorConfig& config;
    std::string host;
    CallContext ctx;
    std::shared_ptr<spdlog::logger> log;
    ssh_session session = nullptr;
    sftp_session sftp = nullptr;
    // The TCP socket is ours: libssh does not close a socket it was given (SSH_OPTIONS_FD).
    int fd = -1;

    std::shared_ptr<Tripwire> tripwire = std::make_shared<Tripwire>();
    std::atomic<Interrupt>& interrupt = tripwire->interrupt;
    std::thread watchdog;
    std::uint64_t cancel_id = 0;
    bool cancel_registered = false;

    Impl(const SshInjectorConfig& c, std::string h, CallContext x,
         std::shared_ptr<spdlog::logger> l)
        : config(c), host(std::move(h)), ctx(std::move(x)), log(std::move(l)) {}

    ~Impl() {
        if (cancel_registered) ctx.cancel.forget(cancel_id);
        {
            std::lock_guard lock(tripwire->mutex);
            tripwire->closing = true;
        }
        tripwire->cv.notify_all();
        if (watchdog.joinable()) watchdog.join();
        if (sftp) sftp_free(sftp);
        if (session) {
            if (interrupt.load() == Interrupt::none && ssh_is_connected(session)) {
                ssh_disconnect(session);
            }
            ssh_free(session);
        }
        if (fd >= 0) ::close(fd);
    }

    void start_watchdog() {
        {
            std::lock_guard lock(tripwire->mutex);
            tripwire->fd = fd;
        }
        if (ctx.deadline != Deadline::max()) {
            watchdog = std::thread([t = tripwire, deadline = ctx.deadline] {
                std::unique_lock lock(t->mutex);
                if (t->cv.wait_until(lock, deadline, [&] { return t->closing; })) return;
                lock.unlock();
                t->fire(Interrupt::timeout);
            });
        }
        cancel_id = ctx.cancel.on_cancel([t = tripwire] { t->fire(Interrupt::cancelled); });
        cancel_registered = true;
    }

    // The error for a failed libssh call, "while <what>".
    Error failure(Errc code, const std::string& what) const {
        switch (interrupt.load()) {
            case Interrupt::timeout:
                return make_error(Errc::timeout,
                                  "deadline passed while " + what + " on VM " + host);
            case Interrupt::cancelled:
                return make_error(Errc::cancelled, what + " on VM " + host + ": cancelled");
            case Interrupt::none: break;
        }
        std::string detail = session ? ssh_get_error(session) : "";
        return make_error(code, what + " on VM " + host + " failed" +
                                    (detail.empty() ? std::string() : ": " + detail));
    }

    void set_timeout(std::chrono::milliseconds t) {
        const long sec = static_cast<long>(t.count() / 1000);
        const long usec = static_cast<long>((t.count() % 1000) * 1000);
        ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &sec);
        ssh_options_set(session, SSH_OPTIONS_TIMEOUT_USEC, &usec);
    }

    Status verify_host_key() {
        ssh_key key = nullptr;
        if (ssh_get_server_publickey(session, &key) != SSH_OK) {
            return failure(Errc::transient, "reading the host key");
        }
        ServerKey server;
        server.type = ssh_key_type_to_char(ssh_key_type(key));
        char* b64 = nullptr;
        if (ssh_pki_export_pubkey_base64(key, &b64) == SSH_OK) {
            server.base64 = b64;
            ssh_string_free_char(b64);
        }
        unsigned char* hash = nullptr;
        size_t hash_len = 0;
        if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hash_len) == 0) {
            char* fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hash_len);
            if (fp) {
                server.fingerprint = fp;
                ssh_string_free_char(fp);
            }
            ssh_clean_pubkey_hash(&hash);
        }
        ssh_key_free(key);

        KnownHostsState known = KnownHostsState::error;
        if (config.host_key.mode != HostKeyMode::pinned) {
            known = known_state(ssh_session_is_known_server(session));
        }
        const auto decision =
            decide_host_key(config.host_key, server, known, known_hosts_name(host, config.port));
        switch (decision.verdict) {
            case HostKeyVerdict::accept: return Ok{};
            case HostKeyVerdict::accept_and_record:
                if (ssh_session_update_known_hosts(session) != SSH_OK) {
                    return failure(Errc::io,
                                   "recording the host key in " + config.host_key.known_hosts_file);
                }
                log->warn("[{}] recorded new host key {} {} of {} in {} (accept-new)",
                          ctx.operation_id, server.type, server.fingerprint,
                          known_hosts_name(host, config.port), config.host_key.known_hosts_file);
                return Ok{};
            case HostKeyVerdict::reject: break;
        }
        return make_error(Errc::backend, "refusing VM " + host + ": " + decision.reason);
    }

    Status authenticate() {
        const auto& cred = config.credentials;
        const std::string who = "user " + cred.user + " on VM " + host;
        if (!cred.private_key_file.empty() || !cred.private_key.empty()) {
            ssh_key key = nullptr;
            const char* pass = cred.passphrase.empty() ? nullptr : cred.passphrase.c_str();
            const int rc = cred.private_key.empty()
                               ? ssh_pki_import_privkey_file(cred.private_key_file.c_str(), pass,
                                                             nullptr, nullptr, &key)
                               : ssh_pki_import_privkey_base64(cred.private_key.c_str(), pass,
                                                               nullptr, nullptr, &key);
            if (rc != SSH_OK) {
                return make_error(Errc::invalid_argument,
                                  "cannot read the SSH private key" +
                                      (cred.private_key.empty() ? " " + cred.private_key_file
                                                                : std::string(" (given as text)")) +
                                      ": not a key, or the passphrase is wrong");
            }
            const int auth = ssh_userauth_publickey(session, nullptr, key);
            ssh_key_free(key);
            if (auth == SSH_AUTH_SUCCESS) return Ok{};
            if (auth == SSH_AUTH_ERROR) return failure(Errc::transient, "authenticating " + who);
            return make_error(Errc::backend,
                              "public key authentication of " + who + " was refused");
        }
        const int auth = ssh_userauth_password(session, nullptr, cred.password.c_str());
        if (auth == SSH_AUTH_SUCCESS) return Ok{};
        if (auth == SSH_AUTH_ERROR) return failure(Errc::transient, "authenticating " + who);
        return make_error(Errc::backend, "password authentication of " + who + " was refused");
    }

    Status ensure_sftp() {
        if (sftp) return Ok{};
        sftp = sftp_new(session);
        if (!sftp) return failure(Errc::transient, "opening an SFTP channel");
        if (sftp_init(sftp) != SSH_OK) {
            sftp_free(sftp);
            sftp = nullptr;
            return failure(Errc::transient, "starting SFTP");
        }
        return Ok{};
    }
};

SshSession::SshSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SshSession::~SshSession() = default;

bool SshSession::interrupted() const noexcept {
    return impl_->interrupt.load() != Interrupt::none;
}
const std::string& SshSession::host() const noexcept {
    return impl_->host;
}

Result<std::unique_ptr<SshSession>> SshSession::open(const SshInjectorConfig& config,
                                                     const std::string& host,
                                                     const CallContext& ctx,
                                                     std::shared_ptr<spdlog::logger> log,
                                                     bool* unreachable) {
    init_libssh_once();
    if (unreachable) *unreachable = false;
    if (ctx.cancel.cancelled()) return make_error(Errc::cancelled, "VM " + host + ": cancelled");
    if (Clock::now() >= ctx.deadline) {
        return make_error(Errc::timeout, "deadline passed before connecting to VM " + host);
    }
    const Deadline connect_until = earlier(ctx.deadline, config.connect_timeout);
    auto tcp = tcp_connect(host, config.port, connect_until, ctx.cancel);
    if (tcp.fd < 0) {
        if (unreachable) *unreachable = tcp.unreachable;
        if (tcp.error.code == Errc::timeout && ctx.deadline <= connect_until) {
            tcp.error.message = "deadline passed while " + tcp.error.message;
        }
        return tcp.error;
    }

    auto impl = std::make_unique<Impl>(config, host, ctx, std::move(log));
    impl->session = ssh_new();
    if (!impl->session) {
        ::close(tcp.fd);
        return make_error(Errc::internal, "ssh_new failed");
    }
    ssh_session s = impl->session;
    bool process_config = false;
    const int port = config.port;
    ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &process_config);  // no ~/.ssh/config
    ssh_options_set(s, SSH_OPTIONS_HOST, host.c_str());
    ssh_options_set(s, SSH_OPTIONS_PORT, &port);
    ssh_options_set(s, SSH_OPTIONS_USER, config.credentials.user.c_str());
    ssh_options_set(s, SSH_OPTIONS_FD, &tcp.fd);
    impl->fd = tcp.fd;
    const std::string& known = config.host_key.known_hosts_file;
    ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, known.empty() ? "/dev/null" : known.c_str());
    ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
    impl->set_timeout(until(connect_until));
    impl->start_watchdog();
    if (impl->interrupt.load() != Interrupt::none)
        return impl->failure(Errc::transient, "connecting");

    if (ssh_connect(s) != SSH_OK) {
        return impl->failure(Errc::transient, "the SSH handshake");
    }
    if (auto st = impl->verify_host_key(); !st) return std::move(st).error();
    if (auto st = impl->authenticate(); !st) return std::move(st).error();
    impl->set_timeout(config.command_timeout);
    return std::unique_ptr<SshSession>(new SshSession(std::move(impl)));
}

Result<CommandOutput> SshSession::run(const std::string& command,
                                      std::chrono::milliseconds timeout) {
    Impl& m = *impl_;
    const Deadline until_time = earlier(m.ctx.deadline, timeout);
    ssh_channel ch = ssh_channel_new(m.session);
    if (!ch) return m.failure(Errc::transient, "opening a command channel");
    struct Closer {
        ssh_channel ch;
        ~Closer() {
            ssh_channel_close(ch);
            ssh_channel_free(ch);
        }
    } closer{ch};
    if (ssh_channel_open_session(ch) != SSH_OK) {
        return m.failure(Errc::transient, "opening a command channel");
    }
    if (ssh_channel_request_exec(ch, command.c_str()) != SSH_OK) {
        return m.failure(Errc::transient, "starting a command");
    }
    ssh_channel_send_eof(ch);  // the commands read no input
    CommandOutput out;
    char buf[16384];
    for (;;) {
        if (Clock::now() >= until_time) {
            if (m.interrupt.load() != Interrupt::none) return m.failure(Errc::timeout, "a command");
            return make_error(Errc::timeout, "a command on VM " + m.host + " did not finish in " +
                                                 std::to_string(timeout.count()) + " ms");
        }
        int n = ssh_channel_read_timeout(ch, buf, sizeof buf, 0, 100);
        if (n == SSH_ERROR) return m.failure(Errc::transient, "reading a command's output");
        if (n > 0) out.out.append(buf, static_cast<std::size_t>(n));
        n = ssh_channel_read_nonblocking(ch, buf, sizeof buf, 1);
        if (n == SSH_ERROR) return m.failure(Errc::transient, "reading a command's output");
        if (n > 0) out.err.append(buf, static_cast<std::size_t>(n));
        if (out.out.size() + out.err.size() > max_command_output) {
            return make_error(Errc::backend,
                              "a command on VM " + m.host + " printed more than 16 MiB");
        }
        if (ssh_channel_is_eof(ch)) {
            while ((n = ssh_channel_read_nonblocking(ch, buf, sizeof buf, 0)) > 0) {
                out.out.append(buf, static_cast<std::size_t>(n));
            }
            while ((n = ssh_channel_read_nonblocking(ch, buf, sizeof buf, 1)) > 0) {
                out.err.append(buf, static_cast<std::size_t>(n));
            }
            break;
        }
    }
    out.exit_status = ssh_channel_get_exit_status(ch);
    if (out.exit_status < 0 && m.interrupt.load() != Interrupt::none) {
        return m.failure(Errc::transient, "a command");
    }
    return out;
}

Status SshSession::upload(const std::string& path, std::string_view content, unsigned mode) {
    Impl& m = *impl_;
    if (auto st = m.ensure_sftp(); !st) return st;
    sftp_file file =
        sftp_open(m.sftp, path.c_str(), O_WRONLY | O_CREAT | O_EXCL, static_cast<mode_t>(mode));
    auto sftp_failure = [&](const std::string& what) {
        if (m.interrupt.load() != Interrupt::none) return m.failure(Errc::transient, what);
        const int code = sftp_get_error(m.sftp);
        return make_error(code == SSH_FX_FAILURE || code == SSH_FX_WRITE_PROTECT ||
                                  code == SSH_FX_PERMISSION_DENIED || code == SSH_FX_NO_SUCH_FILE
                              ? Errc::backend
                              : Errc::transient,
                          what + " on VM " + m.host + " failed: SFTP " + sftp_status_name(code));
    };
    if (!file) return sftp_failure("creating " + path);
    std::size_t done = 0;
    while (done < content.size()) {
        const std::size_t n = std::min(sftp_chunk, content.size() - done);
        const ssize_t w = sftp_write(file, content.data() + done, n);
        if (w <= 0) {
            auto e = sftp_failure("writing " + path);
            sftp_close(file);
            return e;
        }
        done += static_cast<std::size_t>(w);
    }
    if (sftp_close(file) != SSH_NO_ERROR) return sftp_failure("closing " + path);
    return Ok{};
}

Result<int> SshSession::http_get_status(std::uint16_t port, const std::string& path,
                                        std::chrono::milliseconds timeout) {
    Impl& m = *impl_;
    const std::string where = "127.0.0.1:" + std::to_string(port) + " on VM " + m.host;
    const Deadline until_time = earlier(m.ctx.deadline, timeout);
    ssh_channel ch = ssh_channel_new(m.session);
    if (!ch) return m.failure(Errc::transient, "opening a channel to " + where);
    struct Closer {
        ssh_channel ch;
        ~Closer() {
            ssh_channel_close(ch);
            ssh_channel_free(ch);
        }
    } closer{ch};
    if (ssh_channel_open_forward(ch, "127.0.0.1", port, "127.0.0.1", 0) != SSH_OK) {
        if (m.interrupt.load() != Interrupt::none) return m.failure(Errc::transient, "probing");
        return make_error(Errc::transient, std::string("nothing answers at ") + where + ": " +
                                               ssh_get_error(m.session));
    }
    const std::string request =
        "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: meshorch\r\n\r\n";
    if (ssh_channel_write(ch, request.data(), static_cast<uint32_t>(request.size())) !=
        static_cast<int>(request.size())) {
        return m.failure(Errc::transient, "sending a request to " + where);
    }
    std::string head;
    char buf[1024];
    while (head.find("\r\n") == std::string::npos && head.size() < 4096) {
        if (Clock::now() >= until_time) break;
        const int n = ssh_channel_read_timeout(ch, buf, sizeof buf, 0, 100);
        if (n == SSH_ERROR) return m.failure(Errc::transient, "reading from " + where);
        if (n > 0) head.append(buf, static_cast<std::size_t>(n));
        if (n == 0 && ssh_channel_is_eof(ch)) break;
    }
    // "HTTP/1.1 200 OK"
    if (head.rfind("HTTP/", 0) == 0) {
        const auto space = head.find(' ');
        if (space != std::string::npos && head.size() >= space + 4) {
            const std::string code = head.substr(space + 1, 3);
            if (std::all_of(code.begin(), code.end(),
                            [](char c) { return c >= '0' && c <= '9'; })) {
                return std::stoi(code);
            }
        }
    }
    return make_error(Errc::transient, "no HTTP status line from " + where);
}

}  // namespace meshorch::injector
