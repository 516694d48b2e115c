// Internal: a Keystone v3 session shared by every OpenStack adapter (Tacker, Nova, ...).
//
// Holds one project-scoped token and its service catalog. The token is reused until shortly
// before it expires (KeystoneConfig::refresh_margin, at most half its lifetime); concurrent
// callers that find it stale share one authentication instead of each asking Keystone. When an
// early renewal fails for a transient reason (Keystone down, 5xx, timeout), the old token is
// used while it has more than a few seconds to live. A service that answers 401 gets exactly
// one re-authentication and one retry of the request.
// Thread-safe; blocking (run it on a CallPool thread).
#pragma once

#include "http/client.hpp"
#include "openstack/keystone_token.hpp"

#include <meshorch/cancel.hpp>
#include <meshorch/openstack.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace meshorch::openstack {

// The HTTP client options for an OpenStack service: the Keystone config's TLS settings and
// timeouts, logging to `logger`.
http::ClientOptions client_options(const KeystoneConfig& config, std::string logger);

class KeystoneSession {
public:
    using SteadyNow = std::function<Clock::time_point()>;

    // Validates the configuration and creates the session's own HTTP client (logger
    // "keystone"). `now` replaces the steady clock (tests).
    static Result<std::shared_ptr<KeystoneSession>> create(KeystoneConfig config,
                                                           SteadyNow now = {});
    KeystoneSession(KeystoneConfig config, std::shared_ptr<http::Client> client, SteadyNow now);

    // A valid token, authenticating when there is none or it is due for renewal.
    Result<std::string> token(const CallContext& ctx);
    // The catalog URL of a service type for the configured interface and region.
    Result<std::string> endpoint(std::string_view service_type, const CallContext& ctx);
    // The service refused `token` (401): the next caller authenticates again. A token that
    // was already replaced is ignored, so many 401s cause one authentication.
    void invalidate(const std::string& token);

    // Sends `request` (absolute URL) with X-Auth-Token through `client`; on 401 invalidates,
    // authenticates once more and retries once. A second 401 is returned to the caller.
    Result<http::Response> send(http::Client& client, http::Request request,
                                const CallContext& ctx);

    // How many times this session asked Keystone for a token (successful or not).
    std::uint64_t authentications() const noexcept { return authentications_.load(); }
    const KeystoneConfig& config() const noexcept { return config_; }

private:
    struct Current {
        std::shared_ptr<const KeystoneToken> token;
        Clock::time_point renew_at;
    };
    Result<std::shared_ptr<const KeystoneToken>> current(const CallContext& ctx);
    Result<Current> authenticate(const CallContext& ctx);

    KeystoneConfig config_;
    std::shared_ptr<http::Client> client_;
    SteadyNow now_;
    std::atomic<std::uint64_t> authentications_{0};

    std::mutex mutex_;
    std::condition_variable changed_;
    std::optional<Current> current_;
    bool in_flight_ = false;
    std::uint64_t generation_ = 0;  // completed authentications, successful or not
    std::optional<Error> last_error_;
};

}  // namespace meshorch::openstack
