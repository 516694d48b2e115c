// Operations resumed from their journal. A process killed around its nth write to the store is
// played by a store whose nth write never returns: the operation stops there (the calls it
// already sent to the backends still complete, as they do when a process is killed), and once
// the orchestrator is suspending, the write fails. Two deaths per write: just before it reaches
// the disk, and just after (before the step it was written for is taken). For every n, an
// orchestrator started afterwards on the same store must finish the operation, and the simulated
// world must then hold exactly what the spec says: no leaked or duplicated VNF, VM proxy or object.
#include "unit/engine/engine_support.hpp"
#include "unit/store/store_support.hpp"

#include <condition_variable>
#include <set>

namespace meshorch::store_test {
namespace {

using engine_test::describe;

enum class Death { before_write, after_write };

// The store of a process killed at its nth write (counted from 1): that write blocks until
// release(), then fails; with Death::after_write it is on disk first.
class DyingStore final : public StateStore {
public:
    DyingStore(std::shared_ptr<StateStore> inner, int nth_write, Death death)
        : inner_(std::move(inner)), nth_(nth_write), death_(death) {}

    Result<std::optional<ServiceRecord>> load(const std::string& service) override {
        return inner_->load(service);
    }
    Status save(const ServiceRecord& record) override {
        return write([&] { return inner_->save(record); });
    }
    Status erase(const std::string& service) override {
        return write([&] { return inner_->erase(service); });
    }
    Result<std::vector<std::string>> list() override { return inner_->list(); }

    // True once a write went past the limit (the process is "dead"); waits up to `timeout`.
    bool wait_dead(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, [&] { return dead_; });
    }
    // Blocked and later writes fail from now on.
    void release() {
        std::lock_guard lock(mutex_);
        released_ = true;
        cv_.notify_all();
    }

private:
    template <class Fn>
    Status write(Fn fn) {
        std::unique_lock lock(mutex_);
        if (dead_ || ++writes_ < nth_) {
            if (dead_) cv_.wait(lock, [&] { return released_; });
            return dead_ ? make_error(Errc::io, "the process is dead") : fn();
        }
        if (death_ == Death::after_write) (void)fn();
        dead_ = true;
        cv_.notify_all();
        cv_.wait(lock, [&] { return released_; });
        return make_error(Errc::io, "the process is dead");
    }

