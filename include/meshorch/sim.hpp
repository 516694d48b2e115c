// meshorch::sim — an in-process simulation of every backend (VNF manager, Kubernetes cluster,
// VM sidecar injector) with configurable latency and fault injection. For tests, demos and
// users' own test harnesses: public, documented API.
//
// It behaves like the real systems where the engine can tell: VNF operations are asynchronous
// with SOL003 op-occ states; VMs get addresses once they boot; container pods appear only
// after instantiation, and carry an istio-proxy only in a namespace labelled for injection;
// Kubernetes objects have resourceVersions; tokens expire. Everything it holds is inspectable.
//
// Thread safety: all members are thread-safe. Callbacks run on the world's own thread(s).
//
// ---- How every call goes ---------------------------------------------------------------------
// 1. It is counted in call_counts() under its CallKind (every call, whatever its outcome).
// 2. Already cancelled -> Errc::cancelled; deadline already passed -> Errc::timeout. Neither is
//    performed, and neither counts towards a ScriptedFault's nth.
// 3. A fault is chosen: the scripted ones first (in the order scripted), then a random one with
//    Options::fault_probability (or the per-call-kind probability). The polls
//    vnf_get_operation, vnf_get, k8s_get and k8s_readiness get random faults only from
//    fault_probability_per_call, never from the global probability.
// 4. The call waits its latency (fixed + uniform jitter drawn from the seeded RNG). If the
//    answer would come after the CallContext deadline, the call fails with Errc::timeout at the
//    deadline and is not performed. If ctx.cancel fires meanwhile, it fails with
//    Errc::cancelled at once and is not performed.
// 5. Then it fails with its fault (unavailable / rate_limited / conflict / rejected: not
//    performed), or it is performed against the world's state and answered. A FaultKind::timeout
//    call is never performed: it answers Errc::timeout at the deadline (or after
//    Options::no_deadline_timeout).
// A call that was performed always reports its real outcome (cancellation after that point is
// ignored), so what the caller saw and what the world holds always agree.
//
// ---- Callbacks and threads -------------------------------------------------------------------
// Every callback runs on one of the world's Options::threads threads, never inline on the
// calling thread, with no sim lock held: a callback may call the ports again. Answers due at the
// same time run in the order the calls were made when threads == 1; with more threads they may
// run concurrently. A callback must not throw.
//
// ---- Lifetime --------------------------------------------------------------------------------
// Destroying the World (its last shared_ptr) stops the simulation: the threads are joined,
// LCM operations and pod start-ups in progress stop where they are, and every call not yet
// answered is answered with Errc::cancelled on the destroying thread. The ports may outlive the
// World (the engine holds them): a call made after that is answered at once, inline, with
// Errc::cancelled (the one exception to "never inline"). The World may be destroyed from one of
// its own callbacks.
//
// ---- Determinism -----------------------------------------------------------------------------
// Ids (VNF ids, op-occ ids, server ids, uids, pod names), addresses, latencies and random faults
// come from Options::seed through separate streams (so changing latency settings does not change
// which calls fail). Issued in the same order, the same calls get the same ids and the same
// faults; with several threads or racing calls, the order itself may vary.
#pragma once

#include <meshorch/object.hpp>
#include <meshorch/orchestrator.hpp>
#include <meshorch/ports.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace meshorch::sim {

// Every kind of backend call, for latency, fault and call-count settings.
// The "target" of a call (what ScriptedFault::match looks in and error messages quote):
//   vnf_create, vnf_find                    the VNF name (VnfRequest::name)
//   vnf_instantiate/scale/heal/terminate/delete/get
//                                           the VNF's name (its id if there is no such VNF)
//   vnf_get_operation, vnf_resolve          the name of the op-occ's VNF (else the op id)
//   k8s_apply, k8s_get, k8s_remove          the object's metadata.name
//   k8s_list                                the kind
//   k8s_token                               the ServiceAccount name
//   k8s_root_cert                           the namespace
//   k8s_readiness                           "<microservice>-<version>"
//   inject, inject_refresh, inject_remove   the VM address
enum class CallKind {
    vnf_create,
    vnf_instantiate,
    vnf_scale,
    vnf_heal,
    vnf_terminate,
    vnf_delete,
    vnf_get_operation,
    vnf_get,
    vnf_find,
    k8s_apply,
    k8s_get,
    k8s_list,
    k8s_remove,
    k8s_token,
    k8s_root_cert,
    k8s_readiness,
    inject,
    inject_refresh,
    inject_remove,
    vnf_resolve,  // resolve_failed_operation (rollback / fail of a FAILED_TEMP operation)
};
const char* to_string(CallKind) noexcept;  // "vnf_create", ...

