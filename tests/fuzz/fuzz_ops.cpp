// tests/fuzz/fuzz_ops.cpp - libFuzzer target: every copy, move, fill, scalar, UNICODE_STRING,
// string-length, structure and interlocked operation, through the C status API and the C++
// (Windows-named, exception raising) API, under every kernel configuration this CPU runs,
// over an arena whose pages are read-write, read-only, PROT_NONE, unmapped, SIGBUS (an empty
// file mapped) or made accessible on demand by a fault resolver, as the input says, against
// a reference model that predicts from the page map alone (docs/fault-model.md,
// docs/api.md "Probing", "The user address range", and its operation tables):
//
//   - success, or the exact status (STATUS_ACCESS_VIOLATION, STATUS_IN_PAGE_ERROR,
//     STATUS_DATATYPE_MISALIGNMENT, STATUS_INVALID_PARAMETER), the address (the first
//     inaccessible byte, the first byte outside the user range, or the misaligned pointer),
//     the direction, the bytes done, the signal and si_code (C API), the operation's name and
//     whether a kernel is named;
//   - the destination: exactly the bytes done hold their final value, the rest is unmodified,
//     and nothing else in the arena or the kernel-side buffer changed (every read-write page
//     and the kernel buffer are compared with the model);
//   - the documented exception: a MoveToUserFromUser whose destination overlaps above its
//     source reports 0 bytes on a fault, and its destination may hold moved bytes (checked:
//     each byte old or moved, the moved ones a suffix; the address an inaccessible byte of
//     either buffer, in the reported direction).
//
// Kernel-side buffers are always valid (a fault there is a bug check: the callback turns one
// into a reported mismatch). KernelMode calls are made only where the model says nothing
// faults, since kernel mode neither checks nor recovers.
//
// Input: [config 2][range mode][range 4][content][zeros][page map 12][records of 12 bytes...]
// Record: [operation][flags][position A 3][position B 3][length 3][argument].
#include <stdexcept>

#include "harness.h"

