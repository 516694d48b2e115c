// Internal: the adapters' named spdlog loggers ("keystone", "tacker", "nova").
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>

namespace meshorch::openstack {

// The logger of that name, created on first use (stderr) unless the application registered
// its own.
std::shared_ptr<spdlog::logger> logger(const std::string& name);

// "[op <id>] " for a log line, or "" when the call has no operation id.
std::string op_prefix(const std::string& operation_id);

}  // namespace meshorch::openstack
