#include "http/server.hpp"

#include "http/log.hpp"
#include "http/tls.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>

namespace meshorch::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

std::optional<std::string> ServerRequest::header(std::string_view name) const {
    for (const auto& h : headers) {
        if (beast::iequals(h.name, name)) return h.value;
    }
    return std::nullopt;
}

namespace {

constexpr std::uint32_t header_limit = 64 * 1024;
// After a 413 the rest of the body is read and thrown away (up to this much), so the client
// gets to read the answer instead of a connection reset.
constexpr std::size_t max_drained_bytes = 64u << 20;

std::string subject_of(SSL* ssl) {
    X509* cert = SSL_get1_peer_certificate(ssl);
    if (cert == nullptr) return {};
    std::array<char, 512> text{};
    X509_NAME_oneline(X509_get_subject_name(cert), text.data(), static_cast<int>(text.size()));
    X509_free(cert);
    return text.data();
}

// One chunk of a chunked body: size in hex, CRLF, data, CRLF.
void append_chunk(std::string& out, const std::string& data) {
    std::array<char, 20> size{};
    const int n = std::snprintf(size.data(), size.size(), "%zx\r\n", data.size());
    out.append(size.data(), static_cast<std::size_t>(n));
    out += data;
    out += "\r\n";
}

constexpr std::string_view last_chunk = "0\r\n\r\n";

}  // namespace

struct Server::Impl {
    ServerOptions options;
    ReplyHandler handler;
    std::shared_ptr<spdlog::logger> log;
    std::shared_ptr<asio::ssl::context> tls;
    asio::io_context io;
    asio::strand<asio::io_context::executor_type> accept_strand{asio::make_strand(io)};
    tcp::acceptor acceptor{accept_strand};
    unsigned short port = 0;
    std::vector<std::thread> threads;
    std::atomic<std::size_t> accepted{0};
    std::atomic<std::size_t> open{0};

    class Session;
    class Stream;
    std::mutex sessions_mutex;
    std::vector<std::weak_ptr<Session>> sessions;
    bool stopping = false;                  // guarded by sessions_mutex
    std::atomic<bool> stopping_now{false};  // read by sessions before they answer

    std::mutex stop_mutex;
    bool stopped = false;

    void accept();
    void add(const std::shared_ptr<Session>& s);
    Response error_response(int status, const std::string& message) const;
};

Response Server::Impl::error_response(int status, const std::string& message) const {
    if (options.error_response) return options.error_response(status, message);
    Response r;
    r.status = status;
    r.headers.push_back({"Content-Type", "text/plain"});
    r.body = message + "\n";
    return r;
}

// The application's side of a streaming response. Holds its connection weakly: a stream the
// application forgets to drop never keeps a connection (or a stopped server) alive.
class Server::Impl::Stream final : public ResponseStream {
public:
    explicit Stream(std::weak_ptr<Session> session) : session_(std::move(session)) {}
    bool write(std::string data) override;
    void close() override;
    bool ended() const override {
        std::lock_guard lock(mutex_);
        return ended_;
    }
    // The connection ended it: writes fail from now on.
    void mark_ended() {
        std::lock_guard lock(mutex_);
        ended_ = true;
    }

private:
    mutable std::mutex mutex_;
    bool ended_ = false;
    std::weak_ptr<Session> session_;
};

// One accepted connection: reads requests one after the other, answers each, until the client
// closes, a timeout, an error, or the server stops.
class Server::Impl::Session : public std::enable_shared_from_this<Session> {
public:
    Session(Impl& server, tcp::socket socket, std::string peer)
        : server_(server), peer_(std::move(peer)) {
        if (server.tls) {
            tls_.emplace(beast::tcp_stream(std::move(socket)), *server.tls);
        } else {
            tcp_.emplace(std::move(socket));
        }
        ++server_.open;
    }
    ~Session() { --server_.open; }

    void start() {
        if (!tls_) {
            read_request();
            return;
        }
        tcp().expires_after(server_.options.read_timeout);
        tls_->async_handshake(
            asio::ssl::stream_base::server, [self = shared_from_this()](error_code ec) {
                if (ec) {
                    self->server_.log->debug("TLS handshake with {} failed: {}", self->peer_,
                                             detail::describe_tls_error(ec, nullptr));
                    return self->close();
                }
                self->server_name_ = self->sni();
                self->client_subject_ = subject_of(self->tls_->native_handle());
                self->read_request();
            });
    }

