// The simulated VM sidecar injector: delivers the bundle to a VM of the simulated VNF manager,
// "starts" the proxy (which needs a valid istio-token), records it.
#include "sim/core.hpp"
#include "sim/ports_impl.hpp"

namespace meshorch::sim::detail {

namespace {

Error injector_error(std::string message) {
    return backend_error(Backend::injector, Errc::backend, 0, std::move(message));
}

std::string describe(const VmInstance& vm) {
    std::string out = vm.address.empty() ? std::string("(no address)") : vm.address;
    if (!vm.server_id.empty()) out += " (server " + vm.server_id + ")";
    return out;
}

// The running VM, or the error an SSH delivery to it would end with. Mutex held.
Result<SimVm*> running_vm(Core& c, const VmInstance& wanted) {
    SimVm* vm = c.find_vm(wanted);
    if (!vm || !vm->booted) return injector_error("no such VM: " + describe(wanted));
    if (vm->failed) {
        return injector_error("VM " + describe(wanted) + " is not running (failed)");
    }
    return vm;
}

std::chrono::system_clock::time_point token_expiry(const Core& c, const std::string& token) {
    auto it = c.tokens.find(token);
    return it == c.tokens.end() ? std::chrono::system_clock::time_point{} : it->second.expires_at;
}

class SimInjector final : public SidecarInjector {
public:
    explicit SimInjector(std::shared_ptr<Core> core) : core_(std::move(core)) {}

    void inject(const InjectionRequest& request, const CallContext& ctx,
                Callback<InjectionResult> done) override {
        core_->call<InjectionResult>(
            CallKind::inject, request.vm.address, ctx, std::move(done),
            [request](Core& c, std::optional<FaultKind>) -> Result<InjectionResult> {
                std::lock_guard lock(c.mutex);
                auto vm = running_vm(c, request.vm);
                if (!vm) return std::move(vm).error();
                const SimVm& target = **vm;
                auto token = request.bundle.files.find("istio-token");
                if (token == request.bundle.files.end() || token->second.empty()) {
                    return injector_error("proxy on VM " + describe(request.vm) +
                                          " did not become ready: the bundle has no istio-token");
                }
                if (auto why = c.check_mesh_token(token->second, request.namespace_,
                                                  request.microservice)) {
                    return injector_error("proxy on VM " + describe(request.vm) +
                                          " did not become ready: " + *why);
                }
                if (auto it = c.proxies.find(target.server_id); it != c.proxies.end()) {
                    const ProxyRecord& r = it->second.record;
                    if (r.bundle == request.bundle && r.microservice == request.microservice &&
                        r.version == request.version &&
                        it->second.namespace_ == request.namespace_) {
                        return InjectionResult{false};
                    }
                }
                SimProxy proxy;
                proxy.record.vm = VmInstance{target.server_id, target.address};
                proxy.record.microservice = request.microservice;
                proxy.record.version = request.version;
                proxy.record.bundle = request.bundle;
                proxy.record.token_expires_at = token_expiry(c, token->second);
                proxy.namespace_ = request.namespace_;
                c.proxies.insert_or_assign(target.server_id, std::move(proxy));
                return InjectionResult{true};
            });
    }

    void refresh_token(const VmInstance& vm, const std::string& token, const CallContext& ctx,
                       Callback<Ok> done) override {
        core_->call<Ok>(
            CallKind::inject_refresh, vm.address, ctx, std::move(done),
            [vm, token](Core& c, std::optional<FaultKind>) -> Result<Ok> {
                std::lock_guard lock(c.mutex);
                auto found = running_vm(c, vm);
                if (!found) return std::move(found).error();
                auto it = c.proxies.find((*found)->server_id);
                if (it == c.proxies.end()) {
                    return injector_error("no proxy on VM " + describe(vm) + " to refresh");
                }
                SimProxy& proxy = it->second;
                if (token.empty())
                    return injector_error("refresh of VM " + describe(vm) + ": empty token");
                if (auto why =
                        c.check_mesh_token(token, proxy.namespace_, proxy.record.microservice)) {
                    return injector_error("refresh of VM " + describe(vm) + ": " + *why);
                }
                proxy.record.bundle.files["istio-token"] = token;
                proxy.record.token_expires_at = token_expiry(c, token);
                return Ok{};
            });
    }

    void remove(const VmInstance& vm, const CallContext& ctx, Callback<Ok> done) override {
        core_->call<Ok>(CallKind::inject_remove, vm.address, ctx, std::move(done),
                        [vm](Core& c, std::optional<FaultKind>) -> Result<Ok> {
                            std::lock_guard lock(c.mutex);
                            if (const SimVm* found = c.find_vm(vm)) {
                                c.proxies.erase(found->server_id);
                            }
                            return Ok{};  // a VM or proxy that is gone is success
                        });
    }

private:
    std::shared_ptr<Core> core_;
};

}  // namespace

std::shared_ptr<SidecarInjector> make_injector(std::shared_ptr<Core> core) {
    return std::make_shared<SimInjector>(std::move(core));
}

}  // namespace meshorch::sim::detail
