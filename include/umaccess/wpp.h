// SPDX-License-Identifier: Apache-2.0
// umaccess/wpp.h - WPP software tracing for ported drivers: what the .tmh files that
// umaccess_wpp() (cmake/umaccess_wdk.cmake) generates include, in place of those the WDK's
// tracewpp generates (https://learn.microsoft.com/en-us/windows-hardware/drivers/devtest/wpp-software-tracing).
// C++. A driver's sources stay as they are: its trace.h (WPP_CONTROL_GUIDS with
// WPP_DEFINE_CONTROL_GUID / WPP_DEFINE_BIT, its WPP_..._ENABLED macros, DEFINE_CPLX_TYPE),
// `#include "file.tmh"`, WPP_INIT_TRACING / WPP_CLEANUP and the trace calls (TraceEvents(LEVEL,
// FLAGS, MSG, ...) or whatever functions the build declares) compile unchanged.
//
// What a trace call does here: if the driver's WPP_<ARGS>_ENABLED(...) macro says the message
// is enabled, and the DbgPrintEx level it maps to is printed (see below), the message is
// formatted on the spot and goes out through DbgPrintEx(DPFLTR_IHVDRIVER_ID, level, ...) as one
// line "<module>: <text>" (to stderr, or the host's UmaSetDbgPrintCallback). The arguments are
// evaluated only when the message is enabled, as with WPP.
//   - Levels: TRACE_LEVEL_CRITICAL and TRACE_LEVEL_ERROR print at DPFLTR_ERROR_LEVEL (printed by
//     default), TRACE_LEVEL_WARNING at DPFLTR_WARNING_LEVEL, TRACE_LEVEL_INFORMATION at
//     DPFLTR_TRACE_LEVEL, TRACE_LEVEL_VERBOSE (and above) at DPFLTR_INFO_LEVEL:
//     UmaSetDbgPrintLevel(DPFLTR_INFO_LEVEL) shows everything. A trace function without a
//     LEVEL argument traces at TRACE_LEVEL_INFORMATION.
//   - The control block a trace session would set (WPP_CONTROL(bit).Level and the flag bits
//     WPP_LEVEL_ENABLED tests) starts with every flag on and Level TRACE_LEVEL_VERBOSE, so the
//     DbgPrint level alone decides; UmaWppSetControl narrows it, process-wide (one block for
//     every control GUID and driver; at most 64 flag bits in all).
//   - Formats: the printf conversions (d i u o x X c s p e f g, with flags, width, precision,
//     and the length prefixes h hh l ll I I32 I64 z j t, ignored: each argument is printed
//     with its own C++ type; %p as Windows prints it: zero-padded hex digits, no "0x"),
//     %ws / %ls / %S (a WCHAR string), %wZ (a PUNICODE_STRING), and
//     the WPP types %!STATUS! (the NTSTATUS's name), %!HEXDUMP! (an argument with _buf and
//     _len members, such as the samples' log_xstr(): its bytes in hex), %!bool!, %!BOOLEAN!,
//     %!FUNC!, %!FILE!, %!LINE!, %!LEVEL!, %!FLAGS!, %!COMPNAME! (no argument: the trace
//     call's function, file, line, level, flags and module). Any other %!NAME! prints its
//     argument as an integer or pointer. A NULL string prints "NULL" (as
//     WPP_CHECK_FOR_NULL_STRING asks).
//   - Not modelled: ETW sessions, GUIDs and binary logging (no .tmf, no tracefmt), the
//     WPP_LOGGER handles, the in-flight recorder (WPP_RECORDER_*), custom types other than the
//     ones above. DEFINE_CPLX_TYPE and other WPP configuration statements compile to nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "umaccess/ntddk.h"

// ---- Levels (evntrace.h) ---------------------------------------------------------------------
#ifndef TRACE_LEVEL_NONE
#define TRACE_LEVEL_NONE 0
#define TRACE_LEVEL_CRITICAL 1
#define TRACE_LEVEL_FATAL 1
#define TRACE_LEVEL_ERROR 2
#define TRACE_LEVEL_WARNING 3
#define TRACE_LEVEL_INFORMATION 4
#define TRACE_LEVEL_VERBOSE 5
#define TRACE_LEVEL_RESERVED6 6
#define TRACE_LEVEL_RESERVED7 7
#define TRACE_LEVEL_RESERVED8 8
#define TRACE_LEVEL_RESERVED9 9
#endif

