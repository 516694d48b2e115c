// Onboarding one VM into the mesh, and offboarding it, outside an orchestrator operation: the
// steps the orchestrator's deploy runs for each VM (DESIGN.md section 1, step 4), callable on
// their own. For a VNF manager that stays in charge of the VMs — e.g. a Tacker VNF LCM
// management driver, whose instantiate_end / heal_end / terminate_start hooks call these —
// while meshorch owns the mesh side.
//
// onboard_vm, in this order:
//   1. checks the spec (validate()) and that (microservice, version) is a VM version of it;
//   2. TokenRequest for ServiceAccount <microservice> (audience istio-ca), the mesh root
//      certificate, and the bootstrap bundle exactly as the orchestrator builds it;
//   3. SidecarInjector::inject: the proxy goes on the VM and is ready;
//   4. only then applies WorkloadEntry "<microservice>-<version>-<instance>" (the entry render()
//      produces for this VM at position `instance`, with the owner labels), so no traffic is
//      routed to a VM before its proxy runs. Returns the entry as the cluster stored it.
//   A failure before step 4 writes nothing to the cluster.
// offboard_vm: deletes that WorkloadEntry first (traffic stops), then removes the proxy. An
//   entry that does not exist, or a VM that is gone, is success.
//
// Both are idempotent. A second onboard_vm leaves the WorkloadEntry untouched (same
// resourceVersion) and hands the injector the same bundle except for a freshly issued token (a
// TokenRequest never returns the same token twice), so the proxy's configuration does not change;
// the injector replaces the token file.
//
// Threading: both block the calling thread on the ports' callbacks until the answer, the
// deadline (ctx.deadline, Errc::timeout) or a cancel (ctx.cancel, Errc::cancelled). Never call
// them from a port's callback thread (it would wait on itself). Transient errors (Error::
// retryable()) are retried with options.backoff within the deadline.
#pragma once

#include <meshorch/cancel.hpp>
#include <meshorch/error.hpp>
#include <meshorch/model.hpp>
#include <meshorch/object.hpp>
#include <meshorch/orchestrator.hpp>
#include <meshorch/ports.hpp>
#include <meshorch/render.hpp>

#include <chrono>
#include <string>

namespace meshorch {

// The few OrchestratorOptions that onboarding uses, with the same defaults.
struct OnboardingOptions {
    std::chrono::seconds token_lifetime{std::chrono::hours(1)};        // the VM proxy's first token
    std::chrono::milliseconds call_timeout{std::chrono::seconds(60)};  // per backend call
    BackoffPolicy backoff;                                             // for transient errors
    // Mesh settings of the bootstrap bundle (see OrchestratorOptions).
    std::string istiod_address = "istiod.istio-system.svc:15012";
    std::string istiod_ip;  // east-west gateway address for the VM's hosts file; empty: none
    std::string cluster_id = "Kubernetes";
    std::string mesh_id = "mesh1";
    std::string network;
};

// The onboarding settings an orchestrator with these options uses, so that a VM onboarded here
// gets the bundle that orchestrator would give it.
OnboardingOptions onboarding_options(const OrchestratorOptions& options);

// The name of the WorkloadEntry of VM `instance` of (microservice, version):
// "<microservice>-<version>-<instance>".
std::string workload_entry_name(const std::string& microservice, const std::string& version,
                                int instance);

// See the top of this file. Errors: Errc::invalid_spec for an invalid spec;
// Errc::invalid_argument when (microservice, version) is not a VM version of the spec, the
// instance is negative or the VM has no address; otherwise the failing step's error, its message
// prefixed with the step ("token for ServiceAccount shop/cart: ...").
Result<Object> onboard_vm(const ServiceSpec& spec, const std::string& microservice,
                          const std::string& version, const VmInstance& vm, int instance,
                          Cluster& cluster, SidecarInjector& injector,
                          const OnboardingOptions& options = {}, const CallContext& ctx = {});

Status offboard_vm(const ServiceSpec& spec, const std::string& microservice,
                   const std::string& version, const VmInstance& vm, int instance, Cluster& cluster,
                   SidecarInjector& injector, const OnboardingOptions& options = {},
                   const CallContext& ctx = {});

}  // namespace meshorch
