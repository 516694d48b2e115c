#include "injector/remote_layout.hpp"

#include "injector/remote_command.hpp"

#include <meshorch/vm_bundle.hpp>

#include <openssl/evp.h>

#include <array>
#include <cstdio>

namespace meshorch::injector {

namespace {

constexpr const char* token_file_name = "istio-token";

bool same_path(const std::string& a, const std::string& b) {
    auto strip = [](std::string s) {
        while (s.size() > 1 && s.back() == '/') s.pop_back();
        return s;
    };
    return strip(a) == strip(b);
}

// The systemd-tmpfiles rule that recreates the token symlink at boot (/var/run is a tmpfs).
std::string tmpfiles_rule_content(const RemoteLayout& layout) {
    return "# meshorch: the Istio proxy reads its token here; the token itself lives in " +
           layout.token_dir + ", which survives reboots.\n" + "d " +
           parent_directory(layout.token_link) + " 0755 root root -\n" + "L+ " + layout.token_link +
           " - - - - " + layout.token + "\n";
}

std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        lines.push_back(text.substr(0, nl));
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    return lines;
}

}  // namespace

RemoteLayout make_layout(const SshInjectorConfig& config) {
    RemoteLayout l;
    const std::string& r = config.remote_root;
    l.root = r;
    l.root_cert = under_root(r, "/etc/certs/root-cert.pem");
    l.cluster_env = under_root(r, "/var/lib/istio/envoy/cluster.env");
    l.mesh = under_root(r, "/etc/istio/config/mesh");
    l.hosts = under_root(r, "/etc/hosts");
    l.token_dir = under_root(r, config.token_dir);
    l.token = l.token_dir + "/" + token_file_name;
    if (!config.token_link_dir.empty() && !same_path(config.token_dir, config.token_link_dir)) {
        l.token_link = under_root(r, config.token_link_dir) + "/" + token_file_name;
        if (!config.tmpfiles_rule.empty()) l.tmpfiles_rule = under_root(r, config.tmpfiles_rule);
    }
    l.state_dir = under_root(r, config.state_dir);
    l.state = l.state_dir + "/installed";
    l.staging_dir = under_root(r, config.staging_dir);
    l.proxy_directories = {parent_directory(l.root_cert), parent_directory(l.cluster_env),
                           parent_directory(l.mesh)};
    l.removable_directories = {parent_directory(l.root_cert),   parent_directory(l.cluster_env),
                               under_root(r, "/var/lib/istio"), parent_directory(l.mesh),
                               under_root(r, "/etc/istio"),     l.token_dir};
    if (!l.token_link.empty()) {
        l.removable_directories.push_back(parent_directory(l.token_link));
        l.removable_directories.push_back(parent_directory(parent_directory(l.token_link)));
    }
    l.removable_directories.push_back(l.state_dir);
    return l;
}

bool is_bundle_file(std::string_view name) noexcept {
    return name == vm_bundle_cluster_env || name == vm_bundle_mesh_yaml ||
           name == vm_bundle_root_cert || name == vm_bundle_token || name == vm_bundle_hosts;
}

Result<std::vector<ManagedFile>> desired_files(const SshInjectorConfig& config,
                                               const RemoteLayout& layout, const VmBundle& bundle,
                                               const std::string& package_sha256) {
    Error problems = make_error(Errc::invalid_argument, "the VM bundle is not deliverable");
    for (const auto& [name, content] : bundle.files) {
        if (!is_bundle_file(name)) {
            problems.fields.push_back({"bundle.files." + name, "not a file of the VM bundle"});
        } else if (content.find('\0') != std::string::npos) {
            problems.fields.push_back({"bundle.files." + name, "holds a NUL byte"});
        }
    }
    for (const char* required :
         {vm_bundle_cluster_env, vm_bundle_mesh_yaml, vm_bundle_root_cert, vm_bundle_token}) {
        auto it = bundle.files.find(required);
        if (it == bundle.files.end() || it->second.empty()) {
            problems.fields.push_back(
                {std::string("bundle.files.") + required, "missing or empty"});
        }
    }
    if (!problems.fields.empty()) return problems;

    auto file = [](std::string name, std::string path, std::string content, unsigned mode,
                   bool proxy_owned, bool restarts) {
        ManagedFile f;
        f.name = std::move(name);
        f.path = std::move(path);
        f.content = std::move(content);
        f.mode = mode;
        f.proxy_owned = proxy_owned;
        f.restarts_proxy = restarts;
        f.sha256 = sha256_hex(f.content);
        return f;
    };
    std::vector<ManagedFile> out;
    out.push_back(token_file(layout, bundle.files.at(vm_bundle_token)));
    out.push_back(file(vm_bundle_root_cert, layout.root_cert, bundle.files.at(vm_bundle_root_cert),
                       0644, true, true));
    out.push_back(file(vm_bundle_cluster_env, layout.cluster_env,
                       bundle.files.at(vm_bundle_cluster_env), 0644, true, true));
    out.push_back(file(vm_bundle_mesh_yaml, layout.mesh, bundle.files.at(vm_bundle_mesh_yaml), 0644,
                       true, true));
    if (!layout.tmpfiles_rule.empty()) {
        out.push_back(file("tmpfiles", layout.tmpfiles_rule, tmpfiles_rule_content(layout), 0644,
                           false, false));
    }
    std::string state = "# meshorch sidecar injector: what is installed\n";
    if (config.package_manager == PackageManager::none || config.package_file.empty()) {
        state += "package=\n";
    } else {
        state += "package=" + config.package_name + "\npackage_sha256=" + package_sha256 + "\n";
    }
    // Last: it is written only once everything before it (and the package) is in place.
    out.push_back(file("state", layout.state, std::move(state), 0644, false, true));
    return out;
}

