#include "api/spec_body.hpp"

#include <meshorch/spec.hpp>

#include <algorithm>
#include <cctype>
#include <string>

namespace meshorch::api {

namespace {

enum class BodyFormat { json, yaml, unsupported };

BodyFormat format_of(std::string_view content_type) {
    std::string media(content_type.substr(0, content_type.find(';')));
    media.erase(std::remove_if(media.begin(), media.end(),
                               [](unsigned char c) { return std::isspace(c) != 0; }),
                media.end());
    std::transform(media.begin(), media.end(), media.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (media == "application/json") return BodyFormat::json;
    if (media == "application/yaml" || media == "application/x-yaml" || media == "text/yaml") {
        return BodyFormat::yaml;
    }
    return BodyFormat::unsupported;
}

}  // namespace

std::variant<ServiceSpec, ApiError> read_spec_body(const http::ServerRequest& request) {
    const auto content_type = request.header("Content-Type");
    const BodyFormat format = content_type ? format_of(*content_type) : BodyFormat::unsupported;
    if (format == BodyFormat::unsupported) {
        return api_error(415, "unsupported_media_type",
                         "the body must be a service spec as application/json or "
                         "application/yaml (also application/x-yaml, text/yaml); got " +
                             (content_type ? "\"" + *content_type + "\"" : std::string("none")));
    }
    if (format == BodyFormat::json) {
        // The document reader takes text that starts with '{' as JSON (and reports JSON syntax
        // errors with their position); anything else would be read as YAML.
        const auto first = request.body.find_first_not_of(" \t\r\n");
        if (first == std::string::npos || request.body[first] != '{') {
            ApiError e = api_error(400, to_string(Errc::parse_error),
                                   "a JSON service spec must be an object, starting with '{'");
            if (first != std::string::npos) {
                const auto before = std::string_view(request.body).substr(0, first);
                e.line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
                const auto newline = before.rfind('\n');
                e.column = static_cast<int>(
                    first - (newline == std::string_view::npos ? 0 : newline + 1) + 1);
            }
            return e;
        }
    }
    auto spec = load_spec(request.body);
    if (!spec) return api_error(spec.error());
    return std::move(spec).value();
}

}  // namespace meshorch::api
