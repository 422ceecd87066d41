// SPDX-License-Identifier: Apache-2.0
// src/bulk_ops.cpp - the copy, move and fill operations.
//
// The raw entries are the hot path of everything: check the user side(s) against the
// thread's user range, pick the kernel for the length from the plan, and tail-call it, so
// the kernel returns straight to our caller with the bytes not done. No stack frame, no
// bookkeeping on success; the caller's fault record is written only on failure (by the
// kernel's fixup, or here when the range check refuses). umaccess_raw_status() and the
// status functions below turn a failure into an NTSTATUS, a recorded failure, or a bug check.
//
// Kernel-mode operations run the same kernels with a NULL record: no check, no recovery.
#include "failure.h"
#include "plan.h"
#include "probe.h"
#include "sanitizer_checks.h"
#include "user_range.h"

namespace umaccess::detail {
namespace {

// The table of umaccess/bulk_operations.def, indexed by umaccess_operation: the Windows name
// a failure reports, and the sides it reads and writes (a fill writes user memory).
constexpr Operation kOperations[] = {
#define UMACCESS_COPY_OPERATION(OP, name, WindowsName, reads, writes, kernel) \
  {#WindowsName, Side::reads, Side::writes},
#define UMACCESS_FILL_OPERATION(OP, name, WindowsName, args) {#WindowsName, Side::User, Side::User},
#define UMACCESS_STRUCT_OPERATION(OP, WindowsName, reads, writes) \
  {#WindowsName, Side::reads, Side::writes},
#include "umaccess/bulk_operations.def"
#undef UMACCESS_COPY_OPERATION
#undef UMACCESS_FILL_OPERATION
#undef UMACCESS_STRUCT_OPERATION
};
constexpr unsigned kOperationCount = sizeof kOperations / sizeof kOperations[0];
constexpr Operation kCopyFromUserAligned{"CopyFromUserAligned", Side::User, Side::Kernel};
constexpr Operation kCopyToUserAligned{"CopyToUserAligned", Side::Kernel, Side::User};

// The range check refused [p, p + len): describe it in the record (signal 0), touch
// nothing. Length 0 is never refused.
__attribute__((noinline, cold)) std::size_t refuse(umaccess_fault_record* rec, const void* p,
                                                   std::size_t len, bool is_write) {
  if (len == 0) return 0;
  rec->address = first_address_outside(current_user_range(), reinterpret_cast<std::uintptr_t>(p));
  rec->info = FaultInfo::pack(0, 0, is_write, false);
  rec->kernel = nullptr;
  return len;
}

bool is_kernel(umaccess_processor_mode mode) { return mode == UMACCESS_KERNEL_MODE; }

// The hot check: the thread's range, no initialization (a fresh thread's empty range fails
// it and takes the cold path); the passing case falls through.
inline bool allowed(const void* p, std::size_t n) {
  return __builtin_expect(in_current_user_range(reinterpret_cast<std::uintptr_t>(p), n), 1);
}

bool overlaps(const void* dst, const void* src, std::size_t len) {
  const auto d = reinterpret_cast<std::uintptr_t>(dst), s = reinterpret_cast<std::uintptr_t>(src);
  return d - s < len || s - d < len;
}

// Both sides checked, after initialization: true if one was refused (*result is then
// what the entry returns: the length, or 0 for length 0).
bool refused_user_to_user(void* dst, const void* src, std::size_t len,
                          umaccess_fault_record* rec, std::size_t* result) {
  if (!user_range_allows(src, len)) return *result = refuse(rec, src, len, false), true;
  if (!user_range_allows(dst, len)) return *result = refuse(rec, dst, len, true), true;
  return false;
}

}  // namespace

// ---- The cold twins of the raw entries ---------------------------------------------------
// Reached when a range check fails: the first access on this thread (which fills in its
// range), or a real refusal. Same signatures as the entries, so those reach them with a
// tail call and need no stack frame themselves.

// The table's kernel column: which active kernel a copy runs.
enum class KernelFamily { Copy, CopyNonTemporal, MoveOrCopy };

template <KernelFamily K>
__attribute__((always_inline)) inline std::size_t run_kernel(void* d, const void* s,
                                                             std::size_t n,
                                                             umaccess_fault_record* r) {
  if constexpr (K == KernelFamily::Copy)
    return active_copy()(d, s, n, r);
  else if constexpr (K == KernelFamily::CopyNonTemporal)
    return active_copy_nt()(d, s, n, r);
  else
    return (overlaps(d, s, n) ? active_move() : active_copy())(d, s, n, r);
}

// A copy's cold path: check each user side after initialization, refuse, or run the kernel.
// (Cold itself, so that the compiler inlines into it no more than into the twins it makes.)
template <Side Reads, Side Writes, KernelFamily K>
__attribute__((cold, always_inline)) inline std::size_t copy_slow(void* d, const void* s,
                                                                  std::size_t n,
                                                                  umaccess_fault_record* r) {
  static_assert(Reads == Side::User || Writes == Side::User, "a copy has a user side");
  if constexpr (Reads == Side::User && Writes == Side::User) {
    std::size_t result;
    if (refused_user_to_user(d, s, n, r, &result)) return result;
  } else if constexpr (Reads == Side::User) {
    if (!user_range_allows(s, n)) return refuse(r, s, n, false);
  } else {
    if (!user_range_allows(d, n)) return refuse(r, d, n, true);
  }
  return run_kernel<K>(d, s, n, r);
}

#define UMA_COLD __attribute__((noinline, cold))

// copy_from_user_slow, copy_to_user_slow, ...: one per copy of the table.
#define UMACCESS_COPY_OPERATION(OP, name, WindowsName, reads, writes, kernel)                 \
  UMA_COLD std::size_t name##_slow(void* d, const void* s, std::size_t n,                     \
                                   umaccess_fault_record* r) {                                \
    return copy_slow<Side::reads, Side::writes, KernelFamily::kernel>(d, s, n, r);            \
  }
#define UMACCESS_FILL_OPERATION(OP, name, WindowsName, args)
#define UMACCESS_STRUCT_OPERATION(OP, WindowsName, reads, writes)
#include "umaccess/bulk_operations.def"
#undef UMACCESS_COPY_OPERATION
#undef UMACCESS_FILL_OPERATION
#undef UMACCESS_STRUCT_OPERATION

// Every fill shares one raw entry (user destination, the fill kernel).
UMA_COLD std::size_t fill_user_memory_slow(void* d, std::size_t n, unsigned char fill,
                                           umaccess_fault_record* r) {
  if (!user_range_allows(d, n)) return refuse(r, d, n, true);
  return active_fill()(d, fill, n, r);
}

#undef UMA_COLD

}  // namespace umaccess::detail

using namespace umaccess::detail;

namespace {

// ---- The raw entries' bodies ----------------------------------------------------------------
// A range check and one jump through the active kernel. Inlined both into the exported raw
// entries (where the jump is a tail call: no frame) and into the status functions below,
// which would otherwise reach them through the PLT.

using CopyEntry = std::size_t (*)(void*, const void*, std::size_t, umaccess_fault_record*);

// A copy's raw body: tell a sanitizer about the kernel side, check each user side, then jump
// through the kernel; a failed check goes to the cold twin Slow.
template <Side Reads, Side Writes, KernelFamily K, CopyEntry Slow>
inline std::size_t raw_copy(void* d, const void* s, std::size_t n, umaccess_fault_record* r) {
  if constexpr (Writes == Side::Kernel) declare_kernel_side(d, n, true);
  if constexpr (Reads == Side::Kernel) declare_kernel_side(s, n, false);
  if constexpr (Reads == Side::User && Writes == Side::User) {
    if (!allowed(s, n) || !allowed(d, n)) return Slow(d, s, n, r);
  } else if constexpr (Reads == Side::User) {
    if (!allowed(s, n)) return Slow(d, s, n, r);
  } else {
    if (!allowed(d, n)) return Slow(d, s, n, r);
  }
  return run_kernel<K>(d, s, n, r);
}

// raw_copy_from_user, raw_copy_to_user, ...: one per copy of the table.
#define UMACCESS_COPY_OPERATION(OP, name, WindowsName, reads, writes, kernel)                  \
  inline std::size_t raw_##name(void* d, const void* s, std::size_t n, umaccess_fault_record* r) { \
    return raw_copy<Side::reads, Side::writes, KernelFamily::kernel, name##_slow>(d, s, n, r);  \
  }
#define UMACCESS_FILL_OPERATION(OP, name, WindowsName, args)
#define UMACCESS_STRUCT_OPERATION(OP, WindowsName, reads, writes)
#include "umaccess/bulk_operations.def"
#undef UMACCESS_COPY_OPERATION
#undef UMACCESS_FILL_OPERATION
#undef UMACCESS_STRUCT_OPERATION

inline std::size_t raw_fill_user_memory(void* d, std::size_t n, unsigned char fill,
                                        umaccess_fault_record* r) {
  if (!allowed(d, n)) return fill_user_memory_slow(d, n, fill, r);
  return active_fill()(d, fill, n, r);
}

// A failure as a status (the record was filled by the fixup or the range check).
__attribute__((noinline, cold)) umaccess_ntstatus failure_status(const Operation& o, std::size_t len,
                                                                 std::size_t left,
                                                                 const umaccess_fault_record* rec,
                                                                 std::size_t* done) {
  if (FaultInfo::signo(rec->info) == 0)
    return fail_range(o, reinterpret_cast<const void*>(rec->address),
                      FaultInfo::is_write(rec->info), done);
  return fail_fault(o, len - left, *rec, done);
}

// The status functions' common tail: success inline, failure out of line.
inline umaccess_ntstatus status_of(umaccess_operation op, std::size_t len, std::size_t left,
                                   const umaccess_fault_record* rec, std::size_t* done) {
  if (__builtin_expect(left == 0, 1)) {
    report_done(done, len);
    return STATUS_SUCCESS;
  }
  return failure_status(kOperations[op], len, left, rec, done);
}

}  // namespace

