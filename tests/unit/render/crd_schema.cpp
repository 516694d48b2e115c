#include "unit/render/crd_schema.hpp"

#include <yaml-cpp/yaml.h>
#include <boost/json/serialize.hpp>

#include <cctype>
#include <cmath>
#include <cstdint>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace meshorch::testing {

// ---- the compiled schema ---------------------------------------------------------------------

struct Schema {
    std::string type;  // "" when the node does not constrain the type
    std::string format;
    bool has_properties = false;
    std::map<std::string, std::shared_ptr<const Schema>> properties;
    std::shared_ptr<const Schema> additional_properties;  // schema for the other keys
    std::optional<bool> additional_properties_allowed;    // additionalProperties: true/false
    std::shared_ptr<const Schema> items;
    std::vector<std::string> required;
    std::optional<std::vector<std::string>> enum_values;
    std::optional<double> minimum;
    std::optional<double> maximum;
    bool exclusive_minimum = false;
    bool exclusive_maximum = false;
    std::optional<std::size_t> min_length, max_length, min_items, max_items, min_properties,
        max_properties;
    std::optional<std::string> pattern_text;
    std::shared_ptr<const std::regex> pattern;
    std::vector<std::shared_ptr<const Schema>> one_of, any_of, all_of;
    std::shared_ptr<const Schema> not_;
    bool nullable = false;
    bool preserve_unknown = false;
    bool int_or_string = false;
    struct Rule {
        std::string rule;        // as written
        std::string normalized;  // without whitespace, for matching the known rules
        std::string message;
    };
    std::vector<Rule> rules;
};

namespace {

std::string strip_spaces(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (!std::isspace(static_cast<unsigned char>(c))) out += c;
    }
    return out;
}

std::size_t as_size(const YAML::Node& n) {
    return n.as<std::size_t>();
}

std::shared_ptr<const Schema> compile(const YAML::Node& node, const std::string& where) {
    if (!node.IsMap()) throw std::runtime_error("schema at " + where + " is not a mapping");
    auto s = std::make_shared<Schema>();
    for (const auto& entry : node) {
        const auto key = entry.first.as<std::string>();
        const YAML::Node& v = entry.second;
        const std::string at = where + "." + key;
        if (key == "description" || key == "title" || key == "example" || key == "default" ||
            key == "x-kubernetes-list-type" || key == "x-kubernetes-list-map-keys" ||
            key == "x-kubernetes-map-type" || key == "x-kubernetes-embedded-resource") {
            continue;  // documentation, defaulting or merge hints: nothing to validate
        } else if (key == "type") {
            s->type = v.as<std::string>();
        } else if (key == "format") {
            s->format = v.as<std::string>();
        } else if (key == "properties") {
            s->has_properties = true;
            for (const auto& p : v) {
                const auto name = p.first.as<std::string>();
                s->properties[name] = compile(p.second, at + "." + name);
            }
        } else if (key == "additionalProperties") {
            if (v.IsScalar()) {
                s->additional_properties_allowed = v.as<bool>();
            } else {
                s->additional_properties = compile(v, at);
            }
        } else if (key == "items") {
            s->items = compile(v, at);
        } else if (key == "required") {
            for (const auto& r : v) s->required.push_back(r.as<std::string>());
        } else if (key == "enum") {
            std::vector<std::string> values;
            for (const auto& e : v) values.push_back(e.Scalar());
            s->enum_values = std::move(values);
        } else if (key == "minimum") {
            s->minimum = v.as<double>();
        } else if (key == "maximum") {
            s->maximum = v.as<double>();
        } else if (key == "exclusiveMinimum") {
            s->exclusive_minimum = v.as<bool>();
        } else if (key == "exclusiveMaximum") {
            s->exclusive_maximum = v.as<bool>();
        } else if (key == "minLength") {
            s->min_length = as_size(v);
        } else if (key == "maxLength") {
            s->max_length = as_size(v);
        } else if (key == "minItems") {
            s->min_items = as_size(v);
        } else if (key == "maxItems") {
            s->max_items = as_size(v);
        } else if (key == "minProperties") {
            s->min_properties = as_size(v);
        } else if (key == "maxProperties") {
            s->max_properties = as_size(v);
        } else if (key == "pattern") {
            s->pattern_text = v.as<std::string>();
            try {
                s->pattern =
                    std::make_shared<const std::regex>(*s->pattern_text, std::regex::ECMAScript);
            } catch (const std::regex_error& e) {
                throw std::runtime_error("pattern at " + at + " does not compile: " + e.what());
            }
        } else if (key == "oneOf" || key == "anyOf" || key == "allOf") {
            auto& list = key == "oneOf" ? s->one_of : key == "anyOf" ? s->any_of : s->all_of;
            std::size_t i = 0;
            for (const auto& b : v)
                list.push_back(compile(b, at + "[" + std::to_string(i++) + "]"));
        } else if (key == "not") {
            s->not_ = compile(v, at);
        } else if (key == "nullable") {
            s->nullable = v.as<bool>();
        } else if (key == "x-kubernetes-preserve-unknown-fields") {
            s->preserve_unknown = v.as<bool>();
        } else if (key == "x-kubernetes-int-or-string") {
            s->int_or_string = v.as<bool>();
        } else if (key == "x-kubernetes-validations") {
            for (const auto& r : v) {
                Schema::Rule rule;
                rule.rule = r["rule"].as<std::string>();
                rule.normalized = strip_spaces(rule.rule);
                if (r["message"]) rule.message = r["message"].as<std::string>();
                s->rules.push_back(std::move(rule));
            }
        } else {
            throw std::runtime_error("schema keyword \"" + key + "\" at " + where +
                                     " is not implemented by the test validator");
        }
    }
    return s;
}

