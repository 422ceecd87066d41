// SPDX-License-Identifier: Apache-2.0
// umaccess/ntddk.h - what a WDM driver port includes instead of the WDK's <ntddk.h> / <wdm.h>:
// the vocabulary of Windows driver code around user buffers, memory, statuses and
// exceptions, on top of umaccess's engine. C++ (the __try/__except rewrite, UMA_TRY/UMA_EXCEPT,
// needs it): compile the driver's .c files as C++.
//
// Behind it:
//   - umaccess/sal.h: SAL and IRQL annotations compiled away (UMACCESS_NO_SAL: not included);
//   - umaccess/nt_types.h: base types (PULONG, PUCHAR, BYTE, KIRQL, ...), NTSTATUS and the
//     status codes, KPROCESSOR_MODE;
//   - umaccess/usermode_accessors.h: CopyFromUser, ProbeForRead, ReadStructFromMode, ...,
//     GetExceptionCode() and GetExceptionInformation() inside UMA_EXCEPT;
//   - umaccess/wdm.h and wdm_io.h: MDLs, IRPs, driver and device objects, pool, DbgPrint;
//   - umaccess/zwfile.h: ZwCreateFile, ZwReadFile, ZwWriteFile, ... on host files (NT paths
//     mapped to host directories by the host);
//   - umaccess/iohost.h: the host side (load the driver, open a device, send requests);
//   - here: UNREFERENCED_PARAMETER, PAGED_CODE, the Rtl memory macros, NT_ASSERT,
//     FIELD_OFFSET, TYPE_ALIGNMENT, ARGUMENT_PRESENT, KdPrint, ExRaiseStatus,
//     FsRtlIsNtstatusExpected, and RtlInitUnicodeString for L"..." literals.
//
// C sources compile as C++ unchanged: the untyped pointers drivers assign without casts
// (Irp->AssociatedIrp.SystemBuffer, DeviceExtension, ExAllocatePool2's result, ...) are
// UMA_C_PVOID, which converts implicitly as C's void* does (umaccess/nt_types.h). WPP tracing
// comes from umaccess/wpp.h through the .tmh files umaccess_wpp() generates, and
// include/umaccess/wdk lets the WDK's own include lines (<ntddk.h>, <wdf.h>, ...) stay
// (cmake/umaccess_wdk.cmake). What a port still changes by hand (docs/porting.md): __try /
// __except / } become UMA_TRY / UMA_EXCEPT / } UMA_END_EXCEPT, and every plain dereference or
// RtlCopyMemory of a user pointer becomes an accessor (CopyFromUser, ReadStructFromMode,
// ...): only the accessors turn a fault into an exception here.
#pragma once

#ifndef __cplusplus
#error "umaccess/ntddk.h is C++: compile the driver's sources as C++ (UMA_TRY needs it)"
#endif

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>
#include <string>

#ifndef UMACCESS_NO_SAL
#include "umaccess/sal.h"
#endif
#include "umaccess/iohost.h"
#include "umaccess/usermode_accessors.h"
#include "umaccess/wdm.h"
#include "umaccess/zwfile.h"

// ---- Compiler and declaration macros --------------------------------------------------------
#ifndef NTAPI
#define NTAPI
#endif
#ifndef NTSYSAPI
#define NTSYSAPI
#endif
#ifndef NTKERNELAPI
#define NTKERNELAPI
#endif
#ifndef FORCEINLINE
#define FORCEINLINE inline __attribute__((always_inline))
#endif
#ifndef DECLSPEC_NOINLINE
#define DECLSPEC_NOINLINE __attribute__((noinline))
#endif
#ifndef DECLSPEC_ALIGN
#define DECLSPEC_ALIGN(x) __attribute__((aligned(x)))
#endif
#ifndef DECLSPEC_NORETURN
#define DECLSPEC_NORETURN [[noreturn]]
#endif
#ifndef C_ASSERT
#define C_ASSERT(e) static_assert((e), #e)
#endif
#ifndef ANYSIZE_ARRAY
#define ANYSIZE_ARRAY 1
#endif
#ifndef POINTER_ALIGNMENT
#define POINTER_ALIGNMENT
#endif
#ifndef ALLOC_PRAGMA
// Not defined: `#ifdef ALLOC_PRAGMA / #pragma alloc_text(...)` blocks drop out.
#endif

