// The abstract interfaces the engine talks to. Each adapter (Tacker, Kubernetes, SSH injector,
// the simulation) implements one. All calls are asynchronous: they return at once and invoke the
// callback exactly once, from any thread, with the result or an Error. Calls honour
// CallContext::deadline (Errc::timeout) and CallContext::cancel (Errc::cancelled).
//
// Error classification (the engine's retry policy depends on it): Errc::transient for 429/5xx/
// connection trouble, Errc::conflict for 409, Errc::timeout, and Errc::backend (terminal) for
// other refusals, with the HTTP status and an excerpt of the backend's message.
#pragma once

#include <meshorch/cancel.hpp>
#include <meshorch/error.hpp>
#include <meshorch/model.hpp>
#include <meshorch/object.hpp>
#include <meshorch/render.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace meshorch {

template <class T>
using Callback = std::function<void(Result<T>)>;

// ---- VNF manager (ETSI SOL003 VNF LCM: Tacker) ---------------------------------------------

// Everything the VNF manager needs to create one VNF: one per version of a microservice.
struct VnfRequest {
    std::string name;  // stable: "<service>-<microservice>-<version>"
    std::string service;
    std::string namespace_;  // Kubernetes namespace of the service
    std::string microservice;
    std::string version;
    Substrate substrate = Substrate::vm;
    VnfPackageRef package;
    int instances = 1;                 // VMs, or pod replicas
    std::optional<VmWorkload> vm;      // VM versions
    std::optional<Object> deployment;  // container versions: the Deployment to run
};

// SOL003 LcmOperationStateType.
enum class LcmState {
    starting,
    processing,
    completed,
    failed_temp,
    failed,
    rolling_back,
    rolled_back
};
const char* to_string(LcmState) noexcept;  // "STARTING", ...

struct LcmOperation {
    std::string id;
    std::string vnf_id;
    std::string operation;  // "INSTANTIATE", "SCALE", "TERMINATE", "HEAL"
    LcmState state = LcmState::starting;
    std::string error;  // problem details when FAILED_TEMP / FAILED
};

// What to do with an LCM operation that ended FAILED_TEMP (SOL003 "rollback" / "fail" tasks).
// Until one of them is done, the VNF manager refuses every other LCM operation on that VNF.
enum class FailedOperationAction {
    rollback,  // undo what the operation did (INSTANTIATE, SCALE out); ends ROLLED_BACK
    fail,      // give the operation up as it stands; ends FAILED
};

struct VnfInstance {
    std::string id;
    std::string name;
    bool instantiated = false;
    std::vector<VmInstance> vms;    // VM VNFs: servers and their addresses
    std::vector<std::string> pods;  // container VNFs: pod names
};

class VnfManager {
public:
    virtual ~VnfManager() = default;
    // Creates the VNF identifier (not yet instantiated). Returns the VNF instance id.
    virtual void create_vnf(const VnfRequest& request, const CallContext& ctx,
                            Callback<std::string> done) = 0;
    // Starts instantiation; returns the LCM operation occurrence id to poll.
    virtual void instantiate(const std::string& vnf_id, const VnfRequest& request,
                             const CallContext& ctx, Callback<std::string> done) = 0;
    // Changes the number of VMs / replicas; returns the operation occurrence id.
    virtual void scale(const std::string& vnf_id, int instances, const CallContext& ctx,
                       Callback<std::string> done) = 0;
    // Re-creates the VNFC (a VM) that failed; returns the operation occurrence id.
    virtual void heal(const std::string& vnf_id, const std::string& server_id,
                      const CallContext& ctx, Callback<std::string> done) = 0;
    // Starts termination; returns the operation occurrence id. A missing VNF is Errc::not_found.
    virtual void terminate(const std::string& vnf_id, const CallContext& ctx,
                           Callback<std::string> done) = 0;
    // Deletes the (terminated) VNF identifier. A missing VNF is success.
    virtual void delete_vnf(const std::string& vnf_id, const CallContext& ctx,
                            Callback<Ok> done) = 0;
    virtual void get_operation(const std::string& op_id, const CallContext& ctx,
                               Callback<LcmOperation> done) = 0;
    // Resolves an operation in FAILED_TEMP. Rolling back is asynchronous: poll get_operation
    // until ROLLED_BACK (or FAILED_TEMP again). An operation that cannot be rolled back is
    // Errc::backend; one not in FAILED_TEMP is Errc::conflict.
    virtual void resolve_failed_operation(const std::string& op_id, FailedOperationAction action,
                                          const CallContext& ctx, Callback<Ok> done) = 0;
    virtual void get_vnf(const std::string& vnf_id, const CallContext& ctx,
                         Callback<VnfInstance> done) = 0;
    // The VNF with this name, if any (adoption after a crash or a lost response).
    virtual void find_vnf(const std::string& name, const CallContext& ctx,
                          Callback<std::optional<VnfInstance>> done) = 0;
};

