// The simulated VNF manager (Tacker, ETSI SOL003 VNF LCM): VNF identifiers, asynchronous LCM
// operation occurrences, VMs with addresses (the Nova side), container VNFs as Deployments in
// the simulated cluster.
#include "sim/core.hpp"
#include "sim/ports_impl.hpp"

#include <boost/json/object.hpp>

#include <algorithm>

namespace meshorch::sim::detail {

namespace {

Error lcm(Errc code, int status, std::string message) {
    return backend_error(Backend::vnfm, code, status, std::move(message));
}

Error vnf_not_found(const std::string& id) {
    return lcm(Errc::not_found, 404, "VNF instance " + id + " not found");
}

Error in_use(const SimVnf& vnf) {
    return lcm(Errc::conflict, 409,
               "VNF " + vnf.name + " is in use by another LCM operation (" + vnf.busy_op + ")");
}

Error not_instantiated(const SimVnf& vnf) {
    return lcm(Errc::conflict, 409, "VNF " + vnf.name + " is not instantiated");
}

// What completes an LCM operation: nullopt on success, else the FAILED_TEMP reason.
using Completion =
    std::function<std::optional<std::string>(Core&, SimVnf&, std::optional<FaultKind>)>;

void finish_op(Core& c, const std::string& op_id, const Completion& complete) {
    auto it = c.ops.find(op_id);
    if (it == c.ops.end()) return;
    SimOp& op = it->second;
    if (op.op.state != LcmState::starting && op.op.state != LcmState::processing) return;
    auto vit = c.vnfs.find(op.op.vnf_id);
    if (vit == c.vnfs.end()) {
        op.op.state = LcmState::failed_temp;
        op.op.error = "VNF instance " + op.op.vnf_id + " no longer exists";
        return;
    }
    SimVnf& vnf = vit->second;
    // A FAILED_TEMP op-occ keeps the VNF busy until it is rolled back or failed.
    if (op.effect == FaultKind::operation_failed) {
        op.op.state = LcmState::failed_temp;
        op.op.error = op.op.operation + " of VNF " + vnf.name +
                      " failed: simulated failure (operation_failed)";
        return;
    }
    if (auto error = complete(c, vnf, op.effect)) {
        op.op.state = LcmState::failed_temp;
        op.op.error = op.op.operation + " of VNF " + vnf.name + " failed: " + *error;
        return;
    }
    if (vnf.busy_op == op_id) vnf.busy_op.clear();
    op.op.state = LcmState::completed;
}

// Starts an op occurrence: STARTING now, PROCESSING after a fifth of lcm_duration, then
// COMPLETED (or FAILED_TEMP) once lcm_duration has passed. Mutex held.
std::string start_op(Core& c, SimVnf& vnf, const char* operation, std::optional<FaultKind> effect,
                     Completion complete) {
    SimOp op;
    op.op.id = c.new_uuid();
    op.op.vnf_id = vnf.id;
    op.op.operation = operation;
    op.op.state = LcmState::starting;
    op.effect = effect;
    const std::string id = op.op.id;
    c.ops.emplace(id, std::move(op));
    {
        std::lock_guard names(c.names_mutex);
        c.op_vnfs.emplace(id, vnf.id);
    }
    vnf.busy_op = id;
    const auto now = Clock::now();
    const auto duration = std::max(std::chrono::milliseconds(0), c.options.lcm_duration);
    c.at(now + duration / 5, [id](Core& core) {
        std::lock_guard lock(core.mutex);
        auto it = core.ops.find(id);
        if (it != core.ops.end() && it->second.op.state == LcmState::starting) {
            it->second.op.state = LcmState::processing;
        }
    });
    c.at(now + duration, [id, complete = std::move(complete)](Core& core) {
        std::lock_guard lock(core.mutex);
        finish_op(core, id, complete);
    });
    return id;
}

// Adds `count` VMs at the end; on address exhaustion releases what it added.
std::optional<std::string> add_vms(Core& c, SimVnf& vnf, int count, bool boot) {
    std::vector<SimVm> added;
    for (int i = 0; i < count; ++i) {
        auto vm = c.new_vm(boot, vnf.id);
        if (!vm) {
            for (const auto& v : added) c.release_vm(v);
            return "no free address left in " + c.options.vm_subnet + "0.0/16";
        }
        added.push_back(std::move(*vm));
    }
    vnf.vms.insert(vnf.vms.end(), added.begin(), added.end());
    return std::nullopt;
}

bool boots(std::optional<FaultKind> effect) {
    return effect != FaultKind::never_boots;
}

}  // namespace

// ---- VNFs and VMs ---------------------------------------------------------------------------

void Core::add_vnf(SimVnf vnf) {
    vnfs_by_name[vnf.name].emplace(vnf.seq, vnf.id);
    {
        std::lock_guard names(names_mutex);
        vnf_names.insert_or_assign(vnf.id, vnf.name);
    }
    auto id = vnf.id;
    vnfs.insert_or_assign(std::move(id), std::move(vnf));
}

void Core::erase_vnf(const std::string& vnf_id) {
    auto it = vnfs.find(vnf_id);
    if (it == vnfs.end()) return;
    if (auto named = vnfs_by_name.find(it->second.name); named != vnfs_by_name.end()) {
        named->second.erase(it->second.seq);
        if (named->second.empty()) vnfs_by_name.erase(named);
    }
    {
        std::lock_guard names(names_mutex);
        vnf_names.erase(vnf_id);
    }
    vnfs.erase(it);
}

std::optional<SimVm> Core::new_vm(bool boot, const std::string& vnf_id) {
    constexpr std::uint64_t hosts_per_a = 253;  // b in [2, 254]
    constexpr std::uint64_t total = 256 * hosts_per_a;
    for (std::uint64_t i = 0; i < total; ++i) {
        const std::uint64_t idx = (address_cursor + i) % total;
        std::string address = options.vm_subnet + std::to_string(idx / hosts_per_a) + "." +
                              std::to_string(idx % hosts_per_a + 2);
        if (addresses.count(address) > 0) continue;
        address_cursor = idx + 1;  // freed addresses come back only after a full round
        SimVm vm;
        vm.server_id = new_uuid();
        vm.address = std::move(address);
        vm.booted = boot;
        addresses.emplace(vm.address, vm.server_id);
        vm_owners.insert_or_assign(vm.server_id, vnf_id);
        return vm;
    }
    return std::nullopt;
}

void Core::release_vm(const SimVm& vm) {
    addresses.erase(vm.address);
    vm_owners.erase(vm.server_id);
    proxies.erase(vm.server_id);  // the proxy goes with its VM
}

SimVm* Core::vm_by_server_id(const std::string& server_id) {
    auto owner = vm_owners.find(server_id);
    if (owner == vm_owners.end()) return nullptr;
    auto vnf = vnfs.find(owner->second);
    if (vnf == vnfs.end()) return nullptr;
    for (auto& vm : vnf->second.vms) {
        if (vm.server_id == server_id) return &vm;
    }
    return nullptr;
}

SimVm* Core::find_vm(const VmInstance& wanted) {
    if (wanted.address.empty()) {
        return wanted.server_id.empty() ? nullptr : vm_by_server_id(wanted.server_id);
    }
    // An allocated address belongs to exactly one VM; one that has not booted has not
    // reported it yet, so it cannot be reached by it.
    auto at = addresses.find(wanted.address);
    if (at == addresses.end()) return nullptr;
    if (!wanted.server_id.empty() && wanted.server_id != at->second) return nullptr;
    SimVm* vm = vm_by_server_id(at->second);
    return vm && vm->booted ? vm : nullptr;
}

// ---- the port -------------------------------------------------------------------------------

namespace {

class SimVnfManager final : public VnfManager {
public:
    explicit SimVnfManager(std::shared_ptr<Core> core) : core_(std::move(core)) {}

