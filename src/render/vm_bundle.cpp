// The VM bootstrap bundle, as `istioctl x workload entry configure` renders it
// (istio/istio istioctl/pkg/workload/workload.go: createMeshConfig, createClusterEnv, createHosts,
// createCertsTokens). Each step below names the istioctl code it follows.
#include <meshorch/vm_bundle.hpp>

#include "model/utf8.hpp"
#include "render/detail.hpp"
#include "render/shell_quote.hpp"

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace meshorch {
namespace {

namespace json = boost::json;

// ---- UTF-8 ---------------------------------------------------------------------------------

using utf8::append_utf8;
using utf8::decode_utf8;

bool is_clean(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        char32_t cp = 0;
        if (!decode_utf8(s, i, cp) || cp == 0) return false;
    }
    return true;
}

// A value every file can hold: NUL bytes dropped (bash drops them when it sources cluster.env),
// invalid UTF-8 replaced by U+FFFD (YAML cannot hold it; Go's JSON encoder does the same).
std::string clean(std::string_view s) {
    if (is_clean(s)) return std::string(s);
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        char32_t cp = 0;
        if (!decode_utf8(s, i, cp)) {
            append_utf8(out, 0xFFFD);
        } else if (cp != 0) {
            append_utf8(out, cp);
        }
    }
    return out;
}

std::u32string code_points(std::string_view s) {
    std::u32string out;
    out.reserve(s.size());  // at most one code point per byte
    for (std::size_t i = 0; i < s.size();) {
        char32_t cp = 0xFFFD;
        if (!decode_utf8(s, i, cp)) cp = 0xFFFD;
        out += cp;
    }
    return out;
}

// ---- Go's encoding/json string encoding (json.Marshal, HTML-safe) ---------------------------

void append_hex4(std::string& out, unsigned v) {
    static constexpr char digits[] = "0123456789abcdef";
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += digits[(v >> shift) & 0xF];
}

// As Go's encodeState.string with escapeHTML: ", \ and control characters escaped (\b \f \n \r \t
// short), <, >, & as \u003c \u003e \u0026, U+2028/U+2029 escaped, invalid UTF-8 as \ufffd.
void append_go_json_string(std::string& out, std::string_view s) {
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x80) {
            ++i;
            switch (b) {
                case '"': out += "\\\""; break;
                case '\\': out += "\\\\"; break;
                case '\b': out += "\\b"; break;
                case '\f': out += "\\f"; break;
                case '\n': out += "\\n"; break;
                case '\r': out += "\\r"; break;
                case '\t': out += "\\t"; break;
                case '<':
                case '>':
                case '&': append_hex4(out, b); break;
                default:
                    if (b < 0x20) {
                        append_hex4(out, b);
                    } else {
                        out += static_cast<char>(b);
                    }
            }
            continue;
        }
        std::size_t start = i;
        char32_t cp = 0;
        if (!decode_utf8(s, i, cp)) {
            out += "\\ufffd";
        } else if (cp == 0x2028 || cp == 0x2029) {
            append_hex4(out, static_cast<unsigned>(cp));
        } else {
            out.append(s.substr(start, i - start));
        }
    }
    out += '"';
}

// json.Marshal(map[string]string): keys in byte order (std::map's order).
std::string go_json_object(const std::map<std::string, std::string>& m) {
    std::string out = "{";
    bool first = true;
    for (const auto& [k, v] : m) {
        if (!first) out += ',';
        first = false;
        append_go_json_string(out, k);
        out += ':';
        append_go_json_string(out, v);
    }
    out += '}';
    return out;
}

// ---- YAML, in the shape sigs.k8s.io/yaml (go-yaml v2) writes it ------------------------------
//
// Block mappings indented by two, sequences at their key's indentation, map keys in go-yaml v2's
// order (sorter.go: at the first difference two letters compare by code point, a non-letter sorts
// before a letter, digit runs compare as numbers). Scalars: plain when that reads back as the same
// string; double-quoted when plain would read as another type (null, bool, number) as go-yaml
// does; otherwise single-quoted, or double-quoted with escapes for control characters and line
// breaks (go-yaml uses a literal block there; the value is the same). Long scalars are not folded.

