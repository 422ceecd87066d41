// SPDX-License-Identifier: Apache-2.0
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

#include <cstddef>
#include <type_traits>

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
// PEXCEPTION_POINTERS: ExceptionRecord->ExceptionCode, ->ExceptionInformation[0] (1: write),
// [1] (the address) for access violations and in-page errors (nt_types.h).
#define GetExceptionInformation() UMA_EXCEPTION_INFORMATION()
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

// ---- Typed scalar accessors: Read<X>FromUser, Read<X>FromUserAcquire, Read<X>FromMode, -----
// ---- Write<X>ToUser, Write<X>ToUserRelease, Write<X>ToMode ----------------------------------
// One access of the type's width through a fault-covered assembly primitive: never torn at a
// naturally aligned address; any alignment accepted (none is enforced, as on Windows).
// Acquire/Release order the surrounding accesses (x86-64: plain moves suffice; AArch64:
// ldar/stlr). KernelMode: a plain access, no check, no recovery.

namespace umaccess::detail {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "values travel as the low bytes");

template <class T>
inline std::uint64_t to_bits(T value) {
  static_assert(sizeof(T) <= 8);
  std::uint64_t bits = 0;
  __builtin_memcpy(&bits, &value, sizeof value);
  return bits;
}

template <class T>
inline T from_bits(std::uint64_t bits) {
  T value;
  __builtin_memcpy(&value, &bits, sizeof value);
  return value;
}

inline std::uint64_t checked(umaccess_value result, const char* operation,
                             const umaccess_fault_record& record) {
  if (__builtin_expect(result.failed != 0, 0)) raise_access_failure(operation, record);
  return result.value;
}

// The raw entry of T's width (umaccess_raw_read_u32, ...): chosen here, at compile time, so
// that the call is the range check and the primitive, nothing decided at run time.
#define UMACCESS_RAW_BY_WIDTH_(kind, params, args)                       \
  template <class T>                                                    \
  inline umaccess_value raw_##kind params {                             \
    static_assert(sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || \
                  sizeof(T) == 8);                                      \
    if constexpr (sizeof(T) == 1) return umaccess_raw_##kind##_u8 args; \
    if constexpr (sizeof(T) == 2) return umaccess_raw_##kind##_u16 args; \
    if constexpr (sizeof(T) == 4) return umaccess_raw_##kind##_u32 args; \
    if constexpr (sizeof(T) == 8) return umaccess_raw_##kind##_u64 args; \
  }
UMACCESS_RAW_BY_WIDTH_(read, (const void* p, umaccess_fault_record* r), (p, r))
UMACCESS_RAW_BY_WIDTH_(read_acquire, (const void* p, umaccess_fault_record* r), (p, r))
UMACCESS_RAW_BY_WIDTH_(write, (void* p, std::uint64_t v, umaccess_fault_record* r), (p, v, r))
UMACCESS_RAW_BY_WIDTH_(write_release, (void* p, std::uint64_t v, umaccess_fault_record* r),
                       (p, v, r))
#undef UMACCESS_RAW_BY_WIDTH_

template <class T>
inline T read_user(const volatile T* source, const char* operation) {
  umaccess_fault_record record;
  return from_bits<T>(checked(raw_read<T>(bare(source), &record), operation, record));
}

template <class T>
inline T read_user_acquire(const volatile T* source, const char* operation) {
  umaccess_fault_record record;
  return from_bits<T>(checked(raw_read_acquire<T>(bare(source), &record), operation, record));
}

template <class T>
inline void write_user(volatile T* destination, T value, const char* operation) {
  umaccess_fault_record record;
  checked(raw_write<T>(bare(destination), to_bits(value), &record), operation, record);
}

template <class T>
inline void write_user_release(volatile T* destination, T value, const char* operation) {
  umaccess_fault_record record;
  checked(raw_write_release<T>(bare(destination), to_bits(value), &record), operation, record);
}

// The kernel paths: the C entries with KernelMode, which neither check nor recover.
template <class T>
inline T read_kernel(const volatile T* source) {
  if constexpr (sizeof(T) == 1) {
    std::uint8_t v;
    umaccess_read_u8_from_mode(bare(source), UMACCESS_KERNEL_MODE, &v);
    return from_bits<T>(v);
  } else if constexpr (sizeof(T) == 2) {
    std::uint16_t v;
    umaccess_read_u16_from_mode(bare(source), UMACCESS_KERNEL_MODE, &v);
    return from_bits<T>(v);
  } else if constexpr (sizeof(T) == 4) {
    std::uint32_t v;
    umaccess_read_u32_from_mode(bare(source), UMACCESS_KERNEL_MODE, &v);
    return from_bits<T>(v);
  } else {
    static_assert(sizeof(T) == 8);
    std::uint64_t v;
    umaccess_read_u64_from_mode(bare(source), UMACCESS_KERNEL_MODE, &v);
    return from_bits<T>(v);
  }
}

template <class T>
inline void write_kernel(volatile T* destination, T value) {
  const std::uint64_t bits = to_bits(value);
  if constexpr (sizeof(T) == 1)
    umaccess_write_u8_to_mode(bare(destination), static_cast<std::uint8_t>(bits),
                              UMACCESS_KERNEL_MODE);
  else if constexpr (sizeof(T) == 2)
    umaccess_write_u16_to_mode(bare(destination), static_cast<std::uint16_t>(bits),
                               UMACCESS_KERNEL_MODE);
  else if constexpr (sizeof(T) == 4)
    umaccess_write_u32_to_mode(bare(destination), static_cast<std::uint32_t>(bits),
                               UMACCESS_KERNEL_MODE);
  else
    umaccess_write_u64_to_mode(bare(destination), bits, UMACCESS_KERNEL_MODE);
}

}  // namespace umaccess::detail

