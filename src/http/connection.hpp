// Internal: one client connection (TCP, optionally TLS) and the blocking way callers drive it.
//
// Every asynchronous operation runs on the connection's strand; a caller thread starts one
// stage (resolve, connect, handshake, write, read) with run() and waits for it. A stage that
// outlives its deadline, and a cancel, close the socket, which ends the pending operation at once.
#pragma once

#include <meshorch/cancel.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>

namespace meshorch::http::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct StageResult {
    boost::system::error_code ec;
    std::size_t bytes = 0;
    bool timed_out = false;  // the stage's deadline closed the connection
    bool cancelled = false;  // a cancel closed the connection
};

class Connection : public std::enable_shared_from_this<Connection> {
public:
    using Strand = asio::strand<asio::io_context::executor_type>;
    using Handler = std::function<void(boost::system::error_code, std::size_t)>;

    // `tls` null: plain TCP.
    Connection(asio::io_context& io, asio::ssl::context* tls);

    // Starts `initiate(handler)` on the strand and blocks until the handler ran. The
    // operation must complete through `handler` exactly once.
    StageResult run(Deadline deadline, std::function<void(Handler)> initiate);

    // Tags the exchange now running, so a late cancel of an earlier exchange is ignored;
    // end_exchange() makes every cancel still on its way stale.
    std::uint64_t begin_exchange() { return ++exchange_; }
    void end_exchange() { ++exchange_; }
    // True once a deadline, a cancel or close() closed the socket.
    bool is_closed() const { return closed_; }
    // From any thread: closes the connection if `exchange` is still the one running.
    void cancel(std::uint64_t exchange);
    // From any thread: closes the connection.
    void close();

    // Calls f with the stream to read and write: the TLS stream or the TCP socket.
    template <class F>
    auto visit(F&& f) {
        if (tls_) return f(*tls_);
        return f(socket_);
    }

    tcp::socket& socket() { return tls_ ? tls_->next_layer() : socket_; }
    asio::ssl::stream<tcp::socket>* tls() { return tls_ ? &*tls_ : nullptr; }
    tcp::resolver& resolver() { return resolver_; }
    boost::beast::flat_buffer& buffer() { return buffer_; }

    // Set by the pool: whether the connection served an exchange before, and since when it
    // sits idle.
    bool reused = false;
    Clock::time_point idle_since{};

private:
    void start_stage(Deadline deadline, std::function<void(Handler)> initiate,
                     std::shared_ptr<std::promise<StageResult>> done);
    void close_on_strand();

    Strand strand_;
    tcp::socket socket_;
    std::optional<asio::ssl::stream<tcp::socket>> tls_;
    tcp::resolver resolver_;
    asio::steady_timer timer_;
    boost::beast::flat_buffer buffer_;
    std::atomic<std::uint64_t> exchange_{0};
    std::atomic<bool> closed_{false};  // written on the strand only
    // Strand-only state.
    std::uint64_t stage_ = 0;
    bool stage_open_ = false;
    bool timed_out_ = false;
    bool cancelled_ = false;
};

}  // namespace meshorch::http::detail