    void create_vnf(const VnfRequest& request, const CallContext& ctx,
                    Callback<std::string> done) override {
        core_->call<std::string>(
            CallKind::vnf_create, request.name, ctx, std::move(done),
            // Performed once: the request the call keeps moves into the VNF. (An init-capture:
            // a plain capture of `request` would be const, and its move a copy.)
            [kept = request](Core& c, std::optional<FaultKind>) mutable -> Result<std::string> {
                std::lock_guard lock(c.mutex);
                SimVnf vnf;
                vnf.id = c.new_uuid();
                vnf.name = kept.name;
                vnf.substrate = kept.substrate;
                vnf.request = std::move(kept);
                vnf.seq = c.next_vnf_seq++;
                const std::string id = vnf.id;
                c.add_vnf(std::move(vnf));
                return id;
            });
    }

    void instantiate(const std::string& vnf_id, const VnfRequest& request, const CallContext& ctx,
                     Callback<std::string> done) override {
        core_->call<std::string>(
            CallKind::vnf_instantiate, label(vnf_id), ctx, std::move(done),
            [vnf_id, kept = request](
                Core& c, std::optional<FaultKind> effect) mutable -> Result<std::string> {
                std::lock_guard lock(c.mutex);
                auto it = c.vnfs.find(vnf_id);
                if (it == c.vnfs.end()) return vnf_not_found(vnf_id);
                SimVnf& vnf = it->second;
                if (!vnf.busy_op.empty()) return in_use(vnf);
                if (vnf.instantiated) {
                    return lcm(Errc::conflict, 409, "VNF " + vnf.name + " already instantiated");
                }
                const std::string name = vnf.name;
                const Substrate substrate = vnf.substrate;
                vnf.request = std::move(kept);  // performed once, as in create_vnf
                vnf.request.name = name;
                vnf.request.substrate = substrate;
                return start_op(c, vnf, "INSTANTIATE", effect, instantiate_completion);
            });
    }

