#include "kubernetes/label_selector.hpp"

#include "http/client.hpp"

namespace meshorch::kubernetes::detail {

std::string label_selector(const std::map<std::string, std::string>& labels) {
    std::string out;
    for (const auto& [key, value] : labels) {
        if (!out.empty()) out += ',';
        out += key;
        out += '=';
        out += value;
    }
    return out;
}

std::string list_query(const std::string& selector, std::size_t limit,
                       const std::string& continue_token) {
    std::string q;
    const auto add = [&q](const char* name, const std::string& value) {
        q += q.empty() ? '?' : '&';
        q += name;
        q += '=';
        q += http::url_encode(value);
    };
    if (!selector.empty()) add("labelSelector", selector);
    if (limit > 0) add("limit", std::to_string(limit));
    if (!continue_token.empty()) add("continue", continue_token);
    return q;
}

}  // namespace meshorch::kubernetes::detail
