// SPDX-License-Identifier: Apache-2.0
// src/access_ops.cpp - the single-access operations: scalars, UNICODE_STRING descriptors,
// string lengths and interlocked operations.
//
// Each raw entry checks the user range (and, for interlocked operations, the alignment) and
// runs one assembly primitive; the primitive returns {value, failed} in two registers and
// writes the caller's fault record only when it failed. The per-width and per-operation
// entries (umaccess_raw_read_u32, umaccess_raw_interlocked_or64, ...) are the hot ones: the
// checks and a jump. The C status functions below run the same templates as those entries;
// the C++ inline layer (usermode_accessors.h) and the C inline twins (umaccess.h) call the
// entries. The entries
// that take the size or operation as an argument (umaccess_raw_read, ...) remain for callers
// of the first ABI.
#include "failure.h"
#include "kernels.h"
#include "plan.h"
#include "user_range.h"

namespace umaccess::detail {
namespace {

bool is_kernel(umaccess_processor_mode mode) { return mode == UMACCESS_KERNEL_MODE; }

// A check refused the access: describe it in the record (signal 0), touch nothing.
__attribute__((noinline, cold)) umaccess_value refuse(umaccess_fault_record* rec,
                                                      std::uintptr_t address, bool is_write,
                                                      bool misaligned) {
  rec->address = address;
  rec->info = FaultInfo::pack(0, 0, is_write, false) |
              (static_cast<std::uint64_t>(misaligned) << FaultInfo::kMisalignedBit);
  rec->kernel = nullptr;
  return umaccess_value{0, 1};
}

umaccess_value refuse_range(umaccess_fault_record* rec, const void* p, bool is_write) {
  return refuse(rec, first_address_outside(current_user_range(), reinterpret_cast<std::uintptr_t>(p)),
                is_write, false);
}

using ReadPrimitive = uma_value (*)(const void*, uma_fault_record*);
using WritePrimitive = uma_value (*)(void*, std::uint64_t, uma_fault_record*);

// A size other than 1, 2, 4 or 8 is a caller bug (the inline layer passes sizeof).
[[noreturn]] umaccess_value bad_access_size(unsigned size) {
  bug_check_in("umaccess_raw_read/write", PAGE_FAULT_IN_NONPAGED_AREA, size, 0, 0, 0,
               "an access size other than 1, 2, 4 or 8 bytes");
}

// ---- Per-width entries -----------------------------------------------------------------------
// The hot path of every user-mode scalar accessor: the range check inline, then the primitive
// as a tail call with the primitive's own signature, so that no argument moves and no register
// is saved. The thread's first access (its range not yet filled in) and every refusal go to
// an out-of-line twin, itself a tail call (a call there would make the hot path save the
// arguments around it).

template <ReadPrimitive Read, unsigned Size>
__attribute__((noinline, cold)) umaccess_value read_first_or_refuse(const void* p,
                                                                    umaccess_fault_record* rec) {
  if (!user_range_allows(p, Size)) return refuse_range(rec, p, false);
  return Read(p, rec);
}

template <ReadPrimitive Read, unsigned Size>
inline umaccess_value read_entry(const void* p, umaccess_fault_record* rec) {
  if (__builtin_expect(in_current_user_range(reinterpret_cast<std::uintptr_t>(p), Size), 1))
    return Read(p, rec);
  return read_first_or_refuse<Read, Size>(p, rec);
}

bool misaligned(const void* p, unsigned size) {
  return (reinterpret_cast<std::uintptr_t>(p) & (size - 1)) != 0;
}

// Writes, and the interlocked operations (Aligned: a misaligned destination is refused with
// STATUS_DATATYPE_MISALIGNMENT before the range is looked at).
template <WritePrimitive Write, unsigned Size, bool Aligned = false>
__attribute__((noinline, cold)) umaccess_value write_first_or_refuse(void* p, std::uint64_t v,
                                                                     umaccess_fault_record* rec) {
  if (Aligned && misaligned(p, Size))
    return refuse(rec, reinterpret_cast<std::uintptr_t>(p), true, true);
  if (!user_range_allows(p, Size)) return refuse_range(rec, p, true);
  return Write(p, v, rec);
}

template <WritePrimitive Write, unsigned Size, bool Aligned = false>
inline umaccess_value write_entry(void* p, std::uint64_t v, umaccess_fault_record* rec) {
  if (__builtin_expect(!(Aligned && misaligned(p, Size)) &&
                           in_current_user_range(reinterpret_cast<std::uintptr_t>(p), Size),
                       1))
    return Write(p, v, rec);
  return write_first_or_refuse<Write, Size, Aligned>(p, v, rec);
}

using CompareExchangePrimitive = uma_value (*)(void*, std::uint64_t, std::uint64_t,
                                               uma_fault_record*);

template <CompareExchangePrimitive CompareExchange, unsigned Size>
__attribute__((noinline, cold)) umaccess_value compare_exchange_first_or_refuse(
    void* p, std::uint64_t exchange, std::uint64_t comperand, umaccess_fault_record* rec) {
  if (misaligned(p, Size)) return refuse(rec, reinterpret_cast<std::uintptr_t>(p), true, true);
  if (!user_range_allows(p, Size)) return refuse_range(rec, p, true);
  return CompareExchange(p, exchange, comperand, rec);
}

template <CompareExchangePrimitive CompareExchange, unsigned Size>
inline umaccess_value compare_exchange_entry(void* p, std::uint64_t exchange,
                                             std::uint64_t comperand, umaccess_fault_record* rec) {
  if (__builtin_expect(!misaligned(p, Size) &&
                           in_current_user_range(reinterpret_cast<std::uintptr_t>(p), Size),
                       1))
    return CompareExchange(p, exchange, comperand, rec);
  return compare_exchange_first_or_refuse<CompareExchange, Size>(p, exchange, comperand, rec);
}

// Operation names of the C status functions: the Windows accessor of that width.
struct WidthNames {
  const char* read;
  const char* read_acquire;
  const char* read_mode;
  const char* write;
  const char* write_release;
  const char* write_mode;
};
constexpr WidthNames kNames[] = {
    {"ReadUCharFromUser", "ReadUCharFromUserAcquire", "ReadUCharFromMode", "WriteUCharToUser",
     "WriteUCharToUserRelease", "WriteUCharToMode"},
    {"ReadUShortFromUser", "ReadUShortFromUserAcquire", "ReadUShortFromMode", "WriteUShortToUser",
     "WriteUShortToUserRelease", "WriteUShortToMode"},
    {"ReadULongFromUser", "ReadULongFromUserAcquire", "ReadULongFromMode", "WriteULongToUser",
     "WriteULongToUserRelease", "WriteULongToMode"},
    {"ReadULong64FromUser", "ReadULong64FromUserAcquire", "ReadULong64FromMode",
     "WriteULong64ToUser", "WriteULong64ToUserRelease", "WriteULong64ToMode"},
};

// The status of a raw result under `operation`; stores the value on success.
template <class T>
umaccess_ntstatus finish(umaccess_value r, const umaccess_fault_record& rec, const char* operation,
                         T* out) {
  if (__builtin_expect(r.failed != 0, 0)) return umaccess_raw_access_status(operation, &rec);
  if (out != nullptr) *out = static_cast<T>(r.value);
  return STATUS_SUCCESS;
}

umaccess_ntstatus finish_write(umaccess_value r, const umaccess_fault_record& rec,
                               const char* operation) {
  return r.failed != 0 ? umaccess_raw_access_status(operation, &rec) : STATUS_SUCCESS;
}

// ---- Strings --------------------------------------------------------------------------------

// Search [s, end of the user range). The kernels refuse at the range's end themselves when
// no terminator lies before it (nothing at or past it read; the record as a range check's),
// so the hot path is a range check and a tail call. At least one byte of the string must
// be in range: a string starting at the range's end is refused there.
__attribute__((noinline, cold)) umaccess_value string_length_slow(const void* s, unsigned unit,
                                                                  umaccess_fault_record* rec);

inline umaccess_value run_string_length(const void* s, unsigned unit, umaccess_fault_record* rec) {
  const void* limit = reinterpret_cast<const void*>(current_user_range().end);
  return active_string_length(unit)(s, limit, rec);
}

inline umaccess_value string_length(const void* s, unsigned unit, umaccess_fault_record* rec) {
  if (__builtin_expect(!in_current_user_range(reinterpret_cast<std::uintptr_t>(s), 1), 0))
    return string_length_slow(s, unit, rec);
  return run_string_length(s, unit, rec);
}

// The first call on this thread (its range filled in here), or a real refusal.
umaccess_value string_length_slow(const void* s, unsigned unit, umaccess_fault_record* rec) {
  if (!user_range_allows(s, 1)) return refuse_range(rec, s, false);
  return run_string_length(s, unit, rec);
}

// Kernel-mode strings are searched without a bound: up to the top of the address space.
const void* const kNoLimit = reinterpret_cast<const void*>(UINTPTR_MAX);

// ---- Interlocked ------------------------------------------------------------------------------

// The checks (size, alignment, then the user range for user mode) and the primitive. Kernel
// mode runs the primitive without a record: no recovery, as for every kernel-mode access.
umaccess_value interlocked(umaccess_interlocked_op op, void* p, unsigned size, std::uint64_t value,
                           std::uint64_t comperand, bool user, uma_fault_record* rec) {
  if (size != 4 && size != 8)
    bug_check_in("umaccess_raw_interlocked", PAGE_FAULT_IN_NONPAGED_AREA, size, 0, 0, 0,
                 "an interlocked size other than 4 or 8 bytes");
  if (misaligned(p, size)) return refuse(rec, reinterpret_cast<std::uintptr_t>(p), true, true);
  if (user && !user_range_allows(p, size)) return refuse_range(rec, p, true);
  uma_fault_record* const recover = user ? rec : nullptr;
  const bool wide = size == 8;
  switch (op) {
    case UMACCESS_INTERLOCKED_COMPARE_EXCHANGE:
      return wide ? uma_cmpxchg_64(p, value, comperand, recover)
                  : uma_cmpxchg_32(p, value, comperand, recover);
    case UMACCESS_INTERLOCKED_OR:
      return wide ? uma_or_64(p, value, recover) : uma_or_32(p, value, recover);
    case UMACCESS_INTERLOCKED_AND:
      return wide ? uma_and_64(p, value, recover) : uma_and_32(p, value, recover);
  }
  bug_check_in("umaccess_raw_interlocked", PAGE_FAULT_IN_NONPAGED_AREA, op, 0, 0, 0,
               "an unknown umaccess_interlocked_op");
}

struct InterlockedNames {
  const char* user;
  const char* mode;
};
// [op][size == 8]
constexpr InterlockedNames kInterlockedNames[3][2] = {
    {{"InterlockedCompareExchangeToUser", "InterlockedCompareExchangeToMode"},
     {"InterlockedCompareExchange64ToUser", "InterlockedCompareExchange64ToMode"}},
    {{"InterlockedOrToUser", "InterlockedOrToMode"}, {"InterlockedOr64ToUser", "InterlockedOr64ToMode"}},
    {{"InterlockedAndToUser", "InterlockedAndToMode"},
     {"InterlockedAnd64ToUser", "InterlockedAnd64ToMode"}},
};

template <class T>
const char* user_name(umaccess_interlocked_op op) {
  return kInterlockedNames[op][sizeof(T) == 8].user;
}

// The ..._to_mode status functions (the ..._to_user ones call their per-operation entries).
template <class T>
umaccess_ntstatus interlocked_mode_status(umaccess_interlocked_op op, T* dst, T value,
                                          T comperand, umaccess_processor_mode mode,
                                          T* original) {
  const char* name = kInterlockedNames[op][sizeof(T) == 8].mode;
  umaccess_fault_record rec;
  const umaccess_value r =
      interlocked(op, dst, sizeof(T), static_cast<std::uint64_t>(value),
                  static_cast<std::uint64_t>(comperand), !is_kernel(mode), &rec);
  return finish(r, rec, name, original);
}

}  // namespace
}  // namespace umaccess::detail

