// The operations, top to bottom: deploy, reconfigure, terminate, heal, and rollback.
#include "engine/run.hpp"

#include "engine/assign_if_changed.hpp"

#include <meshorch/render.hpp>
#include <meshorch/spec.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace meshorch::engine {

Run::Run(Core& core, std::shared_ptr<Operation::Shared> op, Request request, bool resume)
    : core_(core), op_(std::move(op)), request_(std::move(request)), resume_(resume) {
    tag_ = "[" + op_->id + " " + request_.service + "]";
    record_.name = request_.service;
    if (request_.spec) namespace_ = namespace_of(*request_.spec);
}

void Run::spawn(std::shared_ptr<Run> run, Executor strand) {
    asio::co_spawn(strand, entry(std::move(run)), asio::detached);
}

Task<void> Run::entry(std::shared_ptr<Run> self) {
    co_await self->main();
}

Task<void> Run::main() {
    deadline_ = Clock::now() + core_.options.operation_deadline;
    core_.log->info("{} {} started", tag_, to_string(request_.kind));
    set_state(OperationState::pending);
    unverified_ = core_.take_drift(request_.service);
    bool crashed = false;
    std::string what;
    try {
        if (resume_) {
            co_await resume_flow();
        } else
            switch (request_.kind) {
                case OperationKind::deploy: co_await deploy_flow(); break;
                case OperationKind::reconfigure: co_await reconfigure_flow(); break;
                case OperationKind::terminate: co_await terminate_flow(); break;
                case OperationKind::heal: co_await heal_flow(); break;
            }
    } catch (const std::exception& e) {
        crashed = true;
        what = e.what();
    }
    if (crashed && !finished_) {
        core_.log->error("{} unexpected exception: {}", tag_, what);
        fail(make_error(Errc::internal, "unexpected exception: " + what));
    }
    if (!finished_) fail(make_error(Errc::internal, "the operation ended without a result"));
}

bool Run::spec_is_valid(const ServiceSpec& spec) {
    auto problems = validate(spec);
    if (problems.empty()) return true;
    Error e =
        make_error(Errc::invalid_spec, "the spec of service \"" + spec.name + "\" is not valid");
    e.fields = std::move(problems);
    fail(std::move(e));
    return false;
}

std::optional<std::optional<ServiceRecord>> Run::load_record(const std::string& service) {
    auto loaded = core_.store->load(service);
    if (!loaded.ok()) {
        fail(loaded.error());
        return std::nullopt;
    }
    return std::move(*loaded);
}

// ---- deploy ---------------------------------------------------------------------------------

Task<void> Run::deploy_flow() {
    const ServiceSpec& spec = *request_.spec;
    set_state(OperationState::validating);
    if (!spec_is_valid(spec)) co_return;
    auto loaded = load_record(spec.name);
    if (!loaded) co_return;
    if (*loaded) record_ = std::move(**loaded);
    if (record_.applied_spec) {
        fail(make_error(Errc::invalid_argument,
                        "service \"" + spec.name + "\" is already deployed; use reconfigure"));
        co_return;
    }
    record_.name = spec.name;
    if (Status s = open_journal(); !s.ok()) {
        fail(std::move(s).error());
        co_return;
    }
    co_await apply_target(spec);
}

Task<void> Run::apply_target(const ServiceSpec& spec) {
    const Ctx ctx{deadline_, op_->cancel.token()};
    Status st = co_await converge(&spec, ctx, Mode::apply);
    if (st.ok()) st = co_await verify(&spec, ctx);
    if (st.ok()) {
        record_.applied_spec = spec;
        close_journal();
        st = save();
    }
    if (st.ok()) {
        succeed();
        co_return;
    }
    co_await rollback(std::move(st).error());
}

// ---- reconfigure ----------------------------------------------------------------------------