enum class FaultKind {
    unavailable,       // 503: transient
    rate_limited,      // 429: transient
    conflict,          // 409: transient (retry)
    timeout,           // the call never answers before its deadline
    rejected,          // 400/422: terminal, with a backend message
    operation_failed,  // LCM calls only: the call succeeds, the op-occ ends FAILED_TEMP
    never_boots,  // vnf_instantiate on a VM VNF: the op completes but a VM never gets an address
};
// As Errors (Error::http_status set, body_excerpt shaped like the backend's error body:
// SOL013 ProblemDetails for the VNF manager, a v1 Status for Kubernetes):
//   unavailable   Errc::transient, 503        rate_limited  Errc::transient, 429
//   conflict      Errc::conflict, 409         rejected      Errc::backend, 422
//   timeout       Errc::timeout (no status)
// Each message names the call and its target, e.g. `vnf_create "shop-cart-v1": 503 ...`.
// operation_failed: the LCM call (instantiate, scale, heal, terminate) returns its op-occ id;
//   the op-occ ends FAILED_TEMP with an error and changes nothing. Ignored by other calls.
// never_boots: vnf_instantiate, vnf_scale (the VMs it adds) and vnf_heal (the new VM) of a VM
//   VNF: the op completes, the VMs exist (server ids) but report no address, and cannot be
//   injected until healed. Ignored by other calls.
const char* to_string(FaultKind) noexcept;

// "The nth call of this kind (optionally: whose target name contains `match`) fails this way".
struct ScriptedFault {
    CallKind call = CallKind::vnf_instantiate;
    int nth = 1;  // 1-based, counted among calls of this kind that match
    FaultKind fault = FaultKind::unavailable;
    std::string match;  // substring of the VNF name / object name / VM address; empty = any
    int repeat = 1;     // how many consecutive matching calls fail from the nth on;
                        // <= 0: every matching call from the nth on (until clear_faults())
};
// A script counts the matching calls made after script() (calls that end before reaching the
// backend, cancelled or past their deadline, are not counted). When several scripts hit one
// call, the first scripted wins.

struct Latency {
    std::chrono::milliseconds fixed{0};
    std::chrono::milliseconds jitter{0};  // uniform extra in [0, jitter]
};

struct Options {
    std::uint64_t seed = 1;
    int threads = 1;  // threads that run callbacks and timers (at least 1)
    Latency default_latency;
    std::map<CallKind, Latency> latency;
    // Probability in [0, 1] that a call fails with `random_fault` (not applied to polls).
    double fault_probability = 0.0;
    std::map<CallKind, double> fault_probability_per_call;
    FaultKind random_fault = FaultKind::unavailable;
    // How long an LCM operation takes: STARTING for the first fifth, then PROCESSING, then
    // COMPLETED (or FAILED_TEMP); VMs boot within it (they have addresses on COMPLETED).
    std::chrono::milliseconds lcm_duration{0};
    // How long a pod is Pending (not ready) after its Deployment creates it. 0: ready at once.
    std::chrono::milliseconds pod_start_time{0};
    // VM addresses are <vm_subnet><a>.<b> (a in 0..255, b in 2..254), unique among the VMs
    // that exist; a freed address comes back only after the whole range has been handed out.
    std::string vm_subnet = "10.0.";
    // A call that FaultKind::timeout hits fails with Errc::timeout at its CallContext deadline,
    // or after this long when it has none.
    std::chrono::milliseconds no_deadline_timeout{std::chrono::seconds(60)};
};

