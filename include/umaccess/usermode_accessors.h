// umaccess/usermode_accessors.h - the Windows user-mode accessors (usermode_accessors.h,
// umaccess.lib) on Linux, with the Windows names, types and argument orders.
//
// Each accessor is a thin inline call into the C API (umaccess.h). Where Windows raises a
// structured exception, these throw umaccess::StructuredException: catch it, or use the
// UMA_TRY / UMA_EXCEPT porting aid from umaccess.hpp for a mechanical rewrite of
// __try/__except blocks. Every copy is volatile: it runs in out-of-line assembly that the
// compiler cannot elide, merge or move accesses across.
//
// Define UMACCESS_NO_SEH_NAMES to keep GetExceptionCode() undefined here.
#pragma once

#ifndef __cplusplus
#error "usermode_accessors.h is the C++ API; C code uses umaccess/umaccess.h"
#endif

#include "umaccess/umaccess.hpp"

#ifdef UMACCESS_NO_WINDOWS_TYPES
#error "usermode_accessors.h needs the Windows types: do not define UMACCESS_NO_WINDOWS_TYPES"
#endif

namespace umaccess::detail {
inline void* bare(volatile void* p) { return const_cast<void*>(p); }
inline const void* bare(const volatile void* p) { return const_cast<const void*>(p); }
}  // namespace umaccess::detail

// MmUserProbeAddress: one past the highest user address of this thread's user range.
// Windows exports it as a variable; here it reads the (per-thread) range.
#define MmUserProbeAddress (::umaccess::user_range().end)
#define MM_USER_PROBE_ADDRESS MmUserProbeAddress

#ifndef UMACCESS_NO_SEH_NAMES
#define GetExceptionCode() UMA_EXCEPTION_CODE()
#endif

// Kernel-mode faults are bugs and must propagate; any other mode's are handled.
inline LONG UmaExceptionFilter(KPROCESSOR_MODE Mode) {
  return Mode != KernelMode ? EXCEPTION_EXECUTE_HANDLER : EXCEPTION_CONTINUE_SEARCH;
}

// ---- Probes -------------------------------------------------------------------------------

inline VOID ProbeForRead(const volatile VOID* Address, SIZE_T Length, ULONG Alignment) {
  ::umaccess::detail::raise_on_failure(
      umaccess_probe_for_read(::umaccess::detail::bare(Address), Length, Alignment));
}

inline VOID ProbeForWrite(volatile VOID* Address, SIZE_T Length, ULONG Alignment) {
  ::umaccess::detail::raise_on_failure(
      umaccess_probe_for_write(::umaccess::detail::bare(Address), Length, Alignment));
}

// Alignment, then user range, as ProbeForRead (no memory is touched).
inline VOID ExProbeAlignment(const volatile VOID* Address, SIZE_T Length, ULONG Alignment) {
  ::umaccess::detail::raise_on_failure(
      umaccess_probe_alignment(::umaccess::detail::bare(Address), Length, Alignment));
}

// ---- Copies -------------------------------------------------------------------------------

inline VOID CopyFromUser(volatile VOID* Destination, volatile const VOID* Source, SIZE_T Length) {
  ::umaccess::detail::raise_on_failure(umaccess_copy_from_user(
      ::umaccess::detail::bare(Destination), ::umaccess::detail::bare(Source), Length, nullptr));
}

inline VOID CopyFromUserNonTemporal(VOID* Destination, volatile const VOID* Source,
                                    SIZE_T Length) {
  ::umaccess::detail::raise_on_failure(umaccess_copy_from_user_nontemporal(
      Destination, ::umaccess::detail::bare(Source), Length, nullptr));
}

inline VOID CopyToUser(volatile VOID* Destination, const VOID* Source, SIZE_T Length) {
  ::umaccess::detail::raise_on_failure(
      umaccess_copy_to_user(::umaccess::detail::bare(Destination), Source, Length, nullptr));
}

inline VOID CopyToUserNonTemporal(volatile VOID* Destination, const VOID* Source,
                                  SIZE_T Length) {
  ::umaccess::detail::raise_on_failure(umaccess_copy_to_user_nontemporal(
      ::umaccess::detail::bare(Destination), Source, Length, nullptr));
}

inline VOID CopyToUserFromUser(volatile VOID* Destination, volatile const VOID* Source,
                               SIZE_T Length) {
  ::umaccess::detail::raise_on_failure(umaccess_copy_to_user_from_user(
      ::umaccess::detail::bare(Destination), ::umaccess::detail::bare(Source), Length, nullptr));
}

// Overlapping Source and Destination are allowed (memmove).
inline VOID MoveToUserFromUser(volatile VOID* Destination, volatile const VOID* Source,
                               SIZE_T Length) {
  ::umaccess::detail::raise_on_failure(umaccess_move_to_user_from_user(
      ::umaccess::detail::bare(Destination), ::umaccess::detail::bare(Source), Length, nullptr));
}

inline VOID CopyFromMode(VOID* Destination, const volatile VOID* Source, SIZE_T Length,
                         KPROCESSOR_MODE Mode) {
  ::umaccess::detail::raise_on_failure(umaccess_copy_from_mode(
      Destination, ::umaccess::detail::bare(Source), Length, Mode, nullptr));
}