ManagedFile token_file(const RemoteLayout& layout, const std::string& token) {
    ManagedFile f;
    f.name = vm_bundle_token;
    f.path = layout.token;
    f.content = token;
    f.mode = 0600;
    f.proxy_owned = true;
    f.restarts_proxy = false;  // pilot-agent reads the token file again for every CSR
    f.sha256 = sha256_hex(token);
    return f;
}

std::map<std::string, std::string> parse_sha256sum(std::string_view output) {
    std::map<std::string, std::string> out;
    for (std::string_view line : split_lines(output)) {
        // "<64 hex>  <path>" (text mode) or "<64 hex> *<path>" (binary mode).
        if (line.size() < 67 || line[64] != ' ') continue;
        const std::string_view hex = line.substr(0, 64);
        bool ok = true;
        for (char c : hex) ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
        if (!ok || (line[65] != ' ' && line[65] != '*')) continue;
        out[std::string(line.substr(66))] = std::string(hex);
    }
    return out;
}

ChangeSet plan_changes(const std::vector<ManagedFile>& desired,
                       const std::map<std::string, std::string>& remote_sha256,
                       const RemoteLayout& layout) {
    ChangeSet c;
    c.fresh = remote_sha256.find(layout.state) == remote_sha256.end();
    for (const auto& f : desired) {
        auto it = remote_sha256.find(f.path);
        if (it != remote_sha256.end() && it->second == f.sha256) continue;
        c.upload.push_back(f);
        if (f.name == "state") c.package_changed = true;
        if (f.restarts_proxy) c.restart_needed = true;
    }
    return c;
}

std::string hosts_without_block(std::string_view current) {
    std::string out;
    bool inside = false;
    for (std::string_view line : split_lines(current)) {
        if (line == hosts_begin_marker) {
            inside = true;
            continue;
        }
        if (inside) {
            if (line == hosts_end_marker) inside = false;
            continue;
        }
        out.append(line);
        out += '\n';
    }
    return out;
}

std::string hosts_with_block(std::string_view current, std::string_view lines) {
    std::string block;
    if (!lines.empty()) {
        block.append(hosts_begin_marker);
        block += '\n';
        for (std::string_view line : split_lines(lines)) {
            if (line.empty() || line == hosts_begin_marker || line == hosts_end_marker) continue;
            block.append(line);
            block += '\n';
        }
        block.append(hosts_end_marker);
        block += '\n';
    }
    // Replace the existing block where it is, so the file does not churn.
    const auto begin = current.find(std::string(hosts_begin_marker) + "\n");
    const bool at_line_start =
        begin == 0 || (begin != std::string_view::npos && current[begin - 1] == '\n');
    if (at_line_start) {
        const auto end = current.find(std::string(hosts_end_marker), begin);
        if (end != std::string_view::npos) {
            auto after = end + hosts_end_marker.size();
            if (after < current.size() && current[after] == '\n') ++after;
            return std::string(current.substr(0, begin)) + block +
                   std::string(current.substr(after));
        }
    }
    std::string out = hosts_without_block(current);
    if (!out.empty() && out.back() != '\n') out += '\n';
    return out + block;
}

std::string sha256_hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha256(), nullptr);
    std::string out;
    out.reserve(len * 2);
    char buf[3];
    for (unsigned int i = 0; i < len; ++i) {
        std::snprintf(buf, sizeof buf, "%02x", md[i]);
        out += buf;
    }
    return out;
}

}  // namespace meshorch::injector
