// Internal: base64 decoding for kubeconfig *-data fields (standard alphabet, padding optional,
// line breaks and spaces ignored, as encoders wrap long values).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace meshorch::kubernetes::detail {

// std::nullopt when `text` holds a character outside the alphabet or a misplaced '='.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace meshorch::kubernetes::detail
