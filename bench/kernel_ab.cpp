// SPDX-License-Identifier: Apache-2.0
// bench/kernel_ab.cpp - two versions of one x86-64 kernel, timed side by side in one process
// beside glibc (memcpy, memset or strlen), for bench/kernel_ab.sh: the driver behind "Comparing two
// kernels" in docs/performance.md.
//
// Why in one process: on a shared VM the time of a short call moves with the code's placement
// and, for stretches of milliseconds to seconds, with the host, by more than most changes a
// kernel gets; headline runs of two builds, one after the other, cannot tell those apart from
// the change. Here every round times the reference and both versions back to back, in a
// rotating order, at one length, and the figure is the median of the per-round ratios.
//
// Built by kernel_ab.sh with -DKERNEL_KIND_COPY, _MOVE, _FILL, _STRING or _WIDE_STRING and
// -DFIRST=<symbol> -DSECOND=<symbol>: the two versions' kernels, renamed (old_..., new_...).
// A move (uma_move_*) runs on overlapping buffers, the destination --distance bytes from the
// source (default 5: the report's dst+5), beside glibc's memmove; a length at or below the
// distance does not overlap, and the move then runs the copy.
// Wide strings (16-bit units; lengths in units) have no glibc routine of their own: the
// reference is strlen over a byte string of the same size in bytes, the same bytes to scan.
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "umaccess/umaccess.h"

#if defined(KERNEL_KIND_COPY) + defined(KERNEL_KIND_MOVE) + defined(KERNEL_KIND_FILL) + \
        defined(KERNEL_KIND_STRING) + defined(KERNEL_KIND_WIDE_STRING) != 1
#error "build with exactly one of -DKERNEL_KIND_COPY, _MOVE, _FILL, _STRING, _WIDE_STRING"
#endif

extern "C" {
#if defined(KERNEL_KIND_COPY) || defined(KERNEL_KIND_MOVE)
using Kernel = std::size_t (*)(void*, const void*, std::size_t, umaccess_fault_record*);
std::size_t FIRST(void*, const void*, std::size_t, umaccess_fault_record*);
std::size_t SECOND(void*, const void*, std::size_t, umaccess_fault_record*);
#elif defined(KERNEL_KIND_FILL)
using Kernel = std::size_t (*)(void*, int, std::size_t, umaccess_fault_record*);
std::size_t FIRST(void*, int, std::size_t, umaccess_fault_record*);
std::size_t SECOND(void*, int, std::size_t, umaccess_fault_record*);
#else
using Kernel = umaccess_value (*)(const void*, const void*, umaccess_fault_record*);
umaccess_value FIRST(const void*, const void*, umaccess_fault_record*);
umaccess_value SECOND(const void*, const void*, umaccess_fault_record*);
#endif
}

