// SPDX-License-Identifier: Apache-2.0
// src/sanitizer_checks.h - show the sanitizers what the assembly kernels touch on the caller's
// own (kernel-side) buffers.
//
// The kernels are assembly, so AddressSanitizer and ThreadSanitizer never see their accesses:
// a CopyFromUser into a heap buffer 16 bytes too short, or a copy racing with another thread
// on the same kernel-side buffer, would go unreported. In a sanitizer build of the library the
// raw entries therefore declare the kernel-side range before the kernel runs: ASan checks its
// shadow and reports a poisoned byte as an ordinary ASan error (the whole length must be
// valid, whatever the user side does); TSan records the range as read or written.
//
// User-side buffers are not declared: they are untrusted by definition (a bad one becomes a
// status, not a sanitizer report), and memory shared with another process or a guest is raced
// on by design. In a build without sanitizers everything here compiles to nothing.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__SANITIZE_ADDRESS__)
#define UMACCESS_CHECK_WITH_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UMACCESS_CHECK_WITH_ASAN 1
#endif
#endif

#if defined(__SANITIZE_THREAD__)
#define UMACCESS_CHECK_WITH_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UMACCESS_CHECK_WITH_TSAN 1
#endif
#endif

#if defined(UMACCESS_CHECK_WITH_ASAN)
#include <sanitizer/asan_interface.h>
#endif
#if defined(UMACCESS_CHECK_WITH_TSAN)
// Exported by the TSan runtime (the instrumentation's own range hooks); not in its header.
extern "C" void __tsan_read_range(void* address, unsigned long size);
extern "C" void __tsan_write_range(void* address, unsigned long size);
#endif

namespace umaccess::detail {

#if defined(UMACCESS_CHECK_WITH_ASAN) || defined(UMACCESS_CHECK_WITH_TSAN)
// One past the highest application address the sanitizers shadow (47-bit x86-64, 48-bit
// AArch64). Ranges beyond it (or wrapping) are not declared: ASan calls them poisoned and
// TSan would write shadow that is not there, while such a pointer is the bug check's business.
#if defined(__x86_64__)
inline constexpr std::uintptr_t kApplicationEnd = std::uintptr_t{1} << 47;
#else
inline constexpr std::uintptr_t kApplicationEnd = std::uintptr_t{1} << 48;
#endif
#endif

// The caller's own buffer [p, p + n) is about to be read (is_write false) or written by a
// kernel. Reports to the sanitizer the library was built with, if any.
__attribute__((always_inline)) inline void declare_kernel_side(const void* p, std::size_t n,
                                                               bool is_write) {
#if defined(UMACCESS_CHECK_WITH_ASAN) || defined(UMACCESS_CHECK_WITH_TSAN)
  const auto begin = reinterpret_cast<std::uintptr_t>(p);
  if (n == 0 || n > kApplicationEnd || begin > kApplicationEnd - n) return;
  void* const address = const_cast<void*>(p);
#if defined(UMACCESS_CHECK_WITH_ASAN)
  if (void* bad = __asan_region_is_poisoned(address, n))
    __asan_report_error(__builtin_return_address(0), __builtin_frame_address(0),
                        __builtin_frame_address(0), bad, is_write, n);
#endif
#if defined(UMACCESS_CHECK_WITH_TSAN)
  if (is_write)
    __tsan_write_range(address, n);
  else
    __tsan_read_range(address, n);
#endif
#else
  (void)p, (void)n, (void)is_write;
#endif
}

}  // namespace umaccess::detail
