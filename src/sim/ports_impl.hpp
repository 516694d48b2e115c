// Internal: the three simulated ports over one Core.
#pragma once

#include <meshorch/ports.hpp>

#include <memory>

namespace meshorch::sim::detail {

class Core;

std::shared_ptr<VnfManager> make_vnf_manager(std::shared_ptr<Core> core);
std::shared_ptr<Cluster> make_cluster(std::shared_ptr<Core> core);
std::shared_ptr<SidecarInjector> make_injector(std::shared_ptr<Core> core);

// RFC 3339 UTC, seconds precision: "2024-05-01T12:00:00Z".
std::string rfc3339(std::chrono::system_clock::time_point t);

}  // namespace meshorch::sim::detail
