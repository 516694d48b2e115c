#include "plan/manifest_diff.hpp"

#include <boost/json/value.hpp>

#include <algorithm>

namespace meshorch::plan_detail {

namespace json = boost::json;

bool json_equal(const json::value& a, const json::value& b) noexcept {
    switch (a.kind()) {
        case json::kind::object: return b.is_object() && json_equal(a.get_object(), b.get_object());
        case json::kind::array: return b.is_array() && json_equal(a.get_array(), b.get_array());
        case json::kind::string: return b.is_string() && a.get_string() == b.get_string();
        default: return a == b;  // scalars: no copies there
    }
}

bool json_equal(const json::object& a, const json::object& b) noexcept {
    if (a.size() != b.size()) return false;
    auto in_b = b.begin();
    for (const auto& kv : a) {
        const json::value* other = nullptr;
        if (in_b != b.end() && in_b->key() == kv.key()) {
            other = &in_b->value();
            ++in_b;
        } else {
            other = b.if_contains(kv.key());
            in_b = b.end();  // orders differ: look the rest up
        }
        if (!other || !json_equal(kv.value(), *other)) return false;
    }
    return true;
}

bool json_equal(const json::array& a, const json::array& b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (!json_equal(a[i], b[i])) return false;
    }
    return true;
}

namespace {

std::string dotted(std::string_view a, std::string_view b) {
    std::string out(a);
    out += '.';
    out += b;
    return out;
}

// Differences one level below `key`, both sides being objects.
void changed_children(std::string_view key, const json::object& before, const json::object& after,
                      std::vector<std::string>& out) {
    for (const auto& kv : before) {
        const auto* other = after.if_contains(kv.key());
        if (!other || !json_equal(*other, kv.value())) out.push_back(dotted(key, kv.key()));
    }
    for (const auto& kv : after) {
        if (!before.contains(kv.key())) out.push_back(dotted(key, kv.key()));
    }
}

}  // namespace

std::vector<std::string> changed_fields(const json::object& before, const json::object& after) {
    std::vector<std::string> out;
    auto one = [&](std::string_view key, const json::value* b, const json::value* a) {
        if (b && a && json_equal(*b, *a)) return;
        if (b && a && b->is_object() && a->is_object()) {
            changed_children(key, b->get_object(), a->get_object(), out);
        } else {
            out.emplace_back(key);
        }
    };
    for (const auto& kv : before) one(kv.key(), &kv.value(), after.if_contains(kv.key()));
    for (const auto& kv : after) {
        if (!before.contains(kv.key())) one(kv.key(), nullptr, &kv.value());
    }
    return out;
}

std::string join_limited(const std::vector<std::string>& items, std::size_t limit) {
    std::string out;
    const std::size_t shown = std::min(items.size(), limit);
    for (std::size_t i = 0; i < shown; ++i) {
        if (i > 0) out += ", ";
        out += items[i];
    }
    if (items.size() > shown) out += " +" + std::to_string(items.size() - shown) + " more";
    return out;
}

const json::array* subsets_of(const json::object& manifest) {
    const auto* spec = manifest.if_contains("spec");
    if (!spec || !spec->is_object()) return nullptr;
    const auto* subsets = spec->get_object().if_contains("subsets");
    if (!subsets || !subsets->is_array()) return nullptr;
    return &subsets->get_array();
}

std::string_view subset_name(const json::value& subset) {
    if (!subset.is_object()) return {};
    const auto* name = subset.get_object().if_contains("name");
    if (!name || !name->is_string()) return {};
    return name->get_string();
}

SubsetChanges subset_changes(const json::array* before, const json::array* after) {
    static const json::array none;
    const json::array& b = before ? *before : none;
    const json::array& a = after ? *after : none;
    auto find = [](const json::array& in, std::string_view name) -> const json::value* {
        for (const auto& s : in) {
            if (subset_name(s) == name) return &s;
        }
        return nullptr;
    };
    SubsetChanges out;
    for (const auto& s : b) {
        if (!find(a, subset_name(s))) out.removed.emplace_back(subset_name(s));
    }
    for (const auto& s : a) {
        const auto* old = find(b, subset_name(s));
        if (!old) {
            out.added.emplace_back(subset_name(s));
        } else if (!json_equal(*old, s)) {
            out.changed.emplace_back(subset_name(s));
        }
    }
    return out;
}

}  // namespace meshorch::plan_detail