using namespace umaccess::detail;

extern "C" {

// ---- Raw entries ---------------------------------------------------------------------------

umaccess_value umaccess_raw_interlocked(umaccess_interlocked_op op, void* dst, unsigned size,
                                        uint64_t value, uint64_t comperand,
                                        umaccess_fault_record* rec) {
  return interlocked(op, dst, size, value, comperand, true, rec);
}

UMA_HOT_ENTRY umaccess_value umaccess_raw_string_length(const void* string, unsigned unit,
                                          umaccess_fault_record* rec) {
  if (unit != 1 && unit != 2)
    bug_check_in("umaccess_raw_string_length", PAGE_FAULT_IN_NONPAGED_AREA, unit, 0, 0, 0,
                 "a string unit other than 1 (char) or 2 (WCHAR)");
  return string_length(string, unit, rec);
}
// One per unit, each with its own jump to its kernel (the entry above shares one between the
// two kernels, which a program that measures both widths makes polymorphic).
UMA_HOT_ENTRY umaccess_value umaccess_raw_string_length_u8(const void* string,
                                                           umaccess_fault_record* rec) {
  return string_length(string, 1, rec);
}
UMA_HOT_ENTRY umaccess_value umaccess_raw_string_length_u16(const void* string,
                                                            umaccess_fault_record* rec) {
  return string_length(string, 2, rec);
}

#define UMA_SCALAR_ENTRIES(bits)                                                                 \
  UMA_HOT_ENTRY umaccess_value umaccess_raw_read_u##bits(const void* src,                        \
                                                         umaccess_fault_record* rec) {           \
    return read_entry<uma_read_##bits, bits / 8>(src, rec);                                        \
  }                                                                                               \
  UMA_HOT_ENTRY umaccess_value umaccess_raw_read_acquire_u##bits(const void* src,                \
                                                                 umaccess_fault_record* rec) {   \
    return read_entry<uma_read_acquire_##bits, bits / 8>(src, rec);                                \
  }                                                                                               \
  UMA_HOT_ENTRY umaccess_value umaccess_raw_write_u##bits(void* dst, uint64_t value,              \
                                                          umaccess_fault_record* rec) {          \
    return write_entry<uma_write_##bits, bits / 8>(dst, value, rec);                               \
  }                                                                                               \
  UMA_HOT_ENTRY umaccess_value umaccess_raw_write_release_u##bits(void* dst, uint64_t value,      \
                                                                  umaccess_fault_record* rec) {  \
    return write_entry<uma_write_release_##bits, bits / 8>(dst, value, rec);                       \
  }
