// SPDX-License-Identifier: Apache-2.0
// tests/fuzz/ops_interlocked.cpp - the fuzz_ops model of the interlocked operations:
// compare-exchange, or and and, 32 and 64 bits, user, mode and Rtl forms, aligned and
// misaligned.
#include "ops_model.h"

namespace umafuzz::ops {

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

}  // namespace umafuzz::ops
