// The token keeper: VM proxies get a new bootstrap token before theirs expires, for as long as
// the service lives, and a failed refresh is retried.
#include "engine_support.hpp"

#include "engine/token_keeper.hpp"

namespace meshorch::engine_test {
namespace {

OrchestratorOptions short_tokens() {
    OrchestratorOptions o = fast_options();
    o.token_lifetime = std::chrono::seconds(1);
    o.token_refresh_fraction = 0.5;  // due after 500 ms
    o.token_check_interval = 25ms;
    return o;
}

std::vector<sim::ProxyRecord> proxies(const Harness& h) {
    return h.world->snapshot().proxies;
}

bool all_tokens_valid_for_at_least(const Harness& h, std::chrono::milliseconds left) {
    const auto now = std::chrono::system_clock::now();
    auto ps = proxies(h);
    if (ps.empty()) return false;
    return std::all_of(ps.begin(), ps.end(),
                       [&](const sim::ProxyRecord& p) { return p.token_expires_at - now >= left; });
}

TEST(EngineTokenKeeper, CheckIntervalFollowsTheTokenLifetime) {
    using engine::TokenKeeper;
    EXPECT_EQ(TokenKeeper::check_interval(std::chrono::hours(1), 0ms), 60s);      // 3 min, capped
    EXPECT_EQ(TokenKeeper::check_interval(std::chrono::seconds(600), 0ms), 30s);  // a twentieth
    EXPECT_EQ(TokenKeeper::check_interval(std::chrono::seconds(5), 0ms), 1s);     // floor
    EXPECT_EQ(TokenKeeper::check_interval(std::chrono::hours(24), 0ms), 60s);     // ceiling
    EXPECT_EQ(TokenKeeper::check_interval(std::chrono::hours(1), 250ms), 250ms);
}

TEST(EngineTokenKeeper, ProxiesOutliveTheirFirstTokenBecauseItIsReplacedInTime) {
    Harness h(fast_sim(), short_tokens());
    Operation op = h.deploy(hybrid_spec());
    ASSERT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
    const auto first = proxies(h);
    ASSERT_FALSE(first.empty());

    // Three lifetimes later every proxy still holds a token that has time left, and it is not
    // the one it was installed with.
    std::this_thread::sleep_for(3s);
    EXPECT_TRUE(all_tokens_valid_for_at_least(h, 250ms));
    const auto later = proxies(h);
    ASSERT_EQ(later.size(), first.size());
    for (std::size_t i = 0; i < later.size(); ++i) {
        EXPECT_NE(later[i].bundle.files.at("istio-token"), first[i].bundle.files.at("istio-token"))
            << later[i].vm.server_id;
        // Only the token changes: the rest of the bundle is what was installed.
        auto a = later[i].bundle.files, b = first[i].bundle.files;
        a.erase("istio-token");
        b.erase("istio-token");
        EXPECT_EQ(a, b);
    }
    EXPECT_GE(h.count(sim::CallKind::inject_refresh), 2u * first.size());
    const auto events = h.events();
    EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const Event& e) {
        return e.service == "shop" && e.message.find("refreshed") != std::string::npos;
    }));

    // After terminate there is nothing left to refresh, and nothing is.
    Operation gone = h.terminate("shop");
    ASSERT_EQ(gone.state(), OperationState::succeeded) << describe(gone.result());
    const auto refreshes = h.count(sim::CallKind::inject_refresh);
    std::this_thread::sleep_for(750ms);
    EXPECT_EQ(h.count(sim::CallKind::inject_refresh), refreshes);
    EXPECT_TRUE(h.world->snapshot().empty());
}

TEST(EngineTokenKeeper, AFailedRefreshIsReportedAndRetriedNextRound) {
    Harness h(fast_sim(), short_tokens());
    Operation op = h.deploy(hybrid_spec());
    ASSERT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
    sim::ScriptedFault fault;
    fault.call = sim::CallKind::inject_refresh;
    fault.fault = sim::FaultKind::unavailable;
    fault.repeat = 3;
    h.world->script(fault);

    std::this_thread::sleep_for(1800ms);
    EXPECT_TRUE(all_tokens_valid_for_at_least(h, 150ms));
    const auto events = h.events();
    EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const Event& e) {
        return e.message.find("failed (retried next round)") != std::string::npos;
    }));
    EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const Event& e) {
        return e.message.find("refreshed") != std::string::npos;
    }));
}

}  // namespace
}  // namespace meshorch::engine_test
