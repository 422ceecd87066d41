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
// Each is one call into a raw entry, which tail-calls the kernel; the fault record lives
// in this frame and is read only if something failed.

#define UMACCESS_RAW_COPY_(raw, op, Destination, Source, Length)                       \
  do {                                                                                 \
    umaccess_fault_record uma_record_;                                                 \
    const SIZE_T uma_left_ = raw(::umaccess::detail::bare(Destination),                \
                                 ::umaccess::detail::bare(Source), (Length), &uma_record_); \
    ::umaccess::detail::check_raw(op, (Length), uma_left_, uma_record_);               \
  } while (0)

inline VOID CopyFromUser(volatile VOID* Destination, volatile const VOID* Source, SIZE_T Length) {
  UMACCESS_RAW_COPY_(umaccess_raw_copy_from_user, UMACCESS_OP_COPY_FROM_USER, Destination, Source,
                     Length);
}

inline VOID CopyFromUserNonTemporal(VOID* Destination, volatile const VOID* Source,
                                    SIZE_T Length) {
  UMACCESS_RAW_COPY_(umaccess_raw_copy_from_user_nontemporal,
                     UMACCESS_OP_COPY_FROM_USER_NONTEMPORAL, Destination, Source, Length);
}

inline VOID CopyToUser(volatile VOID* Destination, const VOID* Source, SIZE_T Length) {
  UMACCESS_RAW_COPY_(umaccess_raw_copy_to_user, UMACCESS_OP_COPY_TO_USER, Destination, Source,
                     Length);
}

inline VOID CopyToUserNonTemporal(volatile VOID* Destination, const VOID* Source,
                                  SIZE_T Length) {
  UMACCESS_RAW_COPY_(umaccess_raw_copy_to_user_nontemporal, UMACCESS_OP_COPY_TO_USER_NONTEMPORAL,
                     Destination, Source, Length);
}

inline VOID CopyToUserFromUser(volatile VOID* Destination, volatile const VOID* Source,
                               SIZE_T Length) {
  UMACCESS_RAW_COPY_(umaccess_raw_copy_to_user_from_user, UMACCESS_OP_COPY_TO_USER_FROM_USER,
                     Destination, Source, Length);
}

// Overlapping Source and Destination are allowed (memmove).
inline VOID MoveToUserFromUser(volatile VOID* Destination, volatile const VOID* Source,
                               SIZE_T Length) {
  UMACCESS_RAW_COPY_(umaccess_raw_move_to_user_from_user, UMACCESS_OP_MOVE_TO_USER_FROM_USER,
                     Destination, Source, Length);
}

inline VOID CopyFromMode(VOID* Destination, const volatile VOID* Source, SIZE_T Length,
                         KPROCESSOR_MODE Mode) {
  if (Mode == KernelMode)
    umaccess_kernel_copy(Destination, ::umaccess::detail::bare(Source), Length);
  else
    CopyFromUser(Destination, Source, Length);
}

inline VOID CopyFromModeNonTemporal(VOID* Destination, const volatile VOID* Source,
                                    SIZE_T Length, KPROCESSOR_MODE Mode) {
  if (Mode == KernelMode)
    umaccess_kernel_copy_nontemporal(Destination, ::umaccess::detail::bare(Source), Length);
  else
    CopyFromUserNonTemporal(Destination, Source, Length);
}

inline VOID CopyToMode(volatile VOID* Destination, const VOID* Source, SIZE_T Length,
                       KPROCESSOR_MODE Mode) {
  if (Mode == KernelMode)
    umaccess_kernel_copy(::umaccess::detail::bare(Destination), Source, Length);
  else
    CopyToUser(Destination, Source, Length);
}

inline VOID CopyToModeNonTemporal(volatile VOID* Destination, const VOID* Source,
                                  SIZE_T Length, KPROCESSOR_MODE Mode) {
  if (Mode == KernelMode)
    umaccess_kernel_copy_nontemporal(::umaccess::detail::bare(Destination), Source, Length);
  else
    CopyToUserNonTemporal(Destination, Source, Length);
}

// Source is always user memory; Destination is kernel (KernelMode) or user (other modes).
inline VOID CopyFromUserToMode(volatile VOID* Destination, volatile const VOID* Source,
                               SIZE_T Length, KPROCESSOR_MODE Mode) {
  if (Mode == KernelMode)
    CopyFromUser(Destination, Source, Length);
  else
    CopyToUserFromUser(Destination, Source, Length);
}

// ---- Fills (FillUserMemory takes (Length, Fill); SetUserMemory takes (Fill, Length)) -----

namespace umaccess::detail {
inline void fill_user(umaccess_operation op, volatile void* dst, std::size_t len,
                      unsigned char fill) {
  umaccess_fault_record record;
  check_raw(op, len, umaccess_raw_fill_user_memory(bare(dst), len, fill, &record), record);
}
}  // namespace umaccess::detail

inline VOID FillUserMemory(volatile VOID* Destination, SIZE_T Length, UCHAR Fill) {
  ::umaccess::detail::fill_user(UMACCESS_OP_FILL_USER_MEMORY, Destination, Length, Fill);
}

inline VOID SetUserMemory(volatile VOID* Destination, UCHAR Fill, SIZE_T Length) {
  ::umaccess::detail::fill_user(UMACCESS_OP_SET_USER_MEMORY, Destination, Length, Fill);
}

inline VOID ZeroUserMemory(volatile VOID* Destination, SIZE_T Length) {
  ::umaccess::detail::fill_user(UMACCESS_OP_ZERO_USER_MEMORY, Destination, Length, 0);
}

inline VOID FillModeMemory(volatile VOID* Destination, SIZE_T Length, UCHAR Fill,
                           KPROCESSOR_MODE Mode) {
  if (Mode == KernelMode)
    umaccess_kernel_fill(::umaccess::detail::bare(Destination), Length, Fill);
  else
    FillUserMemory(Destination, Length, Fill);
}

inline VOID SetModeMemory(volatile VOID* Destination, UCHAR Fill, SIZE_T Length,
                          KPROCESSOR_MODE Mode) {
  if (Mode == KernelMode)
    umaccess_kernel_fill(::umaccess::detail::bare(Destination), Length, Fill);
  else
    SetUserMemory(Destination, Fill, Length);
}

inline VOID ZeroModeMemory(volatile VOID* Destination, SIZE_T Length, KPROCESSOR_MODE Mode) {
  if (Mode == KernelMode)
    umaccess_kernel_fill(::umaccess::detail::bare(Destination), Length, 0);
  else
    ZeroUserMemory(Destination, Length);
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
