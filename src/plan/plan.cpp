#include <meshorch/plan.hpp>

#include "plan/manifest_diff.hpp"

#include <boost/json/value.hpp>

#include <algorithm>
#include <compare>
#include <cstddef>
#include <string_view>
#include <utility>

namespace meshorch {

namespace json = boost::json;
using plan_detail::SubsetChanges;

const char* to_string(ActionKind kind) noexcept {
    switch (kind) {
        case ActionKind::create: return "create";
        case ActionKind::patch: return "patch";
        case ActionKind::remove: return "delete";
    }
    return "unknown";
}

std::size_t Plan::count(ActionKind kind) const noexcept {
    return static_cast<std::size_t>(std::count_if(actions.begin(), actions.end(),
                                                  [&](const Action& a) { return a.kind == kind; }));
}

namespace {

// "networking.istio.io/v1" -> "networking.istio.io"; "v1" (the core group) -> "".
std::string_view api_group(std::string_view api_version) {
    auto slash = api_version.rfind('/');
    return slash == std::string_view::npos ? std::string_view{} : api_version.substr(0, slash);
}

// Same kind, namespace and name: the keys sort next to each other (only apiVersion differs).
bool same_name(const ObjectKey& a, const ObjectKey& b) {
    return a.kind == b.kind && a.namespace_ == b.namespace_ && a.name == b.name;
}

// One key that differs between applied and desired. `Desired` is `const Object*` when the
// caller keeps its desired set (the actions get copies), `Object*` when it gave the set up (the
// actions take the objects).
template <class Desired>
struct Change {
    const Object* before = nullptr;  // as applied; null: create
    Desired after = nullptr;         // as desired; null: remove
};

Object take(const Object* desired) {
    return *desired;
}
Object take(Object* desired) {
    return std::move(*desired);
}

// Every differing object, in apply order (of the desired key when both exist). Both lists are
// in apply order.
template <class Desired>
std::vector<Change<Desired>> changes_between(const std::vector<const Object*>& applied,
                                             const std::vector<Desired>& desired) {
    std::vector<Change<Desired>> out;
    auto a = applied.begin();
    auto d = desired.begin();
    while (a != applied.end() || d != desired.end()) {
        const auto order = a == applied.end()   ? std::strong_ordering::greater
                           : d == desired.end() ? std::strong_ordering::less
                                                : (*a)->key <=> (*d)->key;
        if (order < 0) {
            out.push_back({*a, nullptr});
            ++a;
        } else if (order > 0) {
            out.push_back({nullptr, *d});
            ++d;
        } else {
            if (!plan_detail::json_equal((*a)->manifest, (*d)->manifest)) {
                out.push_back({*a, *d});
            }
            ++a;
            ++d;
        }
    }

    // The same object under another version of its API group (v1beta1 -> v1) is one object to
    // the API server: patch it, never create the new and then delete the old (that would delete
    // the object). Such keys are adjacent: they differ only in apiVersion, which sorts last.
    for (std::size_t begin = 0; begin < out.size();) {
        std::size_t end = begin + 1;
        const ObjectKey& first = out[begin].before ? out[begin].before->key : out[begin].after->key;
        while (end < out.size()) {
            const auto& c = out[end];
            if (!same_name(first, c.before ? c.before->key : c.after->key)) break;
            ++end;
        }
        for (std::size_t i = begin; i < end; ++i) {
            if (out[i].before || !out[i].after) continue;  // only creates take a removal
            for (std::size_t j = begin; j < end; ++j) {
                if (out[j].after || !out[j].before) continue;
                if (api_group(out[j].before->key.api_version) !=
                    api_group(out[i].after->key.api_version)) {
                    continue;
                }
                out[i].before = out[j].before;
                out[j].before = nullptr;  // emptied; dropped below
                break;
            }
        }
        begin = end;
    }
    std::erase_if(out, [](const Change<Desired>& c) { return !c.before && !c.after; });
    return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (const auto& p : parts) {
        if (p.empty()) continue;
        if (!out.empty()) out += separator;
        out += p;
    }
    return out;
}

std::string names_phrase(std::string_view noun, const std::vector<std::string>& names,
                         std::string_view verb) {
    if (names.empty()) return {};
    std::string out(noun);
    if (names.size() > 1) out += 's';
    out += ' ';
    out += plan_detail::join_limited(names);
    if (!verb.empty()) {
        out += ' ';
        out += verb;
    }
    return out;
}

std::string api_version_phrase(const Object& before, const Object& after) {
    if (before.key.api_version == after.key.api_version) return {};
    return "apiVersion " + before.key.api_version + " -> " + after.key.api_version;
}

// Fields that changed, except those `skip` names (already told another way) and apiVersion.
std::string fields_phrase(const Object& before, const Object& after, std::string_view skip = {}) {
    auto fields = plan_detail::changed_fields(before.manifest, after.manifest);
    std::erase_if(fields, [&](const std::string& f) { return f == skip || f == "apiVersion"; });
    if (fields.empty()) return {};
    return "changed: " + plan_detail::join_limited(fields);
}

std::string patch_reason(const Object& before, const Object& after) {
    std::string out = join({api_version_phrase(before, after), fields_phrase(before, after)}, "; ");
    return out.empty() ? "changed" : out;
}

std::string subset_reason(const Object& before, const Object& after, const SubsetChanges& s,
                          bool with_removed) {
    std::vector<std::string> parts = {
        api_version_phrase(before, after),
        names_phrase("subset", s.added, "added"),
        names_phrase("subset", s.changed, "changed"),
        with_removed ? names_phrase("subset", s.removed, "removed") : std::string{},
    };
    // A reordering of the subsets only shows as a change of spec.subsets.
    const bool told =
        !s.added.empty() || !s.changed.empty() || (with_removed && !s.removed.empty());
    parts.push_back(fields_phrase(before, after, told ? "spec.subsets" : ""));
    std::string out = join(parts, "; ");
    return out.empty() ? "changed" : out;
}

// The new DestinationRule with the removed subsets still in it, in the old order, then the
// added ones: what routes may use while they move.
json::object union_manifest(const Object& before, const Object& after) {
    json::object out = after.manifest;
    const json::array* old_subsets = plan_detail::subsets_of(before.manifest);
    const json::array* new_subsets = plan_detail::subsets_of(after.manifest);
    static const json::array none;
    const json::array& olds = old_subsets ? *old_subsets : none;
    const json::array& news = new_subsets ? *new_subsets : none;
    auto find = [](const json::array& in, std::string_view name) -> const json::value* {
        for (const auto& s : in) {
            if (plan_detail::subset_name(s) == name) return &s;
        }
        return nullptr;
    };
    json::array merged;
    merged.reserve(olds.size() + news.size());
    for (const auto& s : olds) {
        const auto* now = find(news, plan_detail::subset_name(s));
        merged.push_back(now ? *now : s);
    }
    for (const auto& s : news) {
        if (!find(olds, plan_detail::subset_name(s))) merged.push_back(s);
    }
    out["spec"].as_object()["subsets"] = std::move(merged);
    return out;
}

template <class Desired>
bool is_destination_rule(const Change<Desired>& c) {
    return c.before && c.after && c.after->key.kind == "DestinationRule";
}

// A DestinationRule patch that takes subsets away, with a spec to hold the union in.
template <class Desired>
bool drops_subsets(const Change<Desired>& c, const SubsetChanges& subsets) {
    const auto* spec = c.after->manifest.if_contains("spec");
    return !subsets.removed.empty() && spec && spec->is_object();
}

// Both lists in apply order.
template <class Desired>
Plan plan_changes(const std::vector<const Object*>& applied, const std::vector<Desired>& desired) {
    const std::vector<Change<Desired>> changes = changes_between(applied, desired);
    Plan out;
    out.actions.reserve(changes.size() + 4);

    // 1. make: creates and patches in apply order; shrinking DestinationRules keep their old
    //    subsets for now.
    std::vector<bool> split(changes.size(), false);
    for (std::size_t i = 0; i < changes.size(); ++i) {
        const Change<Desired>& c = changes[i];
        if (!c.after) continue;
        if (!c.before) {
            out.actions.push_back({ActionKind::create, take(c.after), "new"});
            continue;
        }
        if (!is_destination_rule(c)) {
            std::string reason = patch_reason(*c.before, *c.after);  // before `after` is taken
            out.actions.push_back({ActionKind::patch, take(c.after), std::move(reason)});
            continue;
        }
        const SubsetChanges subsets =
            plan_detail::subset_changes(plan_detail::subsets_of(c.before->manifest),
                                        plan_detail::subsets_of(c.after->manifest));
        if (!drops_subsets(c, subsets)) {
            std::string reason = subset_reason(*c.before, *c.after, subsets, true);
            out.actions.push_back({ActionKind::patch, take(c.after), std::move(reason)});
            continue;
        }
        split[i] = true;
        Object widened{c.after->key, union_manifest(*c.before, *c.after)};
        if (widened.key == c.before->key &&
            plan_detail::json_equal(widened.manifest, c.before->manifest)) {
            continue;  // nothing but the removal changes: one write, in phase 2
        }
        std::string reason = subset_reason(*c.before, widened, subsets, false);
        reason = (reason == "changed" ? std::string{} : reason + "; ") + "keeps " +
                 names_phrase("subset", subsets.removed, "until routes move");
        out.actions.push_back({ActionKind::patch, std::move(widened), std::move(reason)});
    }

    // 2. break: deletions in reverse apply order (routes before the subsets and workloads they
    //    point at), each shrunken DestinationRule at its own place in that order.
    for (std::size_t i = changes.size(); i-- > 0;) {
        const Change<Desired>& c = changes[i];
        if (!c.after) {
            out.actions.push_back({ActionKind::remove, *c.before, "no longer desired"});
        } else if (split[i]) {
            SubsetChanges subsets =
                plan_detail::subset_changes(plan_detail::subsets_of(c.before->manifest),
                                            plan_detail::subsets_of(c.after->manifest));
            std::string reason =
                names_phrase("subset", subsets.removed, "removed") + " after routes moved";
            out.actions.push_back({ActionKind::patch, take(c.after), std::move(reason)});
        }
    }
    return out;
}

std::vector<const Object*> borrow(const ObjectSet& set) {
    std::vector<const Object*> out;
    out.reserve(set.size());
    for (const auto& [key, object] : set) out.push_back(&object);
    return out;
}

std::vector<Object*> borrow(std::vector<Object>& objects) {
    std::vector<Object*> out;
    out.reserve(objects.size());
    for (auto& object : objects) out.push_back(&object);
    return out;
}

}  // namespace

Plan plan(const ObjectSet& applied, const ObjectSet& desired) {
    return plan_changes(borrow(applied), borrow(desired));
}

Plan plan(const ObjectSet& applied, ObjectSet&& desired) {
    return plan_subset(borrow(applied), std::move(desired));
}

Plan plan_subset(const std::vector<const Object*>& applied, ObjectSet&& desired) {
    std::vector<Object> owned = std::move(desired).release();
    return plan_changes(applied, borrow(owned));
}

}  // namespace meshorch