UMA_SCALAR_ENTRIES(8)
UMA_SCALAR_ENTRIES(16)
UMA_SCALAR_ENTRIES(32)
UMA_SCALAR_ENTRIES(64)
#undef UMA_SCALAR_ENTRIES

UMA_HOT_ENTRY umaccess_value umaccess_raw_interlocked_compare_exchange(
    void* dst, uint64_t exchange, uint64_t comperand, umaccess_fault_record* rec) {
  return compare_exchange_entry<uma_cmpxchg_32, 4>(dst, exchange, comperand, rec);
}
UMA_HOT_ENTRY umaccess_value umaccess_raw_interlocked_compare_exchange64(
    void* dst, uint64_t exchange, uint64_t comperand, umaccess_fault_record* rec) {
  return compare_exchange_entry<uma_cmpxchg_64, 8>(dst, exchange, comperand, rec);
}
#define UMA_INTERLOCKED_ENTRY(name, primitive, size)                                      \
  UMA_HOT_ENTRY umaccess_value umaccess_raw_interlocked_##name(void* dst, uint64_t value,  \
                                                               umaccess_fault_record* rec) { \
    return write_entry<primitive, size, true>(dst, value, rec);                           \
  }
UMA_INTERLOCKED_ENTRY(or, uma_or_32, 4)
UMA_INTERLOCKED_ENTRY(or64, uma_or_64, 8)
UMA_INTERLOCKED_ENTRY(and, uma_and_32, 4)
UMA_INTERLOCKED_ENTRY(and64, uma_and_64, 8)
#undef UMA_INTERLOCKED_ENTRY