    // From any thread: the server stops. A connection waiting for its next request closes now;
    // one with a request in flight closes after answering it.
    void shutdown() {
        asio::dispatch(tcp().get_executor(), [self = shared_from_this()] {
            self->stopping_ = true;
            if (self->stream_) return self->end_stream();
            if (self->waiting_ && !(self->parser_ && self->parser_->got_some())) self->close();
        });
    }

    // ---- streaming responses (on the connection's strand) ----

    void push_chunk(std::string data) {
        if (closed_ || ending_) return;
        out_.push_back(std::move(data));
        flush();
    }

    // Ends the body once the queue is sent.
    void end_stream() {
        if (stream_) stream_->mark_ended();
        ending_ = true;
        flush();
    }

    asio::any_io_executor executor() { return tcp().get_executor(); }

private:
    beast::tcp_stream& tcp() { return tls_ ? tls_->next_layer() : *tcp_; }

    template <class F>
    void visit(F&& f) {
        if (tls_) {
            f(*tls_);
        } else {
            f(*tcp_);
        }
    }

    std::string sni() {
        const char* name = SSL_get_servername(tls_->native_handle(), TLSEXT_NAMETYPE_host_name);
        return name != nullptr ? name : "";
    }

    void read_request() {
        if (stopping_) return close();
        parser_.emplace();
        parser_->header_limit(header_limit);
        parser_->body_limit(server_.options.max_body_bytes);
        waiting_ = true;
        tcp().expires_after(server_.options.read_timeout);
        visit([&](auto& stream) {
            bhttp::async_read(stream, buffer_, *parser_,
                              [self = shared_from_this()](error_code ec, std::size_t) {
                                  self->waiting_ = false;
                                  self->on_request(ec);
                              });
        });
    }

