// A three-member etcd cluster: the store and a leadership outlive the death of the raft leader
// member by moving to the other endpoints.
#include "etcd_test_support.hpp"
#include "http/client.hpp"
#include "unit/store/store_support.hpp"

#include <boost/json/parse.hpp>

namespace meshorch::test {
namespace {

using namespace std::chrono_literals;

// The index of the member that is raft leader now (from /v3/maintenance/status).
std::size_t raft_leader(const Etcd& etcd) {
    auto client = http::Client::create({});
    if (!client) throw std::runtime_error(client.error().describe());
    const auto urls = etcd.urls();
    for (std::size_t n = 0; n < urls.size(); ++n) {
        http::Request request;
        request.method = "POST";
        request.url = urls[n] + "/v3/maintenance/status";
        request.body = "{}";
        CallContext ctx;
        ctx.deadline = Clock::now() + 2s;
        auto response = (*client)->send(request, ctx);
        if (!response || response->status != 200) continue;
        const auto status = boost::json::parse(response->body).as_object();
        if (status.at("leader") == status.at("header").at("member_id")) return n;
    }
    throw std::runtime_error("no etcd member says it leads");
}

TEST(EtcdCluster, TheStoreKeepsServingWhenTheLeaderMemberDies) {
    Etcd etcd(3);
    const std::size_t leader = raft_leader(etcd);
    // The dead member is the one the store talks to first.
    EtcdOptions options = etcd.options();
    std::rotate(options.endpoints.begin(), options.endpoints.begin() + leader,
                options.endpoints.end());
    options.lease_ttl = 3s;  // outlives a raft election (500 ms timeout here)
    auto election = EtcdLeaderElection::create(options, "instance-a");
    ASSERT_TRUE(election.ok());
    auto store = EtcdStateStore::open(options, *election);
    ASSERT_TRUE(store.ok());
    CallContext ctx;
    ctx.deadline = Clock::now() + 3s;
    ASSERT_TRUE((*election)->campaign(ctx).ok());
    ASSERT_TRUE((*store)->save(store_test::generation_record("inventory", 1)).ok());

    etcd.kill_member(leader);
    const auto killed_at = std::chrono::steady_clock::now();
    // Writes need the new raft leader; until it is elected they are transient errors.
    Status last = make_error(Errc::internal, "not tried");
    wait_until(
        [&] {
            last = (*store)->save(store_test::generation_record("inventory", 2));
            EXPECT_TRUE(last.ok() || last.error().code == Errc::transient)
                << last.error().describe();
            return last.ok();
        },
        10s, 50ms);
    const auto took = std::chrono::steady_clock::now() - killed_at;
    ASSERT_TRUE(last.ok()) << last.error().describe();
    std::cout << "[figure] first fenced write "
              << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
              << " ms after the raft leader member was killed\n";

    auto back = (*store)->load("inventory");
    ASSERT_TRUE(back.ok()) << back.error().describe();
    EXPECT_EQ(store_test::generation_of(**back), 2);
    auto names = (*store)->list();
    ASSERT_TRUE(names.ok());
    EXPECT_EQ(*names, std::vector<std::string>{"inventory"});
    // The leadership survived too: its lease was renewed through the other members.
    std::this_thread::sleep_for(1500ms);
    EXPECT_TRUE((*election)->is_leader());
    EXPECT_TRUE((*store)->save(store_test::generation_record("inventory", 3)).ok());
}

}  // namespace
}  // namespace meshorch::test
