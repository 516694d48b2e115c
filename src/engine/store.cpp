#include <meshorch/store.hpp>

#include "engine/assign_if_changed.hpp"

#include <boost/container/small_vector.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

namespace meshorch {

namespace {

namespace json = boost::json;
using engine::assign_if_changed;

// Same kinds, same values, object members in the same order: a copy of one would serialize
// exactly like the other (boost::json's operator== ignores member order and int/uint kinds).
bool identical(const json::value& a, const json::value& b);

bool identical(const json::object& a, const json::object& b) {
    if (a.size() != b.size()) return false;
    auto it = b.begin();
    for (const auto& member : a) {
        if (member.key() != it->key() || !identical(member.value(), it->value())) return false;
        ++it;
    }
    return true;
}

bool identical(const json::value& a, const json::value& b) {
    if (a.kind() != b.kind()) return false;
    switch (a.kind()) {
        case json::kind::object: return identical(a.get_object(), b.get_object());
        case json::kind::array: {
            const auto& x = a.get_array();
            const auto& y = b.get_array();
            if (x.size() != y.size()) return false;
            for (std::size_t i = 0; i < x.size(); ++i) {
                if (!identical(x[i], y[i])) return false;
            }
            return true;
        }
        case json::kind::string: return a.get_string() == b.get_string();
        case json::kind::double_:  // bitwise: 0.0 and -0.0 serialize differently
            return std::bit_cast<std::uint64_t>(a.get_double()) ==
                   std::bit_cast<std::uint64_t>(b.get_double());
        default: return a == b;  // null, bool, int64, uint64 of the same kind
    }
}

// Makes `kept` equal to `wanted`, replacing only the objects that are new or changed. A save
// usually follows one apply or one delete, and most objects still share their manifest with
// the record's, so most are neither compared nor copied; nor is anything allocated to find
// the few that differ.
void sync(ObjectSet& kept, const ObjectSet& wanted) {
    boost::container::small_vector<const ObjectKey*, 8> gone;  // keys inside `kept`
    boost::container::small_vector<const Object*, 8> changed;  // objects inside `wanted`
    auto k = kept.begin();
    for (const auto& [key, object] : wanted) {
        while (k != kept.end() && k->first < key) gone.push_back(&(k++)->first);
        if (k != kept.end() && k->first == key) {
            const Manifest& have = k->second.manifest;
            if (!have.shares_document_with(object.manifest) &&
                !identical(have.get(), object.manifest.get())) {
                changed.push_back(&object);
            }
            ++k;
        } else {
            changed.push_back(&object);
        }
    }
    for (; k != kept.end(); ++k) gone.push_back(&k->first);
    for (const ObjectKey* key : gone) kept.erase(ObjectKey(*key));  // the node goes with it
    for (const Object* object : changed) kept.put(*object);
}

// The journal is rewritten by almost every save, yet mostly only its state changes: its target
// spec and sets are compared rather than copied again. The binding names every field, as in
// save().
void sync(std::optional<OperationJournal>& kept, const std::optional<OperationJournal>& wanted) {
    if (!wanted || !kept) {
        kept = wanted;
        return;
    }
    const auto& [id, kind, state, started, target, workload, rolling_back, error_code,
                 error_message, touched_vnfs, creating_vnfs, lcm_operations, injecting] = *wanted;
    OperationJournal& j = *kept;
    j.id = id;
    j.kind = kind;
    j.state = state;
    j.started = started;
    assign_if_changed(j.target, target);
    j.workload = workload;
    j.rolling_back = rolling_back;
    j.error_code = error_code;
    j.error_message = error_message;
    assign_if_changed(j.touched_vnfs, touched_vnfs);
    assign_if_changed(j.creating_vnfs, creating_vnfs);
    assign_if_changed(j.lcm_operations, lcm_operations);
    assign_if_changed(j.injecting, injecting);
}

}  // namespace

Result<std::optional<ServiceRecord>> MemoryStateStore::load(const std::string& service) {
    std::lock_guard lock(mutex_);
    auto it = records_.find(service);
    if (it == records_.end()) return std::optional<ServiceRecord>{};
    return std::optional<ServiceRecord>{it->second};
}

Status MemoryStateStore::save(const ServiceRecord& record) {
    if (record.name.empty()) return make_error(Errc::invalid_argument, "a record needs a name");
    std::lock_guard lock(mutex_);
    auto it = records_.find(record.name);
    if (it == records_.end()) {
        records_.emplace(record.name, record);
        return Ok{};
    }
    // Field by field, so that the objects are synced rather than copied. The binding names
    // every field: a field added to ServiceRecord fails to compile here until it is copied too.
    const auto& [name, applied_spec, applied_objects, vnfs, observed, namespace_created,
                 token_expiry, operation] = record;
    ServiceRecord& kept = it->second;
    kept.name = name;
    assign_if_changed(kept.applied_spec, applied_spec);
    sync(kept.applied_objects, applied_objects);
    assign_if_changed(kept.vnfs, vnfs);
    assign_if_changed(kept.observed, observed);
    kept.namespace_created = namespace_created;
    assign_if_changed(kept.token_expiry, token_expiry);
    sync(kept.operation, operation);
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
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace meshorch