bool yaml_is_letter(char32_t c) {
    // unicode.IsLetter for ASCII; other code points count as letters (keys here are ASCII).
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c >= 0x80;
}
bool yaml_is_digit(char32_t c) {
    return c >= '0' && c <= '9';
}

bool yaml_key_less(const std::u32string& a, const std::u32string& b) {
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
        if (a[i] == b[i]) continue;
        bool al = yaml_is_letter(a[i]);
        bool bl = yaml_is_letter(b[i]);
        if (al && bl) return a[i] < b[i];
        if (al || bl) return bl;
        std::int64_t an = 0, bn = 0;
        if (a[i] == '0' || b[i] == '0') {
            for (std::size_t j = i; j-- > 0 && yaml_is_digit(a[j]);) {
                if (a[j] != '0') {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        std::size_t ai = i, bi = i;
        for (; ai < a.size() && yaml_is_digit(a[ai]); ++ai) an = an * 10 + (a[ai] - '0');
        for (; bi < b.size() && yaml_is_digit(b[bi]); ++bi) bn = bn * 10 + (b[bi] - '0');
        if (an != bn) return an < bn;
        if (ai != bi) return ai < bi;
        return a[i] < b[i];
    }
    return a.size() < b.size();
}

// The keys of `o` in go-yaml's order. Insertion sort: deterministic, and safe whatever the
// comparator's properties.
std::vector<std::string_view> yaml_sorted_keys(const json::object& o) {
    std::vector<std::pair<std::u32string, std::string_view>> keys;
    keys.reserve(o.size());
    for (const auto& kv : o) keys.emplace_back(code_points(kv.key()), kv.key());
    for (std::size_t i = 1; i < keys.size(); ++i) {
        for (std::size_t j = i; j > 0 && yaml_key_less(keys[j].first, keys[j - 1].first); --j) {
            std::swap(keys[j], keys[j - 1]);
        }
    }
    std::vector<std::string_view> out;
    out.reserve(keys.size());
    for (auto& k : keys) out.push_back(k.second);
    return out;
}

// Would a plain scalar `s` read as something other than a string (YAML 1.1 or 1.2)? Errs on the
// side of "yes": anything that starts like a number is quoted.
bool yaml_resolves_to_non_string(std::string_view s) {
    if (s.empty() || s == "~" || s == "<<" || s == "=") return true;
    static constexpr std::string_view words[] = {
        "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE",
        "y",    "Y",    "yes",  "Yes",  "YES",  "n",    "N",     "no",    "No",
        "NO",   "on",   "On",   "ON",   "off",  "Off",  "OFF"};
    for (auto w : words) {
        if (s == w) return true;
    }
    char c = s[0];
    if (c >= '0' && c <= '9') return true;
    if (c == '+' || c == '-' || c == '.') {
        if (s.size() > 1 && ((s[1] >= '0' && s[1] <= '9') || s[1] == '.')) return true;
        std::string lower;
        for (char ch : s) lower += static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
        if (lower == ".inf" || lower == "+.inf" || lower == "-.inf" || lower == ".nan") return true;
    }
    return false;
}

bool yaml_printable(char32_t c) {
    if (c == '\t' || c == '\n' || c == '\r') return false;  // handled as escapes/line breaks
    if (c < 0x20 || c == 0x7F) return false;
    if (c < 0x80) return true;
    if (c < 0xA0) return false;  // C1 controls (and NEL, a line break)
    return c != 0x2028 && c != 0x2029 && c != 0xFEFF && c != 0xFFFE && c != 0xFFFF;
}

bool yaml_plain_ok(std::string_view s) {
    if (s.empty()) return false;
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c >= 0x7F) return false;  // ASCII only, conservatively
    }
    static constexpr std::string_view indicators = "-?:,[]{}#&*!|>'\"%@`";
    if (indicators.find(s.front()) != std::string_view::npos) return false;
    if (s.front() == ' ' || s.back() == ' ' || s.back() == ':') return false;
    if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos) {
        return false;
    }
    if (s.substr(0, 3) == "---" || s.substr(0, 3) == "...") return false;
    return true;
}

