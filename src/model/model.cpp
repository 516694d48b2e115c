#include <meshorch/model.hpp>

#include <algorithm>

namespace meshorch {

int Version::instance_count() const noexcept {
    if (const auto* vm = std::get_if<VmWorkload>(&workload)) return vm->instances;
    return std::get<ContainerWorkload>(workload).replicas;
}

const Port* Microservice::find_port(std::string_view port_name) const noexcept {
    auto it = std::find_if(ports.begin(), ports.end(),
                           [&](const Port& p) { return p.name == port_name; });
    return it == ports.end() ? nullptr : &*it;
}

const Version* Microservice::find_version(std::string_view version_name) const noexcept {
    auto it = std::find_if(versions.begin(), versions.end(),
                           [&](const Version& v) { return v.name == version_name; });
    return it == versions.end() ? nullptr : &*it;
}

const Microservice* ServiceSpec::find_microservice(std::string_view ms_name) const noexcept {
    auto it = std::find_if(microservices.begin(), microservices.end(),
                           [&](const Microservice& m) { return m.name == ms_name; });
    return it == microservices.end() ? nullptr : &*it;
}

const char* to_string(Protocol p) noexcept {
    switch (p) {
        case Protocol::http: return "HTTP";
        case Protocol::http2: return "HTTP2";
        case Protocol::grpc: return "GRPC";
        case Protocol::tcp: return "TCP";
    }
    return "HTTP";
}

const char* to_string(MtlsMode m) noexcept {
    return m == MtlsMode::strict ? "STRICT" : "PERMISSIVE";
}

const char* to_string(LoadBalancer lb) noexcept {
    switch (lb) {
        case LoadBalancer::round_robin: return "ROUND_ROBIN";
        case LoadBalancer::least_request: return "LEAST_REQUEST";
        case LoadBalancer::random: return "RANDOM";
        case LoadBalancer::passthrough: return "PASSTHROUGH";
    }
    return "ROUND_ROBIN";
}

const char* to_string(Substrate s) noexcept { return s == Substrate::vm ? "vm" : "container"; }

}  // namespace meshorch