const char* kind_name(const boost::json::value& v) {
    switch (v.kind()) {
        case boost::json::kind::null: return "null";
        case boost::json::kind::bool_: return "boolean";
        case boost::json::kind::int64:
        case boost::json::kind::uint64: return "integer";
        case boost::json::kind::double_: return "number";
        case boost::json::kind::string: return "string";
        case boost::json::kind::array: return "array";
        case boost::json::kind::object: return "object";
    }
    return "?";
}

bool has_type(const boost::json::value& v, const std::string& type) {
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    if (type == "string") return v.is_string();
    if (type == "integer") return v.is_int64() || v.is_uint64();
    if (type == "number") return v.is_number();
    if (type == "boolean") return v.is_bool();
    return false;
}

// Numbers as long double keep every int64/uint64 exact enough for range checks.
long double number_of(const boost::json::value& v) {
    if (v.is_int64()) return static_cast<long double>(v.get_int64());
    if (v.is_uint64()) return static_cast<long double>(v.get_uint64());
    return static_cast<long double>(v.get_double());
}

std::size_t utf8_length(boost::json::string_view s) {
    std::size_t n = 0;
    for (char c : s) {
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
    }
    return n;
}

std::string number_text(double x) {
    std::ostringstream out;
    out.precision(15);
    out << x;
    return out.str();
}

bool has_field(const boost::json::value& v, const char* name) {
    const auto* o = v.if_object();
    if (o == nullptr) return false;
    const auto* f = o->if_contains(name);
    return f != nullptr && !f->is_null();
}

// ---- the CEL rules of Istio's CRDs -----------------------------------------------------------

bool keys_all(const boost::json::value& self, bool (*pred)(const std::string&)) {
    const auto* o = self.if_object();
    if (o == nullptr) return false;
    for (const auto& kv : *o) {
        if (!pred(std::string(kv.key()))) return false;
    }
    return true;
}