namespace {

#define KERNEL_AB_STR2(x) #x
#define KERNEL_AB_STR(x) KERNEL_AB_STR2(x)

volatile std::size_t g_sink;

double now_ns() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

// Where the calls go: a buffer with a guard-free margin, the source and destination at the
// offsets asked for (copies), or a string of 'a's with its NUL at the length (strings; wide
// strings: units 0x6161 at src, and the reference's byte string of twice the length at dst).
struct Buffers {
  unsigned char* src;
  unsigned char* dst;
};

// One timed loop for the reference and one for each version, each calling its kernel
// directly, each function starting a 64-byte line, so that the two versions' loops sit at
// the same offset in a line (the reference's loop is other code).
// (Until 2026-12-07 both versions shared one loop and called through a pointer: on the
// Zen 4 VM that made one of two identical copies, at whatever addresses, take up to 1.4 x
// the other's time at short lengths, and two loops of their own without the alignment
// 1.2 x; now identical copies read 1.000, see "Comparing two kernels" in
// docs/performance.md.)
__attribute__((noinline, aligned(64))) double time_reference(const Buffers& b, std::size_t n, int reps) {
  const double t0 = now_ns();
  for (int i = 0; i < reps; ++i) {
#if defined(KERNEL_KIND_COPY)
    std::memcpy(b.dst, b.src, n);
#elif defined(KERNEL_KIND_MOVE)
    std::memmove(b.dst, b.src, n);
#elif defined(KERNEL_KIND_FILL)
    std::memset(b.dst, 0x5a, n);
#elif defined(KERNEL_KIND_STRING)
    (void)n;
    g_sink = std::strlen(reinterpret_cast<const char*>(b.src));
#else
    (void)n;
    g_sink = std::strlen(reinterpret_cast<const char*>(b.dst));
#endif
    __asm__ volatile("" ::: "memory");
  }
  return (now_ns() - t0) / reps;
}

template <Kernel k>
__attribute__((noinline, aligned(64))) double time_kernel(const Buffers& b, std::size_t n, int reps) {
  umaccess_fault_record rec;
  const double t0 = now_ns();
  for (int i = 0; i < reps; ++i) {
#if defined(KERNEL_KIND_COPY) || defined(KERNEL_KIND_MOVE)
    g_sink = k(b.dst, b.src, n, &rec);
#elif defined(KERNEL_KIND_FILL)
    g_sink = k(b.dst, 0x5a, n, &rec);
#else
    (void)n;
    g_sink = k(b.src, reinterpret_cast<const void*>(UINTPTR_MAX), &rec).value;
#endif
    __asm__ volatile("" ::: "memory");
  }
  return (now_ns() - t0) / reps;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// A whole decimal number (or 0x hexadecimal) in [low, high], or false.
bool parse_count(const char* text, unsigned long low, unsigned long high, unsigned long* out) {
  if (*text < '0' || *text > '9') return false;
  char* end = nullptr;
  errno = 0;
  const unsigned long v = std::strtoul(text, &end, 0);
  if (errno != 0 || *end != '\0' || v < low || v > high) return false;
  *out = v;
  return true;
}

int usage() {
  std::fprintf(stderr,
               "usage: kernel_ab [--check] [--rounds N] [--offset SRC[,DST]] [--distance D]\n"
               "                 [LENGTH...]\n"
               "  times glibc's %s, %s and %s at each length (default: 1 B to 16 KiB;\n"
               "  each length once, 1 B to 16 MiB; N >= 3; offsets below 4096; a move's\n"
               "  destination D bytes from its source, -4095..4095 but 0, default 5);\n"
               "  --check only checks the arguments\n",
#if defined(KERNEL_KIND_COPY)
               "memcpy",
#elif defined(KERNEL_KIND_MOVE)
               "memmove",
#elif defined(KERNEL_KIND_FILL)
               "memset",
#elif defined(KERNEL_KIND_STRING)
               "strlen",
#else
               "strlen (over twice the length in bytes)",
#endif
               KERNEL_AB_STR(FIRST), KERNEL_AB_STR(SECOND));
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 61;
  std::size_t src_offset = 0, dst_offset = 0;
  long distance = 5;
  std::vector<std::size_t> lengths;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    unsigned long v = 0;
    if (a == "--check") {
      check_only = true;
    } else if (a == "--rounds" && i + 1 < argc) {
      if (!parse_count(argv[++i], 3, 100000, &v)) return usage();
      rounds = static_cast<int>(v);
    } else if (a == "--offset" && i + 1 < argc) {
      std::string both = argv[++i];
      const std::size_t comma = both.find(',');
      const std::string src = both.substr(0, comma);
      const std::string dst = comma == std::string::npos ? src : both.substr(comma + 1);
      if (!parse_count(src.c_str(), 0, 4095, &v)) return usage();
      src_offset = v;
      if (!parse_count(dst.c_str(), 0, 4095, &v)) return usage();
      dst_offset = v;
    } else if (a == "--distance" && i + 1 < argc) {
#ifdef KERNEL_KIND_MOVE
      const char* text = argv[++i];
      const bool negative = *text == '-';
      if (!parse_count(text + negative, 1, 4095, &v)) return usage();
      distance = negative ? -static_cast<long>(v) : static_cast<long>(v);
#else
      return usage();  // a move's option only
#endif
    } else if (parse_count(a.c_str(), 1, std::size_t{1} << 24, &v)) {
      if (std::find(lengths.begin(), lengths.end(), v) != lengths.end()) return usage();
      lengths.push_back(v);
    } else {
      return usage();
    }
  }
  if (check_only) return 0;
  if (lengths.empty())
    lengths = {1, 7, 16, 31, 32, 63, 64, 100, 128, 255, 256, 512, 1024, 2048, 4096, 16384};
  const std::size_t max_len = *std::max_element(lengths.begin(), lengths.end());
  // Twice the longest length: a wide string's units are two bytes.
  const std::size_t region = 2 * (2 * max_len + 8192);
  auto* base = static_cast<unsigned char*>(
      mmap(nullptr, region, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (base == MAP_FAILED) return 1;
  std::memset(base, 'a', region);
  Buffers b{base + 4096 + src_offset, base + region / 2 + 4096 + dst_offset};
#ifdef KERNEL_KIND_MOVE
  b.src = base + 2 * 4096 + src_offset;  // room below for a negative distance
  b.dst = b.src + distance;
#else
  (void)distance;
#endif

  std::printf("# %s = A, %s = B; ratios are medians of %d rounds' per-round ratios\n",
              KERNEL_AB_STR(FIRST), KERNEL_AB_STR(SECOND), rounds);
  std::printf("%8s %10s %8s %8s %8s\n", "length", "ref ns", "A/ref", "B/ref", "B/A");
  for (std::size_t n : lengths) {
#if defined(KERNEL_KIND_STRING)
    b.src[n] = 0;
#elif defined(KERNEL_KIND_WIDE_STRING)
    b.src[2 * n] = b.src[2 * n + 1] = 0;
    b.dst[2 * n] = 0;
#endif
    // About 20 us per timed loop: long enough for the clock, short enough to interleave.
    const double one = std::max(0.5, time_reference(b, n, 64));
    const int reps = std::clamp(static_cast<int>(20000.0 / one), 8, 20000);
    std::vector<double> ref_ns, a_ratio, b_ratio, ba_ratio;
    for (int r = 0; r < rounds; ++r) {
      double t[2];
      const double ref_before = time_reference(b, n, reps);
      for (int j = 0; j < 2; ++j) {
        const int k = (j + r) % 2;
        t[k] = k == 0 ? time_kernel<FIRST>(b, n, reps) : time_kernel<SECOND>(b, n, reps);
      }
      const double ref = std::min(ref_before, time_reference(b, n, reps));
      ref_ns.push_back(ref);
      a_ratio.push_back(t[0] / ref);
      b_ratio.push_back(t[1] / ref);
      ba_ratio.push_back(t[1] / t[0]);
    }
#if defined(KERNEL_KIND_STRING)
    b.src[n] = 'a';
#elif defined(KERNEL_KIND_WIDE_STRING)
    b.src[2 * n] = b.src[2 * n + 1] = 'a';
    b.dst[2 * n] = 'a';
#endif
    std::printf("%8zu %10.2f %8.3f %8.3f %8.3f\n", n, median(ref_ns), median(a_ratio),
                median(b_ratio), median(ba_ratio));
    std::fflush(stdout);
  }
  return 0;
}
