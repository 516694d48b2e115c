#include <meshorch/error.hpp>

namespace meshorch {

const char* to_string(Errc code) noexcept {
    switch (code) {
        case Errc::invalid_spec: return "invalid_spec";
        case Errc::parse_error: return "parse_error";
        case Errc::not_found: return "not_found";
        case Errc::conflict: return "conflict";
        case Errc::busy: return "busy";
        case Errc::transient: return "transient";
        case Errc::timeout: return "timeout";
        case Errc::cancelled: return "cancelled";
        case Errc::backend: return "backend";
        case Errc::invalid_argument: return "invalid_argument";
        case Errc::internal: return "internal";
        case Errc::io: return "io";
    }
    return "unknown";
}

std::string Error::describe() const {
    std::string out = to_string(code);
    out += ": ";
    out += message;
    if (line > 0) {
        out += " (line " + std::to_string(line) + ", column " + std::to_string(column) + ")";
    }
    if (http_status != 0) {
        out += " [HTTP " + std::to_string(http_status) + "]";
        if (!body_excerpt.empty()) out += " " + body_excerpt;
    }
    for (const auto& f : fields) {
        out += "\n  " + f.path + ": " + f.reason;
        if (f.line > 0) {
            out += " (line " + std::to_string(f.line) + ", column " + std::to_string(f.column) + ")";
        }
    }
    return out;
}

}  // namespace meshorch
