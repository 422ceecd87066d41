// src/bulk_ops.cpp - the copy, move and fill operations of the C API.
//
// Shape of every user-mode operation: length 0 returns at once; the user side(s) are
// checked against the thread's user range (refused ranges touch nothing); the active
// kernel runs with a fault record; a non-zero return becomes a status (user side) or a
// bug check (kernel side). Kernel-mode operations run the same kernels with a NULL record,
// so a bad kernel pointer faults exactly as in any program.
#include "plan.h"
#include "failure.h"
#include "probe.h"
#include "user_range.h"

namespace umaccess::detail {
namespace {

#define UMA_LIKELY(x) __builtin_expect(!!(x), 1)

constexpr Operation kCopyFromUser{"CopyFromUser", Side::User, Side::Kernel};
constexpr Operation kCopyToUser{"CopyToUser", Side::Kernel, Side::User};
constexpr Operation kCopyToUserFromUser{"CopyToUserFromUser", Side::User, Side::User};
constexpr Operation kMoveToUserFromUser{"MoveToUserFromUser", Side::User, Side::User};
constexpr Operation kCopyFromUserNonTemporal{"CopyFromUserNonTemporal", Side::User, Side::Kernel};
constexpr Operation kCopyToUserNonTemporal{"CopyToUserNonTemporal", Side::Kernel, Side::User};
constexpr Operation kFillUserMemory{"FillUserMemory", Side::User, Side::User};
constexpr Operation kSetUserMemory{"SetUserMemory", Side::User, Side::User};
constexpr Operation kZeroUserMemory{"ZeroUserMemory", Side::User, Side::User};
constexpr Operation kCopyToUserAligned{"CopyToUserAligned", Side::Kernel, Side::User};
constexpr Operation kCopyFromUserAligned{"CopyFromUserAligned", Side::User, Side::Kernel};

// Which kernel family an operation uses; the plan then picks by length (plan.h).
enum class Kind { Copy, Move, NonTemporal };

bool overlaps(const void* dst, const void* src, std::size_t len) {
  const auto d = reinterpret_cast<std::uintptr_t>(dst), s = reinterpret_cast<std::uintptr_t>(src);
  return d - s < len || s - d < len;
}

uma_copy_kernel choose(Kind kind, const void* dst, const void* src, std::size_t len) {
  switch (kind) {
    case Kind::Copy: break;
    case Kind::NonTemporal: return copy_nt_kernel();
    case Kind::Move: if (overlaps(dst, src, len)) return move_kernel(); break;
  }
  return copy_kernel_for(len);
}

umaccess_ntstatus run_copy(const Operation& op, Kind kind, void* dst, const void* src,
                           std::size_t len, std::size_t* bytes_done) {
  if (len == 0) {
    report_done(bytes_done, 0);
    return STATUS_SUCCESS;
  }
  if (op.reads == Side::User && !user_range_allows(src, len))
    return fail_range(op, src, false, bytes_done);
  if (op.writes == Side::User && !user_range_allows(dst, len))
    return fail_range(op, dst, true, bytes_done);
  uma_fault_record rec;
  const std::size_t left = choose(kind, dst, src, len)(dst, src, len, &rec);
  if (UMA_LIKELY(left == 0)) {
    report_done(bytes_done, len);
    return STATUS_SUCCESS;
  }
  return fail_fault(op, len - left, rec, bytes_done);
}

umaccess_ntstatus run_fill(const Operation& op, void* dst, std::size_t len, unsigned char byte,
                           std::size_t* bytes_done) {
  if (len == 0) {
    report_done(bytes_done, 0);
    return STATUS_SUCCESS;
  }
  if (!user_range_allows(dst, len)) return fail_range(op, dst, true, bytes_done);
  uma_fault_record rec;
  const std::size_t left = fill_kernel_for(len)(dst, byte, len, &rec);
  if (UMA_LIKELY(left == 0)) {
    report_done(bytes_done, len);
    return STATUS_SUCCESS;
  }
  return fail_fault(op, len - left, rec, bytes_done);
}

// Kernel mode: no range check, no recovery (NULL record), nothing to report but success.
umaccess_ntstatus run_kernel_copy(Kind kind, void* dst, const void* src, std::size_t len,
                                  std::size_t* bytes_done) {
  if (len != 0) choose(kind, dst, src, len)(dst, src, len, nullptr);
  report_done(bytes_done, len);
  return STATUS_SUCCESS;
}

umaccess_ntstatus run_kernel_fill(void* dst, std::size_t len, unsigned char byte,
                                  std::size_t* bytes_done) {
  if (len != 0) fill_kernel_for(len)(dst, byte, len, nullptr);
  report_done(bytes_done, len);
  return STATUS_SUCCESS;
}

bool is_kernel(umaccess_processor_mode mode) { return mode == UMACCESS_KERNEL_MODE; }

}  // namespace
}  // namespace umaccess::detail