namespace umafuzz {
namespace {

constexpr int kMaxRecords = 16;
constexpr std::size_t kKernelMargin = 4096;  // compared on every check: catches stray writes

struct State {
  Arena arena;
  KernelConfigs configs;
  Range default_range{};
  Range range{};
  unsigned config_key = 0;
  // The kernel-side buffer: always valid memory, compared with its model after each op.
  std::uint8_t* kbuf = nullptr;
  std::size_t kbuf_size = 0;
  std::vector<std::uint8_t> kmodel, kpristine;
  std::size_t kdirty_lo = SIZE_MAX, kdirty_hi = 0;
  // Scratch for snapshots (preallocated: no allocation while an input runs).
  std::vector<std::uint8_t> scratch_src, scratch_dst;
  bool injected_segv = false;
};

State* g_state = nullptr;

void describe_state() {
  if (g_state == nullptr) return;
  g_state->arena.describe();
  std::fprintf(stderr, "  kernel configuration %s, user range [%#zx, %#zx), kernel buffer %p\n",
               g_state->configs.label(), g_state->range.begin, g_state->range.end,
               static_cast<void*>(g_state->kbuf));
}

// ---- Decoding -----------------------------------------------------------------------------------

struct Record {
  std::uint8_t op, flags;
  std::uint32_t a, b, len;
  std::uint8_t arg;
};

// A user position: a page of the arena (or a guard page next to it) and an offset in it.
std::uintptr_t user_position(const State& s, std::uint32_t v) {
  const std::size_t ps = s.arena.page_size();
  const auto page = static_cast<std::ptrdiff_t>((v & 0xff) % (Arena::kPages + 2)) - 1;
  return s.arena.begin_address() + page * static_cast<std::ptrdiff_t>(ps) + (v >> 8) % ps;
}

// A kernel-side pointer: anywhere in the first 64 bytes after the margin (misalignments).
std::uint8_t* kernel_position(const State& s, std::uint32_t v) {
  return s.kbuf + kKernelMargin + ((v >> 8) & 63);
}

// Short lengths (every head class), medium, anything up to the arena, or "to the end of the
// page of `p`, plus whole pages, plus a few bytes either side" (tail faults at exact bytes).
std::size_t decode_length(const State& s, std::uint32_t v, std::uintptr_t p) {
  const std::uint32_t n = (v >> 8) | (v & 0x3f) << 16;
  const std::size_t max = s.arena.max_length();
  const std::size_t ps = s.arena.page_size();
  switch ((v & 0xff) >> 6) {
    case 0: return n % 257;
    case 1: return n % 8193;
    case 2: return n % (max + 1);
    default: {
      const auto len = static_cast<std::int64_t>(ps - p % ps + ((n >> 8) % 8) * ps) +
                       static_cast<std::int8_t>(n & 0xff);
      return static_cast<std::size_t>(std::clamp<std::int64_t>(len, 0, max));
    }
  }
}

// Any mode but KernelMode takes the user path (as in the WDK's usermode_accessors.h; docs/api.md):
// try several. KernelMode has no
// recovery and so no fault resolver: not while lazy pages exist (the callers further demote
// it where the model says it would fault).
KPROCESSOR_MODE decode_mode(const State& s, std::uint8_t flags) {
  static const KPROCESSOR_MODE kModes[] = {UserMode, static_cast<KPROCESSOR_MODE>(2),
                                           static_cast<KPROCESSOR_MODE>(-1), KernelMode};
  const KPROCESSOR_MODE mode = kModes[(flags >> 2) & 3];
  return mode == KernelMode && s.arena.has_lazy_pages() ? UserMode : mode;
}

std::uint32_t decode_alignment(std::uint8_t flags) {
  static const std::uint32_t kAlignments[] = {1, 2, 4, 8, 16, 32, 64, 128,
                                              4096, 0, 3, 6, 12, 0x80000000u, 24, 2};
  return kAlignments[flags >> 4];
}

bool is_power_of_two(std::uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

// ---- Model helpers ------------------------------------------------------------------------------

std::size_t koffset(const State& s, const std::uint8_t* k) {
  return static_cast<std::size_t>(k - s.kbuf);
}

void kernel_written(State& s, const std::uint8_t* k, std::size_t n) {
  const std::size_t off = koffset(s, k);
  s.kdirty_lo = std::min(s.kdirty_lo, off);
  s.kdirty_hi = std::max(s.kdirty_hi, off + n);
}

// The kernel buffer around [k, k + n) (and everything written this input) equals its model.
UMAFUZZ_BULK void verify_kernel(const State& s, const std::uint8_t* k, std::size_t n) {
  const std::size_t off = koffset(s, k);
  const std::size_t lo = std::min(off > kKernelMargin ? off - kKernelMargin : 0, s.kdirty_lo);
  const std::size_t hi = std::min(std::max(off + n + kKernelMargin, s.kdirty_hi), s.kbuf_size);
  if (std::memcmp(s.kbuf + lo, s.kmodel.data() + lo, hi - lo) == 0) return;
  std::size_t i = lo;
  while (s.kbuf[i] == s.kmodel[i]) ++i;
  mismatch("kernel buffer byte at +%#zx (the operation's buffer is at +%#zx) is %#04x, the "
           "model says %#04x", i, off, s.kbuf[i], s.kmodel[i]);
}

// Where an operation's fault fell, for the extra coverage.
unsigned fault_class(const Expected& e, std::size_t len) {
  if (e.status == 0) return 0;
  if (e.signal == 0) return 1;
  if (e.bytes == 0) return 2;
  if (e.bytes < 64) return 3;
  if (len - e.bytes <= 64) return 4;
  return 5;
}

void note_feature(const State& s, unsigned family, unsigned variant, std::size_t len,
                  const Expected& e, std::uintptr_t p) {
  const unsigned fault = fault_class(e, len);
  std::uint64_t h = family * 64 + variant;
  h = h * 1024 + (s.config_key >> 8);  // the variant and preset, not the pinned thresholds
  h = h * 32 + log2_class(len);
  feature(h * 8 + fault);
  feature(((family * 64 + variant) * 8 + fault) * 64 + e.signal_code * 8 + log2_class(p & 63));
}

// The model's failure for an access of [p, p + n) that stopped at index i (i < n).
Expected fault_at(const State& s, std::uintptr_t p, std::size_t i, bool write, std::size_t done,
                  const char* name) {
  return s.arena.fault(p + i, write, done, name);
}

bool mode_is_kernel(KPROCESSOR_MODE m) { return m == KernelMode; }

// ---- Copies from user memory into the kernel-side buffer ----------------------------------------

enum CopyIn {
  kCopyFromUser, kCopyFromUserNonTemporal, kCopyFromMode, kCopyFromModeNonTemporal,
  kCopyFromUserAligned, kCopyFromModeAligned, kReadStructFromUser, kReadStructFromMode,
  kCopyFromUserToKernelMode, kCopyInVariants
};

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
  const char* name = kNames[variant];
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
          if (rtl) RtlCopyFromUser(kdst, sp, len); else CopyFromUser(kdst, sp, len);
          break;
        case kCopyFromUserNonTemporal:
          if (rtl) RtlCopyFromUserNonTemporal(kdst, sp, len);
          else CopyFromUserNonTemporal(kdst, sp, len);
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
      case kCopyFromUser: st = umaccess_copy_from_user(kdst, sp, len, &done); break;
      case kCopyFromUserNonTemporal:
        st = umaccess_copy_from_user_nontemporal(kdst, sp, len, &done);
        break;
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

enum CopyOut {
  kCopyToUser, kCopyToUserNonTemporal, kCopyToMode, kCopyToModeNonTemporal, kCopyToUserAligned,
  kCopyToModeAligned, kWriteStructToUser, kWriteStructToMode, kCopyOutVariants
};

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
  const char* name = kNames[variant];
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
        case kCopyToUser: if (rtl) RtlCopyToUser(dp, ksrc, len); else CopyToUser(dp, ksrc, len);
          break;
        case kCopyToUserNonTemporal:
          if (rtl) RtlCopyToUserNonTemporal(dp, ksrc, len);
          else CopyToUserNonTemporal(dp, ksrc, len);
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
      case kCopyToUser: st = umaccess_copy_to_user(dp, ksrc, len, &done); break;
      case kCopyToUserNonTemporal:
        st = umaccess_copy_to_user_nontemporal(dp, ksrc, len, &done);
        break;
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

// After a faulted backward move: each destination byte holds its old value or its moved one,
// and the moved ones form the destination's upper part (docs/fault-model.md, "Exact progress"). The model
// then takes what is there.
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

enum UserToUser { kCopyToUserFromUser, kCopyFromUserToMode, kMove, kMoveNear, kUserToUserVariants };

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
  const char* name = is_move ? "MoveToUserFromUser" : "CopyToUserFromUser";
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
      switch (variant) {
        case kCopyToUserFromUser:
          if (rtl) RtlCopyToUserFromUser(dp, sp, len); else CopyToUserFromUser(dp, sp, len);
          break;
        case kCopyFromUserToMode: CopyFromUserToMode(dp, sp, len, mode); break;
        default:
          if (rtl) RtlMoveToUserFromUser(dp, sp, len); else MoveToUserFromUser(dp, sp, len);
          break;
      }
    });
  } else {
    poison_last_failure();
    std::size_t done = 0x5eed;
    umaccess_ntstatus st;
    switch (variant) {
      case kCopyToUserFromUser: st = umaccess_copy_to_user_from_user(dp, sp, len, &done); break;
      case kCopyFromUserToMode:
        st = umaccess_copy_from_user_to_mode(dp, sp, len, mode, &done);
        break;
      default: st = umaccess_move_to_user_from_user(dp, sp, len, &done); break;
    }
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

// ---- Fills --------------------------------------------------------------------------------------

enum Fill {
  kFillUserMemory, kSetUserMemory, kZeroUserMemory, kFillModeMemory, kSetModeMemory,
  kZeroModeMemory, kRtlSetUserMemory, kFillVariants
};

void fill(State& s, const Record& r, unsigned variant) {
  const std::uintptr_t dst = user_position(s, r.a);
  const std::size_t len = decode_length(s, r.len, dst);
  const bool use_cxx = (r.flags & 1) != 0 || variant == kRtlSetUserMemory;
  const bool zero = variant == kZeroUserMemory || variant == kZeroModeMemory;
  const std::uint8_t value = zero ? 0 : r.arg;
  KPROCESSOR_MODE mode = variant >= kFillModeMemory && variant <= kZeroModeMemory
                             ? decode_mode(s, r.flags) : UserMode;
  const std::size_t writable = s.arena.first_unwritable(dst, len);
  if (mode_is_kernel(mode) && writable < len) mode = UserMode;
  const bool kernel = mode_is_kernel(mode);
  static const char* const kNames[] = {"FillUserMemory", "SetUserMemory", "ZeroUserMemory",
                                       "FillUserMemory", "SetUserMemory", "ZeroUserMemory",
                                       "SetUserMemory"};
  const char* name = kNames[variant];
  const Range& range = s.range;

  Expected want;
  std::size_t filled = 0;
  if (kernel || len == 0) {
    filled = len;
  } else if (!range.allows(dst, len)) {
    want = Expected::refused(STATUS_ACCESS_VIOLATION, range.first_outside(dst), true, name);
  } else if (writable < len) {
    filled = writable;
    want = fault_at(s, dst, writable, true, writable, name);
  } else {
    filled = len;
  }
  set_context("%s%s(%#zx, %zu, %#04x) variant %u, mode %d", use_cxx ? "" : "C ", name, dst, len,
              value, variant, mode);
  note_feature(s, 4, variant, len, want, dst);

  void* const dp = reinterpret_cast<void*>(dst);
  Outcome got;
  if (use_cxx) {
    got = run_cxx([&] {
      switch (variant) {
        case kFillUserMemory: FillUserMemory(dp, len, value); break;
        case kSetUserMemory: SetUserMemory(dp, value, len); break;
        case kZeroUserMemory: ZeroUserMemory(dp, len); break;
        case kFillModeMemory: FillModeMemory(dp, len, value, mode); break;
        case kSetModeMemory: SetModeMemory(dp, value, len, mode); break;
        case kZeroModeMemory: ZeroModeMemory(dp, len, mode); break;
        default: RtlSetUserMemory(dp, value, len); break;
      }
    });
  } else {
    poison_last_failure();
    std::size_t done = 0x5eed;
    umaccess_ntstatus st;
    switch (variant) {
      case kFillUserMemory: st = umaccess_fill_user_memory(dp, len, value, &done); break;
      case kSetUserMemory: st = umaccess_set_user_memory(dp, value, len, &done); break;
      case kZeroUserMemory: st = umaccess_zero_user_memory(dp, len, &done); break;
      case kFillModeMemory: st = umaccess_fill_mode_memory(dp, len, value, mode, &done); break;
      case kSetModeMemory: st = umaccess_set_mode_memory(dp, value, len, mode, &done); break;
      default: st = umaccess_zero_mode_memory(dp, len, mode, &done); break;
    }
    if (st == 0 && done != len) mismatch("succeeded with %zu bytes done of %zu", done, len);
    got = c_outcome(st, done);
  }
  check(want, got);
  if (filled != 0) {
    std::memset(s.arena.model_at(dst), value, filled);
    s.arena.mark_dirty(dst, filled);
  }
  s.arena.verify();
}

// ---- Scalars ------------------------------------------------------------------------------------

std::uint64_t model_load(const State& s, std::uintptr_t p, unsigned width) {
  std::uint64_t v = 0;
  for (unsigned k = 0; k < width; ++k)
    v |= static_cast<std::uint64_t>(s.arena.model_byte(p + k)) << (8 * k);
  return v;
}

void model_store(State& s, std::uintptr_t p, unsigned width, std::uint64_t v) {
  for (unsigned k = 0; k < width; ++k)
    *s.arena.model_at(p + k) = static_cast<std::uint8_t>(v >> (8 * k));
  s.arena.mark_dirty(p, width);
}

// A single access of [p, p + width): range, then the first inaccessible byte (no partial
// effect: one access is all or nothing).
Expected single_access(const State& s, std::uintptr_t p, std::size_t width, bool write,
                       const char* name) {
  if (!s.range.allows(p, width))
    return Expected::refused(STATUS_ACCESS_VIOLATION, s.range.first_outside(p), write, name);
  const std::size_t ok = write ? s.arena.first_unwritable(p, width)
                               : s.arena.first_unreadable(p, width);
  if (ok < width) return fault_at(s, p, ok, write, 0, name);
  return Expected::success();
}

const char* scalar_name(unsigned width, bool write, unsigned form, bool rtl) {
  // [width index][form: plain, acquire/release, mode], read then write; and the Rtl forms.
  static const char* const kRead[4][3] = {
      {"ReadUCharFromUser", "ReadUCharFromUserAcquire", "ReadUCharFromMode"},
      {"ReadUShortFromUser", "ReadUShortFromUserAcquire", "ReadUShortFromMode"},
      {"ReadULongFromUser", "ReadULongFromUserAcquire", "ReadULongFromMode"},
      {"ReadULong64FromUser", "ReadULong64FromUserAcquire", "ReadULong64FromMode"}};
  static const char* const kWrite[4][3] = {
      {"WriteUCharToUser", "WriteUCharToUserRelease", "WriteUCharToMode"},
      {"WriteUShortToUser", "WriteUShortToUserRelease", "WriteUShortToMode"},
      {"WriteULongToUser", "WriteULongToUserRelease", "WriteULongToMode"},
      {"WriteULong64ToUser", "WriteULong64ToUserRelease", "WriteULong64ToMode"}};
  static const char* const kRtlRead[4][2] = {
      {"RtlReadUCharFromUser", "RtlReadUCharFromUserAcquire"},
      {"RtlReadUShortFromUser", "RtlReadUShortFromUserAcquire"},
      {"RtlReadULongFromUser", "RtlReadULongFromUserAcquire"},
      {"RtlReadULong64FromUser", "RtlReadULong64FromUserAcquire"}};
  static const char* const kRtlWrite[4][2] = {
      {"RtlWriteUCharToUser", "RtlWriteUCharToUserRelease"},
      {"RtlWriteUShortToUser", "RtlWriteUShortToUserRelease"},
      {"RtlWriteULongToUser", "RtlWriteULongToUserRelease"},
      {"RtlWriteULong64ToUser", "RtlWriteULong64ToUserRelease"}};
  const unsigned w = width == 1 ? 0 : width == 2 ? 1 : width == 4 ? 2 : 3;
  if (rtl) return write ? kRtlWrite[w][form] : kRtlRead[w][form];
  return write ? kWrite[w][form] : kRead[w][form];
}

template <class T>
T cxx_read(unsigned form, bool rtl, const void* p, KPROCESSOR_MODE mode) {
  const auto* q = static_cast<const T*>(p);
  if constexpr (sizeof(T) == 1) {
    if (rtl) return form == 0 ? RtlReadUCharFromUser(q) : RtlReadUCharFromUserAcquire(q);
    return form == 0 ? ReadUCharFromUser(q) : form == 1 ? ReadUCharFromUserAcquire(q)
                                                        : ReadUCharFromMode(q, mode);
  } else if constexpr (sizeof(T) == 2) {
    if (rtl) return form == 0 ? RtlReadUShortFromUser(q) : RtlReadUShortFromUserAcquire(q);
    return form == 0 ? ReadUShortFromUser(q) : form == 1 ? ReadUShortFromUserAcquire(q)
                                                         : ReadUShortFromMode(q, mode);
  } else if constexpr (sizeof(T) == 4) {
    if (rtl) return form == 0 ? RtlReadULongFromUser(q) : RtlReadULongFromUserAcquire(q);
    return form == 0 ? ReadULongFromUser(q) : form == 1 ? ReadULongFromUserAcquire(q)
                                                        : ReadULongFromMode(q, mode);
  } else {
    if (rtl) return form == 0 ? RtlReadULong64FromUser(q) : RtlReadULong64FromUserAcquire(q);
    return form == 0 ? ReadULong64FromUser(q) : form == 1 ? ReadULong64FromUserAcquire(q)
                                                          : ReadULong64FromMode(q, mode);
  }
}

template <class T>
void cxx_write(unsigned form, bool rtl, void* p, T v, KPROCESSOR_MODE mode) {
  auto* q = static_cast<T*>(p);
  if constexpr (sizeof(T) == 1) {
    if (rtl) return form == 0 ? RtlWriteUCharToUser(q, v) : RtlWriteUCharToUserRelease(q, v);
    return form == 0 ? WriteUCharToUser(q, v) : form == 1 ? WriteUCharToUserRelease(q, v)
                                                          : WriteUCharToMode(q, v, mode);
  } else if constexpr (sizeof(T) == 2) {
    if (rtl) return form == 0 ? RtlWriteUShortToUser(q, v) : RtlWriteUShortToUserRelease(q, v);
    return form == 0 ? WriteUShortToUser(q, v) : form == 1 ? WriteUShortToUserRelease(q, v)
                                                           : WriteUShortToMode(q, v, mode);
  } else if constexpr (sizeof(T) == 4) {
    if (rtl) return form == 0 ? RtlWriteULongToUser(q, v) : RtlWriteULongToUserRelease(q, v);
    return form == 0 ? WriteULongToUser(q, v) : form == 1 ? WriteULongToUserRelease(q, v)
                                                          : WriteULongToMode(q, v, mode);
  } else {
    if (rtl) return form == 0 ? RtlWriteULong64ToUser(q, v) : RtlWriteULong64ToUserRelease(q, v);
    return form == 0 ? WriteULong64ToUser(q, v) : form == 1 ? WriteULong64ToUserRelease(q, v)
                                                            : WriteULong64ToMode(q, v, mode);
  }
}

template <class T>
umaccess_ntstatus c_read(unsigned form, const void* p, KPROCESSOR_MODE mode, std::uint64_t* out) {
  T v = static_cast<T>(0xA5A5A5A5A5A5A5A5ull);  // must stay unless the read succeeds
  umaccess_ntstatus st;
  if constexpr (sizeof(T) == 1)
    st = form == 0 ? umaccess_read_u8_from_user(p, &v) : form == 1
         ? umaccess_read_u8_from_user_acquire(p, &v) : umaccess_read_u8_from_mode(p, mode, &v);
  else if constexpr (sizeof(T) == 2)
    st = form == 0 ? umaccess_read_u16_from_user(p, &v) : form == 1
         ? umaccess_read_u16_from_user_acquire(p, &v) : umaccess_read_u16_from_mode(p, mode, &v);
  else if constexpr (sizeof(T) == 4)
    st = form == 0 ? umaccess_read_u32_from_user(p, &v) : form == 1
         ? umaccess_read_u32_from_user_acquire(p, &v) : umaccess_read_u32_from_mode(p, mode, &v);
  else
    st = form == 0 ? umaccess_read_u64_from_user(p, &v) : form == 1
         ? umaccess_read_u64_from_user_acquire(p, &v) : umaccess_read_u64_from_mode(p, mode, &v);
  if (st != 0 && v != static_cast<T>(0xA5A5A5A5A5A5A5A5ull))
    mismatch("a failed read stored to *out");
  *out = v;
  return st;
}

template <class T>
umaccess_ntstatus c_write(unsigned form, void* p, T v, KPROCESSOR_MODE mode) {
  if constexpr (sizeof(T) == 1)
    return form == 0 ? umaccess_write_u8_to_user(p, v) : form == 1
           ? umaccess_write_u8_to_user_release(p, v) : umaccess_write_u8_to_mode(p, v, mode);
  else if constexpr (sizeof(T) == 2)
    return form == 0 ? umaccess_write_u16_to_user(p, v) : form == 1
           ? umaccess_write_u16_to_user_release(p, v) : umaccess_write_u16_to_mode(p, v, mode);
  else if constexpr (sizeof(T) == 4)
    return form == 0 ? umaccess_write_u32_to_user(p, v) : form == 1
           ? umaccess_write_u32_to_user_release(p, v) : umaccess_write_u32_to_mode(p, v, mode);
  else
    return form == 0 ? umaccess_write_u64_to_user(p, v) : form == 1
           ? umaccess_write_u64_to_user_release(p, v) : umaccess_write_u64_to_mode(p, v, mode);
}

template <class T>
void scalar(State& s, const Record& r, bool write) {
  const std::uintptr_t p = user_position(s, r.a);
  constexpr unsigned width = sizeof(T);
  const bool use_cxx = (r.flags & 1) != 0;
  unsigned form = (r.flags >> 6) % 3;  // plain, acquire/release, mode
  const bool rtl = use_cxx && (r.flags & 2) != 0 && form != 2;
  KPROCESSOR_MODE mode = form == 2 ? decode_mode(s, r.flags) : UserMode;
  const std::size_t ok = write ? s.arena.first_unwritable(p, width)
                               : s.arena.first_unreadable(p, width);
  if (mode_is_kernel(mode) && ok < width) mode = UserMode;
  const char* name = scalar_name(width, write, form, rtl);
  const Expected want = mode_is_kernel(mode) ? Expected::success()
                                             : single_access(s, p, width, write, name);
  const std::uint64_t value = (static_cast<std::uint64_t>(r.b) << 40 | r.len << 8 | r.arg) *
                              0x9E3779B97F4A7C15ull;
  set_context("%s%s(%#zx%s) form %u, mode %d", use_cxx ? "" : "C ", name, p,
              write ? ", value" : "", form, mode);
  note_feature(s, write ? 6 : 5, width * 4 + form, width, want, p);

  void* const ptr = reinterpret_cast<void*>(p);
  Outcome got;
  std::uint64_t read_value = 0;
  if (use_cxx) {
    got = run_cxx([&] {
      if (write)
        cxx_write<T>(form, rtl, ptr, static_cast<T>(value), mode);
      else
        read_value = cxx_read<T>(form, rtl, ptr, mode);
    });
  } else {
    poison_last_failure();
    const umaccess_ntstatus st = write ? c_write<T>(form, ptr, static_cast<T>(value), mode)
                                       : c_read<T>(form, ptr, mode, &read_value);
    got = c_outcome(st, 0);
  }
  check(want, got);
  if (want.status == 0) {
    if (write)
      model_store(s, p, width, value);
    else if (read_value != model_load(s, p, width))
      mismatch("read %#llx, the model says %#llx", static_cast<unsigned long long>(read_value),
               static_cast<unsigned long long>(model_load(s, p, width)));
  }
  if (write) s.arena.verify();
}

// ---- UNICODE_STRING descriptors -----------------------------------------------------------------
// Length and MaximumLength as one 32-bit access at p, then Buffer as one 64-bit access at
// p + 8; the padding at p + 4 is neither read nor written.

void unicode_string(State& s, const Record& r, bool write) {
  const std::uintptr_t p = user_position(s, r.a);
  const bool use_cxx = (r.flags & 1) != 0;
  const bool from_mode = (r.flags & 0x40) != 0;
  KPROCESSOR_MODE mode = from_mode ? decode_mode(s, r.flags) : UserMode;
  const std::size_t ok = write ? s.arena.first_unwritable(p, 16) : s.arena.first_unreadable(p, 16);
  if (mode_is_kernel(mode) && ok < 16) mode = UserMode;
  static const char* const kNames[2][2] = {
      {"ReadUnicodeStringFromUser", "ReadUnicodeStringFromMode"},
      {"WriteUnicodeStringToUser", "WriteUnicodeStringToMode"}};
  const char* name = kNames[write][from_mode];
  Expected want;
  bool lengths_done = true;
  if (!mode_is_kernel(mode)) {
    want = single_access(s, p, 4, write, name);
    lengths_done = want.status == 0;
    if (want.status == 0) want = single_access(s, p + 8, 8, write, name);
  }
  const UNICODE_STRING value{static_cast<USHORT>(r.b), static_cast<USHORT>(r.b >> 16),
                             reinterpret_cast<PWSTR>(static_cast<std::uintptr_t>(r.len) << 24 |
                                                     r.arg)};
  set_context("%s%s(%#zx) mode %d", use_cxx ? "" : "C ", name, p, mode);
  note_feature(s, 7, write * 2 + from_mode, 16, want, p);

  auto* const up = reinterpret_cast<UNICODE_STRING*>(p);
  auto* const cp = reinterpret_cast<umaccess_unicode_string*>(p);
  Outcome got;
  UNICODE_STRING read{0x1111, 0x2222, reinterpret_cast<PWSTR>(0x3333)};
  if (use_cxx) {
    got = run_cxx([&] {
      if (write && from_mode) WriteUnicodeStringToMode(up, value, mode);
      else if (write) WriteUnicodeStringToUser(up, value);
      else if (from_mode) read = ReadUnicodeStringFromMode(up, mode);
      else read = ReadUnicodeStringFromUser(up);
    });
  } else {
    poison_last_failure();
    umaccess_unicode_string cvalue{value.Length, value.MaximumLength, value.Buffer};
    umaccess_unicode_string cread{0x1111, 0x2222, reinterpret_cast<umaccess_wchar*>(0x3333)};
    umaccess_ntstatus st;
    if (write && from_mode) st = umaccess_write_unicode_string_to_mode(cp, cvalue, mode);
    else if (write) st = umaccess_write_unicode_string_to_user(cp, cvalue);
    else if (from_mode) st = umaccess_read_unicode_string_from_mode(cp, mode, &cread);
    else st = umaccess_read_unicode_string_from_user(cp, &cread);
    if (st != 0 && !write &&
        (cread.length != 0x1111 || cread.buffer != reinterpret_cast<umaccess_wchar*>(0x3333)))
      mismatch("a failed read stored to *out");
    read = {cread.length, cread.maximum_length, cread.buffer};
    got = c_outcome(st, 0);
  }
  check(want, got);
  if (write) {
    if (lengths_done)
      model_store(s, p, 4, value.Length | static_cast<std::uint32_t>(value.MaximumLength) << 16);
    if (want.status == 0)
      model_store(s, p + 8, 8, reinterpret_cast<std::uintptr_t>(value.Buffer));
    s.arena.verify();
  } else if (want.status == 0) {
    const std::uint64_t lengths = model_load(s, p, 4);
    const std::uint64_t buffer = model_load(s, p + 8, 8);
    if (read.Length != static_cast<USHORT>(lengths) ||
        read.MaximumLength != static_cast<USHORT>(lengths >> 16) ||
        reinterpret_cast<std::uintptr_t>(read.Buffer) != buffer)
      mismatch("read {%u, %u, %p}, the model says {%u, %u, %#llx}", read.Length,
               read.MaximumLength, static_cast<void*>(read.Buffer),
               static_cast<unsigned>(lengths & 0xffff), static_cast<unsigned>(lengths >> 16),
               static_cast<unsigned long long>(buffer));
  }
}

// ---- String lengths -----------------------------------------------------------------------------

// The model: units scanned in order; a unit not wholly inside the range refuses at that
// unit (for bytes: at the range's end); an inaccessible byte faults there; a zero unit ends.
// `limit` is the range's end (UINTPTR_MAX for kernel mode, which has no range).
UMAFUZZ_BULK Expected model_string(const State& s, std::uintptr_t p, unsigned unit,
                                   std::uintptr_t begin, std::uintptr_t limit, const char* name,
                                   std::size_t* length) {
  if (p < begin || p >= limit)
    return Expected::refused(STATUS_ACCESS_VIOLATION, p, false, name);
  const std::size_t ps = s.arena.page_size();
  std::uintptr_t a = p;
  for (;;) {
    if (limit - a < unit) return Expected::refused(STATUS_ACCESS_VIOLATION, a, false, name);
    if (s.arena.readable(a)) {
      // Units wholly inside this readable page and the range: search the model directly.
      const std::uintptr_t end = std::min<std::uintptr_t>(a - a % ps + ps, limit);
      if (unit == 1) {
        const void* hit = std::memchr(s.arena.model_at(a), 0, end - a);
        if (hit != nullptr) {
          *length = static_cast<std::size_t>(static_cast<const std::uint8_t*>(hit) -
                                             s.arena.model_at(p));
          return Expected::success();
        }
        a = end;
        continue;
      }
      for (; end - a >= 2; a += 2) {
        if (s.arena.model_byte(a) == 0 && s.arena.model_byte(a + 1) == 0) {
          *length = (a - p) / 2;
          return Expected::success();
        }
      }
      if (a == end) continue;
      // A unit straddling the page's end or the range's end: the general path below.
    }
    if (limit - a < unit) return Expected::refused(STATUS_ACCESS_VIOLATION, a, false, name);
    for (unsigned k = 0; k < unit; ++k)
      if (!s.arena.readable(a + k)) return fault_at(s, a, k, false, 0, name);
    if (s.arena.model_byte(a) == 0 && (unit == 1 || s.arena.model_byte(a + 1) == 0)) {
      *length = (a - p) / unit;
      return Expected::success();
    }
    a += unit;
  }
}

void string_length(State& s, const Record& r) {
  const std::uintptr_t p = user_position(s, r.a);
  const bool use_cxx = (r.flags & 1) != 0;
  const unsigned unit = (r.flags & 0x10) ? 2 : 1;
  const unsigned form = (r.flags >> 5) & 3;  // user, mode, Rtl (C++), user
  const bool from_mode = form == 1;
  const bool rtl = use_cxx && form == 2;
  KPROCESSOR_MODE mode = from_mode ? decode_mode(s, r.flags) : UserMode;
  static const char* const kNames[2][3] = {
      {"StringLengthFromUser", "StringLengthFromMode", "RtlStringLengthFromUser"},
      {"WideStringLengthFromUser", "WideStringLengthFromMode", "RtlWideStringLengthFromUser"}};
  const char* name = kNames[unit - 1][from_mode ? 1 : rtl ? 2 : 0];
  std::size_t length = 0;
  if (mode_is_kernel(mode)) {
    const Expected k = model_string(s, p, unit, 0, UINTPTR_MAX, name, &length);
    if (k.status != 0) mode = UserMode;  // kernel mode would crash (or read past the arena)
  }
  const Expected want = mode_is_kernel(mode)
                            ? Expected::success()
                            : model_string(s, p, unit, s.range.begin, s.range.end, name, &length);
  set_context("%s%s(%#zx) mode %d", use_cxx ? "" : "C ", name, p, mode);
  note_feature(s, 8, unit * 4 + form, want.status == 0 ? length : 0, want, p);

  Outcome got;
  std::size_t result = 0x5eed;
  if (use_cxx) {
    const auto* cp = reinterpret_cast<const char*>(p);
    const auto* wp = reinterpret_cast<const WCHAR*>(p);
    got = run_cxx([&] {
      if (unit == 1)
        result = from_mode ? StringLengthFromMode(cp, mode)
                 : rtl ? RtlStringLengthFromUser(cp) : StringLengthFromUser(cp);
      else
        result = from_mode ? WideStringLengthFromMode(wp, mode)
                 : rtl ? RtlWideStringLengthFromUser(wp) : WideStringLengthFromUser(wp);
    });
  } else {
    poison_last_failure();
    const auto* cp = reinterpret_cast<const char*>(p);
    const auto* wp = reinterpret_cast<const umaccess_wchar*>(p);
    umaccess_ntstatus st;
    if (unit == 1)
      st = from_mode ? umaccess_string_length_from_mode(cp, mode, &result)
                     : umaccess_string_length_from_user(cp, &result);
    else
      st = from_mode ? umaccess_wide_string_length_from_mode(wp, mode, &result)
                     : umaccess_wide_string_length_from_user(wp, &result);
    if (st != 0 && result != 0x5eed) mismatch("a failed string length stored to *length");
    got = c_outcome(st, 0);
  }
  check(want, got);
  if (want.status == 0 && result != length)
    mismatch("length %zu, the model says %zu", result, length);
}

// ---- Interlocked --------------------------------------------------------------------------------

void interlocked(State& s, const Record& r) {
  std::uintptr_t p = user_position(s, r.a);
  const bool use_cxx = (r.flags & 1) != 0;
  const bool rtl = use_cxx && (r.flags & 2) != 0;
  const unsigned width = (r.flags & 0x10) ? 8 : 4;
  if (r.flags & 0x20) p &= ~static_cast<std::uintptr_t>(width - 1);  // mostly aligned
  const bool to_mode = (r.flags & 0x80) != 0 && !rtl;
  const auto op = static_cast<umaccess_interlocked_op>(r.arg % 3);
  KPROCESSOR_MODE mode = to_mode ? decode_mode(s, r.flags) : UserMode;
  const bool misaligned = (p & (width - 1)) != 0;
  const bool can_write = s.arena.first_unwritable(p, width) == width;
  if (mode_is_kernel(mode) && !misaligned && !can_write) mode = UserMode;
  static const char* const kNames[3][2][2] = {
      {{"InterlockedCompareExchangeToUser", "InterlockedCompareExchangeToMode"},
       {"InterlockedCompareExchange64ToUser", "InterlockedCompareExchange64ToMode"}},
      {{"InterlockedOrToUser", "InterlockedOrToMode"},
       {"InterlockedOr64ToUser", "InterlockedOr64ToMode"}},
      {{"InterlockedAndToUser", "InterlockedAndToMode"},
       {"InterlockedAnd64ToUser", "InterlockedAnd64ToMode"}}};
  const char* name = kNames[op][width == 8][to_mode];
  const std::uint64_t mask = width == 8 ? ~0ull : 0xffffffffull;
  const std::uint64_t value = (static_cast<std::uint64_t>(r.b) * 0x9E3779B97F4A7C15ull) & mask;
  const bool readable = s.arena.first_unreadable(p, width) == width;
  const std::uint64_t original = readable ? model_load(s, p, width) : 0;
  // Compare-exchange: half the time with the current value, so the exchange happens.
  const std::uint64_t comperand = (r.flags & 0x40) ? original : (value ^ 0x5a) & mask;

  Expected want;
  if (misaligned) {
    want = Expected::refused(STATUS_DATATYPE_MISALIGNMENT, p, true, name);
  } else if (!mode_is_kernel(mode)) {
    want = single_access(s, p, width, true, name);
#if defined(__aarch64__)
    // An exclusive pair that stores nothing cannot fault on a read-only page.
    if (want.signal != 0 && op == UMACCESS_INTERLOCKED_COMPARE_EXCHANGE && readable &&
        original != comperand)
      want = Expected::success();
#endif
  }
  std::uint64_t expected_new = original;
  if (want.status == 0 && !misaligned) {
    switch (op) {
      case UMACCESS_INTERLOCKED_COMPARE_EXCHANGE:
        expected_new = original == comperand ? value : original;
        break;
      case UMACCESS_INTERLOCKED_OR: expected_new = original | value; break;
      default: expected_new = original & value; break;
    }
  }
  set_context("%s%s(%#zx) width %u, mode %d", use_cxx ? "" : "C ", name, p, width, mode);
  note_feature(s, 9, op * 4 + (width == 8) * 2 + to_mode, width, want, p);

  Outcome got;
  std::uint64_t returned = 0;
  void* const ptr = reinterpret_cast<void*>(p);
  if (use_cxx) {
    got = run_cxx([&] {
      if (width == 4) {
        auto* d = static_cast<LONG*>(ptr);
        const auto v = static_cast<LONG>(value), c = static_cast<LONG>(comperand);
        LONG o;
        switch (op) {
          case UMACCESS_INTERLOCKED_COMPARE_EXCHANGE:
            o = rtl ? RtlInterlockedCompareExchange32ToUser(d, v, c)
                : to_mode ? InterlockedCompareExchangeToMode(d, v, c, mode)
                          : InterlockedCompareExchangeToUser(d, v, c);
            break;
          case UMACCESS_INTERLOCKED_OR:
            o = rtl ? RtlInterlockedOr32ToUser(d, v)
                : to_mode ? InterlockedOrToMode(d, v, mode) : InterlockedOrToUser(d, v);
            break;
          default:
            o = rtl ? RtlInterlockedAnd32ToUser(d, v)
                : to_mode ? InterlockedAndToMode(d, v, mode) : InterlockedAndToUser(d, v);
            break;
        }
        returned = static_cast<std::uint32_t>(o);
      } else {
        auto* d = static_cast<LONG64*>(ptr);
        const auto v = static_cast<LONG64>(value), c = static_cast<LONG64>(comperand);
        LONG64 o;
        switch (op) {
          case UMACCESS_INTERLOCKED_COMPARE_EXCHANGE:
            o = rtl ? RtlInterlockedCompareExchange64ToUser(d, v, c)
                : to_mode ? InterlockedCompareExchange64ToMode(d, v, c, mode)
                          : InterlockedCompareExchange64ToUser(d, v, c);
            break;
          case UMACCESS_INTERLOCKED_OR:
            o = rtl ? RtlInterlockedOr64ToUser(d, v)
                : to_mode ? InterlockedOr64ToMode(d, v, mode) : InterlockedOr64ToUser(d, v);
            break;
          default:
            o = rtl ? RtlInterlockedAnd64ToUser(d, v)
                : to_mode ? InterlockedAnd64ToMode(d, v, mode) : InterlockedAnd64ToUser(d, v);
            break;
        }
        returned = static_cast<std::uint64_t>(o);
      }
    });
  } else {
    poison_last_failure();
    umaccess_ntstatus st;
    if (width == 4) {
      auto* d = static_cast<std::int32_t*>(ptr);
      const auto v = static_cast<std::int32_t>(value), c = static_cast<std::int32_t>(comperand);
      std::int32_t o = 0x5eed;
      switch (op) {
        case UMACCESS_INTERLOCKED_COMPARE_EXCHANGE:
          st = to_mode ? umaccess_interlocked_compare_exchange_to_mode(d, v, c, mode, &o)
                       : umaccess_interlocked_compare_exchange_to_user(d, v, c, &o);
          break;
        case UMACCESS_INTERLOCKED_OR:
          st = to_mode ? umaccess_interlocked_or_to_mode(d, v, mode, &o)
                       : umaccess_interlocked_or_to_user(d, v, &o);
          break;
        default:
          st = to_mode ? umaccess_interlocked_and_to_mode(d, v, mode, &o)
                       : umaccess_interlocked_and_to_user(d, v, &o);
          break;
      }
      if (st != 0 && o != 0x5eed) mismatch("a failed interlocked operation stored *original");
      returned = static_cast<std::uint32_t>(o);
    } else {
      auto* d = static_cast<std::int64_t*>(ptr);
      const auto v = static_cast<std::int64_t>(value), c = static_cast<std::int64_t>(comperand);
      std::int64_t o = 0x5eed;
      switch (op) {
        case UMACCESS_INTERLOCKED_COMPARE_EXCHANGE:
          st = to_mode ? umaccess_interlocked_compare_exchange64_to_mode(d, v, c, mode, &o)
                       : umaccess_interlocked_compare_exchange64_to_user(d, v, c, &o);
          break;
        case UMACCESS_INTERLOCKED_OR:
          st = to_mode ? umaccess_interlocked_or64_to_mode(d, v, mode, &o)
                       : umaccess_interlocked_or64_to_user(d, v, &o);
          break;
        default:
          st = to_mode ? umaccess_interlocked_and64_to_mode(d, v, mode, &o)
                       : umaccess_interlocked_and64_to_user(d, v, &o);
          break;
      }
      if (st != 0 && o != 0x5eed) mismatch("a failed interlocked operation stored *original");
      returned = static_cast<std::uint64_t>(o);
    }
    got = c_outcome(st, 0);
  }
  check(want, got);
  if (want.status == 0) {
    if (returned != original)
      mismatch("returned %#llx, the original value was %#llx",
               static_cast<unsigned long long>(returned),
               static_cast<unsigned long long>(original));
    model_store(s, p, width, expected_new);
  }
  s.arena.verify();
}

// ---- The input ----------------------------------------------------------------------------------

void run_operation(State& s, const Record& r) {
  // Operation classes: 9 copy-in, 8 copy-out, 4 user-to-user, 7 fills, 8 scalar, 2
  // descriptor, string, interlocked.
  unsigned op = r.op % 40;
  if (op < kCopyInVariants) return copy_in(s, r, op);
  op -= kCopyInVariants;
  if (op < kCopyOutVariants) return copy_out(s, r, op);
  op -= kCopyOutVariants;
  if (op < kUserToUserVariants) return user_to_user(s, r, op);
  op -= kUserToUserVariants;
  if (op < kFillVariants) return fill(s, r, op);
  op -= kFillVariants;
  switch (op) {
    case 0: return scalar<std::uint8_t>(s, r, false);
    case 1: return scalar<std::uint16_t>(s, r, false);
    case 2: return scalar<std::uint32_t>(s, r, false);
    case 3: return scalar<std::uint64_t>(s, r, false);
    case 4: return scalar<std::uint8_t>(s, r, true);
    case 5: return scalar<std::uint16_t>(s, r, true);
    case 6: return scalar<std::uint32_t>(s, r, true);
    case 7: return scalar<std::uint64_t>(s, r, true);
    case 8: return unicode_string(s, r, false);
    case 9: return unicode_string(s, r, true);
    case 10: return string_length(s, r);
    default: return interlocked(s, r);
  }
}

void run_record(State& s, const Record& r) {
  run_operation(s, r);
  const unsigned opened = s.arena.close_lazy_pages();  // compared with the model first
  feature(0xA11 * 64 + (r.op % 40) * 8 + std::min(opened, 7u));
}

// A bug check (a fault on a kernel-side buffer) is always a harness or library bug here.
void on_bug_check(const umaccess_bug_check_info* info, void*) {
  mismatch("bug check %#x from %s: %s", info->code, info->operation ? info->operation : "?",
           info->message ? info->message : "");
}

State& state() {
  static State* s = [] {
    ensure_fault_handler_in_front();
    umaccess::set_bug_check_callback(on_bug_check);
    auto* st = new State;
    umaccess::set_fault_resolver(&Arena::resolve, &st->arena);
    const umaccess::UserRange all = umaccess::default_user_range();
    st->default_range = {all.begin, all.end};
    const std::size_t max = st->arena.max_length();
    st->kbuf_size = kKernelMargin + 64 + max + kKernelMargin;
    void* k = mmap(nullptr, st->kbuf_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (k == MAP_FAILED) std::abort();
    st->kbuf = static_cast<std::uint8_t*>(k);
    st->kpristine.resize(st->kbuf_size);
    for (std::size_t i = 0; i < st->kbuf_size; ++i)
      st->kpristine[i] = Arena::pattern(static_cast<std::uint32_t>(i * 0x2545F491u + 0x77),
                                        0xC3, 0);
    st->kmodel = st->kpristine;
    std::memcpy(st->kbuf, st->kpristine.data(), st->kbuf_size);
    st->scratch_src.resize(max);
    st->scratch_dst.resize(max);
    g_state = st;
    g_describe_state = describe_state;
    return st;
  }();
  return *s;
}

}  // namespace
}  // namespace umafuzz

