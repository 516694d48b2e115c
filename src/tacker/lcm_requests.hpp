// Internal: the request bodies of Tacker's VNF LCM v2 API (ETSI SOL003 v3.3.1 data types).
#pragma once

#include <meshorch/error.hpp>
#include <meshorch/openstack.hpp>
#include <meshorch/ports.hpp>

#include <boost/json/object.hpp>

#include <string>
#include <vector>

namespace meshorch::tacker {

inline constexpr const char* openstack_vim_type = "ETSINFV.OPENSTACK_KEYSTONE.V_3";
inline constexpr const char* kubernetes_vim_type = "ETSINFV.KUBERNETES.V_1";
inline constexpr const char* kubernetes_def_files_param = "lcm-kubernetes-def-files";

// CreateVnfRequest: vnfdId, vnfInstanceName (the request's stable name), a description, and
// metadata labels that tie the VNF to its service, microservice and version.
boost::json::object create_vnf_request(const VnfRequest& request);

// InstantiateVnfRequest. A VM version goes to the configured OpenStack VIM, a container version
// to the configured Kubernetes VIM with additionalParams "lcm-kubernetes-def-files" (the
// package reference's, else the configured default) and "namespace" (the service's). Tacker
// takes the number of VNFCs from the instantiation level: the package's instantiationLevelId
// when set, else TackerConfig::instantiation_level_template filled with request.instances. The
// package's extra params go through as additionalParams. Errc::invalid_argument when the VIM id or
// flavour is missing.
Result<boost::json::object> instantiate_vnf_request(const VnfRequest& request,
                                                    const openstack::TackerConfig& config);

// TerminateVnfRequest, FORCEFUL: meshorch has already drained the mesh from the workload.
boost::json::object terminate_vnf_request();

// ScaleVnfRequest: SCALE_OUT or SCALE_IN by `steps` (> 0) of `aspect_id`.
boost::json::object scale_vnf_request(const std::string& aspect_id, bool out, int steps);

// HealVnfRequest (SOL003 v3): the vnfcInfo ids to heal; empty heals the whole VNF.
boost::json::object heal_vnf_request(const std::vector<std::string>& vnfc_instance_ids,
                                     const std::string& cause);

// LccnSubscriptionRequest for VnfLcmOperationOccurrenceNotification to `callback_uri`.
boost::json::object subscription_request(const std::string& callback_uri);

}  // namespace meshorch::tacker
