#include "http/connection_pool.hpp"

namespace meshorch::http::detail {
namespace {

void close_all(std::vector<std::shared_ptr<Connection>>& connections) {
    for (auto& c : connections) c->close();
    connections.clear();
}

}  // namespace

ConnectionPool::ConnectionPool(std::size_t max_per_origin, std::chrono::milliseconds idle_timeout)
    : max_per_origin_(max_per_origin == 0 ? 1 : max_per_origin), idle_timeout_(idle_timeout) {}

void ConnectionPool::take_expired(Origin& o, std::vector<std::shared_ptr<Connection>>& out) {
    const auto now = Clock::now();
    std::erase_if(o.idle, [&](const std::shared_ptr<Connection>& c) {
        if (now - c->idle_since < idle_timeout_) return false;
        out.push_back(c);
        --o.total;
        return true;
    });
}

Result<ConnectionPool::Lease> ConnectionPool::acquire(const std::string& origin, bool fresh,
                                                      Deadline deadline,
                                                      const CancelToken& cancel) {
    std::vector<std::shared_ptr<Connection>> to_close;
    Result<Lease> lease = make_error(Errc::internal, "no connection");
    // Far enough to mean "no deadline" without overflowing the wait's arithmetic.
    const auto wait_limit = std::min(deadline, Clock::now() + std::chrono::hours(24 * 365));
    {
        std::unique_lock lock(mutex_);
        Origin& o = origins_[origin];
        for (;;) {
            take_expired(o, to_close);
            if (cancel.cancelled()) {
                lease = make_error(Errc::cancelled,
                                   "cancelled while waiting for a connection to " + origin);
                break;
            }
            if (!fresh && !o.idle.empty()) {
                lease = Lease{std::move(o.idle.back())};
                o.idle.pop_back();
                break;
            }
            if (o.total < max_per_origin_) {
                ++o.total;
                lease = Lease{};
                break;
            }
            if (fresh && !o.idle.empty()) {  // make room: the new one takes the idle one's slot
                to_close.push_back(std::move(o.idle.front()));
                o.idle.erase(o.idle.begin());
                lease = Lease{};
                break;
            }
            // All in use: wait for one to come back.
            if (freed_.wait_until(lock, wait_limit) == std::cv_status::timeout &&
                Clock::now() >= deadline) {
                lease = make_error(Errc::timeout, "no connection to " + origin +
                                                      " became free before the deadline (" +
                                                      std::to_string(o.total) + " in use)");
                break;
            }
        }
    }
    close_all(to_close);
    return lease;
}

void ConnectionPool::give_back(const std::string& origin, std::shared_ptr<Connection> connection) {
    std::vector<std::shared_ptr<Connection>> to_close;
    {
        std::lock_guard lock(mutex_);
        connection->reused = true;
        connection->idle_since = Clock::now();
        for (auto& [key, o] : origins_) take_expired(o, to_close);
        origins_[origin].idle.push_back(std::move(connection));
    }
    freed_.notify_all();
    close_all(to_close);
}

void ConnectionPool::discard(const std::string& origin, std::shared_ptr<Connection> connection) {
    {
        std::lock_guard lock(mutex_);
        --origins_[origin].total;
    }
    freed_.notify_all();
    if (connection) connection->close();
}

void ConnectionPool::wake() {
    { std::lock_guard lock(mutex_); }  // a waiter between its check and its wait sees the notify
    freed_.notify_all();
}

void ConnectionPool::close_idle() {
    std::vector<std::shared_ptr<Connection>> to_close;
    {
        std::lock_guard lock(mutex_);
        for (auto& [key, o] : origins_) {
            for (auto& c : o.idle) to_close.push_back(std::move(c));
            o.total -= o.idle.size();
            o.idle.clear();
        }
    }
    close_all(to_close);
}

}  // namespace meshorch::http::detail
