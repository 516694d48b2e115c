#include "store/record_codec.hpp"

#include <meshorch/spec.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdint>
#include <set>
#include <utility>

namespace meshorch::store_detail {

namespace json = boost::json;

namespace {

// Nanoseconds since the epoch whatever the clock's own tick: the file is the same on every
// platform, and no tick finer than a nanosecond exists in practice.
std::int64_t to_nanoseconds(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point from_nanoseconds(std::int64_t ns) {
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::nanoseconds(ns)));
}

json::object encode_key(const ObjectKey& key) {
    return {{"apiVersion", key.api_version},
            {"kind", key.kind},
            {"namespace", key.namespace_},
            {"name", key.name}};
}

// ---- decoding: a failure anywhere unwinds to decode_record with the path of the field ----

struct DecodeFailure {
    std::string path;
    std::string reason;
};

[[noreturn]] void fail(std::string path, std::string reason) {
    throw DecodeFailure{std::move(path), std::move(reason)};
}

std::string at(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string at(const std::string& path, std::size_t index) {
    return path + "[" + std::to_string(index) + "]";
}

const json::object& as_object(const json::value& v, const std::string& path) {
    if (!v.is_object()) fail(path, "not an object");
    return v.get_object();
}

const json::array& as_array(const json::value& v, const std::string& path) {
    if (!v.is_array()) fail(path, "not an array");
    return v.get_array();
}

std::string as_string(const json::value& v, const std::string& path) {
    if (!v.is_string()) fail(path, "not a string");
    return std::string(v.get_string());
}

const json::value& field(const json::object& o, std::string_view key, const std::string& path) {
    const json::value* v = o.if_contains(key);
    if (!v) fail(at(path, key), "missing");
    return *v;
}

std::string string_field(const json::object& o, std::string_view key, const std::string& path) {
    return as_string(field(o, key, path), at(path, key));
}

ServiceSpec decode_spec(const json::value& v, const std::string& path) {
    if (!v.is_object()) fail(path, "not an object");
    auto spec = load_spec(json::serialize(v));
    if (!spec) fail(path, spec.error().describe());
    return std::move(spec).value();
}

ObjectSet decode_objects(const json::value& v, const std::string& path) {
    ObjectSet set;
    const json::array& items = as_array(v, path);
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string item_path = at(path, i);
        const json::object& item = as_object(items[i], item_path);
        const std::string key_path = at(item_path, "key");
        const json::object& key = as_object(field(item, "key", item_path), key_path);
        Object object;
        object.key.api_version = string_field(key, "apiVersion", key_path);
        object.key.kind = string_field(key, "kind", key_path);
        object.key.namespace_ = string_field(key, "namespace", key_path);
        object.key.name = string_field(key, "name", key_path);
        object.manifest = as_object(field(item, "manifest", item_path), at(item_path, "manifest"));
        if (set.find(object.key)) fail(item_path, "a second object " + object.key.to_string());
        set.put(std::move(object));
    }
    return set;
}

Observed decode_observed(const json::value& v, const std::string& path) {
    Observed observed;
    const json::array& groups = as_array(v, path);
    for (std::size_t i = 0; i < groups.size(); ++i) {
        const std::string group_path = at(path, i);
        const json::object& group = as_object(groups[i], group_path);
        std::pair<std::string, std::string> key{string_field(group, "microservice", group_path),
                                                string_field(group, "version", group_path)};
        const std::string vms_path = at(group_path, "vms");
        const json::array& vms = as_array(field(group, "vms", group_path), vms_path);
        std::vector<VmInstance> instances;
        instances.reserve(vms.size());
        for (std::size_t j = 0; j < vms.size(); ++j) {
            const std::string vm_path = at(vms_path, j);
            const json::object& vm = as_object(vms[j], vm_path);
            instances.push_back(VmInstance{string_field(vm, "server_id", vm_path),
                                           string_field(vm, "address", vm_path)});
        }
        if (!observed.vms.emplace(std::move(key), std::move(instances)).second) {
            fail(group_path, "a second entry for the same microservice and version");
        }
    }
    return observed;
}

// Enums are stored by name, so that the file says what it means and a reordering of the
// enumerators cannot change a stored record's meaning.
template <class Enum>
Enum enum_field(const json::object& o, std::string_view key, const std::string& path, Enum first,
                Enum last) {
    const std::string name = string_field(o, key, path);
    for (int i = static_cast<int>(first); i <= static_cast<int>(last); ++i) {
        if (name == to_string(static_cast<Enum>(i))) return static_cast<Enum>(i);
    }
    fail(at(path, key), "unknown value \"" + name + "\"");
}

std::set<std::string> decode_names(const json::value& v, const std::string& path) {
    std::set<std::string> out;
    const json::array& items = as_array(v, path);
    for (std::size_t i = 0; i < items.size(); ++i) out.insert(as_string(items[i], at(path, i)));
    return out;
}

OperationJournal decode_journal(const json::value& v, const std::string& path) {
    const json::object& o = as_object(v, path);
    OperationJournal j;
    j.id = string_field(o, "id", path);
    j.kind = enum_field(o, "kind", path, OperationKind::deploy, OperationKind::heal);
    j.state = enum_field(o, "state", path, OperationState::pending, OperationState::failed);
    const json::value& started = field(o, "started", path);
    if (!started.is_int64()) fail(at(path, "started"), "not an integer (ns since the epoch)");
    j.started = from_nanoseconds(started.get_int64());
    if (const json::value& target = field(o, "target", path); !target.is_null()) {
        j.target = decode_spec(target, at(path, "target"));
    }
    const std::string w_path = at(path, "workload");
    const json::object& w = as_object(field(o, "workload", path), w_path);
    j.workload.microservice = string_field(w, "microservice", w_path);
    j.workload.version = string_field(w, "version", w_path);
    const json::value& instance = field(w, "instance", w_path);
    if (!instance.is_int64()) fail(at(w_path, "instance"), "not an integer");
    j.workload.instance = static_cast<int>(instance.get_int64());
    const json::value& rolling_back = field(o, "rolling_back", path);
    if (!rolling_back.is_bool()) fail(at(path, "rolling_back"), "not a boolean");
    j.rolling_back = rolling_back.get_bool();
    j.error_code = enum_field(o, "error_code", path, Errc::invalid_spec, Errc::io);
    j.error_message = string_field(o, "error_message", path);
    j.touched_vnfs = decode_names(field(o, "touched_vnfs", path), at(path, "touched_vnfs"));
    j.creating_vnfs = decode_names(field(o, "creating_vnfs", path), at(path, "creating_vnfs"));
    const std::string lcm_path = at(path, "lcm_operations");
    for (const auto& [name, id] : as_object(field(o, "lcm_operations", path), lcm_path)) {
        j.lcm_operations.emplace(name, as_string(id, at(lcm_path, name)));
    }
    j.injecting = decode_names(field(o, "injecting", path), at(path, "injecting"));
    return j;
}

json::array encode_names(const std::set<std::string>& names) {
    json::array out;
    out.reserve(names.size());
    for (const auto& n : names) out.emplace_back(n);
    return out;
}

json::value encode_journal(const OperationJournal& j) {
    json::object lcm;
    for (const auto& [name, id] : j.lcm_operations) lcm[name] = id;
    return json::object{
        {"id", j.id},
        {"kind", to_string(j.kind)},
        {"state", to_string(j.state)},
        {"started", to_nanoseconds(j.started)},
        {"target", j.target ? spec_to_json(*j.target) : json::value()},
        {"workload", json::object{{"microservice", j.workload.microservice},
                                  {"version", j.workload.version},
                                  {"instance", j.workload.instance}}},
        {"rolling_back", j.rolling_back},
        {"error_code", to_string(j.error_code)},
        {"error_message", j.error_message},
        {"touched_vnfs", encode_names(j.touched_vnfs)},
        {"creating_vnfs", encode_names(j.creating_vnfs)},
        {"lcm_operations", std::move(lcm)},
        {"injecting", encode_names(j.injecting)},
    };
}

ServiceRecord decode(const json::value& document) {
    const json::object& root = as_object(document, "the record");
    ServiceRecord record;
    record.name = string_field(root, "name", "");
    if (record.name.empty()) fail("name", "empty");

    if (const json::value& spec = field(root, "applied_spec", ""); !spec.is_null()) {
        record.applied_spec = decode_spec(spec, "applied_spec");
    }
    record.applied_objects = decode_objects(field(root, "applied_objects", ""), "applied_objects");

    for (const auto& [name, id] : as_object(field(root, "vnfs", ""), "vnfs")) {
        record.vnfs.emplace(name, as_string(id, at("vnfs", name)));
    }
    record.observed = decode_observed(field(root, "observed", ""), "observed");

    const json::value& created = field(root, "namespace_created", "");
    if (!created.is_bool()) fail("namespace_created", "not a boolean");
    record.namespace_created = created.get_bool();

    const std::string expiry_path = "token_expiry";
    for (const auto& [server, ns] : as_object(field(root, expiry_path, ""), expiry_path)) {
        if (!ns.is_int64()) fail(at(expiry_path, server), "not an integer (ns since the epoch)");
        record.token_expiry.emplace(server, from_nanoseconds(ns.get_int64()));
    }
    // Records written before operations were journaled have no "operation" field.
    if (const json::value* op = root.if_contains("operation"); op && !op->is_null()) {
        record.operation = decode_journal(*op, "operation");
    }
    return record;
}

}  // namespace

