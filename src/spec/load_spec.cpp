// load_spec: parse, decode, validate, and put every problem in one Error with positions.

#include <meshorch/document.hpp>
#include <meshorch/spec.hpp>

#include "spec/json_path.hpp"
#include "spec/spec_codec.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

namespace meshorch {

namespace {

// validate() runs on what decoding could read; drop what it says about fields that already
// have a decoding error (or lie inside or around one), so one mistake is reported once.
// (An unknown field says nothing about its siblings, so it only shadows what lies inside it.)
bool shadowed(const FieldError& e, const std::vector<FieldError>& decode_errors) {
    return std::any_of(decode_errors.begin(), decode_errors.end(), [&](const FieldError& d) {
        if (spec_detail::path_within(e.path, d.path)) return true;
        return d.reason.rfind("unknown field", 0) != 0 && spec_detail::path_within(d.path, e.path);
    });
}

Error invalid_spec(std::vector<FieldError> fields) {
    std::string message;
    const FieldError& first = fields.front();
    const std::string where = first.path.empty() ? std::string("the document") : first.path;
    if (fields.size() == 1) {
        message = "invalid service spec: " + where + ": " + first.reason;
    } else {
        message = "invalid service spec: " + std::to_string(fields.size()) +
                  " problems, the first: " + where + ": " + first.reason;
    }
    Error e = make_error(Errc::invalid_spec, std::move(message));
    e.fields = std::move(fields);
    return e;
}

}  // namespace

Result<ServiceSpec> load_spec(std::string_view text) {
    auto parsed = parse_document(text);
    if (!parsed) return std::move(parsed).error();
    const ParsedDocument& doc = parsed.value();

    spec_detail::Decoded decoded = spec_detail::decode_spec(doc.value);
    std::vector<FieldError> fields = std::move(decoded.errors);
    if (!(fields.size() == 1 && fields.front().path.empty())) {  // the root was a mapping
        const std::vector<FieldError> decode_errors = fields;
        for (auto& e : validate(decoded.spec)) {
            if (shadowed(e, decode_errors)) continue;
            // A namespace copied from an invalid name would repeat the name's error.
            if (decoded.namespace_defaulted && e.path == "metadata.namespace") continue;
            const bool duplicate = std::any_of(
                fields.begin(), fields.end(),
                [&](const FieldError& f) { return f.path == e.path && f.reason == e.reason; });
            if (!duplicate) fields.push_back(std::move(e));
        }
    }
    if (fields.empty()) return std::move(decoded.spec);

    for (auto& f : fields) {
        if (auto pos = spec_detail::find_position(doc.positions, f.path)) {
            f.line = pos->first;
            f.column = pos->second;
        }
    }
    std::stable_sort(fields.begin(), fields.end(), [](const FieldError& a, const FieldError& b) {
        return std::pair(a.line, a.column) < std::pair(b.line, b.column);
    });
    return invalid_spec(std::move(fields));
}

Result<ServiceSpec> load_spec_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return make_error(Errc::io, "cannot read " + path + ": " + std::strerror(errno));
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return make_error(Errc::io, "cannot read " + path);
    auto spec = load_spec(text);
    if (!spec) {
        Error e = std::move(spec).error();
        e.message = path + ": " + e.message;
        return e;
    }
    return spec;
}

}  // namespace meshorch
