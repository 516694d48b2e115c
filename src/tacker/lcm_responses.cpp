#include "tacker/lcm_responses.hpp"

#include "openstack/json_fields.hpp"

#include <boost/json/parse.hpp>

namespace meshorch::tacker {

using openstack::find_array;
using openstack::find_object;
using openstack::malformed;
using openstack::required_string;
using openstack::string_or_empty;

bool is_vm(const TackerVnfInstance& instance, const Vnfc& vnfc) {
    if (auto it = instance.vim_types.find(vnfc.vim_connection_id); it != instance.vim_types.end()) {
        return it->second.find("OPENSTACK") != std::string::npos || it->second == "openstack";
    }
    return vnfc.resource_type == "OS::Nova::Server";
}

Result<TackerVnfInstance> parse_vnf_instance(const boost::json::object& o, std::string_view where) {
    TackerVnfInstance out;
    auto id = required_string(o, "id", where);
    if (!id) return std::move(id).error();
    out.id = *id;
    auto state = required_string(o, "instantiationState", where);
    if (!state) return std::move(state).error();
    if (*state != "INSTANTIATED" && *state != "NOT_INSTANTIATED") {
        return malformed(where, "unknown instantiationState \"" + *state + "\"");
    }
    out.instantiated = *state == "INSTANTIATED";
    out.name = string_or_empty(o, "vnfInstanceName");
    out.vnfd_id = string_or_empty(o, "vnfdId");
    if (const auto* vims = find_object(o, "vimConnectionInfo")) {
        for (const auto& [name, vim] : *vims) {
            if (vim.is_object()) {
                out.vim_types[std::string(name)] = string_or_empty(vim.get_object(), "vimType");
            }
        }
    }
    const auto* info = find_object(o, "instantiatedVnfInfo");
    if (!info) return out;
    std::map<std::string, std::string> info_id_of;  // vnfcResourceInfoId -> vnfcInfo id
    if (const auto* vnfc_info = find_array(*info, "vnfcInfo")) {
        for (const auto& v : *vnfc_info) {
            if (!v.is_object()) continue;
            info_id_of[string_or_empty(v.get_object(), "vnfcResourceInfoId")] =
                string_or_empty(v.get_object(), "id");
        }
    }
    if (const auto* resources = find_array(*info, "vnfcResourceInfo")) {
        for (const auto& r : *resources) {
            if (!r.is_object()) return malformed(where, "vnfcResourceInfo entry is not an object");
            const auto& ro = r.get_object();
            Vnfc vnfc;
            auto vnfc_id = required_string(ro, "id", where);
            if (!vnfc_id) return std::move(vnfc_id).error();
            vnfc.id = *vnfc_id;
            vnfc.vdu_id = string_or_empty(ro, "vduId");
            const auto* compute = find_object(ro, "computeResource");
            if (!compute) {
                return malformed(where, "vnfcResourceInfo " + vnfc.id + " has no computeResource");
            }
            auto resource = required_string(*compute, "resourceId", where);
            if (!resource) return std::move(resource).error();
            vnfc.resource_id = *resource;
            vnfc.resource_type = string_or_empty(*compute, "vimLevelResourceType");
            vnfc.vim_connection_id = string_or_empty(*compute, "vimConnectionId");
            if (auto it = info_id_of.find(vnfc.id); it != info_id_of.end()) {
                vnfc.vnfc_info_id = it->second;
            }
            out.vnfcs.push_back(std::move(vnfc));
        }
    }
    if (const auto* scale = find_array(*info, "scaleStatus")) {
        for (const auto& s : *scale) {
            if (!s.is_object()) continue;
            ScaleStatus status;
            status.aspect_id = string_or_empty(s.get_object(), "aspectId");
            if (auto it = s.get_object().find("scaleLevel");
                it != s.get_object().end() && it->value().is_int64()) {
                status.level = static_cast<int>(it->value().get_int64());
            }
            if (!status.aspect_id.empty()) out.scale_status.push_back(std::move(status));
        }
    }
    return out;
}

Result<TackerVnfInstance> parse_vnf_instance_body(std::string_view body, std::string_view where) {
    auto root = openstack::parse_object(body, where);
    if (!root) return std::move(root).error();
    return parse_vnf_instance(*root, where);
}

Result<std::vector<TackerVnfInstance>> parse_vnf_instance_list(std::string_view body,
                                                               std::string_view where) {
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    if (ec) return malformed(where, "invalid JSON (" + ec.message() + ")");
    if (!v.is_array()) return malformed(where, "expected a JSON array of VNF instances");
    std::vector<TackerVnfInstance> out;
    for (const auto& item : v.get_array()) {
        if (!item.is_object()) return malformed(where, "a VNF instance is not a JSON object");
        auto instance = parse_vnf_instance(item.get_object(), where);
        if (!instance) return std::move(instance).error();
        out.push_back(std::move(*instance));
    }
    return out;
}

Result<LcmState> parse_operation_state(std::string_view s) {
    if (s == "STARTING") return LcmState::starting;
    if (s == "PROCESSING") return LcmState::processing;
    if (s == "COMPLETED") return LcmState::completed;
    if (s == "FAILED_TEMP") return LcmState::failed_temp;
    if (s == "FAILED") return LcmState::failed;
    if (s == "ROLLING_BACK") return LcmState::rolling_back;
    if (s == "ROLLED_BACK") return LcmState::rolled_back;
    return make_error(Errc::backend, "unknown operationState \"" + std::string(s) + "\"");
}

Result<LcmOperation> parse_lcm_op_occ(std::string_view body, std::string_view where) {
    auto root = openstack::parse_object(body, where);
    if (!root) return std::move(root).error();
    LcmOperation op;
    auto id = required_string(*root, "id", where);
    if (!id) return std::move(id).error();
    op.id = *id;
    auto vnf = required_string(*root, "vnfInstanceId", where);
    if (!vnf) return std::move(vnf).error();
    op.vnf_id = *vnf;
    auto operation = required_string(*root, "operation", where);
    if (!operation) return std::move(operation).error();
    op.operation = *operation;
    auto state_text = required_string(*root, "operationState", where);
    if (!state_text) return std::move(state_text).error();
    auto state = parse_operation_state(*state_text);
    if (!state) return malformed(where, state.error().message);
    op.state = *state;
    if (const auto* error = find_object(*root, "error")) {
        op.error = string_or_empty(*error, "detail");
        if (op.error.empty()) op.error = string_or_empty(*error, "title");
    }
    return op;
}

Result<std::string> op_id_from_location(std::string_view location) {
    auto bad = [&] {
        return malformed("Tacker", "Location header \"" + std::string(location) +
                                       "\" names no operation occurrence");
    };
    auto end = location.find_first_of("?#");
    std::string_view path = location.substr(0, end);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    const auto slash = path.rfind('/');
    if (slash == std::string_view::npos) return bad();
    std::string_view id = path.substr(slash + 1);
    if (id.empty() || path.substr(0, slash).find("vnf_lcm_op_occs") == std::string_view::npos) {
        return bad();
    }
    return std::string(id);
}

}  // namespace meshorch::tacker
