#include "kubernetes/in_cluster.hpp"

#include "kubernetes/files.hpp"

#include <unistd.h>
#include <cstdlib>

namespace meshorch::kubernetes {

namespace detail {

namespace {

constexpr const char* service_account_dir = "var/run/secrets/kubernetes.io/serviceaccount";

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}

}  // namespace

Result<Config> in_cluster_config_from(const std::string& root, const std::string& host,
                                      const std::string& port) {
    if (host.empty() || port.empty()) {
        return make_error(Errc::not_found,
                          "in-cluster configuration: KUBERNETES_SERVICE_HOST and "
                          "KUBERNETES_SERVICE_PORT must be set (not running in a Pod?)");
    }
    const std::string dir = resolve_path(root, service_account_dir);
    Config config;
    // An IPv6 service address needs brackets in a URL.
    const bool ipv6 = host.find(':') != std::string::npos;
    config.server = "https://" + (ipv6 ? "[" + host + "]" : host) + ":" + port;

    config.token_file = dir + "/token";
    if (::access(config.token_file.c_str(), R_OK) != 0) {
        return make_error(Errc::io,
                          "in-cluster configuration: cannot read the service account "
                          "token " +
                              config.token_file);
    }
    auto ca = read_text_file(dir + "/ca.crt");
    if (!ca) return make_error(Errc::io, "in-cluster configuration: " + ca.error().message);
    config.ca_pem = std::move(*ca);
    // The namespace file is optional: absent when the token is not automounted in full.
    if (auto ns = read_text_file(dir + "/namespace"); ns) {
        config.default_namespace = trim(std::move(*ns));
    }
    if (config.default_namespace.empty()) config.default_namespace = "default";
    return config;
}

}  // namespace detail

Result<Config> in_cluster_config(const std::string& root) {
    const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
    const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
    return detail::in_cluster_config_from(root, host ? host : "", port ? port : "");
}

}  // namespace meshorch::kubernetes
