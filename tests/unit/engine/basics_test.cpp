// The small pieces: cancellation, the memory store, names of states, event lines.
#include <meshorch/cancel.hpp>
#include <meshorch/ports.hpp>
#include <meshorch/state.hpp>
#include <meshorch/store.hpp>

#include <gtest/gtest.h>

#include <thread>

namespace meshorch {
namespace {

TEST(CancelToken, ADefaultTokenIsNeverCancelled) {
    CancelToken t;
    EXPECT_FALSE(t.cancelled());
    bool ran = false;
    EXPECT_EQ(t.on_cancel([&] { ran = true; }), 0u);
    t.forget(0);
    EXPECT_FALSE(ran);
}

TEST(CancelToken, CallbacksRunOnceOnCancelAndAtOnceAfterwards) {
    CancelSource source;
    CancelToken token = source.token();
    int first = 0, forgotten = 0, late = 0;
    token.on_cancel([&] { ++first; });
    const auto id = token.on_cancel([&] { ++forgotten; });
    token.forget(id);
    EXPECT_FALSE(token.cancelled());
    source.cancel();
    source.cancel();  // idempotent
    EXPECT_TRUE(token.cancelled());
    EXPECT_TRUE(source.cancelled());
    EXPECT_EQ(first, 1);
    EXPECT_EQ(forgotten, 0);
    token.on_cancel([&] { ++late; });
    EXPECT_EQ(late, 1);
}

TEST(CancelToken, CancelFromAnotherThread) {
    CancelSource source;
    std::atomic<int> runs{0};
    for (int i = 0; i < 100; ++i) source.token().on_cancel([&] { ++runs; });
    std::thread t([&] { source.cancel(); });
    t.join();
    EXPECT_EQ(runs.load(), 100);
}

TEST(MemoryStateStore, SavesLoadsListsAndErases) {
    MemoryStateStore store;
    auto missing = store.load("shop");
    ASSERT_TRUE(missing.ok());
    EXPECT_FALSE(*missing);
    ServiceRecord r;
    r.name = "shop";
    r.vnfs["shop-cart-v1"] = "id-1";
    r.namespace_created = true;
    ASSERT_TRUE(store.save(r).ok());
    auto loaded = store.load("shop");
    ASSERT_TRUE(loaded.ok() && *loaded);
    EXPECT_EQ((*loaded)->vnfs.at("shop-cart-v1"), "id-1");
    EXPECT_TRUE((*loaded)->namespace_created);
    EXPECT_EQ(*store.list(), std::vector<std::string>{"shop"});
    ASSERT_TRUE(store.erase("shop").ok());
    EXPECT_TRUE(store.list()->empty());
    EXPECT_FALSE(store.save(ServiceRecord{}).ok());  // a record needs a name
}

TEST(StateNames, AreTheDesignNames) {
    EXPECT_STREQ(to_string(OperationState::rolling_back), "RollingBack");
    EXPECT_STREQ(to_string(OperationState::rolled_back), "RolledBack");
    EXPECT_STREQ(to_string(WorkloadState::in_mesh), "InMesh");
    EXPECT_STREQ(to_string(OperationKind::reconfigure), "reconfigure");
    EXPECT_STREQ(to_string(ServicePhase::ready), "Ready");
    EXPECT_STREQ(to_string(LcmState::failed_temp), "FAILED_TEMP");
    EXPECT_TRUE(is_terminal(OperationState::failed));
    EXPECT_FALSE(is_terminal(OperationState::rolling_back));
    EXPECT_EQ((WorkloadId{"reviews", "v1", 0}).to_string(), "reviews/v1#0");
}

TEST(Event, OneLine) {
    Event e;
    e.type = Event::Type::workload;
    e.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'123));
    e.operation_id = "op-1";
    e.service = "shop";
    e.workload = WorkloadId{"cart", "v1", 2};
    e.workload_state = WorkloadState::running;
    EXPECT_EQ(e.to_string(),
              "2023-11-14T22:13:20.123Z op-1 shop deploy: workload cart/v1#2 Running");
    e.type = Event::Type::step;
    e.message = "applied VirtualService shop/cart";
    EXPECT_EQ(e.to_string(),
              "2023-11-14T22:13:20.123Z op-1 shop deploy: step applied VirtualService shop/cart");
}

}  // namespace
}  // namespace meshorch
