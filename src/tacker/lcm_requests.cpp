#include "tacker/lcm_requests.hpp"

#include <boost/json/array.hpp>

#include <algorithm>

namespace meshorch::tacker {

namespace {

boost::json::object vim_connection(const std::string& vim_id, const char* vim_type) {
    // v2 takes a map keyed by an arbitrary connection name.
    return boost::json::object{
        {"vim1", boost::json::object{{"vimId", vim_id}, {"vimType", vim_type}}}};
}

}  // namespace

boost::json::object create_vnf_request(const VnfRequest& request) {
    boost::json::object body;
    body["vnfdId"] = request.package.vnfd_id;
    body["vnfInstanceName"] = request.name;
    body["vnfInstanceDescription"] = "meshorch: service " + request.service + ", microservice " +
                                     request.microservice + ", version " + request.version;
    body["metadata"] = boost::json::object{
        {"app.kubernetes.io/managed-by", "meshorch"},
        {"meshorch.io/service", request.service},
        {"meshorch.io/microservice", request.microservice},
        {"meshorch.io/version", request.version},
        {"meshorch.io/substrate", to_string(request.substrate)},
    };
    return body;
}

Result<boost::json::object> instantiate_vnf_request(const VnfRequest& request,
                                                    const openstack::TackerConfig& config) {
    auto bad = [&](const std::string& what) {
        return make_error(Errc::invalid_argument, "instantiate VNF " + request.name + ": " + what);
    };
    if (request.package.flavour_id.empty())
        return bad("the VNF package reference has no flavourId");
    boost::json::object body;
    body["flavourId"] = request.package.flavour_id;
    if (!request.package.instantiation_level.empty()) {
        body["instantiationLevelId"] = request.package.instantiation_level;
    } else if (!config.instantiation_level_template.empty()) {
        std::string level = config.instantiation_level_template;
        const std::string placeholder = "{instances}";
        if (auto at = level.find(placeholder); at != std::string::npos) {
            level.replace(at, placeholder.size(), std::to_string(std::max(0, request.instances)));
        }
        body["instantiationLevelId"] = level;
    }
    boost::json::object params = request.package.extra_params;
    if (request.substrate == Substrate::vm) {
        if (config.vim_ids.vm.empty()) return bad("no VM VIM id is configured (vim_ids.vm)");
        body["vimConnectionInfo"] = vim_connection(config.vim_ids.vm, openstack_vim_type);
    } else {
        if (config.vim_ids.container.empty()) {
            return bad("no container VIM id is configured (vim_ids.container)");
        }
        if (request.namespace_.empty()) return bad("the request has no namespace");
        body["vimConnectionInfo"] = vim_connection(config.vim_ids.container, kubernetes_vim_type);
        if (!params.contains(kubernetes_def_files_param)) {
            if (config.default_kubernetes_def_files.empty()) {
                return bad(
                    "the package reference has no \"lcm-kubernetes-def-files\" and no "
                    "default is configured");
            }
            boost::json::array files;
            for (const auto& f : config.default_kubernetes_def_files) files.emplace_back(f);
            params[kubernetes_def_files_param] = std::move(files);
        }
        params["namespace"] = request.namespace_;
    }
    if (!params.empty()) body["additionalParams"] = std::move(params);
    return body;
}

boost::json::object terminate_vnf_request() {
    return boost::json::object{{"terminationType", "FORCEFUL"}};
}

boost::json::object scale_vnf_request(const std::string& aspect_id, bool out, int steps) {
    return boost::json::object{{"type", out ? "SCALE_OUT" : "SCALE_IN"},
                               {"aspectId", aspect_id},
                               {"numberOfSteps", steps}};
}

boost::json::object heal_vnf_request(const std::vector<std::string>& vnfc_instance_ids,
                                     const std::string& cause) {
    boost::json::object body;
    if (!vnfc_instance_ids.empty()) {
        boost::json::array ids;
        for (const auto& id : vnfc_instance_ids) ids.emplace_back(id);
        body["vnfcInstanceId"] = std::move(ids);
    }
    if (!cause.empty()) body["cause"] = cause;
    return body;
}

boost::json::object subscription_request(const std::string& callback_uri) {
    return boost::json::object{
        {"callbackUri", callback_uri},
        {"filter",
         boost::json::object{
             {"notificationTypes", boost::json::array{"VnfLcmOperationOccurrenceNotification"}}}}};
}

}  // namespace meshorch::tacker
