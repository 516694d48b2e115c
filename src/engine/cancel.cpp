#include <meshorch/cancel.hpp>

#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace meshorch {

struct CancelToken::State {
    std::mutex mutex;
    bool cancelled = false;
    std::uint64_t next_id = 1;
    std::map<std::uint64_t, std::function<void()>> callbacks;
};

bool CancelToken::cancelled() const noexcept {
    if (!state_) return false;
    std::lock_guard lock(state_->mutex);
    return state_->cancelled;
}

std::uint64_t CancelToken::on_cancel(std::function<void()> fn) const {
    if (!state_ || !fn) return 0;
    {
        std::lock_guard lock(state_->mutex);
        if (!state_->cancelled) {
            const std::uint64_t id = state_->next_id++;
            state_->callbacks.emplace(id, std::move(fn));
            return id;
        }
    }
    fn();  // already cancelled: at once, on this thread
    return 0;
}

void CancelToken::forget(std::uint64_t id) const {
    if (!state_ || id == 0) return;
    std::lock_guard lock(state_->mutex);
    state_->callbacks.erase(id);
}

CancelSource::CancelSource() : state_(std::make_shared<CancelToken::State>()) {}

CancelToken CancelSource::token() const {
    return CancelToken(state_);
}

void CancelSource::cancel() {
    std::map<std::uint64_t, std::function<void()>> callbacks;
    {
        std::lock_guard lock(state_->mutex);
        if (state_->cancelled) return;
        state_->cancelled = true;
        callbacks.swap(state_->callbacks);
    }
    for (auto& [id, fn] : callbacks) fn();
}

bool CancelSource::cancelled() const noexcept {
    std::lock_guard lock(state_->mutex);
    return state_->cancelled;
}

}  // namespace meshorch