void append_yaml_double_quoted(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        std::size_t start = i;
        char32_t c = 0xFFFD;
        if (!decode_utf8(s, i, c)) c = 0xFFFD;
        switch (c) {
            case '"': out += "\\\""; continue;
            case '\\': out += "\\\\"; continue;
            case 0: out += "\\0"; continue;
            case '\a': out += "\\a"; continue;
            case '\b': out += "\\b"; continue;
            case '\t': out += "\\t"; continue;
            case '\n': out += "\\n"; continue;
            case '\v': out += "\\v"; continue;
            case '\f': out += "\\f"; continue;
            case '\r': out += "\\r"; continue;
            case 0x1B: out += "\\e"; continue;
            case 0x85: out += "\\N"; continue;
            case 0x2028: out += "\\L"; continue;
            case 0x2029: out += "\\P"; continue;
            default: break;
        }
        if (c == 0xFFFD || yaml_printable(c)) {
            if (c == 0xFFFD) {
                append_utf8(out, c);
            } else {
                out.append(s.substr(start, i - start));
            }
        } else if (c < 0x100) {
            out += "\\x";
            out += hex[(c >> 4) & 0xF];
            out += hex[c & 0xF];
        } else {
            out += "\\u";
            for (int shift = 12; shift >= 0; shift -= 4) out += hex[(c >> shift) & 0xF];
        }
    }
    out += '"';
}

std::string yaml_scalar(std::string_view s) {
    if (yaml_resolves_to_non_string(s)) {
        std::string out;
        append_yaml_double_quoted(out, s);
        return out;
    }
    if (yaml_plain_ok(s)) return std::string(s);
    bool single_ok = true;
    for (std::size_t i = 0; i < s.size() && single_ok;) {
        char32_t c = 0;
        single_ok = decode_utf8(s, i, c) && yaml_printable(c);
    }
    std::string out;
    if (single_ok) {
        out += '\'';
        for (char c : s) {
            if (c == '\'') out += '\'';
            out += c;
        }
        out += '\'';
    } else {
        append_yaml_double_quoted(out, s);
    }
    return out;
}

std::string yaml_number(const json::value& v) {
    if (v.is_int64()) return std::to_string(v.get_int64());
    if (v.is_uint64()) return std::to_string(v.get_uint64());
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v.get_double());
    return std::string(buf, r.ptr);
}

void emit_yaml_mapping(std::string& out, const json::object& o, std::size_t indent,
                       bool inline_first);
void emit_yaml_sequence(std::string& out, const json::array& a, std::size_t indent,
                        bool inline_first);

// The text after "key:" or "- " for a scalar or an empty collection (" value\n"), or "\n" and the
// nested block.
void emit_yaml_value(std::string& out, const json::value& v, std::size_t indent) {
    switch (v.kind()) {
        case json::kind::object:
            if (v.get_object().empty()) {
                out += " {}\n";
            } else {
                out += '\n';
                emit_yaml_mapping(out, v.get_object(), indent + 2, false);
            }
            return;
        case json::kind::array:
            if (v.get_array().empty()) {
                out += " []\n";
            } else {
                out += '\n';
                emit_yaml_sequence(out, v.get_array(), indent, false);
            }
            return;
        case json::kind::string: out += ' ' + yaml_scalar(v.get_string()) + '\n'; return;
        case json::kind::bool_: out += v.get_bool() ? " true\n" : " false\n"; return;
        case json::kind::null: out += " null\n"; return;
        default: out += ' ' + yaml_number(v) + '\n'; return;
    }
}

void emit_yaml_item(std::string& out, const json::value& v, std::size_t indent) {
    if (v.is_object() && !v.get_object().empty()) {
        emit_yaml_mapping(out, v.get_object(), indent + 2, true);
    } else if (v.is_array() && !v.get_array().empty()) {
        emit_yaml_sequence(out, v.get_array(), indent + 2, true);
    } else {
        std::string rest;
        emit_yaml_value(rest, v, indent);
        out += rest.substr(1);  // no space after "- "
    }
}

