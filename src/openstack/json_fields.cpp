#include "openstack/json_fields.hpp"

#include <boost/json/parse.hpp>

namespace meshorch::openstack {

Error malformed(std::string_view where, std::string_view what) {
    return make_error(Errc::backend,
                      "malformed response from " + std::string(where) + ": " + std::string(what));
}

Result<boost::json::object> parse_object(std::string_view body, std::string_view where) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(body, ec);
    if (ec) {
        Error e = malformed(where, "invalid JSON (" + ec.message() + ")");
        e.body_excerpt = std::string(body.substr(0, 256));
        return e;
    }
    if (!v.is_object()) return malformed(where, "expected a JSON object");
    return std::move(v.get_object());
}

const boost::json::object* find_object(const boost::json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_object() ? &it->value().get_object() : nullptr;
}

const boost::json::array* find_array(const boost::json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_array() ? &it->value().get_array() : nullptr;
}

const boost::json::string* find_string(const boost::json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_string() ? &it->value().get_string() : nullptr;
}

std::string string_or_empty(const boost::json::object& o, std::string_view key) {
    const auto* s = find_string(o, key);
    return s ? std::string(*s) : std::string();
}

Result<std::string> required_string(const boost::json::object& o, std::string_view key,
                                    std::string_view where) {
    const auto* s = find_string(o, key);
    if (!s || s->empty()) {
        return malformed(where, "missing string field \"" + std::string(key) + "\"");
    }
    return std::string(*s);
}

}  // namespace meshorch::openstack
