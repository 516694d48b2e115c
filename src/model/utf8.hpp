// UTF-8 encoding and decoding, shared by the spec reader and the VM bundle writer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace meshorch::utf8 {

// Decodes one code point at s[i]; advances i. False (i advanced by one) on an invalid sequence:
// bad lead byte, bad continuation, overlong form, surrogate, or beyond U+10FFFF (Go's rules).
bool decode_utf8(std::string_view s, std::size_t& i, char32_t& cp);

// Appends the UTF-8 encoding of a code point.
void append_utf8(std::string& out, char32_t cp);

}  // namespace meshorch::utf8
