#include "tacker/notification_listener.hpp"
#include "tacker/operation_notifier.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace meshorch::tacker {
namespace {

using namespace std::chrono_literals;

TEST(OperationNotifier, WakesAWaiterEarly) {
    OperationNotifier n;
    const auto seen = n.version("op-1");
    std::thread t([&] {
        std::this_thread::sleep_for(50ms);
        n.notify("op-2");  // another operation: no wake-up
        n.notify("op-1");
    });
    const auto start = Clock::now();
    EXPECT_TRUE(n.wait_for_change("op-1", seen, start + 5s, CancelToken{}));
    EXPECT_LT(Clock::now() - start, 2s);
    t.join();
    EXPECT_EQ(n.notifications(), 2u);
}

TEST(OperationNotifier, ANotificationBeforeTheWaitIsNotLost) {
    OperationNotifier n;
    const auto seen = n.version("op-1");
    n.notify("op-1");
    EXPECT_TRUE(n.wait_for_change("op-1", seen, Clock::now() + 5s, CancelToken{}));
}

TEST(OperationNotifier, TimesOutAndHonoursCancel) {
    OperationNotifier n;
    const auto start = Clock::now();
    EXPECT_FALSE(n.wait_for_change("op-1", 0, start + 100ms, CancelToken{}));
    EXPECT_GE(Clock::now() - start, 100ms);
    CancelSource cancel;
    cancel.cancel();
    EXPECT_FALSE(n.wait_for_change("op-1", 0, Clock::now() + 5s, cancel.token()));
}

TEST(NotificationListener, AnswersTheTestAndWakesPollers) {
    auto notifier = std::make_shared<OperationNotifier>();
    auto listener = NotificationListener::start(openstack::NotificationOptions{}, notifier);
    ASSERT_TRUE(listener) << listener.error().message;
    EXPECT_EQ((*listener)->callback_url().rfind("http://127.0.0.1:", 0), 0u);

    http::ServerRequest get;
    get.method = "GET";
    EXPECT_EQ((*listener)->handle(get).status, 204);

    http::ServerRequest post;
    post.method = "POST";
    post.body = R"({"notificationType": "VnfLcmOperationOccurrenceNotification",
                    "vnfLcmOpOccId": "op-9", "operationState": "COMPLETED"})";
    EXPECT_EQ((*listener)->handle(post).status, 204);
    EXPECT_EQ(notifier->version("op-9"), 1u);

    post.body =
        R"({"notificationType": "VnfIdentifierCreationNotification", "vnfInstanceId": "v"})";
    EXPECT_EQ((*listener)->handle(post).status, 204);
    post.body = "{not json";
    EXPECT_EQ((*listener)->handle(post).status, 400);
    EXPECT_EQ(notifier->notifications(), 1u);
    EXPECT_EQ((*listener)->tests_answered(), 1u);
}

}  // namespace
}  // namespace meshorch::tacker