// The entries that take the size as an argument: the per-width entry of that size. (Here and
// in the status functions below, the templates rather than the exported per-width entries:
// a call of an exported function from inside the shared library would go through its PLT.)
#define UMA_BY_SIZE(entry, primitive, size, ...)                                          \
  ((size) == 1   ? entry<primitive##_8, 1>(__VA_ARGS__)                                    \
   : (size) == 2 ? entry<primitive##_16, 2>(__VA_ARGS__)                                   \
   : (size) == 4 ? entry<primitive##_32, 4>(__VA_ARGS__)                                   \
   : (size) == 8 ? entry<primitive##_64, 8>(__VA_ARGS__)                                   \
                 : bad_access_size(size))
umaccess_value umaccess_raw_read(const void* src, unsigned size, umaccess_fault_record* rec) {
  return UMA_BY_SIZE(read_entry, uma_read, size, src, rec);
}
umaccess_value umaccess_raw_read_acquire(const void* src, unsigned size,
                                         umaccess_fault_record* rec) {
  return UMA_BY_SIZE(read_entry, uma_read_acquire, size, src, rec);
}
umaccess_value umaccess_raw_write(void* dst, unsigned size, uint64_t value,
                                  umaccess_fault_record* rec) {
  return UMA_BY_SIZE(write_entry, uma_write, size, dst, value, rec);
}
umaccess_value umaccess_raw_write_release(void* dst, unsigned size, uint64_t value,
                                          umaccess_fault_record* rec) {
  return UMA_BY_SIZE(write_entry, uma_write_release, size, dst, value, rec);
}
#undef UMA_BY_SIZE

