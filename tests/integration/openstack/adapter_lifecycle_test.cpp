// The VnfManager port over the Tacker + Nova emulator: full VM and container lifecycles,
// adoption by name, FAILED_TEMP and rollback, and LCM notifications waking the poller.
#include "adapter_world.hpp"

#include <algorithm>

namespace meshorch::test {
namespace {

using namespace std::chrono_literals;

LcmOperation wait_done(tacker::TackerVnfManager& m, const std::string& op_id) {
    auto op = await<LcmOperation>([&](auto done) { m.wait_for_operation(op_id, ctx(30s), done); });
    EXPECT_TRUE(op) << op.error().message;
    return op ? *op : LcmOperation{};
}

TEST(TackerLifecycle, VmVnfFromCreateToDelete) {
    auto& w = OpenStackWorld::get();
    auto m = w.manager(w.tacker_config());
    const auto request = vm_request("bookinfo-ratings-v1", 2);

    auto id = await<std::string>([&](auto done) { m->create_vnf(request, ctx(), done); });
    ASSERT_TRUE(id) << id.error().message;
    auto created = await<VnfInstance>([&](auto done) { m->get_vnf(*id, ctx(), done); });
    ASSERT_TRUE(created) << created.error().message;
    EXPECT_EQ(created->name, request.name);
    EXPECT_FALSE(created->instantiated);

    auto op_id = await<std::string>([&](auto done) { m->instantiate(*id, request, ctx(), done); });
    ASSERT_TRUE(op_id) << op_id.error().message;
    auto first = await<LcmOperation>([&](auto done) { m->get_operation(*op_id, ctx(), done); });
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->vnf_id, *id);
    EXPECT_EQ(first->operation, "INSTANTIATE");
    auto op = wait_done(*m, *op_id);
    EXPECT_EQ(op.state, LcmState::completed) << op.error;

    auto vnf = await<VnfInstance>([&](auto done) { m->get_vnf(*id, ctx(), done); });
    ASSERT_TRUE(vnf) << vnf.error().message;
    EXPECT_TRUE(vnf->instantiated);
    ASSERT_EQ(vnf->vms.size(), 2u);
    // The addresses are Nova's (Tacker does not report them): compare with the emulated Nova.
    const auto state = w.state();
    const auto& servers = state.at("servers").as_array();
    for (const auto& vm : vnf->vms) {
        EXPECT_EQ(vm.address.rfind("10.10.0.", 0), 0u) << vm.address;
        auto it = std::find_if(servers.begin(), servers.end(), [&](const auto& s) {
            return s.at("id").as_string() == vm.server_id;
        });
        ASSERT_NE(it, servers.end()) << vm.server_id;
        EXPECT_EQ(it->at("addresses").at("net0").at(0).at("addr").as_string(), vm.address);
    }
    EXPECT_NE(vnf->vms[0].address, vnf->vms[1].address);

    auto found = await<std::optional<VnfInstance>>(
        [&](auto done) { m->find_vnf(request.name, ctx(), done); });
    ASSERT_TRUE(found) << found.error().message;
    ASSERT_TRUE(*found);
    EXPECT_EQ((*found)->id, *id);
    EXPECT_EQ((*found)->vms, vnf->vms);

    auto scale_op = await<std::string>([&](auto done) { m->scale(*id, 3, ctx(), done); });
    ASSERT_TRUE(scale_op) << scale_op.error().message;
    EXPECT_EQ(wait_done(*m, *scale_op).state, LcmState::completed);
    auto scaled = await<VnfInstance>([&](auto done) { m->get_vnf(*id, ctx(), done); });
    ASSERT_TRUE(scaled);
    EXPECT_EQ(scaled->vms.size(), 3u);

    auto heal_op =
        await<std::string>([&](auto done) { m->heal(*id, scaled->vms[0].server_id, ctx(), done); });
    ASSERT_TRUE(heal_op) << heal_op.error().message;
    EXPECT_EQ(wait_done(*m, *heal_op).state, LcmState::completed);

    auto terminate_op = await<std::string>([&](auto done) { m->terminate(*id, ctx(), done); });
    ASSERT_TRUE(terminate_op) << terminate_op.error().message;
    EXPECT_EQ(wait_done(*m, *terminate_op).state, LcmState::completed);
    auto terminated = await<VnfInstance>([&](auto done) { m->get_vnf(*id, ctx(), done); });
    ASSERT_TRUE(terminated);
    EXPECT_FALSE(terminated->instantiated);
    EXPECT_TRUE(terminated->vms.empty());