void emit_yaml_mapping(std::string& out, const json::object& o, std::size_t indent,
                       bool inline_first) {
    bool first = true;
    for (auto key : yaml_sorted_keys(o)) {
        if (!(first && inline_first)) out.append(indent, ' ');
        first = false;
        out += yaml_scalar(key);
        out += ':';
        const json::value& v = o.at(key);
        if (v.is_array() && !v.get_array().empty()) {
            out += '\n';
            emit_yaml_sequence(out, v.get_array(), indent, false);
        } else {
            emit_yaml_value(out, v, indent);
        }
    }
}

void emit_yaml_sequence(std::string& out, const json::array& a, std::size_t indent,
                        bool inline_first) {
    bool first = true;
    for (const auto& item : a) {
        if (!(first && inline_first)) out.append(indent, ' ');
        first = false;
        out += "- ";
        emit_yaml_item(out, item, indent);
    }
}

// ---- addresses ------------------------------------------------------------------------------

bool is_ip(std::string_view s) {
    if (s.empty() || s.size() > 64) return false;
    std::string z(s);
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, z.c_str(), buf) == 1 || inet_pton(AF_INET6, z.c_str(), buf) == 1;
}

// A DNS name: labels of letters, digits and hyphens (not at either end), at most 63 each, 253
// in all; a trailing dot allowed.
bool is_dns_name(std::string_view s) {
    if (!s.empty() && s.back() == '.') s.remove_suffix(1);
    if (s.empty() || s.size() > 253) return false;
    std::size_t label = 0;
    char prev = '.';
    for (char c : s) {
        if (c == '.') {
            if (label == 0 || prev == '-') return false;
            label = 0;
        } else {
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-';
            if (!ok || (label == 0 && c == '-') || ++label > 63) return false;
        }
        prev = c;
    }
    return label > 0 && prev != '-';
}

// A DNS-1123 label (a namespace name): lower-case letters, digits and hyphens, at most 63.
bool is_dns1123_label(std::string_view s) {
    if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
}

struct HostPort {
    std::string host;
    std::optional<std::string> port;  // as written
};

// "host:port", "[v6]:port", "host", or a bare IPv6 address.
HostPort split_host_port(std::string_view a) {
    if (!a.empty() && a.front() == '[') {
        auto close = a.find(']');
        if (close == std::string_view::npos) return {std::string(a), std::nullopt};
        HostPort hp{std::string(a.substr(1, close - 1)), std::nullopt};
        if (close + 1 < a.size() && a[close + 1] == ':') hp.port = std::string(a.substr(close + 2));
        return hp;
    }
    auto colon = a.find(':');
    if (colon == std::string_view::npos || a.find(':', colon + 1) != std::string_view::npos) {
        return {std::string(a), std::nullopt};
    }
    return {std::string(a.substr(0, colon)), std::string(a.substr(colon + 1))};
}

bool is_port(std::string_view s) {
    if (s.empty() || s.size() > 5) return false;
    unsigned v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    return v >= 1 && v <= 65535;
}

bool is_address(std::string_view a) {
    auto hp = split_host_port(a);
    return hp.port && is_port(*hp.port) && (is_dns_name(hp.host) || is_ip(hp.host));
}

bool is_revisioned(std::string_view revision) {
    return !revision.empty() && revision != "default";
}

std::string istio_namespace_of(const VmBundleInputs& in) {
    return in.istio_namespace.empty() ? std::string(istio_default_namespace)
                                      : clean(in.istio_namespace);
}

// The CA address the VM's start script (istio-start.sh) falls back to without CA_ADDR:
// istiod.${ISTIO_SYSTEM_NAMESPACE:-istio-system}.svc:15012, and cluster.env sets no namespace.
std::string start_script_default_address() {
    return istiod_host(istio_default_namespace, "") + ":" + std::to_string(istiod_xds_port);
}

// ---- the WorkloadGroup, as istioctl reads it ------------------------------------------------