bool starts_with(boost::json::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

// "(has(self.a)?1:0)+(has(self.b)?1:0)...<=1": at most one of the fields is set.
std::optional<bool> at_most_one_of(const std::string& rule, const boost::json::value& self) {
    static const std::regex whole(
        R"(^\(has\(self\.\w+\)\?1:0\)(\+\(has\(self\.\w+\)\?1:0\))+<=1$)");
    if (!std::regex_match(rule, whole)) return std::nullopt;
    static const std::regex term(R"(has\(self\.(\w+)\))");
    int set = 0;
    for (auto it = std::sregex_iterator(rule.begin(), rule.end(), term);
         it != std::sregex_iterator(); ++it) {
        if (has_field(self, (*it)[1].str().c_str())) ++set;
    }
    return set <= 1;
}

// `self in ["a","b"]` with string literals.
std::optional<bool> in_list(const std::string& rule, const boost::json::value& self) {
    if (rule.rfind("selfin[", 0) != 0 || rule.back() != ']') return std::nullopt;
    if (!self.is_string()) return false;
    static const std::regex literal(R"re("([^"]*)")re");
    const std::string list = rule.substr(7, rule.size() - 8);
    for (auto it = std::sregex_iterator(list.begin(), list.end(), literal);
         it != std::sregex_iterator(); ++it) {
        if (self.get_string() == (*it)[1].str()) return true;
    }
    return false;
}

std::optional<bool> evaluate_rule(const std::string& r, const boost::json::value& self) {
    if (r == "duration(self)>=duration('1ms')") {
        long long ns = 0;
        return self.is_string() && parse_go_duration(std::string(self.get_string()), ns) &&
               ns >= 1'000'000;
    }
    if (r == "0<self&&self<=65535") {
        return (self.is_int64() || self.is_uint64()) && number_of(self) > 0 &&
               number_of(self) <= 65535;
    }
    if (r == "!self.contains(\"*\")") {
        return self.is_string() && self.get_string().find('*') == boost::json::string::npos;
    }
    if (r == "self.all(key,!key.contains(\"*\"))") {
        return keys_all(self,
                        [](const std::string& k) { return k.find('*') == std::string::npos; });
    }
    if (r == "self.all(key,key.size()!=0)") {
        return keys_all(self, [](const std::string& k) { return !k.empty(); });
    }
    if (r ==
        "self.all(key,size(key)<63&&key.matches(\"^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$\"))") {
        return keys_all(self, [](const std::string& k) {
            static const std::regex name("^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$");
            return k.size() < 63 && std::regex_search(k, name);
        });
    }
    if (r == "self.all(key,0<int(key)&&int(key)<=65535)") {
        return keys_all(self, [](const std::string& k) {
            if (k.empty() || k.size() > 6) return false;
            for (char c : k) {
                if (!std::isdigit(static_cast<unsigned char>(c))) return false;
            }
            const long v = std::stol(k);
            return v > 0 && v <= 65535;
        });
    }
    if (r == "self.size()==0") {
        if (self.is_string()) return self.get_string().empty();
        if (self.is_array()) return self.get_array().empty();
        if (self.is_object()) return self.get_object().empty();
        return false;
    }
    if (r ==
        "self.startsWith(\"unix://\")?(self.substring(7,8)==\"/"
        "\"||self.substring(7,8)==\"@\"):true") {
        if (!self.is_string()) return false;
        const auto s = self.get_string();
        if (!starts_with(s, "unix://")) return true;
        return s.size() >= 8 && (s[7] == '/' || s[7] == '@');
    }
    if (r == "self.startsWith(\"unix://\")?!self.endsWith(\"/\"):true") {
        if (!self.is_string()) return false;
        const auto s = self.get_string();
        return !starts_with(s, "unix://") || s.empty() || s.back() != '/';
    }
    if (r ==
        "(has(self.address)?self.address:\"\").startsWith(\"unix://\")?!has(self.ports):true") {
        if (!has_field(self, "address")) return true;
        const auto& a = self.get_object().at("address");
        return !(a.is_string() && starts_with(a.get_string(), "unix://")) ||
               !has_field(self, "ports");
    }
    if (r == "has(self.address)||has(self.network)") {
        return has_field(self, "address") || has_field(self, "network");
    }
    if (r ==
        "(has(self.serviceAccounts)||has(self.notServiceAccounts))?(!has(self.principals)&&!has("
        "self.notPrincipals)&&!has(self.namespaces)&&!has(self.notNamespaces)):true") {
        if (!has_field(self, "serviceAccounts") && !has_field(self, "notServiceAccounts")) {
            return true;
        }
        return !has_field(self, "principals") && !has_field(self, "notPrincipals") &&
               !has_field(self, "namespaces") && !has_field(self, "notNamespaces");
    }
    if (r ==
        "has(self.portLevelMtls)?(((has(self.selector)&&has(self.selector.matchLabels))?self."
        "selector.matchLabels:{}).size()>0):true") {
        if (!has_field(self, "portLevelMtls")) return true;
        if (!has_field(self, "selector")) return false;
        const auto& sel = self.get_object().at("selector");
        if (!has_field(sel, "matchLabels")) return false;
        const auto& ml = sel.get_object().at("matchLabels");
        return ml.is_object() && !ml.get_object().empty();
    }
    if (auto v = at_most_one_of(r, self)) return v;
    if (auto v = in_list(r, self)) return v;
    return std::nullopt;
}

// ---- validation ------------------------------------------------------------------------------

struct Context {
    std::vector<SchemaViolation>* out;
    std::set<std::string>* unevaluated;
};

void check(const Schema& s, const boost::json::value& v, const std::string& path, Context ctx);

bool passes(const Schema& s, const boost::json::value& v, const std::string& path, Context ctx) {
    std::vector<SchemaViolation> scratch;
    check(s, v, path, Context{&scratch, ctx.unevaluated});
    return scratch.empty();
}

// The required fields of an alternative ("oneOf: [{required: [a]}, {required: [b]}]").
std::string alternatives(const std::vector<std::shared_ptr<const Schema>>& branches) {
    std::string out;
    for (const auto& b : branches) {
        for (const auto& r : b->required) out += (out.empty() ? "" : ", ") + r;
    }
    return out;
}

void add(Context ctx, const std::string& path, std::string reason) {
    ctx.out->push_back(SchemaViolation{path, std::move(reason)});
}

void check(const Schema& s, const boost::json::value& v, const std::string& path, Context ctx) {
    if (v.is_null()) {
        if (!s.nullable && !s.type.empty()) add(ctx, path, "null is not allowed here");
        return;
    }
    if (s.int_or_string) {
        if (!v.is_int64() && !v.is_uint64() && !v.is_string()) {
            add(ctx, path, std::string("expected an integer or a string, got ") + kind_name(v));
            return;
        }
    } else if (!s.type.empty() && !has_type(v, s.type)) {
        add(ctx, path, "expected " + s.type + ", got " + kind_name(v));
        return;
    }

    if (s.enum_values) {
        const std::string text =
            v.is_string() ? std::string(v.get_string()) : boost::json::serialize(v);
        bool found = false;
        for (const auto& e : *s.enum_values) found = found || e == text;
        if (!found) {
            std::string allowed;
            for (const auto& e : *s.enum_values) allowed += (allowed.empty() ? "" : ", ") + e;
            add(ctx, path, "\"" + text + "\" is not one of [" + allowed + "]");
        }
    }

    if (v.is_number()) {
        const long double x = number_of(v);
        if (s.format == "int32" &&
            (!(v.is_int64() || v.is_uint64()) || x < -2147483648.0L || x > 2147483647.0L)) {
            add(ctx, path, "not an int32: " + boost::json::serialize(v));
        } else if (s.format == "uint32" &&
                   (!(v.is_int64() || v.is_uint64()) || x < 0 || x > 4294967295.0L)) {
            add(ctx, path, "not a uint32: " + boost::json::serialize(v));
        } else if (s.format == "int64" && !(v.is_int64() || v.is_uint64())) {
            add(ctx, path, "not an int64: " + boost::json::serialize(v));
        }
        if (s.minimum && (s.exclusive_minimum ? x <= *s.minimum : x < *s.minimum)) {
            add(ctx, path,
                "must be " + std::string(s.exclusive_minimum ? "> " : ">= ") +
                    number_text(*s.minimum) + ", got " + boost::json::serialize(v));
        }
        if (s.maximum && (s.exclusive_maximum ? x >= *s.maximum : x > *s.maximum)) {
            add(ctx, path,
                "must be " + std::string(s.exclusive_maximum ? "< " : "<= ") +
                    number_text(*s.maximum) + ", got " + boost::json::serialize(v));
        }
    }

    if (const auto* str = v.if_string()) {
        const auto n = utf8_length(*str);
        if (s.min_length && n < *s.min_length) {
            add(ctx, path, "shorter than " + std::to_string(*s.min_length) + " characters");
        }
        if (s.max_length && n > *s.max_length) {
            add(ctx, path, "longer than " + std::to_string(*s.max_length) + " characters");
        }
        if (s.pattern && !std::regex_search(str->begin(), str->end(), *s.pattern)) {
            add(ctx, path, "\"" + std::string(*str) + "\" does not match " + *s.pattern_text);
        }
    }

    if (const auto* arr = v.if_array()) {
        if (s.min_items && arr->size() < *s.min_items) {
            add(ctx, path, "fewer than " + std::to_string(*s.min_items) + " items");
        }
        if (s.max_items && arr->size() > *s.max_items) {
            add(ctx, path, "more than " + std::to_string(*s.max_items) + " items");
        }
        if (s.items) {
            for (std::size_t i = 0; i < arr->size(); ++i) {
                check(*s.items, (*arr)[i], path + "[" + std::to_string(i) + "]", ctx);
            }
        }
    }

    if (const auto* obj = v.if_object()) {
        for (const auto& r : s.required) {
            if (!obj->contains(r)) add(ctx, path + "." + r, "required field is missing");
        }
        if (s.min_properties && obj->size() < *s.min_properties) {
            add(ctx, path, "fewer than " + std::to_string(*s.min_properties) + " properties");
        }
        if (s.max_properties && obj->size() > *s.max_properties) {
            add(ctx, path, "more than " + std::to_string(*s.max_properties) + " properties");
        }
        for (const auto& kv : *obj) {
            const std::string key(kv.key());
            const std::string at = path + "." + key;
            if (auto it = s.properties.find(key); it != s.properties.end()) {
                check(*it->second, kv.value(), at, ctx);
            } else if (s.additional_properties) {
                check(*s.additional_properties, kv.value(), at, ctx);
            } else if (s.type == "object" && !s.preserve_unknown &&
                       !s.additional_properties_allowed.value_or(false)) {
                add(ctx, at, "unknown field");
            }
        }
    }

    for (const auto& b : s.all_of) check(*b, v, path, ctx);
    if (!s.any_of.empty()) {
        bool any = false;
        for (const auto& b : s.any_of) any = any || passes(*b, v, path, ctx);
        if (!any)
            add(ctx, path,
                "matches none of the anyOf alternatives (" + alternatives(s.any_of) + ")");
    }
    if (!s.one_of.empty()) {
        int matched = 0;
        for (const auto& b : s.one_of) matched += passes(*b, v, path, ctx) ? 1 : 0;
        if (matched != 1) {
            add(ctx, path,
                "must match exactly one oneOf alternative, matches " + std::to_string(matched) +
                    " (set at most one of: " + alternatives(s.one_of) + ")");
        }
    }
    if (s.not_ && passes(*s.not_, v, path, ctx)) add(ctx, path, "matches a \"not\" schema");

    for (const auto& rule : s.rules) {
        auto ok = evaluate_rule(rule.normalized, v);
        if (!ok) {
            ctx.unevaluated->insert(rule.rule);
        } else if (!*ok) {
            add(ctx, path,
                (rule.message.empty() ? "failed rule" : rule.message) + " (rule: " + rule.rule +
                    ")");
        }
    }
}

}  // namespace

// ---- Go durations ------------------------------------------------------------------------------

bool parse_go_duration(const std::string& text, long long& nanoseconds) {
    std::size_t i = 0;
    bool negative = false;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
    if (text.substr(i) == "0") {
        nanoseconds = 0;
        return true;
    }
    if (i == text.size()) return false;
    long double total = 0;
    while (i < text.size()) {
        std::string whole, frac;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
            whole += text[i++];
        if (i < text.size() && text[i] == '.') {
            ++i;
            while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
                frac += text[i++];
        }
        if (whole.empty() && frac.empty()) return false;
        std::string unit;
        while (i < text.size() && !std::isdigit(static_cast<unsigned char>(text[i])) &&
               text[i] != '.') {
            unit += text[i++];
        }
        long double scale = 0;
        if (unit == "ns")
            scale = 1;
        else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs")
            scale = 1e3L;
        else if (unit == "ms")
            scale = 1e6L;
        else if (unit == "s")
            scale = 1e9L;
        else if (unit == "m")
            scale = 60e9L;
        else if (unit == "h")
            scale = 3600e9L;
        else
            return false;
        const long double value = std::stold("0" + whole + "." + frac + "0");
        total += value * scale;
    }
    if (total > 9.2e18L) return false;
    nanoseconds = static_cast<long long>(std::llround(total)) * (negative ? -1 : 1);
    return true;
}

// ---- the catalog -----------------------------------------------------------------------------

std::string describe(const std::vector<SchemaViolation>& violations) {
    std::string out;
    for (const auto& v : violations) out += v.path + ": " + v.reason + "\n";
    return out;
}

CrdCatalog::CrdCatalog(const std::string& path) {
    std::vector<YAML::Node> docs;
    try {
        docs = YAML::LoadAllFromFile(path);
    } catch (const YAML::Exception& e) {
        throw std::runtime_error("cannot load " + path + ": " + e.what());
    }
    for (const auto& doc : docs) {
        if (!doc.IsMap() || !doc["kind"] ||
            doc["kind"].as<std::string>() != "CustomResourceDefinition") {
            continue;
        }
        Crd crd;
        crd.group = doc["spec"]["group"].as<std::string>();
        crd.kind = doc["spec"]["names"]["kind"].as<std::string>();
        for (const auto& v : doc["spec"]["versions"]) {
            Version version;
            version.served = v["served"] && v["served"].as<bool>();
            const auto name = v["name"].as<std::string>();
            if (v["schema"] && v["schema"]["openAPIV3Schema"]) {
                version.root = compile(v["schema"]["openAPIV3Schema"],
                                       crd.kind + "/" + name + ".openAPIV3Schema");
            }
            crd.versions.emplace(name, std::move(version));
        }
        crds_.push_back(std::move(crd));
    }
    if (crds_.empty()) throw std::runtime_error(path + " holds no CustomResourceDefinition");
}

CrdCatalog::~CrdCatalog() = default;

const CrdCatalog& CrdCatalog::istio() {
    static const CrdCatalog catalog(std::string(MESHORCH_SHARED_DIR) +
                                    "/data/istio/crd-all.gen.yaml");
    return catalog;
}

const CrdCatalog::Version* CrdCatalog::find(const std::string& api_version,
                                            const std::string& kind) const {
    const auto slash = api_version.find('/');
    if (slash == std::string::npos) return nullptr;
    const auto group = api_version.substr(0, slash);
    const auto version = api_version.substr(slash + 1);
    for (const auto& crd : crds_) {
        if (crd.group != group || crd.kind != kind) continue;
        auto it = crd.versions.find(version);
        if (it == crd.versions.end() || !it->second.served || !it->second.root) return nullptr;
        return &it->second;
    }
    return nullptr;
}

bool CrdCatalog::serves(const std::string& api_version, const std::string& kind) const {
    return find(api_version, kind) != nullptr;
}

std::vector<SchemaViolation> CrdCatalog::validate(const boost::json::object& manifest) const {
    std::vector<SchemaViolation> out;
    auto text = [&](const char* key) -> std::string {
        const auto* f = manifest.if_contains(key);
        return f && f->is_string() ? std::string(f->get_string()) : std::string();
    };
    const auto api_version = text("apiVersion");
    const auto kind = text("kind");
    const Version* version = find(api_version, kind);
    if (version == nullptr) {
        out.push_back({"apiVersion", "no served CRD version for kind \"" + kind + "\" in \"" +
                                         api_version + "\""});
        return out;
    }
    const auto* md = manifest.if_contains("metadata");
    if (md == nullptr || !md->is_object() || !has_field(*md, "name") ||
        !md->get_object().at("name").is_string() ||
        md->get_object().at("name").get_string().empty()) {
        out.push_back({"metadata.name", "required field is missing"});
    }
    // The root schema, without descending into metadata (the API server's own rules apply).
    const Schema& root = *version->root;
    std::set<std::string> unevaluated;
    Context ctx{&out, &unevaluated};
    for (const auto& r : root.required) {
        if (!manifest.contains(r)) out.push_back({r, "required field is missing"});
    }
    for (const auto& kv : manifest) {
        const std::string key(kv.key());
        if (key == "apiVersion" || key == "kind" || key == "metadata") continue;
        if (auto it = root.properties.find(key); it != root.properties.end()) {
            check(*it->second, kv.value(), key, ctx);
        } else {
            out.push_back({key, "unknown field"});
        }
    }
    std::lock_guard lock(mutex_);
    unevaluated_.insert(unevaluated.begin(), unevaluated.end());
    return out;
}

std::vector<SchemaViolation> CrdCatalog::validate_spec(const std::string& api_version,
                                                       const std::string& kind,
                                                       const boost::json::value& spec) const {
    std::vector<SchemaViolation> out;
    const Version* version = find(api_version, kind);
    if (version == nullptr) {
        out.push_back({"apiVersion", "no served CRD version for kind \"" + kind + "\" in \"" +
                                         api_version + "\""});
        return out;
    }
    auto it = version->root->properties.find("spec");
    if (it == version->root->properties.end()) {
        out.push_back({"spec", "the CRD has no spec schema"});
        return out;
    }
    std::set<std::string> unevaluated;
    check(*it->second, spec, "spec", Context{&out, &unevaluated});
    std::lock_guard lock(mutex_);
    unevaluated_.insert(unevaluated.begin(), unevaluated.end());
    return out;
}

std::set<std::string> CrdCatalog::unevaluated_rules() const {
    std::lock_guard lock(mutex_);
    return unevaluated_;
}

}  // namespace meshorch::testing
