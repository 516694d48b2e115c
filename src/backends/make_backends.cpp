#include <meshorch/backends.hpp>
#include <meshorch/etcd_store.hpp>
#include <meshorch/sqlite_store.hpp>

namespace meshorch {

Result<Backends> make_backends(const BackendsConfig& config) {
    Backends backends;
    auto cluster = kubernetes::make_cluster(config.kubernetes, config.kubernetes_options);
    if (!cluster) return cluster.error();
    auto vnfm = openstack::make_vnf_manager(config.tacker);
    if (!vnfm) return vnfm.error();
    auto injector = injector::make_ssh_injector(config.injector);
    if (!injector) return injector.error();
    switch (config.store.type) {
        case StoreConfig::Type::memory:
            break;  // Backends::store stays null: the orchestrator keeps records in memory
        case StoreConfig::Type::sqlite: {
            auto store = SqliteStateStore::open(config.store.path);
            if (!store) return store.error();
            backends.store = std::move(*store);
            break;
        }
        case StoreConfig::Type::etcd: {
            auto store = EtcdStateStore::open(config.store.etcd);
            if (!store) return store.error();
            backends.store = std::move(*store);
            break;
        }
    }
    backends.cluster = std::move(*cluster);
    backends.vnf_manager = std::move(*vnfm);
    backends.injector = std::move(*injector);
    return backends;
}

}  // namespace meshorch