    std::shared_ptr<StateStore> inner_;
    const int nth_;
    const Death death_;
    std::mutex mutex_;
    std::condition_variable cv_;
    int writes_ = 0;
    bool dead_ = false;
    bool released_ = false;
};

// cart: v1 scaled to two VMs, a new VM version v3, traffic 40/30/30.
ServiceSpec reconfigured_spec() {
    ServiceSpec spec = engine_test::hybrid_spec("shop");
    Microservice* cart = engine_test::find_ms(spec, "cart");
    std::get<VmWorkload>(cart->versions[0].workload).instances = 2;
    cart->versions.push_back(engine_test::vm_version("v3", 1));
    engine_test::set_split(spec, {{"v1", 40}, {"v2", 30}, {"v3", 30}});
    return spec;
}

// What a world holds, without the ids and addresses that differ from run to run.
struct Shape {
    std::multiset<std::string> vnfs;  // "name instantiated instances"
    std::size_t vms = 0;              // with an address
    std::set<std::string> proxies;    // "microservice/version" per proxy, with a count
    std::size_t proxy_count = 0;
    std::set<ObjectKey> objects;
    bool every_vm_has_one_proxy = false;
    friend bool operator==(const Shape&, const Shape&) = default;
};

Shape shape_of(const sim::Snapshot& s) {
    Shape out;
    for (const auto& v : s.vnfs) {
        out.vnfs.insert(v.name + (v.instantiated ? " instantiated " : " created ") +
                        std::to_string(v.instances));
    }
    std::set<std::string> servers;
    for (const auto& vm : s.vms) {
        if (!vm.address.empty()) ++out.vms;
        servers.insert(vm.server_id);
    }
    std::set<std::string> proxied;
    for (const auto& p : s.proxies) {
        out.proxies.insert(p.microservice + "/" + p.version);
        proxied.insert(p.vm.server_id);
    }
    out.proxy_count = s.proxies.size();
    out.every_vm_has_one_proxy = proxied == servers && s.proxies.size() == servers.size();
    for (const auto& [key, object] : s.objects) out.objects.insert(key);
    return out;
}

std::string show(const Shape& s) {
    std::string out = "VNFs:";
    for (const auto& v : s.vnfs) out += " [" + v + "]";
    out += "; VMs " + std::to_string(s.vms) + "; proxies " + std::to_string(s.proxy_count) +
           (s.every_vm_has_one_proxy ? " (one per VM)" : " (NOT one per VM)") + "; objects " +
           std::to_string(s.objects.size());
    return out;
}

Operation wait_done(Result<Operation> op) {
    EXPECT_TRUE(op.ok()) << (op.ok() ? "" : op.error().describe());
    if (!op.ok()) return {};
    EXPECT_TRUE(op->wait_for(60s));
    return *op;
}

// failed_deploy: every proxy installation is refused, so the deploy rolls back (crash points
// in its forward part and in its rollback).
enum class Phase { deploy, reconfigure, terminate, failed_deploy };
const char* name_of(Phase p) {
    switch (p) {
        case Phase::deploy: return "deploy";
        case Phase::reconfigure: return "reconfigure";
        case Phase::terminate: return "terminate";
        case Phase::failed_deploy: return "failed_deploy";
    }
    return "?";
}
bool is_deploy(Phase p) {
    return p == Phase::deploy || p == Phase::failed_deploy;
}
// Leaves the world empty and the store without a record.
bool ends_empty(Phase p) {
    return p == Phase::terminate || p == Phase::failed_deploy;
}
void refuse_every_proxy(sim::World& world) {
    world.script({sim::CallKind::inject, 1, sim::FaultKind::rejected, "", 0});
}

// One workload per container version of `spec` and one per VM of the world, with its address.
void expect_status_lists_the_world(Orchestrator& orch, const sim::Snapshot& world,
                                   const ServiceSpec& spec, const std::string& where) {
    auto status = orch.status(spec.name);
    ASSERT_TRUE(status) << where;
    std::set<std::string> listed, wanted;
    for (const auto& w : status->workloads) {
        listed.insert(w.id.to_string() + (w.substrate == Substrate::vm ? " at " + w.address : ""));
    }
    for (const auto& ms : spec.microservices) {
        for (const auto& v : ms.versions) {
            if (v.substrate() == Substrate::container) {
                wanted.insert(WorkloadId{ms.name, v.name, 0}.to_string());
            }
        }
    }
    std::set<std::string> vm_addresses;
    for (const auto& vm : world.vms) vm_addresses.insert(vm.address);
    for (const auto& w : status->workloads) {
        if (w.substrate == Substrate::vm && vm_addresses.erase(w.address)) {
            wanted.insert(w.id.to_string() + " at " + w.address);
        }
    }
    EXPECT_EQ(listed, wanted) << where << ": the status lists workloads the world does not hold";
    EXPECT_TRUE(vm_addresses.empty())
        << where << ": the status does not list the VM at " << *vm_addresses.begin();
}

struct Trial {
    bool crashed = false;  // false: the operation ended before its nth write
};

class ResumeAfterCrash : public ::testing::TestWithParam<Phase> {
protected:
    void SetUp() override { spdlog::set_level(spdlog::level::off); }

    // Runs the phase's operation in a process that dies after `writes` store writes, then
    // finishes it in a new one and checks the world.
    // `before`: the world before the operation (what must remain when it died before its
    // first write); `expected`: after it.
    Trial run(Phase phase, int writes, Death death, const Shape& before, const Shape& expected) {
        ScratchDir dir;
        SqliteOptions so;
        so.sync = SqliteSync::normal;  // durability is the SQLite tests' business; speed here
        auto opened = SqliteStateStore::open(dir.file("state.db"), so);
        if (!opened.ok()) throw std::runtime_error(opened.error().describe());
        std::shared_ptr<StateStore> disk = *opened;
        auto world = sim::World::create(engine_test::fast_sim(static_cast<std::uint64_t>(writes)));
        auto on = [&](std::shared_ptr<StateStore> store) {
            Backends b = world->backends();
            b.store = std::move(store);
            return b;
        };
        const ServiceSpec first = engine_test::hybrid_spec("shop");
        if (!is_deploy(phase)) {
            Orchestrator setup(on(disk), engine_test::fast_options());
            Operation op = wait_done(setup.deploy(first));
            EXPECT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
        }

        if (phase == Phase::failed_deploy) refuse_every_proxy(*world);
        auto dying = std::make_shared<DyingStore>(disk, writes, death);
        std::string op_id;
        Trial trial;
        {
            Orchestrator victim(on(dying), engine_test::fast_options());
            Result<Operation> started = is_deploy(phase) ? victim.deploy(first)
                                        : phase == Phase::reconfigure
                                            ? victim.reconfigure(reconfigured_spec())
                                            : victim.terminate("shop");
            EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error().describe());
            if (!started.ok()) return trial;
            op_id = started->id();
            // Ends when the operation does or the store "dies", whichever comes first.
            while (!started->done() && !dying->wait_dead(1ms)) {
            }
            trial.crashed = dying->wait_dead(0ms);
            if (!trial.crashed) {
                EXPECT_EQ(started->state(), final_state(phase)) << describe(started->result());
                return trial;
            }
            // Suspending, the victim undoes nothing; only then does its blocked write fail.
            // It refuses new operations once it is suspending.
            std::thread stopper([&] { victim.suspend(); });
            for (;;) {
                auto probe = victim.terminate("no-such-service");
                if (!probe.ok() && probe.error().code == Errc::cancelled) break;
                std::this_thread::sleep_for(1ms);
            }
            dying->release();
            stopper.join();
        }

