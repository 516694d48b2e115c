// Internal: the in-cluster configuration from explicit inputs, so it is tested without a Pod.
#pragma once

#include <meshorch/error.hpp>
#include <meshorch/kubernetes.hpp>

#include <string>

namespace meshorch::kubernetes::detail {

// `host` and `port` as KUBERNETES_SERVICE_HOST/PORT give them; files under `root`.
Result<Config> in_cluster_config_from(const std::string& root, const std::string& host,
                                      const std::string& port);

}  // namespace meshorch::kubernetes::detail