// ---- Small macros (ntdef.h, wdm.h) ------------------------------------------------------------
#define UNREFERENCED_PARAMETER(P) ((void)(P))
#define DBG_UNREFERENCED_PARAMETER(P) ((void)(P))
#define DBG_UNREFERENCED_LOCAL_VARIABLE(V) ((void)(V))
// Pageable code must run below DISPATCH_LEVEL; everything here runs at PASSIVE_LEVEL.
#define PAGED_CODE() ((void)0)
#define PAGED_CODE_LOCKED() ((void)0)
#define FIELD_OFFSET(type, field) ((LONG)offsetof(type, field))
#define RTL_FIELD_SIZE(type, field) (sizeof(((type*)0)->field))
#define RTL_SIZEOF_THROUGH_FIELD(type, field) \
  (FIELD_OFFSET(type, field) + RTL_FIELD_SIZE(type, field))
#define RTL_NUMBER_OF(A) (sizeof(A) / sizeof((A)[0]))
#ifndef ARRAYSIZE
#define ARRAYSIZE(A) RTL_NUMBER_OF(A)
#endif
#define TYPE_ALIGNMENT(t) alignof(t)
#define ARGUMENT_PRESENT(ArgumentPointer) ((CHAR*)((ULONG_PTR)(ArgumentPointer)) != (CHAR*)NULL)
#define CONTAINING_RECORD(address, type, field) \
  ((type*)((PCHAR)(address) - (ULONG_PTR)(&((type*)0)->field)))
#define ALIGN_DOWN_BY(length, alignment) ((ULONG_PTR)(length) & ~((ULONG_PTR)(alignment)-1))
#define ALIGN_UP_BY(length, alignment) \
  ALIGN_DOWN_BY(((ULONG_PTR)(length) + (alignment)-1), alignment)
#define NT_INFORMATION(Status) ((((ULONG)(Status)) >> 30) == 1)
#define NT_WARNING(Status) ((((ULONG)(Status)) >> 30) == 2)
#define NT_ERROR(Status) ((((ULONG)(Status)) >> 30) == 3)
#define MAXUCHAR 0xff
#define MAXUSHORT 0xffff
#define MAXULONG 0xffffffffUL
#define MAXLONG 0x7fffffffL
#define MAXLONGLONG (0x7fffffffffffffffLL)
#define MAXULONG_PTR (~(ULONG_PTR)0)
#define MAXSIZE_T (~(SIZE_T)0)

// ---- Memory (wdm.h): kernel-side buffers only -------------------------------------------
// Plain memset/memcpy/memmove/memcmp: like Windows' they are not for user pointers, and here
// a bad pointer is not even caught inside UMA_TRY. Use CopyFromUser / CopyToUser for those.
#define RtlZeroMemory(Destination, Length) memset((Destination), 0, (Length))
#define RtlFillMemory(Destination, Length, Fill) memset((Destination), (Fill), (Length))
#define RtlCopyMemory(Destination, Source, Length) memcpy((Destination), (Source), (Length))
#define RtlCopyBytes RtlCopyMemory
#define RtlMoveMemory(Destination, Source, Length) memmove((Destination), (Source), (Length))
#define RtlEqualMemory(Destination, Source, Length) (!memcmp((Destination), (Source), (Length)))
#define RtlZeroBytes RtlZeroMemory
#define RtlFillBytes RtlFillMemory
// The bytes that match from the start.
inline SIZE_T RtlCompareMemory(const VOID* Source1, const VOID* Source2, SIZE_T Length) {
  const auto* a = static_cast<const UCHAR*>(Source1);
  const auto* b = static_cast<const UCHAR*>(Source2);
  SIZE_T i = 0;
  while (i < Length && a[i] == b[i]) ++i;
  return i;
}
// A zeroing the compiler cannot drop (for secrets).
inline PVOID RtlSecureZeroMemory(PVOID Pointer, SIZE_T Size) {
  volatile char* p = static_cast<volatile char*>(Pointer);
  while (Size-- != 0) *p++ = 0;
  return Pointer;
}

