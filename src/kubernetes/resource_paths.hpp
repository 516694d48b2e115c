// Internal: where an object lives in the REST API. Discovery documents (APIResourceList from
// /api/v1 and /apis/<group>/<version>) say each kind's plural name and scope; the paths follow.
#pragma once

#include <meshorch/error.hpp>

#include <boost/json/value.hpp>

#include <map>
#include <string>
#include <string_view>

namespace meshorch::kubernetes::detail {

struct ResourceInfo {
    std::string plural;  // "virtualservices"
    bool namespaced = true;
    friend bool operator==(const ResourceInfo&, const ResourceInfo&) = default;
};

// kind -> resource, from one APIResourceList. Subresources ("pods/status") are left out.
// Errc::backend when the document does not have the shape of an APIResourceList.
Result<std::map<std::string, ResourceInfo>> parse_resource_list(const boost::json::value& doc);

// "/api/v1" for the core group ("v1"), "/apis/<group>/<version>" otherwise.
// Errc::invalid_argument for an apiVersion that is neither "<version>" nor "<group>/<version>".
Result<std::string> group_version_path(std::string_view api_version);

// The collection: "/api/v1/namespaces/ns/services", or "/apis/g/v/plural" for a cluster-scoped
// resource (or a namespaced one listed across all namespaces: empty `namespace_`).
std::string collection_path(const std::string& group_version_path, const ResourceInfo& resource,
                            const std::string& namespace_);

// One object: the collection path plus "/<name>". A namespaced resource needs a namespace:
// Errc::invalid_argument saying which object otherwise.
Result<std::string> object_path(const std::string& group_version_path, const ResourceInfo& resource,
                                const std::string& kind, const std::string& namespace_,
                                const std::string& name);

}  // namespace meshorch::kubernetes::detail