namespace {

struct VersionDiff {
    std::vector<std::string> added, removed, scaled, unchanged;
    std::vector<FieldError> immutable;  // versions changed in ways a VNF cannot follow
};

VersionDiff diff_versions(const ServiceSpec& before, const ServiceSpec& after) {
    VersionDiff d;
    for (std::size_t i = 0; i < after.microservices.size(); ++i) {
        const Microservice& ms = after.microservices[i];
        const Microservice* old_ms = before.find_microservice(ms.name);
        for (std::size_t j = 0; j < ms.versions.size(); ++j) {
            const Version& v = ms.versions[j];
            const std::string label = ms.name + "/" + v.name;
            const Version* old = old_ms ? old_ms->find_version(v.name) : nullptr;
            if (!old) {
                d.added.push_back(label);
                continue;
            }
            // Everything but the instance count is fixed for the life of a VNF.
            Version same_count = v;
            if (auto* vm = std::get_if<VmWorkload>(&same_count.workload);
                vm && old->substrate() == Substrate::vm) {
                vm->instances = std::get<VmWorkload>(old->workload).instances;
            } else if (auto* c = std::get_if<ContainerWorkload>(&same_count.workload);
                       c && old->substrate() == Substrate::container) {
                c->replicas = std::get<ContainerWorkload>(old->workload).replicas;
            }
            if (!(same_count == *old)) {
                d.immutable.push_back(
                    {"spec.microservices[" + std::to_string(i) + "].versions[" + std::to_string(j) +
                         "]",
                     "version " + label +
                         " changed beyond its instance count; a version is immutable once "
                         "deployed: add a new version and move the traffic to it",
                     0, 0});
            } else if (old->instance_count() != v.instance_count()) {
                d.scaled.push_back(label + " " + std::to_string(old->instance_count()) + "->" +
                                   std::to_string(v.instance_count()));
            } else {
                d.unchanged.push_back(label);
            }
        }
    }
    for (const auto& ms : before.microservices) {
        const Microservice* new_ms = after.find_microservice(ms.name);
        for (const auto& v : ms.versions) {
            if (!new_ms || !new_ms->find_version(v.name))
                d.removed.push_back(ms.name + "/" + v.name);
        }
    }
    return d;
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) {
        if (!out.empty()) out += ", ";
        out += i;
    }
    return out;
}

}  // namespace

Task<void> Run::reconfigure_flow() {
    const ServiceSpec& spec = *request_.spec;
    set_state(OperationState::validating);
    if (!spec_is_valid(spec)) co_return;
    auto loaded = load_record(spec.name);
    if (!loaded) co_return;
    if (!*loaded || !(*loaded)->applied_spec) {
        fail(make_error(Errc::not_found, "service \"" + spec.name + "\" is not deployed"));
        co_return;
    }
    record_ = std::move(**loaded);
    previous_ = record_.applied_spec;
    if (namespace_of(*previous_) != namespace_of(spec)) {
        Error e = make_error(Errc::invalid_spec, "the namespace of a service cannot change");
        e.fields.push_back({"metadata.namespace",
                            "cannot change from \"" + namespace_of(*previous_) + "\" to \"" +
                                namespace_of(spec) + "\"; terminate and deploy again",
                            0, 0});
        fail(std::move(e));
        co_return;
    }

    set_state(OperationState::planning);
    VersionDiff diff = diff_versions(*previous_, spec);
    if (!diff.immutable.empty()) {
        Error e = make_error(Errc::invalid_spec, "the change cannot be made in place");
        e.fields = std::move(diff.immutable);
        fail(std::move(e));
        co_return;
    }
    std::string summary;
    auto add = [&](const char* what, const std::vector<std::string>& items) {
        if (items.empty()) return;
        if (!summary.empty()) summary += "; ";
        summary += what;
        summary += ' ';
        summary += join(items);
    };
    add("add", diff.added);
    add("remove", diff.removed);
    add("scale", diff.scaled);
    if (summary.empty()) summary = "no workload changes";
    step("plan: " + summary + " (" + std::to_string(diff.unchanged.size()) + " unchanged)");
    if (Status s = open_journal(); !s.ok()) {
        fail(std::move(s).error());
        co_return;
    }
    co_await apply_target(spec);
}

// ---- terminate ------------------------------------------------------------------------------