// ---- Debug output ------------------------------------------------------------------------
// KdPrint((...)) / KdPrintEx((...)) print in debug builds (DBG non-zero, or DBG undefined
// and NDEBUG undefined), as in a checked Windows build; otherwise nothing is evaluated.
#if (defined(DBG) && DBG) || (!defined(DBG) && !defined(NDEBUG))
#define UMACCESS_DBG_ENABLED_ 1
#define KdPrint(_x_) ((void)DbgPrint _x_)
#define KdPrintEx(_x_) ((void)DbgPrintEx _x_)
#else
#define UMACCESS_DBG_ENABLED_ 0
#define KdPrint(_x_) ((void)0)
#define KdPrintEx(_x_) ((void)0)
#endif
#define KdBreakPoint() ((void)0)

// ---- Interlocked operations on kernel memory (wdm.h) --------------------------------------
// Sequentially consistent, as Windows' full-barrier forms; the ...ToUser accessors
// (umaccess/usermode_accessors.h) are the ones for user memory.
inline LONG InterlockedIncrement(LONG volatile* Addend) {
  return __atomic_add_fetch(Addend, 1, __ATOMIC_SEQ_CST);
}
inline LONG InterlockedDecrement(LONG volatile* Addend) {
  return __atomic_sub_fetch(Addend, 1, __ATOMIC_SEQ_CST);
}
inline LONG InterlockedExchange(LONG volatile* Target, LONG Value) {
  return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST);
}
inline LONG InterlockedExchangeAdd(LONG volatile* Addend, LONG Value) {
  return __atomic_fetch_add(Addend, Value, __ATOMIC_SEQ_CST);
}
inline LONG InterlockedCompareExchange(LONG volatile* Destination, LONG ExChange,
                                       LONG Comperand) {
  __atomic_compare_exchange_n(Destination, &Comperand, ExChange, false, __ATOMIC_SEQ_CST,
                              __ATOMIC_SEQ_CST);
  return Comperand;
}

// ---- WPP configuration statements -----------------------------------------------------------
// A driver's trace.h declares its WPP custom types for tracewpp with DEFINE_CPLX_TYPE(...);
// before the generated .tmh (umaccess/wpp.h) is included. Here such a statement is a no-op
// declaration (the types umaccess/wpp.h prints are listed there).
#ifndef DEFINE_CPLX_TYPE
#define DEFINE_CPLX_TYPE(...) static_assert(true, "WPP configuration")
#endif
#define DbgBreakPoint() ((void)0)

// ---- Exceptions ----------------------------------------------------------------------------
// Raises Status as a structured exception (umaccess::StructuredException: no address, no
// bytes), caught by UMA_EXCEPT with GetExceptionCode() == Status.
[[noreturn]] inline VOID ExRaiseStatus(NTSTATUS Status) {
  throw ::umaccess::StructuredException(Status, 0, false, 0, "ExRaiseStatus");
}
[[noreturn]] inline VOID ExRaiseAccessViolation() { ExRaiseStatus(STATUS_ACCESS_VIOLATION); }
[[noreturn]] inline VOID ExRaiseDatatypeMisalignment() {
  ExRaiseStatus(STATUS_DATATYPE_MISALIGNMENT);
}