    void on_request(error_code ec) {
        if (ec == bhttp::error::body_limit) {
            server_.log->debug("request from {} refused: the body exceeds {} bytes", peer_,
                               server_.options.max_body_bytes);
            Response r = server_.error_response(
                413, "the request body exceeds " + std::to_string(server_.options.max_body_bytes) +
                         " bytes");
            return respond(std::move(r), false, /*drain=*/true);
        }
        if (ec) {
            // The client left, went silent, or sent something that is not HTTP.
            if (ec != bhttp::error::end_of_stream && ec != beast::error::timeout &&
                ec != asio::error::operation_aborted) {
                server_.log->debug("reading a request from {} failed: {}", peer_, ec.message());
            }
            if (ec.category() == error_code(bhttp::error::bad_version).category() &&
                ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
                Response r = server_.error_response(400, "malformed request: " + ec.message());
                return respond(std::move(r), false, false);
            }
            return close();
        }
        auto& msg = parser_->get();
        ServerRequest req;
        req.method = std::string(msg.method_string());
        req.target = std::string(msg.target());
        for (const auto& f : msg) {
            req.headers.push_back(Header{std::string(f.name_string()), std::string(f.value())});
        }
        req.body = std::move(msg.body());
        req.peer = peer_;
        req.server_name = server_name_;
        req.client_certificate_subject = client_subject_;
        const bool keep_alive = msg.keep_alive();
        const auto start = std::chrono::steady_clock::now();
        ServerReply reply;
        try {
            reply = server_.handler(req);
        } catch (const std::exception& e) {
            server_.log->error("the handler of {} {} threw: {}", req.method, req.target, e.what());
            reply = ServerReply{server_.error_response(500, "internal error"), {}};
        }
        server_.log->debug("{} {} from {} -> {}{} in {} ms", req.method, req.target, peer_,
                           reply.response.status, reply.open_stream ? " (stream)" : "",
                           std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - start)
                               .count());
        if (reply.open_stream) return start_stream(std::move(reply));
        respond(std::move(reply.response), keep_alive, false);
    }

    // Sends the head with chunked encoding, then whatever the stream gets, until it ends.
    void start_stream(ServerReply reply) {
        stream_ = std::make_shared<Stream>(weak_from_this());
        head_.emplace();
        head_->version(11);
        head_->result(static_cast<unsigned>(reply.response.status));
        for (auto& h : reply.response.headers) head_->insert(h.name, h.value);
        head_->chunked(true);
        head_->keep_alive(false);  // the connection ends with the stream
        head_serializer_.emplace(*head_);
        try {
            reply.open_stream(stream_);
        } catch (const std::exception& e) {
            server_.log->error("opening a stream for {} threw: {}", peer_, e.what());
            end_stream();
        }
        if (stopping_ || server_.stopping_now) end_stream();
        writing_ = true;
        tcp().expires_after(server_.options.read_timeout);
        visit([&](auto& stream) {
            bhttp::async_write_header(stream, *head_serializer_,
                                      [self = shared_from_this()](error_code ec, std::size_t) {
                                          self->writing_ = false;
                                          if (ec) return self->close();
                                          self->watch_client();
                                          self->flush();
                                      });
        });
    }

    // A streaming client sends nothing more; a read that ends means it went away.
    void watch_client() {
        tcp().expires_never();
        visit([&](auto& stream) {
            stream.async_read_some(asio::buffer(scratch_),
                                   [self = shared_from_this()](error_code ec, std::size_t) {
                                       if (ec) return self->close();
                                       self->watch_client();
                                   });
        });
    }

    // Writes everything queued as one batch of chunks; after the end, the last chunk.
    void flush() {
        if (writing_ || closed_ || !head_serializer_ || !head_serializer_->is_header_done()) return;
        if (out_.empty() && !ending_) return;
        pending_.clear();
        for (const auto& data : out_) {
            if (!data.empty()) append_chunk(pending_, data);
        }
        out_.clear();
        const bool last = ending_;
        if (last) pending_ += last_chunk;
        writing_ = true;
        // The client read is pending, so this bounds the write alone.
        tcp().expires_after(server_.options.read_timeout);
        visit([&](auto& stream) {
            asio::async_write(stream, asio::buffer(pending_),
                              [self = shared_from_this(), last](error_code ec, std::size_t) {
                                  self->writing_ = false;
                                  if (ec || last) return self->close();
                                  self->flush();
                              });
        });
    }

    void respond(Response r, bool keep_alive, bool drain) {
        response_.emplace();
        response_->version(11);
        response_->result(static_cast<unsigned>(r.status));
        for (auto& h : r.headers) response_->insert(h.name, h.value);
        response_->body() = std::move(r.body);
        response_->keep_alive(keep_alive && !stopping_ && !server_.stopping_now);
        response_->prepare_payload();
        tcp().expires_after(server_.options.read_timeout);
        visit([&](auto& stream) {
            bhttp::async_write(stream, *response_,
                               [self = shared_from_this(), drain](error_code ec, std::size_t) {
                                   const bool again = self->response_->keep_alive();
                                   self->response_.reset();
                                   if (ec) return self->close();
                                   if (drain) return self->drain();
                                   if (!again) return self->close();
                                   self->read_request();
                               });
        });
    }

    // Reads and drops what the client still sends, until it closes (or the limits pass).
    void drain() {
        if (drained_ == 0) {
            error_code ignored;
            tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
        }
        tcp().expires_after(server_.options.read_timeout);
        visit([&](auto& stream) {
            stream.async_read_some(asio::buffer(scratch_),
                                   [self = shared_from_this()](error_code ec, std::size_t n) {
                                       self->drained_ += n;
                                       if (ec || self->drained_ > max_drained_bytes)
                                           return self->close();
                                       self->drain();
                                   });
        });
    }

    void close() {
        if (stream_) stream_->mark_ended();
        if (closed_) return;
        closed_ = true;
        error_code ignored;
        tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
        tcp().close();
    }

    Impl& server_;
    std::string peer_;
    std::optional<beast::tcp_stream> tcp_;
    std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    std::optional<bhttp::response<bhttp::string_body>> response_;
    std::array<char, 16 * 1024> scratch_{};
    std::size_t drained_ = 0;
    std::string server_name_;
    std::string client_subject_;
    bool waiting_ = false;  // a read for the next request is pending
    bool stopping_ = false;
    bool closed_ = false;
    // A streaming response: its head, the chunks not yet written, the batch being written.
    std::shared_ptr<Stream> stream_;
    std::optional<bhttp::response<bhttp::empty_body>> head_;
    std::optional<bhttp::response_serializer<bhttp::empty_body>> head_serializer_;
    std::deque<std::string> out_;
    std::string pending_;
    bool writing_ = false;
    bool ending_ = false;
};

bool Server::Impl::Stream::write(std::string data) {
    std::lock_guard lock(mutex_);
    if (ended_) return false;
    auto session = session_.lock();
    if (!session) {
        ended_ = true;
        return false;
    }
    if (data.empty()) return true;
    // Posted while ended_ is still false, so the connection is alive and runs it.
    asio::post(session->executor(), [session, data = std::move(data)]() mutable {
        session->push_chunk(std::move(data));
    });
    return true;
}

