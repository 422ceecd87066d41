// SPDX-License-Identifier: Apache-2.0
// src/wdk_runtime.cpp - small kernel runtime routines ported drivers call (umaccess/wdm_io.h):
// DbgPrint and DbgPrintEx with Windows' format dialect, RtlInitUnicodeString and
// RtlEqualUnicodeString, and the WPP trace runtime of umaccess/wpp.h (formatted here, printed
// through DbgPrintEx's filter and output).
//
// DbgPrint formats piece by piece: each conversion is read with the argument type Windows
// gives it (so "%lu" of a ULONG reads 32 bits, as on Windows, where Linux's printf would
// read a 64-bit long) and formatted by snprintf; the Windows-only conversions (%wZ, %ws,
// %I64x, ...) are converted here. Format reference:
// https://learn.microsoft.com/en-us/cpp/c-runtime-library/format-specification-syntax-printf-and-wprintf-functions
#include <atomic>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

#include "umaccess/wdm.h"
#include "umaccess/wpp.h"
#include "utf16.h"

namespace umaccess::detail {
namespace {

std::mutex g_print_mutex;
UMA_DBG_PRINT_CALLBACK g_print_callback = nullptr;
void* g_print_context = nullptr;
ULONG g_print_level = DPFLTR_ERROR_LEVEL;

// UTF-16 units [s, s + n) (n = SIZE_MAX: up to the terminator) as UTF-8; NULL as "(null)".
std::string utf8(const WCHAR* s, std::size_t n) {
  if (s == nullptr) return "(null)";
  if (n == SIZE_MAX) {
    n = 0;
    while (s[n] != 0) ++n;
  }
  return utf16_to_utf8(s, n);
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

// ---- WPP (umaccess/wpp.h) ------------------------------------------------------------------------
namespace {

UMA_WPP_CONTROL_BLOCK g_wpp_control = {~0ULL, TRACE_LEVEL_VERBOSE};
std::atomic<LONG> g_wpp_init_count{0};

// The DbgPrintEx level a WPP level prints at.
ULONG dbg_level(int level) {
  if (level <= TRACE_LEVEL_ERROR) return DPFLTR_ERROR_LEVEL;
  if (level == TRACE_LEVEL_WARNING) return DPFLTR_WARNING_LEVEL;
  if (level == TRACE_LEVEL_INFORMATION) return DPFLTR_TRACE_LEVEL;
  return DPFLTR_INFO_LEVEL;
}

const char* wpp_level_name(int level) {
  switch (level) {
    case TRACE_LEVEL_CRITICAL: return "TRACE_LEVEL_CRITICAL";
    case TRACE_LEVEL_ERROR: return "TRACE_LEVEL_ERROR";
    case TRACE_LEVEL_WARNING: return "TRACE_LEVEL_WARNING";
    case TRACE_LEVEL_INFORMATION: return "TRACE_LEVEL_INFORMATION";
    case TRACE_LEVEL_VERBOSE: return "TRACE_LEVEL_VERBOSE";
    default: return "TRACE_LEVEL_NONE";
  }
}

using umaccess::wpp::Arg;

void append_arg(std::string& out, const std::string& spec, char conversion, const Arg& a) {
  switch (conversion) {
    case 'd':
    case 'i':
      if (a.kind == Arg::kFloat) append_formatted(out, spec + "lld", static_cast<long long>(a.d));
      else if (a.kind == Arg::kSigned || a.kind == Arg::kUnsigned)
        append_formatted(out, spec + "lld", a.i);
      else append_formatted(out, spec + "lld", static_cast<long long>(reinterpret_cast<intptr_t>(a.p)));
      return;
    case 'u':
    case 'o':
    case 'x':
    case 'X':
      if (a.kind == Arg::kSigned || a.kind == Arg::kUnsigned)  // the argument's own width
        append_formatted(out, spec + "ll" + conversion,
                         a.size >= sizeof(unsigned long long) || a.size == 0
                             ? a.u
                             : a.u & ((1ULL << (a.size * 8)) - 1));
      else append_formatted(out, spec + "ll" + conversion,
                            static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(a.p)));
      return;
    case 'c':
    case 'C': {
      const char16_t unit = static_cast<char16_t>(a.u);
      append_formatted(out, spec + 's', utf8(&unit, 1).c_str());
      return;
    }
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G':
    case 'a':
    case 'A':
      append_formatted(out, spec + conversion,
                       a.kind == Arg::kFloat ? a.d : static_cast<double>(a.i));
      return;
    case 'p': {
      // As Windows prints %p: the pointer's hex digits, zero-padded, no "0x" (drivers write
      // "0x%p").
      char digits[32];
      std::snprintf(digits, sizeof digits, "%0*llX", static_cast<int>(2 * sizeof(void*)),
                    static_cast<unsigned long long>(
                        reinterpret_cast<uintptr_t>(a.kind == Arg::kSigned ||
                                                            a.kind == Arg::kUnsigned
                                                        ? reinterpret_cast<const void*>(a.u)
                                                        : a.p)));
      append_formatted(out, spec + 's', digits);
      return;
    }
    default: break;
  }
  // Strings (s, S, Z): by the argument's type.
  std::string text;
  if (a.kind == Arg::kString) {
    text = a.p == nullptr ? "NULL" : static_cast<const char*>(a.p);
  } else if (a.kind == Arg::kWideString) {
    text = a.p == nullptr ? "NULL" : utf8(static_cast<const WCHAR*>(a.p), SIZE_MAX);
  } else if (a.kind == Arg::kUnicodeString) {
    const auto* string = static_cast<const UNICODE_STRING*>(a.p);
    text = string == nullptr ? "NULL" : utf8(string->Buffer, string->Length / sizeof(WCHAR));
  } else {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%p", a.p);
    text = buffer;
  }
  append_formatted(out, spec + 's', text.c_str());
}

std::string format_wpp(const umaccess::wpp::Site& site, const char* f, const Arg* args,
                       std::size_t count) {
  std::string out;
  std::size_t next = 0;
  const Arg none;
  auto take = [&]() -> const Arg& { return next < count ? args[next++] : none; };
  while (f != nullptr && *f != '\0') {
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
    if (*f == '!') {  // %!TYPE!
      const char* end = std::strchr(f + 1, '!');
      if (end == nullptr) {
        out += start;
        break;
      }
      const std::string type(f + 1, static_cast<std::size_t>(end - f - 1));
      f = end + 1;
      if (type == "FUNC") out += site.function;
      else if (type == "FILE") out += site.file;
      else if (type == "LINE") out += std::to_string(site.line);
      else if (type == "LEVEL") out += wpp_level_name(site.level);
      else if (type == "FLAGS") out += site.flags;
      else if (type == "COMPNAME") out += site.module;
      else {
        const Arg& a = take();
        if (type == "STATUS") {
          const auto status = static_cast<NTSTATUS>(static_cast<std::uint32_t>(a.u));
          const char* name = umaccess::status_name(status);
          if (name != nullptr && std::strncmp(name, "STATUS_", 7) == 0) {
            out += name;
          } else {
            append_formatted(out, std::string("0x%08X"), static_cast<unsigned>(a.u));
          }
        } else if (type == "HEXDUMP") {
          const auto* bytes = static_cast<const unsigned char*>(a.p);
          for (std::size_t i = 0; bytes != nullptr && i < a.length; ++i)
            append_formatted(out, std::string(i == 0 ? "%02X" : " %02X"), bytes[i]);
        } else if (type == "bool" || type == "BOOLEAN") {
          out += a.u != 0 ? "TRUE" : "FALSE";
        } else if (a.kind == Arg::kSigned) {
          out += std::to_string(a.i);
        } else if (a.kind == Arg::kUnsigned) {
          append_formatted(out, std::string("0x%llX"), a.u);
        } else {
          append_arg(out, "%", 's', a);
        }
      }
      continue;
    }
    std::string spec = "%";
    while (*f != '\0' && std::strchr("-+ #0'", *f) != nullptr) spec += *f++;
    if (*f == '*') {
      spec += std::to_string(take().i);
      ++f;
    } else {
      while (*f >= '0' && *f <= '9') spec += *f++;
    }
    if (*f == '.') {
      spec += *f++;
      if (*f == '*') {
        spec += std::to_string(take().i);
        ++f;
      } else {
        while (*f >= '0' && *f <= '9') spec += *f++;
      }
    }
    // Length prefixes: the argument's own type decides the size. 'w' and 'l' before s or c
    // (and S, C) mean a WCHAR string or character; the argument's type says that too.
    if (std::strncmp(f, "I64", 3) == 0 || std::strncmp(f, "I32", 3) == 0) f += 3;
    else if (f[0] == 'h' && f[1] == 'h') f += 2;
    else if (f[0] == 'l' && f[1] == 'l') f += 2;
    else if (*f != '\0' && std::strchr("IhlwztjLq", *f) != nullptr) ++f;
    const char c = *f;
    if (c == '\0') {
      out += start;
      break;
    }
    ++f;
    if (c == 'n') {
      (void)take();
      continue;
    }
    if (std::strchr("diuoxXcCeEfFgGaApsSZ", c) == nullptr) {
      out.append(start, static_cast<std::size_t>(f - start));
      continue;
    }
    append_arg(out, spec, c, take());
  }
  return out;
}

}  // namespace

namespace umaccess::wpp {

bool level_printed(int level) noexcept { return level_enabled(dbg_level(level)); }

void emit(const Site& site, const char* format, const Arg* args, std::size_t count) noexcept {
  try {
    std::string text = site.module;
    text += ": ";
    text += format_wpp(site, format, args, count);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    text += '\n';
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, dbg_level(site.level), "%s", text.c_str());
  } catch (...) {
    // No memory for the message: it is lost, as a trace buffer overrun loses events.
  }
}

}  // namespace umaccess::wpp

extern "C" {

UMA_WPP_CONTROL_BLOCK* UmaWppControlBlock(void) { return &g_wpp_control; }

VOID UmaWppSetControl(ULONG64 Flags, UCHAR Level) {
  g_wpp_control.Flags = Flags;
  g_wpp_control.Level = Level;
}

LONG UmaWppInitCount(void) { return g_wpp_init_count.load(); }

VOID UmaWppInitTracing(PCSTR /*Module*/) { ++g_wpp_init_count; }

VOID UmaWppCleanup(PCSTR /*Module*/) { --g_wpp_init_count; }

}  // extern "C"
