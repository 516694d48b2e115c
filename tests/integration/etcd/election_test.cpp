// Leader election and fencing against a real etcd: one winner, a quick successor when the
// leader's lease goes, and a deposed leader that cannot write.
#include "etcd_test_support.hpp"
#include "store/etcd_client.hpp"
#include "unit/store/store_support.hpp"

#include <atomic>
#include <future>

namespace meshorch::test {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<EtcdLeaderElection> candidate(EtcdOptions options, const std::string& id) {
    auto election = EtcdLeaderElection::create(std::move(options), id);
    if (!election) throw std::runtime_error(election.error().describe());
    return std::move(*election);
}

std::shared_ptr<EtcdStateStore> fenced_store(EtcdOptions options,
                                             std::shared_ptr<EtcdLeaderElection> leadership) {
    auto store = EtcdStateStore::open(std::move(options), std::move(leadership));
    if (!store) throw std::runtime_error(store.error().describe());
    return std::move(*store);
}

CallContext within(std::chrono::milliseconds limit) {
    CallContext ctx;
    ctx.deadline = Clock::now() + limit;
    return ctx;
}

std::shared_ptr<store_detail::EtcdClient> raw_client(const Etcd& etcd) {
    store_detail::EtcdClientOptions o;
    o.endpoints = etcd.urls();
    return std::move(*store_detail::EtcdClient::create(o));
}

TEST(EtcdElection, OfTwoCandidatesExactlyOneWins) {
    Etcd etcd;
    auto a = candidate(etcd.options(), "instance-a");
    auto b = candidate(etcd.options(), "instance-b");
    auto a_result = std::async(std::launch::async, [&] { return a->campaign(within(1500ms)); });
    auto b_result = std::async(std::launch::async, [&] { return b->campaign(within(1500ms)); });
    const Status sa = a_result.get();
    const Status sb = b_result.get();

    ASSERT_NE(sa.ok(), sb.ok()) << "a: " << (sa.ok() ? "won" : sa.error().describe())
                                << ", b: " << (sb.ok() ? "won" : sb.error().describe());
    auto& winner = sa.ok() ? a : b;
    auto& loser = sa.ok() ? b : a;
    const Error& lost = sa.ok() ? sb.error() : sa.error();
    EXPECT_EQ(lost.code, Errc::timeout);
    EXPECT_NE(lost.message.find("\"" + winner->candidate_id() + "\" leads"), std::string::npos)
        << lost.message;
    EXPECT_TRUE(winner->is_leader());
    EXPECT_FALSE(loser->is_leader());
    auto leader = loser->leader();
    ASSERT_TRUE(leader.ok());
    EXPECT_EQ(leader->value_or("nobody"), winner->candidate_id());
    EXPECT_TRUE(winner->campaign(within(100ms)).ok());  // already leading: at once

    // The winner stays leader across several lease periods (its renewals work).
    std::this_thread::sleep_for(2500ms);
    EXPECT_TRUE(winner->is_leader());
    EXPECT_EQ(loser->leader()->value_or("nobody"), winner->candidate_id());
}

TEST(EtcdElection, ARevokedLeaseDeposesTheLeaderAndTheOtherWinsAtOnce) {
    Etcd etcd;
    auto a = candidate(etcd.options(), "instance-a");
    std::promise<Error> lost;
    a->on_lost([&](const Error& why) { lost.set_value(why); });
    ASSERT_TRUE(a->campaign(within(2s)).ok());
    auto b = candidate(etcd.options(), "instance-b");
    auto b_result = std::async(std::launch::async, [&] { return b->campaign(within(5s)); });

    const auto revoked_at = std::chrono::steady_clock::now();
    ASSERT_TRUE(raw_client(etcd)->revoke_lease(a->lease_id()).ok());
    const Status sb = b_result.get();
    ASSERT_TRUE(sb.ok()) << sb.error().describe();
    const auto b_won_after = std::chrono::steady_clock::now() - revoked_at;
    EXPECT_LT(b_won_after, 1s);  // the key went with the lease: the next retry wins

    // A notices at its next renewal (every lease_ttl / 3) and says why.
    auto notice = lost.get_future();
    ASSERT_EQ(notice.wait_for(2s), std::future_status::ready);
    const Error why = notice.get();
    EXPECT_EQ(why.code, Errc::conflict);
    EXPECT_NE(why.message.find("leadership lost"), std::string::npos) << why.message;
    EXPECT_FALSE(a->is_leader());
    EXPECT_TRUE(b->is_leader());
    std::cout << "[figure] successor won "
              << std::chrono::duration_cast<std::chrono::milliseconds>(b_won_after).count()
              << " ms after the leader's lease was revoked\n";
}

TEST(EtcdElection, ALeaderThatStopsRenewingIsSucceededWithinTheTtlAndFencedOut) {
    Etcd etcd;
    // A renews far too rarely: its lease (1 s) runs out as if its process had stopped.
    EtcdOptions silent = etcd.options();
    silent.keepalive_interval = 60s;
    auto a = candidate(silent, "instance-a");
    auto a_store = fenced_store(silent, a);
    ASSERT_TRUE(a->campaign(within(2s)).ok());
    ASSERT_TRUE(a_store->save(store_test::generation_record("orders", 1)).ok());
    const auto a_won_at = std::chrono::steady_clock::now();

    auto b = candidate(etcd.options(), "instance-b");
    auto b_store = fenced_store(etcd.options(), b);
    const Status sb = b->campaign(within(5s));
    ASSERT_TRUE(sb.ok()) << sb.error().describe();
    const auto took = std::chrono::steady_clock::now() - a_won_at;
    EXPECT_GE(took, 900ms);   // not before A's lease ran out
    EXPECT_LT(took, 2500ms);  // and about a TTL after
    std::cout << "[figure] successor won "
              << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
              << " ms after the silent leader's last renewal (lease TTL 1000 ms)\n";
    ASSERT_TRUE(b_store->save(store_test::generation_record("orders", 2)).ok());

    // A has not noticed yet (no renewal due), so only etcd's compare can stop it.
    ASSERT_TRUE(a->is_leader());
    const Status refused = a_store->save(store_test::generation_record("orders", 3));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, Errc::conflict);
    EXPECT_EQ(refused.error().message.rfind("not the leader any more", 0), 0u)
        << refused.error().message;
    EXPECT_NE(refused.error().message.find("\"instance-b\""), std::string::npos)
        << refused.error().message;
    const Status erase_refused = a_store->erase("orders");
    ASSERT_FALSE(erase_refused.ok());
    EXPECT_EQ(erase_refused.error().code, Errc::conflict);

