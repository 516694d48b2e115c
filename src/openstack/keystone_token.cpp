#include "openstack/keystone_token.hpp"

#include "openstack/json_fields.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>

namespace meshorch::openstack {

namespace {

constexpr std::string_view where = "Keystone POST /v3/auth/tokens";

bool has_password(const KeystoneConfig& c) {
    return !c.username.empty() || !c.password.empty();
}
bool has_app_credential(const KeystoneConfig& c) {
    return !c.application_credential_id.empty() || !c.application_credential_secret.empty();
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

}  // namespace

Status validate(const KeystoneConfig& c) {
    auto bad = [](std::string what) {
        return make_error(Errc::invalid_argument, "Keystone configuration: " + what);
    };
    if (c.auth_url.empty()) return bad("auth_url is empty");
    if (c.auth_url.rfind("http://", 0) != 0 && c.auth_url.rfind("https://", 0) != 0) {
        return bad("auth_url \"" + c.auth_url + "\" is not an http(s) URL");
    }
    if (has_password(c) && has_app_credential(c)) {
        return bad("set either username/password or an application credential, not both");
    }
    if (has_app_credential(c)) {
        if (c.application_credential_id.empty()) return bad("application_credential_id is empty");
        if (c.application_credential_secret.empty()) {
            return bad("application_credential_secret is empty");
        }
    } else {
        if (c.username.empty())
            return bad(
                "no credentials: set username/password or an "
                "application credential id/secret");
        if (c.password.empty()) return bad("password is empty for user " + c.username);
        if (c.user_domain_id.empty() && c.user_domain_name.empty()) {
            return bad("user_domain_name (or user_domain_id) is empty");
        }
        if (c.project_id.empty()) {
            if (c.project_name.empty())
                return bad(
                    "no project scope: set project_id or "
                    "project_name");
            if (c.project_domain_id.empty() && c.project_domain_name.empty()) {
                return bad("project_domain_name (or project_domain_id) is empty");
            }
        }
    }
    if (c.interface != "public" && c.interface != "internal" && c.interface != "admin") {
        return bad("interface \"" + c.interface + "\" is not public, internal or admin");
    }
    return Ok{};
}

std::string auth_request_body(const KeystoneConfig& c) {
    boost::json::object identity;
    if (has_app_credential(c)) {
        identity["methods"] = boost::json::array{"application_credential"};
        identity["application_credential"] = boost::json::object{
            {"id", c.application_credential_id}, {"secret", c.application_credential_secret}};
        // An application credential is bound to its project: a scope would be refused.
        return boost::json::serialize(
            boost::json::object{{"auth", boost::json::object{{"identity", identity}}}});
    }
    boost::json::object domain;
    if (!c.user_domain_id.empty()) {
        domain["id"] = c.user_domain_id;
    } else {
        domain["name"] = c.user_domain_name;
    }
    identity["methods"] = boost::json::array{"password"};
    identity["password"] = boost::json::object{
        {"user",
         boost::json::object{{"name", c.username}, {"domain", domain}, {"password", c.password}}}};
    boost::json::object project;
    if (!c.project_id.empty()) {
        project["id"] = c.project_id;
    } else {
        project["name"] = c.project_name;
        project["domain"] = c.project_domain_id.empty()
                                ? boost::json::object{{"name", c.project_domain_name}}
                                : boost::json::object{{"id", c.project_domain_id}};
    }
    return boost::json::serialize(boost::json::object{
        {"auth", boost::json::object{{"identity", identity},
                                     {"scope", boost::json::object{{"project", project}}}}}});
}

std::string tokens_url(std::string_view auth_url) {
    std::string url(auth_url);
    while (!url.empty() && url.back() == '/') url.pop_back();
    if (url.size() < 3 || url.compare(url.size() - 3, 3, "/v3") != 0) url += "/v3";
    return url + "/auth/tokens";
}

Result<std::chrono::system_clock::time_point> parse_keystone_time(std::string_view s) {
    int y, mo, d, h, mi, sec;
    const bool shape = digits(s, 0, 4, y) && s.size() > 4 && s[4] == '-' && digits(s, 5, 2, mo) &&
                       s.size() > 7 && s[7] == '-' && digits(s, 8, 2, d) && s.size() > 10 &&
                       (s[10] == 'T' || s[10] == ' ') && digits(s, 11, 2, h) && s.size() > 13 &&
                       s[13] == ':' && digits(s, 14, 2, mi) && s.size() > 16 && s[16] == ':' &&
                       digits(s, 17, 2, sec);
    auto invalid = [&] {
        return make_error(Errc::backend, "invalid timestamp \"" + std::string(s) + "\"");
    };
    if (!shape) return invalid();
    const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(unsigned(mo)),
                                          std::chrono::day(unsigned(d))};
    if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return invalid();
    std::size_t pos = 19;
    std::chrono::microseconds fraction{0};
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        long long value = 0;
        int n = 0;
        while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
            if (n < 6) {
                value = value * 10 + (s[pos] - '0');
                ++n;
            }
            ++pos;
        }
        if (n == 0) return invalid();
        for (; n < 6; ++n) value *= 10;
        fraction = std::chrono::microseconds(value);
    }
    std::chrono::minutes offset{0};
    if (pos < s.size()) {
        if (s[pos] == 'Z' && pos + 1 == s.size()) {
            // UTC
        } else if ((s[pos] == '+' || s[pos] == '-') && pos + 6 == s.size() && s[pos + 3] == ':') {
            int oh, om;
            if (!digits(s, pos + 1, 2, oh) || !digits(s, pos + 4, 2, om)) return invalid();
            offset = std::chrono::minutes(oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
        } else {
            return invalid();
        }
    }
    const auto tp = std::chrono::sys_days(ymd) + std::chrono::hours(h) + std::chrono::minutes(mi) +
                    std::chrono::seconds(sec) + fraction - offset;
    return std::chrono::time_point_cast<std::chrono::system_clock::duration>(tp);
}