    void scale(const std::string& vnf_id, int instances, const CallContext& ctx,
               Callback<std::string> done) override {
        core_->call<std::string>(
            CallKind::vnf_scale, label(vnf_id), ctx, std::move(done),
            [vnf_id, instances](Core& c, std::optional<FaultKind> effect) -> Result<std::string> {
                std::lock_guard lock(c.mutex);
                auto it = c.vnfs.find(vnf_id);
                if (it == c.vnfs.end()) return vnf_not_found(vnf_id);
                SimVnf& vnf = it->second;
                if (!vnf.busy_op.empty()) return in_use(vnf);
                if (!vnf.instantiated) return not_instantiated(vnf);
                if (instances < 0) {
                    return lcm(Errc::backend, 422,
                               "scale of VNF " + vnf.name + ": instances must not be negative");
                }
                return start_op(
                    c, vnf, "SCALE", effect,
                    [instances](Core& core, SimVnf& v,
                                std::optional<FaultKind> eff) -> std::optional<std::string> {
                        v.request.instances = instances;
                        if (v.substrate == Substrate::container) {
                            return set_replicas(core, v, instances);
                        }
                        while (static_cast<int>(v.vms.size()) > instances) {  // from the end
                            core.release_vm(v.vms.back());
                            v.vms.pop_back();
                        }
                        return add_vms(core, v, instances - static_cast<int>(v.vms.size()),
                                       boots(eff));
                    });
            });
    }

    void heal(const std::string& vnf_id, const std::string& server_id, const CallContext& ctx,
              Callback<std::string> done) override {
        core_->call<std::string>(
            CallKind::vnf_heal, label(vnf_id), ctx, std::move(done),
            [vnf_id, server_id](Core& c, std::optional<FaultKind> effect) -> Result<std::string> {
                std::lock_guard lock(c.mutex);
                auto it = c.vnfs.find(vnf_id);
                if (it == c.vnfs.end()) return vnf_not_found(vnf_id);
                SimVnf& vnf = it->second;
                if (!vnf.busy_op.empty()) return in_use(vnf);
                if (!vnf.instantiated) return not_instantiated(vnf);
                if (vnf.substrate == Substrate::vm && !server_id.empty() &&
                    std::none_of(vnf.vms.begin(), vnf.vms.end(),
                                 [&](const SimVm& vm) { return vm.server_id == server_id; })) {
                    return lcm(Errc::backend, 422,
                               "heal of VNF " + vnf.name + ": VNFC " + server_id + " not found");
                }
                return start_op(
                    c, vnf, "HEAL", effect,
                    [server_id](Core& core, SimVnf& v,
                                std::optional<FaultKind> eff) -> std::optional<std::string> {
                        return heal_completion(core, v, server_id, eff);
                    });
            });
    }

    void terminate(const std::string& vnf_id, const CallContext& ctx,
                   Callback<std::string> done) override {
        core_->call<std::string>(
            CallKind::vnf_terminate, label(vnf_id), ctx, std::move(done),
            [vnf_id](Core& c, std::optional<FaultKind> effect) -> Result<std::string> {
                std::lock_guard lock(c.mutex);
                auto it = c.vnfs.find(vnf_id);
                if (it == c.vnfs.end()) return vnf_not_found(vnf_id);
                SimVnf& vnf = it->second;
                if (!vnf.busy_op.empty()) return in_use(vnf);
                if (!vnf.instantiated) return not_instantiated(vnf);
                return start_op(c, vnf, "TERMINATE", effect,
                                [](Core& core, SimVnf& v,
                                   std::optional<FaultKind>) -> std::optional<std::string> {
                                    for (const auto& vm : v.vms) core.release_vm(vm);
                                    v.vms.clear();
                                    if (v.deployment) core.remove_object(*v.deployment);
                                    v.deployment.reset();
                                    v.instantiated = false;
                                    return std::nullopt;
                                });
            });
    }

