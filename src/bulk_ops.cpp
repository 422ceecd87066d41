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
#include "user_range.h"

namespace umaccess::detail {
namespace {

constexpr Operation kOperations[] = {
    // indexed by umaccess_operation
    {"CopyFromUser", Side::User, Side::Kernel},
    {"CopyToUser", Side::Kernel, Side::User},
    {"CopyToUserFromUser", Side::User, Side::User},
    {"MoveToUserFromUser", Side::User, Side::User},
    {"CopyFromUserNonTemporal", Side::User, Side::Kernel},
    {"CopyToUserNonTemporal", Side::Kernel, Side::User},
    {"FillUserMemory", Side::User, Side::User},
    {"SetUserMemory", Side::User, Side::User},
    {"ZeroUserMemory", Side::User, Side::User},
};
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

bool overlaps(const void* dst, const void* src, std::size_t len) {
  const auto d = reinterpret_cast<std::uintptr_t>(dst), s = reinterpret_cast<std::uintptr_t>(src);
  return d - s < len || s - d < len;
}

bool is_kernel(umaccess_processor_mode mode) { return mode == UMACCESS_KERNEL_MODE; }

#define UMA_UNLIKELY(x) __builtin_expect(!!(x), 0)

}  // namespace
}  // namespace umaccess::detail

using namespace umaccess::detail;

extern "C" {

// ---- Raw entries ------------------------------------------------------------------------------
// Each entry is a range check and a tail call. A failed check jumps to the entry's cold twin
// (same arguments, so still a tail call, and the hot path needs no stack frame), which
// initializes the library on first use, checks again, and refuses or runs the kernel.

#define UMA_ALLOWED(p, n) range_contains(current_user_range(), reinterpret_cast<std::uintptr_t>(p), (n))
#define UMA_COLD __attribute__((noinline, cold))

static UMA_COLD size_t copy_from_user_slow(void* dst, const void* src, size_t len,
                                           umaccess_fault_record* rec) {
  if (!user_range_allows(src, len)) return refuse(rec, src, len, false);
  return copy_kernel_for(len)(dst, src, len, rec);
}

size_t umaccess_raw_copy_from_user(void* dst, const void* src, size_t len,
                                   umaccess_fault_record* rec) {
  if (UMA_UNLIKELY(!UMA_ALLOWED(src, len))) return copy_from_user_slow(dst, src, len, rec);
  return copy_kernel_for(len)(dst, src, len, rec);
}

static UMA_COLD size_t copy_to_user_slow(void* dst, const void* src, size_t len,
                                         umaccess_fault_record* rec) {
  if (!user_range_allows(dst, len)) return refuse(rec, dst, len, true);
  return copy_kernel_for(len)(dst, src, len, rec);
}

size_t umaccess_raw_copy_to_user(void* dst, const void* src, size_t len,
                                 umaccess_fault_record* rec) {
  if (UMA_UNLIKELY(!UMA_ALLOWED(dst, len))) return copy_to_user_slow(dst, src, len, rec);
  return copy_kernel_for(len)(dst, src, len, rec);
}

// Both sides checked; shared by the copy and the move between user buffers.
static UMA_COLD size_t user_to_user_refused(void* dst, const void* src, size_t len,
                                            umaccess_fault_record* rec) {
  if (!user_range_allows(src, len)) return refuse(rec, src, len, false);
  if (!user_range_allows(dst, len)) return refuse(rec, dst, len, true);
  return SIZE_MAX;  // both allowed after initialization
}

static UMA_COLD size_t copy_to_user_from_user_slow(void* dst, const void* src, size_t len,
                                                   umaccess_fault_record* rec) {
  const size_t refused = user_to_user_refused(dst, src, len, rec);
  if (refused != SIZE_MAX) return refused;
  return copy_kernel_for(len)(dst, src, len, rec);
}

size_t umaccess_raw_copy_to_user_from_user(void* dst, const void* src, size_t len,
                                           umaccess_fault_record* rec) {
  if (UMA_UNLIKELY(!UMA_ALLOWED(src, len) || !UMA_ALLOWED(dst, len)))
    return copy_to_user_from_user_slow(dst, src, len, rec);
  return copy_kernel_for(len)(dst, src, len, rec);
}

static uma_copy_kernel move_kernel_for(const void* dst, const void* src, size_t len) {
  return overlaps(dst, src, len) ? move_kernel() : copy_kernel_for(len);
}

static UMA_COLD size_t move_to_user_from_user_slow(void* dst, const void* src, size_t len,
                                                   umaccess_fault_record* rec) {
  const size_t refused = user_to_user_refused(dst, src, len, rec);
  if (refused != SIZE_MAX) return refused;
  return move_kernel_for(dst, src, len)(dst, src, len, rec);
}

size_t umaccess_raw_move_to_user_from_user(void* dst, const void* src, size_t len,
                                           umaccess_fault_record* rec) {
  if (UMA_UNLIKELY(!UMA_ALLOWED(src, len) || !UMA_ALLOWED(dst, len)))
    return move_to_user_from_user_slow(dst, src, len, rec);
  return move_kernel_for(dst, src, len)(dst, src, len, rec);
}

static UMA_COLD size_t copy_from_user_nontemporal_slow(void* dst, const void* src, size_t len,
                                                       umaccess_fault_record* rec) {
  if (!user_range_allows(src, len)) return refuse(rec, src, len, false);
  return copy_nt_kernel()(dst, src, len, rec);
}

size_t umaccess_raw_copy_from_user_nontemporal(void* dst, const void* src, size_t len,
                                               umaccess_fault_record* rec) {
  if (UMA_UNLIKELY(!UMA_ALLOWED(src, len)))
    return copy_from_user_nontemporal_slow(dst, src, len, rec);
  return copy_nt_kernel()(dst, src, len, rec);
}

static UMA_COLD size_t copy_to_user_nontemporal_slow(void* dst, const void* src, size_t len,
                                                     umaccess_fault_record* rec) {
  if (!user_range_allows(dst, len)) return refuse(rec, dst, len, true);
  return copy_nt_kernel()(dst, src, len, rec);
}

size_t umaccess_raw_copy_to_user_nontemporal(void* dst, const void* src, size_t len,
                                             umaccess_fault_record* rec) {
  if (UMA_UNLIKELY(!UMA_ALLOWED(dst, len)))
    return copy_to_user_nontemporal_slow(dst, src, len, rec);
  return copy_nt_kernel()(dst, src, len, rec);
}

static UMA_COLD size_t fill_user_memory_slow(void* dst, size_t len, unsigned char fill,
                                             umaccess_fault_record* rec) {
  if (!user_range_allows(dst, len)) return refuse(rec, dst, len, true);
  return fill_kernel_for(len)(dst, fill, len, rec);
}

size_t umaccess_raw_fill_user_memory(void* dst, size_t len, unsigned char fill,
                                     umaccess_fault_record* rec) {
  if (UMA_UNLIKELY(!UMA_ALLOWED(dst, len))) return fill_user_memory_slow(dst, len, fill, rec);
  return fill_kernel_for(len)(dst, fill, len, rec);
}

#undef UMA_ALLOWED
#undef UMA_COLD

umaccess_ntstatus umaccess_raw_status(umaccess_operation op, size_t len, size_t left,
                                      const umaccess_fault_record* rec, size_t* done) {
  const Operation& o = kOperations[op];
  if (left == 0) {
    report_done(done, len);
    return STATUS_SUCCESS;
  }
  if (FaultInfo::signo(rec->info) == 0)
    return fail_range(o, reinterpret_cast<const void*>(rec->address),
                      FaultInfo::is_write(rec->info), done);
  return fail_fault(o, len - left, *rec, done);
}

void umaccess_kernel_copy(void* dst, const void* src, size_t len) {
  copy_kernel_for(len)(dst, src, len, nullptr);
}

void umaccess_kernel_copy_nontemporal(void* dst, const void* src, size_t len) {
  copy_nt_kernel()(dst, src, len, nullptr);
}

void umaccess_kernel_fill(void* dst, size_t len, unsigned char fill) {
  fill_kernel_for(len)(dst, fill, len, nullptr);
}

// ---- Status functions -------------------------------------------------------------------------

#define UMA_STATUS_COPY(name, op)                                                            \
  umaccess_ntstatus umaccess_##name(void* dst, const void* src, size_t len, size_t* done) { \
    umaccess_fault_record rec;                                                              \
    const size_t left = umaccess_raw_##name(dst, src, len, &rec);                           \
    return umaccess_raw_status(op, len, left, &rec, done);                                  \
  }
