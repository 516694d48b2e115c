#include "http/client.hpp"

#include "http/connection.hpp"
#include "http/connection_pool.hpp"
#include "http/log.hpp"
#include "http/tls.hpp"
#include "http/url.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <spdlog/spdlog.h>

#include <limits>
#include <mutex>
#include <thread>

namespace meshorch::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using detail::Connection;
using detail::StageResult;
using detail::Url;
using Millis = std::chrono::milliseconds;

namespace {

constexpr std::size_t io_threads = 2;
constexpr std::uint32_t header_limit = 64 * 1024;
constexpr std::size_t logged_body_bytes = 512;
constexpr std::size_t stream_buffer_bytes = 16 * 1024;

long long millis_since(Clock::time_point start) {
    return std::chrono::duration_cast<Millis>(Clock::now() - start).count();
}

Deadline stage_deadline(Millis timeout, const CallContext& ctx) {
    return std::min(Clock::now() + timeout, ctx.deadline);
}

std::string op_suffix(const CallContext& ctx) {
    return ctx.operation_id.empty() ? std::string() : " [op " + ctx.operation_id + "]";
}

std::string excerpt(std::string_view body) {
    if (body.size() <= logged_body_bytes) return std::string(body);
    return std::string(body.substr(0, logged_body_bytes)) + "... (" + std::to_string(body.size()) +
           " bytes)";
}

// The connection ended before the response did, as servers do to idle keep-alive connections.
bool is_connection_drop(const boost::system::error_code& ec) {
    namespace e = boost::asio::error;
    return ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
           ec == e::eof || ec == e::connection_reset || ec == e::connection_aborted ||
           ec == e::broken_pipe || ec == boost::asio::ssl::error::stream_truncated;
}

// One call (send or stream): the request, its URL, and what the error messages need.
struct Call {
    const Request& request;
    const CallContext& ctx;
    Url url;
    std::string what;  // "GET https://host/path", for messages and log lines
    Clock::time_point start = Clock::now();
};

// Lets a cancel from another thread reach whatever the call waits for right now.
struct CancelHook {
    std::mutex mutex;
    std::shared_ptr<Connection> connection;
    std::uint64_t exchange = 0;
    std::weak_ptr<detail::ConnectionPool> pool;

    void attach(const std::shared_ptr<Connection>& c) {
        std::lock_guard lock(mutex);
        connection = c;
        exchange = c->begin_exchange();
    }
    void detach() {
        std::lock_guard lock(mutex);
        if (connection) connection->end_exchange();
        connection.reset();
    }
    void fire() {
        std::lock_guard lock(mutex);
        if (connection) connection->cancel(exchange);
        if (auto p = pool.lock()) p->wake();
    }
};

class CancelRegistration {
public:
    CancelRegistration(const CancelToken& token, std::shared_ptr<CancelHook> hook)
        : token_(token), id_(token.on_cancel([hook] { hook->fire(); })) {}
    ~CancelRegistration() { token_.forget(id_); }
    CancelRegistration(const CancelRegistration&) = delete;
    CancelRegistration& operator=(const CancelRegistration&) = delete;

private:
    CancelToken token_;
    std::uint64_t id_;
};

// Why one stage failed, as the error the caller gets.
Error stage_error(const Call& call, const char* stage, const StageResult& r, Millis timeout,
                  bool got_response_bytes, const std::string& tls_detail = {}) {
    const auto& ec = r.ec;
    const std::string where = call.url.authority_with_port();
    if (r.cancelled) {
        return make_error(Errc::cancelled, call.what + " was cancelled while " + stage);
    }
    if (r.timed_out) {
        const bool deadline_first = Clock::now() >= call.ctx.deadline;
        return make_error(
            Errc::timeout,
            call.what + " timed out while " + stage + " after " +
                std::to_string(millis_since(call.start)) + " ms (" +
                (deadline_first ? std::string("the call's deadline passed")
                                : "the limit is " + std::to_string(timeout.count()) + " ms") +
                ")");
    }
    if (detail::is_tls_error(ec)) {
        std::string message =
            std::string("TLS ") +
            (std::string_view(stage) == "handshaking" ? "handshake with " : "error from ") + where +
            " failed: " + (tls_detail.empty() ? ec.message() : tls_detail);
        if (std::string_view(stage) != "handshaking")
            message += " (while " + std::string(stage) + ")";
        return make_error(Errc::backend, message);
    }
    if (ec == bhttp::error::body_limit) {
        return make_error(Errc::backend, "the response to " + call.what +
                                             " is larger than the limit of " +
                                             std::string("max_body_bytes"));
    }
    if (is_connection_drop(ec)) {
        if (got_response_bytes) {
            return make_error(Errc::transient,
                              "the response to " + call.what + " was truncated: " + where +
                                  " closed the connection mid-response (" + ec.message() + ")");
        }
        return make_error(Errc::transient, where + " closed the connection while " + stage +
                                               " for " + call.what + " (" + ec.message() + ")");
    }
    if (ec.category() == boost::system::error_code(bhttp::error::bad_version).category()) {
        return make_error(Errc::backend, "malformed HTTP response from " + where + " to " +
                                             call.what + ": " + ec.message());
    }
    return make_error(Errc::transient,
                      call.what + " failed while " + stage + " (" + where + "): " + ec.message());
}

Response head_of(const bhttp::response_header<>& h) {
    Response r;
    r.status = static_cast<int>(h.result_int());
    for (const auto& f : h) {
        r.headers.push_back(Header{std::string(f.name_string()), std::string(f.value())});
    }
    return r;
}

}  // namespace

