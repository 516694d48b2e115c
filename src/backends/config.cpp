#include "config.hpp"

#include <meshorch/document.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <initializer_list>
#include <vector>

namespace meshorch::capi {
namespace {

namespace json = boost::json;

class Checker {
public:
    explicit Checker(const SourceMap& positions) : positions_(positions) {}

    void problem(const std::string& path, const std::string& reason) {
        FieldError f{path, reason, 0, 0};
        if (auto it = positions_.find(path); it != positions_.end()) {
            f.line = it->second.first;
            f.column = it->second.second;
        }
        problems_.push_back(std::move(f));
    }

    // The member as an object, or nullptr (with a problem when it is required or mistyped).
    const json::object* object(const json::object& parent, const std::string& parent_path,
                               const char* key, bool required) {
        const std::string path = join(parent_path, key);
        const json::value* v = parent.if_contains(key);
        if (v == nullptr) {
            if (required) problem(path, "required object is missing");
            return nullptr;
        }
        if (!v->is_object()) {
            problem(path, "must be an object");
            return nullptr;
        }
        return &v->as_object();
    }

    // Checks a string member; returns whether it is present (and a non-empty string).
    bool string(const json::object& parent, const std::string& parent_path, const char* key,
                bool required) {
        const std::string path = join(parent_path, key);
        const json::value* v = parent.if_contains(key);
        if (v == nullptr) {
            if (required) problem(path, "required string is missing");
            return false;
        }
        if (!v->is_string() || v->as_string().empty()) {
            problem(path, "must be a non-empty string");
            return false;
        }
        return true;
    }

    void boolean(const json::object& parent, const std::string& parent_path, const char* key) {
        const json::value* v = parent.if_contains(key);
        if (v != nullptr && !v->is_bool()) problem(join(parent_path, key), "must be true or false");
    }

    void url(const json::object& parent, const std::string& parent_path, const char* key,
             bool required) {
        if (!string(parent, parent_path, key, required)) return;
        const std::string_view u = parent.at(key).as_string();
        if (u.rfind("https://", 0) != 0 && u.rfind("http://", 0) != 0) {
            problem(join(parent_path, key), "must be an http:// or https:// URL");
        }
    }

    void unknown_members(const json::object& o, const std::string& path,
                         std::initializer_list<const char*> known) {
        for (const auto& [key, value] : o) {
            bool found = false;
            for (const char* k : known) found = found || key == k;
            if (!found) problem(join(path, std::string(key).c_str()), "unknown setting");
        }
    }

    std::vector<FieldError> take() { return std::move(problems_); }

    static std::string join(const std::string& parent, const char* key) {
        return parent.empty() ? std::string(key) : parent + "." + key;
    }

private:
    const SourceMap& positions_;
    std::vector<FieldError> problems_;
};

void check_kubernetes(Checker& c, const json::object& k) {
    c.unknown_members(k, "kubernetes", {"kubeconfig", "context", "in_cluster"});
    c.boolean(k, "kubernetes", "in_cluster");
    const bool in_cluster =
        k.contains("in_cluster") && k.at("in_cluster").is_bool() && k.at("in_cluster").as_bool();
    const bool has_kubeconfig = c.string(k, "kubernetes", "kubeconfig", false);
    if (!in_cluster && !has_kubeconfig && !k.contains("kubeconfig")) {
        c.problem("kubernetes.kubeconfig", "required unless kubernetes.in_cluster is true");
    }
    if (in_cluster && has_kubeconfig) {
        c.problem("kubernetes", "set either kubeconfig or in_cluster, not both");
    }
    c.string(k, "kubernetes", "context", false);
}

void check_tacker(Checker& c, const json::object& t) {
    c.unknown_members(t, "tacker",
                      {"keystone_url", "credentials", "endpoint", "vim_ids", "ca_file",
                       "insecure_skip_verify", "region"});
    c.url(t, "tacker", "keystone_url", true);
    c.url(t, "tacker", "endpoint", false);
    c.string(t, "tacker", "ca_file", false);
    c.string(t, "tacker", "region", false);
    c.boolean(t, "tacker", "insecure_skip_verify");
    if (const auto* cred = c.object(t, "tacker", "credentials", true)) {
        const std::string p = "tacker.credentials";
        if (cred->contains("application_credential_id")) {
            c.string(*cred, p, "application_credential_id", true);
            c.string(*cred, p, "application_credential_secret", true);
        } else {
            c.string(*cred, p, "username", true);
            c.string(*cred, p, "password", true);
            c.string(*cred, p, "project_name", true);
            c.string(*cred, p, "user_domain_name", false);
            c.string(*cred, p, "project_domain_name", false);
        }
    }
    if (const auto* vims = c.object(t, "tacker", "vim_ids", true)) {
        c.unknown_members(*vims, "tacker.vim_ids", {"vm", "container"});
        const bool vm = c.string(*vims, "tacker.vim_ids", "vm", false);
        const bool container = c.string(*vims, "tacker.vim_ids", "container", false);
        if (!vm && !container && !vims->contains("vm") && !vims->contains("container")) {
            c.problem("tacker.vim_ids", "needs the VIM id for \"vm\", \"container\" or both");
        }
    }
}

void check_injector(Checker& c, const json::object& i) {
    c.unknown_members(i, "injector",
                      {"ssh_user", "ssh_private_key", "ssh_port", "known_hosts", "proxy_package"});
    c.string(i, "injector", "ssh_user", true);
    c.string(i, "injector", "ssh_private_key", true);
    c.string(i, "injector", "known_hosts", false);
    c.string(i, "injector", "proxy_package", false);
    if (const json::value* port = i.if_contains("ssh_port")) {
        const auto n = port->is_int64() ? port->as_int64() : std::int64_t{-1};
        if (n < 1 || n > 65535) c.problem("injector.ssh_port", "must be a port number 1..65535");
    }
}

}  // namespace

Status check_backend_config(const std::string& text) {
    auto parsed = parse_document(text);
    if (!parsed) {
        Error e = std::move(parsed).error();
        e.message = "backend configuration: " + e.message;
        return e;
    }
    const auto* root = parsed->value.if_object();
    if (root == nullptr) {
        return make_error(Errc::invalid_argument, "backend configuration: expected a JSON object");
    }
    Checker c(parsed->positions);
    c.unknown_members(
        *root, "",
        {"kubernetes", "tacker", "injector", "istiod_address", "mesh_id", "cluster_id", "network"});
    if (const auto* k = c.object(*root, "", "kubernetes", true)) check_kubernetes(c, *k);
    if (const auto* t = c.object(*root, "", "tacker", true)) check_tacker(c, *t);
    if (const auto* i = c.object(*root, "", "injector", true)) check_injector(c, *i);
    for (const char* key : {"istiod_address", "mesh_id", "cluster_id", "network"}) {
        c.string(*root, "", key, false);
    }
    auto problems = c.take();
    if (problems.empty()) return Ok{};
    Error e = make_error(
        Errc::invalid_argument,
        "backend configuration: " + problems.front().path + ": " + problems.front().reason +
            (problems.size() > 1 ? " (and " + std::to_string(problems.size() - 1) + " more)"
                                 : std::string()));
    e.fields = std::move(problems);
    return e;
}

}  // namespace meshorch::capi
