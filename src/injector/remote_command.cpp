#include "injector/remote_command.hpp"

#include "render/shell_quote.hpp"

namespace meshorch::injector {

namespace {

bool is_alnum(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

bool is_safe_name(std::string_view s) noexcept {
    if (s.empty() || s.size() > 64) return false;
    if (!is_alnum(s[0]) && s[0] != '_') return false;
    for (char c : s) {
        if (!(is_alnum(c) || c == '_' || c == '.' || c == '-' || c == '@' || c == '+')) {
            return false;
        }
    }
    return true;
}

bool is_safe_remote_path(std::string_view s) noexcept {
    if (s.empty() || s.size() > 1024 || s[0] != '/') return false;
    if (s == "/") return true;
    std::string_view rest = s.substr(1);
    for (;;) {
        const auto slash = rest.find('/');
        const std::string_view segment = rest.substr(0, slash);
        if (segment.empty() || segment == "." || segment == "..") return false;
        for (char c : segment) {
            if (!(is_alnum(c) || c == '.' || c == '_' || c == '-' || c == '+' || c == '@' ||
                  c == ':' || c == ',')) {
                return false;
            }
        }
        if (slash == std::string_view::npos) return true;
        rest = rest.substr(slash + 1);
    }
}

std::string under_root(std::string_view root, std::string_view path) {
    std::string out(root);
    while (!out.empty() && out.back() == '/') out.pop_back();
    if (path.empty() || path[0] != '/') out += '/';
    out += path;
    return out.empty() ? std::string("/") : out;
}

std::string parent_directory(std::string_view path) {
    const auto slash = path.rfind('/');
    if (slash == std::string_view::npos || slash == 0) return "/";
    return std::string(path.substr(0, slash));
}

std::string command_line(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& arg : argv) {
        if (!out.empty()) out += ' ';
        out += shell_quote(arg);
    }
    return out;
}

std::string shell_command(std::string_view script, bool sudo) {
    std::string out = sudo ? "sudo -n /bin/sh -c " : "/bin/sh -c ";
    out += shell_quote(script);
    return out;
}

}  // namespace meshorch::injector