umaccess_ntstatus umaccess_raw_access_status(const char* operation,
                                             const umaccess_fault_record* rec) {
  const Operation op{operation, Side::User, Side::User};
  if (FaultInfo::signo(rec->info) != 0) return fail_fault(op, 0, *rec, nullptr);
  const bool is_write = FaultInfo::is_write(rec->info);
  if (FaultInfo::misaligned(rec->info))
    return fail_check(op, STATUS_DATATYPE_MISALIGNMENT, reinterpret_cast<const void*>(rec->address),
                      is_write);
  return fail_check(op, STATUS_ACCESS_VIOLATION, reinterpret_cast<const void*>(rec->address),
                    is_write);
}

// ---- Scalars ---------------------------------------------------------------------------------

// A width's entry templates, named short for the macro below.
#define UMA_READ(kind, bits) read_entry<uma_##kind##_##bits, bits / 8>
#define UMA_WRITE(kind, bits) write_entry<uma_##kind##_##bits, bits / 8>
#define UMA_SCALAR_STATUS(bits, w)                                                              \
  umaccess_ntstatus umaccess_read_u##bits##_from_user(const void* src, uint##bits##_t* out) {   \
    umaccess_fault_record rec;                                                                  \
    return finish(UMA_READ(read, bits)(src, &rec), rec, kNames[w].read, out);                   \
  }                                                                                             \
  umaccess_ntstatus umaccess_read_u##bits##_from_user_acquire(const void* src,                  \
                                                              uint##bits##_t* out) {            \
    umaccess_fault_record rec;                                                                  \
    return finish(UMA_READ(read_acquire, bits)(src, &rec), rec, kNames[w].read_acquire, out);   \
  }                                                                                             \
  umaccess_ntstatus umaccess_read_u##bits##_from_mode(const void* src,                          \
                                                      umaccess_processor_mode mode,             \
                                                      uint##bits##_t* out) {                    \
    umaccess_fault_record rec;                                                                  \
    if (is_kernel(mode))                                                                        \
      return finish(uma_read_##bits(src, nullptr), rec, kNames[w].read_mode, out);              \
    return finish(UMA_READ(read, bits)(src, &rec), rec, kNames[w].read_mode, out);              \
  }                                                                                             \
  umaccess_ntstatus umaccess_write_u##bits##_to_user(void* dst, uint##bits##_t value) {         \
    umaccess_fault_record rec;                                                                  \
    return finish_write(UMA_WRITE(write, bits)(dst, value, &rec), rec, kNames[w].write);        \
  }                                                                                             \
  umaccess_ntstatus umaccess_write_u##bits##_to_user_release(void* dst, uint##bits##_t value) { \
    umaccess_fault_record rec;                                                                  \
    return finish_write(UMA_WRITE(write_release, bits)(dst, value, &rec), rec,                  \
                        kNames[w].write_release);                                               \
  }                                                                                             \
  umaccess_ntstatus umaccess_write_u##bits##_to_mode(void* dst, uint##bits##_t value,           \
                                                     umaccess_processor_mode mode) {            \
    umaccess_fault_record rec;                                                                  \
    if (is_kernel(mode))                                                                        \
      return finish_write(uma_write_##bits(dst, value, nullptr), rec, kNames[w].write_mode);    \
    return finish_write(UMA_WRITE(write, bits)(dst, value, &rec), rec, kNames[w].write_mode);   \
  }
UMA_SCALAR_STATUS(8, 0)
UMA_SCALAR_STATUS(16, 1)
UMA_SCALAR_STATUS(32, 2)
UMA_SCALAR_STATUS(64, 3)
#undef UMA_SCALAR_STATUS
#undef UMA_READ
#undef UMA_WRITE

// ---- UNICODE_STRING ----------------------------------------------------------------------------

static umaccess_ntstatus read_unicode_string(const umaccess_unicode_string* src,
                                             umaccess_processor_mode mode, const char* name,
                                             umaccess_unicode_string* out) {
  umaccess_fault_record rec;
  const bool kernel = is_kernel(mode);
  // By address arithmetic: src may be misaligned or NULL, so no src->field in C++.
  const auto base = reinterpret_cast<uintptr_t>(src);
  const void* lengths_at = reinterpret_cast<const void*>(base);
  const void* buffer_at = reinterpret_cast<const void*>(base + offsetof(umaccess_unicode_string, buffer));
  const umaccess_value lengths =
      kernel ? uma_read_32(lengths_at, nullptr) : read_entry<uma_read_32, 4>(lengths_at, &rec);
  if (lengths.failed != 0) return umaccess_raw_access_status(name, &rec);
  const umaccess_value buffer =
      kernel ? uma_read_64(buffer_at, nullptr) : read_entry<uma_read_64, 8>(buffer_at, &rec);
  if (buffer.failed != 0) return umaccess_raw_access_status(name, &rec);
  if (out != nullptr) {
    out->length = static_cast<uint16_t>(lengths.value);
    out->maximum_length = static_cast<uint16_t>(lengths.value >> 16);
    out->buffer = reinterpret_cast<umaccess_wchar*>(buffer.value);
  }
  return STATUS_SUCCESS;
}

static umaccess_ntstatus write_unicode_string(umaccess_unicode_string* dst,
                                              umaccess_unicode_string value,
                                              umaccess_processor_mode mode, const char* name) {
  umaccess_fault_record rec;
  const bool kernel = is_kernel(mode);
  const uint64_t lengths = value.length | static_cast<uint64_t>(value.maximum_length) << 16;
  const uint64_t buffer = reinterpret_cast<uintptr_t>(value.buffer);
  const auto base = reinterpret_cast<uintptr_t>(dst);  // no dst->field: see above
  void* lengths_at = reinterpret_cast<void*>(base);
  void* buffer_at = reinterpret_cast<void*>(base + offsetof(umaccess_unicode_string, buffer));
  const umaccess_value a =
      kernel ? uma_write_32(lengths_at, lengths, nullptr)
             : write_entry<uma_write_32, 4>(lengths_at, lengths, &rec);
  if (a.failed != 0) return umaccess_raw_access_status(name, &rec);
  const umaccess_value b =
      kernel ? uma_write_64(buffer_at, buffer, nullptr)
             : write_entry<uma_write_64, 8>(buffer_at, buffer, &rec);
  return finish_write(b, rec, name);
}

static_assert(sizeof(void*) == 8, "UNICODE_STRING's Buffer is read as one 64-bit access");

umaccess_ntstatus umaccess_read_unicode_string_from_user(const umaccess_unicode_string* src,
                                                         umaccess_unicode_string* out) {
  return read_unicode_string(src, UMACCESS_USER_MODE, "ReadUnicodeStringFromUser", out);
}
umaccess_ntstatus umaccess_read_unicode_string_from_mode(const umaccess_unicode_string* src,
                                                         umaccess_processor_mode mode,
                                                         umaccess_unicode_string* out) {
  return read_unicode_string(src, mode, "ReadUnicodeStringFromMode", out);
}
umaccess_ntstatus umaccess_write_unicode_string_to_user(umaccess_unicode_string* dst,
                                                        umaccess_unicode_string value) {
  return write_unicode_string(dst, value, UMACCESS_USER_MODE, "WriteUnicodeStringToUser");
}
umaccess_ntstatus umaccess_write_unicode_string_to_mode(umaccess_unicode_string* dst,
                                                        umaccess_unicode_string value,
                                                        umaccess_processor_mode mode) {
  return write_unicode_string(dst, value, mode, "WriteUnicodeStringToMode");
}

// ---- Strings ---------------------------------------------------------------------------------

static umaccess_ntstatus string_length_status(const void* s, unsigned unit,
                                              umaccess_processor_mode mode, const char* name,
                                              size_t* length) {
  if (is_kernel(mode)) {
    umaccess_fault_record none{};  // no recovery: a fault is not returned from
    return finish(active_string_length(unit)(s, kNoLimit, nullptr), none, name, length);
  }
  umaccess_fault_record rec;  // written by the kernel or the range check when they fail
  return finish(string_length(s, unit, &rec), rec, name, length);
}

UMA_HOT_ENTRY umaccess_ntstatus umaccess_string_length_from_user(const char* s, size_t* length) {
  return string_length_status(s, 1, UMACCESS_USER_MODE, "StringLengthFromUser", length);
}
UMA_HOT_ENTRY umaccess_ntstatus umaccess_wide_string_length_from_user(const umaccess_wchar* s,
                                                                      size_t* length) {
  return string_length_status(s, 2, UMACCESS_USER_MODE, "WideStringLengthFromUser", length);
}
UMA_HOT_ENTRY umaccess_ntstatus umaccess_string_length_from_mode(const char* s,
                                                                 umaccess_processor_mode mode,
                                                                 size_t* length) {
  return string_length_status(s, 1, mode, "StringLengthFromMode", length);
}
UMA_HOT_ENTRY umaccess_ntstatus umaccess_wide_string_length_from_mode(const umaccess_wchar* s,
                                                                      umaccess_processor_mode mode,
                                                                      size_t* length) {
  return string_length_status(s, 2, mode, "WideStringLengthFromMode", length);
}

// ---- Interlocked -------------------------------------------------------------------------------

#define UMA_INTERLOCKED_STATUS(name, T, op, primitive)                                         \
  umaccess_ntstatus umaccess_interlocked_##name##_to_user(T* dst, T value, T* original) {      \
    umaccess_fault_record rec;                                                                 \
    return finish(write_entry<primitive, sizeof(T), true>(dst, static_cast<uint64_t>(value),    \
                                                          &rec),                               \
                  rec, user_name<T>(op), original);                                            \
  }                                                                                            \
  umaccess_ntstatus umaccess_interlocked_##name##_to_mode(T* dst, T value,                     \
                                                          umaccess_processor_mode mode,        \
                                                          T* original) {                       \
    return interlocked_mode_status<T>(op, dst, value, 0, mode, original);                      \
  }