Task<void> Run::terminate_flow() {
    auto loaded = load_record(request_.service);
    if (!loaded) co_return;
    if (!*loaded) {
        fail(make_error(Errc::not_found, "service \"" + request_.service + "\" does not exist"));
        co_return;
    }
    record_ = std::move(**loaded);
    previous_ = record_.applied_spec;
    if (previous_) namespace_ = namespace_of(*previous_);
    if (Status s = open_journal(); !s.ok()) {
        fail(std::move(s).error());
        co_return;
    }
    co_await tear_down();
}

Task<void> Run::tear_down() {
    const Ctx ctx{deadline_, op_->cancel.token()};
    Status st = co_await adopt_created_vnfs(ctx);
    if (st.ok()) st = co_await converge(nullptr, ctx, Mode::teardown);
    if (st.ok()) {
        close_journal();
        if (auto erased = core_.store->erase(record_.name); !erased.ok()) st = erased;
    }
    if (st.ok()) {
        core_.update_service(request_.service, [](ServiceEntry& e) {
            e.workloads.clear();
            e.status.applied_objects = 0;
        });
        succeed();
        co_return;
    }
    Error e = cancelled_or(std::move(st).error());
    e.message += "; remaining: " + remaining(nullptr);
    fail(std::move(e));
}

// ---- heal -----------------------------------------------------------------------------------

