#include "engine/bundle_files.hpp"

#include <meshorch/vm_bundle.hpp>

namespace meshorch::engine {

Result<VmBundle> build_vm_bundle(const ServiceSpec& spec, const Microservice& ms, const Version& v,
                                 const VmInstance& vm, const std::string& token,
                                 const std::string& root_cert, const OrchestratorOptions& options) {
    VmBundleInputs in;
    in.istiod_address = options.istiod_address;
    in.istiod_ip = options.istiod_ip;
    in.cluster_id = options.cluster_id;
    in.mesh_id = options.mesh_id;
    in.network = options.network;
    in.vm_address = vm.address;
    in.token = token;
    in.root_cert = root_cert;
    if (auto ok = validate_vm_bundle_inputs(in); !ok) return std::move(ok).error();
    return render_vm_bundle(spec, ms, v, in);
}

}  // namespace meshorch::engine
