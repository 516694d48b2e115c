// Internal: the HTTP/1.1 client every adapter talks through (Kubernetes, Keystone, Tacker, Nova).
//
// Boost.Beast + OpenSSL behind a pimpl, so no adapter includes Beast or OpenSSL headers. Calls are
// blocking and thread-safe: adapters run them on their CallPool threads (call_pool.hpp) and turn
// them into the ports' asynchronous callbacks. Every stage (resolve, connect, TLS handshake,
// write, read) is bounded by the CallContext deadline and the per-stage timeouts, and a cancel
// closes the socket at once.
//
// Errors: connection trouble (refused, reset, dropped, truncated) is Errc::transient; a stage
// that overruns is Errc::timeout; a cancel is Errc::cancelled; TLS verification failures (unknown
// CA, wrong host name, expired certificate) are Errc::backend with a message that says which. An
// HTTP error status is NOT an error here: the caller reads Response::status and decides.
//
// Secrets: the values of Authorization, X-Auth-Token, X-Subject-Token, Proxy-Authorization and
// Cookie headers, and bodies marked Request::secret_body, never reach a log line.
#pragma once

#include <meshorch/cancel.hpp>
#include <meshorch/error.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meshorch::http {

// Where the client's TLS material comes from. A PEM string wins over a file name.
struct TlsOptions {
    std::string ca_file;  // CA bundle; empty and no ca_pem: the system's default paths
    std::string ca_pem;
    std::string client_certificate_file;  // mutual TLS (Kubernetes client certificates)
    std::string client_certificate_pem;
    std::string client_key_file;
    std::string client_key_pem;
    // Peer and host-name verification. Turning it off is explicit and logs a warning once per
    // client (kubeconfig insecure-skip-tls-verify).
    bool verify_peer = true;
    // SNI and verification name when it differs from the URL's host (kubeconfig tls-server-name).
    std::string server_name;
};

struct ClientOptions {
    TlsOptions tls;
    std::size_t max_connections_per_host = 8;  // idle + busy; callers beyond it wait their turn
    std::chrono::milliseconds connect_timeout{5000};   // resolve + connect + handshake
    std::chrono::milliseconds request_timeout{30000};  // write + read of one exchange
    std::chrono::milliseconds idle_timeout{60000};  // a pooled connection unused this long closes
    std::size_t max_body_bytes = 64u << 20;         // larger responses are Errc::backend
    std::string user_agent = "meshorch";
    std::string logger = "http";  // spdlog logger name (the adapter's)
};

// Header names compare case-insensitively.
struct Header {
    std::string name;
    std::string value;
};

struct Request {
    std::string method = "GET";  // GET, POST, PUT, PATCH, DELETE, HEAD
    std::string url;             // absolute: https://host[:port]/path?query (or http://)
    std::vector<Header> headers;
    std::string body;
    bool secret_body = false;  // the body holds credentials (Keystone auth): never logged
};

struct Response {
    int status = 0;
    std::vector<Header> headers;
    std::string body;
    // The first header with this name, case-insensitively.
    std::optional<std::string> header(std::string_view name) const;
};

// Percent-encodes one query or path component (RFC 3986 unreserved characters kept).
std::string url_encode(std::string_view component);

// A header value fit for a log line: the value itself, or "<redacted>" for secret headers.
std::string loggable_header_value(std::string_view name, std::string_view value);

class Client {
public:
    // Fails (Errc::invalid_argument) when TLS material cannot be read or parsed, naming the file.
    static Result<std::shared_ptr<Client>> create(ClientOptions options);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // One request and its whole response (keep-alive connections are reused from the pool;
    // a request that fails on a reused connection before any byte came back is retried once on
    // a fresh one, since the server may have closed it while idle).
    Result<Response> send(const Request& request, const CallContext& ctx);

    // A streaming request (Kubernetes watch): headers first, then the body as it arrives,
    // chunked or not. `on_head` sees the status and headers; `on_data` gets each piece of body
    // and returns false to stop. Returns when the server ends the body, on_data says stop, the
    // deadline passes or ctx is cancelled. The connection is not returned to the pool.
    // Connecting and the head are bounded like send(); the body only by ctx.deadline (a watch
    // may stay quiet for long), which then ends the stream with Errc::timeout.
    Status stream(const Request& request, const CallContext& ctx,
                  const std::function<void(const Response& head)>& on_head,
                  const std::function<bool(std::string_view data)>& on_data);

    const ClientOptions& options() const noexcept;

private:
    struct Impl;
    explicit Client(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace meshorch::http