Task<void> Run::heal_flow() {
    const WorkloadId target = request_.workload;
    set_state(OperationState::validating);
    auto loaded = load_record(request_.service);
    if (!loaded) co_return;
    if (!*loaded || !(*loaded)->applied_spec) {
        fail(make_error(Errc::not_found, "service \"" + request_.service + "\" is not deployed"));
        co_return;
    }
    record_ = std::move(**loaded);
    previous_ = record_.applied_spec;
    const ServiceSpec& spec = *previous_;
    namespace_ = namespace_of(spec);
    const Microservice* ms = spec.find_microservice(target.microservice);
    const Version* v = ms ? ms->find_version(target.version) : nullptr;
    const VersionKey key{target.microservice, target.version};
    auto obs = record_.observed.vms.find(key);
    if (!v || v->substrate() != Substrate::vm || obs == record_.observed.vms.end() ||
        target.instance < 0 || static_cast<std::size_t>(target.instance) >= obs->second.size()) {
        fail(make_error(Errc::not_found, "no VM workload " + target.to_string()));
        co_return;
    }
    const std::string name = vnf_name(target.microservice, target.version);
    auto vnf_it = record_.vnfs.find(name);
    if (vnf_it == record_.vnfs.end()) {
        fail(make_error(Errc::not_found, "no VNF recorded for " + target.to_string()));
        co_return;
    }
    const std::string vnf_id = vnf_it->second;
    const VmInstance old_vm = obs->second[static_cast<std::size_t>(target.instance)];
    const Ctx ctx{deadline_, op_->cancel.token()};
    if (Status s = open_journal(); !s.ok()) {
        fail(std::move(s).error());
        co_return;
    }

    auto failed = [&](Error e) {
        e = cancelled_or(std::move(e));
        set_workload(target, WorkloadState::failed, e.message);
        (void)save();
        fail(std::move(e));
    };

    // 1. A proxy-only failure: the VM is up, so re-installing its proxy is enough. The ports
    //    cannot tell a dead VM from a dead proxy, so one attempt at that is the probe.
    auto inst = co_await get_vnf(vnf_id, ctx);
    if (!inst.ok()) {
        failed(std::move(inst).error());
        co_return;
    }
    if (!*inst) {
        failed(make_error(Errc::not_found, "VNF " + name + " (" + vnf_id + ") no longer exists"));
        co_return;
    }
    auto same = std::find_if((*inst)->vms.begin(), (*inst)->vms.end(), [&](const VmInstance& vm) {
        return vm.server_id == old_vm.server_id && !vm.address.empty();
    });
    std::optional<VmInstance> healed;
    if (same != (*inst)->vms.end()) {
        const VmInstance up = *same;
        set_state(OperationState::injecting);
        if (!(up == old_vm)) {
            record_.observed.vms[key][static_cast<std::size_t>(target.instance)] = up;
            if (Status s = save(); !s.ok()) {
                failed(std::move(s).error());
                co_return;
            }
        }
        auto cert = co_await root_certificate(ctx);
        if (!cert.ok()) {
            failed(std::move(cert).error());
            co_return;
        }
        Status probe =
            co_await inject_vm(&spec, target.microservice, target.version, up, *cert, ctx, true);
        if (probe.ok()) {
            healed = up;
        } else if (probe.error().code == Errc::cancelled || op_->cancel.cancelled()) {
            failed(std::move(probe).error());
            co_return;
        } else {
            step("re-installing the proxy on VM " + up.server_id + " failed (" +
                 probe.error().message + "); healing the VM");
        }
    }

    // 2. Otherwise the VM itself: heal the VNFC, then a fresh proxy on what replaced it.
    if (!healed) {
        set_state(OperationState::instantiating);
        set_workload(target, WorkloadState::instantiating, "healing VM " + old_vm.server_id);
        auto op_id = co_await start_heal(vnf_id, old_vm.server_id, ctx);
        if (!op_id.ok()) {
            failed(std::move(op_id).error());
            co_return;
        }
        if (Status w = co_await wait_lcm(*op_id, "heal of VNF " + name, ctx); !w.ok()) {
            failed(std::move(w).error());
            co_return;
        }
        auto vms = co_await wait_vms(vnf_id, v->instance_count(), "the VMs of VNF " + name, ctx);
        if (!vms.ok()) {
            failed(std::move(vms).error());
            co_return;
        }
        // The healed VM: the same server, or the one server not in the mesh (a new VNFC).
        std::set<std::string> known;
        for (const auto& vm : record_.observed.vms[key]) known.insert(vm.server_id);
        for (const auto& vm : *vms) {
            if (vm.server_id == old_vm.server_id) healed = vm;
        }
        for (const auto& vm : *vms) {
            if (!healed && !known.count(vm.server_id)) healed = vm;
        }
        if (!healed) {
            failed(make_error(
                Errc::backend,
                "heal of VNF " + name + " completed but no VM replaced " + old_vm.server_id));
            co_return;
        }
        step("VM " + old_vm.server_id + " healed: now " + healed->server_id + " (" +
             healed->address + ")");
        describe_workload(target, Substrate::vm, vnf_id, &*healed);
        set_workload(target, WorkloadState::running);

        set_state(OperationState::injecting);
        if (Status r = co_await remove_proxy(old_vm, ctx); !r.ok()) {  // gone VM: success
            failed(std::move(r).error());
            co_return;
        }
        // The same place in the list: the same WorkloadEntry name.
        record_.observed.vms[key][static_cast<std::size_t>(target.instance)] = *healed;
        if (Status s = save(); !s.ok()) {
            failed(std::move(s).error());
            co_return;
        }
        auto cert = co_await root_certificate(ctx);
        if (!cert.ok()) {
            failed(std::move(cert).error());
            co_return;
        }
        if (Status s =
                co_await inject_vm(&spec, target.microservice, target.version, *healed, *cert, ctx);
            !s.ok()) {
            failed(std::move(s).error());
            co_return;
        }
    }
    const VmInstance new_vm = *healed;
    describe_workload(target, Substrate::vm, vnf_id, &new_vm);

    // 3. Its WorkloadEntry, when the address changed.
    if (Status s = co_await sync_workload_entries(&spec, ctx, false, Mode::apply,
                                                  OperationState::configuring);
        !s.ok()) {
        failed(std::move(s).error());
        co_return;
    }
    set_workload(target, WorkloadState::in_mesh);

    set_state(OperationState::verifying);
    auto check = co_await wait_vms(vnf_id, v->instance_count(), "VMs of " + name, ctx);
    if (!check.ok()) {
        failed(std::move(check).error());
        co_return;
    }
    set_workload(target, WorkloadState::ready);
    succeed();
}

// ---- rollback -------------------------------------------------------------------------------

