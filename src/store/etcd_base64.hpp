// Internal: base64 for etcd's JSON gateway, which carries every key and value as base64 (the
// standard alphabet, padded).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace meshorch::store_detail {

std::string base64_encode(std::string_view bytes);
// std::nullopt when `text` is not padded standard base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace meshorch::store_detail
