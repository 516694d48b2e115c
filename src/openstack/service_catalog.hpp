// Internal: the Keystone v3 service catalog and choosing one endpoint from it.
#pragma once

#include <meshorch/error.hpp>

#include <boost/json/array.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace meshorch::openstack {

struct CatalogEndpoint {
    std::string interface;  // public, internal, admin
    std::string region;     // region_id (or the legacy "region" name)
    std::string url;
};

struct CatalogService {
    std::string type;  // "nfv-orchestration", "compute", "identity", ...
    std::string name;
    std::vector<CatalogEndpoint> endpoints;
};

using ServiceCatalog = std::vector<CatalogService>;

// token.catalog of a Keystone token response; entries without a type or url are skipped.
ServiceCatalog parse_catalog(const boost::json::array& catalog);

// The URL of the first endpoint of `service_type` with `interface` (public, internal, admin)
// in `region` (empty: any). Errc::not_found says which type/interface/region was missing and
// what the catalog offers instead.
Result<std::string> select_endpoint(const ServiceCatalog& catalog, std::string_view service_type,
                                    std::string_view interface, std::string_view region);

}  // namespace meshorch::openstack
