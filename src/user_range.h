// SPDX-License-Identifier: Apache-2.0
// src/user_range.h - the user address range check on every user-mode access, and the
// library's one-time initialization that hides behind it.
//
// Before initialization the default range is empty (end == 0), so the first user-mode
// access of the process fails the check and lands in the cold path, which installs the
// fault handler, publishes the real range and checks again. The hot path therefore pays
// for nothing but the range check itself.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "umaccess/umaccess.h"

namespace umaccess::detail {

extern std::atomic<std::uintptr_t> g_default_begin;
extern std::atomic<std::uintptr_t> g_default_end;  // published last, with release

// The user range in effect on this thread: the default, or its innermost ScopedUserRange.
// Empty ({0, 0}) until the thread's first user-mode access, which the check therefore
// refuses, and whose cold path fills it in. So the hot path reads two thread-local words:
// no pointer to follow, no branch for scopes, no flag. __thread (not thread_local): a
// plain TLS access with no init wrapper; initial-exec: in the static TLS block.
//
// Kept as begin and size (end - begin), not begin and end: then [p, p + n) lies inside when
// (p - begin) + n neither wraps nor exceeds size, one subtraction, one addition and two
// compare-and-branch pairs, where begin/end takes three compares (x86-64: 7 instructions
// instead of 11 before the jump to the kernel).
struct ThreadRange {
  std::uintptr_t begin;
  std::uintptr_t size;
};
extern __thread ThreadRange t_range __attribute__((tls_model("initial-exec")));

inline umaccess_user_range current_user_range() noexcept {
  return {t_range.begin, t_range.begin + t_range.size};
}
inline void set_current_user_range(umaccess_user_range r) noexcept {
  t_range = {r.begin, r.end - r.begin};
}

// Whether [p, p + n) lies in this thread's range: p >= begin && p <= end && n <= end - p
// (end exclusive, no wrap-around), computed from begin and size: p below begin makes
// p - begin wrap to above any size, and a wrapping sum is refused.
inline bool in_current_user_range(std::uintptr_t p, std::size_t n) noexcept {
  std::uintptr_t end_offset;
  if (__builtin_add_overflow(p - t_range.begin, n, &end_offset)) return false;
  return end_offset <= t_range.size;
}

// umaccess_install_fault_handler(), unless it has already succeeded once in this process
// (fault_handler.cpp). Returns 0, or -1 with errno set.
int install_fault_handler_once();

// Cold: the first access on this thread (fill in the range, initializing the library if
// need be), then the check again. False is a real refusal.
bool initialize_then_contains(std::uintptr_t p, std::size_t n);

// True if [p, p + n) may be accessed as user memory. Initializes on first use.
inline bool user_range_allows(const void* p, std::size_t n) {
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  if (__builtin_expect(in_current_user_range(a, n), 1)) return true;
  return initialize_then_contains(a, n);
}

// Installs the fault handler and publishes the default range, once. Thread-safe.
void ensure_initialized();
// ensure_initialized(), and this thread's range filled in.
void ensure_thread_range();

// The first address of [p, p + n) that lies outside r (p itself if p is outside).
inline std::uintptr_t first_address_outside(umaccess_user_range r, std::uintptr_t p) noexcept {
  return (p < r.begin || p >= r.end) ? p : r.end;
}


}  // namespace umaccess::detail
