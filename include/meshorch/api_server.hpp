// The northbound REST API (what `meshorch serve` runs), embeddable in any process that owns an
// Orchestrator. HTTP/1.1 with JSON bodies under /v1 (README, "REST API"):
//
//   POST   /v1/services                          deploy (body: a spec, JSON or YAML)
//   GET    /v1/services                          every service's status
//   GET    /v1/services/{name}                   one service's status
//   PUT    /v1/services/{name}                   reconfigure
//   DELETE /v1/services/{name}                   terminate
//   POST   /v1/services/{name}/workloads/{microservice}/{version}/{instance}:heal
//   GET    /v1/operations/{id}                   an operation
//   POST   /v1/operations/{id}:cancel
//   GET    /v1/events[?service=NAME]             Server-Sent Events
//   GET    /v1/services/{name}/events
//   GET    /healthz                              no authentication
//
// Every error has one JSON shape:
//   {"error": {"status": 409, "code": "busy", "message": "...",
//              "fields": [{"path": "...", "reason": "...", "line": 3, "column": 5}]}}
//
// Authentication: bearer tokens, each with a role: admin (everything) or reader (GET only).
// Tokens are compared in constant time and never logged.
#pragma once

#include <meshorch/error.hpp>
#include <meshorch/orchestrator.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace meshorch {

enum class ApiRole { reader, admin };

struct ApiToken {
    std::string token;
    ApiRole role = ApiRole::reader;
};

// Reads a token file: one `TOKEN ROLE` per line (ROLE admin or reader), blank lines and lines
// starting with # ignored. Errc::io when it cannot be read; Errc::invalid_argument (one field
// per bad line, path "line N", never quoting a token) when a line is wrong or it holds no token.
Result<std::vector<ApiToken>> load_api_tokens(const std::string& path);

struct ApiTlsOptions {
    std::string certificate_file;  // PEM chain the server presents
    std::string key_file;
    std::string client_ca_file;  // not empty: clients must present a certificate it signed
};

struct ApiServerOptions {
    std::string address = "127.0.0.1";
    unsigned short port = 0;  // 0: any free port (see ApiServer::url())
    std::optional<ApiTlsOptions> tls;
    // Who may call. Empty: start() refuses, unless allow_unauthenticated (then every caller is
    // admin, and a warning is logged).
    std::vector<ApiToken> tokens;
    bool allow_unauthenticated = false;
    std::size_t max_body_bytes = 1u << 20;  // larger requests: 413
    // A request must arrive within this; also the idle limit of keep-alive connections and of
    // each write to a client.
    std::chrono::milliseconds read_timeout{10000};
    int threads = 2;
    // Event streams send a `: keep-alive` comment this often, so proxies keep them open and a
    // client that went away is noticed.
    std::chrono::milliseconds keep_alive_interval{15000};
};

class ApiServer {
public:
    // Listens at once. The orchestrator must outlive the server. Errc::invalid_argument for bad
    // options or TLS material, Errc::io when the address cannot be bound.
    static Result<std::unique_ptr<ApiServer>> start(Orchestrator& orchestrator,
                                                    ApiServerOptions options);
    ~ApiServer();  // stop()
    ApiServer(const ApiServer&) = delete;
    ApiServer& operator=(const ApiServer&) = delete;

    // "https://127.0.0.1:40123" (http:// without TLS).
    std::string url() const;
    // Stops accepting, ends every event stream, lets requests in flight finish (bounded by
    // read_timeout) and returns. Operations keep running in the orchestrator. Idempotent.
    void stop();

private:
    struct Impl;
    explicit ApiServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace meshorch