    void delete_vnf(const std::string& vnf_id, const CallContext& ctx, Callback<Ok> done) override {
        core_->call<Ok>(CallKind::vnf_delete, label(vnf_id), ctx, std::move(done),
                        [vnf_id](Core& c, std::optional<FaultKind>) -> Result<Ok> {
                            std::lock_guard lock(c.mutex);
                            auto it = c.vnfs.find(vnf_id);
                            if (it == c.vnfs.end()) return Ok{};
                            if (!it->second.busy_op.empty()) return in_use(it->second);
                            if (it->second.instantiated) {
                                return lcm(Errc::conflict, 409,
                                           "VNF " + it->second.name + " is instantiated");
                            }
                            c.erase_vnf(vnf_id);
                            return Ok{};
                        });
    }

    void get_operation(const std::string& op_id, const CallContext& ctx,
                       Callback<LcmOperation> done) override {
        const std::string target = core_->op_call_label(op_id);
        core_->call<LcmOperation>(
            CallKind::vnf_get_operation, target, ctx, std::move(done),
            [op_id](Core& c, std::optional<FaultKind>) -> Result<LcmOperation> {
                std::lock_guard lock(c.mutex);
                auto it = c.ops.find(op_id);
                if (it == c.ops.end()) {
                    return lcm(Errc::not_found, 404,
                               "VNF LCM operation occurrence " + op_id + " not found");
                }
                return it->second.op;
            });
    }

    void resolve_failed_operation(const std::string& op_id, FailedOperationAction action,
                                  const CallContext& ctx, Callback<Ok> done) override {
        const std::string target = core_->op_call_label(op_id);
        core_->call<Ok>(
            CallKind::vnf_resolve, target, ctx, std::move(done),
            [op_id, action](Core& c, std::optional<FaultKind>) -> Result<Ok> {
                std::lock_guard lock(c.mutex);
                auto it = c.ops.find(op_id);
                if (it == c.ops.end()) {
                    return lcm(Errc::not_found, 404,
                               "VNF LCM operation occurrence " + op_id + " not found");
                }
                SimOp& op = it->second;
                if (op.op.state != LcmState::failed_temp) {
                    return lcm(Errc::conflict, 409,
                               "VNF LCM operation occurrence " + op_id + " is " +
                                   to_string(op.op.state) + ", not FAILED_TEMP");
                }
                auto release = [&c, vnf_id = op.op.vnf_id, op_id] {
                    auto vit = c.vnfs.find(vnf_id);
                    if (vit != c.vnfs.end() && vit->second.busy_op == op_id) {
                        vit->second.busy_op.clear();
                    }
                };
                if (action == FailedOperationAction::fail) {
                    op.op.state = LcmState::failed;
                    release();
                    return Ok{};
                }
                if (op.op.operation != "INSTANTIATE" && op.op.operation != "SCALE") {
                    return lcm(Errc::backend, 422,
                               "rollback of a " + op.op.operation + " operation is not supported");
                }
                // The failed operation changed nothing, so rolling back only takes time.
                op.op.state = LcmState::rolling_back;
                const auto duration =
                    std::max(std::chrono::milliseconds(0), c.options.lcm_duration) / 5;
                c.at(Clock::now() + duration, [op_id](Core& core) {
                    std::lock_guard later(core.mutex);
                    auto found = core.ops.find(op_id);
                    if (found == core.ops.end()) return;
                    found->second.op.state = LcmState::rolled_back;
                    auto vit = core.vnfs.find(found->second.op.vnf_id);
                    if (vit != core.vnfs.end() && vit->second.busy_op == op_id) {
                        vit->second.busy_op.clear();
                    }
                });
                return Ok{};
            });
    }

    void get_vnf(const std::string& vnf_id, const CallContext& ctx,
                 Callback<VnfInstance> done) override {
        core_->call<VnfInstance>(
            CallKind::vnf_get, label(vnf_id), ctx, std::move(done),
            [vnf_id](Core& c, std::optional<FaultKind>) -> Result<VnfInstance> {
                std::lock_guard lock(c.mutex);
                auto it = c.vnfs.find(vnf_id);
                if (it == c.vnfs.end()) return vnf_not_found(vnf_id);
                return instance(c, it->second);
            });
    }

    void find_vnf(const std::string& name, const CallContext& ctx,
                  Callback<std::optional<VnfInstance>> done) override {
        core_->call<std::optional<VnfInstance>>(
            CallKind::vnf_find, name, ctx, std::move(done),
            [name](Core& c, std::optional<FaultKind>) -> Result<std::optional<VnfInstance>> {
                std::lock_guard lock(c.mutex);
                auto named = c.vnfs_by_name.find(name);
                if (named == c.vnfs_by_name.end() || named->second.empty()) {
                    return std::optional<VnfInstance>();
                }
                // The oldest of that name: the first by creation order.
                const SimVnf& found = c.vnfs.at(named->second.begin()->second);
                return std::optional<VnfInstance>(instance(c, found));
            });
    }

private:
    std::string label(const std::string& vnf_id) const { return core_->call_label(vnf_id); }

