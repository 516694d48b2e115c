// Internal: the VM bootstrap bundle the engine hands to the sidecar injector, behind one
// function so that where it comes from is a one-line change.
#pragma once

#include <meshorch/error.hpp>
#include <meshorch/model.hpp>
#include <meshorch/orchestrator.hpp>
#include <meshorch/ports.hpp>

#include <string>

namespace meshorch::engine {

// cluster.env, mesh.yaml, root-cert.pem, istio-token, hosts for one VM of (ms, v).
// Errc::invalid_argument when the orchestrator options do not make a valid bundle.
Result<VmBundle> build_vm_bundle(const ServiceSpec& spec, const Microservice& ms, const Version& v,
                                 const VmInstance& vm, const std::string& token,
                                 const std::string& root_cert, const OrchestratorOptions& options);

}  // namespace meshorch::engine