// ---- The control block -------------------------------------------------------------------------
typedef struct _UMA_WPP_CONTROL_BLOCK {
  ULONG64 Flags;  // bit n: WPP_DEFINE_BIT number n (counted across every control GUID)
  UCHAR Level;
} UMA_WPP_CONTROL_BLOCK;

extern "C" {
// The process's control block (never NULL).
UMACCESS_API UMA_WPP_CONTROL_BLOCK* UmaWppControlBlock(void);
// What a trace session would enable: the flag bits and the level (messages up to it).
UMACCESS_API VOID UmaWppSetControl(ULONG64 Flags, UCHAR Level);
// WPP_INIT_TRACING calls not yet matched by WPP_CLEANUP: for leak checks after unload.
UMACCESS_API LONG UmaWppInitCount(void);
UMACCESS_API VOID UmaWppInitTracing(PCSTR Module);
UMACCESS_API VOID UmaWppCleanup(PCSTR Module);
}

// The flag bits: trace.h's WPP_CONTROL_GUIDS, numbered in order.
#define WPP_DEFINE_CONTROL_GUID(Name, Guid, Bits) Bits
#define WPP_DEFINE_BIT(Name) WPP_BIT_##Name,
#define WPP_CONTROL(uma_bit_) (*UmaWppControlBlock())
#define WPP_MASK(uma_bit_) (1ULL << ((uma_bit_)&63))
#define WPP_FLAG_NO(uma_bit_) ((uma_bit_)&63)
#ifndef WPP_LEVEL_ENABLED
#define WPP_LEVEL_ENABLED(uma_flags_) \
  ((UmaWppControlBlock()->Flags & WPP_MASK(WPP_BIT_##uma_flags_)) != 0)
#endif
#ifndef WPP_LEVEL_LOGGER
#define WPP_LEVEL_LOGGER(uma_flags_) (UmaWppControlBlock())
#endif
// The defaults tracewpp's templates give the common trace-function shapes.
#ifndef WPP_FLAG_ENABLED
#define WPP_FLAG_ENABLED(uma_flags_) WPP_LEVEL_ENABLED(uma_flags_)
#endif
#ifndef WPP_FLAG_LOGGER
#define WPP_FLAG_LOGGER(uma_flags_) WPP_LEVEL_LOGGER(uma_flags_)
#endif
#ifndef WPP_LEVEL_FLAGS_ENABLED
#define WPP_LEVEL_FLAGS_ENABLED(uma_level_, uma_flags_) \
  (WPP_LEVEL_ENABLED(uma_flags_) && WPP_CONTROL(WPP_BIT_##uma_flags_).Level >= (uma_level_))
#endif
#ifndef WPP_LEVEL_FLAGS_LOGGER
#define WPP_LEVEL_FLAGS_LOGGER(uma_level_, uma_flags_) WPP_LEVEL_LOGGER(uma_flags_)
#endif

// WPP_INIT_TRACING(DriverObject, RegistryPath) (or one argument, as in user mode),
// WPP_CLEANUP(DriverObject): counted, see UmaWppInitCount. WPP_SYSTEMCONTROL: nothing.
#define WPP_INIT_TRACING(...) ::umaccess::wpp::init_tracing(UMACCESS_WPP_MODULE, __VA_ARGS__)
#define WPP_CLEANUP(...) ::umaccess::wpp::cleanup(UMACCESS_WPP_MODULE, __VA_ARGS__)
#define WPP_SYSTEMCONTROL(...) ((void)0)
#define WPP_SYSTEMCONTROL2(...) ((void)0)

namespace umaccess::wpp {

template <class... A>
inline void init_tracing(const char* module, A&&...) {
  UmaWppInitTracing(module);
}
template <class... A>
inline void cleanup(const char* module, A&&...) {
  UmaWppCleanup(module);
}

// One argument of a trace call, as its type says.
struct Arg {
  enum Kind : int { kNone, kSigned, kUnsigned, kFloat, kPointer, kString, kWideString,
                    kUnicodeString, kHexDump } kind = kNone;
  long long i = 0;
  unsigned long long u = 0;
  double d = 0;
  const void* p = nullptr;
  std::size_t length = 0;  // kHexDump: the bytes
  unsigned size = 0;       // kSigned, kUnsigned: the argument's size in bytes
};

// Where the call is.
struct Site {
  const char* module;
  const char* file;
  int line;
  const char* function;
  int level;
  const char* flags;
};

template <class T, class = void>
struct has_buf_len : std::false_type {};
template <class T>
struct has_buf_len<T, std::void_t<decltype(std::declval<const T&>()._buf),
                                  decltype(std::declval<const T&>()._len)>> : std::true_type {};

template <class T, bool = std::is_enum<T>::value>
struct integer_of {
  using type = T;
};
template <class T>
struct integer_of<T, true> {
  using type = typename std::underlying_type<T>::type;
};

template <class T>
inline Arg make_arg(const T& v) {
  Arg a;
  using U = typename std::decay<T>::type;
  if constexpr (has_buf_len<U>::value) {
    a.kind = Arg::kHexDump;
    a.p = static_cast<const void*>(v._buf);
    a.length = static_cast<long long>(v._len) < 0 ? 0 : static_cast<std::size_t>(v._len);
  } else if constexpr (std::is_same<U, bool>::value) {
    a.kind = Arg::kUnsigned;
    a.u = v ? 1 : 0;
  } else if constexpr (std::is_integral<U>::value || std::is_enum<U>::value) {
    a.size = static_cast<unsigned>(sizeof(U));
    if constexpr (std::is_signed<typename integer_of<U>::type>::value) {
      a.kind = Arg::kSigned;
      a.i = static_cast<long long>(v);
      a.u = static_cast<unsigned long long>(a.i);
    } else {
      a.kind = Arg::kUnsigned;
      a.u = static_cast<unsigned long long>(v);
      a.i = static_cast<long long>(a.u);
    }
  } else if constexpr (std::is_floating_point<U>::value) {
    a.kind = Arg::kFloat;
    a.d = static_cast<double>(v);
  } else if constexpr (std::is_same<U, ::umaccess::CVoidPointer>::value) {
    a.kind = Arg::kPointer;
    a.p = static_cast<const void*>(v);
  } else if constexpr (std::is_same<U, std::nullptr_t>::value) {
    a.kind = Arg::kPointer;
  } else if constexpr (std::is_pointer<U>::value) {
    using P = typename std::remove_cv<typename std::remove_pointer<U>::type>::type;
    if constexpr (std::is_same<P, char>::value || std::is_same<P, signed char>::value ||
                  std::is_same<P, unsigned char>::value) {
      a.kind = Arg::kString;
    } else if constexpr (std::is_same<P, WCHAR>::value) {
      a.kind = Arg::kWideString;
    } else if constexpr (std::is_same<P, UNICODE_STRING>::value) {
      a.kind = Arg::kUnicodeString;
    } else {
      a.kind = Arg::kPointer;
    }
    if constexpr (std::is_function<P>::value) a.p = reinterpret_cast<const void*>(v);
    else a.p = static_cast<const volatile void*>(v) == nullptr
                   ? nullptr
                   : const_cast<const void*>(static_cast<const volatile void*>(v));
  } else {
    static_assert(sizeof(T) == 0, "a WPP trace argument of a type umaccess/wpp.h cannot print");
  }
  return a;
}

// TRUE if a message at this WPP level would be printed (the DbgPrintEx filter).
UMACCESS_API bool level_printed(int level) noexcept;
// Formats and prints one message.
UMACCESS_API void emit(const Site& site, const char* format, const Arg* args,
                       std::size_t count) noexcept;

template <class... A>
inline void trace(const Site& site, const char* format, const A&... a) {
  if (!level_printed(site.level)) return;
  const Arg args[] = {make_arg(a)..., Arg{}};
  emit(site, format, args, sizeof...(A));
}

}  // namespace umaccess::wpp

// What a generated trace macro expands to: Enabled is the driver's WPP_<ARGS>_ENABLED(...).
#define UMACCESS_WPP_TRACE(Enabled, Level, FlagsName, ...)                                      \
  do {                                                                                          \
    if (Enabled)                                                                                \
      ::umaccess::wpp::trace(                                                                   \
          ::umaccess::wpp::Site{UMACCESS_WPP_MODULE, __FILE__, __LINE__, __func__,               \
                                static_cast<int>(Level), FlagsName},                            \
          __VA_ARGS__);                                                                         \
  } while (0)
