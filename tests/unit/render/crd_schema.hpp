// A small validator for Kubernetes structural OpenAPI v3 schemas, as CustomResourceDefinitions
// carry them, for checking rendered Istio objects against Istio's own CRDs in tests.
//
// Covers what the API server checks for a custom resource and Istio's CRDs use: type, properties
// (unknown fields are rejected unless x-kubernetes-preserve-unknown-fields), additionalProperties,
// items, required, enum, nullable, format int32/uint32/int64, minimum/maximum, min/maxLength,
// min/maxItems, min/maxProperties, pattern, oneOf/anyOf/allOf/not, x-kubernetes-int-or-string,
// and the x-kubernetes-validations (CEL) rules that occur in Istio's networking and security
// CRDs, each evaluated by a hand-written equivalent. A rule it has no equivalent for is not
// evaluated but remembered (unevaluated_rules()), so a test can insist that none was reached.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace meshorch::testing {

struct SchemaViolation {
    std::string path;    // e.g. "spec.http[0].route[0].destination.host"
    std::string reason;  // e.g. "required field is missing"
};

// "spec.x: reason" lines.
std::string describe(const std::vector<SchemaViolation>& violations);

struct Schema;  // a compiled schema node

class CrdCatalog {
public:
    // Loads every CustomResourceDefinition of a multi-document YAML file. Throws
    // std::runtime_error when the file cannot be read or a schema uses a keyword this validator
    // does not implement (so nothing is silently skipped).
    explicit CrdCatalog(const std::string& path);
    ~CrdCatalog();
    CrdCatalog(const CrdCatalog&) = delete;
    CrdCatalog& operator=(const CrdCatalog&) = delete;

    // ${MESHORCH_SHARED_DIR}/data/istio/crd-all.gen.yaml, loaded once.
    static const CrdCatalog& istio();

    std::size_t size() const noexcept { return crds_.size(); }  // CRDs loaded
    // True when `kind` of `apiVersion` ("group/version") is a served version of a loaded CRD.
    bool serves(const std::string& api_version, const std::string& kind) const;

    // Validates a whole manifest: apiVersion/kind name a served CRD version, metadata.name is set,
    // and the object (its spec in particular) validates against the version's openAPIV3Schema.
    // metadata and status are left to the API server's own rules and not checked here.
    std::vector<SchemaViolation> validate(const boost::json::object& manifest) const;

    // Validates a value against the schema of `spec` of a served CRD version; paths start "spec".
    std::vector<SchemaViolation> validate_spec(const std::string& api_version,
                                               const std::string& kind,
                                               const boost::json::value& spec) const;

    // The CEL rules reached during validation that have no hand-written equivalent.
    std::set<std::string> unevaluated_rules() const;

private:
    struct Version {
        bool served = false;
        std::shared_ptr<const Schema> root;  // openAPIV3Schema
    };
    struct Crd {
        std::string group;
        std::string kind;
        std::map<std::string, Version> versions;
    };
    const Version* find(const std::string& api_version, const std::string& kind) const;

    std::vector<Crd> crds_;
    mutable std::mutex mutex_;
    mutable std::set<std::string> unevaluated_;
};

// Parses a Go duration as CEL's duration() does ("1h2m", "0.5s", "10ms"); false if malformed.
bool parse_go_duration(const std::string& text, long long& nanoseconds);

}  // namespace meshorch::testing
