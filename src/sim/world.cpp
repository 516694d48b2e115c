#include <meshorch/sim.hpp>

#include "sim/core.hpp"
#include "sim/ports_impl.hpp"

#include <algorithm>

namespace meshorch::sim {

const char* to_string(CallKind kind) noexcept {
    switch (kind) {
        case CallKind::vnf_create: return "vnf_create";
        case CallKind::vnf_instantiate: return "vnf_instantiate";
        case CallKind::vnf_scale: return "vnf_scale";
        case CallKind::vnf_heal: return "vnf_heal";
        case CallKind::vnf_terminate: return "vnf_terminate";
        case CallKind::vnf_delete: return "vnf_delete";
        case CallKind::vnf_get_operation: return "vnf_get_operation";
        case CallKind::vnf_get: return "vnf_get";
        case CallKind::vnf_find: return "vnf_find";
        case CallKind::vnf_resolve: return "vnf_resolve";
        case CallKind::k8s_apply: return "k8s_apply";
        case CallKind::k8s_get: return "k8s_get";
        case CallKind::k8s_list: return "k8s_list";
        case CallKind::k8s_remove: return "k8s_remove";
        case CallKind::k8s_token: return "k8s_token";
        case CallKind::k8s_root_cert: return "k8s_root_cert";
        case CallKind::k8s_readiness: return "k8s_readiness";
        case CallKind::inject: return "inject";
        case CallKind::inject_refresh: return "inject_refresh";
        case CallKind::inject_remove: return "inject_remove";
    }
    return "unknown";
}

const char* to_string(FaultKind kind) noexcept {
    switch (kind) {
        case FaultKind::unavailable: return "unavailable";
        case FaultKind::rate_limited: return "rate_limited";
        case FaultKind::conflict: return "conflict";
        case FaultKind::timeout: return "timeout";
        case FaultKind::rejected: return "rejected";
        case FaultKind::operation_failed: return "operation_failed";
        case FaultKind::never_boots: return "never_boots";
    }
    return "unknown";
}

namespace {

using detail::Core;

class WorldImpl final : public World {
public:
    explicit WorldImpl(Options options)
        : core_(std::make_shared<Core>(std::move(options))),
          vnfm_(detail::make_vnf_manager(core_)),
          cluster_(detail::make_cluster(core_)),
          injector_(detail::make_injector(core_)) {}

    ~WorldImpl() override { core_->shutdown(); }

    Backends backends() override { return Backends{vnfm_, cluster_, injector_, nullptr}; }
    std::shared_ptr<VnfManager> vnf_manager() override { return vnfm_; }
    std::shared_ptr<Cluster> cluster() override { return cluster_; }
    std::shared_ptr<SidecarInjector> injector() override { return injector_; }

    void script(ScriptedFault fault) override {
        std::lock_guard lock(core_->admission);
        core_->scripts.push_back(detail::SimScript{std::move(fault), 0});
    }

    void clear_faults() override {
        std::lock_guard lock(core_->admission);
        core_->scripts.clear();
        core_->options.fault_probability = 0.0;
        core_->options.fault_probability_per_call.clear();
    }

    void set_fault_probability(double p) override {
        std::lock_guard lock(core_->admission);
        core_->options.fault_probability = std::clamp(p, 0.0, 1.0);
    }

    void set_latency(CallKind call, Latency latency) override {
        std::lock_guard lock(core_->admission);
        core_->options.latency[call] = latency;
    }

    void fail_vm(const std::string& server_id) override {
        std::lock_guard lock(core_->mutex);
        if (auto* vm = core_->vm_by_server_id(server_id)) {
            vm->failed = true;
            core_->proxies.erase(server_id);
        }
    }

    void preload(const Object& object) override {
        std::lock_guard lock(core_->mutex);
        (void)core_->store_object(object, true);
    }

    Snapshot snapshot() const override {
        std::lock_guard lock(core_->mutex);
        Snapshot s;
        std::vector<const detail::SimVnf*> vnfs;
        for (const auto& [id, vnf] : core_->vnfs) vnfs.push_back(&vnf);
        std::sort(vnfs.begin(), vnfs.end(), [](const auto* a, const auto* b) {
            return a->name != b->name ? a->name < b->name : a->seq < b->seq;
        });
        for (const auto* vnf : vnfs) {
            VnfRecord r;
            r.id = vnf->id;
            r.name = vnf->name;
            r.substrate = vnf->substrate;
            r.instantiated = vnf->instantiated;
            if (vnf->substrate == Substrate::vm) {
                r.instances = static_cast<int>(vnf->vms.size());
            } else if (vnf->deployment) {
                r.instances = static_cast<int>(core_->pods_of(*vnf->deployment).size());
            }
            s.vnfs.push_back(std::move(r));
            for (const auto& vm : vnf->vms) {
                s.vms.push_back(VmInstance{vm.server_id, vm.booted ? vm.address : std::string()});
            }
        }
        for (const auto& [id, pod] : core_->pods) s.pods.push_back(pod.record);
        for (const auto& [key, object] : core_->objects) s.objects.put(object);
        for (const auto& [id, proxy] : core_->proxies) s.proxies.push_back(proxy.record);
        return s;
    }

    std::map<CallKind, std::uint64_t> call_counts() const override {
        std::lock_guard lock(core_->admission);
        return core_->counts;
    }

    void reset_call_counts() override {
        std::lock_guard lock(core_->admission);
        core_->counts.clear();
    }

private:
    std::shared_ptr<Core> core_;
    std::shared_ptr<VnfManager> vnfm_;
    std::shared_ptr<Cluster> cluster_;
    std::shared_ptr<SidecarInjector> injector_;
};

}  // namespace

std::shared_ptr<World> World::create(Options options) {
    return std::make_shared<WorldImpl>(std::move(options));
}

}  // namespace meshorch::sim