struct WorkloadGroupView {
    std::string name;
    std::string namespace_;
    std::string service_account;
    std::string network;
    std::map<std::string, std::string> labels;                 // metadata labels, template's over
    std::vector<std::pair<std::string, std::uint32_t>> ports;  // template ports, name -> number
    std::optional<json::object> probe;
};

Error malformed(const std::string& path, const std::string& reason) {
    Error e = make_error(Errc::invalid_argument, "WorkloadGroup " + path + ": " + reason);
    e.fields.push_back({path, reason});
    return e;
}

const json::object* object_at(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_object() ? &it->value().get_object() : nullptr;
}

Result<std::string> string_at(const json::object& o, std::string_view key,
                              const std::string& path) {
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return std::string();
    if (!it->value().is_string()) return malformed(path, "must be a string");
    return clean(it->value().get_string());
}

Status read_labels(const json::object& parent, const std::string& path,
                   std::map<std::string, std::string>& out) {
    auto it = parent.find("labels");
    if (it == parent.end() || it->value().is_null()) return Ok{};
    if (!it->value().is_object()) return malformed(path + ".labels", "must be a map");
    for (const auto& kv : it->value().get_object()) {
        if (!kv.value().is_string()) {
            return malformed(path + ".labels." + std::string(kv.key()), "must be a string");
        }
        out[clean(kv.key())] = clean(kv.value().get_string());
    }
    return Ok{};
}

Result<WorkloadGroupView> read_workload_group(const json::object& wg) {
    WorkloadGroupView view;
    const json::object* md = object_at(wg, "metadata");
    if (!md) return malformed("metadata", "is required");
    auto name = string_at(*md, "name", "metadata.name");
    if (!name) return std::move(name).error();
    auto ns = string_at(*md, "namespace", "metadata.namespace");
    if (!ns) return std::move(ns).error();
    if (name->empty()) return malformed("metadata.name", "is required");
    if (ns->empty()) return malformed("metadata.namespace", "is required");
    view.name = *name;
    view.namespace_ = *ns;

    static const json::object empty;
    const json::object* spec = object_at(wg, "spec");
    if (!spec) spec = &empty;
    const json::object* smd = object_at(*spec, "metadata");
    const json::object* tmpl = object_at(*spec, "template");
    if (!tmpl) tmpl = &empty;

    if (smd) {
        if (auto s = read_labels(*smd, "spec.metadata", view.labels); !s)
            return std::move(s).error();
    }
    // istioctl: template labels override metadata labels.
    if (auto s = read_labels(*tmpl, "spec.template", view.labels); !s) return std::move(s).error();

    auto sa = string_at(*tmpl, "serviceAccount", "spec.template.serviceAccount");
    if (!sa) return std::move(sa).error();
    view.service_account = sa->empty() ? "default" : *sa;  // readWorkloadGroup's default
    auto network = string_at(*tmpl, "network", "spec.template.network");
    if (!network) return std::move(network).error();
    view.network = *network;

    if (auto it = tmpl->find("ports"); it != tmpl->end() && !it->value().is_null()) {
        if (!it->value().is_object()) return malformed("spec.template.ports", "must be a map");
        for (const auto& kv : it->value().get_object()) {
            const auto& v = kv.value();
            std::string path = "spec.template.ports." + std::string(kv.key());
            std::int64_t n = -1;
            if (v.is_int64()) {
                n = v.get_int64();
            } else if (v.is_uint64() && v.get_uint64() <= 65535) {
                n = static_cast<std::int64_t>(v.get_uint64());
            }
            if (n < 1 || n > 65535) return malformed(path, "must be a port number (1-65535)");
            view.ports.emplace_back(clean(kv.key()), static_cast<std::uint32_t>(n));
        }
    }
    if (auto it = spec->find("probe"); it != spec->end() && !it->value().is_null()) {
        if (!it->value().is_object()) return malformed("spec.probe", "must be a map");
        view.probe = it->value().get_object();
    }
    return view;
}