// The 29 types of the WDK header, as (<X>, T). Exposed so that tests and ports can generate
// code over the same table.
#define UMACCESS_SCALAR_TYPES(X)                                                            \
  X(Boolean, BOOLEAN) X(UChar, UCHAR) X(Char, CHAR) X(UInt8, UINT8) X(Int8, INT8)           \
  X(UShort, USHORT) X(Short, SHORT) X(WChar, WCHAR) X(UInt16, UINT16) X(Int16, INT16)       \
  X(ULong, ULONG) X(Long, LONG) X(UInt32, UINT32) X(Int32, INT32) X(NtStatus, NTSTATUS)     \
  X(ULong64, ULONG64) X(Long64, LONG64) X(ULonglong, ULONGLONG) X(Longlong, LONGLONG)       \
  X(UInt64, UINT64) X(Int64, INT64)                                                         \
  X(ULongPtr, ULONG_PTR) X(LongPtr, LONG_PTR) X(UIntPtr, UINT_PTR) X(IntPtr, INT_PTR)       \
  X(SizeT, SIZE_T) X(SSizeT, SSIZE_T) X(Pointer, PVOID) X(Handle, HANDLE)

#define UMACCESS_DEFINE_SCALAR_ACCESSORS_(X, T)                                             \
  inline T Read##X##FromUser(const volatile T* Source) {                                   \
    return ::umaccess::detail::read_user(Source, "Read" #X "FromUser");                    \
  }                                                                                         \
  inline T Read##X##FromUserAcquire(const volatile T* Source) {                            \
    return ::umaccess::detail::read_user_acquire(Source, "Read" #X "FromUserAcquire");     \
  }                                                                                         \
  inline T Read##X##FromMode(const volatile T* Source, KPROCESSOR_MODE Mode) {             \
    if (Mode == KernelMode) return ::umaccess::detail::read_kernel(Source);                 \
    return ::umaccess::detail::read_user(Source, "Read" #X "FromMode");                    \
  }                                                                                         \
  inline VOID Write##X##ToUser(volatile T* Destination, T Value) {                         \
    ::umaccess::detail::write_user(Destination, Value, "Write" #X "ToUser");               \
  }                                                                                         \
  inline VOID Write##X##ToUserRelease(volatile T* Destination, T Value) {                  \
    ::umaccess::detail::write_user_release(Destination, Value, "Write" #X "ToUserRelease"); \
  }                                                                                         \
  inline VOID Write##X##ToMode(volatile T* Destination, T Value, KPROCESSOR_MODE Mode) {   \
    if (Mode == KernelMode)                                                                 \
      ::umaccess::detail::write_kernel(Destination, Value);                                 \
    else                                                                                    \
      ::umaccess::detail::write_user(Destination, Value, "Write" #X "ToMode");             \
  }
UMACCESS_SCALAR_TYPES(UMACCESS_DEFINE_SCALAR_ACCESSORS_)
#undef UMACCESS_DEFINE_SCALAR_ACCESSORS_

// A field of a structure behind a user pointer, by address arithmetic: the pointer may be
// misaligned or NULL, so it is never dereferenced (not even as p->field) in C++.
namespace umaccess::detail {
template <class Field, class Object>
inline const volatile Field* field_at(const volatile Object* object, std::size_t offset) {
  return reinterpret_cast<const volatile Field*>(reinterpret_cast<std::uintptr_t>(object) + offset);
}
template <class Field, class Object>
inline volatile Field* field_at(volatile Object* object, std::size_t offset) {
  return reinterpret_cast<volatile Field*>(reinterpret_cast<std::uintptr_t>(object) + offset);
}
}  // namespace umaccess::detail

// LARGE_INTEGER / ULARGE_INTEGER: one 64-bit access (no Acquire/Release forms exist).
#define UMACCESS_DEFINE_LARGE_INTEGER_ACCESSORS_(X, T, Q)                                   \
  inline T Read##X##FromUser(const volatile T* Source) {                                   \
    T v;                                                                                    \
    v.QuadPart = ::umaccess::detail::read_user(::umaccess::detail::field_at<Q>(Source, 0),  \
                                               "Read" #X "FromUser");                       \
    return v;                                                                               \
  }                                                                                         \
  inline T Read##X##FromMode(const volatile T* Source, KPROCESSOR_MODE Mode) {             \
    const volatile Q* quad = ::umaccess::detail::field_at<Q>(Source, 0);                    \
    T v;                                                                                    \
    v.QuadPart = Mode == KernelMode ? ::umaccess::detail::read_kernel(quad)                 \
                                    : ::umaccess::detail::read_user(quad, "Read" #X "FromMode"); \
    return v;                                                                               \
  }                                                                                         \
  inline VOID Write##X##ToUser(volatile T* Destination, T Value) {                         \
    ::umaccess::detail::write_user(::umaccess::detail::field_at<Q>(Destination, 0),         \
                                   Value.QuadPart, "Write" #X "ToUser");                    \
  }                                                                                         \
  inline VOID Write##X##ToMode(volatile T* Destination, T Value, KPROCESSOR_MODE Mode) {   \
    volatile Q* quad = ::umaccess::detail::field_at<Q>(Destination, 0);                     \
    if (Mode == KernelMode)                                                                 \
      ::umaccess::detail::write_kernel(quad, Value.QuadPart);                               \
    else                                                                                    \
      ::umaccess::detail::write_user(quad, Value.QuadPart, "Write" #X "ToMode");            \
  }
