// Internal: a small embeddable HTTP/1.1 server (Tacker's LCM notification endpoint and the
// northbound REST API of `meshorch serve`).
//
// Every connection is served asynchronously on the server's threads, so a slow or silent
// client only ever holds its own connection: each request must arrive completely within
// read_timeout, a keep-alive connection idle that long is closed, and a body above
// max_body_bytes is answered 413 without being read into memory. The handler runs on a server
// thread and should be quick; with threads = 1 requests are handled one at a time.
//
// A response may also stream (Server-Sent Events): the handler answers the head and gets a
// ResponseStream that any thread pushes chunks into until it, the client or stop() ends it.
//
// Boost.Beast and OpenSSL stay behind the pimpl, like in client.hpp.
#pragma once

#include "http/client.hpp"

#include <meshorch/error.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meshorch::http {

struct ServerTlsOptions {
    std::string certificate_file;  // PEM, the chain the server presents
    std::string key_file;
    // Not empty: clients must present a certificate signed by this CA (mutual TLS).
    std::string client_ca_file;
};

struct ServerOptions {
    std::string address = "127.0.0.1";
    unsigned short port = 0;  // 0: any free port (see Server::port())
    std::optional<ServerTlsOptions> tls;
    std::size_t max_body_bytes = 1u << 20;  // larger requests are answered 413
    // Each request (headers and body) must arrive within this; also how long a keep-alive
    // connection may sit idle and how long writing a response may take.
    std::chrono::milliseconds read_timeout{10000};
    int threads = 1;
    std::string logger = "http";  // spdlog logger name
    // Formats the answers the server makes itself (400 for a request that is not HTTP, 413, 500
    // when the handler throws), so they can share the application's error shape. Empty: plain
    // text. Must not throw.
    std::function<Response(int status, const std::string& message)> error_response;
};

struct ServerRequest {
    std::string method;
    std::string target;  // path and query, as sent
    std::vector<Header> headers;
    std::string body;
    std::string peer;                        // "address:port" of the client
    std::string server_name;                 // the TLS SNI name the client sent, if any
    std::string client_certificate_subject;  // mutual TLS: the verified client's subject
    // The first header with this name, case-insensitively.
    std::optional<std::string> header(std::string_view name) const;
};

// Answers one request. Runs on a server thread; an exception becomes a 500.
using Handler = std::function<Response(const ServerRequest&)>;

// The body of a streaming response, sent with chunked transfer encoding: each write() becomes
// one chunk, in order. The stream ends when close() is called (after what is queued is sent),
// the client goes away, a write takes longer than read_timeout, or the server stops; then the
// connection closes. Thread-safe; it may outlive the server.
class ResponseStream {
public:
    virtual ~ResponseStream() = default;
    // Queues data; false (nothing queued) once the stream has ended. Empty data is ignored.
    virtual bool write(std::string data) = 0;
    // Ends the body once what is queued has been sent. Idempotent.
    virtual void close() = 0;
    virtual bool ended() const = 0;
};

// A whole response, or with open_stream set, the status and headers of a streaming one (the
// body is then ignored). open_stream runs on the connection's thread before the head is sent,
// so what it writes at once follows the head and no event can slip in between.
struct ServerReply {
    Response response;
    std::function<void(std::shared_ptr<ResponseStream>)> open_stream;
};

// Like Handler, but may answer with a stream.
using ReplyHandler = std::function<ServerReply(const ServerRequest&)>;

class Server {
public:
    // Listens at once. Errc::invalid_argument for bad TLS material (naming the file), Errc::io
    // when the address cannot be bound.
    static Result<std::unique_ptr<Server>> start(ServerOptions options, Handler handler);
    static Result<std::unique_ptr<Server>> start(ServerOptions options, ReplyHandler handler);
    ~Server();  // stop()
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    unsigned short port() const noexcept;
    // "http://127.0.0.1:40123" or "https://...": the base URL clients use.
    std::string url() const;

    // Graceful: stops accepting, closes idle connections, lets requests in flight finish
    // (each bounded by read_timeout), ends every open stream (its last chunk is sent, bounded by
    // read_timeout too), then returns. Idempotent.
    void stop();

    // Connections accepted since start, and open right now.
    std::size_t connections_accepted() const noexcept;
    std::size_t open_connections() const noexcept;

private:
    struct Impl;
    explicit Server(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace meshorch::http