using namespace umafuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  State& s = state();
  Input in(data, size);
  set_context("input setup");

  const std::uint8_t config_a = in.u8(), config_b = in.u8();
  s.config_key = s.configs.apply(config_a, config_b);

  // The user range: the default, or narrowed to a part of the arena (maybe empty).
  const std::uint8_t range_mode = in.u8();
  const std::uint16_t r1 = in.u16(), r2 = in.u16();
  RangeScope scope;
  s.range = s.default_range;
  if (range_mode % 3 == 2) {
    const std::size_t span = s.arena.size() + 2 * s.arena.page_size() + 1;
    std::uintptr_t b = s.arena.begin_address() - s.arena.page_size() + r1 * 7 % span;
    std::uintptr_t e = s.arena.begin_address() - s.arena.page_size() + r2 * 7 % span;
    if (b > e) std::swap(b, e);
    if (!scope.enter(b, e)) mismatch("the library refused the user range [%#zx, %#zx)", b, e);
    s.range = {b, e};
  }

  const std::uint8_t content = in.u8(), zeros = in.u8();
  PageKind kinds[Arena::kPages];
  for (std::size_t i = 0; i < Arena::kPages; i += 2) {
    const std::uint8_t b = in.u8();
    for (std::size_t j = 0; j < 2 && i + j < Arena::kPages; ++j) {
      kinds[i + j] = kind_from_nibble((b >> (4 * j)) & 15);
    }
  }
  s.arena.layout(kinds, content, zeros);

  // Self-test: a real bug outside umaccess (the harness touching an unmapped page) must be
  // reported by libFuzzer, not swallowed by umaccess's handler.
  if (injection() == Inject::Segv && !s.injected_segv) {
    for (std::size_t i = 0; i < Arena::kPages; ++i) {
      if (kinds[i] != kUnmapped) continue;
      s.injected_segv = true;
      std::fprintf(stderr, "umaccess fuzz: self-test: touching unmapped arena page %zu\n", i);
      (void)*reinterpret_cast<volatile char*>(s.arena.base() + i * s.arena.page_size());
    }
  }

  for (int n = 0; n < kMaxRecords && in.remaining() > 0; ++n) {
    Record r;
    r.op = in.u8();
    r.flags = in.u8();
    r.a = in.u24();
    r.b = in.u24();
    r.len = in.u24();
    r.arg = in.u8();
    run_record(s, r);
  }

  set_context("end of input");
  s.arena.verify();
  if (s.kdirty_lo < s.kdirty_hi) {  // back to the pristine pattern, checked on the way
    verify_kernel(s, s.kbuf + s.kdirty_lo, s.kdirty_hi - s.kdirty_lo);
    std::memcpy(s.kbuf + s.kdirty_lo, s.kpristine.data() + s.kdirty_lo, s.kdirty_hi - s.kdirty_lo);
    std::memcpy(s.kmodel.data() + s.kdirty_lo, s.kpristine.data() + s.kdirty_lo,
                s.kdirty_hi - s.kdirty_lo);
    s.kdirty_lo = SIZE_MAX;
    s.kdirty_hi = 0;
  }
  return 0;
}
