// SPDX-License-Identifier: Apache-2.0
// tests/fuzz/ops_copy.cpp - the fuzz_ops model of the copies: from user memory into the
// kernel-side buffer, from it to user memory (with the self-test's simulated off-by-one),
// and between user buffers, moves overlapping both ways included (the backward move's
// documented exception: 0 bytes on a fault). See fuzz_ops.cpp for what is checked.
#include "ops_model.h"
#include "ops_table.h"

namespace umafuzz::ops {

// ---- Copies from user memory into the kernel-side buffer ----------------------------------------

void copy_in(State& s, const Record& r, unsigned variant) {
  const std::uintptr_t src = user_position(s, r.a);
  std::uint8_t* const kdst = kernel_position(s, r.b);
  const std::size_t len = decode_length(s, r.len, src);
  const bool use_cxx = (r.flags & 1) != 0 || variant == kReadStructFromUser ||
                       variant == kReadStructFromMode;
  const bool rtl = use_cxx && (r.flags & 2) != 0 &&
                   (variant == kCopyFromUser || variant == kCopyFromUserNonTemporal);
  KPROCESSOR_MODE mode = decode_mode(s, r.flags);
  const std::uint32_t alignment = decode_alignment(r.flags);
  const bool has_mode = variant == kCopyFromMode || variant == kCopyFromModeNonTemporal ||
                        variant == kCopyFromModeAligned || variant == kReadStructFromMode;
  if (!has_mode) mode = UserMode;
  const Range& range = s.range;
  const std::size_t readable = s.arena.first_unreadable(src, len);
  if (mode_is_kernel(mode) && readable < len) mode = UserMode;  // kernel mode would crash
  const bool kernel = mode_is_kernel(mode);
  const bool aligned = variant == kCopyFromUserAligned || variant == kCopyFromModeAligned;
  const bool structure = variant == kReadStructFromUser || variant == kReadStructFromMode;
  const bool one_access = structure && (len == 1 || len == 2 || len == 4 || len == 8);

  static const char* const kNames[] = {
      "CopyFromUser", "CopyFromUserNonTemporal", "CopyFromUser", "CopyFromUserNonTemporal",
      "CopyFromUser", "CopyFromUser", "ReadStructFromUser", "ReadStructFromMode",
      "CopyFromUser"};
  // The plain variants run the table's copies from user to kernel (ops_table.h).
  const bool plain = variant == kCopyFromUser || variant == kCopyFromUserNonTemporal;
  const TableCopy* const table = plain ? &table_copy(kNames[variant], rtl ? 0 : r.flags >> 4)
                                       : nullptr;
  const char* name = plain ? table->name : kNames[variant];
  const char* check_name = aligned ? "CopyFromUserAligned" : name;

  Expected want;
  std::size_t copied = 0;
  if (kernel || len == 0) {
    copied = len;
  } else if (aligned && !is_power_of_two(alignment)) {
    want = Expected::refused(STATUS_INVALID_PARAMETER, src, false, check_name);
  } else if (aligned && (src & (alignment - 1)) != 0) {
    want = Expected::refused(STATUS_DATATYPE_MISALIGNMENT, src, false, check_name);
  } else if (!range.allows(src, len)) {
    want = Expected::refused(STATUS_ACCESS_VIOLATION, range.first_outside(src), false, check_name);
  } else if (readable < len) {
    copied = one_access ? 0 : readable;  // one access: all or nothing
    want = fault_at(s, src, readable, false, copied, name);
  } else {
    copied = len;
  }
  set_context("%s%s%s(kernel+%#zx, %#zx, %zu%s) variant %u, mode %d, alignment %u",
              use_cxx ? "" : "C ", rtl ? "Rtl " : "", name, koffset(s, kdst), src, len,
              aligned ? ", aligned" : "", variant, mode, alignment);
  note_feature(s, 1, variant, len, want, src ^ reinterpret_cast<std::uintptr_t>(kdst));

  void* const sp = reinterpret_cast<void*>(src);
  Outcome got;
  if (use_cxx) {
    got = run_cxx([&] {
      switch (variant) {
        case kCopyFromUser:
        case kCopyFromUserNonTemporal:
          if (!rtl) table->cxx(kdst, sp, len);
          else if (variant == kCopyFromUser) RtlCopyFromUser(kdst, sp, len);
          else RtlCopyFromUserNonTemporal(kdst, sp, len);
          break;
        case kCopyFromMode: CopyFromMode(kdst, sp, len, mode); break;
        case kCopyFromModeNonTemporal: CopyFromModeNonTemporal(kdst, sp, len, mode); break;
        case kCopyFromUserAligned: CopyFromUserAligned(kdst, sp, len, alignment); break;
        case kCopyFromModeAligned: CopyFromModeAligned(kdst, sp, len, mode, alignment); break;
        case kReadStructFromUser: ReadStructFromUserHelper(kdst, sp, len); break;
        case kReadStructFromMode: ReadStructFromModeHelper(kdst, sp, len, mode); break;
        default: CopyFromUserToMode(kdst, sp, len, KernelMode); break;
      }
    });
  } else {
    poison_last_failure();
    std::size_t done = 0x5eed;
    umaccess_ntstatus st;
    switch (variant) {
      case kCopyFromUser:
      case kCopyFromUserNonTemporal: st = table->c(kdst, sp, len, &done); break;
      case kCopyFromMode: st = umaccess_copy_from_mode(kdst, sp, len, mode, &done); break;
      case kCopyFromModeNonTemporal:
        st = umaccess_copy_from_mode_nontemporal(kdst, sp, len, mode, &done);
        break;
      case kCopyFromUserAligned:
        st = umaccess_copy_from_user_aligned(kdst, sp, len, alignment, &done);
        break;
      case kCopyFromModeAligned:
        st = umaccess_copy_from_mode_aligned(kdst, sp, len, mode, alignment, &done);
        break;
      default: st = umaccess_copy_from_user_to_mode(kdst, sp, len, KernelMode, &done); break;
    }
    if (st == 0 && done != len) mismatch("succeeded with %zu bytes done of %zu", done, len);
    got = c_outcome(st, done);
  }
  check(want, got);
  if (copied != 0) {
    std::memcpy(s.kmodel.data() + koffset(s, kdst), s.arena.model_at(src), copied);
    kernel_written(s, kdst, copied);
  }
  verify_kernel(s, kdst, len);
}

// ---- Copies from the kernel-side buffer to user memory ------------------------------------------

void copy_out(State& s, const Record& r, unsigned variant) {
  const std::uintptr_t dst = user_position(s, r.a);
  std::uint8_t* const ksrc = kernel_position(s, r.b);
  const std::size_t len = decode_length(s, r.len, dst);
  const bool use_cxx = (r.flags & 1) != 0 || variant == kWriteStructToUser ||
                       variant == kWriteStructToMode;
  const bool rtl = use_cxx && (r.flags & 2) != 0 &&
                   (variant == kCopyToUser || variant == kCopyToUserNonTemporal);
  KPROCESSOR_MODE mode = decode_mode(s, r.flags);
  const std::uint32_t alignment = decode_alignment(r.flags);
  const bool has_mode = variant == kCopyToMode || variant == kCopyToModeNonTemporal ||
                        variant == kCopyToModeAligned || variant == kWriteStructToMode;
  if (!has_mode) mode = UserMode;
  const Range& range = s.range;
  const std::size_t writable = s.arena.first_unwritable(dst, len);
  if (mode_is_kernel(mode) && writable < len) mode = UserMode;
  const bool kernel = mode_is_kernel(mode);
  const bool aligned = variant == kCopyToUserAligned || variant == kCopyToModeAligned;
  const bool structure = variant == kWriteStructToUser || variant == kWriteStructToMode;
  const bool one_access = structure && (len == 1 || len == 2 || len == 4 || len == 8);

  static const char* const kNames[] = {
      "CopyToUser", "CopyToUserNonTemporal", "CopyToUser", "CopyToUserNonTemporal",
      "CopyToUser", "CopyToUser", "WriteStructToUser", "WriteStructToMode"};
  // The plain variants run the table's copies from kernel to user (ops_table.h).
  const bool plain = variant == kCopyToUser || variant == kCopyToUserNonTemporal;
  const TableCopy* const table = plain ? &table_copy(kNames[variant], rtl ? 0 : r.flags >> 4)
                                       : nullptr;
  const char* name = plain ? table->name : kNames[variant];
  const char* check_name = aligned ? "CopyToUserAligned" : name;

  Expected want;
  std::size_t copied = 0;
  if (kernel || len == 0) {
    copied = len;
  } else if (aligned && !is_power_of_two(alignment)) {
    want = Expected::refused(STATUS_INVALID_PARAMETER, dst, true, check_name);
  } else if (aligned && (dst & (alignment - 1)) != 0) {
    want = Expected::refused(STATUS_DATATYPE_MISALIGNMENT, dst, true, check_name);
  } else if (!range.allows(dst, len)) {
    want = Expected::refused(STATUS_ACCESS_VIOLATION, range.first_outside(dst), true, check_name);
  } else if (writable < len) {
    copied = one_access ? 0 : writable;
    want = fault_at(s, dst, writable, true, copied, name);
  } else {
    copied = len;
  }
  set_context("%s%s%s(%#zx, kernel+%#zx, %zu%s) variant %u, mode %d, alignment %u",
              use_cxx ? "" : "C ", rtl ? "Rtl " : "", name, dst, koffset(s, ksrc), len,
              aligned ? ", aligned" : "", variant, mode, alignment);
  note_feature(s, 2, variant, len, want, dst ^ reinterpret_cast<std::uintptr_t>(ksrc));

  void* const dp = reinterpret_cast<void*>(dst);
  Outcome got;
  if (use_cxx) {
    got = run_cxx([&] {
      switch (variant) {
        case kCopyToUser:
        case kCopyToUserNonTemporal:
          if (!rtl) table->cxx(dp, ksrc, len);
          else if (variant == kCopyToUser) RtlCopyToUser(dp, ksrc, len);
          else RtlCopyToUserNonTemporal(dp, ksrc, len);
          break;
        case kCopyToMode: CopyToMode(dp, ksrc, len, mode); break;
        case kCopyToModeNonTemporal: CopyToModeNonTemporal(dp, ksrc, len, mode); break;
        case kCopyToUserAligned: CopyToUserAligned(dp, ksrc, len, alignment); break;
        case kCopyToModeAligned: CopyToModeAligned(dp, ksrc, len, mode, alignment); break;
        case kWriteStructToUser: WriteStructToUserHelper(dp, ksrc, len); break;
        default: WriteStructToModeHelper(dp, ksrc, len, mode); break;
      }
    });
  } else {
    poison_last_failure();
    std::size_t done = 0x5eed;
    umaccess_ntstatus st;
    switch (variant) {
      case kCopyToUser:
      case kCopyToUserNonTemporal: st = table->c(dp, ksrc, len, &done); break;
      case kCopyToMode: st = umaccess_copy_to_mode(dp, ksrc, len, mode, &done); break;
      case kCopyToModeNonTemporal:
        st = umaccess_copy_to_mode_nontemporal(dp, ksrc, len, mode, &done);
        break;
      case kCopyToUserAligned:
        st = umaccess_copy_to_user_aligned(dp, ksrc, len, alignment, &done);
        break;
      default: st = umaccess_copy_to_mode_aligned(dp, ksrc, len, mode, alignment, &done); break;
    }
    if (st == 0 && done != len) mismatch("succeeded with %zu bytes done of %zu", done, len);
    got = c_outcome(st, done);
  }
  // Self-test: a simulated off-by-one in a fault tail (the last byte reported done was not
  // written). The model must catch it.
  if (injection() == Inject::Mismatch && !structure && got.status == STATUS_ACCESS_VIOLATION &&
      got.bytes >= 17 && got.bytes == copied)
    *reinterpret_cast<volatile std::uint8_t*>(dst + copied - 1) =
        s.arena.model_byte(dst + copied - 1);
  check(want, got);
  if (copied != 0) {
    std::memcpy(s.arena.model_at(dst), s.kmodel.data() + koffset(s, ksrc), copied);
    s.arena.mark_dirty(dst, copied);
  }
  s.arena.verify();
  verify_kernel(s, ksrc, len);
}

// ---- User to user: copies and moves -------------------------------------------------------------

namespace {

// After a faulted backward move: each destination byte holds its old value or its moved one,
// and the moved ones form the destination's upper part (docs/fault-model.md, "Exact
// progress"). The model then takes what is there.
UMAFUZZ_BULK void check_backward_move_destination(State& s, std::uintptr_t dst, std::uintptr_t src,
                                                  std::size_t len, const std::uint8_t* before_dst,
                                                  const std::uint8_t* before_src) {
  bool moved_seen = false;
  for (std::size_t k = 0; k < len; ++k) {
    const std::uintptr_t a = dst + k;
    // (A lazy page the move did not open was not written.)
    if (!s.arena.writable(a) || !s.arena.accessible_now(a)) continue;
    const std::uint8_t now = *reinterpret_cast<const std::uint8_t*>(a);
    const bool is_old = now == before_dst[k];
    const bool is_moved = s.arena.readable(src + k) && now == before_src[k];
    if (!is_old && !is_moved)
      mismatch("backward move: destination byte %zu is %#04x, neither its old value %#04x nor "
               "the moved %#04x", k, now, before_dst[k], before_src[k]);
    if (is_old && !is_moved && moved_seen)
      mismatch("backward move: destination byte %zu still holds its old value above a moved "
               "byte (the moved bytes must be the destination's upper part)", k);
    if (is_moved && !is_old) moved_seen = true;
    *s.arena.model_at(a) = now;
  }
  s.arena.mark_dirty(dst, len);
}

// The model of the writable bytes of [dst, dst + len) becomes what is there.
UMAFUZZ_BULK void accept_destination(State& s, std::uintptr_t dst, std::size_t len) {
  for (std::size_t k = 0; k < len; ++k)
    if (s.arena.writable(dst + k) && s.arena.accessible_now(dst + k))
      *s.arena.model_at(dst + k) = *reinterpret_cast<const std::uint8_t*>(dst + k);
  s.arena.mark_dirty(dst, len);
}
}  // namespace

void user_to_user(State& s, const Record& r, unsigned variant) {
  const std::uintptr_t src = user_position(s, r.a);
  const std::uintptr_t dst = variant == kMoveNear
                                 ? src + static_cast<std::int8_t>(r.arg)  // overlap, both ways
                                 : user_position(s, r.b);
  const std::size_t len = decode_length(s, r.len, src);
  const bool use_cxx = (r.flags & 1) != 0;
  const bool rtl = use_cxx && (r.flags & 2) != 0 && variant != kCopyFromUserToMode;
  KPROCESSOR_MODE mode = decode_mode(s, r.flags);
  if (variant == kCopyFromUserToMode && mode_is_kernel(mode)) {
    copy_in(s, r, kCopyFromUserToKernelMode);  // the destination is then kernel-side
    return;
  }
  const bool is_move = variant == kMove || variant == kMoveNear;
  // Every variant left here runs the table's user-to-user copies or moves (ops_table.h).
  // (CopyFromUserToMode in a user mode is CopyToUserFromUser itself.)
  const TableCopy& table = table_copy(is_move ? "MoveToUserFromUser" : "CopyToUserFromUser",
                                      rtl || variant == kCopyFromUserToMode ? 0 : r.flags >> 4);
  const char* name = table.name;
  const Range& range = s.range;
  const std::uintptr_t distance = dst - src;  // unsigned: dst above src if < len
  const bool overlap = len != 0 && (dst - src < len || src - dst < len);
  const bool backward = is_move && distance != 0 && distance < len;

  Expected want;
  std::size_t copied = 0;
  const std::size_t readable = s.arena.first_unreadable(src, len);
  const std::size_t writable = s.arena.first_unwritable(dst, len);
  if (len == 0) {
  } else if (!range.allows(src, len)) {
    want = Expected::refused(STATUS_ACCESS_VIOLATION, range.first_outside(src), false, name);
  } else if (!range.allows(dst, len)) {
    want = Expected::refused(STATUS_ACCESS_VIOLATION, range.first_outside(dst), true, name);
  } else if (readable < len || writable < len) {
    // The first byte, in copy order, that cannot be read or written; a read comes first.
    want = readable <= writable ? fault_at(s, src, readable, false, readable, name)
                                : fault_at(s, dst, writable, true, writable, name);
    copied = std::min(readable, writable);
    if (backward) {  // runs from the end: nothing final, the address is some inaccessible byte
      want.bytes = 0;
      want.check_address = false;
    }
  } else {
    copied = len;
  }
  set_context("%s%s%s(%#zx, %#zx, %zu) variant %u, mode %d%s%s", use_cxx ? "" : "C ",
              rtl ? "Rtl " : "", name, dst, src, len, variant, mode, overlap ? ", overlapping" : "",
              backward ? ", backward" : "");
  note_feature(s, 3, variant * 4 + overlap * 2 + backward, len, want, dst ^ src);

  // The source and destination before the call (the model's bytes; inaccessible ones unused).
  std::uint8_t* const before_src = s.scratch_src.data();
  std::uint8_t* const before_dst = s.scratch_dst.data();
  s.arena.snapshot(src, len, before_src);
  s.arena.snapshot(dst, len, before_dst);

  void* const dp = reinterpret_cast<void*>(dst);
  void* const sp = reinterpret_cast<void*>(src);
  Outcome got;
  if (use_cxx) {
    got = run_cxx([&] {
      if (variant == kCopyFromUserToMode) CopyFromUserToMode(dp, sp, len, mode);
      else if (!rtl) table.cxx(dp, sp, len);
      else if (is_move) RtlMoveToUserFromUser(dp, sp, len);
      else RtlCopyToUserFromUser(dp, sp, len);
    });
  } else {
    poison_last_failure();
    std::size_t done = 0x5eed;
    umaccess_ntstatus st;
    if (variant == kCopyFromUserToMode)
      st = umaccess_copy_from_user_to_mode(dp, sp, len, mode, &done);
    else
      st = table.c(dp, sp, len, &done);
    if (st == 0 && done != len) mismatch("succeeded with %zu bytes done of %zu", done, len);
    got = c_outcome(st, done);
  }
  if (backward && want.signal != 0 && got.status != 0 && got.kernel != nullptr) {
    // The fault may be any inaccessible byte of either buffer, in its direction; the status
    // and signal are those of the page it is in.
    const std::uintptr_t a = got.address;
    const bool in_dst = a - dst < len && !s.arena.writable(a);
    const bool in_src = a - src < len && !s.arena.readable(a);
    if (got.is_write ? !in_dst : !in_src)
      mismatch("backward move faulted at %#zx (%s), which is not an inaccessible byte of the %s",
               a, got.is_write ? "write" : "read", got.is_write ? "destination" : "source");
    const Expected at = s.arena.fault(a, got.is_write, 0, name);
    want.status = at.status;
    want.is_write = at.is_write;
    want.signal = at.signal;
    want.signal_code = at.signal_code;
  }
  check(want, got);

  // The model of the destination.
  if (backward && want.signal != 0) {
    check_backward_move_destination(s, dst, src, len, before_dst, before_src);
  } else if (overlap && !is_move) {
    // CopyToUserFromUser on overlapping buffers: the contents are unspecified (Windows says
    // they must not overlap); only "nothing outside the destination" is checked.
    accept_destination(s, dst, len);
  } else if (copied != 0) {
    std::memcpy(s.arena.model_at(dst), before_src, copied);
    s.arena.mark_dirty(dst, copied);
  }
  s.arena.verify();
}

}  // namespace umafuzz::ops
