#include "api/event_streams.hpp"

#include "api/json_encoding.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>

namespace meshorch::api {

EventStreams::EventStreams(Orchestrator& orchestrator,
                           std::chrono::milliseconds keep_alive_interval)
    : orchestrator_(orchestrator), keep_alive_interval_(keep_alive_interval) {
    subscription_ = orchestrator_.subscribe([this](const Event& e) { publish(e); });
    keep_alive_ = std::thread([this] { keep_alive_loop(); });
}

EventStreams::~EventStreams() {
    close_all();
}

void EventStreams::add(std::shared_ptr<http::ResponseStream> stream, std::string service) {
    std::lock_guard lock(mutex_);
    if (closed_) {
        stream->close();
        return;
    }
    // A first comment: the client sees the stream is open before any event comes.
    stream->write(": connected\n\n");
    listeners_.push_back({std::move(stream), std::move(service)});
}

void EventStreams::close_all() {
    {
        std::lock_guard lock(mutex_);
        if (closed_) return;
        closed_ = true;
    }
    orchestrator_.unsubscribe(subscription_);
    wake_.notify_all();
    keep_alive_.join();
    std::vector<Listener> listeners;
    {
        std::lock_guard lock(mutex_);
        listeners.swap(listeners_);
    }
    for (auto& l : listeners) l.stream->close();
}

std::size_t EventStreams::open_streams() const {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(
        std::count_if(listeners_.begin(), listeners_.end(),
                      [](const Listener& l) { return !l.stream->ended(); }));
}

void EventStreams::publish(const Event& event) {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    ++last_id_;
    if (listeners_.empty()) return;
    const std::string json_text = boost::json::serialize(encode(event));
    const std::string message = "event: " + std::string(event_type(event.type)) +
                                "\nid: " + std::to_string(last_id_) + "\ndata: " + json_text +
                                "\n\n";
    std::erase_if(listeners_, [&](const Listener& l) {
        if (!l.service.empty() && l.service != event.service) return l.stream->ended();
        return !l.stream->write(message);
    });
}

void EventStreams::keep_alive_loop() {
    std::unique_lock lock(mutex_);
    while (!closed_) {
        wake_.wait_for(lock, keep_alive_interval_);
        if (closed_) break;
        std::erase_if(listeners_,
                      [](const Listener& l) { return !l.stream->write(": keep-alive\n\n"); });
    }
}

}  // namespace meshorch::api
