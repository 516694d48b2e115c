#include <meshorch/backends.hpp>
#include <meshorch/document.hpp>

#include "spec/duration.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <filesystem>
#include <initializer_list>
#include <vector>

namespace meshorch {
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

    // A checked http(s) URL member, or "".
    std::string url(const json::object& parent, const std::string& parent_path, const char* key,
                    bool required) {
        if (!string(parent, parent_path, key, required)) return {};
        std::string u(parent.at(key).as_string());
        if (u.rfind("https://", 0) != 0 && u.rfind("http://", 0) != 0) {
            problem(join(parent_path, key), "must be an http:// or https:// URL");
        }
        return u;
    }

    void unknown_members(const json::object& o, const std::string& path,
                         std::initializer_list<const char*> known) {
        for (const auto& [key, value] : o) {
            bool found = false;
            for (const char* k : known) found = found || key == k;
            if (!found) problem(join(path, std::string(key).c_str()), "unknown setting");
        }
    }

    // The string member (checked), or `fallback`.
    std::string text(const json::object& parent, const std::string& parent_path, const char* key,
                     bool required, std::string fallback = {}) {
        if (!string(parent, parent_path, key, required)) return fallback;
        return std::string(parent.at(key).as_string());
    }
    bool flag(const json::object& parent, const std::string& parent_path, const char* key,
              bool fallback) {
        boolean(parent, parent_path, key);
        const json::value* v = parent.if_contains(key);
        return v != nullptr && v->is_bool() ? v->as_bool() : fallback;
    }
    // A whole number within [lo, hi], or `fallback`.
    std::int64_t number(const json::object& parent, const std::string& parent_path, const char* key,
                        std::int64_t lo, std::int64_t hi, std::int64_t fallback) {
        const json::value* v = parent.if_contains(key);
        if (v == nullptr) return fallback;
        const std::int64_t n = v->is_int64() ? v->as_int64() : lo - 1;
        if (n < lo || n > hi) {
            problem(join(parent_path, key), "must be a whole number from " + std::to_string(lo) +
                                                " to " + std::to_string(hi));
            return fallback;
        }
        return n;
    }
    // One of `choices`, or `fallback`.
    std::string choice(const json::object& parent, const std::string& parent_path, const char* key,
                       std::initializer_list<const char*> choices, std::string fallback) {
        if (!parent.contains(key)) return fallback;
        std::string value = text(parent, parent_path, key, false);
        std::string all;
        for (const char* c : choices) {
            if (value == c) return value;
            all += all.empty() ? std::string(c) : std::string(", ") + c;
        }
        if (!value.empty()) problem(join(parent_path, key), "must be one of " + all);
        return fallback;
    }

    std::size_t take_count() const { return problems_.size(); }
    std::vector<FieldError> take() { return std::move(problems_); }

    static std::string join(const std::string& parent, const char* key) {
        return parent.empty() ? std::string(key) : parent + "." + key;
    }

private:
    const SourceMap& positions_;
    std::vector<FieldError> problems_;
};

// A file name from the configuration: relative ones are relative to the configuration's folder.
std::string resolve(const std::string& base_dir, const std::string& file) {
    if (file.empty() || base_dir.empty() || std::filesystem::path(file).is_absolute()) return file;
    return (std::filesystem::path(base_dir) / file).string();
}

void read_kubernetes(Checker& c, const json::object& k, const std::string& base_dir,
                     BackendsConfig& out) {
    c.unknown_members(k, "kubernetes", {"kubeconfig", "context", "in_cluster", "readiness"});
    const bool in_cluster = c.flag(k, "kubernetes", "in_cluster", false);
    const std::string kubeconfig = resolve(base_dir, c.text(k, "kubernetes", "kubeconfig", false));
    const std::string context = c.text(k, "kubernetes", "context", false);
    const std::string readiness =
        c.choice(k, "kubernetes", "readiness", {"watch", "poll"}, "watch");
    out.kubernetes_options.readiness =
        readiness == "poll" ? kubernetes::Readiness::poll : kubernetes::Readiness::watch;
    if (!in_cluster && kubeconfig.empty()) {
        if (!k.contains("kubeconfig")) {
            c.problem("kubernetes.kubeconfig", "required unless kubernetes.in_cluster is true");
        }
        return;
    }
    if (in_cluster && !kubeconfig.empty()) {
        c.problem("kubernetes", "set either kubeconfig or in_cluster, not both");
        return;
    }
    auto loaded = in_cluster ? kubernetes::in_cluster_config()
                             : kubernetes::load_kubeconfig(kubeconfig, context);
    if (!loaded) {
        c.problem(in_cluster ? "kubernetes.in_cluster" : "kubernetes.kubeconfig",
                  loaded.error().message);
        return;
    }
    out.kubernetes = std::move(*loaded);
}

