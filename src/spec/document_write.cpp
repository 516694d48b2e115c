// to_yaml, to_yaml_stream, to_pretty_json: one pass over the value, appending to one string.

#include <meshorch/document.hpp>

#include "spec/scalars.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include <charconv>
#include <cmath>

namespace meshorch {

namespace {

constexpr char hex_digits[] = "0123456789ABCDEF";

void append_int(std::string& out, std::int64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void append_uint(std::string& out, std::uint64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

// ---- YAML ----------------------------------------------------------------------------------

// Length of the UTF-8 sequence at s[i] when it encodes a code point YAML readers treat
// specially (NEL U+0085, LS U+2028, PS U+2029, BOM U+FEFF), else 0.
std::size_t special_code_point(std::string_view s, std::size_t i, const char*& escape) {
    const auto c0 = static_cast<unsigned char>(s[i]);
    if (c0 == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x85) {
        escape = "\\u0085";  // not \N: yaml-cpp 0.7 reads that as a bare 0x85 byte
        return 2;
    }
    if (c0 == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80) {
        const auto c2 = static_cast<unsigned char>(s[i + 2]);
        if (c2 == 0xA8) {
            escape = "\\u2028";
            return 3;
        }
        if (c2 == 0xA9) {
            escape = "\\u2029";
            return 3;
        }
    }
    if (c0 == 0xEF && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xBB &&
        static_cast<unsigned char>(s[i + 2]) == 0xBF) {
        escape = "\\uFEFF";
        return 3;
    }
    return 0;
}

void append_double_quoted(std::string& out, std::string_view s) {
    out += '"';
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
            case '"': out += "\\\""; continue;
            case '\\': out += "\\\\"; continue;
            case '\n': out += "\\n"; continue;
            case '\t': out += "\\t"; continue;
            case '\r': out += "\\r"; continue;
            case '\0': out += "\\0"; continue;
            default: break;
        }
        if (u < 0x20 || u == 0x7f) {
            out += "\\x";
            out += hex_digits[u >> 4];
            out += hex_digits[u & 0xf];
            continue;
        }
        if (u >= 0x80) {
            const char* escape = nullptr;
            if (const std::size_t len = special_code_point(s, i, escape)) {
                out += escape;
                i += len - 1;
                continue;
            }
        }
        out += c;
    }
    out += '"';
}

// A multi-line string that a literal block scalar ("|" or "|-") carries exactly: printable
// text, no line made only of spaces, no leading space, at most one trailing newline.
bool fits_literal_block(std::string_view s) {
    if (s.find('\n') == std::string_view::npos) return false;
    if (s.front() == ' ' || s.front() == '\n') return false;
    if (s.size() >= 2 && s.substr(s.size() - 2) == "\n\n") return false;
    std::size_t line_start = 0;
    bool only_spaces = true;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto u = static_cast<unsigned char>(s[i]);
        if (s[i] == '\n') {
            if (only_spaces && i > line_start) return false;
            line_start = i + 1;
            only_spaces = true;
            continue;
        }
        if (u < 0x20 || u == 0x7f) return false;  // tabs, CR and other controls
        if (u >= 0x80) {
            const char* escape = nullptr;
            if (special_code_point(s, i, escape) != 0) return false;
        }
        if (s[i] != ' ') only_spaces = false;
    }
    return !(only_spaces && s.size() > line_start);
}

// Longest key written as "key: value"; longer ones use the explicit "? key" form.
constexpr std::size_t max_implicit_key = 1000;

class YamlWriter {
public:
    explicit YamlWriter(std::string& out) : out_(out) {}

    // Writes a document: a value at the top level, ending with a newline.
    void document(const boost::json::value& v) {
        if (is_block(v)) {
            block(v, 0, false);
        } else {
            inline_value(v, 2);
            out_ += '\n';
        }
    }

private:
    static bool is_block(const boost::json::value& v) {
        return (v.is_object() && !v.get_object().empty()) ||
               (v.is_array() && !v.get_array().empty());
    }

    void indent(int n) { out_.append(static_cast<std::size_t>(n), ' '); }

    // A non-empty mapping or sequence whose first line starts at the cursor (when `inline_first`)
    // or on a fresh line at `n` spaces.
    void block(const boost::json::value& v, int n, bool inline_first) {
        bool first = true;
        if (v.is_object()) {
            for (const auto& kv : v.get_object()) {
                if (!(first && inline_first)) indent(n);
                first = false;
                const std::size_t key_start = out_.size();
                key(kv.key());
                if (out_.size() - key_start <= max_implicit_key) {
                    out_ += ':';
                    after_key(kv.value(), n);
                } else {
                    // YAML limits implicit keys to 1024 characters: "? key" / ": value".
                    out_.insert(key_start, "? ");
                    out_ += '\n';
                    indent(n);
                    out_ += ':';
                    if (is_block(kv.value())) {
                        out_ += '\n';
                        block(kv.value(), n + 2, false);
                    } else {
                        out_ += ' ';
                        inline_value(kv.value(), n + 2);
                        out_ += '\n';
                    }
                }
            }
        } else {
            for (const auto& item : v.get_array()) {
                if (!(first && inline_first)) indent(n);
                first = false;
                out_ += '-';
                if (is_block(item)) {
                    out_ += ' ';
                    block(item, n + 2, true);
                } else {
                    out_ += ' ';
                    inline_value(item, n + 2);
                    out_ += '\n';
                }
            }
        }
    }

