// The JSON document of a Kubernetes/Istio object, shared by the copies of that object.
#pragma once

#include <boost/json/object.hpp>

#include <memory>
#include <string_view>

namespace meshorch {

// An object's manifest is held by many at once: the desired set, the plan's action, the
// service record, the state store's copy, the cluster's answer. Copying a Manifest shares one
// immutable document (a reference count, not a deep copy of the JSON); edit() gives this
// manifest a private copy first when the document is shared (copy on write).
//
// Copies may be read and copied from several threads at once; a single Manifest is, like any
// value, changed from one thread at a time.
class Manifest {
public:
    Manifest() = default;                   // an empty JSON object
    Manifest(boost::json::object document)  // NOLINT(google-explicit-constructor): a manifest
        : doc_(std::make_shared<boost::json::object>(std::move(document))) {}  // is its document
    Manifest& operator=(boost::json::object document) {
        doc_ = std::make_shared<boost::json::object>(std::move(document));
        return *this;
    }

    const boost::json::object& get() const noexcept { return doc_ ? *doc_ : empty_document(); }
    operator const boost::json::object&() const noexcept { return get(); }  // NOLINT: reads
    const boost::json::object& operator*() const noexcept { return get(); }
    const boost::json::object* operator->() const noexcept { return &get(); }

    // The reads of boost::json::object, forwarded so a Manifest reads like the document.
    const boost::json::value& at(std::string_view key) const { return get().at(key); }
    const boost::json::value* if_contains(std::string_view key) const noexcept {
        return get().if_contains(key);
    }
    bool contains(std::string_view key) const noexcept { return get().contains(key); }
    std::size_t size() const noexcept { return get().size(); }
    bool empty() const noexcept { return get().empty(); }
    boost::json::object::const_iterator begin() const noexcept { return get().begin(); }
    boost::json::object::const_iterator end() const noexcept { return get().end(); }

    // The document to change in place; copied first when another manifest shares it.
    boost::json::object& edit();
    // The document itself, moved out when no other manifest shares it (copied otherwise); this
    // manifest is left empty.
    boost::json::object take() &&;
    // Whether both hold the very same document (then they are equal without comparing).
    bool shares_document_with(const Manifest& other) const noexcept {
        return doc_ && doc_ == other.doc_;
    }

    friend bool operator==(const Manifest& a, const Manifest& b) noexcept {
        return a.doc_ == b.doc_ || a.get() == b.get();
    }

private:
    static const boost::json::object& empty_document() noexcept;

    std::shared_ptr<boost::json::object> doc_;  // null: the empty object
};

}  // namespace meshorch