inline VOID CopyFromModeNonTemporal(VOID* Destination, const volatile VOID* Source,
                                    SIZE_T Length, KPROCESSOR_MODE Mode) {
  ::umaccess::detail::raise_on_failure(umaccess_copy_from_mode_nontemporal(
      Destination, ::umaccess::detail::bare(Source), Length, Mode, nullptr));
}

inline VOID CopyToMode(volatile VOID* Destination, const VOID* Source, SIZE_T Length,
                       KPROCESSOR_MODE Mode) {
  ::umaccess::detail::raise_on_failure(umaccess_copy_to_mode(
      ::umaccess::detail::bare(Destination), Source, Length, Mode, nullptr));
}

inline VOID CopyToModeNonTemporal(volatile VOID* Destination, const VOID* Source,
                                  SIZE_T Length, KPROCESSOR_MODE Mode) {
  ::umaccess::detail::raise_on_failure(umaccess_copy_to_mode_nontemporal(
      ::umaccess::detail::bare(Destination), Source, Length, Mode, nullptr));
}

// Source is always user memory; Destination is kernel (KernelMode) or user (other modes).
inline VOID CopyFromUserToMode(volatile VOID* Destination, volatile const VOID* Source,
                               SIZE_T Length, KPROCESSOR_MODE Mode) {
  ::umaccess::detail::raise_on_failure(umaccess_copy_from_user_to_mode(
      ::umaccess::detail::bare(Destination), ::umaccess::detail::bare(Source), Length, Mode,
      nullptr));
}

// ---- Fills (FillUserMemory takes (Length, Fill); SetUserMemory takes (Fill, Length)) -----

inline VOID FillUserMemory(volatile VOID* Destination, SIZE_T Length, UCHAR Fill) {
  ::umaccess::detail::raise_on_failure(umaccess_fill_user_memory(
      ::umaccess::detail::bare(Destination), Length, Fill, nullptr));
}

inline VOID SetUserMemory(volatile VOID* Destination, UCHAR Fill, SIZE_T Length) {
  ::umaccess::detail::raise_on_failure(umaccess_set_user_memory(
      ::umaccess::detail::bare(Destination), Fill, Length, nullptr));
}

inline VOID ZeroUserMemory(volatile VOID* Destination, SIZE_T Length) {
  ::umaccess::detail::raise_on_failure(
      umaccess_zero_user_memory(::umaccess::detail::bare(Destination), Length, nullptr));
}

inline VOID FillModeMemory(volatile VOID* Destination, SIZE_T Length, UCHAR Fill,
                           KPROCESSOR_MODE Mode) {
  ::umaccess::detail::raise_on_failure(umaccess_fill_mode_memory(
      ::umaccess::detail::bare(Destination), Length, Fill, Mode, nullptr));
}

inline VOID SetModeMemory(volatile VOID* Destination, UCHAR Fill, SIZE_T Length,
                          KPROCESSOR_MODE Mode) {
  ::umaccess::detail::raise_on_failure(umaccess_set_mode_memory(
      ::umaccess::detail::bare(Destination), Fill, Length, Mode, nullptr));
}

inline VOID ZeroModeMemory(volatile VOID* Destination, SIZE_T Length, KPROCESSOR_MODE Mode) {
  ::umaccess::detail::raise_on_failure(umaccess_zero_mode_memory(
      ::umaccess::detail::bare(Destination), Length, Mode, nullptr));
}

// ---- Alignment-checked copies (macros, as in the WDK header) ------------------------------
// The WDK expands these to ExProbeAlignment(...) followed by the copy. These run the same
// checks in the same order (alignment, then user range, then the copy), evaluate each
// argument once, and report a failed destination check as a write.

#define CopyFromUserAligned(Destination, Source, Length, Alignment)                  \
  ::umaccess::detail::raise_on_failure(umaccess_copy_from_user_aligned(              \
      ::umaccess::detail::bare(Destination), ::umaccess::detail::bare(Source), (Length), \
      (Alignment), nullptr))

#define CopyToUserAligned(Destination, Source, Length, Alignment)                    \
  ::umaccess::detail::raise_on_failure(umaccess_copy_to_user_aligned(                \
      ::umaccess::detail::bare(Destination), ::umaccess::detail::bare(Source), (Length), \
      (Alignment), nullptr))

#define CopyFromModeAligned(Destination, Source, Length, Mode, Alignment)            \
  ::umaccess::detail::raise_on_failure(umaccess_copy_from_mode_aligned(              \
      ::umaccess::detail::bare(Destination), ::umaccess::detail::bare(Source), (Length), \
      (Mode), (Alignment), nullptr))

#define CopyToModeAligned(Destination, Source, Length, Mode, Alignment)              \
  ::umaccess::detail::raise_on_failure(umaccess_copy_to_mode_aligned(                \
      ::umaccess::detail::bare(Destination), ::umaccess::detail::bare(Source), (Length), \
      (Mode), (Alignment), nullptr))