// FALSE for the statuses that mean a bug rather than an expected failure (a bad pointer
// dereferenced by the driver itself, a misaligned access, an illegal instruction), which a
// file system's exception filter must not swallow; TRUE for every other status
// (https://learn.microsoft.com/en-us/windows-hardware/drivers/ddi/ntifs/nf-ntifs-_fsrtl_advanced_fcb_header-fsrtlisntstatusexpected).
inline BOOLEAN FsRtlIsNtstatusExpected(NTSTATUS Exception) {
  switch (static_cast<ULONG>(Exception)) {
    case static_cast<ULONG>(STATUS_DATATYPE_MISALIGNMENT):
    case static_cast<ULONG>(STATUS_ACCESS_VIOLATION):
    case static_cast<ULONG>(STATUS_ILLEGAL_INSTRUCTION):
    case static_cast<ULONG>(STATUS_INSTRUCTION_MISALIGNMENT): return FALSE;
    default: return TRUE;
  }
}

// NT_ASSERT / ASSERT: in debug builds (as KdPrint), a false expression prints it with its
// file and line and bug-checks KMODE_EXCEPTION_NOT_HANDLED with STATUS_ASSERTION_FAILURE
// (what an unhandled assertion does on a machine without a debugger); the host's bug-check
// callback can catch it. NT_VERIFY always evaluates its expression.
#define KMODE_EXCEPTION_NOT_HANDLED 0x0000001Eu
namespace umaccess::detail {
[[noreturn]] inline void assertion_failed(const char* expression, const char* file, int line) {
  std::fprintf(stderr, "NT_ASSERT failed: %s at %s:%d\n", expression, file, line);
  ::umaccess::bug_check(KMODE_EXCEPTION_NOT_HANDLED,
                        static_cast<std::uint32_t>(STATUS_ASSERTION_FAILURE),
                        reinterpret_cast<std::uintptr_t>(expression),
                        reinterpret_cast<std::uintptr_t>(file), static_cast<std::uintptr_t>(line));
}
}  // namespace umaccess::detail
#if UMACCESS_DBG_ENABLED_
#define NT_ASSERT(e) ((e) ? (void)0 : ::umaccess::detail::assertion_failed(#e, __FILE__, __LINE__))
#define NT_VERIFY(e) NT_ASSERT(e)
#else
#define NT_ASSERT(e) ((void)0)
#define NT_VERIFY(e) ((void)(e))
#endif
#define NT_ASSERTMSG(msg, e) NT_ASSERT(e)
#define NT_ASSERT_ASSUME(e) NT_ASSERT(e)
#define NT_ANALYSIS_ASSUME(e) ((void)0)
#ifndef ASSERT
#define ASSERT(e) NT_ASSERT(e)
#endif
#define ASSERTMSG(msg, e) NT_ASSERT(e)

