// POSIX shell quoting for values meshorch writes into files a shell sources (cluster.env) or into
// command lines. Internal; not installed.
#pragma once

#include <string>
#include <string_view>

namespace meshorch {

// `s` as one single-quoted shell word that any POSIX shell reads back as exactly `s`: the content
// between single quotes is literal ($, `, \, ", newlines included); each ' becomes '"'"' (close,
// a double-quoted quote, reopen). Always quoted, the empty string too (''). A NUL byte cannot be
// represented in a shell word (bash drops it); callers reject or remove it first.
std::string shell_quote(std::string_view s);

// True for a shell variable name: [A-Za-z_][A-Za-z0-9_]*.
bool is_shell_variable_name(std::string_view s) noexcept;

}  // namespace meshorch