UMA_STATUS_COPY(copy_from_user, UMACCESS_OP_COPY_FROM_USER)
UMA_STATUS_COPY(copy_to_user, UMACCESS_OP_COPY_TO_USER)
UMA_STATUS_COPY(copy_to_user_from_user, UMACCESS_OP_COPY_TO_USER_FROM_USER)
UMA_STATUS_COPY(move_to_user_from_user, UMACCESS_OP_MOVE_TO_USER_FROM_USER)
UMA_STATUS_COPY(copy_from_user_nontemporal, UMACCESS_OP_COPY_FROM_USER_NONTEMPORAL)
UMA_STATUS_COPY(copy_to_user_nontemporal, UMACCESS_OP_COPY_TO_USER_NONTEMPORAL)
#undef UMA_STATUS_COPY

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

static umaccess_ntstatus fill_status(umaccess_operation op, void* dst, size_t len,
                                     unsigned char fill, size_t* done) {
  umaccess_fault_record rec;
  const size_t left = umaccess_raw_fill_user_memory(dst, len, fill, &rec);
  return umaccess_raw_status(op, len, left, &rec, done);
}

umaccess_ntstatus umaccess_fill_user_memory(void* dst, size_t len, unsigned char fill,
                                            size_t* done) {
  return fill_status(UMACCESS_OP_FILL_USER_MEMORY, dst, len, fill, done);
}

umaccess_ntstatus umaccess_set_user_memory(void* dst, unsigned char fill, size_t len,
                                           size_t* done) {
  return fill_status(UMACCESS_OP_SET_USER_MEMORY, dst, len, fill, done);
}

umaccess_ntstatus umaccess_zero_user_memory(void* dst, size_t len, size_t* done) {
  return fill_status(UMACCESS_OP_ZERO_USER_MEMORY, dst, len, 0, done);
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