Result<KeystoneToken> parse_token_response(std::string_view subject_token, std::string_view body) {
    if (subject_token.empty()) return malformed(where, "no X-Subject-Token header");
    auto root = parse_object(body, where);
    if (!root) return std::move(root).error();
    const auto* token = find_object(*root, "token");
    if (!token) return malformed(where, "no \"token\" object");
    KeystoneToken out;
    out.value = std::string(subject_token);
    auto expires = required_string(*token, "expires_at", where);
    if (!expires) return std::move(expires).error();
    auto expires_at = parse_keystone_time(*expires);
    if (!expires_at) return malformed(where, "expires_at: " + expires_at.error().message);
    out.expires_at = *expires_at;
    out.issued_at = std::chrono::system_clock::now();
    if (const auto* issued = find_string(*token, "issued_at")) {
        auto issued_at = parse_keystone_time(*issued);
        if (!issued_at) return malformed(where, "issued_at: " + issued_at.error().message);
        out.issued_at = *issued_at;
    }
    if (const auto* project = find_object(*token, "project")) {
        out.project_id = string_or_empty(*project, "id");
    }
    if (const auto* catalog = find_array(*token, "catalog")) out.catalog = parse_catalog(*catalog);
    return out;
}

std::chrono::milliseconds token_reuse_period(std::chrono::system_clock::time_point issued_at,
                                             std::chrono::system_clock::time_point expires_at,
                                             std::chrono::seconds margin) {
    const auto lifetime =
        std::chrono::duration_cast<std::chrono::milliseconds>(expires_at - issued_at);
    if (lifetime <= std::chrono::milliseconds(0)) return std::chrono::milliseconds(0);
    const auto early = std::min<std::chrono::milliseconds>(margin, lifetime / 2);
    return lifetime - early;
}

}  // namespace meshorch::openstack
