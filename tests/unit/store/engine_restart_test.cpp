// The engine on the SQLite store: a service deployed by one orchestrator is known to a new one
// on the same file (a restarted process), which can terminate it.
#include "unit/engine/engine_support.hpp"
#include "unit/store/store_support.hpp"

#include <future>

namespace meshorch::store_test {
namespace {

using engine_test::describe;

TEST(SqliteStoreEngine, AServiceSurvivesARestartOfTheOrchestrator) {
    spdlog::set_level(spdlog::level::warn);
    ScratchDir dir;
    const std::string path = dir.file("state.db");
    auto world = sim::World::create(engine_test::fast_sim());
    auto backends_on = [&](std::shared_ptr<StateStore> store) {
        return engine_test::backends_with(*world, std::move(store));
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

// Calls a cluster port synchronously.
template <class T, class Start>
Result<T> call(Start start) {
    std::promise<Result<T>> done;
    auto result = done.get_future();
    start(CallContext{}, [&](Result<T> r) { done.set_value(std::move(r)); });
    return result.get();
}

TEST(SqliteStoreEngine, DriftFoundAtStartIsReportedAndAReconfigureRepairsIt) {
    spdlog::set_level(spdlog::level::off);
    ScratchDir dir;
    const std::string path = dir.file("state.db");
    auto world = sim::World::create(engine_test::fast_sim());
    auto backends_on = [&](std::shared_ptr<StateStore> store) {
        return engine_test::backends_with(*world, std::move(store));
    };
    const ServiceSpec spec = engine_test::hybrid_spec();
    auto store = SqliteStateStore::open(path);
    ASSERT_TRUE(store.ok()) << store.error().describe();
    {
        Orchestrator first(backends_on(*store), engine_test::fast_options());
        auto op = first.deploy(spec);
        ASSERT_TRUE(op.ok() && op->wait_for(60s));
        ASSERT_EQ(op->state(), OperationState::succeeded) << describe(op->result());
    }
    // Behind meshorch's back: the AuthorizationPolicy goes, the VirtualService changes.
    auto cluster = world->cluster();
    const ObjectSet applied = world->snapshot().objects;
    const Object* vs = nullptr;
    const Object* policy = nullptr;
    for (const auto& [key, o] : applied) {
        if (key.kind == "VirtualService" && key.name == "cart") vs = &o;
        if (key.kind == "AuthorizationPolicy" && key.name == "cart") policy = &o;
    }
    ASSERT_TRUE(vs && policy);
    Object edited = *vs;
    edited.manifest.edit()["spec"].as_object()["hosts"] = boost::json::array{"elsewhere"};
    ASSERT_TRUE((call<Object>([&](const CallContext& c, Callback<Object> cb) {
                    cluster->apply(edited, c, std::move(cb));
                })).ok());
    ASSERT_TRUE((call<Ok>([&](const CallContext& c, Callback<Ok> cb) {
                    cluster->remove(policy->key, c, std::move(cb));
                })).ok());

    Orchestrator second(backends_on(*store), engine_test::fast_options());
    std::string message;
    for (int i = 0; i < 500 && message.empty(); ++i) {
        std::this_thread::sleep_for(10ms);
        message = second.status("shop")->message;
    }
    EXPECT_NE(message.find("drift found after a restart (2)"), std::string::npos) << message;
    EXPECT_NE(message.find("is missing"), std::string::npos) << message;
    EXPECT_EQ(second.status("shop")->phase, ServicePhase::ready);

    // The same spec again writes both back.
    auto again = second.reconfigure(spec);
    ASSERT_TRUE(again.ok() && again->wait_for(60s));
    EXPECT_EQ(again->state(), OperationState::succeeded) << describe(again->result());
    const ObjectSet repaired = world->snapshot().objects;
    ASSERT_EQ(repaired.size(), applied.size());
    for (const auto& [key, o] : applied) {
        const Object* now = repaired.find(key);
        ASSERT_TRUE(now) << key.to_string() << " was not written again";
        const boost::json::value* want = o.manifest.if_contains("spec");
        const boost::json::value* have = now->manifest.if_contains("spec");
        EXPECT_TRUE(want ? have && *have == *want : !have) << key.to_string();
    }
}

}  // namespace
}  // namespace meshorch::store_test