struct Client::Impl {
    ClientOptions options;
    std::shared_ptr<boost::asio::ssl::context> tls;
    std::shared_ptr<spdlog::logger> log;
    boost::asio::io_context io;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{
        io.get_executor()};
    std::vector<std::thread> threads;
    std::shared_ptr<detail::ConnectionPool> pool;

    ~Impl() {
        pool->close_idle();
        work.reset();
        io.stop();
        for (auto& t : threads) t.join();
    }

    // A connection for `call`: from the pool, or new (resolved, connected, handshaken).
    Result<std::shared_ptr<Connection>> connect(const Call& call, bool fresh, CancelHook& hook);
    // Writes the request; the caller then reads the response.
    Result<bhttp::request<bhttp::string_body>> build(const Call& call) const;
    // `retry`: failed on a reused connection before any response byte came back.
    // `keep`: the server keeps the connection open for the next exchange.
    Result<Response> exchange(const Call& call, Connection& c, bool& retry, bool& keep);
    Status stream_on(const Call& call, Connection& c, bool& retry,
                     const std::function<void(const Response&)>& on_head,
                     const std::function<bool(std::string_view)>& on_data, bool& stopped);
    void log_request(const Call& call) const;
    void log_response(const Call& call, const Response& r) const;
    void log_failure(const Call& call, const Error& e) const;
};