        // What the disk holds at the restart (the survivor may finish the operation at once).
        auto record = disk->load("shop");
        EXPECT_TRUE(record.ok());
        const bool journaled = record.ok() && *record && (*record)->operation;
        Orchestrator survivor(on(disk), engine_test::fast_options());
        auto resumed = survivor.operation(op_id);
        if (journaled) {
            EXPECT_TRUE(resumed) << "the journal of " << op_id << " is in the store, but the "
                                 << "new orchestrator does not resume it";
            if (!resumed) return trial;
            EXPECT_TRUE(resumed->wait_for(60s));
            EXPECT_EQ(resumed->state(), final_state(phase))
                << name_of(phase) << " killed at write " << writes << ": "
                << describe(resumed->result());
        } else {
            // The journal is the operation's first write and leaves with its last one: a death
            // before the first leaves the world as it was, one after the last as it should be.
            EXPECT_FALSE(resumed);
            const bool untouched = writes == 1 && death == Death::before_write;
            const Shape& want = untouched ? before : expected;
            const Shape got = shape_of(world->snapshot());
            EXPECT_EQ(got, want) << name_of(phase) << " killed at write " << writes
                                 << " left no journal\n  expected " << show(want) << "\n  got      "
                                 << show(got);
            if (!untouched && !ends_empty(phase)) {
                EXPECT_TRUE(record.ok() && *record && (*record)->applied_spec)
                    << "no journal and no applied spec after the last write";
                expect_status_lists_the_world(
                    survivor, world->snapshot(),
                    phase == Phase::reconfigure ? reconfigured_spec()
                                                : engine_test::hybrid_spec("shop"),
                    std::string(name_of(phase)) + " killed after its last write");
            }
            return trial;
        }

        const Shape got = shape_of(world->snapshot());
        EXPECT_EQ(got, expected) << name_of(phase) << " killed at write " << writes
                                 << "\n  expected " << show(expected) << "\n  got      "
                                 << show(got);
        if (ends_empty(phase)) {
            auto names = disk->list();
            EXPECT_TRUE(names.ok() && names->empty())
                << "the record outlived the " << name_of(phase);
            return trial;
        }
        // The status lists what is in the mesh, also what a dead process brought in.
        expect_status_lists_the_world(
            survivor, world->snapshot(),
            phase == Phase::reconfigure ? reconfigured_spec() : engine_test::hybrid_spec("shop"),
            std::string(name_of(phase)) + " killed at write " + std::to_string(writes));
        // The record is true to the world: a terminate from it leaves nothing.
        Operation gone = wait_done(survivor.terminate("shop"));
        EXPECT_EQ(gone.state(), OperationState::succeeded) << describe(gone.result());
        EXPECT_TRUE(world->snapshot().empty())
            << name_of(phase) << " killed at write " << writes << ": terminate left "
            << show(shape_of(world->snapshot()));
        return trial;
    }

    static OperationState final_state(Phase phase) {
        return phase == Phase::failed_deploy ? OperationState::rolled_back
                                             : OperationState::succeeded;
    }

    // The world after the phase's operation ran without a crash.
    Shape reference(Phase phase) {
        auto world = sim::World::create(engine_test::fast_sim());
        if (phase == Phase::failed_deploy) refuse_every_proxy(*world);
        Orchestrator orch(world->backends(), engine_test::fast_options());
        Operation op = wait_done(orch.deploy(engine_test::hybrid_spec("shop")));
        EXPECT_EQ(op.state(), final_state(phase)) << describe(op.result());
        if (phase == Phase::reconfigure) {
            op = wait_done(orch.reconfigure(reconfigured_spec()));
            EXPECT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
        } else if (phase == Phase::terminate) {
            op = wait_done(orch.terminate("shop"));
            EXPECT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
        }
        return shape_of(world->snapshot());
    }
};

