// Internal: the open Server-Sent Events streams and what feeds them.
//
// One orchestrator subscription for all streams: each event is encoded once and written to
// every stream that wants it, as
//
//   event: workload
//   id: 42
//   data: {"type": "workload", "operationId": ..., ...}
//
// Ids count the events this server has seen. A `: keep-alive` comment goes to every stream
// each interval, which also finds (and drops) streams whose clients went away.
#pragma once

#include "http/server.hpp"

#include <meshorch/orchestrator.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace meshorch::api {

class EventStreams {
public:
    EventStreams(Orchestrator& orchestrator, std::chrono::milliseconds keep_alive_interval);
    ~EventStreams();  // close_all()
    EventStreams(const EventStreams&) = delete;
    EventStreams& operator=(const EventStreams&) = delete;

    // Feeds a stream from now on: every event, or only those of `service` when not empty.
    void add(std::shared_ptr<http::ResponseStream> stream, std::string service);
    // Ends every stream and stops feeding; a stream added later is ended at once. Idempotent.
    void close_all();
    std::size_t open_streams() const;

private:
    struct Listener {
        std::shared_ptr<http::ResponseStream> stream;
        std::string service;
    };
    void publish(const Event& event);
    void keep_alive_loop();

    Orchestrator& orchestrator_;
    std::chrono::milliseconds keep_alive_interval_;
    SubscriptionId subscription_ = 0;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool closed_ = false;
    std::uint64_t last_id_ = 0;
    std::vector<Listener> listeners_;
    std::thread keep_alive_;
};

}  // namespace meshorch::api
