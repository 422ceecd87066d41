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

// This thread's innermost ScopedUserRange, or nullptr for the default. __thread (not
// thread_local) so that access is a plain TLS load with no init wrapper.
extern __thread const umaccess_user_range* t_user_range __attribute__((tls_model("initial-exec")));

inline umaccess_user_range current_user_range() noexcept {
  if (const umaccess_user_range* scoped = t_user_range) return *scoped;
  const std::uintptr_t end = g_default_end.load(std::memory_order_acquire);
  return {g_default_begin.load(std::memory_order_relaxed), end};
}

inline bool range_contains(umaccess_user_range r, std::uintptr_t p, std::size_t n) noexcept {
  return p >= r.begin && p <= r.end && n <= r.end - p;  // end exclusive, no wrap-around
}

// The first address of [p, p + n) that lies outside r (p itself if p is outside).
inline std::uintptr_t first_address_outside(umaccess_user_range r, std::uintptr_t p) noexcept {
  return (p < r.begin || p >= r.end) ? p : r.end;
}

bool initialize_then_contains(std::uintptr_t p, std::size_t n);  // cold

// True if [p, p + n) may be accessed as user memory. Initializes the library on first use.
inline bool user_range_allows(const void* p, std::size_t n) {
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  if (__builtin_expect(range_contains(current_user_range(), a, n), 1)) return true;
  return initialize_then_contains(a, n);
}

// Installs the fault handler and publishes the default range, once. Thread-safe.
void ensure_initialized();

}  // namespace umaccess::detail