// proto3 JSON leaves out fields at their zero value; istioctl writes the probe through
// protomarshal.ToJSONMap, so an initialDelaySeconds of 0 is not written either.
void drop_zero_fields(json::object& o) {
    std::vector<std::string> drop;
    for (auto& kv : o) {
        auto& v = kv.value();
        bool zero = v.is_null() || (v.is_int64() && v.get_int64() == 0) ||
                    (v.is_uint64() && v.get_uint64() == 0) ||
                    (v.is_double() && v.get_double() == 0.0) || (v.is_bool() && !v.get_bool()) ||
                    (v.is_string() && v.get_string().empty()) ||
                    (v.is_array() && v.get_array().empty());
        if (zero) {
            drop.emplace_back(kv.key());
        } else if (v.is_object()) {
            drop_zero_fields(v.get_object());
        } else if (v.is_array()) {
            for (auto& item : v.get_array()) {
                if (item.is_object()) drop_zero_fields(item.get_object());
            }
        }
    }
    for (const auto& k : drop) o.erase(k);
}

// labels.CanonicalService (istio/istio pkg/kube/labels/labels.go).
std::pair<std::string, std::string> canonical_service(const std::map<std::string, std::string>& l,
                                                      const std::string& workload_name) {
    auto lookup = [&](std::initializer_list<const char*> keys) -> std::optional<std::string> {
        for (const char* k : keys) {
            if (auto it = l.find(k); it != l.end()) return it->second;
        }
        return std::nullopt;
    };
    auto name = lookup({"service.istio.io/canonical-name", "app.kubernetes.io/name", "app"});
    auto rev =
        lookup({"service.istio.io/canonical-revision", "app.kubernetes.io/version", "version"});
    return {name.value_or(workload_name), rev.value_or("latest")};
}