void Server::Impl::Stream::close() {
    std::lock_guard lock(mutex_);
    if (ended_) return;
    ended_ = true;
    if (auto session = session_.lock()) {
        asio::post(session->executor(), [session] { session->end_stream(); });
    }
}

void Server::Impl::add(const std::shared_ptr<Session>& s) {
    bool stop_now = false;
    {
        std::lock_guard lock(sessions_mutex);
        std::erase_if(sessions, [](const std::weak_ptr<Session>& w) { return w.expired(); });
        sessions.push_back(s);
        stop_now = stopping;
    }
    s->start();
    if (stop_now) s->shutdown();
}

void Server::Impl::accept() {
    acceptor.async_accept(asio::make_strand(io), [this](error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
        if (!ec) {
            ++accepted;
            error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);  // answers go out at once
            error_code peer_ec;
            const auto peer = socket.remote_endpoint(peer_ec);
            std::string who = peer_ec
                                  ? std::string("?")
                                  : peer.address().to_string() + ":" + std::to_string(peer.port());
            auto session = std::make_shared<Session>(*this, std::move(socket), std::move(who));
            add(session);
        } else {
            log->warn("accepting a connection on port {} failed: {}", port, ec.message());
        }
        accept();
    });
}

Result<std::unique_ptr<Server>> Server::start(ServerOptions options, Handler handler) {
    return start(std::move(options),
                 ReplyHandler([handler = std::move(handler)](const ServerRequest& request) {
                     return ServerReply{handler(request), {}};
                 }));
}

Result<std::unique_ptr<Server>> Server::start(ServerOptions options, ReplyHandler handler) {
    auto impl = std::make_unique<Impl>();
    impl->log = detail::named_logger(options.logger);
    if (options.tls) {
        auto ctx = detail::make_server_context(options.tls->certificate_file, options.tls->key_file,
                                               options.tls->client_ca_file);
        if (!ctx) return std::move(ctx).error();
        impl->tls = std::move(*ctx);
    }
    error_code ec;
    const auto address = asio::ip::make_address(options.address, ec);
    if (ec) {
        return make_error(Errc::invalid_argument,
                          "the server address \"" + options.address + "\" is not an IP address");
    }
    const tcp::endpoint endpoint(address, options.port);
    auto& acceptor = impl->acceptor;
    const std::string where = options.address + ":" + std::to_string(options.port);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        return make_error(Errc::io, "cannot listen on " + where + ": " + ec.message());
    }
    impl->port = acceptor.local_endpoint().port();
    impl->handler = std::move(handler);
    impl->options = std::move(options);
    impl->accept();
    const int threads = std::max(1, impl->options.threads);
    for (int i = 0; i < threads; ++i) {
        impl->threads.emplace_back([io = &impl->io] { io->run(); });
    }
    impl->log->debug("HTTP server listening on {}:{}", impl->options.address, impl->port);
    return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
    stop();
}

unsigned short Server::port() const noexcept {
    return impl_->port;
}

std::string Server::url() const {
    const auto& address = impl_->options.address;
    const std::string host = address.find(':') != std::string::npos ? "[" + address + "]" : address;
    return (impl_->tls ? "https://" : "http://") + host + ":" + std::to_string(impl_->port);
}

std::size_t Server::connections_accepted() const noexcept {
    return impl_->accepted;
}

std::size_t Server::open_connections() const noexcept {
    return impl_->open;
}

void Server::stop() {
    Impl& impl = *impl_;
    std::lock_guard stop_lock(impl.stop_mutex);
    if (impl.stopped) return;
    impl.stopped = true;
    impl.stopping_now = true;
    asio::post(impl.accept_strand, [&impl] {
        error_code ignored;
        impl.acceptor.close(ignored);
    });
    std::vector<std::shared_ptr<Impl::Session>> live;
    {
        std::lock_guard lock(impl.sessions_mutex);
        impl.stopping = true;
        for (auto& w : impl.sessions) {
            if (auto s = w.lock()) live.push_back(std::move(s));
        }
        impl.sessions.clear();
    }
    for (auto& s : live) s->shutdown();
    live.clear();
    // The threads return once the last connection has closed and nothing is left to do.
    for (auto& t : impl.threads) t.join();
    impl.log->debug("HTTP server on port {} stopped", impl.port);
}

}  // namespace meshorch::http
