// Checking an SshInjectorConfig before anything connects: every name and path that reaches a
// remote command is validated here.
#include "injector/host_key.hpp"
#include "injector/remote_command.hpp"

#include <meshorch/ssh_injector.hpp>

namespace meshorch::injector {

ServiceCommands systemd_service(const std::string& unit) {
    ServiceCommands c;
    c.start = {"systemctl", "enable", "--now", unit};
    c.stop = {"systemctl", "disable", "--now", unit};
    c.restart = {"systemctl", "restart", unit};
    c.is_active = {"systemctl", "is-active", "--quiet", unit};
    return c;
}

namespace {

void check_command(std::vector<FieldError>& out, const std::string& field,
                   const std::vector<std::string>& argv) {
    if (argv.empty() || argv[0].empty()) {
        out.push_back({field, "must name a program"});
        return;
    }
    for (std::size_t i = 0; i < argv.size(); ++i) {
        if (argv[i].find('\0') != std::string::npos) {
            out.push_back({field + "[" + std::to_string(i) + "]", "holds a NUL byte"});
        }
    }
}

void check_path(std::vector<FieldError>& out, const std::string& field, const std::string& path,
                bool may_be_empty) {
    if (path.empty() && may_be_empty) return;
    if (!is_safe_remote_path(path)) {
        out.push_back({field, "\"" + path +
                                  "\" is not an absolute path of letters, digits and ._+@:,- "
                                  "(no spaces, quotes or shell metacharacters)"});
    }
}

void check_name(std::vector<FieldError>& out, const std::string& field, const std::string& name) {
    if (!is_safe_name(name)) {
        out.push_back({field, "\"" + name +
                                  "\" is not a name of letters, digits and ._@+- (no spaces, "
                                  "quotes or shell metacharacters)"});
    }
}

}  // namespace

Status validate(const SshInjectorConfig& c) {
    std::vector<FieldError> f;
    switch (c.host_key.mode) {
        case HostKeyMode::pinned:
            if (!is_valid_pinned_key(c.host_key.pinned_key)) {
                f.push_back({"host_key.pinned_key",
                             "must be \"SHA256:<base64>\" or \"<type> <base64> [comment]\""});
            }
            break;
        case HostKeyMode::known_hosts:
        case HostKeyMode::accept_new:
            if (c.host_key.known_hosts_file.empty()) {
                f.push_back({"host_key.known_hosts_file", "required for this host key mode"});
            }
            break;
    }
    check_name(f, "credentials.user", c.credentials.user);
    if (c.credentials.private_key_file.empty() && c.credentials.private_key.empty() &&
        c.credentials.password.empty()) {
        f.push_back({"credentials", "set a private key (file or text) or a password"});
    }
    if (c.port == 0) f.push_back({"port", "must not be 0"});
    if (c.readiness_port == 0) f.push_back({"readiness_port", "must not be 0"});
    if (c.connect_timeout.count() <= 0) f.push_back({"connect_timeout", "must be positive"});
    if (c.command_timeout.count() <= 0) f.push_back({"command_timeout", "must be positive"});
    if (c.readiness_timeout.count() <= 0) f.push_back({"readiness_timeout", "must be positive"});
    if (c.readiness_interval.count() <= 0) {
        f.push_back({"readiness_interval", "must be positive"});
    }
    check_path(f, "remote_root", c.remote_root, false);
    check_path(f, "staging_dir", c.staging_dir, false);
    check_path(f, "token_dir", c.token_dir, false);
    check_path(f, "token_link_dir", c.token_link_dir, true);
    check_path(f, "tmpfiles_rule", c.tmpfiles_rule, true);
    check_path(f, "state_dir", c.state_dir, false);
    if (c.token_dir == "/" || c.state_dir == "/" || c.staging_dir == "/") {
        f.push_back({"token_dir", "token_dir, state_dir and staging_dir must not be \"/\""});
    }
    const bool readiness_path_ok = !c.readiness_path.empty() && c.readiness_path[0] == '/' &&
                                   c.readiness_path.find_first_of(" \r\n\t") == std::string::npos;
    if (!readiness_path_ok) {
        f.push_back({"readiness_path", "must be an absolute URL path without spaces"});
    }
    check_name(f, "proxy_user", c.proxy_user);
    check_name(f, "proxy_group", c.proxy_group);
    if (c.package_manager != PackageManager::none) {
        check_name(f, "package_name", c.package_name);
        if (c.package_file.empty()) {
            f.push_back({"package_file", "required unless package_manager is none"});
        }
    }
    check_command(f, "service.start", c.service.start);
    check_command(f, "service.stop", c.service.stop);
    check_command(f, "service.restart", c.service.restart);
    check_command(f, "service.is_active", c.service.is_active);
    if (c.threads == 0) f.push_back({"threads", "must be at least 1"});
    if (f.empty()) return Ok{};
    Error e =
        make_error(Errc::invalid_argument, "invalid SSH injector configuration: " + f.front().path +
                                               ": " + f.front().reason);
    e.fields = std::move(f);
    return e;
}

}  // namespace meshorch::injector
