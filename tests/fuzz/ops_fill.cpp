// SPDX-License-Identifier: Apache-2.0
// tests/fuzz/ops_fill.cpp - the fuzz_ops model of the fills: FillUserMemory, SetUserMemory,
// ZeroUserMemory, their Mode forms and RtlSetUserMemory.
#include "ops_model.h"
#include "ops_table.h"

namespace umafuzz::ops {

// ---- Fills --------------------------------------------------------------------------------------

void fill(State& s, const Record& r, unsigned variant) {
  const std::uintptr_t dst = user_position(s, r.a);
  const std::size_t len = decode_length(s, r.len, dst);
  const bool use_cxx = (r.flags & 1) != 0 || variant == kRtlSetUserMemory;
  static const char* const kNames[] = {"FillUserMemory", "SetUserMemory", "ZeroUserMemory",
                                       "FillUserMemory", "SetUserMemory", "ZeroUserMemory",
                                       "SetUserMemory"};
  // The plain variants run the table's fills (ops_table.h).
  const bool plain = variant <= kZeroUserMemory;
  const TableFill* const table = plain ? &table_fill(kNames[variant], r.flags >> 4) : nullptr;
  const bool zero = plain ? table->zero : variant == kZeroModeMemory;
  const std::uint8_t value = zero ? 0 : r.arg;
  KPROCESSOR_MODE mode = variant >= kFillModeMemory && variant <= kZeroModeMemory
                             ? decode_mode(s, r.flags) : UserMode;
  const std::size_t writable = s.arena.first_unwritable(dst, len);
  if (mode_is_kernel(mode) && writable < len) mode = UserMode;
  const bool kernel = mode_is_kernel(mode);
  const char* name = plain ? table->name : kNames[variant];
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
        case kFillUserMemory:
        case kSetUserMemory:
        case kZeroUserMemory: table->cxx(dp, len, value); break;
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
      case kFillUserMemory:
      case kSetUserMemory:
      case kZeroUserMemory: st = table->c(dp, len, value, &done); break;
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

}  // namespace umafuzz::ops
