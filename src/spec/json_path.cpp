#include "spec/json_path.hpp"

namespace meshorch::spec_detail {

namespace {

bool is_plain_key(std::string_view key) {
    if (key.empty()) return false;
    const char first = key.front();
    if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z') || first == '_')) {
        return false;
    }
    for (char c : key) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

void append_quoted(std::string& out, std::string_view key) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (char ch : key) {
        const auto c = static_cast<unsigned char>(ch);
        if (ch == '"' || ch == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20) {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 0xf];
        } else {
            out += ch;
        }
    }
    out += '"';
}

}  // namespace

std::string member_path(std::string_view parent, std::string_view key) {
    std::string out;
    out.reserve(parent.size() + key.size() + 5);
    out += parent;
    if (is_plain_key(key)) {
        if (!parent.empty()) out += '.';
        out += key;
    } else {
        out += '[';
        append_quoted(out, key);
        out += ']';
    }
    return out;
}

std::string index_path(std::string_view parent, std::size_t index) {
    std::string out;
    out.reserve(parent.size() + 8);
    out += parent;
    out += '[';
    out += std::to_string(index);
    out += ']';
    return out;
}

std::optional<std::string_view> parent_path(std::string_view path) {
    if (path.empty()) return std::nullopt;
    // The last segment starts at the last '.' or '[' outside a quoted key.
    std::size_t last = 0;
    bool in_quotes = false;
    for (std::size_t i = 0; i < path.size(); ++i) {
        const char c = path[i];
        if (in_quotes) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_quotes = false;
            }
        } else if (c == '"') {
            in_quotes = true;
        } else if (c == '.' || c == '[') {
            last = i;
        }
    }
    return path.substr(0, last);
}

bool path_within(std::string_view path, std::string_view ancestor) {
    if (ancestor.empty()) return true;
    if (path.size() < ancestor.size() || path.substr(0, ancestor.size()) != ancestor) return false;
    if (path.size() == ancestor.size()) return true;
    const char next = path[ancestor.size()];
    return next == '.' || next == '[';
}

std::optional<std::pair<int, int>> find_position(const SourceMap& positions,
                                                 std::string_view path) {
    std::optional<std::string_view> p = path;
    while (p) {
        if (auto it = positions.find(std::string(*p)); it != positions.end()) return it->second;
        p = parent_path(*p);
    }
    return std::nullopt;
}

}  // namespace meshorch::spec_detail