Task<void> Run::rollback(Error original) {
    if (suspend_if_asked()) co_return;
    if (store_refused_) {
        Error e = *store_refused_;
        e.message +=
            "; stopped without undoing anything (the last journal in the store lets an "
            "orchestrator started on it finish the operation)";
        fail(std::move(e));
        co_return;
    }
    original = cancelled_or(std::move(original));
    core_.log->warn("{} failed: {}; rolling back", tag_, original.describe());
    step("failed: " + original.message + "; rolling back");
    set_state(OperationState::rolling_back);
    if (record_.operation) {
        record_.operation->rolling_back = true;
        record_.operation->error_code = original.code;
        record_.operation->error_message = original.message;
    }
    // Not stopping here when the store refuses: undoing does not depend on the journal.
    if (Status s = save(); !s.ok()) core_.log->error("{} {}", tag_, s.error().message);

    // The rollback has its own deadline, and only the orchestrator's shutdown stops it.
    const Ctx ctx{Clock::now() + core_.options.operation_deadline, op_->abort.token()};
    const ServiceSpec* target = previous_ ? &*previous_ : nullptr;
    Status st = co_await adopt_created_vnfs(ctx);
    if (st.ok()) st = co_await converge(target, ctx, Mode::rollback);
    if (st.ok() && target) st = co_await verify(target, ctx);
    if (st.ok()) {
        close_journal();
        if (target) {
            st = save();
        } else if (auto erased = core_.store->erase(record_.name); !erased.ok()) {
            st = erased;
        }
    }
    if (st.ok()) {
        state_ = OperationState::rolled_back;
        core_.update_service(request_.service, [&](ServiceEntry& e) {
            if (!target) {
                e.workloads.clear();
                e.status.applied_objects = 0;
                e.status.phase = ServicePhase::failed;
            } else {
                e.status.phase = ServicePhase::ready;
                std::erase_if(e.workloads, [](const auto& kv) {
                    return kv.second.state == WorkloadState::terminated;
                });
            }
            e.status.last_operation_state = OperationState::rolled_back;
            e.status.message = "rolled back: " + original.message;
        });
        // What was restored serves again.
        std::vector<WorkloadId> restored;
        for (const auto& [id, state] : workload_states_) {
            if (target && (state == WorkloadState::in_mesh || state == WorkloadState::running)) {
                restored.push_back(id);
            }
        }
        for (const auto& id : restored) set_workload(id, WorkloadState::ready);
        set_state(OperationState::rolled_back, original.message);
        finished_ = true;
        core_.finish(op_, OperationState::rolled_back, std::move(original));
        co_return;
    }
    if (suspend_if_asked()) co_return;
    close_journal();
    (void)save();
    const Error& why = st.error();
    core_.log->error("{} rollback failed: {}", tag_, why.describe());
    Error e = original;
    e.message += "; rollback failed: " + why.message + "; remaining: " + remaining(target);
    fail(std::move(e));
}

// ---- record, status, events -----------------------------------------------------------------

Task<Status> Run::save_together() {
    auto executor = co_await asio::this_coro::executor;
    auto join = [this, &executor](std::shared_ptr<Completion<Ok>> waiting) {
        waiting_saves_.push_back(std::move(waiting));
        if (flush_posted_) return;
        flush_posted_ = true;
        asio::post(executor, [self = shared_from_this()] { self->flush_saves(); });
    };
    std::optional<Watch> unwatched;
    auto waiting = completion_awaitable<Ok>(core_.registry, executor, join, unwatched);
    Result<Ok> saved = co_await std::move(waiting);
    if (!saved.ok()) co_return saved.error();
    co_return Ok{};
}

void Run::flush_saves() {
    flush_posted_ = false;
    auto waiting = std::exchange(waiting_saves_, {});
    const Status s = save();
    for (auto& w : waiting) w->complete(s.ok() ? Result<Ok>(Ok{}) : Result<Ok>(s.error()));
}

Status Run::save() {
    if (record_.operation) {
        // Compared before copied: most saves change one of these sets, or none.
        OperationJournal& j = *record_.operation;
        j.state = state_;
        assign_if_changed(j.touched_vnfs, touched_);
        assign_if_changed(j.creating_vnfs, creating_);
        assign_if_changed(j.lcm_operations, lcm_in_flight_);
        assign_if_changed(j.injecting, injecting_);
    }
    Status s = core_.store->save(record_);
    const std::size_t count = record_.applied_objects.size();
    core_.update_service(request_.service,
                         [&](ServiceEntry& e) { e.status.applied_objects = count; });
    if (!s.ok()) {
        Error e = s.error();
        e.message = "the state store refused the record of \"" + record_.name + "\": " + e.message;
        if (!store_refused_) store_refused_ = e;
        return e;
    }
    return Ok{};
}

