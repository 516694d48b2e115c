// What differs between two manifests, in words a person reads in a plan. Internal to plan.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace meshorch::plan_detail {

// Deep equality with the meaning of boost::json's operator== (objects unordered, 1 == 1u,
// 1 != 1.0), without its cost: Boost 1.81's object::equal copies every member it visits
// (`for(auto e : *this)`), which makes comparing a manifest cost as much as copying it at every
// level of nesting. Objects whose keys come in the same order compare without hashing.
bool json_equal(const boost::json::value& a, const boost::json::value& b) noexcept;
bool json_equal(const boost::json::object& a, const boost::json::object& b) noexcept;
bool json_equal(const boost::json::array& a, const boost::json::array& b) noexcept;

// Dotted paths, at most two levels deep, whose values differ between `before` and `after`
// ("spec.http", "metadata.labels", "data"). Keys of `before` first, in their order, then the
// keys only `after` has. Empty when the manifests are equal.
std::vector<std::string> changed_fields(const boost::json::object& before,
                                        const boost::json::object& after);

// "a, b, c" — at most `limit` items, then "+N more".
std::string join_limited(const std::vector<std::string>& items, std::size_t limit = 4);

// spec.subsets of a DestinationRule, or nullptr when there is none.
const boost::json::array* subsets_of(const boost::json::object& manifest);

// The name of one subset ("" when it has none).
std::string_view subset_name(const boost::json::value& subset);

// How the subsets of a DestinationRule change.
struct SubsetChanges {
    std::vector<std::string> added;    // in the new order
    std::vector<std::string> removed;  // in the old order
    std::vector<std::string> changed;  // same name, other definition; in the new order
};
SubsetChanges subset_changes(const boost::json::array* before, const boost::json::array* after);

}  // namespace meshorch::plan_detail