    ASSERT_TRUE(await<Ok>([&](auto done) { m->delete_vnf(*id, ctx(), done); }));
    auto gone = await<VnfInstance>([&](auto done) { m->get_vnf(*id, ctx(), done); });
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code, Errc::not_found);
    EXPECT_TRUE(await<Ok>([&](auto done) { m->delete_vnf(*id, ctx(), done); }));  // idempotent
    auto again = await<std::string>([&](auto done) { m->terminate(*id, ctx(), done); });
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, Errc::not_found);
    auto none = await<std::optional<VnfInstance>>(
        [&](auto done) { m->find_vnf(request.name, ctx(), done); });
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
}

TEST(TackerLifecycle, ContainerVnfOnTheKubernetesVim) {
    auto& w = OpenStackWorld::get();
    auto m = w.manager(w.tacker_config());
    const auto request = container_request("bookinfo-web-v2", 2);
    auto id = await<std::string>([&](auto done) { m->create_vnf(request, ctx(), done); });
    ASSERT_TRUE(id) << id.error().message;
    auto op_id = await<std::string>([&](auto done) { m->instantiate(*id, request, ctx(), done); });
    ASSERT_TRUE(op_id) << op_id.error().message;
    auto op = wait_done(*m, *op_id);
    ASSERT_EQ(op.state, LcmState::completed) << op.error;

    // What Tacker was asked: the Kubernetes VIM, the package's manifests, the namespace.
    const auto state = w.state();
    for (const auto& occ : state.at("vnf_lcm_op_occs").as_array()) {
        if (occ.at("id").as_string() != *op_id) continue;
        const auto& params = occ.at("operationParams").as_object();
        EXPECT_EQ(params.at("vimConnectionInfo").as_object().begin()->value().at("vimType"),
                  "ETSINFV.KUBERNETES.V_1");
        EXPECT_EQ(params.at("additionalParams").at("lcm-kubernetes-def-files"),
                  (boost::json::array{"Files/kubernetes/deployment.yaml"}));
        EXPECT_EQ(params.at("additionalParams").at("namespace"), "default");
    }
    auto vnf = await<VnfInstance>([&](auto done) { m->get_vnf(*id, ctx(), done); });
    ASSERT_TRUE(vnf) << vnf.error().message;
    EXPECT_TRUE(vnf->instantiated);
    EXPECT_TRUE(vnf->vms.empty());
    ASSERT_EQ(vnf->pods.size(), 2u);
    for (const auto& pod : vnf->pods) EXPECT_EQ(pod.rfind("web-", 0), 0u) << pod;

    auto terminate_op = await<std::string>([&](auto done) { m->terminate(*id, ctx(), done); });
    ASSERT_TRUE(terminate_op) << terminate_op.error().message;
    EXPECT_EQ(wait_done(*m, *terminate_op).state, LcmState::completed);
    EXPECT_TRUE(await<Ok>([&](auto done) { m->delete_vnf(*id, ctx(), done); }));
}

TEST(TackerLifecycle, FailedTempCarriesTheDetailAndRollsBack) {
    auto& w = OpenStackWorld::get();
    auto m = w.manager(w.tacker_config());
    const auto request = vm_request("bookinfo-reviews-v1", 1);
    auto id = await<std::string>([&](auto done) { m->create_vnf(request, ctx(), done); });
    ASSERT_TRUE(id) << id.error().message;
    w.control("POST", "/fail_next_ops",
              boost::json::object{{"operation", "INSTANTIATE"},
                                  {"count", 1},
                                  {"detail", "no valid host was found for VDU1"}});
    auto op_id = await<std::string>([&](auto done) { m->instantiate(*id, request, ctx(), done); });
    ASSERT_TRUE(op_id) << op_id.error().message;
    auto op = wait_done(*m, *op_id);
    EXPECT_EQ(op.state, LcmState::failed_temp);
    EXPECT_NE(op.error.find("no valid host was found for VDU1"), std::string::npos) << op.error;

    // While FAILED_TEMP the VNF is busy: another LCM operation conflicts.
    auto busy = await<std::string>([&](auto done) { m->instantiate(*id, request, ctx(), done); });
    ASSERT_FALSE(busy);
    EXPECT_EQ(busy.error().code, Errc::conflict) << busy.error().message;

    ASSERT_TRUE(await<Ok>([&](auto done) { m->rollback_operation(*op_id, ctx(), done); }));
    EXPECT_EQ(wait_done(*m, *op_id).state, LcmState::rolled_back);
    auto vnf = await<VnfInstance>([&](auto done) { m->get_vnf(*id, ctx(), done); });
    ASSERT_TRUE(vnf);
    EXPECT_FALSE(vnf->instantiated);

    // A second rollback of a finished occurrence is refused as a conflict.
    auto twice = await<Ok>([&](auto done) { m->rollback_operation(*op_id, ctx(), done); });
    ASSERT_FALSE(twice);
    EXPECT_EQ(twice.error().code, Errc::conflict) << twice.error().message;
    EXPECT_TRUE(await<Ok>([&](auto done) { m->delete_vnf(*id, ctx(), done); }));
}

