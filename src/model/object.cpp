#include <meshorch/object.hpp>

#include <array>
#include <string_view>

namespace meshorch {

namespace {

// Apply order: what an object refers to is written before it.
constexpr std::array<std::string_view, 11> apply_order = {
    "Namespace",           "ServiceAccount", "Service",         "Deployment",
    "WorkloadGroup",       "WorkloadEntry",  "DestinationRule", "PeerAuthentication",
    "AuthorizationPolicy", "Sidecar",        "VirtualService",
};

std::string string_at(const boost::json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key); v && v->is_string())
        return std::string(v->get_string());
    return {};
}

}  // namespace

namespace {

// The kinds of apply_order by the length of their name, at most two per length: a key compare
// (two ranks) looks at one or two names instead of scanning the whole order.
constexpr std::size_t longest_kind = 32;
constexpr auto kinds_by_length = [] {
    std::array<std::array<int, 2>, longest_kind> table{};
    for (auto& same_length : table) same_length = {-1, -1};
    for (std::size_t i = 0; i < apply_order.size(); ++i) {
        auto& same_length = table[apply_order[i].size()];
        same_length[same_length[0] < 0 ? 0 : 1] = static_cast<int>(i);
    }
    return table;
}();
static_assert([] {
    std::array<int, longest_kind> count{};
    for (auto kind : apply_order) {
        if (kind.size() >= longest_kind || ++count[kind.size()] > 2) return false;
    }
    return true;
}());

}  // namespace

int kind_rank(const std::string& kind) noexcept {
    const int unknown = static_cast<int>(apply_order.size());
    if (kind.size() >= longest_kind) return unknown;
    for (int i : kinds_by_length[kind.size()]) {
        if (i >= 0 && apply_order[static_cast<std::size_t>(i)] == kind) return i;
    }
    return unknown;
}

std::strong_ordering operator<=>(const ObjectKey& a, const ObjectKey& b) {
    const int rank_a = kind_rank(a.kind);
    if (auto c = rank_a <=> kind_rank(b.kind); c != 0) return c;
    // The same known rank is the same kind: only two unknown kinds compare their names.
    if (rank_a == static_cast<int>(apply_order.size())) {
        if (auto c = a.kind <=> b.kind; c != 0) return c;
    }
    if (auto c = a.namespace_ <=> b.namespace_; c != 0) return c;
    if (auto c = a.name <=> b.name; c != 0) return c;
    return a.api_version <=> b.api_version;
}

std::string ObjectKey::to_string() const {
    return kind + " " + (namespace_.empty() ? name : namespace_ + "/" + name);
}

ObjectKey key_of(const boost::json::object& manifest) {
    ObjectKey key;
    key.api_version = string_at(manifest, "apiVersion");
    key.kind = string_at(manifest, "kind");
    if (const auto* md = manifest.if_contains("metadata"); md && md->is_object()) {
        key.name = string_at(md->get_object(), "name");
        key.namespace_ = string_at(md->get_object(), "namespace");
    }
    return key;
}

Object make_object(boost::json::object manifest) {
    Object o;
    o.key = key_of(manifest);
    o.manifest = std::move(manifest);
    return o;
}

void ObjectSet::put(Object object) {
    auto key = object.key;
    objects_.insert_or_assign(std::move(key), std::move(object));
}

void ObjectSet::merge(ObjectSet&& other) {
    if (objects_.empty()) {
        objects_ = std::move(other.objects_);
        return;
    }
    for (auto& [key, object] : other.objects_) objects_.insert_or_assign(key, std::move(object));
    other.objects_.clear();
}

bool ObjectSet::erase(const ObjectKey& key) {
    return objects_.erase(key) > 0;
}

const Object* ObjectSet::find(const ObjectKey& key) const {
    auto it = objects_.find(key);
    return it == objects_.end() ? nullptr : &it->second;
}

std::vector<boost::json::value> ObjectSet::manifests() const {
    std::vector<boost::json::value> out;
    out.reserve(objects_.size());
    for (const auto& [key, object] : objects_) out.emplace_back(object.manifest.get());
    return out;
}

std::vector<Object> ObjectSet::release() && {
    std::vector<Object> out;
    out.reserve(objects_.size());
    for (auto& [key, object] : objects_) out.push_back(std::move(object));
    objects_.clear();
    return out;
}

}  // namespace meshorch