    static VnfInstance instance(const Core& c, const SimVnf& vnf) {
        VnfInstance out;
        out.id = vnf.id;
        out.name = vnf.name;
        out.instantiated = vnf.instantiated;
        for (const auto& vm : vnf.vms) {
            out.vms.push_back(VmInstance{vm.server_id, vm.booted ? vm.address : std::string()});
        }
        if (vnf.deployment) {
            for (const SimPod* pod : c.pods_of(*vnf.deployment))
                out.pods.push_back(pod->record.name);
        }
        return out;
    }

    static std::optional<std::string> instantiate_completion(Core& c, SimVnf& vnf,
                                                             std::optional<FaultKind> effect) {
        if (vnf.substrate == Substrate::vm) {
            if (auto error = add_vms(c, vnf, std::max(0, vnf.request.instances), boots(effect))) {
                return error;
            }
            vnf.instantiated = true;
            return std::nullopt;
        }
        if (!vnf.request.deployment) return std::string("the request carries no Deployment");
        Object deployment = *vnf.request.deployment;
        if (deployment.key.kind != "Deployment") {
            return "the request's workload is a " + deployment.key.kind + ", not a Deployment";
        }
        if (deployment.key.namespace_.empty()) deployment.key.namespace_ = vnf.request.namespace_;
        const std::string& ns = deployment.key.namespace_;
        if (ns.empty()) return "no namespace for Deployment " + deployment.key.name;
        if (!c.namespace_exists(ns)) return "namespace " + ns + " not found";
        auto& md = deployment.manifest.edit()["metadata"];
        if (!md.is_object()) md = boost::json::object();
        md.get_object()["namespace"] = ns;
        auto& spec = deployment.manifest.edit()["spec"];
        if (!spec.is_object()) spec = boost::json::object();
        if (!spec.get_object().contains("replicas")) {
            spec.get_object()["replicas"] = std::max(0, vnf.request.instances);
        }
        ObjectKey key = deployment.key;
        auto stored = c.store_object(std::move(deployment), false);
        if (!stored) return stored.error().message;
        vnf.deployment = std::move(key);
        vnf.instantiated = true;
        return std::nullopt;
    }

    static std::optional<std::string> set_replicas(Core& c, SimVnf& vnf, int replicas) {
        if (!vnf.deployment) return std::string("the VNF has no Deployment");
        auto it = c.objects.find(*vnf.deployment);
        if (it == c.objects.end()) {
            return "Deployment " + vnf.deployment->to_string() + " not found";
        }
        Object updated = it->second;
        auto& spec = updated.manifest.edit()["spec"];
        if (!spec.is_object()) spec = boost::json::object();
        spec.get_object()["replicas"] = replicas;
        auto stored = c.store_object(std::move(updated), false);
        if (!stored) return stored.error().message;
        return std::nullopt;
    }

    static std::optional<std::string> heal_completion(Core& c, SimVnf& vnf,
                                                      const std::string& server_id,
                                                      std::optional<FaultKind> effect) {
        if (vnf.substrate == Substrate::container) {  // fresh pods
            if (!vnf.deployment) return std::nullopt;
            std::vector<std::pair<std::string, std::string>> ids;
            for (const SimPod* p : c.pods_of(*vnf.deployment)) {
                ids.emplace_back(p->record.namespace_, p->record.name);
            }
            for (const auto& id : ids) c.remove_pod(id, false);
            c.reconcile_deployment(*vnf.deployment);
            return std::nullopt;
        }
        for (auto& vm : vnf.vms) {
            const bool selected =
                server_id.empty() ? (vm.failed || !vm.booted) : vm.server_id == server_id;
            if (!selected) continue;
            auto fresh = c.new_vm(boots(effect), vnf.id);  // allocated before the old is freed
            if (!fresh) return "no free address left in " + c.options.vm_subnet + "0.0/16";
            SimVm old = vm;
            vm = std::move(*fresh);
            c.release_vm(old);
        }
        return std::nullopt;
    }

    std::shared_ptr<Core> core_;
};

}  // namespace

std::shared_ptr<VnfManager> make_vnf_manager(std::shared_ptr<Core> core) {
    return std::make_shared<SimVnfManager>(std::move(core));
}

}  // namespace meshorch::sim::detail