extern "C" {

// ---- Raw entries --------------------------------------------------------------------------------
// Each starts a 64-byte line (UMA_HOT_ENTRY, kernels.h), as do the status functions below.

#define UMACCESS_COPY_OPERATION(OP, name, WindowsName, reads, writes, kernel)                \
  UMA_HOT_ENTRY size_t umaccess_raw_##name(void* d, const void* s, size_t n,               \
                                           umaccess_fault_record* r) {                     \
    return raw_##name(d, s, n, r);                                                         \
  }
#define UMACCESS_FILL_OPERATION(OP, name, WindowsName, args)
#define UMACCESS_STRUCT_OPERATION(OP, WindowsName, reads, writes)
#include "umaccess/bulk_operations.def"
#undef UMACCESS_COPY_OPERATION
#undef UMACCESS_FILL_OPERATION
#undef UMACCESS_STRUCT_OPERATION
UMA_HOT_ENTRY size_t umaccess_raw_fill_user_memory(void* d, size_t n, unsigned char fill,
                                     umaccess_fault_record* r) {
  return raw_fill_user_memory(d, n, fill, r);
}

umaccess_ntstatus umaccess_raw_status(umaccess_operation op, size_t len, size_t left,
                                      const umaccess_fault_record* rec, size_t* done) {
  // A value outside the enumeration (a caller's cast or a corrupted variable) must not
  // index past the table: it is a caller bug, reported as such.
  if (static_cast<unsigned>(op) >= kOperationCount)
    bug_check_in("umaccess_raw_status", PAGE_FAULT_IN_NONPAGED_AREA,
                 static_cast<std::uintptr_t>(op), len, left, 0, "an unknown umaccess_operation");
  return status_of(op, len, left, rec, done);
}

