// Kubernetes/Istio objects as meshorch renders, plans and applies them.
#pragma once

#include <meshorch/manifest.hpp>

#include <boost/json/object.hpp>

#include <compare>
#include <map>
#include <string>
#include <vector>

namespace meshorch {

// Identity of an object in the cluster.
struct ObjectKey {
    std::string api_version;  // "networking.istio.io/v1"
    std::string kind;         // "VirtualService"
    std::string namespace_;   // empty for cluster-scoped objects (Namespace)
    std::string name;

    // Apply order: dependencies first (Namespace, ServiceAccount, Service, WorkloadGroup,
    // WorkloadEntry, DestinationRule, PeerAuthentication, AuthorizationPolicy, Sidecar,
    // VirtualService), then namespace, then name. Deletion runs this order backwards.
    friend std::strong_ordering operator<=>(const ObjectKey& a, const ObjectKey& b);
    friend bool operator==(const ObjectKey&, const ObjectKey&) = default;
    std::string to_string() const;  // "VirtualService bookinfo/reviews"
};

// Position of a kind in the apply order; unknown kinds sort after the known ones.
int kind_rank(const std::string& kind) noexcept;

// Well-known labels meshorch puts on everything it owns.
inline constexpr const char* label_managed_by = "app.kubernetes.io/managed-by";
inline constexpr const char* label_managed_by_value = "meshorch";
inline constexpr const char* label_service = "meshorch.io/service";

struct Object {
    ObjectKey key;
    // The full manifest: apiVersion, kind, metadata, spec... as it is sent to the API server.
    // Copies of an Object share it (see Manifest): copying an Object does not copy the JSON.
    Manifest manifest;

    friend bool operator==(const Object&, const Object&) = default;
};

// Builds an Object whose key is read from the manifest's apiVersion/kind/metadata.
Object make_object(boost::json::object manifest);
// The key make_object() would read from `manifest`, without copying it.
ObjectKey key_of(const boost::json::object& manifest);

// A set of objects kept in apply order (see ObjectKey ordering). At most one object per key.
class ObjectSet {
public:
    using const_iterator = std::map<ObjectKey, Object>::const_iterator;

    // Inserts or replaces.
    void put(Object object);
    bool erase(const ObjectKey& key);
    // Moves every object of `other` in (replacing objects with the same key), without copies.
    void merge(ObjectSet&& other);
    const Object* find(const ObjectKey& key) const;

    std::size_t size() const noexcept { return objects_.size(); }
    bool empty() const noexcept { return objects_.empty(); }
    const_iterator begin() const noexcept { return objects_.begin(); }
    const_iterator end() const noexcept { return objects_.end(); }

    std::vector<boost::json::value> manifests() const;  // in apply order
    // Moves every object out, in apply order, without copies; the set is left empty.
    std::vector<Object> release() &&;
    friend bool operator==(const ObjectSet&, const ObjectSet&) = default;

private:
    std::map<ObjectKey, Object> objects_;
};

}  // namespace meshorch
