// SPDX-License-Identifier: Apache-2.0
// tests/fuzz/ops_string.cpp - the fuzz_ops model of the string lengths: StringLengthFromUser,
// WideStringLengthFromUser, their Mode and Rtl forms, over NULs at the density the input
// chose, strings running into holes and out of the user range.
#include "ops_model.h"

namespace umafuzz::ops {

// ---- String lengths -----------------------------------------------------------------------------

namespace {

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
}  // namespace

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

}  // namespace umafuzz::ops