// ---- What the world holds ----------------------------------------------------------------------
//
// VNF manager (Tacker, SOL003):
// - create_vnf: a new VNF (id uuid-like, NOT_INSTANTIATED) named VnfRequest::name. Names need
//   not be unique, as in Tacker; find_vnf returns the oldest VNF of that name.
// - instantiate / scale / heal / terminate return an op-occ id at once (see lcm_duration); they
//   answer Errc::not_found (404) for an unknown VNF, Errc::conflict (409) while another op-occ
//   runs on the VNF, when instantiating an instantiated VNF ("VNF <name> already instantiated")
//   and when scaling, healing or terminating a NOT_INSTANTIATED one ("is not instantiated").
//   A FAILED_TEMP op-occ changes nothing but keeps the VNF busy, as Tacker does, until
//   resolve_failed_operation: rollback (INSTANTIATE and SCALE only, else Errc::backend 422)
//   goes ROLLING_BACK, then ROLLED_BACK after a fifth of lcm_duration; fail goes FAILED at once.
//   Resolving an op-occ that is not FAILED_TEMP: Errc::conflict (409).
// - On INSTANTIATE completion a VM VNF gets VnfRequest::instances VMs, each with a server id
//   and an address. A container VNF's VnfRequest::deployment (an apps/v1 Deployment; its
//   namespace defaults to VnfRequest::namespace_, its spec.replicas to instances) is applied to
//   the cluster, whose Deployment controller runs the pods; if the namespace does not exist the
//   op-occ ends FAILED_TEMP with "namespace <ns> not found".
// - SCALE sets the number of VMs (added at the end, removed from the end) or the Deployment's
//   replicas. HEAL replaces the VM with that server id by a new one (new server id, new address;
//   its proxy is gone); an empty server id heals every failed or address-less VM; for a
//   container VNF it replaces the pods. Unknown server id: Errc::backend (422).
// - TERMINATE removes the VMs (and their proxies) or the Deployment (and its pods); the VNF
//   record stays, NOT_INSTANTIATED, until delete_vnf. delete_vnf of an instantiated (or busy)
//   VNF: Errc::conflict (409) "VNF <name> is instantiated"; of a missing one: success.
// - get_vnf lists the VMs (address empty while a VM has not booted, see never_boots) and the
//   names of the pods. get_operation of an unknown id: Errc::not_found.
//
// Kubernetes cluster:
// - apply is server-side apply: creates, or replaces what the manifest sets. The stored object
//   gets metadata.uid and creationTimestamp once, metadata.generation (bumped when anything but
//   metadata changes) and metadata.resourceVersion (a cluster-wide counter, as a string, bumped
//   on every write; an apply that changes nothing writes nothing and keeps it). A
//   resourceVersion in the applied manifest is a precondition: a stale one is Errc::conflict
//   (409). A Namespace also gets the label kubernetes.io/metadata.name, as the API server adds.
//   Labels put there by preload() (another field manager) stay unless the apply sets them.
// - A namespaced object in a namespace that does not exist: Errc::not_found (404, "namespaces
//   "x" not found"). A namespaced kind without a namespace, or a key that does not match the
//   manifest: Errc::backend (400). Pods cannot be applied (Errc::backend 422): they come from
//   Deployments (or preload()).
// - get answers nullopt for a missing object. list matches apiVersion, kind, namespace (empty:
//   all namespaces) and a label subset, in ObjectKey order. remove succeeds for missing objects;
//   removing a Namespace removes everything in it at once (no Terminating phase), removing a
//   Deployment removes its pods, removing a pod makes the Deployment start a new one.
// - Pods: named <deployment>-<hash>-<suffix>, labelled from the pod template, ready after
//   pod_start_time. They get an istio-proxy container when created in a namespace labelled
//   istio-injection=enabled or istio.io/rev (or with the pod label sidecar.istio.io/inject=true;
//   istio-injection=disabled and sidecar.istio.io/inject=false opt out), as Istio's webhook
//   does. get/list of v1 Pod return Pod objects with spec.containers and status.phase.
// - create_token: Errc::not_found unless the namespace and the ServiceAccount exist; a
//   JWT-shaped token (sub system:serviceaccount:<ns>:<sa>, aud, exp), expires_at = now +
//   lifetime (any positive lifetime: the sim does not enforce the API server's 10 minute
//   minimum, so tests can watch tokens expire).
// - root_certificate: a fixed PEM certificate when the namespace exists (istiod writes ConfigMap
//   istio-ca-root-cert into every namespace), Errc::not_found otherwise.
// - workload_readiness counts the pods labelled app=<microservice>, version=<version>.
//
// VM sidecar injector:
// - inject needs a VM of the VNF manager at InjectionRequest::vm.address (and server id, when
//   given) that has booted and not failed, else Errc::backend ("no such VM ..." / "is not
//   running"). The bundle's istio-token must be a token this world issued for audience
//   istio-ca, for ServiceAccount <namespace>/<microservice>, and not expired, else
//   Errc::backend (the proxy would not get a certificate); tokens the world did not issue are
//   taken on trust. The same microservice, version and bundle again: InjectionResult{false}.
// - refresh_token needs the VM and its proxy; the token is checked likewise.
// - remove drops the proxy; a missing VM or proxy is success.
// - fail_vm marks a VM failed and drops its proxy; heal replaces it.
//
// A service deployed and then terminated the way the engine does it (proxies removed, VNFs
// terminated and deleted, objects and namespace removed) leaves Snapshot::empty().

