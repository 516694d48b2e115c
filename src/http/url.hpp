// Internal: the parts of an absolute http(s) URL the client needs to connect and to ask.
#pragma once

#include <meshorch/error.hpp>

#include <string>
#include <string_view>

namespace meshorch::http::detail {

struct Url {
    bool tls = false;    // https
    std::string host;    // without IPv6 brackets
    std::string port;    // explicit or the scheme's default
    std::string target;  // path and query, at least "/"
    bool default_port = true;

    // "https://host:port", the key of a connection pool (and the Host header's authority part).
    std::string origin() const;
    // The Host header value: host, plus the port when it is not the scheme's default.
    std::string authority() const;
    // "host:port" with IPv6 hosts in brackets, for messages and the pool key.
    std::string authority_with_port() const;
    std::string bracketed_host() const;
    // True when host is an IPv4 or IPv6 literal (no SNI, verified against IP SANs).
    bool host_is_ip() const;
};

// Fails with Errc::invalid_argument saying what is wrong with `url`.
Result<Url> parse_url(std::string_view url);

}  // namespace meshorch::http::detail
