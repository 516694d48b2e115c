#include "http/url.hpp"

#include "http/client.hpp"

#include <boost/asio/ip/address.hpp>

#include <cctype>

namespace meshorch::http {

std::string url_encode(std::string_view component) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(component.size());
    for (const char ch : component) {
        const auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += ch;
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xF];
        }
    }
    return out;
}

namespace detail {

std::string Url::origin() const {
    return (tls ? "https://" : "http://") + authority_with_port();
}

std::string Url::authority() const {
    return default_port ? bracketed_host() : authority_with_port();
}

std::string Url::bracketed_host() const {
    return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

std::string Url::authority_with_port() const {
    return bracketed_host() + ":" + port;
}

bool Url::host_is_ip() const {
    boost::system::error_code ec;
    (void)boost::asio::ip::make_address(host, ec);
    return !ec;
}

Result<Url> parse_url(std::string_view url) {
    auto bad = [&](const char* why) {
        return make_error(Errc::invalid_argument,
                          "invalid URL \"" + std::string(url) + "\": " + why);
    };
    Url u;
    std::string_view rest = url;
    if (rest.starts_with("https://")) {
        u.tls = true;
        u.port = "443";
        rest.remove_prefix(8);
    } else if (rest.starts_with("http://")) {
        u.port = "80";
        rest.remove_prefix(7);
    } else {
        return bad("the scheme must be http:// or https://");
    }
    const auto path_at = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, path_at);
    std::string_view target = path_at == std::string_view::npos ? "" : rest.substr(path_at);
    if (const auto fragment = target.find('#'); fragment != std::string_view::npos) {
        target = target.substr(0, fragment);  // never sent
    }
    if (authority.find('@') != std::string_view::npos) {
        return bad("user information in URLs is not supported");
    }
    std::string_view port;
    if (authority.starts_with("[")) {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return bad("unclosed '[' in the host");
        u.host = std::string(authority.substr(1, close - 1));
        const auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after[0] != ':') return bad("unexpected text after the IPv6 address");
            port = after.substr(1);
        }
    } else {
        const auto colon = authority.rfind(':');
        u.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    }
    if (u.host.empty()) return bad("no host");
    if (!port.empty()) {
        if (port.size() > 5) return bad("the port is out of range");
        unsigned value = 0;
        for (const char c : port) {
            if (!std::isdigit(static_cast<unsigned char>(c)))
                return bad("the port is not a number");
            value = value * 10 + static_cast<unsigned>(c - '0');
        }
        if (value == 0 || value > 65535) return bad("the port is out of range");
        u.default_port = std::string(port) == u.port;
        u.port = std::to_string(value);
    }
    if (target.empty()) {
        u.target = "/";
    } else if (target[0] == '?') {
        u.target = "/" + std::string(target);
    } else {
        u.target = std::string(target);
    }
    for (const char c : u.target) {
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) {
            return bad("the path or query holds a space or control character (url_encode it)");
        }
    }
    return u;
}

}  // namespace detail
}  // namespace meshorch::http
