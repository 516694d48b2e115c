// Internal: wakes op-occ pollers when a notification says an operation changed.
//
// Notifications are a shortcut only: a poller reads the op occurrence first, then waits here
// for at most one poll interval, so a lost or forged notification costs nothing but a poll.
#pragma once

#include <meshorch/cancel.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace meshorch::tacker {

class OperationNotifier {
public:
    // How many notifications this operation has had; pass it to wait_for_change so one that
    // arrives between the read and the wait is not missed.
    std::uint64_t version(const std::string& op_id);
    // The operation changed (a notification named it).
    void notify(const std::string& op_id);
    // Waits until the operation's version differs from `seen`, `until` passes or `cancel`
    // fires. True when woken by a notification.
    bool wait_for_change(const std::string& op_id, std::uint64_t seen, Clock::time_point until,
                         const CancelToken& cancel);
    // The operation is finished: drop its record.
    void forget(const std::string& op_id);
    std::uint64_t notifications() const;

private:
    static constexpr std::size_t max_tracked = 4096;  // notifications for unknown operations
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::map<std::string, std::uint64_t> versions_;
    std::uint64_t total_ = 0;
};

}  // namespace meshorch::tacker