// marshalWorkloadEntryPodPorts: model.PodPort {name,omitempty; containerPort; protocol} sorted by
// name.
std::string pod_ports_json(std::vector<std::pair<std::string, std::uint32_t>> ports) {
    std::stable_sort(ports.begin(), ports.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string out = "[";
    bool first = true;
    for (const auto& [name, number] : ports) {
        if (!first) out += ',';
        first = false;
        out += '{';
        if (!name.empty()) {
            out += "\"name\":";
            append_go_json_string(out, name);
            out += ',';
        }
        out += "\"containerPort\":" + std::to_string(number) + ",\"protocol\":\"\"}";
    }
    out += ']';
    return out;
}

// ---- the bundle -------------------------------------------------------------------------------

VmBundle build_bundle(const WorkloadGroupView& wg, std::string_view revision,
                      std::string_view trust_domain, const VmBundleInputs& in) {
    const std::string discovery = clean(vm_discovery_address(in, revision));

    // createMeshConfig: the mesh config's proxyMetadata (+ annotation), then the computed keys.
    std::map<std::string, std::string> md;
    for (const auto& [k, v] : in.proxy_metadata) {
        if (is_shell_variable_name(k)) md[k] = clean(v);  // anything else could not be sourced
    }
    std::map<std::string, std::string> labels = wg.labels;
    auto [canonical_name, canonical_revision] = canonical_service(labels, wg.name);
    md["CANONICAL_SERVICE"] = canonical_name;
    md["CANONICAL_REVISION"] = canonical_revision;
    md["POD_NAMESPACE"] = wg.namespace_;
    md["SERVICE_ACCOUNT"] = wg.service_account;
    md["TRUST_DOMAIN"] = clean(trust_domain);
    md["ISTIO_META_CLUSTER_ID"] = clean(in.cluster_id);
    md["ISTIO_META_MESH_ID"] = clean(in.mesh_id);
    md["ISTIO_META_NETWORK"] = wg.network.empty() ? clean(in.network) : wg.network;
    if (!wg.ports.empty()) md["ISTIO_META_POD_PORTS"] = pod_ports_json(wg.ports);
    md["ISTIO_META_WORKLOAD_NAME"] = wg.name;
    labels["service.istio.io/canonical-name"] = canonical_name;
    labels["service.istio.io/canonical-revision"] = canonical_revision;
    md["ISTIO_METAJSON_LABELS"] = go_json_object(labels);
    if (in.dns_capture) md["ISTIO_META_DNS_CAPTURE"] = "true";
    if (in.auto_register) md["ISTIO_META_AUTO_REGISTER_GROUP"] = wg.name;

    json::object proxy_metadata;
    for (const auto& [k, v] : md) proxy_metadata[k] = v;
    json::object default_config;
    default_config["discoveryAddress"] = discovery;
    default_config["proxyMetadata"] = std::move(proxy_metadata);
    if (wg.probe) {
        json::object probe = *wg.probe;
        drop_zero_fields(probe);
        default_config["readinessProbe"] = std::move(probe);
    }
    if (in.status_port != 0) default_config["statusPort"] = std::int64_t{in.status_port};
    json::object mesh;
    mesh["defaultConfig"] = std::move(default_config);
    std::string mesh_yaml;
    emit_yaml_mapping(mesh_yaml, mesh, 0, false);

    // createClusterEnv: the metadata, then the overrides.
    std::vector<std::uint32_t> inbound;
    for (const auto& p : wg.ports) inbound.push_back(p.second);
    std::sort(inbound.begin(), inbound.end());
    inbound.erase(std::unique(inbound.begin(), inbound.end()), inbound.end());
    std::string inbound_ports;
    for (auto p : inbound) inbound_ports += (inbound_ports.empty() ? "" : ",") + std::to_string(p);
    if (inbound_ports.empty()) inbound_ports = "*";  // capture everything

    // 22 (ssh, as istioctl), 15090 (Envoy's Prometheus), 15021 (health), the agent's status port;
    // then meshorch's ssh port when it is not 22.
    std::vector<std::uint32_t> exclude = {22, 15090, 15021};
    if (in.status_port != 15090 && in.status_port != 15021) {
        exclude.push_back(in.status_port != 0 ? in.status_port : istio_default_status_port);
    }
    if (in.ssh_port != 0) exclude.push_back(in.ssh_port);
    std::string exclude_ports;
    std::vector<std::uint32_t> seen;
    for (auto p : exclude) {
        if (std::find(seen.begin(), seen.end(), p) != seen.end()) continue;
        seen.push_back(p);
        exclude_ports += (exclude_ports.empty() ? "" : ",") + std::to_string(p);
    }

    std::map<std::string, std::string> env = md;
    env["ISTIO_INBOUND_PORTS"] = inbound_ports;
    env["ISTIO_NAMESPACE"] = wg.namespace_;
    env["ISTIO_SERVICE"] = wg.name + "." + wg.namespace_;
    env["ISTIO_SERVICE_CIDR"] = in.service_cidr.empty() ? std::string("*") : clean(in.service_cidr);
    env["ISTIO_LOCAL_EXCLUDE_PORTS"] = exclude_ports;
    env["SERVICE_ACCOUNT"] = wg.service_account;
    // istioctl writes CA_ADDR for a revisioned control plane; meshorch also when the CA is not
    // where the start script looks without it.
    std::string ca = in.ca_address.empty() ? discovery : clean(in.ca_address);
    if (!in.ca_address.empty() || is_revisioned(revision) || ca != start_script_default_address()) {
        env["CA_ADDR"] = ca;
    }
    if (is_ip(in.vm_address)) {
        env["ISTIO_SVC_IP"] = in.vm_address;
        if (in.vm_address_external) env["REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION"] = "true";
    }
    std::vector<std::string> lines;
    for (const auto& [k, v] : env) lines.push_back(k + "=" + shell_quote(v));
    std::sort(lines.begin(), lines.end());  // mapToString sorts whole lines
    std::string cluster_env;
    for (const auto& line : lines) cluster_env += line + "\n";

    // createHosts: "<ingress ip> <istiod host>\n", or nothing without a valid IP.
    std::string hosts;
    std::string host = split_host_port(discovery).host;
    if (is_ip(in.istiod_ip) && is_dns_name(host)) hosts = in.istiod_ip + " " + host + "\n";

    VmBundle bundle;
    bundle.files[vm_bundle_cluster_env] = std::move(cluster_env);
    bundle.files[vm_bundle_mesh_yaml] = std::move(mesh_yaml);
    bundle.files[vm_bundle_root_cert] = in.root_cert;
    bundle.files[vm_bundle_token] = in.token;
    bundle.files[vm_bundle_hosts] = std::move(hosts);
    return bundle;
}

}  // namespace

