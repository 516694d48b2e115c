// Internal: the Keystone v3 token request (POST /v3/auth/tokens) and its response.
#pragma once

#include "openstack/service_catalog.hpp"

#include <meshorch/error.hpp>
#include <meshorch/openstack.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace meshorch::openstack {

struct KeystoneToken {
    std::string value;  // the X-Subject-Token header: never logged
    std::chrono::system_clock::time_point issued_at;
    std::chrono::system_clock::time_point expires_at;
    std::string project_id;
    ServiceCatalog catalog;
};

// Checks that the configuration names one credential kind and a scope, saying what is missing
// (Errc::invalid_argument).
Status validate(const KeystoneConfig& config);

// The JSON body of POST /v3/auth/tokens: "password" or "application_credential" identity,
// scoped to the configured project (application credentials carry their own scope).
std::string auth_request_body(const KeystoneConfig& config);

// auth_url with "/auth/tokens" appended ("/v3" added when the URL does not end with it).
std::string tokens_url(std::string_view auth_url);

// Keystone's timestamps: "2026-11-27T21:33:16.000000Z" (fraction and zone optional,
// "+HH:MM" offsets accepted).
Result<std::chrono::system_clock::time_point> parse_keystone_time(std::string_view text);

// A 201 response: the token from X-Subject-Token, expiry and catalog from the body.
Result<KeystoneToken> parse_token_response(std::string_view subject_token, std::string_view body);

// How long after it was obtained a token should be replaced: its lifetime less the margin,
// but at most half the lifetime, so short-lived tokens are renewed half-way.
std::chrono::milliseconds token_reuse_period(std::chrono::system_clock::time_point issued_at,
                                             std::chrono::system_clock::time_point expires_at,
                                             std::chrono::seconds margin);

}  // namespace meshorch::openstack
