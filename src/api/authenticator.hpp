// Internal: who is calling. Bearer tokens from the token file, each with a role.
#pragma once

#include <meshorch/api_server.hpp>

#include <array>
#include <optional>
#include <string_view>
#include <vector>

namespace meshorch::api {

class Authenticator {
public:
    // open: no tokens; every caller is admin (`--insecure-no-auth`).
    Authenticator(const std::vector<ApiToken>& tokens, bool open);

    // The role of the caller whose Authorization header this is; nullopt when it is missing,
    // not "Bearer ...", or an unknown token. Takes the same time whichever token matches, or
    // none: every known token is compared, each through a SHA-256 digest in constant time.
    std::optional<ApiRole> authenticate(std::optional<std::string_view> authorization) const;

    // May this role use this method? Readers only read (GET, HEAD).
    static bool allows(ApiRole role, std::string_view method);

private:
    using Digest = std::array<unsigned char, 32>;
    struct Entry {
        Digest digest;
        ApiRole role;
    };
    static Digest digest_of(std::string_view token);

    std::vector<Entry> entries_;
    bool open_;
};

}  // namespace meshorch::api