void read_tacker(Checker& c, const json::object& t, const std::string& base_dir,
                 BackendsConfig& out) {
    const std::string p = "tacker";
    c.unknown_members(t, p,
                      {"keystone_url", "credentials", "endpoint", "nova_endpoint", "vim_ids",
                       "ca_file", "insecure_skip_verify", "region", "interface", "vm_network",
                       "kubernetes_def_files", "poll_interval_ms", "notifications"});
    auto& tacker = out.tacker;
    auto& keystone = tacker.keystone;
    keystone.auth_url = c.url(t, p, "keystone_url", true);
    tacker.tacker_endpoint = c.url(t, p, "endpoint", false);
    tacker.nova_endpoint = c.url(t, p, "nova_endpoint", false);
    keystone.ca_file = resolve(base_dir, c.text(t, p, "ca_file", false));
    keystone.region = c.text(t, p, "region", false);
    keystone.interface = c.choice(t, p, "interface", {"public", "internal", "admin"}, "public");
    keystone.insecure_skip_verify = c.flag(t, p, "insecure_skip_verify", false);
    tacker.vm_network = c.text(t, p, "vm_network", false);
    tacker.poll_interval = std::chrono::milliseconds(
        c.number(t, p, "poll_interval_ms", 10, 600'000, tacker.poll_interval.count()));
    if (const json::value* files = t.if_contains("kubernetes_def_files")) {
        tacker.default_kubernetes_def_files.clear();
        const auto* list = files->if_array();
        if (list == nullptr || list->empty()) {
            c.problem("tacker.kubernetes_def_files", "must be a non-empty list of file paths");
        } else {
            for (const auto& f : *list) {
                if (!f.is_string() || f.as_string().empty()) {
                    c.problem("tacker.kubernetes_def_files", "every entry must be a file path");
                    break;
                }
                tacker.default_kubernetes_def_files.emplace_back(f.as_string());
            }
        }
    }
    if (const auto* cred = c.object(t, p, "credentials", true)) {
        const std::string cp = "tacker.credentials";
        if (cred->contains("application_credential_id")) {
            c.unknown_members(*cred, cp,
                              {"application_credential_id", "application_credential_secret"});
            keystone.application_credential_id =
                c.text(*cred, cp, "application_credential_id", true);
            keystone.application_credential_secret =
                c.text(*cred, cp, "application_credential_secret", true);
        } else {
            c.unknown_members(*cred, cp,
                              {"username", "password", "project_name", "user_domain_name",
                               "project_domain_name", "project_id"});
            keystone.username = c.text(*cred, cp, "username", true);
            keystone.password = c.text(*cred, cp, "password", true);
            keystone.project_id = c.text(*cred, cp, "project_id", false);
            keystone.project_name = c.text(*cred, cp, "project_name", keystone.project_id.empty());
            keystone.user_domain_name =
                c.text(*cred, cp, "user_domain_name", false, keystone.user_domain_name);
            keystone.project_domain_name =
                c.text(*cred, cp, "project_domain_name", false, keystone.project_domain_name);
        }
    }
    if (const auto* vims = c.object(t, p, "vim_ids", true)) {
        c.unknown_members(*vims, "tacker.vim_ids", {"vm", "container"});
        tacker.vim_ids.vm = c.text(*vims, "tacker.vim_ids", "vm", false);
        tacker.vim_ids.container = c.text(*vims, "tacker.vim_ids", "container", false);
        if (tacker.vim_ids.vm.empty() && tacker.vim_ids.container.empty() &&
            !vims->contains("vm") && !vims->contains("container")) {
            c.problem("tacker.vim_ids", "needs the VIM id for \"vm\", \"container\" or both");
        }
    }
    if (const auto* n = c.object(t, p, "notifications", false)) {
        const std::string np = "tacker.notifications";
        c.unknown_members(*n, np, {"listen_address", "port", "callback_url"});
        openstack::NotificationOptions notifications;
        notifications.listen_address =
            c.text(*n, np, "listen_address", false, notifications.listen_address);
        notifications.port = static_cast<std::uint16_t>(c.number(*n, np, "port", 0, 65535, 0));
        notifications.callback_url = c.url(*n, np, "callback_url", false);
        tacker.notifications = notifications;
    }
}

void read_injector(Checker& c, const json::object& i, const std::string& base_dir,
                   BackendsConfig& out) {
    const std::string p = "injector";
    c.unknown_members(
        i, p,
        {"ssh_user", "ssh_private_key", "ssh_password", "ssh_key_passphrase", "ssh_port",
         "known_hosts", "host_key", "proxy_package", "package_manager", "package_name", "sudo",
         "service", "proxy_user", "proxy_group", "readiness_port"});
    auto& inj = out.injector;
    inj.credentials.user = c.text(i, p, "ssh_user", true);
    inj.credentials.private_key_file = resolve(base_dir, c.text(i, p, "ssh_private_key", false));
    inj.credentials.password = c.text(i, p, "ssh_password", false);
    inj.credentials.passphrase = c.text(i, p, "ssh_key_passphrase", false);
    if (inj.credentials.private_key_file.empty() && inj.credentials.password.empty() &&
        !i.contains("ssh_private_key") && !i.contains("ssh_password")) {
        c.problem("injector.ssh_private_key", "required unless injector.ssh_password is set");
    }
    inj.port = static_cast<std::uint16_t>(c.number(i, p, "ssh_port", 1, 65535, 22));
    inj.package_file = resolve(base_dir, c.text(i, p, "proxy_package", false));
    const std::string pm = c.choice(i, p, "package_manager", {"dpkg", "rpm", "none"}, "dpkg");
    inj.package_manager = pm == "rpm"    ? injector::PackageManager::rpm
                          : pm == "none" ? injector::PackageManager::none
                                         : injector::PackageManager::dpkg;
    const std::string sudo = c.choice(i, p, "sudo", {"auto", "always", "never"}, "auto");
    inj.sudo = sudo == "always"  ? injector::SshInjectorConfig::Sudo::always
               : sudo == "never" ? injector::SshInjectorConfig::Sudo::never
                                 : injector::SshInjectorConfig::Sudo::automatic;
    inj.package_name = c.text(i, p, "package_name", false, inj.package_name);
    inj.proxy_user = c.text(i, p, "proxy_user", false, inj.proxy_user);
    inj.proxy_group = c.text(i, p, "proxy_group", false, inj.proxy_group);
    inj.readiness_port =
        static_cast<std::uint16_t>(c.number(i, p, "readiness_port", 1, 65535, 15021));
    if (const auto* service = c.object(i, p, "service", false)) {
        // For VMs without systemd: the commands that start, stop, restart and probe the proxy.
        const std::string sp = "injector.service";
        c.unknown_members(*service, sp, {"start", "stop", "restart", "is_active"});
        auto argv = [&](const char* key, std::vector<std::string>& command) {
            const json::value* v = service->if_contains(key);
            if (v == nullptr) {
                c.problem(Checker::join(sp, key), "required command (a list of arguments)");
                return;
            }
            const auto* list = v->if_array();
            std::vector<std::string> args;
            for (std::size_t n = 0; list != nullptr && n < list->size(); ++n) {
                if (!(*list)[n].is_string()) break;
                args.emplace_back((*list)[n].as_string());
            }
            if (list == nullptr || list->empty() || args.size() != list->size()) {
                c.problem(Checker::join(sp, key), "must be a non-empty list of strings");
                return;
            }
            command = std::move(args);
        };
        argv("start", inj.service.start);
        argv("stop", inj.service.stop);
        argv("restart", inj.service.restart);
        argv("is_active", inj.service.is_active);
    }
    const std::string known_hosts = resolve(base_dir, c.text(i, p, "known_hosts", false));
    if (!known_hosts.empty()) {
        inj.host_key.mode = injector::HostKeyMode::known_hosts;
        inj.host_key.known_hosts_file = known_hosts;
    }
    if (const auto* hk = c.object(i, p, "host_key", false)) {
        const std::string hp = "injector.host_key";
        c.unknown_members(*hk, hp, {"mode", "known_hosts", "pinned_key"});
        const std::string mode =
            c.choice(*hk, hp, "mode", {"known_hosts", "pinned", "accept_new"}, "known_hosts");
        inj.host_key.mode = mode == "pinned"       ? injector::HostKeyMode::pinned
                            : mode == "accept_new" ? injector::HostKeyMode::accept_new
                                                   : injector::HostKeyMode::known_hosts;
        inj.host_key.known_hosts_file =
            resolve(base_dir, c.text(*hk, hp, "known_hosts", mode != "pinned", known_hosts));
        inj.host_key.pinned_key = c.text(*hk, hp, "pinned_key", mode == "pinned");
    } else if (known_hosts.empty()) {
        c.problem("injector.known_hosts",
                  "required (or injector.host_key): the VMs' SSH host keys are never accepted "
                  "silently");
    }
}

// A duration member ("10s", "500ms"), within [lo, hi], or `fallback`.
std::chrono::milliseconds duration(Checker& c, const json::object& parent, const char* key,
                                   std::chrono::milliseconds lo, std::chrono::milliseconds hi,
                                   std::chrono::milliseconds fallback) {
    const std::string path = Checker::join("store", key);
    if (!parent.contains(key)) return fallback;
    if (!c.string(parent, "store", key, false)) return fallback;
    Duration d{0};
    std::string why;
    if (!spec_detail::parse_duration(std::string(parent.at(key).as_string()), d, why)) {
        c.problem(path, "must be a duration such as \"10s\" or \"500ms\": " + why);
        return fallback;
    }
    if (d < lo || d > hi) {
        c.problem(path, "must be from " + spec_detail::format_duration(lo) + " to " +
                            spec_detail::format_duration(hi));
        return fallback;
    }
    return d;
}

void read_store(Checker& c, const json::object& s, const std::string& base_dir,
                BackendsConfig& out) {
    const std::string p = "store";
    c.unknown_members(s, p,
                      {"type", "path", "endpoints", "prefix", "lease_ttl", "call_timeout",
                       "page_size", "ca_file", "client_certificate_file", "client_key_file",
                       "insecure_skip_verify", "username", "password"});
    auto& store = out.store;
    if (!s.contains("type")) c.problem("store.type", "required: memory, sqlite or etcd");
    const std::string type = c.choice(s, p, "type", {"memory", "sqlite", "etcd"}, "memory");
    store.type = type == "sqlite" ? StoreConfig::Type::sqlite
                 : type == "etcd" ? StoreConfig::Type::etcd
                                  : StoreConfig::Type::memory;
    auto only_for = [&](std::initializer_list<const char*> keys, const char* which) {
        for (const char* k : keys) {
            if (s.contains(k)) {
                c.problem(Checker::join(p, k), std::string("only applies to type ") + which);
            }
        }
    };
    if (store.type != StoreConfig::Type::sqlite) only_for({"path"}, "sqlite");
    if (store.type != StoreConfig::Type::etcd) {
        only_for({"endpoints", "prefix", "lease_ttl", "call_timeout", "page_size", "ca_file",
                  "client_certificate_file", "client_key_file", "insecure_skip_verify", "username",
                  "password"},
                 "etcd");
    }
    if (store.type == StoreConfig::Type::sqlite) {
        store.path = resolve(base_dir, c.text(s, p, "path", true));
        return;
    }
    if (store.type != StoreConfig::Type::etcd) return;
    EtcdOptions& etcd = store.etcd;
    const json::value* endpoints = s.if_contains("endpoints");
    const json::array* list = endpoints != nullptr ? endpoints->if_array() : nullptr;
    if (list == nullptr || list->empty()) {
        c.problem("store.endpoints", "required: a non-empty list of http(s):// URLs");
    } else {
        for (std::size_t n = 0; n < list->size(); ++n) {
            const json::value& e = (*list)[n];
            const std::string path = "store.endpoints[" + std::to_string(n) + "]";
            const std::string url = e.is_string() ? std::string(e.as_string()) : std::string();
            if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) {
                c.problem(path, "must be an http:// or https:// URL");
                continue;
            }
            etcd.endpoints.push_back(url);
        }
    }
    etcd.prefix = c.text(s, p, "prefix", false, etcd.prefix);
    etcd.lease_ttl =
        duration(c, s, "lease_ttl", std::chrono::seconds(1), std::chrono::hours(1), etcd.lease_ttl);
    if (etcd.lease_ttl % std::chrono::seconds(1) != std::chrono::milliseconds(0)) {
        c.problem("store.lease_ttl", "must be a whole number of seconds");
    }
    etcd.call_timeout = duration(c, s, "call_timeout", std::chrono::milliseconds(10),
                                 std::chrono::minutes(10), etcd.call_timeout);
    etcd.page_size = static_cast<std::size_t>(c.number(s, p, "page_size", 1, 100'000, 500));
    etcd.ca_file = resolve(base_dir, c.text(s, p, "ca_file", false));
    etcd.client_certificate_file =
        resolve(base_dir, c.text(s, p, "client_certificate_file", false));
    etcd.client_key_file = resolve(base_dir, c.text(s, p, "client_key_file", false));
    if (etcd.client_certificate_file.empty() != etcd.client_key_file.empty()) {
        c.problem(etcd.client_key_file.empty() ? "store.client_key_file"
                                               : "store.client_certificate_file",
                  "client_certificate_file and client_key_file go together");
    }
    etcd.insecure_skip_verify = c.flag(s, p, "insecure_skip_verify", false);
    etcd.username = c.text(s, p, "username", false);
    etcd.password = c.text(s, p, "password", false);
    if (!etcd.password.empty() && etcd.username.empty()) {
        c.problem("store.username", "required when store.password is set");
    }
}

}  // namespace

void BackendsConfig::apply_to(OrchestratorOptions& options) const {
    if (istiod_address) options.istiod_address = *istiod_address;
    if (istiod_ip) options.istiod_ip = *istiod_ip;
    if (mesh_id) options.mesh_id = *mesh_id;
    if (cluster_id) options.cluster_id = *cluster_id;
    if (network) options.network = *network;
}

Result<BackendsConfig> parse_backends_config(std::string_view text, const std::string& base_dir) {
    auto parsed = parse_document(std::string(text));
    if (!parsed) {
        Error e = std::move(parsed).error();
        e.message = "backend configuration: " + e.message;
        return e;
    }
    const auto* root = parsed->value.if_object();
    if (root == nullptr) {
        return make_error(Errc::invalid_argument, "backend configuration: expected an object");
    }
    Checker c(parsed->positions);
    BackendsConfig out;
    c.unknown_members(*root, "",
                      {"kubernetes", "tacker", "injector", "istiod_address", "istiod_ip", "mesh_id",
                       "cluster_id", "network", "store"});
    if (const auto* k = c.object(*root, "", "kubernetes", true)) {
        read_kubernetes(c, *k, base_dir, out);
    }
    if (const auto* t = c.object(*root, "", "tacker", true)) read_tacker(c, *t, base_dir, out);
    if (const auto* i = c.object(*root, "", "injector", true)) {
        read_injector(c, *i, base_dir, out);
    }
    if (const auto* st = c.object(*root, "", "store", false)) read_store(c, *st, base_dir, out);
    auto optional_text = [&](const char* key) -> std::optional<std::string> {
        if (!root->contains(key)) return std::nullopt;
        return c.text(*root, "", key, false);
    };
    out.istiod_address = optional_text("istiod_address");
    out.istiod_ip = optional_text("istiod_ip");
    out.mesh_id = optional_text("mesh_id");
    out.cluster_id = optional_text("cluster_id");
    out.network = optional_text("network");
    if (Status s = injector::validate(out.injector); !s.ok() && c.take_count() == 0) {
        // The injector names its own fields; point at the setting that holds them.
        const std::string& why = s.error().message;
        const bool package = why.find("package_file") != std::string::npos;
        c.problem(package ? "injector.proxy_package" : "injector", why);
    }
    auto problems = c.take();
    if (problems.empty()) return out;
    Error e = make_error(
        Errc::invalid_argument,
        "backend configuration: " + problems.front().path + ": " + problems.front().reason +
            (problems.size() > 1 ? " (and " + std::to_string(problems.size() - 1) + " more)"
                                 : std::string()));
    e.fields = std::move(problems);
    return e;
}

}  // namespace meshorch