std::string istiod_host(std::string_view istio_namespace, std::string_view revision) {
    std::string host = "istiod";
    if (is_revisioned(revision)) host += "-" + std::string(revision);
    return host + "." + std::string(istio_namespace) + ".svc";
}

std::string vm_discovery_address(const VmBundleInputs& in, std::string_view revision) {
    const std::string ns = istio_namespace_of(in);
    const std::string port = ":" + std::to_string(istiod_xds_port);
    const std::string derived = istiod_host(ns, revision) + port;
    if (in.istiod_address.empty()) return derived;
    if (is_revisioned(revision) && in.istiod_address == istiod_host(ns, "") + port) return derived;
    return in.istiod_address;
}

Status validate_vm_bundle_inputs(const VmBundleInputs& in) {
    std::vector<FieldError> fields;
    auto check_text = [&](const std::string& path, std::string_view value) {
        if (!is_clean(value)) fields.push_back({path, "must be UTF-8 text without NUL bytes"});
    };
    if (!in.istio_namespace.empty() && !is_dns1123_label(in.istio_namespace)) {
        fields.push_back({"istio_namespace", "must be a DNS-1123 label"});
    }
    if (!in.istiod_address.empty() && !is_address(in.istiod_address)) {
        fields.push_back({"istiod_address", "must be host:port"});
    }
    if (!in.ca_address.empty() && !is_address(in.ca_address)) {
        fields.push_back({"ca_address", "must be host:port"});
    }
    if (!in.istiod_ip.empty() && !is_ip(in.istiod_ip)) {
        fields.push_back({"istiod_ip", "must be an IPv4 or IPv6 address"});
    }
    if (!in.vm_address.empty() && !is_ip(in.vm_address)) {
        fields.push_back({"vm_address", "must be an IPv4 or IPv6 address"});
    }
    check_text("cluster_id", in.cluster_id);
    check_text("mesh_id", in.mesh_id);
    check_text("network", in.network);
    check_text("service_cidr", in.service_cidr);
    for (const auto& [k, v] : in.proxy_metadata) {
        if (!is_shell_variable_name(k)) {
            fields.push_back({"proxy_metadata." + k, "key must be a shell variable name"});
        }
        check_text("proxy_metadata." + k, v);
    }
    if (in.ssh_port == 0) fields.push_back({"ssh_port", "must be a port number (1-65535)"});
    if (fields.empty()) return Ok{};
    std::string message = "invalid VM bundle inputs:";
    for (const auto& f : fields) message += " " + f.path + ": " + f.reason + ";";
    message.pop_back();
    Error e = make_error(Errc::invalid_argument, std::move(message));
    e.fields = std::move(fields);
    return e;
}

Result<VmBundle> configure_workload_entry(const json::object& workload_group,
                                          std::string_view revision, std::string_view trust_domain,
                                          const VmBundleInputs& in) {
    if (auto s = validate_vm_bundle_inputs(in); !s) return std::move(s).error();
    auto wg = read_workload_group(workload_group);
    if (!wg) return std::move(wg).error();
    return build_bundle(*wg, revision, trust_domain, in);
}

VmBundle render_vm_bundle(const ServiceSpec& spec, const Microservice& ms, const Version& v,
                          const VmBundleInputs& in) {
    // The bundle is istioctl's rendering of the WorkloadGroup meshorch applies, so the two agree
    // by construction (labels, service account, ports, probe).
    Object wg = render_detail::render_workload_group(spec, ms, v);
    auto view = read_workload_group(wg.manifest);
    if (!view) {
        throw std::logic_error("meshorch: the rendered WorkloadGroup is unreadable: " +
                               view.error().message);
    }
    return build_bundle(*view, spec.mesh.revision, spec.mesh.trust_domain, in);
}

}  // namespace meshorch
