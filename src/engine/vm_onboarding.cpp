// onboard_vm / offboard_vm: the orchestrator's per-VM injection steps as blocking calls over the
// ports. Same token request, same bundle (build_vm_bundle), same WorkloadEntry
// (render_workload_entries) as the orchestrator, so a VM onboarded here and one the orchestrator
// injected are indistinguishable.
#include <meshorch/vm_onboarding.hpp>

#include "engine/backoff.hpp"
#include "engine/bundle_files.hpp"

#include <meshorch/spec.hpp>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <utility>

namespace meshorch {

namespace {

using std::chrono::milliseconds;

// How long past its deadline a port may take to answer before the wait gives up on it (a port
// that ignores its deadline must not hang the caller).
constexpr milliseconds answer_grace{2000};
// Waits without a deadline wake up this often to look at the cancel token.
constexpr milliseconds idle_slice{200};

// Sleeps until `until` or a cancel; false when cancelled.
bool sleep_until(Deadline until, const CancelToken& cancel) {
    auto woken = std::make_shared<std::pair<std::mutex, std::condition_variable>>();
    const auto registration = cancel.on_cancel([woken] {
        std::lock_guard lock(woken->first);
        woken->second.notify_all();
    });
    {
        std::unique_lock lock(woken->first);
        while (!cancel.cancelled() && Clock::now() < until) {
            woken->second.wait_until(lock, std::min(until, Clock::now() + idle_slice));
        }
    }
    cancel.forget(registration);
    return !cancel.cancelled();
}

// One port call, waited for. `start(call_ctx, callback)` makes the call.
template <class T, class Start>
Result<T> call_once(const CallContext& call, Start&& start) {
    struct Answer {
        std::mutex mutex;
        std::condition_variable cv;
        std::optional<Result<T>> result;
    };
    // Shared with the callback: an answer that comes after the wait gave up lands here and is
    // dropped with it.
    auto answer = std::make_shared<Answer>();
    const auto registration = call.cancel.on_cancel([answer] {
        std::lock_guard lock(answer->mutex);
        answer->cv.notify_all();
    });
    start(call, [answer](Result<T> r) {
        std::lock_guard lock(answer->mutex);
        if (!answer->result) answer->result.emplace(std::move(r));
        answer->cv.notify_all();
    });
    const Deadline give_up = call.deadline >= Deadline::max() - answer_grace
                                 ? Deadline::max()
                                 : call.deadline + answer_grace;
    std::optional<Deadline> cancelled_at;
    std::unique_lock lock(answer->mutex);
    while (!answer->result) {
        const auto now = Clock::now();
        if (call.cancel.cancelled() && !cancelled_at) cancelled_at = now;
        // A cancelled call gets a moment to answer (it may have been performed already).
        if (cancelled_at && now >= *cancelled_at + answer_grace) {
            answer->result.emplace(make_error(Errc::cancelled, "cancelled"));
            break;
        }
        if (now >= give_up) {
            answer->result.emplace(make_error(Errc::timeout, "no answer before the deadline"));
            break;
        }
        answer->cv.wait_until(
            lock, std::min({give_up, now + idle_slice,
                            cancelled_at ? *cancelled_at + answer_grace : Deadline::max()}));
    }
    Result<T> out = std::move(*answer->result);
    lock.unlock();
    call.cancel.forget(registration);
    return out;
}

// A port call with the engine's retry policy: transient errors (retryable()) are retried with
// backoff until options.backoff.max_attempts or the deadline; errors say which step failed.
template <class T, class Start>
Result<T> step(const std::string& what, const OnboardingOptions& options, const CallContext& ctx,
               Start&& start) {
    const int max_attempts = std::max(1, options.backoff.max_attempts);
    for (int n = 1;; ++n) {
        if (ctx.cancel.cancelled()) return make_error(Errc::cancelled, what + ": cancelled");
        const auto now = Clock::now();
        if (now >= ctx.deadline) {
            return make_error(Errc::timeout, "deadline passed before " + what);
        }
        CallContext call = ctx;
        if (options.call_timeout.count() > 0 && ctx.deadline - now > options.call_timeout) {
            call.deadline = now + options.call_timeout;
        }
        Result<T> r = call_once<T>(call, start);
        if (r.ok()) return r;
        Error e = std::move(r).error();
        if (ctx.cancel.cancelled()) return make_error(Errc::cancelled, what + ": cancelled");
        if (!e.retryable()) {
            e.message = what + ": " + e.message;
            return e;
        }
        if (Clock::now() >= ctx.deadline) {
            return make_error(Errc::timeout,
                              "deadline passed during " + what + " (" + e.message + ")");
        }
        if (n >= max_attempts) {
            e.message =
                what + ": " + e.message + " (gave up after " + std::to_string(n) + " attempts)";
            return e;
        }
        const auto until =
            std::min(ctx.deadline, Clock::now() + engine::backoff_delay(options.backoff, n));
        if (!sleep_until(until, ctx.cancel)) {
            return make_error(Errc::cancelled, what + ": cancelled");
        }
    }
}

std::string namespace_of(const ServiceSpec& spec) {
    return spec.namespace_.empty() ? spec.name : spec.namespace_;
}

struct Target {
    const Microservice* ms = nullptr;
    const Version* version = nullptr;
};

// The VM version (microservice, version) of a valid spec, or why not.
Result<Target> find_vm_version(const ServiceSpec& spec, const std::string& microservice,
                               const std::string& version, int instance) {
    if (auto problems = validate(spec); !problems.empty()) {
        Error e = make_error(Errc::invalid_spec, "service spec \"" + spec.name + "\" is invalid");
        e.fields = std::move(problems);
        return e;
    }
    const std::string label = microservice + "/" + version;
    const Microservice* ms = spec.find_microservice(microservice);
    if (ms == nullptr) {
        return make_error(
            Errc::invalid_argument,
            "service \"" + spec.name + "\" has no microservice \"" + microservice + "\"");
    }
    const Version* v = ms->find_version(version);
    if (v == nullptr) {
        return make_error(Errc::invalid_argument, "microservice \"" + microservice +
                                                      "\" of service \"" + spec.name +
                                                      "\" has no version \"" + version + "\"");
    }
    if (v->substrate() != Substrate::vm) {
        return make_error(Errc::invalid_argument,
                          "version " + label + " of service \"" + spec.name + "\" runs in " +
                              to_string(v->substrate()) + "s, not on VMs: nothing to onboard");
    }
    if (instance < 0) {
        return make_error(Errc::invalid_argument, "VM instance of " + label +
                                                      " must not be negative (got " +
                                                      std::to_string(instance) + ")");
    }
    return Target{ms, v};
}

OrchestratorOptions bundle_options(const OnboardingOptions& o) {
    OrchestratorOptions out;
    out.token_lifetime = o.token_lifetime;
    out.istiod_address = o.istiod_address;
    out.istiod_ip = o.istiod_ip;
    out.cluster_id = o.cluster_id;
    out.mesh_id = o.mesh_id;
    out.network = o.network;
    return out;
}

// The WorkloadEntry render() gives VM `instance` of (microservice, version): an Observed where
// the instances before it have no address, so that only this VM's entry renders.
std::optional<Object> render_entry(const ServiceSpec& spec, const std::string& microservice,
                                   const std::string& version, const VmInstance& vm, int instance) {
    Observed observed;
    auto& vms = observed.vms[{microservice, version}];
    vms.resize(static_cast<std::size_t>(instance));
    vms.push_back(vm);
    ObjectSet entries = render_workload_entries(spec, observed);
    if (entries.size() != 1) return std::nullopt;
    return entries.begin()->second;
}

std::string describe(const VmInstance& vm) {
    std::string out = "VM " + (vm.server_id.empty() ? std::string("(no server id)") : vm.server_id);
    if (!vm.address.empty()) out += " (" + vm.address + ")";
    return out;
}

}  // namespace

OnboardingOptions onboarding_options(const OrchestratorOptions& options) {
    OnboardingOptions out;
    out.token_lifetime = options.token_lifetime;
    out.call_timeout = options.call_timeout;
    out.backoff = options.backoff;
    out.istiod_address = options.istiod_address;
    out.istiod_ip = options.istiod_ip;
    out.cluster_id = options.cluster_id;
    out.mesh_id = options.mesh_id;
    out.network = options.network;
    return out;
}

std::string workload_entry_name(const std::string& microservice, const std::string& version,
                                int instance) {
    return workload_name(microservice, version) + "-" + std::to_string(instance);
}

Result<Object> onboard_vm(const ServiceSpec& spec, const std::string& microservice,
                          const std::string& version, const VmInstance& vm, int instance,
                          Cluster& cluster, SidecarInjector& injector,
                          const OnboardingOptions& options, const CallContext& ctx) {
    auto target = find_vm_version(spec, microservice, version, instance);
    if (!target) return std::move(target).error();
    if (vm.address.empty()) {
        return make_error(Errc::invalid_argument, describe(vm) + " of " + microservice + "/" +
                                                      version +
                                                      " has no address: the mesh cannot reach it");
    }
    const std::string ns = namespace_of(spec);

    // The entry first (pure): a VM it would not render for is refused before anything happens.
    const auto rendered = render_entry(spec, microservice, version, vm, instance);
    if (!rendered) {
        return make_error(Errc::internal, "no WorkloadEntry renders for " + describe(vm) + " of " +
                                              microservice + "/" + version);
    }
    const Object& entry = *rendered;

    auto token = step<ServiceAccountToken>(
        "token for ServiceAccount " + ns + "/" + microservice, options, ctx,
        [&](const CallContext& c, Callback<ServiceAccountToken> cb) {
            cluster.create_token(ns, microservice, "istio-ca", options.token_lifetime, c,
                                 std::move(cb));
        });
    if (!token) return std::move(token).error();
    auto root_cert = step<std::string>("root certificate of namespace " + ns, options, ctx,
                                       [&](const CallContext& c, Callback<std::string> cb) {
                                           cluster.root_certificate(ns, c, std::move(cb));
                                       });
    if (!root_cert) return std::move(root_cert).error();

    auto bundle = engine::build_vm_bundle(spec, *target->ms, *target->version, vm, token->token,
                                          *root_cert, bundle_options(options));
    if (!bundle) {
        Error e = std::move(bundle).error();
        e.message = "bootstrap bundle for " + describe(vm) + ": " + e.message;
        return e;
    }
    InjectionRequest request;
    request.service = spec.name;
    request.namespace_ = ns;
    request.microservice = microservice;
    request.version = version;
    request.vm = vm;
    request.bundle = std::move(*bundle);
    auto injected = step<InjectionResult>("inject the proxy on " + describe(vm), options, ctx,
                                          [&](const CallContext& c, Callback<InjectionResult> cb) {
                                              injector.inject(request, c, std::move(cb));
                                          });
    if (!injected) return std::move(injected).error();

    // The proxy is ready: now the mesh may route to the VM.
    auto stored = step<Object>(
        "apply " + entry.key.to_string(), options, ctx,
        [&](const CallContext& c, Callback<Object> cb) { cluster.apply(entry, c, std::move(cb)); });
    return stored;
}

Status offboard_vm(const ServiceSpec& spec, const std::string& microservice,
                   const std::string& version, const VmInstance& vm, int instance, Cluster& cluster,
                   SidecarInjector& injector, const OnboardingOptions& options,
                   const CallContext& ctx) {
    auto target = find_vm_version(spec, microservice, version, instance);
    if (!target) return std::move(target).error();

    // Traffic stops first: the entry goes before the proxy does.
    // The entry's key does not depend on the address, which may be unknown by now.
    const VmInstance addressed{vm.server_id, vm.address.empty() ? "0.0.0.0" : vm.address};
    const auto rendered = render_entry(spec, microservice, version, addressed, instance);
    if (!rendered) {
        return make_error(Errc::internal, "no WorkloadEntry renders for " + describe(vm) + " of " +
                                              microservice + "/" + version);
    }
    const ObjectKey key = rendered->key;
    auto removed = step<Ok>(
        "delete " + key.to_string(), options, ctx,
        [&](const CallContext& c, Callback<Ok> cb) { cluster.remove(key, c, std::move(cb)); });
    if (!removed && removed.error().code != Errc::not_found) return removed;

    auto dropped = step<Ok>(
        "remove the proxy from " + describe(vm), options, ctx,
        [&](const CallContext& c, Callback<Ok> cb) { injector.remove(vm, c, std::move(cb)); });
    if (!dropped && dropped.error().code != Errc::not_found) return dropped;
    return Ok{};
}

}  // namespace meshorch