    // The value of a mapping entry whose key sits at `n` spaces.
    void after_key(const boost::json::value& v, int n) {
        if (v.is_object() && !v.get_object().empty()) {
            out_ += '\n';
            block(v, n + 2, false);
        } else if (v.is_array() && !v.get_array().empty()) {
            out_ += '\n';
            block(v, n, false);  // sequences in mappings are not indented (kubectl style)
        } else {
            out_ += ' ';
            inline_value(v, n + 2);
            out_ += '\n';
        }
    }

    void key(std::string_view k) {
        if (spec_detail::needs_quotes(k)) {
            append_double_quoted(out_, k);
        } else {
            out_ += k;
        }
    }

    // A scalar or an empty collection; `content_indent` is where a block scalar's lines go.
    void inline_value(const boost::json::value& v, int content_indent) {
        switch (v.kind()) {
            case boost::json::kind::null: out_ += "null"; break;
            case boost::json::kind::bool_: out_ += v.get_bool() ? "true" : "false"; break;
            case boost::json::kind::int64: append_int(out_, v.get_int64()); break;
            case boost::json::kind::uint64: append_uint(out_, v.get_uint64()); break;
            case boost::json::kind::double_: {
                const double d = v.get_double();
                if (std::isnan(d)) {
                    out_ += ".nan";
                } else if (std::isinf(d)) {
                    out_ += d < 0 ? "-.inf" : ".inf";
                } else {
                    out_ += spec_detail::format_double(d);
                }
                break;
            }
            case boost::json::kind::string: string(v.get_string(), content_indent); break;
            case boost::json::kind::array: out_ += "[]"; break;
            case boost::json::kind::object: out_ += "{}"; break;
        }
    }

    void string(std::string_view s, int content_indent) {
        if (fits_literal_block(s)) {
            out_ += s.back() == '\n' ? "|" : "|-";
            std::size_t start = 0;
            while (start < s.size()) {
                std::size_t end = s.find('\n', start);
                if (end == std::string_view::npos) end = s.size();
                out_ += '\n';
                if (end > start) {
                    indent(content_indent);
                    out_.append(s.substr(start, end - start));
                }
                start = end + 1;
            }
        } else if (spec_detail::needs_quotes(s)) {
            append_double_quoted(out_, s);
        } else {
            out_ += s;
        }
    }

    std::string& out_;
};

// ---- JSON ----------------------------------------------------------------------------------

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    std::size_t run = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto u = static_cast<unsigned char>(s[i]);
        if (u >= 0x20 && s[i] != '"' && s[i] != '\\') continue;
        out.append(s.substr(run, i - run));
        run = i + 1;
        switch (s[i]) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                out += "\\u00";
                out += hex_digits[u >> 4];
                out += hex_digits[u & 0xf];
        }
    }
    out.append(s.substr(run));
    out += '"';
}

void write_json(std::string& out, const boost::json::value& v, int n) {
    switch (v.kind()) {
        case boost::json::kind::null: out += "null"; break;
        case boost::json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
        case boost::json::kind::int64: append_int(out, v.get_int64()); break;
        case boost::json::kind::uint64: append_uint(out, v.get_uint64()); break;
        case boost::json::kind::double_: {
            const double d = v.get_double();
            out += std::isfinite(d) ? spec_detail::format_double(d) : "null";
            break;
        }
        case boost::json::kind::string: append_json_string(out, v.get_string()); break;
        case boost::json::kind::array: {
            const auto& a = v.get_array();
            if (a.empty()) {
                out += "[]";
                break;
            }
            out += '[';
            bool first = true;
            for (const auto& item : a) {
                out += first ? "\n" : ",\n";
                first = false;
                out.append(static_cast<std::size_t>(n + 2), ' ');
                write_json(out, item, n + 2);
            }
            out += '\n';
            out.append(static_cast<std::size_t>(n), ' ');
            out += ']';
            break;
        }
        case boost::json::kind::object: {
            const auto& o = v.get_object();
            if (o.empty()) {
                out += "{}";
                break;
            }
            out += '{';
            bool first = true;
            for (const auto& kv : o) {
                out += first ? "\n" : ",\n";
                first = false;
                out.append(static_cast<std::size_t>(n + 2), ' ');
                append_json_string(out, kv.key());
                out += ": ";
                write_json(out, kv.value(), n + 2);
            }
            out += '\n';
            out.append(static_cast<std::size_t>(n), ' ');
            out += '}';
            break;
        }
    }
}

}  // namespace

std::string to_yaml(const boost::json::value& value) {
    std::string out;
    YamlWriter(out).document(value);
    return out;
}

std::string to_yaml_stream(const std::vector<boost::json::value>& documents) {
    std::string out;
    bool first = true;
    for (const auto& doc : documents) {
        if (!first) out += "---\n";
        first = false;
        YamlWriter(out).document(doc);
    }
    // A stream that starts with "{}" or "[]" would be taken for JSON: mark it as YAML.
    if (documents.size() > 1 && (out.front() == '{' || out.front() == '[')) {
        out.insert(0, "---\n");
    }
    return out;
}

std::string to_pretty_json(const boost::json::value& value) {
    std::string out;
    write_json(out, value, 0);
    out += '\n';
    return out;
}

}  // namespace meshorch