void Run::set_state(OperationState state, std::string message) {
    state_ = state;
    {
        std::lock_guard lock(op_->mutex);
        op_->state = state;
    }
    core_.update_service(request_.service,
                         [&](ServiceEntry& e) { e.status.last_operation_state = state; });
    core_.log->info("{} {}: {}", tag_, to_string(request_.kind), to_string(state));
    Event ev;
    ev.type = Event::Type::operation;
    ev.time = std::chrono::system_clock::now();
    ev.operation_id = op_->id;
    ev.service = request_.service;
    ev.operation_kind = request_.kind;
    ev.operation_state = state;
    ev.message = std::move(message);
    core_.publish(std::move(ev));
}

void Run::enter(OperationState state, Mode mode) {
    if (mode == Mode::rollback) return;  // a rollback is RollingBack throughout
    if (state_ != state) set_state(state);
}

void Run::step(std::string message) {
    core_.log->info("{} {}", tag_, message);
    if (!core_.listened()) return;
    Event ev;
    ev.type = Event::Type::step;
    ev.time = std::chrono::system_clock::now();
    ev.operation_id = op_->id;
    ev.service = request_.service;
    ev.operation_kind = request_.kind;
    ev.operation_state = state_;
    ev.message = std::move(message);
    core_.publish(std::move(ev));
}

void Run::set_workload(const WorkloadId& id, WorkloadState state, std::string message) {
    workload_states_[id] = state;
    core_.update_service(request_.service, [&](ServiceEntry& e) {
        WorkloadStatus& w = e.workloads[id];
        w.id = id;
        w.state = state;
        w.message = state == WorkloadState::failed ? message : std::string{};
    });
    if (message.empty()) {
        if (core_.log->should_log(spdlog::level::debug)) {  // the id is formatted first
            core_.log->debug("{} workload {} {}", tag_, id.to_string(), to_string(state));
        }
    } else {
        core_.log->info("{} workload {} {}: {}", tag_, id.to_string(), to_string(state), message);
    }
    if (!core_.listened()) return;
    Event ev;
    ev.type = Event::Type::workload;
    ev.time = std::chrono::system_clock::now();
    ev.operation_id = op_->id;
    ev.service = request_.service;
    ev.operation_kind = request_.kind;
    ev.operation_state = state_;
    ev.workload = id;
    ev.workload_state = state;
    ev.message = std::move(message);
    core_.publish(std::move(ev));
}

void Run::describe_workload(const WorkloadId& id, Substrate substrate, const std::string& vnf_id,
                            const VmInstance* vm) {
    core_.update_service(request_.service, [&](ServiceEntry& e) {
        WorkloadStatus& w = e.workloads[id];
        w.id = id;
        w.substrate = substrate;
        if (!vnf_id.empty()) w.vnf_id = vnf_id;
        if (vm) {
            w.server_id = vm->server_id;
            w.address = vm->address;
        }
    });
}

void Run::succeed() {
    if (record_.operation) {  // heal: its changes are saved already; only the journal goes
        close_journal();
        if (Status s = save(); !s.ok()) core_.log->error("{} {}", tag_, s.error().message);
    }
    state_ = OperationState::succeeded;
    const OperationKind kind = request_.kind;
    // The record is the truth: a resumed operation does not see again the workloads its dead
    // predecessor already brought into the mesh, nor the status forget the removed ones.
    auto recorded = kind == OperationKind::terminate ? std::map<WorkloadId, WorkloadStatus>{}
                                                     : recorded_workloads(record_);
    core_.update_service(request_.service, [&](ServiceEntry& e) {
        e.status.last_operation_state = OperationState::succeeded;
        e.status.message.clear();
        if (kind == OperationKind::terminate) {
            e.status.phase = ServicePhase::terminated;
            return;
        }
        e.status.phase = ServicePhase::ready;
        std::erase_if(e.workloads, [&](const auto& kv) { return !recorded.contains(kv.first); });
        for (auto& [id, w] : recorded) {
            auto [it, added] = e.workloads.try_emplace(id, std::move(w));
            if (added) continue;
            WorkloadStatus& kept = it->second;  // keeps what the run learnt, fills the gaps
            if (kept.vnf_id.empty()) kept.vnf_id = w.vnf_id;
            if (kept.server_id.empty()) kept.server_id = w.server_id;
            if (kept.address.empty()) kept.address = w.address;
        }
    });
    set_state(OperationState::succeeded);
    finished_ = true;
    core_.finish(op_, OperationState::succeeded, std::nullopt);
}

