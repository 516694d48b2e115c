// The converge pass (run.hpp): prepare, instantiate, inject, configure, drain, verify.
#include "engine/bundle_files.hpp"
#include "engine/run.hpp"

#include <meshorch/render.hpp>

#include <algorithm>

namespace meshorch::engine {

namespace {

bool is_prerequisite(const std::string& kind) {
    return kind == "Namespace" || kind == "ServiceAccount" || kind == "Service" ||
           kind == "WorkloadGroup" || kind == "Deployment";
}
bool is_entry(const std::string& kind) {
    return kind == "WorkloadEntry";
}
bool is_mesh(const std::string& kind) {
    return !is_prerequisite(kind) && !is_entry(kind);
}

// The objects of `set` whose kind passes `pred`, borrowed, in apply order.
template <class Pred>
std::vector<const Object*> select(const ObjectSet& set, Pred pred) {
    std::vector<const Object*> out;
    for (const auto& [key, object] : set) {
        if (pred(key.kind)) out.push_back(&object);
    }
    return out;
}

Plan only(Plan p, bool writes, bool removals) {
    std::erase_if(p.actions, [&](const Action& a) {
        return a.kind == ActionKind::remove ? !removals : !writes;
    });
    return p;
}

std::string label_of(const boost::json::object& manifest, const char* label) {
    const auto* md = manifest.if_contains("metadata");
    if (!md || !md->is_object()) return {};
    const auto* labels = md->get_object().if_contains("labels");
    if (!labels || !labels->is_object()) return {};
    const auto* v = labels->get_object().if_contains(label);
    if (!v || !v->is_string()) return {};
    return std::string(v->get_string());
}

bool contains_server(const std::vector<VmInstance>& list, const std::string& server_id) {
    return std::any_of(list.begin(), list.end(),
                       [&](const VmInstance& vm) { return vm.server_id == server_id; });
}

}  // namespace

Task<Status> Run::converge(const ServiceSpec* target, Ctx ctx, Mode mode) {
    if (!target) {
        // Everything goes: best effort, so that one stuck object does not keep the rest.
        Status configured = co_await configure(nullptr, ctx, mode);
        if (!configured.ok()) teardown_failed_ = true;
        Status drained = co_await drain(nullptr, ctx, mode);
        if (!configured.ok()) co_return configured;
        co_return drained;
    }

    if (mode == Mode::apply) {
        // The new workloads, as Pending, so that the status shows them from the start.
        for (const auto& ms : target->microservices) {
            for (const auto& v : ms.versions) {
                const bool known = record_.vnfs.count(vnf_name(ms.name, v.name)) > 0;
                if (v.substrate() == Substrate::container) {
                    if (!known) set_workload({ms.name, v.name, 0}, WorkloadState::pending);
                    continue;
                }
                auto obs = record_.observed.vms.find({ms.name, v.name});
                const int have =
                    obs == record_.observed.vms.end() ? 0 : static_cast<int>(obs->second.size());
                for (int i = have; i < v.instance_count(); ++i) {
                    set_workload({ms.name, v.name, i}, WorkloadState::pending);
                }
            }
        }
    }

    Status s = co_await prepare(target, ctx, mode);
    if (s.ok()) s = co_await instantiate(target, ctx, mode);
    if (s.ok()) s = co_await inject(target, ctx, mode);
    if (s.ok()) s = co_await configure(target, ctx, mode);
    if (s.ok()) s = co_await drain(target, ctx, mode);
    if (!s.ok()) co_return s;

    if (mode == Mode::apply) {
        // Traffic configuration is applied: what is in the mesh is Ready.
        std::vector<WorkloadId> ready;
        for (const auto& [id, state] : workload_states_) {
            if (state == WorkloadState::in_mesh) ready.push_back(id);
        }
        for (const auto& id : ready) set_workload(id, WorkloadState::ready);
    }
    co_return Ok{};
}

// ---- prepare --------------------------------------------------------------------------------

Task<Status> Run::prepare(const ServiceSpec* target, Ctx ctx, Mode mode) {
    if (!target) co_return Ok{};
    ObjectSet rendered = render_cluster_prerequisites(*target);
    std::optional<ObjectKey> ns;
    for (const auto& [key, object] : rendered) {
        if (key.kind == "Namespace") ns = key;
    }
    // A namespace that exists and is not ours is used as it is, and never deleted.
    if (ns && !previous_ && mode == Mode::apply && !record_.namespace_created &&
        !record_.applied_objects.find(*ns)) {
        enter(OperationState::preparing, mode);
        auto existing = co_await get_object(*ns, ctx);
        if (!existing.ok()) co_return existing.error();
        const bool ours =
            !*existing ||
            (label_of((*existing)->manifest, label_managed_by) == label_managed_by_value &&
             label_of((*existing)->manifest, label_service) == target->name);
        if (ours) {
            record_.namespace_created = true;
        } else {
            step("namespace " + ns->name +
                 " exists and is not managed by meshorch: using it as it is");
        }
    }
    Plan p = only(plan_objects(select(record_.applied_objects, is_prerequisite),
                               without_foreign_namespace(std::move(rendered))),
                  true, false);
    if (p.empty()) co_return Ok{};
    enter(OperationState::preparing, mode);
    Status s = co_await execute(std::move(p), ctx);
    co_return s;
}

// ---- instantiate ----------------------------------------------------------------------------

Task<Status> Run::instantiate(const ServiceSpec* target, Ctx ctx, Mode mode) {
    if (!target) co_return Ok{};
    std::vector<std::function<Task<Status>()>> tasks;
    CancelSource phase;
    const Ctx child{ctx.deadline, phase.token()};
    for (const auto& ms : target->microservices) {
        for (const auto& v : ms.versions) {
            const std::string name = vnf_name(ms.name, v.name);
            bool known = record_.vnfs.count(name) > 0 && !touched_.count(name);
            if (mode == Mode::apply) {
                const Version* before =
                    find_version(previous_ ? &*previous_ : nullptr, ms.name, v.name);
                known = known && before && before->instance_count() == v.instance_count();
            }
            if (known) continue;
            tasks.push_back([this, target, m = ms.name, ver = v.name, child] {
                return ensure_version(target, m, ver, child);
            });
        }
    }
    if (tasks.empty()) co_return Ok{};
    enter(OperationState::instantiating, mode);
    const auto registration = ctx.token.on_cancel([phase]() mutable { phase.cancel(); });
    std::vector<Status> results = co_await run_all(core_.registry, std::move(tasks), phase);
    ctx.token.forget(registration);
    co_return first_failure(results);
}

Task<Status> Run::ensure_version(const ServiceSpec* target, std::string ms, std::string version,
                                 Ctx ctx) {
    const Microservice& m = *target->find_microservice(ms);
    const Version& v = *m.find_version(version);
    const std::string name = vnf_name(ms, version);
    const VersionKey key{ms, version};
    const bool is_vm = v.substrate() == Substrate::vm;
    const int want = v.instance_count();
    touched_.insert(name);

    // The workloads this step brings: VMs beyond those in the mesh, or the pods as a whole.
    std::vector<WorkloadId> ids;
    if (is_vm) {
        auto obs = record_.observed.vms.find(key);
        const int have =
            obs == record_.observed.vms.end() ? 0 : static_cast<int>(obs->second.size());
        for (int i = have; i < want; ++i) ids.push_back({ms, version, i});
    } else {
        ids.push_back({ms, version, 0});
    }
    auto failed = [&](const Error& e) {
        for (const auto& id : ids) set_workload(id, WorkloadState::failed, e.message);
    };

    co_await settle(name, ctx);
    const VnfRequest request = make_request(*target, m, v);
    std::optional<VnfInstance> instance;
    for (int round = 0; round < 2 && !instance; ++round) {
        auto it = record_.vnfs.find(name);
        std::string id;
        if (it == record_.vnfs.end()) {
            for (const auto& w : ids) set_workload(w, WorkloadState::creating);
            creating_.insert(name);  // journaled: a crash from here on adopts it by name
            if (Status s = co_await save_together(); !s.ok()) co_return s;
            auto created = co_await create_or_adopt_vnf(request, ctx);
            if (!created.ok()) {
                failed(created.error());
                co_return created.error();
            }
            id = created->first.id;
            record_.vnfs[name] = id;  // before anything depends on it
            creating_.erase(name);
            if (Status s = co_await save_together(); !s.ok()) co_return s;
            step((created->second ? "adopted VNF " : "created VNF ") + name + " (" + id + ")");
            for (const auto& w : ids) describe_workload(w, v.substrate(), id, nullptr);
            instance = std::move(created->first);  // known: no need to read it back
            break;
        }
        id = it->second;
        for (const auto& w : ids) describe_workload(w, v.substrate(), id, nullptr);
        auto got = co_await get_vnf(id, ctx);
        if (!got.ok()) {
            failed(got.error());
            co_return got.error();
        }
        if (*got) {
            instance = std::move(**got);
        } else {
            // Recorded but gone (deleted behind our back): make it again.
            step("VNF " + name + " (" + id + ") no longer exists; creating it again");
            record_.vnfs.erase(name);
            if (Status s = co_await save_together(); !s.ok()) co_return s;
        }
    }
    if (!instance) {
        Error e = make_error(Errc::backend, "VNF " + name + " disappears right after creation");
        failed(e);
        co_return e;
    }
    const std::string id = instance->id.empty() ? record_.vnfs[name] : instance->id;

    std::string lcm;
    std::string what;
    if (!instance->instantiated) {
        for (const auto& w : ids) set_workload(w, WorkloadState::instantiating);
        auto started = co_await start_instantiate(id, request, ctx);
        if (!started.ok()) {
            failed(started.error());
            co_return started.error();
        }
        lcm = *started;
        what = "instantiation of VNF " + name;
    } else {
        const int current = is_vm ? static_cast<int>(instance->vms.size())
                                  : static_cast<int>(instance->pods.size());
        if (current < want) {
            for (const auto& w : ids) set_workload(w, WorkloadState::instantiating);
            step("scaling VNF " + name + " out from " + std::to_string(current) + " to " +
                 std::to_string(want));
            auto started = co_await start_scale(id, want, ctx);
            if (!started.ok()) {
                failed(started.error());
                co_return started.error();
            }
            lcm = *started;
            what = "scale out of VNF " + name;
        }
        if (!is_vm) pod_counts_[name] = current;
    }
    if (!lcm.empty()) {
        lcm_in_flight_[name] = lcm;
        if (Status s = co_await save_together(); !s.ok())
            co_return s;  // journaled: a restart waits for it
        Status s = co_await wait_lcm(lcm, what, ctx);
        if (s.ok() || s.error().code == Errc::backend) lcm_in_flight_.erase(name);
        if (!s.ok()) {
            failed(s.error());
            co_return s;
        }
    }

    if (!is_vm) {
        Status s = co_await wait_pods(ms, version, want, ctx);
        if (!s.ok()) {
            failed(s.error());
            co_return s;
        }
        pod_counts_[name] = std::max(pod_counts_[name], want);
        for (const auto& w : ids) {
            set_workload(w, WorkloadState::running);
            set_workload(w, WorkloadState::in_mesh);
        }
        co_return Ok{};
    }

    auto vms = co_await wait_vms(id, want, "the VMs of VNF " + name, ctx);
    if (!vms.ok()) {
        failed(vms.error());
        co_return vms.error();
    }
    vms_[name] = *vms;
    // Running: the VMs not in the mesh yet, numbered after those that are.
    auto obs = record_.observed.vms.find(key);
    int index = obs == record_.observed.vms.end() ? 0 : static_cast<int>(obs->second.size());
    for (const auto& vm : *vms) {
        if (obs != record_.observed.vms.end() && contains_server(obs->second, vm.server_id)) {
            continue;
        }
        const WorkloadId w{ms, version, index++};
        describe_workload(w, Substrate::vm, id, &vm);
        set_workload(w, WorkloadState::running);
    }
    co_return Ok{};
}

// ---- inject ---------------------------------------------------------------------------------

Task<Status> Run::inject(const ServiceSpec* target, Ctx ctx, Mode mode) {
    if (!target) co_return Ok{};
    struct Item {
        std::string ms, version;
        VmInstance vm;
    };
    std::vector<Item> items;
    for (const auto& ms : target->microservices) {
        for (const auto& v : ms.versions) {
            if (v.substrate() != Substrate::vm) continue;
            auto fresh = vms_.find(vnf_name(ms.name, v.name));
            if (fresh == vms_.end()) continue;  // not looked at: nothing new
            auto& list = record_.observed.vms[{ms.name, v.name}];
            for (const auto& vm : fresh->second) {
                auto same = std::find_if(list.begin(), list.end(), [&](const VmInstance& o) {
                    return o.server_id == vm.server_id;
                });
                if (same == list.end()) {
                    list.push_back(vm);  // recorded before the proxy goes on
                } else if (same->address != vm.address) {
                    *same = vm;  // the VM came back with another address: re-inject
                } else {
                    continue;
                }
                items.push_back({ms.name, v.name, vm});
            }
            if (list.empty()) record_.observed.vms.erase({ms.name, v.name});
        }
    }
    // Proxies a previous process began to install and may not have finished.
    for (const auto& [key, list] : record_.observed.vms) {
        const Version* v = find_version(target, key.first, key.second);
        if (!v || v->substrate() != Substrate::vm) continue;
        for (const auto& vm : list) {
            if (!injecting_.count(vm.server_id)) continue;
            const bool queued = std::any_of(items.begin(), items.end(), [&](const Item& i) {
                return i.vm.server_id == vm.server_id;
            });
            if (!queued) items.push_back({key.first, key.second, vm});
        }
    }
    if (!items.empty()) {
        enter(OperationState::injecting, mode);
        for (const auto& item : items) injecting_.insert(item.vm.server_id);
        if (Status s = save(); !s.ok()) co_return s;
        auto cert = co_await root_certificate(ctx);
        if (!cert.ok()) co_return cert.error();
        CancelSource phase;
        const Ctx child{ctx.deadline, phase.token()};
        std::vector<std::function<Task<Status>()>> tasks;
        for (const auto& item : items) {
            tasks.push_back([this, target, item, cert = *cert, child] {
                return inject_vm(target, item.ms, item.version, item.vm, cert, child);
            });
        }
        const auto registration = ctx.token.on_cancel([phase]() mutable { phase.cancel(); });
        std::vector<Status> results = co_await run_all(core_.registry, std::move(tasks), phase);
        ctx.token.forget(registration);
        if (Status s = first_failure(results); !s.ok()) co_return s;
    }
    Status s = co_await sync_workload_entries(target, ctx, false, mode, OperationState::injecting);
    if (!s.ok()) co_return s;
    for (const auto& item : items) {
        if (auto w = workload_of_vm({item.ms, item.version}, item.vm.server_id)) {
            set_workload(*w, WorkloadState::in_mesh);
        }
    }
    co_return Ok{};
}

Task<Status> Run::inject_vm(const ServiceSpec* target, std::string ms, std::string version,
                            VmInstance vm, std::string root_cert, Ctx ctx, bool probe) {
    const Microservice& m = *target->find_microservice(ms);
    const Version& v = *m.find_version(version);
    const auto w = workload_of_vm({ms, version}, vm.server_id);
    auto failed = [&](const Error& e) {
        if (w && !probe) set_workload(*w, WorkloadState::failed, e.message);
    };
    if (w) {
        describe_workload(*w, Substrate::vm, record_.vnfs[vnf_name(ms, version)], &vm);
        set_workload(*w, WorkloadState::injecting);
    }
    auto token = co_await create_token(ms, ctx);
    if (!token.ok()) {
        failed(token.error());
        co_return token.error();
    }
    auto bundle = build_vm_bundle(*target, m, v, vm, token->token, root_cert, core_.options);
    if (!bundle.ok()) {
        failed(bundle.error());
        co_return bundle.error();
    }
    InjectionRequest request;
    request.service = target->name;
    request.namespace_ = namespace_of(*target);
    request.microservice = ms;
    request.version = version;
    request.vm = vm;
    request.bundle = std::move(*bundle);
    Status s = co_await inject_proxy(std::move(request), ctx, probe);
    if (!s.ok()) {
        failed(s.error());
        co_return s;
    }
    record_.token_expiry[vm.server_id] = token->expires_at;
    injecting_.erase(vm.server_id);
    step("proxy installed on VM " + vm.server_id + " (" + vm.address + ") of " + ms + "/" +
         version);
    co_return Ok{};
}

Task<Status> Run::sync_workload_entries(const ServiceSpec* target, Ctx ctx, bool prune, Mode mode,
                                        OperationState state) {
    ObjectSet desired =
        target ? render_workload_entries(*target, observed_for(target)) : ObjectSet{};
    Plan p = only(plan_objects(select(record_.applied_objects, is_entry), std::move(desired)), true,
                  prune);
    if (p.empty()) co_return Ok{};
    enter(state, mode);
    Status s = co_await execute(std::move(p), ctx, target == nullptr);
    co_return s;
}

// ---- configure ------------------------------------------------------------------------------

Task<Status> Run::configure(const ServiceSpec* target, Ctx ctx, Mode mode) {
    ObjectSet desired = target ? render_mesh_config(*target) : ObjectSet{};
    Plan p = plan_objects(select(record_.applied_objects, is_mesh), std::move(desired));
    if (p.empty()) co_return Ok{};
    enter(OperationState::configuring, mode);
    Status s = co_await execute(std::move(p), ctx, target == nullptr);
    co_return s;
}

// ---- drain ----------------------------------------------------------------------------------

Task<Status> Run::drain(const ServiceSpec* target, Ctx ctx, Mode mode) {
    const bool best_effort = target == nullptr;
    const bool teardown = mode == Mode::teardown;

    // What goes: VNFs of versions the target does not have; VMs and pods beyond its counts.
    std::vector<std::string> removed_vnfs;
    for (const auto& [name, id] : record_.vnfs) {
        auto info = version_of_vnf(name);
        if (!info || !find_version(target, info->ms, info->version)) removed_vnfs.push_back(name);
    }
    struct ScaleIn {
        std::string ms, version;
        std::vector<WorkloadId> leaving;
    };
    std::vector<ScaleIn> scale_ins;
    if (target) {
        for (const auto& ms : target->microservices) {
            for (const auto& v : ms.versions) {
                const std::string name = vnf_name(ms.name, v.name);
                if (!touched_.count(name)) continue;  // unchanged
                const int want = v.instance_count();
                if (v.substrate() == Substrate::container) {
                    auto pods = pod_counts_.find(name);
                    if (pods != pod_counts_.end() && pods->second > want) {
                        scale_ins.push_back({ms.name, v.name, {}});
                    }
                    continue;
                }
                auto fresh = vms_.find(name);
                if (fresh == vms_.end()) continue;
                auto obs = record_.observed.vms.find({ms.name, v.name});
                if (obs == record_.observed.vms.end()) continue;
                // VMs in the mesh that are gone leave too.
                for (const auto& vm : obs->second) {
                    if (!contains_server(fresh->second, vm.server_id)) {
                        dropped_servers_.insert(vm.server_id);
                    }
                }
                const int extra = static_cast<int>(fresh->second.size()) - want;
                if (extra <= 0) continue;
                // Scale in takes the newest VMs: the last ones to join the mesh.
                ScaleIn si{ms.name, v.name, {}};
                int chosen = 0;
                for (auto it = obs->second.rbegin(); it != obs->second.rend() && chosen < extra;
                     ++it) {
                    if (dropped_servers_.count(it->server_id)) continue;
                    dropped_servers_.insert(it->server_id);
                    if (auto w = workload_of_vm({ms.name, v.name}, it->server_id)) {
                        si.leaving.push_back(*w);
                    }
                    ++chosen;
                }
                scale_ins.push_back(std::move(si));
            }
        }
    }
    std::vector<std::pair<VersionKey, VmInstance>> leaving_vms;
    for (const auto& [key, list] : record_.observed.vms) {
        const bool kept = find_version(target, key.first, key.second) != nullptr;
        for (const auto& vm : list) {
            if (!kept || dropped_servers_.count(vm.server_id)) leaving_vms.emplace_back(key, vm);
        }
    }
    ObjectSet desired_entries =
        target ? render_workload_entries(*target, observed_for(target)) : ObjectSet{};
    const Plan entries =
        plan_objects(select(record_.applied_objects, is_entry), std::move(desired_entries));
    Plan prerequisites = only(plan_objects(select(record_.applied_objects, is_prerequisite),
                                           desired_prerequisites(target)),
                              false, true);
    if (removed_vnfs.empty() && scale_ins.empty() && leaving_vms.empty() && entries.empty() &&
        prerequisites.empty()) {
        co_return Ok{};
    }

    std::optional<Error> first;
    auto note = [&](const Status& s) {
        if (!s.ok() && !first) first = s.error();
        if (!s.ok()) teardown_failed_ = true;
    };

    // 1. Routes have moved (configure): the leaving workloads drain, their entries go.
    enter(teardown ? OperationState::injecting : OperationState::configuring, mode);
    for (const auto& [key, vm] : leaving_vms) {
        if (auto w = workload_of_vm(key, vm.server_id)) set_workload(*w, WorkloadState::draining);
    }
    for (const auto& name : removed_vnfs) {
        auto info = version_of_vnf(name);
        if (info && info->substrate == Substrate::container) {
            set_workload({info->ms, info->version, 0}, WorkloadState::draining);
        }
    }
    {
        Status s = co_await sync_workload_entries(
            target, ctx, true, mode,
            teardown ? OperationState::injecting : OperationState::configuring);
        note(s);
        if (!s.ok() && !best_effort) co_return s;
    }

    // 2. Their proxies.
    if (!leaving_vms.empty()) {
        std::vector<std::function<Task<Status>()>> tasks;
        for (const auto& [key, vm] : leaving_vms) {
            tasks.push_back([this, key = key, vm = vm, ctx] { return drop_proxy(key, vm, ctx); });
        }
        std::vector<Status> results = co_await run_all(core_.registry, std::move(tasks));
        Status s = first_failure(results);
        note(s);
        if (!s.ok() && !best_effort) co_return s;
    }

    // 3. Their VNFs: terminated and deleted, or scaled in.
    if (!removed_vnfs.empty() || !scale_ins.empty()) {
        enter(teardown ? OperationState::instantiating : OperationState::configuring, mode);
        std::vector<std::function<Task<Status>()>> tasks;
        for (const auto& name : removed_vnfs) {
            tasks.push_back([this, name, ctx] { return remove_vnf(name, ctx); });
        }
        for (const auto& si : scale_ins) {
            tasks.push_back([this, target, si, ctx] {
                return scale_in(target, si.ms, si.version, si.leaving, ctx);
            });
        }
        std::vector<Status> results = co_await run_all(core_.registry, std::move(tasks));
        Status s = first_failure(results);
        note(s);
        if (!s.ok() && !best_effort) co_return s;
    }

    // 4. The prerequisites nothing uses any more; the namespace last, and only when all else
    //    is gone.
    prerequisites = only(plan_objects(select(record_.applied_objects, is_prerequisite),
                                      desired_prerequisites(target)),
                         false, true);
    if (teardown_failed_) {
        std::erase_if(prerequisites.actions,
                      [](const Action& a) { return a.object.key.kind == "Namespace"; });
    }
    if (!prerequisites.empty()) {
        enter(teardown ? OperationState::preparing : OperationState::configuring, mode);
        Status s = co_await execute(std::move(prerequisites), ctx, best_effort);
        note(s);
    }
    if (first) co_return *first;
    co_return Ok{};
}

Task<Status> Run::drop_proxy(VersionKey key, VmInstance vm, Ctx ctx) {
    const auto w = workload_of_vm(key, vm.server_id);
    if (w) set_workload(*w, WorkloadState::terminating);
    Status s = co_await remove_proxy(vm, ctx);
    if (!s.ok()) {
        if (w) set_workload(*w, WorkloadState::failed, s.error().message);
        co_return s;
    }
    step("proxy removed from VM " + vm.server_id + " (" + vm.address + ") of " + key.first + "/" +
         key.second);
    auto it = record_.observed.vms.find(key);
    if (it != record_.observed.vms.end()) {
        std::erase_if(it->second, [&](const VmInstance& o) { return o.server_id == vm.server_id; });
        if (it->second.empty()) record_.observed.vms.erase(it);
    }
    record_.token_expiry.erase(vm.server_id);
    injecting_.erase(vm.server_id);
    Status saved = co_await save_together();
    co_return saved;
}

Task<Status> Run::remove_vnf(std::string name, Ctx ctx) {
    auto it = record_.vnfs.find(name);
    if (it == record_.vnfs.end()) co_return Ok{};
    const std::string id = it->second;
    touched_.insert(name);
    std::vector<WorkloadId> ids;
    if (auto info = version_of_vnf(name)) ids = workloads_of(info->ms, info->version);
    auto failed = [&](const Error& e) {
        for (const auto& w : ids) set_workload(w, WorkloadState::failed, e.message);
    };
    for (const auto& w : ids) {
        if (workload_states_[w] != WorkloadState::terminating) {
            set_workload(w, WorkloadState::terminating);
        }
    }
    co_await settle(name, ctx);

    auto got = co_await get_vnf(id, ctx);
    if (!got.ok()) {
        failed(got.error());
        co_return got.error();
    }
    if (*got) {
        if ((*got)->instantiated) {
            auto started = co_await start_terminate(id, ctx);
            if (!started.ok()) {
                failed(started.error());
                co_return started.error();
            }
            if (!started->empty()) {
                Status s = co_await wait_lcm(*started, "termination of VNF " + name, ctx);
                if (!s.ok()) {
                    failed(s.error());
                    co_return s;
                }
            }
        }
        Status s = co_await delete_vnf(id, ctx);
        if (!s.ok()) {
            failed(s.error());
            co_return s;
        }
    }
    record_.vnfs.erase(name);
    if (Status s = co_await save_together(); !s.ok()) co_return s;
    step("terminated and deleted VNF " + name + " (" + id + ")");
    for (const auto& w : ids) set_workload(w, WorkloadState::terminated);
    co_return Ok{};
}

Task<Status> Run::scale_in(const ServiceSpec* target, std::string ms, std::string version,
                           std::vector<WorkloadId> leaving, Ctx ctx) {
    const std::string name = vnf_name(ms, version);
    const Version& v = *find_version(target, ms, version);
    const int want = v.instance_count();
    const VersionKey key{ms, version};
    auto it = record_.vnfs.find(name);
    if (it == record_.vnfs.end()) co_return Ok{};
    const std::string id = it->second;
    co_await settle(name, ctx);
    step("scaling VNF " + name + " in to " + std::to_string(want));
    auto started = co_await start_scale(id, want, ctx);
    if (!started.ok()) co_return started.error();
    if (!started->empty()) {
        lcm_in_flight_[name] = *started;
        if (Status s = co_await save_together(); !s.ok())
            co_return s;  // journaled: a restart waits for it
        Status s = co_await wait_lcm(*started, "scale in of VNF " + name, ctx);
        if (s.ok() || s.error().code == Errc::backend) lcm_in_flight_.erase(name);
        if (!s.ok()) co_return s;
    }
    if (v.substrate() == Substrate::container) {
        pod_counts_[name] = want;
        co_return Ok{};
    }
    for (const auto& w : leaving) set_workload(w, WorkloadState::terminated);

    // The VNF manager picks which VMs go: if it took others than those drained, follow it.
    auto vms = co_await wait_vms(id, want, "the VMs of VNF " + name, ctx);
    if (!vms.ok()) co_return vms.error();
    vms_[name] = *vms;
    auto obs = record_.observed.vms.find(key);
    std::vector<VmInstance> gone;
    if (obs != record_.observed.vms.end()) {
        for (const auto& vm : obs->second) {
            if (!contains_server(*vms, vm.server_id)) gone.push_back(vm);
        }
    }
    bool unexpected = !gone.empty();
    for (const auto& vm : *vms) {
        if (obs == record_.observed.vms.end() || !contains_server(obs->second, vm.server_id)) {
            unexpected = true;
        }
    }
    if (!unexpected) co_return Ok{};
    step("VNF " + name + " removed other VMs than the drained ones; re-syncing the mesh");
    for (const auto& vm : gone) {
        dropped_servers_.insert(vm.server_id);
        if (Status s = co_await drop_proxy(key, vm, ctx); !s.ok()) co_return s;
    }
    auto& list = record_.observed.vms[key];
    std::vector<VmInstance> added;
    for (const auto& vm : *vms) {
        if (!contains_server(list, vm.server_id)) {
            dropped_servers_.erase(vm.server_id);
            list.push_back(vm);
            added.push_back(vm);
        }
    }
    if (list.empty()) record_.observed.vms.erase(key);
    if (Status s = save(); !s.ok()) co_return s;
    if (!added.empty()) {
        auto cert = co_await root_certificate(ctx);
        if (!cert.ok()) co_return cert.error();
        for (const auto& vm : added) {
            Status s = co_await inject_vm(target, ms, version, vm, *cert, ctx);
            if (!s.ok()) co_return s;
        }
    }
    Status s = co_await sync_workload_entries(target, ctx, true, Mode::rollback,
                                              OperationState::configuring);
    co_return s;
}

// ---- verify ---------------------------------------------------------------------------------

Task<Status> Run::verify(const ServiceSpec* target, Ctx ctx) {
    if (state_ != OperationState::rolling_back) enter(OperationState::verifying, Mode::apply);
    std::vector<std::function<Task<Status>()>> tasks;
    for (const auto& ms : target->microservices) {
        for (const auto& v : ms.versions) {
            tasks.push_back([this, target, m = ms.name, ver = v.name, ctx] {
                return verify_version(target, m, ver, ctx);
            });
        }
    }
    std::vector<Status> results = co_await run_all(core_.registry, std::move(tasks));
    co_return first_failure(results);
}

Task<Status> Run::verify_version(const ServiceSpec* target, std::string ms, std::string version,
                                 Ctx ctx) {
    const Version& v = *find_version(target, ms, version);
    if (v.substrate() == Substrate::container) {
        Status s = co_await wait_pods(ms, version, v.instance_count(), ctx);
        co_return s;
    }
    auto it = record_.vnfs.find(vnf_name(ms, version));
    if (it == record_.vnfs.end()) {
        co_return make_error(Errc::internal, "no VNF recorded for " + ms + "/" + version);
    }
    auto vms = co_await wait_vms(it->second, v.instance_count(),
                                 "the VMs of VNF " + vnf_name(ms, version), ctx);
    if (!vms.ok()) co_return vms.error();
    auto obs = record_.observed.vms.find({ms, version});
    if (obs != record_.observed.vms.end()) {
        for (const auto& vm : obs->second) {
            if (!contains_server(*vms, vm.server_id)) {
                co_return make_error(Errc::backend, "VM " + vm.server_id + " of " + ms + "/" +
                                                        version + " disappeared");
            }
        }
    }
    co_return Ok{};
}

// ---- plan execution -------------------------------------------------------------------------

Task<Status> Run::execute(Plan p, Ctx ctx, bool best_effort) {
    // The objects to create are recorded, in one write, before any of them is made: a crash in
    // between leaves the record ahead of the cluster, which a resumed operation writes again
    // (and a rollback removes; 404 is done). Writes and removals are recorded as they happen
    // and saved once at the end, or as soon as one fails.
    bool creates = false;
    for (const auto& action : p.actions) {
        if (action.kind != ActionKind::create) continue;
        record_.applied_objects.put(action.object);  // the action keeps its own, to write
        creates = true;
    }
    if (creates) {
        if (Status s = save(); !s.ok()) co_return s;
    }
    bool changed = false;
    // The record of what was done so far goes to the store with the failure.
    auto failing = [&](Error e) -> Status {
        if (changed) (void)save();
        return e;
    };
    std::optional<Error> first;
    for (auto& action : p.actions) {
        if (first && (action.kind != ActionKind::remove || ctx.token.cancelled())) break;
        const ObjectKey key = action.object.key;
        switch (action.kind) {
            case ActionKind::create: {
                Status s = co_await apply_object(action.object, ctx);
                if (!s.ok()) co_return failing(std::move(s).error());
                unverified_.erase(key);
                step("applied " + key.to_string() + " (created)");
                break;
            }
            case ActionKind::patch: {
                Status s = co_await apply_object(action.object, ctx);
                if (!s.ok()) co_return failing(std::move(s).error());
                record_.applied_objects.put(std::move(action.object));  // the action is done
                unverified_.erase(key);
                changed = true;
                step("applied " + key.to_string() + " (" + action.reason + ")");
                break;
            }
            case ActionKind::remove: {
                Status s = co_await remove_object(key, ctx);
                if (!s.ok() && best_effort) {
                    if (!first) first = s.error();
                    continue;
                }
                if (!s.ok()) co_return failing(std::move(s).error());
                if (key.kind == "Namespace") {
                    // A namespace goes Terminating first; until it is gone, a deploy of the same
                    // service would be refused (403), so the teardown is not done before then.
                    auto waiting = wait_until_gone(key, ctx);
                    Status gone = co_await std::move(waiting);
                    if (!gone.ok() && best_effort) {
                        if (!first) first = gone.error();
                        continue;
                    }
                    if (!gone.ok()) co_return failing(std::move(gone).error());
                }
                record_.applied_objects.erase(key);
                unverified_.erase(key);
                if (key.kind == "Namespace") record_.namespace_created = false;
                changed = true;
                step("deleted " + key.to_string());
                break;
            }
        }
    }
    if (changed) {
        if (Status saved = save(); !saved.ok()) co_return saved;
    }
    if (first) co_return *first;
    co_return Ok{};
}

}  // namespace meshorch::engine
