#include "kubernetes/resource_paths.hpp"

#include "http/client.hpp"

namespace meshorch::kubernetes::detail {

namespace json = boost::json;

Result<std::map<std::string, ResourceInfo>> parse_resource_list(const json::value& doc) {
    const auto* root = doc.if_object();
    const json::value* resources = root ? root->if_contains("resources") : nullptr;
    if (!resources || !resources->is_array()) {
        return make_error(Errc::backend, "not an APIResourceList: no \"resources\" list");
    }
    std::map<std::string, ResourceInfo> out;
    for (const auto& r : resources->get_array()) {
        const auto* o = r.if_object();
        if (!o) return make_error(Errc::backend, "an APIResourceList entry is not an object");
        const auto* name = o->if_contains("name");
        const auto* kind = o->if_contains("kind");
        const auto* namespaced = o->if_contains("namespaced");
        if (!name || !name->is_string() || !kind || !kind->is_string() || !namespaced ||
            !namespaced->is_bool()) {
            return make_error(Errc::backend,
                              "an APIResourceList entry lacks name, kind or namespaced");
        }
        const std::string plural(name->get_string());
        if (plural.find('/') != std::string::npos) continue;  // a subresource
        out.emplace(std::string(kind->get_string()), ResourceInfo{plural, namespaced->get_bool()});
    }
    return out;
}

Result<std::string> group_version_path(std::string_view api_version) {
    const auto slash = api_version.find('/');
    const auto bad = [&] {
        return make_error(Errc::invalid_argument, "apiVersion \"" + std::string(api_version) +
                                                      "\" is not <version> or <group>/<version>");
    };
    if (api_version.empty()) return bad();
    if (slash == std::string_view::npos) return "/api/" + std::string(api_version);
    if (slash == 0 || slash + 1 == api_version.size() ||
        api_version.find('/', slash + 1) != std::string_view::npos) {
        return bad();
    }
    return "/apis/" + std::string(api_version);
}

std::string collection_path(const std::string& group_version_path, const ResourceInfo& resource,
                            const std::string& namespace_) {
    if (resource.namespaced && !namespace_.empty()) {
        return group_version_path + "/namespaces/" + http::url_encode(namespace_) + "/" +
               resource.plural;
    }
    return group_version_path + "/" + resource.plural;
}

Result<std::string> object_path(const std::string& group_version_path, const ResourceInfo& resource,
                                const std::string& kind, const std::string& namespace_,
                                const std::string& name) {
    if (name.empty()) return make_error(Errc::invalid_argument, kind + " without a name");
    if (resource.namespaced && namespace_.empty()) {
        return make_error(Errc::invalid_argument,
                          kind + " " + name + " is namespaced but has no namespace");
    }
    return collection_path(group_version_path, resource, namespace_) + "/" + http::url_encode(name);
}

}  // namespace meshorch::kubernetes::detail