void Run::fail(Error error) {
    if (suspend_if_asked()) return;
    // The operation is over: what remains is in the record. After a refused write the journal
    // stays as it was last written, for a later start to finish the operation.
    if (record_.operation && !store_refused_) {
        close_journal();
        if (Status s = save(); !s.ok()) core_.log->error("{} {}", tag_, s.error().message);
    }
    core_.log->error("{} {} failed: {}", tag_, to_string(request_.kind), error.describe());
    const bool nothing_done = state_ == OperationState::validating ||
                              state_ == OperationState::planning ||
                              state_ == OperationState::pending;
    const OperationKind kind = request_.kind;
    core_.update_service(request_.service, [&](ServiceEntry& e) {
        e.status.last_operation_state = OperationState::failed;
        e.status.message = error.message;
        if (nothing_done && kind != OperationKind::deploy) {
            e.status.phase = ServicePhase::ready;  // a refused change leaves the service as it was
        } else if (nothing_done && kind == OperationKind::deploy && e.workloads.empty()) {
            e.status.phase = ServicePhase::failed;
        } else if (kind == OperationKind::heal) {
            e.status.phase = ServicePhase::ready;  // the other workloads still serve
        } else {
            e.status.phase = ServicePhase::failed;
        }
    });
    state_ = OperationState::failed;
    {
        std::lock_guard lock(op_->mutex);
        op_->state = OperationState::failed;
    }
    Event ev;
    ev.type = Event::Type::operation;
    ev.time = std::chrono::system_clock::now();
    ev.operation_id = op_->id;
    ev.service = request_.service;
    ev.operation_kind = request_.kind;
    ev.operation_state = OperationState::failed;
    ev.message = error.message;
    core_.publish(std::move(ev));
    finished_ = true;
    core_.finish(op_, OperationState::failed, std::move(error));
}

Error Run::cancelled_or(Error error) const {
    if (op_->cancel.cancelled() && error.code != Errc::cancelled) {
        Error e = make_error(Errc::cancelled, "cancelled by the caller");
        return e;
    }
    if (error.code == Errc::cancelled && op_->cancel.cancelled()) {
        return make_error(Errc::cancelled, "cancelled by the caller");
    }
    return error;
}

// What is left that `target` does not have: object keys, VNFs and VMs with proxies.
std::string Run::remaining(const ServiceSpec* target) const {
    std::vector<std::string> objects, vnfs, vms;
    std::set<ObjectKey> wanted;
    if (target) {
        for (const auto& [k, o] : desired_prerequisites(target)) wanted.insert(k);
        for (const auto& [k, o] : render_workload_entries(*target, observed_for(target))) {
            wanted.insert(k);
        }
        for (const auto& [k, o] : render_mesh_config(*target)) wanted.insert(k);
    }
    for (const auto& [key, object] : record_.applied_objects) {
        if (!wanted.count(key)) objects.push_back(key.to_string());
    }
    for (const auto& [name, id] : record_.vnfs) {
        auto info = version_of_vnf(name);
        if (target && info && find_version(target, info->ms, info->version)) continue;
        vnfs.push_back(name + " (" + id + ")");
    }
    for (const auto& [key, list] : record_.observed.vms) {
        const bool kept = target && find_version(target, key.first, key.second);
        for (const auto& vm : list) {
            if (kept && !dropped_servers_.count(vm.server_id)) continue;
            vms.push_back(vm.server_id + " (" + vm.address + ") of " + key.first + "/" +
                          key.second);
        }
    }
    auto list = [](const char* what, const std::vector<std::string>& items) {
        std::string out = what;
        out += " [";
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (i) out += ", ";
            out += items[i];
        }
        out += "]";
        return out;
    };
    std::string out =
        list("objects", objects) + "; " + list("VNFs", vnfs) + "; " + list("VMs with proxies", vms);
    return out;
}