TEST_P(ResumeAfterCrash, EveryWriteIsACrashPointTheOperationSurvives) {
    const Phase phase = GetParam();
    const Shape before = is_deploy(phase) ? shape_of(sim::Snapshot{}) : reference(Phase::deploy);
    const Shape expected = reference(phase);
    ASSERT_TRUE(expected.every_vm_has_one_proxy);
    int crash_points = 0;
    for (Death death : {Death::before_write, Death::after_write}) {
        for (int writes = 1; writes < 400; ++writes) {
            const Trial t = run(phase, writes, death, before, expected);
            if (HasFailure()) {
                ADD_FAILURE() << name_of(phase) << ": first failing crash point: "
                              << (death == Death::before_write ? "before" : "after") << " write "
                              << writes;
                return;
            }
            if (!t.crashed) break;
            ++crash_points;
        }
    }
    RecordProperty("crash_points", crash_points);
    std::printf("%s: %d crash points, each resumed and converged\n", name_of(phase), crash_points);
    EXPECT_GT(crash_points, 5);
}

// A store that refuses every write after the nth, as etcd refuses a deposed leader's.
class FencedStore final : public StateStore {
public:
    FencedStore(std::shared_ptr<StateStore> inner, int writes)
        : inner_(std::move(inner)), left_(writes) {}
    Result<std::optional<ServiceRecord>> load(const std::string& s) override {
        return inner_->load(s);
    }
    Status save(const ServiceRecord& r) override { return admit() ? inner_->save(r) : refused(); }
    Status erase(const std::string& s) override { return admit() ? inner_->erase(s) : refused(); }
    Result<std::vector<std::string>> list() override { return inner_->list(); }

private:
    bool admit() { return left_.fetch_sub(1) > 0; }
    static Status refused() { return make_error(Errc::conflict, "not the leader any more"); }
    std::shared_ptr<StateStore> inner_;
    std::atomic<int> left_;
};

TEST(ResumeAfterFencing, ARefusedWriteStopsTheOperationWithoutUndoingAndTheNextLeaderFinishes) {
    spdlog::set_level(spdlog::level::off);
    auto disk = std::make_shared<MemoryStateStore>();
    auto world = sim::World::create(engine_test::fast_sim());
    auto on = [&](std::shared_ptr<StateStore> store) {
        return engine_test::backends_with(*world, std::move(store));
    };
    std::string op_id;
    sim::Snapshot when_refused;
    {
        Orchestrator deposed(on(std::make_shared<FencedStore>(disk, 8)),
                             engine_test::fast_options());
        Operation op = wait_done(deposed.deploy(engine_test::hybrid_spec("shop")));
        op_id = op.id();
        EXPECT_EQ(op.state(), OperationState::failed);
        EXPECT_NE(op.result().error().message.find("stopped without undoing"), std::string::npos)
            << describe(op.result());
        when_refused = world->snapshot();
        EXPECT_FALSE(when_refused.empty()) << "it had made things before the refusal";
    }
    EXPECT_FALSE(world->snapshot().empty()) << "nothing was undone";
    auto record = disk->load("shop");
    ASSERT_TRUE(record.ok() && *record && (*record)->operation);
    EXPECT_EQ((*record)->operation->id, op_id);

    Orchestrator leader(on(disk), engine_test::fast_options());
    auto resumed = leader.operation(op_id);
    ASSERT_TRUE(resumed);
    ASSERT_TRUE(resumed->wait_for(60s));
    EXPECT_EQ(resumed->state(), OperationState::succeeded) << describe(resumed->result());
    Operation gone = wait_done(leader.terminate("shop"));
    EXPECT_EQ(gone.state(), OperationState::succeeded) << describe(gone.result());
    EXPECT_TRUE(world->snapshot().empty());
}

INSTANTIATE_TEST_SUITE_P(Phases, ResumeAfterCrash,
                         ::testing::Values(Phase::deploy, Phase::reconfigure, Phase::terminate,
                                           Phase::failed_deploy),
                         [](const auto& param_info) {
                             return std::string(name_of(param_info.param));
                         });

}  // namespace
}  // namespace meshorch::store_test
