#include "injector/host_key.hpp"

namespace meshorch::injector {

namespace {

constexpr std::string_view fingerprint_prefix = "SHA256:";

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

bool is_base64(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
        if (!ok) return false;
    }
    return true;
}

// "<type> <base64> [comment]" -> type and blob; false when not of that shape.
bool split_public_key(std::string_view line, std::string_view& type, std::string_view& blob) {
    line = trim(line);
    const auto space = line.find_first_of(" \t");
    if (space == std::string_view::npos) return false;
    type = line.substr(0, space);
    std::string_view rest = trim(line.substr(space));
    blob = rest.substr(0, rest.find_first_of(" \t"));
    return !type.empty() && is_base64(blob);
}

std::string describe_key(const ServerKey& key) {
    return key.type + " " + key.fingerprint;
}

}  // namespace

bool is_valid_pinned_key(std::string_view pinned) noexcept {
    pinned = trim(pinned);
    if (pinned.substr(0, fingerprint_prefix.size()) == fingerprint_prefix) {
        return is_base64(pinned.substr(fingerprint_prefix.size()));
    }
    std::string_view type, blob;
    return split_public_key(pinned, type, blob);
}

bool pinned_key_matches(std::string_view pinned, const ServerKey& key) {
    pinned = trim(pinned);
    if (pinned.substr(0, fingerprint_prefix.size()) == fingerprint_prefix) {
        // ssh-keygen prints no padding; tolerate a pasted one.
        std::string_view want = pinned;
        while (!want.empty() && want.back() == '=') want.remove_suffix(1);
        return !key.fingerprint.empty() && want == key.fingerprint;
    }
    std::string_view type, blob;
    if (!split_public_key(pinned, type, blob)) return false;
    return type == key.type && blob == key.base64;
}

HostKeyDecision decide_host_key(const HostKeyPolicy& policy, const ServerKey& key,
                                KnownHostsState known, std::string_view host) {
    const std::string who = "host key of " + std::string(host) + " (" + describe_key(key) + ")";
    switch (policy.mode) {
        case HostKeyMode::pinned:
            if (pinned_key_matches(policy.pinned_key, key)) return {HostKeyVerdict::accept, {}};
            return {HostKeyVerdict::reject, who + " does not match the pinned key"};
        case HostKeyMode::known_hosts:
        case HostKeyMode::accept_new: break;
    }
    const bool accept_new = policy.mode == HostKeyMode::accept_new;
    const std::string file = " in " + policy.known_hosts_file;
    switch (known) {
        case KnownHostsState::match: return {HostKeyVerdict::accept, {}};
        case KnownHostsState::changed:
            return {HostKeyVerdict::reject,
                    who + " differs from the key recorded" + file +
                        " (the host key changed or someone is in the middle)"};
        case KnownHostsState::other_type:
            return {HostKeyVerdict::reject,
                    who + " is of a type other than the key recorded" + file +
                        " (the host key changed or someone is in the middle)"};
        case KnownHostsState::unknown:
        case KnownHostsState::no_file:
            if (accept_new) return {HostKeyVerdict::accept_and_record, {}};
            return {HostKeyVerdict::reject, who + " is not listed" + file};
        case KnownHostsState::error: break;
    }
    return {HostKeyVerdict::reject,
            "cannot read known hosts file " + policy.known_hosts_file + " to check the " + who};
}

std::string known_hosts_name(std::string_view host, unsigned port) {
    if (port == 22) return std::string(host);
    return "[" + std::string(host) + "]:" + std::to_string(port);
}

}  // namespace meshorch::injector
