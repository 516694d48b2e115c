#include "openstack/api_error.hpp"

#include "openstack/json_fields.hpp"

#include <boost/json/parse.hpp>

namespace meshorch::openstack {

namespace {

constexpr std::size_t excerpt_bytes = 512;

std::string trimmed_excerpt(std::string_view body, std::size_t max) {
    std::string out;
    for (char c : body.substr(0, max)) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

std::string message_of(const boost::json::object& o) {
    if (auto d = string_or_empty(o, "detail"); !d.empty()) return d;  // ProblemDetails
    if (const auto* e = find_object(o, "error")) {                    // Keystone
        if (auto m = string_or_empty(*e, "message"); !m.empty()) return m;
    }
    if (auto t = string_or_empty(o, "title"); !t.empty()) return t;
    if (o.size() == 1 && o.begin()->value().is_object()) {  // Nova: {"itemNotFound": {...}}
        if (auto m = string_or_empty(o.begin()->value().get_object(), "message"); !m.empty()) {
            return m;
        }
    }
    if (auto m = string_or_empty(o, "message"); !m.empty()) return m;
    return {};
}

}  // namespace

Errc errc_for_status(int status) noexcept {
    if (status == 409) return Errc::conflict;
    if (status == 429 || status >= 500) return Errc::transient;
    if (status == 404) return Errc::not_found;
    return Errc::backend;
}

std::string error_detail(int status, std::string_view body) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(body, ec);
    if (!ec && v.is_object()) {
        if (auto m = message_of(v.get_object()); !m.empty()) return m;
    }
    if (auto text = trimmed_excerpt(body, 200); !text.empty()) return text;
    return "HTTP " + std::to_string(status);
}

std::string url_path(std::string_view url) {
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos) return std::string(url);
    const auto slash = url.find('/', scheme + 3);
    return slash == std::string_view::npos ? std::string("/") : std::string(url.substr(slash));
}

Error error_from_response(std::string_view method, std::string_view url,
                          const http::Response& response) {
    Error e = make_error(errc_for_status(response.status),
                         std::string(method) + " " + url_path(url) + ": " +
                             error_detail(response.status, response.body) + " (" +
                             std::to_string(response.status) + ")");
    e.http_status = response.status;
    e.body_excerpt = trimmed_excerpt(response.body, excerpt_bytes);
    return e;
}

Error with_request_context(Error error, std::string_view method, std::string_view url) {
    error.message = std::string(method) + " " + url_path(url) + ": " + error.message;
    return error;
}

}  // namespace meshorch::openstack
