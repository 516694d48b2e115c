// The message helpers of client.hpp: header look-up and what a log line may show of a header.
#include "http/client.hpp"

#include <boost/beast/core/string.hpp>

#include <array>

namespace meshorch::http {

std::optional<std::string> Response::header(std::string_view name) const {
    for (const auto& h : headers) {
        if (boost::beast::iequals(h.name, name)) return h.value;
    }
    return std::nullopt;
}

std::string loggable_header_value(std::string_view name, std::string_view value) {
    // Credentials travel in these; their values never reach a log line.
    static constexpr std::array<std::string_view, 6> secret = {
        "authorization", "proxy-authorization", "x-auth-token", "x-subject-token",
        "cookie",        "set-cookie"};
    for (const auto s : secret) {
        if (boost::beast::iequals(name, s)) return "<redacted>";
    }
    return std::string(value);
}

}  // namespace meshorch::http
