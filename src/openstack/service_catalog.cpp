#include "openstack/service_catalog.hpp"

#include "openstack/json_fields.hpp"

namespace meshorch::openstack {

ServiceCatalog parse_catalog(const boost::json::array& catalog) {
    ServiceCatalog out;
    for (const auto& entry : catalog) {
        if (!entry.is_object()) continue;
        const auto& o = entry.get_object();
        CatalogService service;
        service.type = string_or_empty(o, "type");
        service.name = string_or_empty(o, "name");
        if (service.type.empty()) continue;
        if (const auto* endpoints = find_array(o, "endpoints")) {
            for (const auto& ep : *endpoints) {
                if (!ep.is_object()) continue;
                const auto& e = ep.get_object();
                CatalogEndpoint endpoint;
                endpoint.interface = string_or_empty(e, "interface");
                endpoint.region = string_or_empty(e, "region_id");
                if (endpoint.region.empty()) endpoint.region = string_or_empty(e, "region");
                endpoint.url = string_or_empty(e, "url");
                if (!endpoint.url.empty()) service.endpoints.push_back(std::move(endpoint));
            }
        }
        out.push_back(std::move(service));
    }
    return out;
}

Result<std::string> select_endpoint(const ServiceCatalog& catalog, std::string_view service_type,
                                    std::string_view interface, std::string_view region) {
    std::string offered;
    bool type_found = false;
    for (const auto& service : catalog) {
        if (service.type != service_type) continue;
        type_found = true;
        for (const auto& ep : service.endpoints) {
            if (ep.interface == interface && (region.empty() || ep.region == region)) {
                return ep.url;
            }
            offered += (offered.empty() ? "" : ", ") + ep.interface + "@" +
                       (ep.region.empty() ? std::string("(no region)") : ep.region);
        }
    }
    std::string wanted = std::string(interface) + " endpoint of service type \"" +
                         std::string(service_type) + "\"" +
                         (region.empty() ? std::string() : " in region " + std::string(region));
    if (!type_found) {
        std::string types;
        for (const auto& service : catalog) types += (types.empty() ? "" : ", ") + service.type;
        return make_error(Errc::not_found,
                          "the Keystone catalog has no " + wanted +
                              " (it lists: " + (types.empty() ? "nothing" : types) + ")");
    }
    return make_error(Errc::not_found, "the Keystone catalog has no " + wanted + " (it offers: " +
                                           (offered.empty() ? "no endpoints" : offered) + ")");
}

}  // namespace meshorch::openstack
