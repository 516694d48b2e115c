#include <meshorch/backends.hpp>

namespace meshorch {

Result<Backends> make_backends(const BackendsConfig& config) {
    Backends backends;
    auto cluster = kubernetes::make_cluster(config.kubernetes, config.kubernetes_options);
    if (!cluster) return cluster.error();
    auto vnfm = openstack::make_vnf_manager(config.tacker);
    if (!vnfm) return vnfm.error();
    auto injector = injector::make_ssh_injector(config.injector);
    if (!injector) return injector.error();
    backends.cluster = std::move(*cluster);
    backends.vnf_manager = std::move(*vnfm);
    backends.injector = std::move(*injector);
    return backends;
}

}  // namespace meshorch
