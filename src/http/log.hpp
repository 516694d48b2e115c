// Internal: the spdlog logger an HTTP client or server writes to.
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>

namespace meshorch::http::detail {

// The registered logger `name`, created (stderr, colour) when no one registered it yet.
std::shared_ptr<spdlog::logger> named_logger(const std::string& name);

}  // namespace meshorch::http::detail