UMACCESS_DEFINE_LARGE_INTEGER_ACCESSORS_(LargeInteger, LARGE_INTEGER, LONGLONG)
UMACCESS_DEFINE_LARGE_INTEGER_ACCESSORS_(ULargeInteger, ULARGE_INTEGER, ULONGLONG)
#undef UMACCESS_DEFINE_LARGE_INTEGER_ACCESSORS_

// UNICODE_STRING: Length and MaximumLength as one ULONG access, then Buffer as one pointer
// access; the padding between them is never read or written (no kernel data leaks into it).
// Only the descriptor is copied: Buffer remains an untrusted user pointer.
static_assert(sizeof(UNICODE_STRING) == sizeof(umaccess_unicode_string) &&
              offsetof(UNICODE_STRING, Length) == 0 &&
              offsetof(UNICODE_STRING, MaximumLength) == 2 &&
              offsetof(UNICODE_STRING, Buffer) == offsetof(umaccess_unicode_string, buffer));

namespace umaccess::detail {
inline UNICODE_STRING read_unicode_string(const volatile UNICODE_STRING* source,
                                          KPROCESSOR_MODE mode, const char* operation) {
  const volatile ULONG* lengths = field_at<ULONG>(source, 0);
  const volatile PWSTR* buffer = field_at<PWSTR>(source, offsetof(UNICODE_STRING, Buffer));
  const ULONG both = mode == KernelMode ? read_kernel(lengths) : read_user(lengths, operation);
  UNICODE_STRING value;
  value.Length = static_cast<USHORT>(both);
  value.MaximumLength = static_cast<USHORT>(both >> 16);
  value.Buffer = mode == KernelMode ? read_kernel(buffer) : read_user(buffer, operation);
  return value;
}

inline void write_unicode_string(volatile UNICODE_STRING* destination, UNICODE_STRING value,
                                 KPROCESSOR_MODE mode, const char* operation) {
  volatile ULONG* lengths = field_at<ULONG>(destination, 0);
  volatile PWSTR* buffer = field_at<PWSTR>(destination, offsetof(UNICODE_STRING, Buffer));
  const ULONG both = static_cast<ULONG>(value.Length) | static_cast<ULONG>(value.MaximumLength) << 16;
  if (mode == KernelMode) {
    write_kernel(lengths, both);
    write_kernel(buffer, value.Buffer);
  } else {
    write_user(lengths, both, operation);
    write_user(buffer, value.Buffer, operation);
  }
}
}  // namespace umaccess::detail

inline UNICODE_STRING ReadUnicodeStringFromUser(const volatile UNICODE_STRING* Source) {
  return ::umaccess::detail::read_unicode_string(Source, UserMode, "ReadUnicodeStringFromUser");
}
inline UNICODE_STRING ReadUnicodeStringFromMode(const UNICODE_STRING* Source,
                                                KPROCESSOR_MODE Mode) {
  return ::umaccess::detail::read_unicode_string(Source, Mode, "ReadUnicodeStringFromMode");
}
inline VOID WriteUnicodeStringToUser(volatile UNICODE_STRING* Destination, UNICODE_STRING Value) {
  ::umaccess::detail::write_unicode_string(Destination, Value, UserMode,
                                           "WriteUnicodeStringToUser");
}
inline VOID WriteUnicodeStringToMode(UNICODE_STRING* Destination, UNICODE_STRING Value,
                                     KPROCESSOR_MODE Mode) {
  ::umaccess::detail::write_unicode_string(Destination, Value, Mode, "WriteUnicodeStringToMode");
}

