// Internal: where the proxy's files live on a VM (every path under the configured remote root),
// what they should contain for a bundle, and what differs from what the VM has. Pure.
#pragma once

#include <meshorch/error.hpp>
#include <meshorch/ports.hpp>
#include <meshorch/ssh_injector.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace meshorch::injector {

// One file the injector owns on the VM.
struct ManagedFile {
    std::string name;  // the bundle key ("istio-token", ...), "tmpfiles" or "state"
    std::string path;  // absolute on the VM, remote root included
    std::string content;
    unsigned mode = 0644;
    bool proxy_owned = true;     // chown proxy_user:proxy_group (else root's)
    bool restarts_proxy = true;  // a change needs a proxy restart (not the token: it is re-read)
    std::string sha256;          // hex of content
};

// The remote paths, remote root included.
struct RemoteLayout {
    std::string root;
    std::string root_cert;    // /etc/certs/root-cert.pem
    std::string cluster_env;  // /var/lib/istio/envoy/cluster.env
    std::string mesh;         // /etc/istio/config/mesh
    std::string hosts;        // /etc/hosts
    std::string token_dir;
    std::string token;          // token_dir/istio-token
    std::string token_link;     // token_link_dir/istio-token; empty: no symlink
    std::string tmpfiles_rule;  // empty: no rule (no symlink)
    std::string state;          // state_dir/installed
    std::string state_dir;
    std::string staging_dir;
    // Directories the proxy reads from, owned by the proxy user (created on inject).
    std::vector<std::string> proxy_directories;
    // Directories removed on remove() when empty, deepest first.
    std::vector<std::string> removable_directories;
};

RemoteLayout make_layout(const SshInjectorConfig& config);

// The bundle keys the injector knows (vm_bundle.hpp).
bool is_bundle_file(std::string_view name) noexcept;

// The files inject() writes for `bundle` (hosts excluded: it is edited, not owned), with
// `package_sha256` recorded in the state file ("" when no package is installed by meshorch).
// Errc::invalid_argument when the bundle has an unknown file, lacks one or holds a NUL byte.
Result<std::vector<ManagedFile>> desired_files(const SshInjectorConfig& config,
                                               const RemoteLayout& layout, const VmBundle& bundle,
                                               const std::string& package_sha256);

// The token file alone (refresh_token).
ManagedFile token_file(const RemoteLayout& layout, const std::string& token);

// "path -> sha256 hex" from `sha256sum` output; lines of another shape are ignored.
std::map<std::string, std::string> parse_sha256sum(std::string_view output);

// What an injection has to do, given what the VM has.
struct ChangeSet {
    std::vector<ManagedFile> upload;  // missing or different, in the order of desired_files
    bool fresh = false;               // no state file: nothing of meshorch's on the VM yet
    bool package_changed = false;     // the state file differs: (re)install the package
    bool restart_needed = false;      // a file the proxy reads only at start changed
    bool empty() const noexcept { return upload.empty(); }
};

ChangeSet plan_changes(const std::vector<ManagedFile>& desired,
                       const std::map<std::string, std::string>& remote_sha256,
                       const RemoteLayout& layout);

// /etc/hosts with meshorch's block holding `lines` (replacing an earlier block, kept in place;
// appended at the end otherwise). Empty `lines`: no block. Other lines are kept as they are (a
// missing final newline is added).
std::string hosts_with_block(std::string_view current, std::string_view lines);
std::string hosts_without_block(std::string_view current);

inline constexpr std::string_view hosts_begin_marker = "# BEGIN meshorch: istiod";
inline constexpr std::string_view hosts_end_marker = "# END meshorch: istiod";

// Lowercase hex SHA-256.
std::string sha256_hex(std::string_view data);

}  // namespace meshorch::injector
