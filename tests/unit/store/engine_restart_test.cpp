// The engine on the SQLite store: a service deployed by one orchestrator is known to a new one
// on the same file (a restarted process), which can terminate it.
#include "unit/engine/engine_support.hpp"
#include "unit/store/store_support.hpp"

namespace meshorch::store_test {
namespace {

using engine_test::describe;

TEST(SqliteStoreEngine, AServiceSurvivesARestartOfTheOrchestrator) {
    spdlog::set_level(spdlog::level::warn);
    ScratchDir dir;
    const std::string path = dir.file("state.db");
    auto world = sim::World::create(engine_test::fast_sim());
    auto backends_on = [&](std::shared_ptr<StateStore> store) {
        Backends b = world->backends();
        b.store = std::move(store);
        return b;
    };
    const ServiceSpec spec = engine_test::hybrid_spec();

    {
        auto store = SqliteStateStore::open(path);
        ASSERT_TRUE(store.ok()) << store.error().describe();
        Orchestrator first(backends_on(*store), engine_test::fast_options());
        auto op = first.deploy(spec);
        ASSERT_TRUE(op.ok()) << op.error().describe();
        ASSERT_TRUE(op->wait_for(60s));
        ASSERT_EQ(op->state(), OperationState::succeeded) << describe(op->result());
    }  // the first orchestrator and its store are gone

    const sim::Snapshot deployed = world->snapshot();
    ASSERT_EQ(deployed.vms.size(), 1u);

    auto store = SqliteStateStore::open(path);
    ASSERT_TRUE(store.ok()) << store.error().describe();
    auto record = (*store)->load("shop");
    ASSERT_TRUE(record.ok() && *record);
    EXPECT_EQ((*record)->applied_spec, spec);
    EXPECT_EQ((*record)->applied_objects.size(), render(spec, (*record)->observed).size());
    EXPECT_EQ((*record)->vnfs.size(), 3u);
    EXPECT_EQ((*record)->token_expiry.size(), 1u);

    Orchestrator second(backends_on(*store), engine_test::fast_options());
    auto status = second.status("shop");
    ASSERT_TRUE(status);
    EXPECT_EQ(status->phase, ServicePhase::ready);
    EXPECT_EQ(status->namespace_, "shop");
    EXPECT_EQ(status->applied_objects, (*record)->applied_objects.size());
    bool vm_seen = false;
    for (const auto& w : status->workloads) {
        if (w.substrate != Substrate::vm) continue;
        vm_seen = true;
        EXPECT_EQ(w.address, deployed.vms[0].address);
        EXPECT_FALSE(w.vnf_id.empty());
    }
    EXPECT_TRUE(vm_seen);
    auto services = second.services();
    ASSERT_EQ(services.size(), 1u);
    EXPECT_EQ(services[0].name, "shop");

    auto again = second.deploy(spec);  // it knows the service exists
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, Errc::invalid_argument);

    auto terminate = second.terminate("shop");
    ASSERT_TRUE(terminate.ok()) << terminate.error().describe();
    ASSERT_TRUE(terminate->wait_for(60s));
    ASSERT_EQ(terminate->state(), OperationState::succeeded) << describe(terminate->result());
    EXPECT_TRUE(world->snapshot().empty());
    auto names = (*store)->list();
    ASSERT_TRUE(names.ok());
    EXPECT_TRUE(names->empty());
}

}  // namespace
}  // namespace meshorch::store_test