// Kernel mode: both buffers are the caller's own.
void umaccess_kernel_copy(void* dst, const void* src, size_t len) {
  declare_kernel_side(src, len, false);
  declare_kernel_side(dst, len, true);
  active_copy()(dst, src, len, nullptr);
}

void umaccess_kernel_copy_nontemporal(void* dst, const void* src, size_t len) {
  declare_kernel_side(src, len, false);
  declare_kernel_side(dst, len, true);
  active_copy_nt()(dst, src, len, nullptr);
}

void umaccess_kernel_fill(void* dst, size_t len, unsigned char fill) {
  declare_kernel_side(dst, len, true);
  active_fill()(dst, fill, len, nullptr);
}

// ---- Status functions -------------------------------------------------------------------------

static umaccess_ntstatus fill_status(umaccess_operation op, void* dst, size_t len,
                                     unsigned char fill, size_t* done) {
  umaccess_fault_record rec;
  const size_t left = raw_fill_user_memory(dst, len, fill, &rec);
  return status_of(op, len, left, &rec, done);
}

// umaccess_copy_from_user, ..., umaccess_fill_user_memory, ...: one per copy and fill of the
// table (a fill's parameters, named dst, len, fill and bytes_filled, are umaccess.h's).
#define UMACCESS_COPY_OPERATION(OP, name, WindowsName, reads, writes, kernel)                  \
  UMA_HOT_ENTRY umaccess_ntstatus umaccess_##name(void* dst, const void* src, size_t len,    \
                                                  size_t* done) {                            \
    umaccess_fault_record rec;                                                              \
    const size_t left = raw_##name(dst, src, len, &rec);                                    \
    return status_of(UMACCESS_OP_##OP, len, left, &rec, done);                              \
  }
#define UMACCESS_FILL_OPERATION(OP, name, WindowsName, args)                                   \
  UMA_HOT_ENTRY umaccess_ntstatus umaccess_##name(UMACCESS_FILL_PARAMS_##args##_) {           \
    return fill_status(UMACCESS_OP_##OP, dst, len, UMACCESS_FILL_BYTE_##args##_, bytes_filled); \
  }
#define UMACCESS_STRUCT_OPERATION(OP, WindowsName, reads, writes)
#include "umaccess/bulk_operations.def"
#undef UMACCESS_COPY_OPERATION
#undef UMACCESS_FILL_OPERATION
#undef UMACCESS_STRUCT_OPERATION

static umaccess_ntstatus kernel_done(size_t len, size_t* done) {
  report_done(done, len);
  return STATUS_SUCCESS;
}

umaccess_ntstatus umaccess_copy_from_mode(void* dst, const void* src, size_t len,
                                          umaccess_processor_mode mode, size_t* done) {
  if (is_kernel(mode)) return umaccess_kernel_copy(dst, src, len), kernel_done(len, done);
  return umaccess_copy_from_user(dst, src, len, done);
}

umaccess_ntstatus umaccess_copy_to_mode(void* dst, const void* src, size_t len,
                                        umaccess_processor_mode mode, size_t* done) {
  if (is_kernel(mode)) return umaccess_kernel_copy(dst, src, len), kernel_done(len, done);
  return umaccess_copy_to_user(dst, src, len, done);
}

umaccess_ntstatus umaccess_copy_from_user_to_mode(void* dst, const void* src, size_t len,
                                                  umaccess_processor_mode mode, size_t* done) {
  if (is_kernel(mode)) return umaccess_copy_from_user(dst, src, len, done);
  return umaccess_copy_to_user_from_user(dst, src, len, done);
}

umaccess_ntstatus umaccess_copy_from_mode_nontemporal(void* dst, const void* src, size_t len,
                                                      umaccess_processor_mode mode,
                                                      size_t* done) {
  if (is_kernel(mode))
    return umaccess_kernel_copy_nontemporal(dst, src, len), kernel_done(len, done);
  return umaccess_copy_from_user_nontemporal(dst, src, len, done);
}

umaccess_ntstatus umaccess_copy_to_mode_nontemporal(void* dst, const void* src, size_t len,
                                                    umaccess_processor_mode mode, size_t* done) {
  if (is_kernel(mode))
    return umaccess_kernel_copy_nontemporal(dst, src, len), kernel_done(len, done);
  return umaccess_copy_to_user_nontemporal(dst, src, len, done);
}

umaccess_ntstatus umaccess_copy_from_user_aligned(void* dst, const void* src, size_t len,
                                                  uint32_t alignment, size_t* done) {
  report_done(done, 0);
  const umaccess_ntstatus s = check_probe(kCopyFromUserAligned, src, len, alignment, false);
  return s != STATUS_SUCCESS ? s : umaccess_copy_from_user(dst, src, len, done);
}

umaccess_ntstatus umaccess_copy_to_user_aligned(void* dst, const void* src, size_t len,
                                                uint32_t alignment, size_t* done) {
  report_done(done, 0);
  const umaccess_ntstatus s = check_probe(kCopyToUserAligned, dst, len, alignment, true);
  return s != STATUS_SUCCESS ? s : umaccess_copy_to_user(dst, src, len, done);
}

umaccess_ntstatus umaccess_copy_from_mode_aligned(void* dst, const void* src, size_t len,
                                                  umaccess_processor_mode mode,
                                                  uint32_t alignment, size_t* done) {
  if (is_kernel(mode)) return umaccess_kernel_copy(dst, src, len), kernel_done(len, done);
  return umaccess_copy_from_user_aligned(dst, src, len, alignment, done);
}

umaccess_ntstatus umaccess_copy_to_mode_aligned(void* dst, const void* src, size_t len,
                                                umaccess_processor_mode mode,
                                                uint32_t alignment, size_t* done) {
  if (is_kernel(mode)) return umaccess_kernel_copy(dst, src, len), kernel_done(len, done);
  return umaccess_copy_to_user_aligned(dst, src, len, alignment, done);
}

umaccess_ntstatus umaccess_fill_mode_memory(void* dst, size_t len, unsigned char fill,
                                            umaccess_processor_mode mode, size_t* done) {
  if (is_kernel(mode)) return umaccess_kernel_fill(dst, len, fill), kernel_done(len, done);
  return fill_status(UMACCESS_OP_FILL_USER_MEMORY, dst, len, fill, done);
}

umaccess_ntstatus umaccess_set_mode_memory(void* dst, unsigned char fill, size_t len,
                                           umaccess_processor_mode mode, size_t* done) {
  if (is_kernel(mode)) return umaccess_kernel_fill(dst, len, fill), kernel_done(len, done);
  return fill_status(UMACCESS_OP_SET_USER_MEMORY, dst, len, fill, done);
}

umaccess_ntstatus umaccess_zero_mode_memory(void* dst, size_t len, umaccess_processor_mode mode,
                                            size_t* done) {
  if (is_kernel(mode)) return umaccess_kernel_fill(dst, len, 0), kernel_done(len, done);
  return fill_status(UMACCESS_OP_ZERO_USER_MEMORY, dst, len, 0, done);
}

}  // extern "C"
