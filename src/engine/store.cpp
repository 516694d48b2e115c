#include <meshorch/store.hpp>

namespace meshorch {

Result<std::optional<ServiceRecord>> MemoryStateStore::load(const std::string& service) {
    std::lock_guard lock(mutex_);
    auto it = records_.find(service);
    if (it == records_.end()) return std::optional<ServiceRecord>{};
    return std::optional<ServiceRecord>{it->second};
}

Status MemoryStateStore::save(const ServiceRecord& record) {
    if (record.name.empty()) return make_error(Errc::invalid_argument, "a record needs a name");
    std::lock_guard lock(mutex_);
    records_.insert_or_assign(record.name, record);
    return Ok{};
}

Status MemoryStateStore::erase(const std::string& service) {
    std::lock_guard lock(mutex_);
    records_.erase(service);
    return Ok{};
}

Result<std::vector<std::string>> MemoryStateStore::list() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    out.reserve(records_.size());
    for (const auto& [name, record] : records_) out.push_back(name);
    return out;
}

}  // namespace meshorch
