#include "injector/remote_scripts.hpp"

#include "injector/remote_command.hpp"
#include "render/shell_quote.hpp"

#include <cstdio>

namespace meshorch::injector {

namespace {

std::string q(const std::string& s) {
    return shell_quote(s);
}

std::string octal(unsigned mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", mode & 07777u);
    return buf;
}

bool remote_root_is_slash(const SshInjectorConfig& c) {
    return c.remote_root.find_first_not_of('/') == std::string::npos;
}

std::string owner_args(const SshInjectorConfig& c) {
    return " -o " + q(c.proxy_user) + " -g " + q(c.proxy_group);
}

std::string quoted_list(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += " " + q(i);
    return out;
}

}  // namespace

std::string survey_script(const std::vector<ManagedFile>& files) {
    std::vector<std::string> paths;
    for (const auto& f : files) paths.push_back(f.path);
    return "for f in" + quoted_list(paths) +
           "; do if [ -f \"$f\" ]; then sha256sum -- \"$f\" || exit 1; fi; done";
}

std::string inject_survey_script(const SshInjectorConfig& config, const RemoteLayout& layout,
                                 const std::vector<ManagedFile>& files) {
    return "if " + command_line(config.service.is_active) +
           " >/dev/null 2>&1; then echo active; else echo inactive; fi && " + survey_script(files) +
           " && echo " + q(std::string(survey_hosts_separator)) + " && " +
           read_file_script(layout.hosts);
}

std::string read_file_script(const std::string& path) {
    return "if [ -f " + q(path) + " ]; then cat -- " + q(path) + "; fi";
}

std::string make_staging_script(const RemoteLayout& layout) {
    return "mkdir -p -- " + q(layout.staging_dir) + " && mktemp -d -- " +
           q(layout.staging_dir + "/meshorch.XXXXXXXXXX");
}

std::string remove_staging_script(const std::string& staging) {
    return "rm -rf -- " + q(staging);
}

std::string install_files_script(const SshInjectorConfig& config, const RemoteLayout& layout,
                                 const std::vector<ManagedFile>& files,
                                 const std::string& staging) {
    std::string s = "umask 077";
    bool token = false;
    std::vector<std::string> plain_dirs;
    for (const auto& f : files) {
        if (f.path == layout.token) {
            token = true;
        } else if (!f.proxy_owned) {
            plain_dirs.push_back(parent_directory(f.path));
        }
    }
    s += " && install -d -m 0755" + owner_args(config) + " --" +
         quoted_list(layout.proxy_directories);
    if (token) {
        s += " && install -d -m 0700" + owner_args(config) + " -- " + q(layout.token_dir);
    }
    if (!plain_dirs.empty()) s += " && install -d -m 0755 --" + quoted_list(plain_dirs);
    for (const auto& f : files) {
        const std::string next = f.path + ".meshorch-new";
        s += " && install -m " + octal(f.mode) + (f.proxy_owned ? owner_args(config) : "") +
             " -- " + q(staging + "/" + f.name) + " " + q(next) + " && mv -f -- " + q(next) + " " +
             q(f.path);
    }
    if (token && !layout.token_link.empty()) {
        // 0755 as the tmpfiles rule makes it at boot: the proxy's user must get through it
        // (a mkdir under umask 077 would leave it root-only).
        s += " && install -d -m 0755 -- " + q(parent_directory(layout.token_link)) +
             " && ln -sfn -- " + q(layout.token) + " " + q(layout.token_link);
    }
    return s;
}

std::string install_hosts_script(const RemoteLayout& layout, const std::string& staged) {
    const std::string& h = layout.hosts;
    const std::string next = h + ".meshorch-new";
    return "mkdir -p -- " + q(parent_directory(h)) + " && { if [ -f " + q(h) +
           " ]; then cp -p -- " + q(h) + " " + q(next) + "; else install -m 0644 /dev/null " +
           q(next) + "; fi; } && cat -- " + q(staged) + " > " + q(next) + " && { mv -f -- " +
           q(next) + " " + q(h) + " 2>/dev/null || { cat -- " + q(staged) + " > " + q(h) +
           " && rm -f -- " + q(next) + "; }; }";
}

std::string install_package_script(const SshInjectorConfig& config, const std::string& staged) {
    const bool rooted = !remote_root_is_slash(config);
    switch (config.package_manager) {
        case PackageManager::dpkg:
            return "dpkg" + (rooted ? " " + q("--root=" + config.remote_root) : "") +
                   " --install " + q(staged);
        case PackageManager::rpm:
            return "rpm" + (rooted ? " --root " + q(config.remote_root) : "") +
                   " -U --replacepkgs " + q(staged);
        case PackageManager::none: break;
    }
    return "true";
}

std::string remove_package_script(const SshInjectorConfig& config) {
    const bool rooted = !remote_root_is_slash(config);
    const std::string name = q(config.package_name);
    switch (config.package_manager) {
        case PackageManager::dpkg: {
            // Purged in whatever state dpkg knows it, not only "installed": an install or a
            // removal cut short (its SSH session gone) leaves it half-configured, half-installed
            // or with its config files, and its postrm purge (the proxy's user) not yet run.
            const std::string root = rooted ? " " + q("--root=" + config.remote_root) : "";
            return "if s=$(dpkg-query" + root + " -W -f='${Status}' " + name +
                   " 2>/dev/null) && [ -n \"$s\" ] && [ \"${s##* }\" != not-installed ]; then "
                   "dpkg" +
                   root + " --force-remove-reinstreq --purge " + name + "; fi";
        }
        case PackageManager::rpm: {
            const std::string root = rooted ? " --root " + q(config.remote_root) : "";
            return "if rpm" + root + " -q " + name + " >/dev/null 2>&1; then rpm" + root + " -e " +
                   name + "; fi";
        }
        case PackageManager::none: break;
    }
    return "true";
}

std::string remove_files_script(const RemoteLayout& layout) {
    std::vector<std::string> files = {layout.token, layout.root_cert, layout.cluster_env,
                                      layout.mesh, layout.state};
    if (!layout.token_link.empty()) files.push_back(layout.token_link);
    if (!layout.tmpfiles_rule.empty()) files.push_back(layout.tmpfiles_rule);
    std::vector<std::string> leftovers;  // of an interrupted install
    for (const auto& f : files) leftovers.push_back(f + ".meshorch-new");
    return "rm -f --" + quoted_list(files) + quoted_list(leftovers) + " && for d in" +
           quoted_list(layout.removable_directories) +
           "; do if [ -d \"$d\" ]; then rmdir --ignore-fail-on-non-empty -- \"$d\" || exit 1; "
           "fi; done";
}

std::string service_script(const std::vector<std::string>& argv) {
    return command_line(argv);
}

bool uses_sudo(const SshInjectorConfig& config) {
    switch (config.sudo) {
        case SshInjectorConfig::Sudo::always: return true;
        case SshInjectorConfig::Sudo::never: return false;
        case SshInjectorConfig::Sudo::automatic: break;
    }
    return config.credentials.user != "root";
}

std::string remote_command(const SshInjectorConfig& config, const std::string& script) {
    return shell_command(script, uses_sudo(config));
}

}  // namespace meshorch::injector
