// What the Kubernetes API server requires of the core objects meshorch renders (Namespace,
// ServiceAccount, Service, Deployment), and of every object's metadata. Test code: a reviewer's
// checklist written down, not a reimplementation of the API server.
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <vector>

namespace meshorch::testing {

bool is_dns1123_label(const std::string& s);      // [a-z0-9]([-a-z0-9]*[a-z0-9])?, <= 63
bool is_dns1123_subdomain(const std::string& s);  // labels joined by '.', <= 253
bool is_dns1035_label(const std::string& s);      // a DNS-1123 label starting with a letter
bool is_iana_svc_name(const std::string& s);      // container port names, <= 15
bool is_label_key(const std::string& s);          // [prefix/]name
bool is_label_value(const std::string& s);

// metadata.name / namespace / labels / annotations of any object; `namespaced` says whether
// metadata.namespace must be set (true) or absent (false).
std::vector<std::string> check_metadata(const boost::json::object& manifest, bool namespaced);

// The whole object, for kinds Namespace, ServiceAccount, Service (v1) and Deployment (apps/v1).
// An unknown kind is an error.
std::vector<std::string> check_core_object(const boost::json::object& manifest);

}  // namespace meshorch::testing
