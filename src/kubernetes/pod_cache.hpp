// Internal: the pods of one namespace kept in memory by a background watch (the client-go
// reflector pattern): list, then watch from the list's resourceVersion with bookmarks; a
// stream that ends is resumed from the last resourceVersion seen; 410 Gone (the history was
// compacted) or an ERROR event means list again; connection trouble backs off and resumes.
#pragma once

#include "kubernetes/api_client.hpp"
#include "kubernetes/pod_readiness.hpp"

#include <meshorch/cancel.hpp>
#include <meshorch/ports.hpp>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace meshorch::kubernetes::detail {

class PodCache {
public:
    PodCache(std::shared_ptr<ApiClient> api, std::string namespace_, std::size_t page_size,
             std::chrono::seconds watch_timeout);
    ~PodCache();  // stops the watch and joins its thread
    PodCache(const PodCache&) = delete;
    PodCache& operator=(const PodCache&) = delete;

    // From memory; std::nullopt until the first list has landed and while listing again.
    std::optional<WorkloadReadiness> readiness(const std::string& microservice,
                                               const std::string& version) const;

private:
    void run();
    bool relist();  // false when stopping or the list failed
    // One watch request, until it ends; an Error is connection trouble (resume later).
    Status watch_once(bool& relist);
    bool wait(std::chrono::milliseconds delay);  // false when stopping
    bool stopping() const;

    std::shared_ptr<ApiClient> api_;
    const std::string ns_;
    const std::size_t page_size_;
    const std::chrono::seconds watch_timeout_;
    const std::string collection_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    bool synced_ = false;
    std::string resource_version_;
    std::map<std::string, PodFacts> pods_;  // by pod name
    CancelSource cancel_;
    std::thread thread_;  // last: starts once everything above exists
};

}  // namespace meshorch::kubernetes::detail
