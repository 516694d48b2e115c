// Internal: maps a method and a path onto a handler, with path parameters.
//
// A pattern is a path of literal segments and `{name}` parameters; the last segment may carry a
// custom verb, as Google's API design has it: "/v1/operations/{id}:cancel". A parameter matches
// one segment (percent-decoded) that has no ':' in it, so `GET /v1/operations/x:cancel` finds
// the cancel route (and answers 405) rather than an operation called "x:cancel".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meshorch::api {

using Params = std::map<std::string, std::string, std::less<>>;

// Splits "a=1&b=x%20y" into decoded pairs (a key given twice: the last wins).
Params parse_query(std::string_view query);
// Percent-decoding ('+' stays '+': this is for paths); nullopt when an escape is broken.
std::optional<std::string> percent_decode(std::string_view text);

template <class Handler>
class Router {
public:
    void add(std::string method, std::string_view pattern, Handler handler) {
        routes_.push_back({std::move(method), parse_pattern(pattern), std::move(handler)});
    }

    struct Match {
        const Handler* handler = nullptr;  // null: see allowed
        Params params;
        // No handler: the methods the path allows (empty: the path is unknown -> 404; else 405).
        std::vector<std::string> allowed;
    };

    Match route(std::string_view method, std::string_view path) const {
        Match match;
        const auto segments = split(path);
        for (const auto& r : routes_) {
            Params params;
            if (!segments || !matches(r.segments, *segments, params)) continue;
            if (r.method == method) {
                match.handler = &r.handler;
                match.params = std::move(params);
                return match;
            }
            match.allowed.push_back(r.method);
        }
        return match;
    }

private:
    struct Segment {
        std::string literal;  // or, when parameter is set, the custom verb ("" when none)
        bool parameter = false;
        std::string name;
    };
    struct Route {
        std::string method;
        std::vector<Segment> segments;
        Handler handler;
    };

    static std::vector<Segment> parse_pattern(std::string_view pattern) {
        std::vector<Segment> out;
        const auto segments = split(pattern).value_or(std::vector<std::string>{});
        for (const auto& text : segments) {
            Segment s;
            if (!text.empty() && text.front() == '{') {
                const auto close = text.find('}');
                s.parameter = true;
                s.name = text.substr(1, close - 1);
                s.literal = text.substr(close + 1);  // ":verb" or ""
            } else {
                s.literal = text;
            }
            out.push_back(std::move(s));
        }
        return out;
    }

    static std::optional<std::vector<std::string>> split(std::string_view path) {
        if (path.empty() || path.front() != '/') return std::nullopt;
        std::vector<std::string> out;
        path.remove_prefix(1);
        for (;;) {
            const auto slash = path.find('/');
            out.emplace_back(path.substr(0, slash));
            if (slash == std::string_view::npos) break;
            path.remove_prefix(slash + 1);
        }
        return out;
    }

    static bool matches(const std::vector<Segment>& pattern, const std::vector<std::string>& path,
                        Params& params) {
        if (pattern.size() != path.size()) return false;
        for (std::size_t i = 0; i < pattern.size(); ++i) {
            const Segment& s = pattern[i];
            std::string_view text = path[i];
            if (!s.parameter) {
                if (text != s.literal) return false;
                continue;
            }
            if (!s.literal.empty()) {  // a custom verb
                if (!text.ends_with(s.literal)) return false;
                text.remove_suffix(s.literal.size());
            }
            auto value = percent_decode(text);
            if (!value || value->empty() || value->find(':') != std::string::npos) return false;
            params[s.name] = std::move(*value);
        }
        return true;
    }

    std::vector<Route> routes_;
};

}  // namespace meshorch::api
