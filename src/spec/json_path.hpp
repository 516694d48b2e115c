// Paths into a JSON document, as they appear in FieldError::path and SourceMap keys:
// `spec.microservices[2].versions[0].vm.flavor`, `metadata.labels["app.kubernetes.io/name"]`.
#pragma once

#include <meshorch/document.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace meshorch::spec_detail {

// `parent.key`, or `parent["key"]` when the key is not a plain identifier (letters, digits,
// '_' and '-', not starting with a digit or '-'). The root path is "".
std::string member_path(std::string_view parent, std::string_view key);
// `parent[index]`.
std::string index_path(std::string_view parent, std::size_t index);

// The path with its last segment removed ("a.b[1]" -> "a.b", "a" -> ""); nullopt for "".
std::optional<std::string_view> parent_path(std::string_view path);

// True when `path` is `ancestor` or lies below it.
bool path_within(std::string_view path, std::string_view ancestor);

// Position of `path` in the source, or of its nearest ancestor that has one.
std::optional<std::pair<int, int>> find_position(const SourceMap& positions, std::string_view path);

}  // namespace meshorch::spec_detail