Result<std::shared_ptr<Client>> Client::create(ClientOptions options) {
    auto tls = detail::make_client_context(options.tls);
    if (!tls) return std::move(tls).error();
    auto impl = std::make_unique<Impl>();
    impl->log = detail::named_logger(options.logger);
    if (!options.tls.verify_peer) {
        impl->log->warn(
            "TLS peer verification is OFF for this HTTP client: any server can impersonate the "
            "ones it talks to (verify_peer=false)");
    }
    impl->tls = std::move(*tls);
    impl->pool = std::make_shared<detail::ConnectionPool>(options.max_connections_per_host,
                                                          options.idle_timeout);
    impl->options = std::move(options);
    for (std::size_t i = 0; i < io_threads; ++i) {
        impl->threads.emplace_back([io = &impl->io] { io->run(); });
    }
    return std::shared_ptr<Client>(new Client(std::move(impl)));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

const ClientOptions& Client::options() const noexcept {
    return impl_->options;
}

Result<std::shared_ptr<Connection>> Client::Impl::connect(const Call& call, bool fresh,
                                                          CancelHook& hook) {
    const std::string origin = call.url.origin();
    auto lease = pool->acquire(origin, fresh, call.ctx.deadline, call.ctx.cancel);
    if (!lease) {
        Error e = std::move(lease).error();
        e.message = call.what + ": " + e.message;
        return e;
    }
    if (lease->connection) {
        hook.attach(lease->connection);
        return std::move(lease->connection);
    }
    auto c = std::make_shared<Connection>(io, call.url.tls ? tls.get() : nullptr);
    hook.attach(c);
    auto fail = [&](Error e) -> Result<std::shared_ptr<Connection>> {
        hook.detach();
        pool->discard(origin, c);
        return e;
    };
    if (call.ctx.cancel.cancelled()) {
        return fail(make_error(Errc::cancelled, call.what + " was cancelled while connecting"));
    }
    const Deadline deadline = stage_deadline(options.connect_timeout, call.ctx);
    detail::tcp::resolver::results_type results;
    auto r = c->run(deadline, [&](Connection::Handler h) {
        c->resolver().async_resolve(
            call.url.host, call.url.port,
            [h, &results](boost::system::error_code ec, detail::tcp::resolver::results_type rs) {
                results = std::move(rs);
                h(ec, 0);
            });
    });
    if (r.ec) {
        if (r.timed_out || r.cancelled) {
            return fail(stage_error(call, "resolving the host", r, options.connect_timeout, false));
        }
        return fail(make_error(Errc::transient, call.what + ": cannot resolve the host \"" +
                                                    call.url.host + "\": " + r.ec.message()));
    }
    r = c->run(deadline, [&](Connection::Handler h) {
        boost::asio::async_connect(
            c->socket(), results,
            [h, c](boost::system::error_code ec, const detail::tcp::endpoint&) {
                if (!ec) c->socket().set_option(detail::tcp::no_delay(true), ec);
                h(ec, 0);
            });
    });
    if (r.ec) {
        if (r.timed_out || r.cancelled) {
            return fail(stage_error(call, "connecting", r, options.connect_timeout, false));
        }
        return fail(make_error(Errc::transient, call.what + ": cannot connect to " +
                                                    call.url.authority_with_port() + ": " +
                                                    r.ec.message()));
    }
    if (auto* stream = c->tls()) {
        const std::string name =
            options.tls.server_name.empty() ? call.url.host : options.tls.server_name;
        std::string tls_detail;
        r = c->run(deadline, [&](Connection::Handler h) {
            detail::set_peer_name(stream->native_handle(), name, options.tls.verify_peer);
            stream->async_handshake(boost::asio::ssl::stream_base::client,
                                    [h, stream, &tls_detail](boost::system::error_code ec) {
                                        if (ec) {
                                            tls_detail = detail::describe_tls_error(
                                                ec, stream->native_handle());
                                        }
                                        h(ec, 0);
                                    });
        });
        if (r.ec) {
            if (!r.timed_out && !r.cancelled && !detail::is_tls_error(r.ec)) {
                return fail(make_error(Errc::transient, "TLS handshake with " +
                                                            call.url.authority_with_port() +
                                                            " failed: " + r.ec.message() +
                                                            " (for " + call.what + ")"));
            }
            Error e =
                stage_error(call, "handshaking", r, options.connect_timeout, false, tls_detail);
            if (tls_detail.find("mismatch") != std::string::npos) {
                e.message += ": the server's certificate is not valid for \"" + name + "\"";
            }
            return fail(std::move(e));
        }
    }
    return c;
}

Result<bhttp::request<bhttp::string_body>> Client::Impl::build(const Call& call) const {
    bhttp::request<bhttp::string_body> req;
    const auto verb = bhttp::string_to_verb(call.request.method);
    if (verb == bhttp::verb::unknown) {
        return make_error(Errc::invalid_argument,
                          "unknown HTTP method \"" + call.request.method + "\"");
    }
    req.method(verb);
    req.target(call.url.target);
    req.version(11);
    req.set(bhttp::field::host, call.url.authority());
    req.set(bhttp::field::user_agent, options.user_agent);
    for (const auto& h : call.request.headers) req.set(h.name, h.value);
    req.body() = call.request.body;
    req.prepare_payload();
    return req;
}

Result<Response> Client::Impl::exchange(const Call& call, Connection& c, bool& retry, bool& keep) {
    auto req = build(call);
    if (!req) return std::move(req).error();
    const Deadline deadline = stage_deadline(options.request_timeout, call.ctx);
    auto r = c.run(deadline, [&](Connection::Handler h) {
        c.visit([&](auto& stream) { bhttp::async_write(stream, *req, std::move(h)); });
    });
    if (r.ec) {
        retry = c.reused && !r.timed_out && !r.cancelled && is_connection_drop(r.ec);
        return stage_error(call, "sending the request", r, options.request_timeout, false);
    }
    bhttp::response_parser<bhttp::string_body> parser;
    parser.header_limit(header_limit);
    parser.body_limit(options.max_body_bytes);
    if (req->method() == bhttp::verb::head) parser.skip(true);
    r = c.run(deadline, [&](Connection::Handler h) {
        c.visit([&](auto& stream) { bhttp::async_read(stream, c.buffer(), parser, std::move(h)); });
    });
    if (r.ec) {
        retry = c.reused && !r.timed_out && !r.cancelled && !parser.got_some() &&
                is_connection_drop(r.ec);
        Error e = stage_error(call, "reading the response", r, options.request_timeout,
                              parser.got_some());
        if (r.ec == bhttp::error::body_limit) {
            e.message = "the response to " + call.what + " is larger than max_body_bytes (" +
                        std::to_string(options.max_body_bytes) + " bytes)";
        }
        return e;
    }
    auto& msg = parser.get();
    Response res = head_of(msg.base());
    res.body = std::move(msg.body());
    keep = msg.keep_alive() && !parser.need_eof();
    return res;
}

Result<Response> Client::send(const Request& request, const CallContext& ctx) {
    Impl& impl = *impl_;
    auto url = detail::parse_url(request.url);
    if (!url) return std::move(url).error();
    Call call{request, ctx, std::move(*url), request.method + " " + request.url};
    impl.log_request(call);
    auto hook = std::make_shared<CancelHook>();
    hook->pool = impl.pool;
    CancelRegistration registration(ctx.cancel, hook);
    const std::string origin = call.url.origin();
    for (int attempt = 0;; ++attempt) {
        auto c = impl.connect(call, attempt > 0, *hook);
        if (!c) {
            impl.log_failure(call, c.error());
            return std::move(c).error();
        }
        auto connection = std::move(*c);
        bool retry = false;
        bool keep = false;
        Result<Response> res =
            ctx.cancel.cancelled()
                ? Result<Response>(make_error(Errc::cancelled, call.what + " was cancelled"))
                : impl.exchange(call, *connection, retry, keep);
        hook->detach();
        if (res.ok() && keep && !connection->is_closed()) {
            impl.pool->give_back(origin, std::move(connection));
        } else {
            impl.pool->discard(origin, std::move(connection));
        }
        if (!res && retry && attempt == 0) {
            impl.log->debug(
                "{}: the reused connection was closed by the server, retrying on a "
                "new one ({}){}",
                call.what, res.error().message, op_suffix(ctx));
            continue;
        }
        if (res) {
            impl.log_response(call, *res);
        } else {
            impl.log_failure(call, res.error());
        }
        return res;
    }
}

Status Client::Impl::stream_on(const Call& call, Connection& c, bool& retry,
                               const std::function<void(const Response&)>& on_head,
                               const std::function<bool(std::string_view)>& on_data,
                               bool& stopped) {
    auto req = build(call);
    if (!req) return std::move(req).error();
    const Deadline head_deadline = stage_deadline(options.request_timeout, call.ctx);
    auto r = c.run(head_deadline, [&](Connection::Handler h) {
        c.visit([&](auto& stream) { bhttp::async_write(stream, *req, std::move(h)); });
    });
    if (r.ec) {
        retry = c.reused && !r.timed_out && !r.cancelled && is_connection_drop(r.ec);
        return stage_error(call, "sending the request", r, options.request_timeout, false);
    }
    bhttp::response_parser<bhttp::buffer_body> parser;
    parser.header_limit(header_limit);
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // a watch has no end
    r = c.run(head_deadline, [&](Connection::Handler h) {
        c.visit([&](auto& stream) {
            bhttp::async_read_header(stream, c.buffer(), parser, std::move(h));
        });
    });
    if (r.ec) {
        retry = c.reused && !r.timed_out && !r.cancelled && !parser.got_some() &&
                is_connection_drop(r.ec);
        return stage_error(call, "reading the response", r, options.request_timeout,
                           parser.got_some());
    }
    Response head = head_of(parser.get().base());
    log_response(call, head);
    on_head(head);
    // The body comes as the server sends it: each read returns what arrived, bounded only by
    // the call's deadline (a watch may stay quiet for long).
    std::vector<char> piece(stream_buffer_bytes);
    while (!parser.is_done()) {
        parser.get().body().data = piece.data();
        parser.get().body().size = piece.size();
        r = c.run(call.ctx.deadline, [&](Connection::Handler h) {
            c.visit([&](auto& stream) {
                bhttp::async_read_some(stream, c.buffer(), parser, std::move(h));
            });
        });
        if (r.ec == bhttp::error::need_buffer) r.ec = {};
        if (r.ec) {
            return stage_error(call, "streaming the response body", r, Millis::max(), true);
        }
        const std::size_t n = piece.size() - parser.get().body().size;
        if (n > 0 && !on_data(std::string_view(piece.data(), n))) {
            stopped = true;
            return Ok{};
        }
    }
    return Ok{};
}

Status Client::stream(const Request& request, const CallContext& ctx,
                      const std::function<void(const Response& head)>& on_head,
                      const std::function<bool(std::string_view data)>& on_data) {
    Impl& impl = *impl_;
    auto url = detail::parse_url(request.url);
    if (!url) return std::move(url).error();
    Call call{request, ctx, std::move(*url), request.method + " " + request.url};
    impl.log_request(call);
    auto hook = std::make_shared<CancelHook>();
    hook->pool = impl.pool;
    CancelRegistration registration(ctx.cancel, hook);
    const std::string origin = call.url.origin();
    for (int attempt = 0;; ++attempt) {
        auto c = impl.connect(call, attempt > 0, *hook);
        if (!c) {
            impl.log_failure(call, c.error());
            return std::move(c).error();
        }
        auto connection = std::move(*c);
        bool retry = false;
        bool stopped = false;
        Status res = ctx.cancel.cancelled()
                         ? Status(make_error(Errc::cancelled, call.what + " was cancelled"))
                         : impl.stream_on(call, *connection, retry, on_head, on_data, stopped);
        hook->detach();
        impl.pool->discard(origin, std::move(connection));  // a stream's connection is spent
        if (!res && retry && attempt == 0) continue;
        if (res) {
            impl.log->debug("{}: stream {} after {} ms{}", call.what,
                            stopped ? "stopped by the reader" : "ended", millis_since(call.start),
                            op_suffix(ctx));
        } else {
            impl.log_failure(call, res.error());
        }
        return res;
    }
}

void Client::Impl::log_request(const Call& call) const {
    if (!log->should_log(spdlog::level::trace)) return;
    log->trace("> {}{}", call.what, op_suffix(call.ctx));
    for (const auto& h : call.request.headers) {
        log->trace("> {}: {}", h.name, loggable_header_value(h.name, h.value));
    }
    if (call.request.body.empty()) return;
    if (call.request.secret_body) {
        log->trace("> <{} bytes of body redacted>", call.request.body.size());
    } else {
        log->trace("> {}", excerpt(call.request.body));
    }
}

void Client::Impl::log_response(const Call& call, const Response& r) const {
    log->debug("{} -> {} ({} bytes) in {} ms{}", call.what, r.status, r.body.size(),
               millis_since(call.start), op_suffix(call.ctx));
    if (!log->should_log(spdlog::level::trace)) return;
    for (const auto& h : r.headers) {
        log->trace("< {}: {}", h.name, loggable_header_value(h.name, h.value));
    }
    // Success bodies may carry credentials (a TokenRequest's token); error bodies explain.
    if (r.status >= 400 && !r.body.empty() && !call.request.secret_body) {
        log->trace("< {}", excerpt(r.body));
    }
}

void Client::Impl::log_failure(const Call& call, const Error& e) const {
    log->debug("{} failed after {} ms: {}{}", call.what, millis_since(call.start), e.message,
               op_suffix(call.ctx));
}

}  // namespace meshorch::http