    // B's record is untouched; reads work for anyone.
    auto stored = a_store->load("orders");
    ASSERT_TRUE(stored.ok() && stored->has_value());
    EXPECT_EQ(store_test::generation_of(**stored), 2);
    ASSERT_TRUE(b_store->erase("orders").ok());
}

TEST(EtcdElection, OnlyTheLeaderWritesAndResigningHandsOverAtOnce) {
    Etcd etcd;
    auto a = candidate(etcd.options(), "instance-a");
    auto b = candidate(etcd.options(), "instance-b");
    auto a_store = fenced_store(etcd.options(), a);
    auto b_store = fenced_store(etcd.options(), b);

    // No one leads yet: a fenced store refuses before asking etcd.
    const Status early = a_store->save(store_test::generation_record("cart", 1));
    ASSERT_FALSE(early.ok());
    EXPECT_EQ(early.error().code, Errc::conflict);
    EXPECT_EQ(early.error().message.rfind("not the leader: ", 0), 0u) << early.error().message;

    ASSERT_TRUE(a->campaign(within(2s)).ok());
    ASSERT_TRUE(a_store->save(store_test::generation_record("cart", 1)).ok());
    const Status b_refused = b_store->save(store_test::generation_record("cart", 2));
    ASSERT_FALSE(b_refused.ok());
    EXPECT_EQ(b_refused.error().code, Errc::conflict);

    auto b_result = std::async(std::launch::async, [&] { return b->campaign(within(5s)); });
    std::this_thread::sleep_for(300ms);
    const auto resigned_at = std::chrono::steady_clock::now();
    ASSERT_TRUE(a->resign().ok());
    ASSERT_TRUE(b_result.get().ok());
    EXPECT_LT(std::chrono::steady_clock::now() - resigned_at, 500ms);
    EXPECT_FALSE(a->is_leader());
    const Status after = a_store->save(store_test::generation_record("cart", 3));
    ASSERT_FALSE(after.ok());
    EXPECT_NE(after.error().message.find("resigned"), std::string::npos) << after.error().message;
    ASSERT_TRUE(b_store->save(store_test::generation_record("cart", 4)).ok());
    EXPECT_EQ(store_test::generation_of(b_store->load("cart")->value()), 4);
}

TEST(EtcdElection, ALeaderKeyDeletedBehindItsBackEndsTheLeadership) {
    Etcd etcd;
    auto a = candidate(etcd.options(), "instance-a");
    std::atomic<bool> lost{false};
    a->on_lost([&](const Error&) { lost = true; });
    ASSERT_TRUE(a->campaign(within(2s)).ok());
    ASSERT_TRUE(raw_client(etcd)->delete_key(a->leader_key()).ok());
    wait_until([&] { return lost.load(); }, 2s);
    EXPECT_FALSE(a->is_leader());
}

}  // namespace
}  // namespace meshorch::test
