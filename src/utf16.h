// SPDX-License-Identifier: Apache-2.0
// src/utf16.h - UTF-16 (the WDK's WCHAR strings) as UTF-8, for the WDK layer's debug
// printing and tracing (wdk_runtime.cpp) and the Zw routines' file names (zw_file.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace umaccess::detail {

// The units [s, s + units) as UTF-8: surrogate pairs combined, an unpaired surrogate as
// U+FFFD (the replacement character), so the result is always valid UTF-8.
template <class Unit>
std::string utf16_to_utf8(const Unit* s, std::size_t units) {
  std::string out;
  for (std::size_t i = 0; i < units; ++i) {
    std::uint32_t c = static_cast<std::uint16_t>(s[i]);
    const bool high = c >= 0xD800 && c < 0xDC00;
    if (high && i + 1 < units && s[i + 1] >= 0xDC00 && s[i + 1] < 0xE000) {
      c = 0x10000 + ((c - 0xD800) << 10) + (static_cast<std::uint16_t>(s[i + 1]) - 0xDC00);
      ++i;
    } else if (c >= 0xD800 && c < 0xE000) {
      c = 0xFFFD;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

}  // namespace umaccess::detail
