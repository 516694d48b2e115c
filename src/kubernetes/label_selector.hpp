// Internal: label selectors and list queries.
#pragma once

#include <map>
#include <string>

namespace meshorch::kubernetes::detail {

// "k=v,k2=v2" (equality-based selector, keys in order). Empty map: empty string.
std::string label_selector(const std::map<std::string, std::string>& labels);

// The query of one list page: "?labelSelector=<enc>&limit=<n>&continue=<enc>", each part only
// when set ("" when none is).
std::string list_query(const std::string& selector, std::size_t limit,
                       const std::string& continue_token);

}  // namespace meshorch::kubernetes::detail