using namespace umaccess::detail;

extern "C" {

umaccess_ntstatus umaccess_copy_from_user(void* dst, const void* src, size_t len, size_t* done) {
  return run_copy(kCopyFromUser, Kind::Copy, dst, src, len, done);
}

umaccess_ntstatus umaccess_copy_to_user(void* dst, const void* src, size_t len, size_t* done) {
  return run_copy(kCopyToUser, Kind::Copy, dst, src, len, done);
}

umaccess_ntstatus umaccess_copy_to_user_from_user(void* dst, const void* src, size_t len,
                                                  size_t* done) {
  return run_copy(kCopyToUserFromUser, Kind::Copy, dst, src, len, done);
}

umaccess_ntstatus umaccess_move_to_user_from_user(void* dst, const void* src, size_t len,
                                                  size_t* done) {
  return run_copy(kMoveToUserFromUser, Kind::Move, dst, src, len, done);
}

umaccess_ntstatus umaccess_copy_from_user_nontemporal(void* dst, const void* src, size_t len,
                                                      size_t* done) {
  return run_copy(kCopyFromUserNonTemporal, Kind::NonTemporal, dst, src, len, done);
}

umaccess_ntstatus umaccess_copy_to_user_nontemporal(void* dst, const void* src, size_t len,
                                                    size_t* done) {
  return run_copy(kCopyToUserNonTemporal, Kind::NonTemporal, dst, src, len, done);
}

umaccess_ntstatus umaccess_copy_from_mode(void* dst, const void* src, size_t len,
                                          umaccess_processor_mode mode, size_t* done) {
  if (is_kernel(mode)) return run_kernel_copy(Kind::Copy, dst, src, len, done);
  return umaccess_copy_from_user(dst, src, len, done);
}

umaccess_ntstatus umaccess_copy_to_mode(void* dst, const void* src, size_t len,
                                        umaccess_processor_mode mode, size_t* done) {
  if (is_kernel(mode)) return run_kernel_copy(Kind::Copy, dst, src, len, done);
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
  if (is_kernel(mode)) return run_kernel_copy(Kind::NonTemporal, dst, src, len, done);
  return umaccess_copy_from_user_nontemporal(dst, src, len, done);
}

umaccess_ntstatus umaccess_copy_to_mode_nontemporal(void* dst, const void* src, size_t len,
                                                    umaccess_processor_mode mode, size_t* done) {
  if (is_kernel(mode)) return run_kernel_copy(Kind::NonTemporal, dst, src, len, done);
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
  if (is_kernel(mode)) return run_kernel_copy(Kind::Copy, dst, src, len, done);
  return umaccess_copy_from_user_aligned(dst, src, len, alignment, done);
}

umaccess_ntstatus umaccess_copy_to_mode_aligned(void* dst, const void* src, size_t len,
                                                umaccess_processor_mode mode,
                                                uint32_t alignment, size_t* done) {
  if (is_kernel(mode)) return run_kernel_copy(Kind::Copy, dst, src, len, done);
  return umaccess_copy_to_user_aligned(dst, src, len, alignment, done);
}

umaccess_ntstatus umaccess_fill_user_memory(void* dst, size_t len, unsigned char fill,
                                            size_t* done) {
  return run_fill(kFillUserMemory, dst, len, fill, done);
}

umaccess_ntstatus umaccess_set_user_memory(void* dst, unsigned char fill, size_t len,
                                           size_t* done) {
  return run_fill(kSetUserMemory, dst, len, fill, done);
}

umaccess_ntstatus umaccess_zero_user_memory(void* dst, size_t len, size_t* done) {
  return run_fill(kZeroUserMemory, dst, len, 0, done);
}

umaccess_ntstatus umaccess_fill_mode_memory(void* dst, size_t len, unsigned char fill,
                                            umaccess_processor_mode mode, size_t* done) {
  if (is_kernel(mode)) return run_kernel_fill(dst, len, fill, done);
  return run_fill(kFillUserMemory, dst, len, fill, done);
}

umaccess_ntstatus umaccess_set_mode_memory(void* dst, unsigned char fill, size_t len,
                                           umaccess_processor_mode mode, size_t* done) {
  return umaccess_fill_mode_memory(dst, len, fill, mode, done);
}

umaccess_ntstatus umaccess_zero_mode_memory(void* dst, size_t len, umaccess_processor_mode mode,
                                            size_t* done) {
  return umaccess_fill_mode_memory(dst, len, 0, mode, done);
}

}  // extern "C"
