#include "tacker/operation_notifier.hpp"

#include <algorithm>

namespace meshorch::tacker {

std::uint64_t OperationNotifier::version(const std::string& op_id) {
    std::lock_guard lock(mutex_);
    auto it = versions_.find(op_id);
    return it == versions_.end() ? 0 : it->second;
}

void OperationNotifier::notify(const std::string& op_id) {
    {
        std::lock_guard lock(mutex_);
        if (versions_.size() >= max_tracked && versions_.count(op_id) == 0) versions_.clear();
        ++versions_[op_id];
        ++total_;
    }
    changed_.notify_all();
}

bool OperationNotifier::wait_for_change(const std::string& op_id, std::uint64_t seen,
                                        Clock::time_point until, const CancelToken& cancel) {
    constexpr auto cancel_check = std::chrono::milliseconds(50);
    std::unique_lock lock(mutex_);
    for (;;) {
        auto it = versions_.find(op_id);
        if (it != versions_.end() && it->second != seen) return true;
        const auto now = Clock::now();
        if (now >= until || cancel.cancelled()) return false;
        changed_.wait_until(lock, std::min(until, now + cancel_check));
    }
}

void OperationNotifier::forget(const std::string& op_id) {
    std::lock_guard lock(mutex_);
    versions_.erase(op_id);
}

std::uint64_t OperationNotifier::notifications() const {
    std::lock_guard lock(mutex_);
    return total_;
}

}  // namespace meshorch::tacker
