// Internal: keep-alive connections per origin (scheme, host, port), at most a fixed number each.
#pragma once

#include "http/connection.hpp"

#include <meshorch/error.hpp>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace meshorch::http::detail {

class ConnectionPool {
public:
    ConnectionPool(std::size_t max_per_origin, std::chrono::milliseconds idle_timeout);

    // What acquire() hands out: an idle connection to reuse, or (connection null) a reserved
    // slot for a new one that the caller opens and later gives back or discards.
    struct Lease {
        std::shared_ptr<Connection> connection;
    };

    // Waits for a free connection or slot until `deadline` (Errc::timeout) or a cancel of
    // `cancel` (Errc::cancelled). `fresh` asks for a slot for a new connection even when idle
    // ones exist (an idle one is closed to make room).
    Result<Lease> acquire(const std::string& origin, bool fresh, Deadline deadline,
                          const CancelToken& cancel);
    // The exchange finished cleanly and the server keeps the connection open.
    void give_back(const std::string& origin, std::shared_ptr<Connection> connection);
    // Frees the slot of a connection that is closed or was never opened.
    void discard(const std::string& origin, std::shared_ptr<Connection> connection);
    // Wakes waiters so they look at their cancel tokens.
    void wake();
    // Closes every idle connection (the client is going away).
    void close_idle();

private:
    struct Origin {
        std::vector<std::shared_ptr<Connection>> idle;  // most recently used last
        std::size_t total = 0;                          // idle + in use + being opened
    };
    // Takes out the idle connections of `o` that sat unused longer than the idle timeout.
    void take_expired(Origin& o, std::vector<std::shared_ptr<Connection>>& out);

    const std::size_t max_per_origin_;
    const std::chrono::milliseconds idle_timeout_;
    std::mutex mutex_;
    std::condition_variable freed_;
    std::map<std::string, Origin> origins_;
};

}  // namespace meshorch::http::detail