// ---- Strings: L"..." literals ------------------------------------------------------------
// WCHAR is 16-bit (char16_t) as on Windows, but an L"..." literal on Linux is 32-bit wchar_t.
// So that RtlInitUnicodeString(&name, L"\\Device\\Sample") ports unchanged, this overload
// converts the string to UTF-16 once and keeps the copy for the life of the process (one
// copy per distinct string: meant for the constant names drivers use). u"..." literals need
// no copy.
namespace umaccess::detail {
inline PCWSTR intern_wide(const wchar_t* s) {
  static std::mutex mutex;
  static std::set<std::u16string>* strings = new std::set<std::u16string>;  // never freed
  std::u16string converted;
  for (; *s != L'\0'; ++s) {
    const auto c = static_cast<std::uint32_t>(*s);
    if (c >= 0x10000) {  // a surrogate pair
      converted += static_cast<char16_t>(0xD800 + ((c - 0x10000) >> 10));
      converted += static_cast<char16_t>(0xDC00 + ((c - 0x10000) & 0x3FF));
    } else {
      converted += static_cast<char16_t>(c);
    }
  }
  std::lock_guard<std::mutex> lock(mutex);
  return strings->insert(converted).first->c_str();
}
}  // namespace umaccess::detail
inline VOID RtlInitUnicodeString(PUNICODE_STRING DestinationString, const wchar_t* SourceString) {
  RtlInitUnicodeString(DestinationString, SourceString == nullptr
                                              ? nullptr
                                              : ::umaccess::detail::intern_wide(SourceString));
}
// Counted-string copies into kernel-side strings (the caller's MaximumLength is the limit).
inline VOID RtlCopyUnicodeString(PUNICODE_STRING DestinationString,
                                 PCUNICODE_STRING SourceString) {
  if (SourceString == nullptr) {
    DestinationString->Length = 0;
    return;
  }
  const USHORT n = SourceString->Length < DestinationString->MaximumLength
                       ? SourceString->Length
                       : DestinationString->MaximumLength;
  memmove(DestinationString->Buffer, SourceString->Buffer, n);
  DestinationString->Length = n;
  if (n + sizeof(WCHAR) <= DestinationString->MaximumLength)
    DestinationString->Buffer[n / sizeof(WCHAR)] = 0;
}
// STATUS_BUFFER_TOO_SMALL, changing nothing, if the result would not fit.
inline NTSTATUS RtlAppendUnicodeStringToString(PUNICODE_STRING Destination,
                                               PCUNICODE_STRING Source) {
  const std::size_t total = std::size_t{Destination->Length} + Source->Length;
  if (total > Destination->MaximumLength) return STATUS_BUFFER_TOO_SMALL;
  memmove(reinterpret_cast<char*>(Destination->Buffer) + Destination->Length, Source->Buffer,
          Source->Length);
  Destination->Length = static_cast<USHORT>(total);
  if (total + sizeof(WCHAR) <= Destination->MaximumLength)
    Destination->Buffer[total / sizeof(WCHAR)] = 0;
  return STATUS_SUCCESS;
}
inline NTSTATUS RtlAppendUnicodeToString(PUNICODE_STRING Destination, PCWSTR Source) {
  UNICODE_STRING s;
  RtlInitUnicodeString(&s, Source);
  return RtlAppendUnicodeStringToString(Destination, &s);
}

// A UNICODE_STRING for a u"..." literal (its length known at compile time), and a named
// constant one (wdm.h's DECLARE_CONST_UNICODE_STRING).
// Either literal works: an L"..." one (32-bit wchar_t here) is narrowed to UTF-16 at compile
// time (characters outside the BMP are not supported there).
namespace umaccess::detail {
template <std::size_t N>
struct Utf16Literal {
  char16_t text[N];
};
template <class C, std::size_t N>
constexpr Utf16Literal<N> utf16_literal(const C (&s)[N]) {
  Utf16Literal<N> out{};
  for (std::size_t i = 0; i < N; ++i) out.text[i] = static_cast<char16_t>(s[i]);
  return out;
}
}  // namespace umaccess::detail
#define DECLARE_CONST_UNICODE_STRING(_var, _string)                                     \
  static constexpr auto _var##_buffer = ::umaccess::detail::utf16_literal(_string);    \
  const UNICODE_STRING _var = {(USHORT)(sizeof(_var##_buffer.text) - sizeof(WCHAR)),   \
                               (USHORT)sizeof(_var##_buffer.text), (PWCH)_var##_buffer.text}
#define DECLARE_UNICODE_STRING_SIZE(_var, _size) \
  WCHAR _var##_buffer[_size];                    \
  UNICODE_STRING _var = {0, (USHORT)((_size) * sizeof(WCHAR)), _var##_buffer}
#define RTL_CONSTANT_STRING(s) \
  UNICODE_STRING { (USHORT)(sizeof(s) - sizeof((s)[0])), (USHORT)sizeof(s), (PWSTR)(s) }
