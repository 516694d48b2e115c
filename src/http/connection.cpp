#include "http/connection.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <future>

namespace meshorch::http::detail {
namespace {

// Far enough to mean "no deadline" without overflowing the timer's arithmetic.
Deadline clamp(Deadline d) {
    const auto far = Clock::now() + std::chrono::hours(24 * 365);
    return d < far ? d : far;
}

}  // namespace

Connection::Connection(asio::io_context& io, asio::ssl::context* tls)
    : strand_(asio::make_strand(io)), socket_(strand_), resolver_(strand_), timer_(strand_) {
    if (tls != nullptr) tls_.emplace(strand_, *tls);
}

StageResult Connection::run(Deadline deadline, std::function<void(Handler)> initiate) {
    auto done = std::make_shared<std::promise<StageResult>>();
    auto result = done->get_future();
    asio::dispatch(strand_, [self = shared_from_this(), deadline, initiate = std::move(initiate),
                             done]() mutable {
        self->start_stage(deadline, std::move(initiate), std::move(done));
    });
    return result.get();
}

void Connection::start_stage(Deadline deadline, std::function<void(Handler)> initiate,
                             std::shared_ptr<std::promise<StageResult>> done) {
    const auto stage = ++stage_;
    if (closed_) {
        done->set_value(StageResult{asio::error::operation_aborted, 0, timed_out_, cancelled_});
        return;
    }
    stage_open_ = true;
    timer_.expires_at(clamp(deadline));
    timer_.async_wait([self = shared_from_this(), stage](boost::system::error_code ec) {
        if (ec || self->stage_ != stage || !self->stage_open_) return;
        self->timed_out_ = true;
        self->close_on_strand();
    });
    initiate(
        [self = shared_from_this(), stage, done](boost::system::error_code ec, std::size_t bytes) {
            if (self->stage_ == stage) {
                self->stage_open_ = false;
                self->timer_.cancel();
            }
            done->set_value(StageResult{ec, bytes, self->timed_out_, self->cancelled_});
        });
}

void Connection::cancel(std::uint64_t exchange) {
    asio::post(strand_, [self = shared_from_this(), exchange] {
        if (self->exchange_ != exchange) return;
        self->cancelled_ = true;
        self->close_on_strand();
    });
}

void Connection::close() {
    asio::post(strand_, [self = shared_from_this()] { self->close_on_strand(); });
}

void Connection::close_on_strand() {
    closed_ = true;
    boost::system::error_code ignored;
    resolver_.cancel();
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
    timer_.cancel();
}

}  // namespace meshorch::http::detail
