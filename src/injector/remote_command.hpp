// Internal: building remote shell commands from validated, quoted values. Every element of a
// command line goes through shell_quote, and the names and paths that end up in commands are
// checked first, so a value with shell metacharacters is refused long before any shell sees it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace meshorch::injector {

// A user, group, package or unit name: [A-Za-z0-9_][A-Za-z0-9._@+-]*, at most 64 characters.
bool is_safe_name(std::string_view s) noexcept;

// An absolute path whose segments are [A-Za-z0-9._+@:,-] (no spaces, quotes, $, `, ;, globs),
// no empty, "." or ".." segment (a trailing "/" is allowed only for "/" itself), at most 1024.
bool is_safe_remote_path(std::string_view s) noexcept;

// `root` + `path` for absolute paths: ("/", "/etc/x") -> "/etc/x", ("/srv/vm", "/etc/x") ->
// "/srv/vm/etc/x".
std::string under_root(std::string_view root, std::string_view path);

// The parent directory of an absolute path ("/a/b" -> "/a", "/a" -> "/").
std::string parent_directory(std::string_view path);

// argv as one command line, every element single-quoted: {"ls", "a b"} -> "'ls' 'a b'".
std::string command_line(const std::vector<std::string>& argv);

// `script` run by /bin/sh, as root through "sudo -n" when `sudo` (never prompts).
std::string shell_command(std::string_view script, bool sudo);

}  // namespace meshorch::injector
