#include "openstack/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>

namespace meshorch::openstack {

std::shared_ptr<spdlog::logger> logger(const std::string& name) {
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    if (auto l = spdlog::get(name)) return l;
    try {
        return spdlog::stderr_color_mt(name);
    } catch (const spdlog::spdlog_ex&) {  // registered meanwhile by someone else
        return spdlog::get(name);
    }
}

std::string op_prefix(const std::string& operation_id) {
    return operation_id.empty() ? std::string() : "[op " + operation_id + "] ";
}

}  // namespace meshorch::openstack