TEST(TackerLifecycle, FailOperationEndsFailedTempForGood) {
    auto& w = OpenStackWorld::get();
    auto m = w.manager(w.tacker_config());
    const auto request = vm_request("bookinfo-details-v1", 1);
    auto id = await<std::string>([&](auto done) { m->create_vnf(request, ctx(), done); });
    ASSERT_TRUE(id);
    w.control("POST", "/fail_next_ops",
              boost::json::object{{"operation", "INSTANTIATE"}, {"count", 1}});
    auto op_id = await<std::string>([&](auto done) { m->instantiate(*id, request, ctx(), done); });
    ASSERT_TRUE(op_id);
    ASSERT_EQ(wait_done(*m, *op_id).state, LcmState::failed_temp);
    auto failed = await<LcmOperation>([&](auto done) { m->fail_operation(*op_id, ctx(), done); });
    ASSERT_TRUE(failed) << failed.error().message;
    EXPECT_EQ(failed->state, LcmState::failed);
    EXPECT_TRUE(await<Ok>([&](auto done) { m->delete_vnf(*id, ctx(), done); }));
}

// Poll interval 2 s, operations take 0.3 s: with notifications the completion is seen long
// before the next poll; without, only at the poll.
double seconds_to_completion(tacker::TackerVnfManager& m, const std::string& name) {
    const auto request = vm_request(name, 1);
    auto id = await<std::string>([&](auto done) { m.create_vnf(request, ctx(), done); });
    EXPECT_TRUE(id) << id.error().message;
    const auto start = Clock::now();
    auto op_id = await<std::string>([&](auto done) { m.instantiate(*id, request, ctx(), done); });
    EXPECT_TRUE(op_id) << op_id.error().message;
    const auto op = wait_done(m, *op_id);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    EXPECT_EQ(op.state, LcmState::completed);
    auto t = await<std::string>([&](auto done) { m.terminate(*id, ctx(), done); });
    EXPECT_TRUE(t);
    if (t) {
        EXPECT_EQ(wait_done(m, *t).state, LcmState::completed);
    }
    EXPECT_TRUE(await<Ok>([&](auto done) { m.delete_vnf(*id, ctx(), done); }));
    return seconds;
}

TEST(TackerLifecycle, NotificationsWakeThePollerSooner) {
    auto& w = OpenStackWorld::get();
    auto config = w.tacker_config();
    config.poll_interval = 2s;
    double polled = 0;
    {
        auto m = w.manager(config);
        polled = seconds_to_completion(*m, "bookinfo-polled-v1");
    }
    config.notifications = openstack::NotificationOptions{};
    std::string subscription;
    {
        auto m = w.manager(config);
        ASSERT_FALSE(m->subscription_id().empty());
        subscription = m->subscription_id();
        ASSERT_NE(m->listener(), nullptr);
        EXPECT_GE(m->listener()->tests_answered(), 1u);  // Tacker's GET check of the callback
        const double notified = seconds_to_completion(*m, "bookinfo-notified-v1");
        EXPECT_GT(m->listener()->notifications_received(), 0u);
        std::printf(
            "[ figures  ] instantiate seen completed after %.2f s polling every 2 s, "
            "%.2f s with notifications (ratio %.1f)\n",
            polled, notified, polled / notified);
        EXPECT_LT(notified, 1.2);
        EXPECT_GE(polled, 1.9);
    }
    // Shutting down deleted the subscription.
    const auto state = w.state();
    for (const auto& s : state.at("subscriptions").as_array()) {
        EXPECT_NE(s.at("id").as_string(), subscription);
    }
}

}  // namespace
}  // namespace meshorch::test