json::value encode_record(const ServiceRecord& record) {
    json::array objects;
    objects.reserve(record.applied_objects.size());
    for (const auto& [key, object] : record.applied_objects) {
        objects.push_back(json::object{{"key", encode_key(key)}, {"manifest", object.manifest}});
    }
    json::object vnfs;
    for (const auto& [name, id] : record.vnfs) vnfs[name] = id;
    json::array observed;
    for (const auto& [key, instances] : record.observed.vms) {
        json::array vms;
        for (const auto& vm : instances) {
            vms.push_back(json::object{{"server_id", vm.server_id}, {"address", vm.address}});
        }
        observed.push_back(json::object{
            {"microservice", key.first}, {"version", key.second}, {"vms", std::move(vms)}});
    }
    json::object expiry;
    for (const auto& [server, t] : record.token_expiry) expiry[server] = to_nanoseconds(t);

    return json::object{
        {"name", record.name},
        {"applied_spec", record.applied_spec ? spec_to_json(*record.applied_spec) : json::value()},
        {"applied_objects", std::move(objects)},
        {"vnfs", std::move(vnfs)},
        {"observed", std::move(observed)},
        {"namespace_created", record.namespace_created},
        {"token_expiry", std::move(expiry)},
        {"operation", record.operation ? encode_journal(*record.operation) : json::value()},
    };
}

std::string encode_record_text(const ServiceRecord& record) {
    return json::serialize(encode_record(record));
}

Result<ServiceRecord> decode_record(const json::value& document) {
    try {
        return decode(document);
    } catch (const DecodeFailure& f) {
        return make_error(Errc::io, "the stored record does not decode: " +
                                        (f.path.empty() ? f.reason : f.path + ": " + f.reason));
    } catch (const std::exception& e) {  // allocation failures and the like
        return make_error(Errc::io, std::string("the stored record does not decode: ") + e.what());
    }
}

Result<ServiceRecord> decode_record_text(std::string_view text) {
    boost::system::error_code ec;
    json::value document = json::parse(text, ec);
    if (ec) return make_error(Errc::io, "the stored record is not JSON: " + ec.message());
    return decode_record(document);
}

}  // namespace meshorch::store_detail
