// SPDX-License-Identifier: Apache-2.0
// examples/driver_host.h - what the two ported-driver examples (wdm_ioctl_driver.cpp,
// kmdf_ioctl_driver.cpp) share on the host side: the hostile buffers a caller can pass, laid
// out once in a guarded mapping, and a checker that counts unexpected outcomes.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>

#include "umaccess/ntddk.h"

namespace example {

// The caller's address space: good buffers with canaries around them, and every kind of
// bad pointer Windows' I/O manager and a driver must survive.
struct CallerMemory {
  static constexpr std::size_t kPage = 4096;
  char* base = nullptr;  // [good page][good page][PROT_NONE][read-only][good][unmapped...]
  std::size_t size = 0;

  CallerMemory() {
    const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    size = 8 * page;
    base = static_cast<char*>(
        mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (base == MAP_FAILED) std::abort();
    host_page = page;
    mprotect(base + 2 * page, page, PROT_NONE);
    std::memset(base + 3 * page, 'r', page);
    mprotect(base + 3 * page, page, PROT_READ);
    munmap(base + 5 * page, 3 * page);  // unmapped from here on
  }
  ~CallerMemory() { munmap(base, 5 * host_page); }

  std::size_t host_page = 0;
  char* good() const { return base + 64; }  // 2 pages - 64 usable
  char* prot_none() const { return base + 2 * host_page; }
  char* read_only() const { return base + 3 * host_page; }
  char* straddling(std::size_t n) const { return base + 2 * host_page - n / 2; }  // into PROT_NONE
  char* unmapped() const { return base + 5 * host_page + 128; }
  char* misaligned() const { return base + host_page + 1; }
};

// Outside the user range on x86-64 and AArch64: a kernel address, a non-canonical one, one
// whose buffer wraps around the end of the address space.
inline void* kernel_looking() { return reinterpret_cast<void*>(0xFFFF800000001000ull); }
inline void* non_canonical() { return reinterpret_cast<void*>(0x4000000000000000ull); }
inline void* wrapping() { return reinterpret_cast<void*>(~std::uintptr_t{0} - 15); }

struct Checker {
  int failures = 0;
  int requests = 0;
  void expect(const char* what, NTSTATUS got, NTSTATUS want) {
    ++requests;
    const bool ok = got == want;
    std::printf("%-64s %-30s%s\n", what, umaccess::status_name(got), ok ? "" : "  <-- UNEXPECTED");
    if (!ok) {
      std::printf("    expected %s (0x%08X), got 0x%08X\n", umaccess::status_name(want),
                  static_cast<unsigned>(want), static_cast<unsigned>(got));
      ++failures;
    }
  }
  void check(const char* what, bool condition) {
    if (!condition) {
      std::printf("CHECK FAILED: %s\n", what);
      ++failures;
    }
  }
};

}  // namespace example
