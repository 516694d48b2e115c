#include "kubernetes/api_error.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace meshorch::kubernetes::detail {

namespace json = boost::json;

namespace {

struct StatusBody {
    std::string message;
    std::string reason;
};

// The Status an API server sends with every refusal; std::nullopt when the body is not one
// (a proxy's HTML page, an empty body).
std::optional<StatusBody> parse_status(std::string_view body) {
    boost::system::error_code ec;
    const json::value doc = json::parse(body, ec);
    if (ec || !doc.is_object()) return std::nullopt;
    const auto& o = doc.get_object();
    const auto* kind = o.if_contains("kind");
    if (!kind || !kind->is_string() || kind->get_string() != "Status") return std::nullopt;
    StatusBody s;
    if (const auto* m = o.if_contains("message"); m && m->is_string()) {
        s.message = std::string(m->get_string());
    }
    if (const auto* r = o.if_contains("reason"); r && r->is_string()) {
        s.reason = std::string(r->get_string());
    }
    return s;
}

const char* reason_phrase(int status) {
    switch (status) {
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 409: return "Conflict";
        case 410: return "Gone";
        case 415: return "Unsupported Media Type";
        case 422: return "Unprocessable Entity";
        case 429: return "Too Many Requests";
        case 500: return "Internal Server Error";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        default: return "";
    }
}

Errc classify(int status) {
    if (status == 409) return Errc::conflict;
    if (status == 429 || status == 408 || status >= 500) return Errc::transient;
    if (status == 404) return Errc::not_found;
    return Errc::backend;
}

// Retry-After is delay-seconds for the API server (an HTTP date is also legal HTTP, but
// Kubernetes never sends one); anything else is ignored.
std::optional<long> retry_after_seconds(const std::optional<std::string>& header) {
    if (!header || header->empty() || header->size() > 9) return std::nullopt;
    long v = 0;
    for (char c : *header) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

}  // namespace

std::string body_excerpt(std::string_view body) {
    if (body.size() <= body_excerpt_bytes) return std::string(body);
    std::size_t n = body_excerpt_bytes;
    // Do not cut a UTF-8 sequence in half: step back over continuation bytes.
    while (n > 0 && (static_cast<unsigned char>(body[n]) & 0xC0) == 0x80) --n;
    return std::string(body.substr(0, n)) + "...";
}

Error api_error(std::string_view method, std::string_view path, int status, std::string_view body,
                const std::optional<std::string>& retry_after) {
    Error e;
    e.code = classify(status);
    e.http_status = status;
    e.body_excerpt = body_excerpt(body);

    std::string what;
    if (auto s = parse_status(body); s && !s->message.empty()) {
        what = s->message;
        if (!s->reason.empty()) what += " (" + s->reason + ")";
    } else {
        what = "HTTP " + std::to_string(status);
        if (const char* phrase = reason_phrase(status); *phrase) what += std::string(" ") + phrase;
        if (s && !s->reason.empty()) what += " (" + s->reason + ")";
    }
    if (status == 401) {
        what = "unauthorized: check the kubeconfig token/certificate: " + what;
    } else if (status == 403) {
        // A namespace being deleted refuses new objects with 403 too; that is no RBAC matter.
        const bool terminating = what.find("being terminated") != std::string::npos;
        what = terminating ? "forbidden: " + what
                           : "forbidden: the credentials lack permission (RBAC): " + what;
    }
    e.message = std::string(method) + " " + std::string(path) + ": " + what;
    if (status == 429) {
        if (auto secs = retry_after_seconds(retry_after)) {
            e.message += "; retry after " + std::to_string(*secs) + " s";
            e.fields.push_back(FieldError{"retry_after", std::to_string(*secs), 0, 0});
        }
    }
    return e;
}

Error malformed_response(std::string_view method, std::string_view path, int status,
                         std::string_view what, std::string_view body) {
    Error e = make_error(Errc::backend, "malformed response from " + std::string(method) + " " +
                                            std::string(path) + ": " + std::string(what));
    e.http_status = status;
    e.body_excerpt = body_excerpt(body);
    return e;
}

}  // namespace meshorch::kubernetes::detail
