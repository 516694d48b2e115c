#include "kubernetes/pod_cache.hpp"

#include "http/client.hpp"
#include "kubernetes/watch_event.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace meshorch::kubernetes::detail {

namespace json = boost::json;

namespace {

constexpr std::chrono::milliseconds first_backoff{250};
constexpr std::chrono::milliseconds max_backoff{30000};
// The request outlives the server's timeoutSeconds by this much, so the server ends it.
constexpr std::chrono::seconds watch_grace{15};

std::string pod_name(const json::object& pod) {
    const auto* md = pod.if_contains("metadata");
    if (!md || !md->is_object()) return {};
    const auto* name = md->get_object().if_contains("name");
    return name && name->is_string() ? std::string(name->get_string()) : std::string();
}

}  // namespace

PodCache::PodCache(std::shared_ptr<ApiClient> api, std::string namespace_, std::size_t page_size,
                   std::chrono::seconds watch_timeout)
    : api_(std::move(api)),
      ns_(std::move(namespace_)),
      page_size_(page_size),
      watch_timeout_(watch_timeout),
      collection_("/api/v1/namespaces/" + http::url_encode(ns_) + "/pods"),
      thread_([this] { run(); }) {}

PodCache::~PodCache() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    cancel_.cancel();
    thread_.join();
}

std::optional<WorkloadReadiness> PodCache::readiness(const std::string& microservice,
                                                     const std::string& version) const {
    std::lock_guard lock(mutex_);
    if (!synced_) return std::nullopt;
    WorkloadReadiness r;
    for (const auto& [name, pod] : pods_) count_pod(pod, microservice, version, r);
    return r;
}

bool PodCache::stopping() const {
    std::lock_guard lock(mutex_);
    return stop_;
}

bool PodCache::wait(std::chrono::milliseconds delay) {
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, delay, [this] { return stop_; });
    return !stop_;
}

bool PodCache::relist() {
    CallContext ctx;
    ctx.cancel = cancel_.token();
    ctx.deadline = Clock::now() + std::chrono::minutes(2);
    auto list = api_->list_all(collection_, "", page_size_, ctx);
    if (!list) {
        if (!stopping()) {
            api_->log().warn("pod watch {}: list failed: {}", ns_, list.error().message);
        }
        return false;
    }
    std::map<std::string, PodFacts> pods;
    for (const auto& pod : list->items) pods[pod_name(pod)] = pod_facts(pod);
    std::lock_guard lock(mutex_);
    pods_ = std::move(pods);
    resource_version_ = list->resource_version;
    synced_ = true;
    api_->log().debug("pod watch {}: listed {} pods at resourceVersion {}", ns_, pods_.size(),
                      resource_version_);
    return true;
}

Status PodCache::watch_once(bool& relist) {
    std::string rv;
    {
        std::lock_guard lock(mutex_);
        rv = resource_version_;
    }
    const std::string path = collection_ + "?watch=true&allowWatchBookmarks=true&resourceVersion=" +
                             http::url_encode(rv) +
                             "&timeoutSeconds=" + std::to_string(watch_timeout_.count());
    CallContext ctx;
    ctx.cancel = cancel_.token();
    ctx.deadline = Clock::now() + watch_timeout_ + watch_grace;
    std::optional<std::string> problem;
    auto result = api_->watch(path, ctx, [&](std::string_view line) {
        auto event = parse_watch_event(line);
        if (!event) {
            problem = event.error().message;
            relist = true;
            return false;
        }
        if (event->type == WatchEventType::error) {
            const int code = status_code(event->object);
            problem = "ERROR event, code " + std::to_string(code);
            relist = true;  // 410 Gone and any other error: start over from a list
            return false;
        }
        const std::string event_rv = resource_version(event->object);
        std::lock_guard lock(mutex_);
        if (event->type == WatchEventType::added || event->type == WatchEventType::modified) {
            pods_[pod_name(event->object)] = pod_facts(event->object);
        } else if (event->type == WatchEventType::deleted) {
            pods_.erase(pod_name(event->object));
        }
        if (!event_rv.empty()) resource_version_ = event_rv;
        return true;
    });
    if (!result && result.error().http_status == 410) {
        problem = result.error().message;
        relist = true;
    } else if (!result && result.error().code != Errc::cancelled) {
        return result;
    }
    if (problem) api_->log().info("pod watch {}: {}; listing again", ns_, *problem);
    return Ok{};
}

void PodCache::run() {
    auto backoff = first_backoff;
    bool need_list = true;
    while (!stopping()) {
        if (need_list) {
            {
                std::lock_guard lock(mutex_);
                synced_ = false;  // readers fall back to listing meanwhile
            }
            if (!relist()) {
                if (!wait(backoff)) return;
                backoff = std::min(backoff * 2, max_backoff);
                continue;
            }
            need_list = false;
        }
        const auto started = Clock::now();
        if (auto watched = watch_once(need_list); watched) {
            backoff = first_backoff;
            // A server that ends every watch at once must not make this a busy loop.
            if (!need_list && Clock::now() - started < std::chrono::seconds(1) &&
                !wait(first_backoff)) {
                return;
            }
        } else {
            // Connection trouble: resume from the last resourceVersion after a pause.
            if (stopping()) return;
            api_->log().warn("pod watch {}: {}; resuming in {} ms", ns_, watched.error().message,
                             backoff.count());
            if (!wait(backoff)) return;
            backoff = std::min(backoff * 2, max_backoff);
        }
    }
}

}  // namespace meshorch::kubernetes::detail
