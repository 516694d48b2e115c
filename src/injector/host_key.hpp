// Internal: the decision whether to trust a VM's SSH host key, apart from libssh so that every
// case of the policy is tested without a server.
#pragma once

#include <meshorch/ssh_injector.hpp>

#include <string>
#include <string_view>

namespace meshorch::injector {

// The key the server presented.
struct ServerKey {
    std::string type;         // "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa", ...
    std::string base64;       // the public key blob, as in a .pub file
    std::string fingerprint;  // "SHA256:<base64 without padding>", as ssh-keygen -l prints it
};

// What the known_hosts file says about the host (libssh's ssh_known_hosts_e).
enum class KnownHostsState {
    match,       // listed with this key
    changed,     // listed with another key of the same type
    other_type,  // listed with a key of another type only
    unknown,     // not listed
    no_file,     // the file does not exist yet
    error,       // the file could not be read
};

enum class HostKeyVerdict { accept, accept_and_record, reject };

struct HostKeyDecision {
    HostKeyVerdict verdict = HostKeyVerdict::reject;
    std::string reason;  // for reject: a sentence naming the host and the key
};

// A pinned key as configured: "SHA256:..." compares fingerprints, "<type> <base64> [comment]"
// compares type and blob. False when `pinned` is neither.
bool is_valid_pinned_key(std::string_view pinned) noexcept;
bool pinned_key_matches(std::string_view pinned, const ServerKey& key);

// `known` is only read for the known_hosts and accept_new modes. `host` appears in reasons.
HostKeyDecision decide_host_key(const HostKeyPolicy& policy, const ServerKey& key,
                                KnownHostsState known, std::string_view host);

// How OpenSSH (and libssh) name a host in known_hosts: "host" on port 22, "[host]:port" otherwise.
std::string known_hosts_name(std::string_view host, unsigned port);

}  // namespace meshorch::injector
