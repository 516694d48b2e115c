#include "openstack/keystone_session.hpp"

#include "openstack/api_error.hpp"
#include "openstack/logging.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace meshorch::openstack {

namespace {

constexpr auto wait_slice = std::chrono::milliseconds(50);  // cancel checks while waiting
// An old token is used past a failed renewal only while it has at least this long to live.
constexpr auto still_valid_margin = std::chrono::seconds(5);

std::string identity_of(const KeystoneConfig& c) {
    if (!c.application_credential_id.empty()) {
        return "application credential " + c.application_credential_id;
    }
    std::string project =
        !c.project_id.empty() ? "project id " + c.project_id : "project " + c.project_name;
    return "user " + c.username + ", " + project;
}

void set_header(http::Request& request, std::string name, std::string value) {
    for (auto& h : request.headers) {
        if (h.name.size() == name.size() &&
            std::equal(h.name.begin(), h.name.end(), name.begin(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) ==
                       std::tolower(static_cast<unsigned char>(b));
            })) {
            h.value = std::move(value);
            return;
        }
    }
    request.headers.push_back({std::move(name), std::move(value)});
}

Status check_context(const CallContext& ctx, const char* what) {
    if (ctx.cancel.cancelled())
        return make_error(Errc::cancelled, std::string(what) + " cancelled");
    if (Clock::now() >= ctx.deadline) {
        return make_error(Errc::timeout, std::string(what) + ": deadline passed");
    }
    return Ok{};
}

}  // namespace

http::ClientOptions client_options(const KeystoneConfig& config, std::string logger) {
    http::ClientOptions options;
    options.tls.ca_file = config.ca_file;
    options.tls.ca_pem = config.ca_pem;
    options.tls.verify_peer = !config.insecure_skip_verify;
    options.connect_timeout = config.connect_timeout;
    options.request_timeout = config.request_timeout;
    options.logger = std::move(logger);
    return options;
}

Result<std::shared_ptr<KeystoneSession>> KeystoneSession::create(KeystoneConfig config,
                                                                 SteadyNow now) {
    if (auto valid = validate(config); !valid) return std::move(valid).error();
    auto client = http::Client::create(client_options(config, "keystone"));
    if (!client) return std::move(client).error();
    return std::make_shared<KeystoneSession>(std::move(config), std::move(*client), std::move(now));
}

KeystoneSession::KeystoneSession(KeystoneConfig config, std::shared_ptr<http::Client> client,
                                 SteadyNow now)
    : config_(std::move(config)), client_(std::move(client)), now_(std::move(now)) {
    if (!now_) now_ = [] { return Clock::now(); };
}

Result<std::string> KeystoneSession::token(const CallContext& ctx) {
    auto t = current(ctx);
    if (!t) return std::move(t).error();
    return (*t)->value;
}

Result<std::string> KeystoneSession::endpoint(std::string_view service_type,
                                              const CallContext& ctx) {
    auto t = current(ctx);
    if (!t) return std::move(t).error();
    return select_endpoint((*t)->catalog, service_type, config_.interface, config_.region);
}

void KeystoneSession::invalidate(const std::string& token) {
    std::lock_guard lock(mutex_);
    if (current_ && current_->token->value == token) current_.reset();
}

Result<std::shared_ptr<const KeystoneToken>> KeystoneSession::current(const CallContext& ctx) {
    std::unique_lock lock(mutex_);
    for (;;) {
        if (current_ && now_() < current_->renew_at) return current_->token;
        if (!in_flight_) break;
        // Someone is authenticating: share its outcome rather than asking Keystone again.
        const auto generation = generation_;
        while (in_flight_ && generation_ == generation) {
            if (auto ok = check_context(ctx, "waiting for the Keystone token"); !ok) {
                return std::move(ok).error();
            }
            changed_.wait_for(lock, wait_slice);
        }
        if (generation_ != generation && last_error_ && last_error_->code != Errc::cancelled &&
            last_error_->code != Errc::timeout) {
            return *last_error_;  // the credentials were refused just now: same answer
        }
    }
    in_flight_ = true;
    lock.unlock();
    auto fresh = authenticate(ctx);
    lock.lock();
    in_flight_ = false;
    ++generation_;
    if (fresh) {
        current_ = *fresh;
        last_error_.reset();
    } else {
        last_error_ = fresh.error();
    }
    changed_.notify_all();
    if (fresh) return fresh->token;
    // Keystone is unreachable or overloaded during an early renewal: the old token still has
    // a while to live, so the call goes on with it and the next one tries again.
    const bool transient =
        fresh.error().code == Errc::transient || fresh.error().code == Errc::timeout;
    if (transient && current_ &&
        std::chrono::system_clock::now() + still_valid_margin < current_->token->expires_at) {
        logger("keystone")
            ->warn(
                "{}token renewal failed ({}); using the current token until "
                "it expires",
                op_prefix(ctx.operation_id), fresh.error().message);
        return current_->token;
    }
    return std::move(fresh).error();
}

Result<KeystoneSession::Current> KeystoneSession::authenticate(const CallContext& ctx) {
    auto log = logger("keystone");
    const std::string url = tokens_url(config_.auth_url);
    http::Request request;
    request.method = "POST";
    request.url = url;
    request.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
    request.body = auth_request_body(config_);
    request.secret_body = true;  // password or application credential secret
    ++authentications_;
    log->debug("{}authenticating to {} as {}", op_prefix(ctx.operation_id), url,
               identity_of(config_));
    auto response = client_->send(request, ctx);
    if (!response) {
        Error e = with_request_context(std::move(response).error(), "POST", url);
        e.message = "Keystone " + e.message;
        log->warn("{}{}", op_prefix(ctx.operation_id), e.message);
        return e;
    }
    if (response->status != 201) {
        Error e = error_from_response("POST", url, *response);
        e.message = "Keystone authentication as " + identity_of(config_) + " failed: " + e.message;
        log->warn("{}{}", op_prefix(ctx.operation_id), e.message);
        return e;
    }
    auto token =
        parse_token_response(response->header("X-Subject-Token").value_or(""), response->body);
    if (!token) {
        log->warn("{}{}", op_prefix(ctx.operation_id), token.error().message);
        return std::move(token).error();
    }
    const auto reuse =
        token_reuse_period(token->issued_at, token->expires_at, config_.refresh_margin);
    Current out;
    out.renew_at = now_() + reuse;
    out.token = std::make_shared<const KeystoneToken>(std::move(*token));
    log->info("{}authenticated as {} (project {}): token valid for {} s, renewed after {} ms",
              op_prefix(ctx.operation_id), identity_of(config_), out.token->project_id,
              std::chrono::duration_cast<std::chrono::seconds>(out.token->expires_at -
                                                               out.token->issued_at)
                  .count(),
              reuse.count());
    return out;
}

Result<http::Response> KeystoneSession::send(http::Client& client, http::Request request,
                                             const CallContext& ctx) {
    auto log = logger(client.options().logger);
    for (int attempt = 0;; ++attempt) {
        auto token = current(ctx);
        if (!token) return std::move(token).error();
        set_header(request, "X-Auth-Token", (*token)->value);
        auto response = client.send(request, ctx);
        if (!response) {
            return with_request_context(std::move(response).error(), request.method, request.url);
        }
        if (response->status == 401 && attempt == 0) {
            log->info("{}{} {}: token refused (401), authenticating again",
                      op_prefix(ctx.operation_id), request.method, url_path(request.url));
            invalidate((*token)->value);
            continue;
        }
        return response;
    }
}

}  // namespace meshorch::openstack
