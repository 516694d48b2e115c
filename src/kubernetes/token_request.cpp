#include "kubernetes/token_request.hpp"

#include <boost/json/array.hpp>

#include <cstdio>
#include <ctime>

namespace meshorch::kubernetes::detail {

namespace json = boost::json;

json::object token_request(const std::string& audience, std::chrono::seconds lifetime) {
    return json::object{
        {"apiVersion", "authentication.k8s.io/v1"},
        {"kind", "TokenRequest"},
        {"spec", json::object{{"audiences", json::array{json::value(audience)}},
                              {"expirationSeconds", static_cast<std::int64_t>(lifetime.count())}}}};
}

Result<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
    const auto bad = [&] {
        return make_error(Errc::backend,
                          "\"" + std::string(text) + "\" is not an RFC 3339 timestamp");
    };
    const auto digits = [&](std::size_t pos, std::size_t n, int& out) {
        if (pos + n > text.size()) return false;
        out = 0;
        for (std::size_t i = pos; i < pos + n; ++i) {
            if (text[i] < '0' || text[i] > '9') return false;
            out = out * 10 + (text[i] - '0');
        }
        return true;
    };
    std::tm tm{};
    int year, month, day, hour, minute, second;
    if (!digits(0, 4, year) || text.size() < 20 || text[4] != '-' || !digits(5, 2, month) ||
        text[7] != '-' || !digits(8, 2, day) || (text[10] != 'T' && text[10] != 't') ||
        !digits(11, 2, hour) || text[13] != ':' || !digits(14, 2, minute) || text[16] != ':' ||
        !digits(17, 2, second)) {
        return bad();
    }
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
        return bad();
    }
    std::size_t pos = 19;
    if (pos < text.size() && text[pos] == '.') {  // fractional seconds: dropped
        ++pos;
        const std::size_t start = pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
        if (pos == start) return bad();
    }
    long offset = 0;
    if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
        ++pos;
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
        int oh, om;
        if (!digits(pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
            !digits(pos + 4, 2, om)) {
            return bad();
        }
        offset = (text[pos] == '-' ? -1 : 1) * (oh * 3600L + om * 60L);
        pos += 6;
    } else {
        return bad();
    }
    if (pos != text.size()) return bad();
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    const std::time_t t = ::timegm(&tm);
    return std::chrono::system_clock::from_time_t(t - offset);
}

Result<ServiceAccountToken> parse_token_response(const json::value& doc) {
    const auto* o = doc.if_object();
    const auto* status = o ? o->if_contains("status") : nullptr;
    if (!status || !status->is_object()) {
        return make_error(Errc::backend, "TokenRequest answer has no status");
    }
    const auto& s = status->get_object();
    const auto* token = s.if_contains("token");
    if (!token || !token->is_string() || token->get_string().empty()) {
        return make_error(Errc::backend, "TokenRequest answer has no status.token");
    }
    const auto* expires = s.if_contains("expirationTimestamp");
    if (!expires || !expires->is_string()) {
        return make_error(Errc::backend, "TokenRequest answer has no status.expirationTimestamp");
    }
    auto when = parse_rfc3339(expires->get_string());
    if (!when) {
        return make_error(Errc::backend,
                          "TokenRequest status.expirationTimestamp: " + when.error().message);
    }
    return ServiceAccountToken{std::string(token->get_string()), *when};
}

}  // namespace meshorch::kubernetes::detail
