#include "kubernetes/kubeconfig.hpp"

#include "kubernetes/base64.hpp"
#include "kubernetes/files.hpp"

#include <yaml-cpp/yaml.h>

#include <unistd.h>
#include <optional>

namespace meshorch::kubernetes {

namespace detail {

namespace {

// Errors say the file, the context and the field.
class Where {
public:
    explicit Where(std::string file) : file_(std::move(file)) {}
    void set_context(std::string name) { context_ = std::move(name); }

    Error error(Errc code, const std::string& field, const std::string& what) const {
        std::string m = "kubeconfig " + file_;
        if (!context_.empty()) m += ": context \"" + context_ + "\"";
        if (!field.empty()) m += ": " + field;
        return make_error(code, m + ": " + what);
    }

private:
    std::string file_;
    std::string context_;
};

std::string directory_of(const std::string& file) {
    const auto slash = file.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return file.substr(0, slash);
}

// The `inner` map of the entry of list `section` named `name` (clusters[].cluster and so on).
// std::nullopt when there is no such entry.
Result<std::optional<YAML::Node>> named_entry(const YAML::Node& root, const char* section,
                                              const char* inner, const std::string& name,
                                              const Where& where) {
    const YAML::Node list = root[section];
    if (list && !list.IsSequence() && !list.IsNull()) {
        return where.error(Errc::invalid_argument, section, "is not a list");
    }
    if (list && list.IsSequence()) {
        for (std::size_t i = 0; i < list.size(); ++i) {
            const YAML::Node entry = list[i];
            if (!entry.IsMap() || !entry["name"] || !entry["name"].IsScalar()) continue;
            if (entry["name"].as<std::string>() != name) continue;
            const YAML::Node body = entry[inner];
            if (body && !body.IsMap() && !body.IsNull()) {
                return where.error(Errc::invalid_argument,
                                   std::string(section) + "[name=" + name + "]." + inner,
                                   "is not a map");
            }
            return std::optional<YAML::Node>(body ? body : YAML::Node(YAML::NodeType::Map));
        }
    }
    return std::optional<YAML::Node>();
}

Result<std::string> scalar(const YAML::Node& map, const char* key, const std::string& field,
                           const Where& where) {
    const YAML::Node n = map[key];
    if (!n || n.IsNull()) return std::string();
    if (!n.IsScalar())
        return where.error(Errc::invalid_argument, field + "." + key, "not a string");
    return n.as<std::string>();
}

Result<bool> boolean(const YAML::Node& map, const char* key, const std::string& field,
                     const Where& where) {
    const YAML::Node n = map[key];
    if (!n || n.IsNull()) return false;
    bool value = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, value)) {
        return where.error(Errc::invalid_argument, field + "." + key, "not true or false");
    }
    return value;
}

// A PEM from `<key>-data` (base64) or `<key>` (a file path); the data form wins, as in kubectl.
Result<std::string> pem(const YAML::Node& map, const std::string& key, const std::string& field,
                        const std::string& base_dir, const Where& where) {
    const std::string data_key = key + "-data";
    auto data = scalar(map, data_key.c_str(), field, where);
    if (!data) return std::move(data).error();
    if (!data->empty()) {
        auto decoded = base64_decode(*data);
        if (!decoded) {
            return where.error(Errc::invalid_argument, field + "." + data_key, "not valid base64");
        }
        return std::move(*decoded);
    }
    auto file = scalar(map, key.c_str(), field, where);
    if (!file) return std::move(file).error();
    if (file->empty()) return std::string();
    auto text = read_text_file(resolve_path(base_dir, *file));
    if (!text) return where.error(Errc::io, field + "." + key, text.error().message);
    return std::move(*text);
}

Result<std::string> pick_context(const YAML::Node& root, const std::string& requested,
                                 const Where& where) {
    if (!requested.empty()) return requested;
    const YAML::Node current = root["current-context"];
    if (!current || current.IsNull() || !current.IsScalar() || current.as<std::string>().empty()) {
        return where.error(Errc::invalid_argument, "current-context",
                           "not set and no context was named");
    }
    return current.as<std::string>();
}

Status read_cluster(const YAML::Node& cluster, const std::string& field,
                    const std::string& base_dir, const Where& where, Config& config) {
    auto server = scalar(cluster, "server", field, where);
    if (!server) return std::move(server).error();
    if (server->empty()) {
        return where.error(Errc::invalid_argument, field + ".server", "missing");
    }
    if (server->rfind("https://", 0) != 0 && server->rfind("http://", 0) != 0) {
        return where.error(Errc::invalid_argument, field + ".server",
                           "\"" + *server + "\" is not an http(s) URL");
    }
    while (server->size() > 1 && server->back() == '/') server->pop_back();
    config.server = std::move(*server);

    auto ca = pem(cluster, "certificate-authority", field, base_dir, where);
    if (!ca) return std::move(ca).error();
    config.ca_pem = std::move(*ca);
    auto insecure = boolean(cluster, "insecure-skip-tls-verify", field, where);
    if (!insecure) return std::move(insecure).error();
    config.insecure_skip_tls_verify = *insecure;
    auto server_name = scalar(cluster, "tls-server-name", field, where);
    if (!server_name) return std::move(server_name).error();
    config.tls_server_name = std::move(*server_name);
    return Ok{};
}

Status read_user(const YAML::Node& user, const std::string& field, const std::string& base_dir,
                 const Where& where, Config& config) {
    for (const char* plugin : {"exec", "auth-provider"}) {
        if (user[plugin] && !user[plugin].IsNull()) {
            return where.error(Errc::invalid_argument, field + "." + plugin,
                               "credential plugins are not supported; use a token, a token file "
                               "or a client certificate");
        }
    }
    if ((user["username"] && !user["username"].IsNull()) ||
        (user["password"] && !user["password"].IsNull())) {
        return where.error(Errc::invalid_argument, field + ".username",
                           "basic authentication is not supported; use a token, a token file "
                           "or a client certificate");
    }
    auto cert = pem(user, "client-certificate", field, base_dir, where);
    if (!cert) return std::move(cert).error();
    auto key = pem(user, "client-key", field, base_dir, where);
    if (!key) return std::move(key).error();
    if (cert->empty() != key->empty()) {
        return where.error(Errc::invalid_argument, field,
                           cert->empty() ? "client-key without client-certificate"
                                         : "client-certificate without client-key");
    }
    config.client_certificate_pem = std::move(*cert);
    config.client_key_pem = std::move(*key);

    auto token = scalar(user, "token", field, where);
    if (!token) return std::move(token).error();
    config.token = std::move(*token);
    auto token_file = scalar(user, "tokenFile", field, where);
    if (!token_file) return std::move(token_file).error();
    if (!token_file->empty()) {
        config.token_file = resolve_path(base_dir, *token_file);
        if (::access(config.token_file.c_str(), R_OK) != 0) {
            return where.error(Errc::io, field + ".tokenFile", "cannot read " + config.token_file);
        }
    }
    return Ok{};
}

Result<Config> parse(const YAML::Node& root, const std::string& file,
                     const std::string& requested_context, Where& where) {
    if (!root.IsMap()) return where.error(Errc::parse_error, "", "not a YAML map");
    auto context_name = pick_context(root, requested_context, where);
    if (!context_name) return std::move(context_name).error();
    where.set_context(*context_name);

    auto context = named_entry(root, "contexts", "context", *context_name, where);
    if (!context) return std::move(context).error();
    if (!*context) {
        return where.error(Errc::not_found, "contexts", "no context with this name");
    }
    const std::string context_field = "contexts[name=" + *context_name + "].context";
    auto cluster_name = scalar(**context, "cluster", context_field, where);
    if (!cluster_name) return std::move(cluster_name).error();
    if (cluster_name->empty()) {
        return where.error(Errc::invalid_argument, context_field + ".cluster", "missing");
    }
    auto user_name = scalar(**context, "user", context_field, where);
    if (!user_name) return std::move(user_name).error();
    auto ns = scalar(**context, "namespace", context_field, where);
    if (!ns) return std::move(ns).error();

    Config config;
    config.default_namespace = ns->empty() ? "default" : *ns;
    const std::string base_dir = directory_of(file);

    auto cluster = named_entry(root, "clusters", "cluster", *cluster_name, where);
    if (!cluster) return std::move(cluster).error();
    if (!*cluster) {
        return where.error(Errc::not_found, "clusters",
                           "no cluster named \"" + *cluster_name + "\"");
    }
    if (auto s = read_cluster(**cluster, "clusters[name=" + *cluster_name + "].cluster", base_dir,
                              where, config);
        !s) {
        return std::move(s).error();
    }

    if (!user_name->empty()) {
        auto user = named_entry(root, "users", "user", *user_name, where);
        if (!user) return std::move(user).error();
        if (!*user) {
            return where.error(Errc::not_found, "users", "no user named \"" + *user_name + "\"");
        }
        if (auto s =
                read_user(**user, "users[name=" + *user_name + "].user", base_dir, where, config);
            !s) {
            return std::move(s).error();
        }
    }
    return config;
}

}  // namespace

Result<Config> parse_kubeconfig(std::string_view text, const std::string& file,
                                const std::string& context) {
    Where where(file);
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        Error err = where.error(Errc::parse_error, "", e.msg);
        err.line = e.mark.is_null() ? 0 : e.mark.line + 1;
        err.column = e.mark.is_null() ? 0 : e.mark.column + 1;
        if (err.line > 0) {
            err.message += " (line " + std::to_string(err.line) + ", column " +
                           std::to_string(err.column) + ")";
        }
        return err;
    }
    try {
        return parse(root, file, context, where);
    } catch (const YAML::Exception& e) {  // a node of an unexpected shape
        return where.error(Errc::invalid_argument, "", e.msg);
    }
}

}  // namespace detail

Result<Config> load_kubeconfig(const std::string& path, const std::string& context) {
    auto text = detail::read_text_file(path);
    if (!text) return make_error(Errc::io, "kubeconfig: " + text.error().message);
    return detail::parse_kubeconfig(*text, path, context);
}

}  // namespace meshorch::kubernetes
