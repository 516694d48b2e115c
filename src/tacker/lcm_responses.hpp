// Internal: reading Tacker's VNF LCM v2 responses (VnfInstance, VnfLcmOpOcc, Location).
#pragma once

#include <meshorch/error.hpp>
#include <meshorch/ports.hpp>

#include <boost/json/object.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace meshorch::tacker {

// One VnfcResourceInfo: a VM (computeResource = Nova server) or a pod (computeResource = the
// pod's name, vimLevelResourceType = Deployment, Pod, ...).
struct Vnfc {
    std::string id;
    std::string vdu_id;
    std::string resource_id;
    std::string resource_type;      // vimLevelResourceType
    std::string vim_connection_id;  // key into the instance's vimConnectionInfo
    std::string vnfc_info_id;       // the matching vnfcInfo id (what heal takes), if any
};

struct ScaleStatus {
    std::string aspect_id;
    int level = 0;
};

struct TackerVnfInstance {
    std::string id;
    std::string name;
    std::string vnfd_id;
    bool instantiated = false;  // instantiationState == INSTANTIATED
    std::vector<Vnfc> vnfcs;
    std::vector<ScaleStatus> scale_status;
    std::map<std::string, std::string> vim_types;  // vimConnectionInfo name -> vimType
};

// True when the VNFC runs on an OpenStack VIM (a Nova server), false for a container VIM.
bool is_vm(const TackerVnfInstance& instance, const Vnfc& vnfc);

Result<TackerVnfInstance> parse_vnf_instance(const boost::json::object& o, std::string_view where);
Result<TackerVnfInstance> parse_vnf_instance_body(std::string_view body, std::string_view where);
// GET /vnf_instances: a JSON array of VnfInstance.
Result<std::vector<TackerVnfInstance>> parse_vnf_instance_list(std::string_view body,
                                                               std::string_view where);

// SOL003 LcmOperationStateType ("STARTING", ...). Unknown values are Errc::backend.
Result<LcmState> parse_operation_state(std::string_view text);

// A VnfLcmOpOcc: id, vnfInstanceId, operation, operationState, and for FAILED_TEMP/FAILED the
// problem details' detail (title when there is no detail).
Result<LcmOperation> parse_lcm_op_occ(std::string_view body, std::string_view where);

// The op occurrence id from a 202's Location header: its last path segment.
Result<std::string> op_id_from_location(std::string_view location);

}  // namespace meshorch::tacker
