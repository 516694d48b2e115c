// Applied set vs desired set -> the minimal, ordered list of writes. Pure.
#pragma once

#include <meshorch/object.hpp>

#include <string>
#include <vector>

namespace meshorch {

enum class ActionKind { create, patch, remove };
const char* to_string(ActionKind) noexcept;  // "create", "patch", "delete"

struct Action {
    ActionKind kind = ActionKind::create;
    // create/patch: the object to write. remove: the object as it was applied.
    Object object;
    // Why this step exists, e.g. "subset v3 added" or "keeps subset v1 until routes move".
    std::string reason;
    friend bool operator==(const Action&, const Action&) = default;
};

struct Plan {
    std::vector<Action> actions;
    bool empty() const noexcept { return actions.empty(); }
    std::size_t count(ActionKind kind) const noexcept;
    friend bool operator==(const Plan&, const Plan&) = default;
};

// Make before break:
//  1. creates and patches in apply order (a subset exists before a route uses it); a
//     DestinationRule that loses subsets is first patched to the union of old and new subsets;
//  2. then deletions in reverse apply order (routes go before subsets), with the final,
//     shrunken DestinationRule patched after the VirtualServices that stopped using them.
// An object whose manifest is unchanged never appears.
Plan plan(const ObjectSet& applied, const ObjectSet& desired);
// The same plan, with the desired objects moved into the actions instead of copied; `desired`
// is left empty.
Plan plan(const ObjectSet& applied, ObjectSet&& desired);
// plan() over a part of an applied set, borrowed: `applied` points at objects in apply order
// (the order an ObjectSet iterates in), at most one per key, that outlive the call.
Plan plan_subset(const std::vector<const Object*>& applied, ObjectSet&& desired);

}  // namespace meshorch
