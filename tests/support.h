// SPDX-License-Identifier: Apache-2.0
// tests/support.h - memory layouts with guard pages, byte patterns, and the fixture that
// runs a test once per kernel variant this CPU supports.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "umaccess/usermode_accessors.h"

namespace umatest {

inline std::size_t page_size() { return static_cast<std::size_t>(sysconf(_SC_PAGESIZE)); }

// An anonymous mapping laid out as  [guard][usable pages...][guard]  with PROT_NONE guards,
// so a buffer can be placed to end exactly at the first inaccessible byte.
// An anonymous private mapping of n bytes at or above `hint` where that range is free
// (MAP_FIXED_NOREPLACE, stepping up 1 GiB at a time), else (or with no hint) wherever mmap
// puts it. Throws if there is no memory.
inline void* map_near(const void* hint, std::size_t n, int prot) {
  void* p = MAP_FAILED;
  for (int attempt = 0; hint != nullptr && attempt < 16 && p == MAP_FAILED; ++attempt) {
    auto* at = const_cast<char*>(static_cast<const char*>(hint)) + (std::size_t{1} << 30) * attempt;
    p = mmap(at, n, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != MAP_FAILED && p != at) {  // a kernel without MAP_FIXED_NOREPLACE: a mere hint
      munmap(p, n);
      p = MAP_FAILED;
      break;
    }
  }
  if (p == MAP_FAILED) p = mmap(nullptr, n, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::runtime_error("mmap failed");
  return p;
}

// Far below where mmap(NULL, ...) allocates on x86-64 and AArch64 Linux (top-down from just
// under the stack) and above a PIE's heap: the kernel hands out an address here only when
// everything above is taken, so a hole punched into a mapping here stays a hole.
inline const void* far_from_mmap_area() { return reinterpret_cast<const void*>(0x100000000000); }

class GuardedRegion {
 public:
  // The trailing guard is longer than any buffer a test runs past it, so such a buffer
  // never reaches the next mapping: where mmap places regions next to each other (it
  // allocates upwards under qemu-user), a source running off one region must not overlap
  // a destination in the next.
  static constexpr std::size_t kTrailingGuard = 128 * 1024;

  explicit GuardedRegion(std::size_t usable_bytes) : GuardedRegion(usable_bytes, nullptr) {}
  // Placed at or above `hint` if that range is free (MAP_FIXED_NOREPLACE, stepping up 1 GiB
  // at a time), else wherever mmap puts it. A test that punches holes into a region while
  // the process runs places it far below where mmap(NULL, ...) allocates, so that no other
  // mapping of the process (a thread's arena, a library's page) lands in a hole.
  GuardedRegion(std::size_t usable_bytes, const void* hint) {
    usable_ = (usable_bytes + page_size() - 1) / page_size() * page_size();
    size_ = page_size() + usable_ + kTrailingGuard;
    base_ = static_cast<char*>(map_near(hint, size_, PROT_NONE));
    if (mprotect(begin(), usable_, PROT_READ | PROT_WRITE) != 0)
      throw std::runtime_error("mprotect failed");
  }
  ~GuardedRegion() {
    if (!keep_mapped_) munmap(base_, size_);
  }
  // Leaves the region mapped at destruction: for a test that found another mapping of the
  // process inside it, which unmapping would tear away from its owner.
  void keep_mapped() { keep_mapped_ = true; }
  GuardedRegion(const GuardedRegion&) = delete;
  GuardedRegion& operator=(const GuardedRegion&) = delete;

  char* begin() const { return base_ + page_size(); }
  std::size_t size() const { return usable_; }
  // The first inaccessible byte after the usable pages.
  char* guard() const { return begin() + usable_; }
  // Where a buffer of n bytes must start to end exactly at guard().
  char* ending_at_guard(std::size_t n) const { return guard() - n; }
  // Change the protection of the usable pages [offset, offset + n) (page-aligned).
  void protect(std::size_t offset, std::size_t n, int prot) const {
    if (mprotect(begin() + offset, n, prot) != 0) throw std::runtime_error("mprotect failed");
  }

 private:
  char* base_;
  std::size_t usable_;
  std::size_t size_;
  bool keep_mapped_ = false;
};

// Installs `fn` for `sig` with SA_SIGINFO | `flags` and an empty mask, the way another
// library or the application would; the disposition it replaces goes to *previous.
inline void install_siginfo(int sig, void (*fn)(int, siginfo_t*, void*), int flags = 0,
                            struct sigaction* previous = nullptr) {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = fn;
  sa.sa_flags = SA_SIGINFO | flags;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, previous);
}

// A pattern in which every byte of a window differs from its neighbours, so shifted,
// duplicated or dropped bytes show up.
inline unsigned char pattern_byte(std::size_t i, unsigned seed) {
  return static_cast<unsigned char>((i * 131u) ^ (i >> 7) ^ (seed * 29u + 7u));
}
inline void fill_pattern(void* p, std::size_t n, unsigned seed) {
  auto* b = static_cast<unsigned char*>(p);
  for (std::size_t i = 0; i < n; ++i) b[i] = pattern_byte(i, seed);
}

constexpr unsigned char kCanary = 0xA5;

// The index of the first byte of [p, p + n) that differs from `expected`, or n.
inline std::size_t first_mismatch(const void* p, const void* expected, std::size_t n) {
  const auto* a = static_cast<const unsigned char*>(p);
  const auto* b = static_cast<const unsigned char*>(expected);
  for (std::size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return i;
  return n;
}
inline std::size_t first_not(const void* p, unsigned char value, std::size_t n) {
  const auto* a = static_cast<const unsigned char*>(p);
  for (std::size_t i = 0; i < n; ++i)
    if (a[i] != value) return i;
  return n;
}

// This architecture's registry (dispatch/variants_<arch>.cpp): every variant, widest first,
// as error messages list them, and the baseline every CPU of the architecture runs.
#if defined(__x86_64__)
inline const std::vector<std::string> kRegistryNames = {"avx512", "evex", "avx2", "sse2", "erms"};
constexpr const char* kKnownVariants = "auto, avx512, evex, avx2, sse2, erms";
constexpr const char* kBaselineVariant = "sse2";
#elif defined(__aarch64__)
inline const std::vector<std::string> kRegistryNames = {"neon", "gpr"};
constexpr const char* kKnownVariants = "auto, neon, gpr";
constexpr const char* kBaselineVariant = "gpr";
#endif

// Every variant this CPU can run; the conformance and fault suites run once per entry.
inline std::vector<std::string> supported_variants() {
  std::vector<std::string> out;
  for (const auto& v : umaccess::dispatch::variants())
    if (v.supported) out.push_back(v.name);
  return out;
}

// Kernel configurations the conformance and fault suites run under, so that every kernel
// runs at every length whatever this CPU's thresholds are:
//   <isa>       the variant's vector kernels alone (rep strings and streaming stores off)
//   <isa>_nt    streaming stores from the first byte (the non-temporal kernels everywhere)
//   erms        rep movsb / rep stosb from the first byte (x86-64)
//   auto        the automatic choice with its derived thresholds (the real plan)
inline std::vector<std::string> kernel_configs() {
  std::vector<std::string> out;
  for (const auto& v : supported_variants()) {
    out.push_back(v);
    if (v != "erms") out.push_back(v + "_nt");
  }
  out.push_back("auto");
  return out;
}

inline void apply_kernel_config(const std::string& config) {
  constexpr std::size_t never = umaccess::dispatch::kNever;
  if (config == "auto") {
    umaccess::dispatch::select("auto");
    umaccess::dispatch::reset_thresholds();
  } else if (config == "erms") {
    umaccess::dispatch::select("erms");
    umaccess::dispatch::set_thresholds({0, 0, never, never});
  } else if (config.size() > 3 && config.compare(config.size() - 3, 3, "_nt") == 0) {
    umaccess::dispatch::select(config.substr(0, config.size() - 3));
    umaccess::dispatch::set_thresholds({never, never, 0, 0});
  } else {
    umaccess::dispatch::select(config);
    umaccess::dispatch::set_thresholds({never, never, never, never});
  }
}

// Fixture base: applies the kernel configuration (or plain variant) named by the test
// parameter, restores "auto" with derived thresholds after.
template <typename Param>
class VariantFixture : public ::testing::TestWithParam<Param> {
 protected:
  void select(const std::string& config) { apply_kernel_config(config); }
  void TearDown() override { apply_kernel_config("auto"); }
};

// Runs `f` and returns the StructuredException it threw; fails the test if it did not.
template <typename F>
umaccess::StructuredException expect_raise(F&& f) {
  try {
    f();
  } catch (const umaccess::StructuredException& e) {
    return e;
  }
  ADD_FAILURE() << "expected a StructuredException";
  return umaccess::StructuredException(0, 0, false);
}

}  // namespace umatest
