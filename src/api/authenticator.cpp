#include "api/authenticator.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cctype>
#include <stdexcept>

namespace meshorch::api {

Authenticator::Authenticator(const std::vector<ApiToken>& tokens, bool open) : open_(open) {
    for (const auto& t : tokens) entries_.push_back({digest_of(t.token), t.role});
}

Authenticator::Digest Authenticator::digest_of(std::string_view token) {
    Digest d{};
    unsigned int size = 0;
    // Comparing digests of equal size keeps the comparison's time independent of the token's
    // length and content.
    if (EVP_Digest(token.data(), token.size(), d.data(), &size, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 is not available");
    }
    return d;
}

std::optional<ApiRole> Authenticator::authenticate(
    std::optional<std::string_view> authorization) const {
    if (open_) return ApiRole::admin;
    if (!authorization) return std::nullopt;
    std::string_view value = *authorization;
    constexpr std::string_view scheme = "bearer ";
    if (value.size() <= scheme.size()) return std::nullopt;
    for (std::size_t i = 0; i < scheme.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(value[i])) != scheme[i]) return std::nullopt;
    }
    value.remove_prefix(scheme.size());
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    if (value.empty()) return std::nullopt;
    const Digest given = digest_of(value);
    std::optional<ApiRole> found;
    for (const auto& e : entries_) {  // no early exit: every token costs the same
        if (CRYPTO_memcmp(e.digest.data(), given.data(), given.size()) == 0 && !found) {
            found = e.role;
        }
    }
    return found;
}

bool Authenticator::allows(ApiRole role, std::string_view method) {
    return role == ApiRole::admin || method == "GET" || method == "HEAD";
}

}  // namespace meshorch::api