// The WDK's C11 _Generic forms, as overloads: ReadFromUser(p), WriteToUser(p, v),
// ReadFromMode(p, mode), WriteToMode(p, v, mode) for the fixed-width integers, PVOID,
// LARGE_INTEGER, ULARGE_INTEGER and UNICODE_STRING.
#define UMACCESS_DEFINE_GENERIC_(X, T)                                                       \
  inline T ReadFromUser(const volatile T* Source) { return Read##X##FromUser(Source); }       \
  inline T ReadFromMode(const volatile T* Source, KPROCESSOR_MODE Mode) {                    \
    return Read##X##FromMode(Source, Mode);                                                  \
  }                                                                                          \
  inline VOID WriteToUser(volatile T* Destination, T Value) { Write##X##ToUser(Destination, Value); } \
  inline VOID WriteToMode(volatile T* Destination, T Value, KPROCESSOR_MODE Mode) {          \
    Write##X##ToMode(Destination, Value, Mode);                                              \
  }
UMACCESS_DEFINE_GENERIC_(UInt8, UINT8)
UMACCESS_DEFINE_GENERIC_(Int8, INT8)
UMACCESS_DEFINE_GENERIC_(UInt16, UINT16)
UMACCESS_DEFINE_GENERIC_(Int16, INT16)
UMACCESS_DEFINE_GENERIC_(UInt32, UINT32)
UMACCESS_DEFINE_GENERIC_(Int32, INT32)
UMACCESS_DEFINE_GENERIC_(UInt64, UINT64)
UMACCESS_DEFINE_GENERIC_(Int64, INT64)
UMACCESS_DEFINE_GENERIC_(Pointer, PVOID)
UMACCESS_DEFINE_GENERIC_(LargeInteger, LARGE_INTEGER)
UMACCESS_DEFINE_GENERIC_(ULargeInteger, ULARGE_INTEGER)
#undef UMACCESS_DEFINE_GENERIC_
inline UNICODE_STRING ReadFromUser(const volatile UNICODE_STRING* Source) {
  return ReadUnicodeStringFromUser(Source);
}
inline UNICODE_STRING ReadFromMode(const UNICODE_STRING* Source, KPROCESSOR_MODE Mode) {
  return ReadUnicodeStringFromMode(Source, Mode);
}
inline VOID WriteToUser(volatile UNICODE_STRING* Destination, UNICODE_STRING Value) {
  WriteUnicodeStringToUser(Destination, Value);
}
inline VOID WriteToMode(UNICODE_STRING* Destination, UNICODE_STRING Value, KPROCESSOR_MODE Mode) {
  WriteUnicodeStringToMode(Destination, Value, Mode);
}

// ---- Strings ------------------------------------------------------------------------------
// The length in characters before the NUL (WCHARs for the wide forms: 16-bit units). A
// string that runs into an inaccessible page raises that page's status; one that runs out
// of the user range raises STATUS_ACCESS_VIOLATION at the range's end. Never reads a page,
// or a byte of the range, that the string does not reach. KernelMode: no check, no recovery.

namespace umaccess::detail {
inline SIZE_T string_length_user(const volatile void* string, unsigned unit,
                                 const char* operation) {
  umaccess_fault_record record;
  // unit is a constant at every caller: each width reaches its own raw entry.
  return checked(unit == 1 ? umaccess_raw_string_length_u8(bare(string), &record)
                           : umaccess_raw_string_length_u16(bare(string), &record),
                 operation, record);
}
}  // namespace umaccess::detail

inline SIZE_T StringLengthFromUser(const CHAR* String) {
  return ::umaccess::detail::string_length_user(String, 1, "StringLengthFromUser");
}
inline SIZE_T WideStringLengthFromUser(const WCHAR* String) {
  return ::umaccess::detail::string_length_user(String, 2, "WideStringLengthFromUser");
}
inline SIZE_T StringLengthFromMode(volatile const CHAR* String, KPROCESSOR_MODE Mode) {
  if (Mode != KernelMode)
    return ::umaccess::detail::string_length_user(String, 1, "StringLengthFromMode");
  SIZE_T length = 0;
  umaccess_string_length_from_mode(static_cast<const char*>(::umaccess::detail::bare(String)),
                                   KernelMode, &length);
  return length;
}
inline SIZE_T WideStringLengthFromMode(volatile const WCHAR* String, KPROCESSOR_MODE Mode) {
  if (Mode != KernelMode)
    return ::umaccess::detail::string_length_user(String, 2, "WideStringLengthFromMode");
  SIZE_T length = 0;
  umaccess_wide_string_length_from_mode(
      static_cast<const umaccess_wchar*>(::umaccess::detail::bare(String)), KernelMode, &length);
  return length;
}

// ---- Interlocked --------------------------------------------------------------------------
// Atomic, full barrier, return the original value. Destination must be naturally aligned:
// a misaligned one raises STATUS_DATATYPE_MISALIGNMENT before anything is touched (in
// KernelMode too: an atomic that straddles cache lines is not atomic on every CPU).

namespace umaccess::detail {
// The raw entry of the operation and T's width (umaccess_raw_interlocked_or64, ...), chosen
// at compile time.
template <class T, umaccess_interlocked_op op>
inline T interlocked_user(volatile T* destination, T value, T comperand, const char* operation) {
  static_assert(sizeof(T) == 4 || sizeof(T) == 8);
  constexpr bool wide = sizeof(T) == 8;
  void* const p = bare(destination);
  const std::uint64_t v = to_bits(value);
  umaccess_fault_record record;
  umaccess_value result;
  if constexpr (op == UMACCESS_INTERLOCKED_COMPARE_EXCHANGE)
    result = wide ? umaccess_raw_interlocked_compare_exchange64(p, v, to_bits(comperand), &record)
                  : umaccess_raw_interlocked_compare_exchange(p, v, to_bits(comperand), &record);
  else if constexpr (op == UMACCESS_INTERLOCKED_OR)
    result = wide ? umaccess_raw_interlocked_or64(p, v, &record)
                  : umaccess_raw_interlocked_or(p, v, &record);
  else
    result = wide ? umaccess_raw_interlocked_and64(p, v, &record)
                  : umaccess_raw_interlocked_and(p, v, &record);
  return static_cast<T>(checked(result, operation, record));
}

inline LONG interlocked_kernel(umaccess_interlocked_op op, volatile LONG* d, LONG v, LONG c) {
  int32_t original = 0;
  umaccess_ntstatus s;
  if (op == UMACCESS_INTERLOCKED_COMPARE_EXCHANGE)
    s = umaccess_interlocked_compare_exchange_to_mode(static_cast<int32_t*>(bare(d)), v, c,
                                                      KernelMode, &original);
  else if (op == UMACCESS_INTERLOCKED_OR)
    s = umaccess_interlocked_or_to_mode(static_cast<int32_t*>(bare(d)), v, KernelMode, &original);
  else
    s = umaccess_interlocked_and_to_mode(static_cast<int32_t*>(bare(d)), v, KernelMode, &original);
  raise_on_failure(s);
  return original;
}

inline LONG64 interlocked_kernel(umaccess_interlocked_op op, volatile LONG64* d, LONG64 v,
                                 LONG64 c) {
  int64_t original = 0;
  umaccess_ntstatus s;
  if (op == UMACCESS_INTERLOCKED_COMPARE_EXCHANGE)
    s = umaccess_interlocked_compare_exchange64_to_mode(static_cast<int64_t*>(bare(d)), v, c,
                                                        KernelMode, &original);
  else if (op == UMACCESS_INTERLOCKED_OR)
    s = umaccess_interlocked_or64_to_mode(static_cast<int64_t*>(bare(d)), v, KernelMode,
                                          &original);
  else
    s = umaccess_interlocked_and64_to_mode(static_cast<int64_t*>(bare(d)), v, KernelMode,
                                           &original);
  raise_on_failure(s);
  return original;
}
}  // namespace umaccess::detail

#define UMACCESS_DEFINE_INTERLOCKED_(Name, T, op)                                             \
  inline T Name##ToUser(T volatile* Destination, T Value) {                                  \
    return ::umaccess::detail::interlocked_user<T, op>(Destination, Value, 0, #Name "ToUser"); \
  }                                                                                          \
  inline T Name##ToMode(T volatile* Destination, T Value, KPROCESSOR_MODE Mode) {            \
    if (Mode == KernelMode) return ::umaccess::detail::interlocked_kernel(op, Destination, Value, 0); \
    return ::umaccess::detail::interlocked_user<T, op>(Destination, Value, 0, #Name "ToMode"); \
  }
UMACCESS_DEFINE_INTERLOCKED_(InterlockedOr, LONG, UMACCESS_INTERLOCKED_OR)
UMACCESS_DEFINE_INTERLOCKED_(InterlockedOr64, LONG64, UMACCESS_INTERLOCKED_OR)
UMACCESS_DEFINE_INTERLOCKED_(InterlockedAnd, LONG, UMACCESS_INTERLOCKED_AND)
UMACCESS_DEFINE_INTERLOCKED_(InterlockedAnd64, LONG64, UMACCESS_INTERLOCKED_AND)
#undef UMACCESS_DEFINE_INTERLOCKED_

#define UMACCESS_DEFINE_COMPARE_EXCHANGE_(Name, T)                                           \
  inline T Name##ToUser(T volatile* Destination, T ExChange, T Comperand) {                  \
    return ::umaccess::detail::interlocked_user<T, UMACCESS_INTERLOCKED_COMPARE_EXCHANGE>(  \
        Destination, ExChange, Comperand, #Name "ToUser");                                   \
  }                                                                                          \
  inline T Name##ToMode(T volatile* Destination, T ExChange, T Comperand,                    \
                        KPROCESSOR_MODE Mode) {                                              \
    if (Mode == KernelMode)                                                                  \
      return ::umaccess::detail::interlocked_kernel(UMACCESS_INTERLOCKED_COMPARE_EXCHANGE,   \
                                                    Destination, ExChange, Comperand);       \
    return ::umaccess::detail::interlocked_user<T, UMACCESS_INTERLOCKED_COMPARE_EXCHANGE>(  \
        Destination, ExChange, Comperand, #Name "ToMode");                                   \
  }
UMACCESS_DEFINE_COMPARE_EXCHANGE_(InterlockedCompareExchange, LONG)
UMACCESS_DEFINE_COMPARE_EXCHANGE_(InterlockedCompareExchange64, LONG64)
#undef UMACCESS_DEFINE_COMPARE_EXCHANGE_

// ---- Structures ---------------------------------------------------------------------------
// The size always comes from the kernel-side object. A structure of 1, 2, 4 or 8 bytes is
// read or written with one scalar access (so a naturally aligned one is never torn); others
// are copied by CopyFromUser / CopyToUser. Size 0 does nothing (the WDK asserts).

// RtlTypesCompatible(D, S): *S must be assignable to *D and of the same size, at compile
// time: mismatched types do not compile.
namespace umaccess::detail {
template <class D, class S>
struct types_compatible {
  using Dst = std::remove_volatile_t<std::remove_reference_t<D>>;
  using Src = std::remove_cv_t<std::remove_reference_t<S>>;
  static constexpr bool value =
      !std::is_const_v<Dst> && std::is_assignable_v<Dst&, const Src&> && sizeof(Dst) == sizeof(Src);
};
}  // namespace umaccess::detail
#define RtlTypesCompatible(Destination, Source)                                               \
  static_assert(::umaccess::detail::types_compatible<decltype(*(Destination)),                 \
                                                     decltype(*(Source))>::value,              \
                "RtlTypesCompatible: *Source is not assignable to *Destination, or their "     \
                "sizes differ")

namespace umaccess::detail {
template <class T>
inline void read_scalar_into(VOID* destination, const volatile VOID* source, KPROCESSOR_MODE mode,
                             const char* operation) {
  const auto* s = static_cast<const volatile T*>(source);
  const T value = mode == KernelMode ? read_kernel(s) : read_user(s, operation);
  __builtin_memcpy(destination, &value, sizeof value);
}

template <class T>
inline void write_scalar_from(volatile VOID* destination, const VOID* source, KPROCESSOR_MODE mode,
                              const char* operation) {
  T value;
  __builtin_memcpy(&value, source, sizeof value);
  auto* d = static_cast<volatile T*>(destination);
  if (mode == KernelMode)
    write_kernel(d, value);
  else
    write_user(d, value, operation);
}

inline void read_struct(VOID* destination, const volatile VOID* source, SIZE_T size,
                        KPROCESSOR_MODE mode, umaccess_operation op, const char* operation) {
  switch (size) {
    case 0: return;
    case 1: return read_scalar_into<std::uint8_t>(destination, source, mode, operation);
    case 2: return read_scalar_into<std::uint16_t>(destination, source, mode, operation);
    case 4: return read_scalar_into<std::uint32_t>(destination, source, mode, operation);
    case 8: return read_scalar_into<std::uint64_t>(destination, source, mode, operation);
    default: break;
  }
  if (mode == KernelMode)
    umaccess_kernel_copy(destination, bare(source), size);
  else
    UMACCESS_RAW_COPY_(umaccess_raw_copy_from_user, op, destination, source, size);
}

inline void write_struct(volatile VOID* destination, const VOID* source, SIZE_T size,
                         KPROCESSOR_MODE mode, umaccess_operation op, const char* operation) {
  switch (size) {
    case 0: return;
    case 1: return write_scalar_from<std::uint8_t>(destination, source, mode, operation);
    case 2: return write_scalar_from<std::uint16_t>(destination, source, mode, operation);
    case 4: return write_scalar_from<std::uint32_t>(destination, source, mode, operation);
    case 8: return write_scalar_from<std::uint64_t>(destination, source, mode, operation);
    default: break;
  }
  if (mode == KernelMode)
    umaccess_kernel_copy(bare(destination), source, size);
  else
    UMACCESS_RAW_COPY_(umaccess_raw_copy_to_user, op, destination, source, size);
}

// The alignment checks of the ...Aligned structure macros, named after the macro.
inline void probe_struct_alignment(const char* operation, const volatile VOID* address,
                                   SIZE_T size, ULONG alignment, bool is_write) {
  raise_on_failure(umaccess_probe_alignment_as(operation, bare(address), size, alignment,
                                               is_write ? 1 : 0));
}
}  // namespace umaccess::detail

inline VOID ReadStructFromUserHelper(VOID* Destination, const volatile VOID* Source, SIZE_T Size) {
  ::umaccess::detail::read_struct(Destination, Source, Size, UserMode,
                                  UMACCESS_OP_READ_STRUCT_FROM_USER, "ReadStructFromUser");
}
inline VOID WriteStructToUserHelper(volatile VOID* Destination, const VOID* Source, SIZE_T Size) {
  ::umaccess::detail::write_struct(Destination, Source, Size, UserMode,
                                   UMACCESS_OP_WRITE_STRUCT_TO_USER, "WriteStructToUser");
}
inline VOID ReadStructFromModeHelper(VOID* Destination, const volatile VOID* Source, SIZE_T Size,
                                     KPROCESSOR_MODE Mode) {
  ::umaccess::detail::read_struct(Destination, Source, Size, Mode,
                                  UMACCESS_OP_READ_STRUCT_FROM_MODE, "ReadStructFromMode");
}
inline VOID WriteStructToModeHelper(volatile VOID* Destination, const VOID* Source, SIZE_T Size,
                                    KPROCESSOR_MODE Mode) {
  ::umaccess::detail::write_struct(Destination, Source, Size, Mode,
                                   UMACCESS_OP_WRITE_STRUCT_TO_MODE, "WriteStructToMode");
}

// The macros check the types at compile time, then hand every argument, evaluated once, to
// these templates (alignment checks name the macro; the access names its helper).
namespace umaccess::detail {
template <class D, class S>
inline void read_struct_object(D* destination, const volatile S* source, KPROCESSOR_MODE mode,
                               bool from_mode, const char* aligned_name, ULONG alignment) {
  if (aligned_name != nullptr && mode != KernelMode)
    probe_struct_alignment(aligned_name, source, sizeof(D), alignment, false);
  read_struct(bare(destination), source, sizeof(D), mode,
              from_mode ? UMACCESS_OP_READ_STRUCT_FROM_MODE : UMACCESS_OP_READ_STRUCT_FROM_USER,
              from_mode ? "ReadStructFromMode" : "ReadStructFromUser");
}

template <class D, class S>
inline void write_struct_object(volatile D* destination, const volatile S* source,
                                KPROCESSOR_MODE mode, bool to_mode, const char* aligned_name,
                                ULONG alignment) {
  if (aligned_name != nullptr && mode != KernelMode)
    probe_struct_alignment(aligned_name, destination, sizeof(S), alignment, true);
  write_struct(destination, bare(source), sizeof(S), mode,
               to_mode ? UMACCESS_OP_WRITE_STRUCT_TO_MODE : UMACCESS_OP_WRITE_STRUCT_TO_USER,
               to_mode ? "WriteStructToMode" : "WriteStructToUser");
}
}  // namespace umaccess::detail

// The WDK checks sizeof(Mode) == sizeof(KPROCESSOR_MODE). In C++ the enumerators KernelMode
// and UserMode have the type MODE (int-sized), and drivers pass them directly, so the check
// is by type: a KPROCESSOR_MODE value or a MODE enumerator (cv-qualified or not); anything
// else (an int, a BOOLEAN, a pointer) does not compile.
namespace umaccess::detail {
template <class M>
inline constexpr bool is_processor_mode_v =
    std::is_same_v<std::remove_cv_t<std::remove_reference_t<M>>, KPROCESSOR_MODE> ||
    std::is_same_v<std::remove_cv_t<std::remove_reference_t<M>>, MODE>;
}  // namespace umaccess::detail
#define UMACCESS_MODE_CHECK_(Mode)                                                  \
  static_assert(::umaccess::detail::is_processor_mode_v<decltype(Mode)>,            \
                "Mode must be a KPROCESSOR_MODE (or KernelMode/UserMode)")

#define ReadStructFromUser(Destination, Source)                                           \
  do {                                                                                    \
    RtlTypesCompatible(Destination, Source);                                              \
    ::umaccess::detail::read_struct_object((Destination), (Source), UserMode, false,      \
                                           nullptr, 0);                                   \
  } while (0)

#define ReadStructFromUserAligned(Destination, Source, Alignment)                         \
  do {                                                                                    \
    RtlTypesCompatible(Destination, Source);                                              \
    ::umaccess::detail::read_struct_object((Destination), (Source), UserMode, false,      \
                                           "ReadStructFromUserAligned", (Alignment));     \
  } while (0)

#define ReadStructFromMode(Destination, Source, Mode)                                     \
  do {                                                                                    \
    RtlTypesCompatible(Destination, Source);                                              \
    UMACCESS_MODE_CHECK_(Mode);                                                           \
    ::umaccess::detail::read_struct_object((Destination), (Source), static_cast<KPROCESSOR_MODE>(Mode), true,         \
                                           nullptr, 0);                                   \
  } while (0)

#define ReadStructFromModeAligned(Destination, Source, Mode, Alignment)                   \
  do {                                                                                    \
    RtlTypesCompatible(Destination, Source);                                              \
    UMACCESS_MODE_CHECK_(Mode);                                                           \
    ::umaccess::detail::read_struct_object((Destination), (Source), static_cast<KPROCESSOR_MODE>(Mode), true,         \
                                           "ReadStructFromModeAligned", (Alignment));     \
  } while (0)

#define WriteStructToUser(Destination, Source)                                            \
  do {                                                                                    \
    RtlTypesCompatible(Destination, Source);                                              \
    ::umaccess::detail::write_struct_object((Destination), (Source), UserMode, false,     \
                                            nullptr, 0);                                  \
  } while (0)

#define WriteStructToUserAligned(Destination, Source, Alignment)                          \
  do {                                                                                    \
    RtlTypesCompatible(Destination, Source);                                              \
    ::umaccess::detail::write_struct_object((Destination), (Source), UserMode, false,     \
                                            "WriteStructToUserAligned", (Alignment));     \
  } while (0)

#define WriteStructToMode(Destination, Source, Mode)                                      \
  do {                                                                                    \
    RtlTypesCompatible(Destination, Source);                                              \
    UMACCESS_MODE_CHECK_(Mode);                                                           \
    ::umaccess::detail::write_struct_object((Destination), (Source), static_cast<KPROCESSOR_MODE>(Mode), true,        \
                                            nullptr, 0);                                  \
  } while (0)

#define WriteStructToModeAligned(Destination, Source, Mode, Alignment)                    \
  do {                                                                                    \
    RtlTypesCompatible(Destination, Source);                                              \
    UMACCESS_MODE_CHECK_(Mode);                                                           \
    ::umaccess::detail::write_struct_object((Destination), (Source), static_cast<KPROCESSOR_MODE>(Mode), true,        \
                                            "WriteStructToModeAligned", (Alignment));     \
  } while (0)

// ---- The Rtl* primitives ("reserved for system use") -------------------------------------
// The out-of-line functions the WDK's inline accessors are built on, under their own names,
// for ports that call them directly. Mind RtlSetUserMemory's (Fill, Length) order.

inline VOID RtlCopyFromUser(volatile VOID* Destination, const volatile VOID* Source, SIZE_T Length) {
  CopyFromUser(Destination, Source, Length);
}
inline VOID RtlCopyFromUserNonTemporal(volatile VOID* Destination, const volatile VOID* Source,
                                       SIZE_T Length) {
  CopyFromUserNonTemporal(::umaccess::detail::bare(Destination), Source, Length);
}
inline VOID RtlCopyToUser(volatile VOID* Destination, const volatile VOID* Source, SIZE_T Length) {
  CopyToUser(Destination, ::umaccess::detail::bare(Source), Length);
}
inline VOID RtlCopyToUserNonTemporal(volatile VOID* Destination, const volatile VOID* Source,
                                     SIZE_T Length) {
  CopyToUserNonTemporal(Destination, ::umaccess::detail::bare(Source), Length);
}
inline VOID RtlCopyToUserFromUser(volatile VOID* Destination, volatile const VOID* Source,
                                  SIZE_T Length) {
  CopyToUserFromUser(Destination, Source, Length);
}
inline VOID RtlMoveToUserFromUser(volatile VOID* Destination, volatile const VOID* Source,
                                  SIZE_T Length) {
  MoveToUserFromUser(Destination, Source, Length);
}
inline VOID RtlSetUserMemory(volatile VOID* Destination, UCHAR Fill, SIZE_T Length) {
  SetUserMemory(Destination, Fill, Length);
}

#define UMACCESS_DEFINE_RTL_SCALAR_(X, T)                                                     \
  inline T RtlRead##X##FromUser(const volatile T* Address) {                                  \
    return ::umaccess::detail::read_user(Address, "RtlRead" #X "FromUser");                   \
  }                                                                                           \
  inline T RtlRead##X##FromUserAcquire(const volatile T* Address) {                           \
    return ::umaccess::detail::read_user_acquire(Address, "RtlRead" #X "FromUserAcquire");    \
  }                                                                                           \
  inline VOID RtlWrite##X##ToUser(volatile T* Address, T Value) {                             \
    ::umaccess::detail::write_user(Address, Value, "RtlWrite" #X "ToUser");                   \
  }                                                                                           \
  inline VOID RtlWrite##X##ToUserRelease(volatile T* Address, T Value) {                      \
    ::umaccess::detail::write_user_release(Address, Value, "RtlWrite" #X "ToUserRelease");    \
  }
UMACCESS_DEFINE_RTL_SCALAR_(UChar, UCHAR)
UMACCESS_DEFINE_RTL_SCALAR_(UShort, USHORT)
UMACCESS_DEFINE_RTL_SCALAR_(ULong, ULONG)
UMACCESS_DEFINE_RTL_SCALAR_(ULong64, ULONG64)
UMACCESS_DEFINE_RTL_SCALAR_(ULongPtr, ULONG_PTR)  // the 64-bit primitives under _WIN64
#undef UMACCESS_DEFINE_RTL_SCALAR_

inline SIZE_T RtlStringLengthFromUser(const volatile char* String) {
  return ::umaccess::detail::string_length_user(String, 1, "RtlStringLengthFromUser");
}
inline SIZE_T RtlWideStringLengthFromUser(const volatile WCHAR* String) {
  return ::umaccess::detail::string_length_user(String, 2, "RtlWideStringLengthFromUser");
}

inline LONG RtlInterlockedCompareExchange32ToUser(LONG volatile* Destination, LONG ExChange,
                                                  LONG Comperand) {
  return InterlockedCompareExchangeToUser(Destination, ExChange, Comperand);
}
inline LONG64 RtlInterlockedCompareExchange64ToUser(LONG64 volatile* Destination, LONG64 ExChange,
                                                    LONG64 Comperand) {
  return InterlockedCompareExchange64ToUser(Destination, ExChange, Comperand);
}
inline LONG RtlInterlockedOr32ToUser(LONG volatile* Destination, LONG Value) {
  return InterlockedOrToUser(Destination, Value);
}
inline LONG64 RtlInterlockedOr64ToUser(LONG64 volatile* Destination, LONG64 Value) {
  return InterlockedOr64ToUser(Destination, Value);
}
inline LONG RtlInterlockedAnd32ToUser(LONG volatile* Destination, LONG Value) {
  return InterlockedAndToUser(Destination, Value);
}
inline LONG64 RtlInterlockedAnd64ToUser(LONG64 volatile* Destination, LONG64 Value) {
  return InterlockedAnd64ToUser(Destination, Value);
}

// RtlFastFailIfUserPointer: on Windows (DBG builds only) a kernel-side pointer that is a user
// address is a fast fail (FAST_FAIL_KERNEL_POINTER_EXPECTED). Here kernel-side and user
// buffers share one address space, so the check can only mean something when a
// ScopedUserRange has narrowed the user range (an emulator's guest region): with DBG defined
// non-zero, a non-NULL pointer inside a narrowed range bug-checks as a kernel __fastfail does
// (KERNEL_SECURITY_CHECK_FAILURE, parameter 1 = FAST_FAIL_KERNEL_POINTER_EXPECTED, parameter
// 2 = the pointer). Otherwise, as in the WDK
// without DBG, the argument is evaluated and discarded.
#ifndef FAST_FAIL_KERNEL_POINTER_EXPECTED
#define FAST_FAIL_KERNEL_POINTER_EXPECTED 77
#endif

// A macro, as in the WDK, so that translation units built with and without DBG can share a
// program (one inline function with two bodies would break the one-definition rule).
#if defined(DBG) && DBG
namespace umaccess::detail {
// Takes the address as an integer: a pointer-to-const parameter made GCC 12 at -O0 warn
// "may be used uninitialized" for every uninitialized buffer passed (only the address is
// looked at), which -Werror builds of drivers turn into errors.
inline void fast_fail_if_user_pointer(std::uintptr_t p) {
  const ::umaccess::UserRange r = ::umaccess::user_range(), all = ::umaccess::default_user_range();
  const bool narrowed = r.begin != all.begin || r.end != all.end;
  if (p != 0 && narrowed && p >= r.begin && p < r.end)
    ::umaccess::bug_check(KERNEL_SECURITY_CHECK_FAILURE, FAST_FAIL_KERNEL_POINTER_EXPECTED, p);
}
}  // namespace umaccess::detail
#define RtlFastFailIfUserPointer(Pointer)       \
  ::umaccess::detail::fast_fail_if_user_pointer( \
      reinterpret_cast<std::uintptr_t>(static_cast<const volatile void*>(Pointer)))
#else
#define RtlFastFailIfUserPointer(Pointer) ((void)(Pointer))
#endif