UMA_INTERLOCKED_STATUS(or, int32_t, UMACCESS_INTERLOCKED_OR, uma_or_32)
UMA_INTERLOCKED_STATUS(or64, int64_t, UMACCESS_INTERLOCKED_OR, uma_or_64)
UMA_INTERLOCKED_STATUS(and, int32_t, UMACCESS_INTERLOCKED_AND, uma_and_32)
UMA_INTERLOCKED_STATUS(and64, int64_t, UMACCESS_INTERLOCKED_AND, uma_and_64)
#undef UMA_INTERLOCKED_STATUS

#define UMA_COMPARE_EXCHANGE_STATUS(name, T, primitive)                                      \
  umaccess_ntstatus umaccess_interlocked_##name##_to_user(T* dst, T exchange, T comperand,     \
                                                          T* original) {                       \
    umaccess_fault_record rec;                                                                 \
    return finish(compare_exchange_entry<primitive, sizeof(T)>(                                \
                      dst, static_cast<uint64_t>(exchange), static_cast<uint64_t>(comperand),  \
                      &rec),                                                                   \
                  rec, user_name<T>(UMACCESS_INTERLOCKED_COMPARE_EXCHANGE), original);         \
  }                                                                                            \
  umaccess_ntstatus umaccess_interlocked_##name##_to_mode(                                     \
      T* dst, T exchange, T comperand, umaccess_processor_mode mode, T* original) {            \
    return interlocked_mode_status<T>(UMACCESS_INTERLOCKED_COMPARE_EXCHANGE, dst, exchange,    \
                                      comperand, mode, original);                              \
  }
UMA_COMPARE_EXCHANGE_STATUS(compare_exchange, int32_t, uma_cmpxchg_32)
UMA_COMPARE_EXCHANGE_STATUS(compare_exchange64, int64_t, uma_cmpxchg_64)
#undef UMA_COMPARE_EXCHANGE_STATUS

}  // extern "C"
