// Internal: reading the small files the configuration points at (CA bundles, keys, tokens).
#pragma once

#include <meshorch/error.hpp>

#include <string>

namespace meshorch::kubernetes::detail {

// The whole file, or Errc::io naming the file and the system's reason.
Result<std::string> read_text_file(const std::string& path);

// `path` when absolute, else `path` relative to `base_dir` (kubectl resolves kubeconfig paths
// against the kubeconfig's directory).
std::string resolve_path(const std::string& base_dir, const std::string& path);

}  // namespace meshorch::kubernetes::detail
