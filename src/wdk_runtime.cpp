// SPDX-License-Identifier: Apache-2.0
// src/wdk_runtime.cpp - small kernel runtime routines ported drivers call (umaccess/wdm_io.h):
// DbgPrint and DbgPrintEx with Windows' format dialect, RtlInitUnicodeString and
// RtlEqualUnicodeString.
//
// DbgPrint formats piece by piece: each conversion is read with the argument type Windows
// gives it (so "%lu" of a ULONG reads 32 bits, as on Windows, where Linux's printf would
// read a 64-bit long) and formatted by snprintf; the Windows-only conversions (%wZ, %ws,
// %I64x, ...) are converted here. Format reference:
// https://learn.microsoft.com/en-us/cpp/c-runtime-library/format-specification-syntax-printf-and-wprintf-functions
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

#include "umaccess/wdm.h"

namespace umaccess::detail {
namespace {

std::mutex g_print_mutex;
UMA_DBG_PRINT_CALLBACK g_print_callback = nullptr;
void* g_print_context = nullptr;
ULONG g_print_level = DPFLTR_ERROR_LEVEL;

void append_utf8(std::string& out, std::uint32_t c) {
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

// UTF-16 units [s, s + n) (n = SIZE_MAX: up to the terminator) as UTF-8.
std::string utf8(const WCHAR* s, std::size_t n) {
  std::string out;
  if (s == nullptr) return "(null)";
  for (std::size_t i = 0; i < n && (n != SIZE_MAX || s[i] != 0); ++i) {
    std::uint32_t c = s[i];
    if (c >= 0xD800 && c < 0xDC00 && i + 1 < n && s[i + 1] >= 0xDC00 && s[i + 1] < 0xE000) {
      c = 0x10000 + ((c - 0xD800) << 10) + (s[i + 1] - 0xDC00);
      ++i;
    }
    append_utf8(out, c);
  }
  return out;
}

template <class T>
void append_formatted(std::string& out, const std::string& spec, T value) {
  char buffer[512];
  const int n = std::snprintf(buffer, sizeof buffer, spec.c_str(), value);
  if (n < 0) return;
  if (static_cast<std::size_t>(n) < sizeof buffer) {
    out.append(buffer, static_cast<std::size_t>(n));
  } else {
    std::string big(static_cast<std::size_t>(n) + 1, '\0');
    std::snprintf(&big[0], big.size(), spec.c_str(), value);
    out.append(big.data(), static_cast<std::size_t>(n));
  }
}

std::string format(const char* f, va_list args) {
  std::string out;
  if (f == nullptr) return out;
  while (*f != '\0') {
    if (*f != '%') {
      out += *f++;
      continue;
    }
    const char* start = f++;
    if (*f == '%') {
      out += '%';
      ++f;
      continue;
    }
    std::string spec = "%";
    while (*f != '\0' && std::strchr("-+ #0'", *f) != nullptr) spec += *f++;
    if (*f == '*') {
      spec += std::to_string(va_arg(args, int));
      ++f;
    } else {
      while (*f >= '0' && *f <= '9') spec += *f++;
    }
    if (*f == '.') {
      spec += *f++;
      if (*f == '*') {
        spec += std::to_string(va_arg(args, int));
        ++f;
      } else {
        while (*f >= '0' && *f <= '9') spec += *f++;
      }
    }
    // Length: Windows' meanings (l = 32 bits, I64 = 64, I = pointer-sized, w = wide).
    enum class Size { Default, Char, Short, Long32, Bits64, Pointer, LongDouble, Wide };
    Size size = Size::Default;
    if (std::strncmp(f, "I64", 3) == 0) {
      size = Size::Bits64, f += 3;
    } else if (std::strncmp(f, "I32", 3) == 0) {
      size = Size::Long32, f += 3;
    } else if (*f == 'I') {
      size = Size::Pointer, ++f;
    } else if (f[0] == 'h' && f[1] == 'h') {
      size = Size::Char, f += 2;
    } else if (*f == 'h') {
      size = Size::Short, ++f;
    } else if (f[0] == 'l' && f[1] == 'l') {
      size = Size::Bits64, f += 2;
    } else if (*f == 'l' || *f == 'w') {
      size = *f == 'w' ? Size::Wide : Size::Long32, ++f;
    } else if (*f == 'z' || *f == 't' || *f == 'j') {
      size = Size::Pointer, ++f;
    } else if (*f == 'L' || *f == 'q') {
      size = *f == 'L' ? Size::LongDouble : Size::Bits64, ++f;
    }
    const char c = *f;
    if (c == '\0') {
      out += start;  // a dangling '%...': print it as it is
      break;
    }
    ++f;
    switch (c) {
      case 'd':
      case 'i':
        if (size == Size::Bits64 || size == Size::Pointer)
          append_formatted(out, spec + "lld",
                           static_cast<long long>(size == Size::Bits64 ? va_arg(args, long long)
                                                                       : va_arg(args, intptr_t)));
        else
          append_formatted(out, spec + c,
                           size == Size::Char    ? static_cast<signed char>(va_arg(args, int))
                           : size == Size::Short ? static_cast<short>(va_arg(args, int))
                                                 : va_arg(args, int));
        break;
      case 'u':
      case 'o':
      case 'x':
      case 'X':
        if (size == Size::Bits64 || size == Size::Pointer)
          append_formatted(out, spec + "ll" + c,
                           static_cast<unsigned long long>(size == Size::Bits64
                                                               ? va_arg(args, unsigned long long)
                                                               : va_arg(args, uintptr_t)));
        else
          append_formatted(out, spec + c,
                           size == Size::Char ? static_cast<unsigned char>(va_arg(args, unsigned))
                           : size == Size::Short
                               ? static_cast<unsigned short>(va_arg(args, unsigned))
                               : va_arg(args, unsigned));
        break;
      case 'c':
      case 'C':
        if (size == Size::Wide || size == Size::Long32 || c == 'C') {
          const std::string text =
              utf8(std::u16string(1, static_cast<char16_t>(va_arg(args, int))).c_str(), 1);
          append_formatted(out, spec + 's', text.c_str());
        } else {
          append_formatted(out, spec + 'c', va_arg(args, int));
        }
        break;
      case 's':
      case 'S':
        if (size == Size::Wide || size == Size::Long32 || c == 'S') {
          const std::string text = utf8(va_arg(args, const WCHAR*), SIZE_MAX);
          append_formatted(out, spec + 's', text.c_str());
        } else {
          const char* text = va_arg(args, const char*);
          append_formatted(out, spec + 's', text != nullptr ? text : "(null)");
        }
        break;
      case 'Z':
        if (size == Size::Wide) {
          const auto* string = va_arg(args, const UNICODE_STRING*);
          const std::string text =
              string == nullptr ? "(null)" : utf8(string->Buffer, string->Length / sizeof(WCHAR));
          append_formatted(out, spec + 's', text.c_str());
        } else {
          append_formatted(out, std::string("%p"), va_arg(args, void*));
        }
        break;
      case 'p': append_formatted(out, spec + 'p', va_arg(args, void*)); break;
      case 'e':
      case 'E':
      case 'f':
      case 'F':
      case 'g':
      case 'G':
      case 'a':
      case 'A':
        if (size == Size::LongDouble)
          append_formatted(out, spec + 'L' + c, va_arg(args, long double));
        else
          append_formatted(out, spec + c, va_arg(args, double));
        break;
      case 'n':
        (void)va_arg(args, void*);  // never written
        break;
      default: out.append(start, static_cast<std::size_t>(f - start)); break;
    }
  }
  return out;
}

void emit(const std::string& text) {
  std::lock_guard<std::mutex> lock(g_print_mutex);
  if (g_print_callback != nullptr) {
    g_print_callback(text.c_str(), g_print_context);
  } else {
    std::fputs(text.c_str(), stderr);
    std::fflush(stderr);
  }
}

bool level_enabled(ULONG level) {
  std::lock_guard<std::mutex> lock(g_print_mutex);
  // Levels 0-31 are severities; larger values are bit masks (DbgPrintEx's convention).
  if (level > 31) return (level & ((2u << g_print_level) - 1)) != 0;
  return level <= g_print_level;
}

char16_t ascii_upper(char16_t c) { return c >= u'a' && c <= u'z' ? c - u'a' + u'A' : c; }

}  // namespace
}  // namespace umaccess::detail

using namespace umaccess::detail;

extern "C" {

ULONG DbgPrint(PCSTR Format, ...) {
  va_list args;
  va_start(args, Format);
  const std::string text = format(Format, args);
  va_end(args);
  emit(text);
  return static_cast<ULONG>(STATUS_SUCCESS);
}

ULONG DbgPrintEx(ULONG /*ComponentId*/, ULONG Level, PCSTR Format, ...) {
  if (!level_enabled(Level)) return static_cast<ULONG>(STATUS_SUCCESS);
  va_list args;
  va_start(args, Format);
  const std::string text = format(Format, args);
  va_end(args);
  emit(text);
  return static_cast<ULONG>(STATUS_SUCCESS);
}

VOID UmaSetDbgPrintCallback(UMA_DBG_PRINT_CALLBACK Callback, void* Context) {
  std::lock_guard<std::mutex> lock(g_print_mutex);
  g_print_callback = Callback;
  g_print_context = Context;
}

VOID UmaSetDbgPrintLevel(ULONG Level) {
  std::lock_guard<std::mutex> lock(g_print_mutex);
  g_print_level = Level > 31 ? 31 : Level;
}

VOID RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString) {
  if (SourceString == nullptr) {
    DestinationString->Length = DestinationString->MaximumLength = 0;
    DestinationString->Buffer = nullptr;
    return;
  }
  std::size_t n = 0;
  while (SourceString[n] != 0) ++n;
  // UNICODE_STRING lengths are 16-bit byte counts: longer strings are cut (Windows limits
  // the source to 32766 characters).
  if (n > 32766) n = 32766;
  DestinationString->Length = static_cast<USHORT>(n * sizeof(WCHAR));
  DestinationString->MaximumLength = static_cast<USHORT>((n + 1) * sizeof(WCHAR));
  DestinationString->Buffer = const_cast<PWSTR>(SourceString);
}

BOOLEAN RtlEqualUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2,
                              BOOLEAN CaseInSensitive) {
  if (String1->Length != String2->Length) return FALSE;
  for (std::size_t i = 0; i < String1->Length / sizeof(WCHAR); ++i) {
    char16_t a = String1->Buffer[i], b = String2->Buffer[i];
    if (CaseInSensitive) a = ascii_upper(a), b = ascii_upper(b);
    if (a != b) return FALSE;
  }
  return TRUE;
}

}  // extern "C"