// ---- Kubernetes cluster ---------------------------------------------------------------------

struct ServiceAccountToken {
    std::string token;
    std::chrono::system_clock::time_point expires_at;
};

// Pods of one version (app/version labels) as the cluster sees them.
struct WorkloadReadiness {
    int pods = 0;
    int ready = 0;
    int with_proxy = 0;  // pods that carry the istio-proxy container
};

class Cluster {
public:
    virtual ~Cluster() = default;
    // Server-side apply (create or update, field manager "meshorch"). Returns the stored object
    // (with metadata.resourceVersion).
    virtual void apply(const Object& object, const CallContext& ctx, Callback<Object> done) = 0;
    // The object, or std::nullopt when it does not exist.
    virtual void get(const ObjectKey& key, const CallContext& ctx,
                     Callback<std::optional<Object>> done) = 0;
    // Objects of a kind in a namespace whose labels include all of `labels`.
    virtual void list(const std::string& api_version, const std::string& kind,
                      const std::string& namespace_,
                      const std::map<std::string, std::string>& labels, const CallContext& ctx,
                      Callback<std::vector<Object>> done) = 0;
    // Deletes; an object that does not exist is success.
    virtual void remove(const ObjectKey& key, const CallContext& ctx, Callback<Ok> done) = 0;
    // TokenRequest for a ServiceAccount (audience "istio-ca" for the mesh).
    virtual void create_token(const std::string& namespace_, const std::string& service_account,
                              const std::string& audience, std::chrono::seconds lifetime,
                              const CallContext& ctx, Callback<ServiceAccountToken> done) = 0;
    // The mesh root certificate (ConfigMap istio-ca-root-cert, key root-cert.pem).
    virtual void root_certificate(const std::string& namespace_, const CallContext& ctx,
                                  Callback<std::string> done) = 0;
    // Readiness of the pods labelled app=<microservice>, version=<version>.
    virtual void workload_readiness(const std::string& namespace_, const std::string& microservice,
                                    const std::string& version, const CallContext& ctx,
                                    Callback<WorkloadReadiness> done) = 0;
};

// ---- VM sidecar injector --------------------------------------------------------------------

// The files the Istio proxy on a VM reads: cluster.env, mesh.yaml, root-cert.pem, istio-token,
// hosts (file name -> content).
struct VmBundle {
    std::map<std::string, std::string> files;
    friend bool operator==(const VmBundle&, const VmBundle&) = default;
};

struct InjectionRequest {
    std::string service;
    std::string namespace_;
    std::string microservice;
    std::string version;
    VmInstance vm;
    VmBundle bundle;
};

struct InjectionResult {
    bool changed = true;  // false: the proxy was already there with the same bundle
};

class SidecarInjector {
public:
    virtual ~SidecarInjector() = default;
    // Delivers the bundle, installs and starts the proxy, waits for it to be ready. Idempotent.
    virtual void inject(const InjectionRequest& request, const CallContext& ctx,
                        Callback<InjectionResult> done) = 0;
    // Replaces the token on the VM (before it expires).
    virtual void refresh_token(const VmInstance& vm, const std::string& token,
                               const CallContext& ctx, Callback<Ok> done) = 0;
    // Stops and removes the proxy and its files. A VM that is gone is success.
    virtual void remove(const VmInstance& vm, const CallContext& ctx, Callback<Ok> done) = 0;
};

}  // namespace meshorch
