// Internal: kubeconfig parsing, separate from file reading so it is tested on strings.
#pragma once

#include <meshorch/error.hpp>
#include <meshorch/kubernetes.hpp>

#include <string>
#include <string_view>

namespace meshorch::kubernetes::detail {

// Parses kubeconfig `text` read from `file` (named in errors; its directory anchors relative
// paths) and resolves `context` (current-context when empty). Files the kubeconfig points at
// (certificate-authority, client-certificate, client-key) are read here so that a bad path is
// reported with its context; tokenFile is only checked to exist (it is re-read per request).
Result<Config> parse_kubeconfig(std::string_view text, const std::string& file,
                                const std::string& context);

}  // namespace meshorch::kubernetes::detail
