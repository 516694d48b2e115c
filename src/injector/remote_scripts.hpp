// Internal: the shell scripts the injector runs on a VM, built only from validated paths and
// names (remote_layout.hpp, config validation), every value single-quoted. Pure: the unit tests
// read them, the integration tests run them.
#pragma once

#include "injector/remote_layout.hpp"

#include <meshorch/ssh_injector.hpp>

#include <string>
#include <vector>

namespace meshorch::injector {

// sha256sum of each of `files` that exists: "<hex>  <path>" lines (parse_sha256sum).
std::string survey_script(const std::vector<ManagedFile>& files);

// What inject needs to know, in one round trip: "active" or "inactive" (the service's is_active
// command), the sha256sum lines of `files`, the separator line, then the current /etc/hosts.
std::string inject_survey_script(const SshInjectorConfig& config, const RemoteLayout& layout,
                                 const std::vector<ManagedFile>& files);
inline constexpr std::string_view survey_hosts_separator = "--- meshorch: /etc/hosts ---";

// The current /etc/hosts (nothing when there is none).
std::string read_file_script(const std::string& path);

// Creates a private (0700) staging directory below the staging dir and prints its path.
std::string make_staging_script(const RemoteLayout& layout);
std::string remove_staging_script(const std::string& staging);

// Installs each of `files` from `staging`/<name> to its place: directories first (the proxy's
// owned by proxy_user:proxy_group, the token directory 0700), then for each file
// `install -m MODE [-o USER -g GROUP]` to "<path>.meshorch-new" and `mv -f` over the path (an
// atomic rename: the proxy never reads a half-written file). With the token among them, the token
// symlink is (re)made too.
std::string install_files_script(const SshInjectorConfig& config, const RemoteLayout& layout,
                                 const std::vector<ManagedFile>& files, const std::string& staging);

// Replaces /etc/hosts with `staged` (keeping the file's owner and mode; in place when the file
// cannot be renamed over, as in containers where it is a bind mount).
std::string install_hosts_script(const RemoteLayout& layout, const std::string& staged);

// dpkg --install / rpm -U of the staged package (with --root when remote_root is not "/").
std::string install_package_script(const SshInjectorConfig& config, const std::string& staged);
// Purges the package when it is installed.
std::string remove_package_script(const SshInjectorConfig& config);

// Removes every file the injector writes (token, symlink, rule, state, bundle files) and the
// directories it made, when empty. Missing ones are fine.
std::string remove_files_script(const RemoteLayout& layout);

// A service command (start, stop, ...) as a script.
std::string service_script(const std::vector<std::string>& argv);

// The complete command line for `script` (through "sudo -n" when the config says so).
std::string remote_command(const SshInjectorConfig& config, const std::string& script);
bool uses_sudo(const SshInjectorConfig& config);

}  // namespace meshorch::injector