// ---- lookups --------------------------------------------------------------------------------

std::string Run::vnf_name(const std::string& ms, const std::string& version) const {
    return vnf_name_of(request_.service, ms, version);
}

std::optional<Run::VersionInfo> Run::version_of_vnf(const std::string& name) const {
    for (const ServiceSpec* spec :
         {request_.spec ? &*request_.spec : nullptr, previous_ ? &*previous_ : nullptr}) {
        if (!spec) continue;
        for (const auto& ms : spec->microservices) {
            for (const auto& v : ms.versions) {
                if (vnf_name(ms.name, v.name) == name) {
                    return VersionInfo{ms.name, v.name, v.substrate(), v.instance_count()};
                }
            }
        }
    }
    return std::nullopt;
}

std::vector<VmInstance>& Run::observed_vms(const VersionKey& key) {
    return record_.observed.vms[key];
}

const Version* Run::find_version(const ServiceSpec* spec, const std::string& ms,
                                 const std::string& version) const {
    if (!spec) return nullptr;
    const Microservice* m = spec->find_microservice(ms);
    return m ? m->find_version(version) : nullptr;
}

VnfRequest Run::make_request(const ServiceSpec& spec, const Microservice& ms,
                             const Version& v) const {
    VnfRequest r;
    r.name = vnf_name(ms.name, v.name);
    r.service = spec.name;
    r.namespace_ = namespace_of(spec);
    r.microservice = ms.name;
    r.version = v.name;
    r.substrate = v.substrate();
    r.package = v.vnf;
    r.instances = v.instance_count();
    if (const auto* vm = std::get_if<VmWorkload>(&v.workload)) {
        r.vm = *vm;
    } else {
        r.deployment = render_deployment(spec, ms, v);
    }
    return r;
}

std::vector<WorkloadId> Run::workloads_of(const std::string& ms, const std::string& version) const {
    std::vector<WorkloadId> out;
    const std::string& service = request_.service;
    core_.update_service(service, [&](ServiceEntry& e) {
        for (const auto& [id, w] : e.workloads) {
            if (id.microservice == ms && id.version == version) out.push_back(id);
        }
    });
    return out;
}

std::optional<WorkloadId> Run::workload_of_vm(const VersionKey& key,
                                              const std::string& server_id) const {
    auto it = record_.observed.vms.find(key);
    if (it == record_.observed.vms.end()) return std::nullopt;
    for (std::size_t i = 0; i < it->second.size(); ++i) {
        if (it->second[i].server_id == server_id) {
            return WorkloadId{key.first, key.second, static_cast<int>(i)};
        }
    }
    return std::nullopt;
}

ObjectSet Run::desired_prerequisites(const ServiceSpec* target) const {
    if (!target) return {};
    return without_foreign_namespace(render_cluster_prerequisites(*target));
}

ObjectSet Run::without_foreign_namespace(ObjectSet prerequisites) const {
    if (!record_.namespace_created) {
        std::vector<ObjectKey> namespaces;
        for (const auto& [key, o] : prerequisites) {
            if (key.kind == "Namespace") namespaces.push_back(key);
        }
        for (const auto& k : namespaces) prerequisites.erase(k);
    }
    return prerequisites;
}

Observed Run::observed_for(const ServiceSpec* target) const {
    Observed out;
    if (!target) return out;
    for (const auto& [key, list] : record_.observed.vms) {
        const Version* v = find_version(target, key.first, key.second);
        if (!v || v->substrate() != Substrate::vm) continue;
        std::vector<VmInstance> kept;
        for (const auto& vm : list) {
            if (!dropped_servers_.count(vm.server_id)) kept.push_back(vm);
        }
        if (!kept.empty()) out.vms[key] = std::move(kept);
    }
    return out;
}

}  // namespace meshorch::engine
