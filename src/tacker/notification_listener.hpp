// Internal: the HTTP endpoint Tacker sends LCM notifications to.
//
// Answers Tacker's subscription test (GET) with 204 and, for each POSTed
// VnfLcmOperationOccurrenceNotification, wakes the pollers of that op occurrence. It never
// changes what the adapter believes about an operation: polling stays the source of truth.
#pragma once

#include "http/server.hpp"
#include "tacker/operation_notifier.hpp"

#include <meshorch/error.hpp>
#include <meshorch/openstack.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace meshorch::tacker {

class NotificationListener {
public:
    static Result<std::unique_ptr<NotificationListener>> start(
        const openstack::NotificationOptions& options, std::shared_ptr<OperationNotifier> notifier);
    ~NotificationListener();

    // The callbackUri to register with Tacker.
    const std::string& callback_url() const noexcept { return callback_url_; }
    std::uint64_t tests_answered() const noexcept { return tests_.load(); }
    std::uint64_t notifications_received() const noexcept { return received_.load(); }
    void stop();

    // Handles one request (public for tests).
    http::Response handle(const http::ServerRequest& request);

private:
    explicit NotificationListener(std::shared_ptr<OperationNotifier> notifier);
    std::shared_ptr<OperationNotifier> notifier_;
    std::unique_ptr<http::Server> server_;
    std::string callback_url_;
    std::atomic<std::uint64_t> tests_{0};
    std::atomic<std::uint64_t> received_{0};
};

}  // namespace meshorch::tacker