struct VnfRecord {
    std::string id;
    std::string name;
    Substrate substrate = Substrate::vm;
    bool instantiated = false;
    int instances = 0;  // VMs, or pods of its Deployment
};
struct PodRecord {
    std::string namespace_;
    std::string name;
    std::map<std::string, std::string> labels;
    bool ready = false;
    bool has_proxy = false;
};
struct ProxyRecord {  // an injected VM proxy
    VmInstance vm;
    std::string microservice;
    std::string version;
    VmBundle bundle;
    // When the bundle's istio-token expires, if this world issued it (else the epoch).
    std::chrono::system_clock::time_point token_expires_at{};
};

// Everything the world holds, in a stable order.
struct Snapshot {
    std::vector<VnfRecord> vnfs;  // by name, then creation order
    std::vector<VmInstance> vms;  // VNF by VNF (in the order of vnfs), then VM order;
                                  // address empty for a VM that has not booted
    std::vector<PodRecord> pods;  // by namespace, then name
    ObjectSet objects;  // every Kubernetes/Istio object in the cluster (pods are in `pods`)
    std::vector<ProxyRecord> proxies;  // by server id
    bool empty() const noexcept {
        return vnfs.empty() && vms.empty() && pods.empty() && objects.empty() && proxies.empty();
    }
};

class World {
public:
    static std::shared_ptr<World> create(Options options = {});
    virtual ~World() = default;

    // The simulated backends, ready for Orchestrator(Backends{...}).
    virtual Backends backends() = 0;
    virtual std::shared_ptr<VnfManager> vnf_manager() = 0;
    virtual std::shared_ptr<Cluster> cluster() = 0;
    virtual std::shared_ptr<SidecarInjector> injector() = 0;

    // Faults and latency, changeable at any time; they apply to calls made afterwards.
    virtual void script(ScriptedFault fault) = 0;
    // Removes the scripted faults and sets every random fault probability (global and per call
    // kind) to 0.
    virtual void clear_faults() = 0;
    virtual void set_fault_probability(double p) = 0;  // Options::fault_probability, clamped
    virtual void set_latency(CallKind call, Latency latency) = 0;

    // Breaks a running VM (its proxy stops; heal re-creates it).
    virtual void fail_vm(const std::string& server_id) = 0;
    // Puts objects in the cluster that meshorch did not create (e.g. a pre-existing namespace).
    // Not a call: not counted, no latency, no faults, no namespace check. A Deployment runs its
    // pods; a v1 Pod becomes a pod (ready unless status.phase says otherwise, with a proxy if it
    // lists an istio-proxy container).
    virtual void preload(const Object& object) = 0;

    // Inspection.
    virtual Snapshot snapshot() const = 0;
    virtual std::map<CallKind, std::uint64_t> call_counts() const = 0;  // kinds called so far
    virtual void reset_call_counts() = 0;
};

}  // namespace meshorch::sim
