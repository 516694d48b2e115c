// Assembles the desired state of a service from the per-kind renderers.
#include "render/detail.hpp"

#include <meshorch/render.hpp>

namespace meshorch {

using namespace render_detail;

namespace {

// Each part puts its objects straight into the set render() returns: merging separately built
// sets would copy every key again.
void put_cluster_prerequisites(const ServiceSpec& spec, ObjectSet& set) {
    set.put(render_namespace(spec));
    for (const auto& ms : spec.microservices) {
        set.put(render_service_account(spec, ms));
        set.put(render_service(spec, ms));
        for (const auto& v : ms.versions) {
            if (v.substrate() == Substrate::vm) set.put(render_workload_group(spec, ms, v));
        }
    }
}

void put_workload_entries(const ServiceSpec& spec, const Observed& observed, ObjectSet& set) {
    for (const auto& [key, instances] : observed.vms) {
        const Microservice* ms = spec.find_microservice(key.first);
        if (ms == nullptr) continue;
        const Version* v = ms->find_version(key.second);
        if (v == nullptr || v->substrate() != Substrate::vm) continue;
        for (std::size_t i = 0; i < instances.size(); ++i) {
            if (auto we = render_workload_entry(spec, *ms, *v, i, instances[i].address)) {
                set.put(std::move(*we));
            }
        }
    }
}

void put_mesh_config(const ServiceSpec& spec, ObjectSet& set) {
    const LinkIndex links(spec);
    set.put(render_peer_authentication(spec));
    for (const auto& ms : spec.microservices) {
        const auto& [inbound, outbound] = links.of(ms.name);
        set.put(render_destination_rule(spec, ms));
        if (auto vs = render_virtual_service(spec, ms, inbound)) set.put(std::move(*vs));
        if (auto authz = render_authorization_policy(spec, ms, inbound)) {
            set.put(std::move(*authz));
        }
        set.put(render_sidecar(spec, ms, outbound));
    }
}

}  // namespace

ObjectSet render_cluster_prerequisites(const ServiceSpec& spec) {
    ObjectSet set;
    put_cluster_prerequisites(spec, set);
    return set;
}

ObjectSet render_workload_entries(const ServiceSpec& spec, const Observed& observed) {
    ObjectSet set;
    put_workload_entries(spec, observed, set);
    return set;
}

ObjectSet render_mesh_config(const ServiceSpec& spec) {
    ObjectSet set;
    put_mesh_config(spec, set);
    return set;
}

ObjectSet render(const ServiceSpec& spec, const Observed& observed) {
    ObjectSet set;
    put_cluster_prerequisites(spec, set);
    put_workload_entries(spec, observed, set);
    put_mesh_config(spec, set);
    return set;
}

}  // namespace meshorch
