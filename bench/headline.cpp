// SPDX-License-Identifier: Apache-2.0
// bench/headline.cpp - see headline.h.
//
// A child measures; the parent only starts children and pools. A child prints one line per
// sample, "S <placement> <length> <round> <memcpy ns> <CopyFromUser ns> <C API ns>" (for the
// strings, placements "string" and "string_s7": strlen, StringLengthFromUser and
// umaccess_string_length_from_user; for the single accesses, "single:<accessor>": the plain
// access, the accessor, the C status function; for the streaming pairs, placements "streaming" and
// "streaming_fill": the plain non-temporal loop, ours (CopyFromUserNonTemporal,
// FillUserMemory), ours again), and "R <round>" as each round ends, so the parent can show
// progress.
#include "headline.h"

#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>

#include "arena.h"
#include "baselines.h"
#include "spec2017_memcpy_sizes.h"
#include "suite.h"
#include "umaccess/umaccess.hpp"
#include "umaccess/usermode_accessors.h"

namespace umabench {
namespace {

constexpr const char* kChildFlag = "--headline-child";
constexpr std::size_t kMixRegion = 256 * 1024;  // offsets of the mix's copies: L2-resident
constexpr int kMixCopies = 8192;
constexpr std::size_t kStringMaxLength = std::size_t{1} << 20;  // as the string_length family

double now_ns() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

// The three series, each inlined into its own loop.
enum Series { kMemcpy, kCxx, kC, kSeriesCount };

// The timed loop, placed at kPad bytes past a 64-byte boundary (padding executed once per
// sample, outside the loop). Short copies take whole cycles more or less with where the
// caller's loop sits (on the Zen 5 VM the 1-16 B band moved from 1.24 to 0.91 between two
// builds of this program, the kernels unchanged), so each process uses another placement.
template <int kPad, typename Op>
double per_call_ns(std::size_t reps, Op op) {
  const double t0 = now_ns();
  __asm__ volatile(".p2align 6\n\t.skip %c0, 0x90" ::"i"(kPad));
  for (std::size_t i = 0; i < reps; ++i) {
    op();
    __asm__ volatile("" ::: "memory");
  }
  return (now_ns() - t0) / static_cast<double>(reps);
}

// Series s of three operations: the baseline, the C++ path, the C status API.
template <int kPad, typename Baseline, typename Cxx, typename C>
double time_series_at(Series s, std::size_t reps, Baseline baseline, Cxx cxx, C c) {
  switch (s) {
    case kMemcpy: return per_call_ns<kPad>(reps, baseline);
    case kCxx: return per_call_ns<kPad>(reps, cxx);
    default: return per_call_ns<kPad>(reps, c);
  }
}

inline void check(umaccess_ntstatus status) {
  if (status != STATUS_SUCCESS) std::abort();
}

template <int kPad>
double time_fixed_at(Series s, unsigned char* d, const unsigned char* src, std::size_t n,
                     std::size_t reps) {
  return time_series_at<kPad>(
      s, reps, [=] { std::memcpy(d, src, n); }, [=] { CopyFromUser(d, src, n); },
      [=] { check(umaccess_copy_from_user(d, src, n, nullptr)); });
}

// The loop placement of this process (set from its index).
int g_placement = 0;

double time_fixed(Series s, unsigned char* d, const unsigned char* src, std::size_t n,
                  std::size_t reps) {
  switch (g_placement % 4) {
    case 0: return time_fixed_at<0>(s, d, src, n, reps);
    case 1: return time_fixed_at<16>(s, d, src, n, reps);
    case 2: return time_fixed_at<32>(s, d, src, n, reps);
    default: return time_fixed_at<48>(s, d, src, n, reps);
  }
}

// String lengths: glibc strlen, StringLengthFromUser and umaccess_string_length_from_user in
// the three series' slots.
inline void keep(std::size_t v) { __asm__ volatile("" ::"r"(v)); }

template <int kPad>
double time_string_at(Series s, const char* str, std::size_t reps) {
  return time_series_at<kPad>(
      s, reps, [=] { keep(std::strlen(str)); }, [=] { keep(StringLengthFromUser(str)); },
      [=] {
        std::size_t n;
        check(umaccess_string_length_from_user(str, &n));
        keep(n);
      });
}

double time_string(Series s, const char* str, std::size_t reps) {
  switch (g_placement % 4) {
    case 0: return time_string_at<0>(s, str, reps);
    case 1: return time_string_at<16>(s, str, reps);
    case 2: return time_string_at<32>(s, str, reps);
    default: return time_string_at<48>(s, str, reps);
  }
}

// Single accesses: the same access without fault safety (a volatile access; for the
// interlocked operations GCC's __atomic builtin, which on x86-64 is the same locked
// instruction or loop), the C++ accessor and the C status function, in the three series'
// slots. Each works on one naturally aligned word of user memory, holding a non-zero value.
template <int kPad>
double time_single_at(Series s, SingleAccess a, void* p, std::size_t reps) {
  auto* u32 = static_cast<volatile ULONG*>(p);
  auto* u64 = static_cast<volatile ULONG64*>(p);
  auto* l32 = static_cast<volatile LONG*>(p);
  auto* l64 = static_cast<volatile LONG64*>(p);
  switch (a) {
    case SingleAccess::kReadULong:
      return time_series_at<kPad>(
          s, reps, [=] { keep(*u32); }, [=] { keep(ReadULongFromUser(u32)); },
          [=] {
            std::uint32_t v;
            check(umaccess_read_u32_from_user(p, &v));
            keep(v);
          });
    case SingleAccess::kReadULong64Acquire:
      return time_series_at<kPad>(
          s, reps, [=] { keep(__atomic_load_n(u64, __ATOMIC_ACQUIRE)); },
          [=] { keep(ReadULong64FromUserAcquire(u64)); },
          [=] {
            std::uint64_t v;
            check(umaccess_read_u64_from_user_acquire(p, &v));
            keep(v);
          });
    case SingleAccess::kWriteULong:
      return time_series_at<kPad>(
          s, reps, [=] { *u32 = 0x5A5A5A5A; }, [=] { WriteULongToUser(u32, 0x5A5A5A5A); },
          [=] { check(umaccess_write_u32_to_user(p, 0x5A5A5A5A)); });
    case SingleAccess::kCompareExchange:
      return time_series_at<kPad>(
          s, reps,
          [=] {
            LONG expected = 0x5A5A5A5A;
            __atomic_compare_exchange_n(l32, &expected, 0x5A5A5A5A, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST);
            keep(static_cast<std::size_t>(expected));
          },
          [=] { keep(InterlockedCompareExchangeToUser(l32, 0x5A5A5A5A, 0x5A5A5A5A)); },
          [=] {
            std::int32_t original;
            check(umaccess_interlocked_compare_exchange_to_user(
                static_cast<std::int32_t*>(p), 0x5A5A5A5A, 0x5A5A5A5A, &original));
            keep(static_cast<std::size_t>(original));
          });
    default:
      return time_series_at<kPad>(
          s, reps, [=] { keep(__atomic_fetch_or(l64, 1, __ATOMIC_SEQ_CST)); },
          [=] { keep(InterlockedOr64ToUser(l64, 1)); },
          [=] {
            std::int64_t original;
            check(umaccess_interlocked_or64_to_user(static_cast<std::int64_t*>(p), 1, &original));
            keep(static_cast<std::size_t>(original));
          });
  }
}

// The word's value before each series: non-zero (an interlocked Or starts from a set bit, as
// on a flags word), and the compare-exchange's comperand.
void set_single_word(void* p) { *static_cast<volatile ULONG64*>(p) = 0x5A5A5A5A5A5A5A5Aull; }

double time_single(Series s, SingleAccess a, void* p, std::size_t reps) {
  switch (g_placement % 4) {
    case 0: return time_single_at<0>(s, a, p, reps);
    case 1: return time_single_at<16>(s, a, p, reps);
    case 2: return time_single_at<32>(s, a, p, reps);
    default: return time_single_at<48>(s, a, p, reps);
  }
}

struct MixCopy {
  std::uint32_t src, dst, len;
};

// kMixCopies copies drawn from the SPEC2017 distribution (sizes and both alignments), at
// random offsets in the region; the same set in every process (fixed seed).
std::vector<MixCopy> draw_mix() {
  std::vector<std::uint16_t> sizes;
  for (const auto& f : spec2017::kSizes) sizes.insert(sizes.end(), f.frequency, f.size);
  auto alignments = [](const auto& table) {
    std::vector<std::uint8_t> out;
    for (const auto& f : table) out.insert(out.end(), f.frequency, f.alignment);
    return out;
  };
  const auto src_align = alignments(spec2017::kSourceAlignments);
  const auto dst_align = alignments(spec2017::kDestinationAlignments);
  std::mt19937 rng(0x12345678);
  std::vector<MixCopy> copies(kMixCopies);
  for (MixCopy& c : copies) {
    c.dst = static_cast<std::uint32_t>(rng() & (kMixRegion - 1)) & ~(dst_align[rng() % dst_align.size()] - 1u);
    c.src = static_cast<std::uint32_t>(rng() & (kMixRegion - 1)) & ~(src_align[rng() % src_align.size()] - 1u);
    c.len = sizes[rng() % sizes.size()];
  }
  return copies;
}

double time_mix(Series s, unsigned char* d, const unsigned char* src, const std::vector<MixCopy>& mix) {
  const double t0 = now_ns();
  for (const MixCopy& c : mix) {
    switch (s) {
      case kMemcpy: std::memcpy(d + c.dst, src + c.src, c.len); break;
      case kCxx: CopyFromUser(d + c.dst, src + c.src, c.len); break;
      default:
        if (umaccess_copy_from_user(d + c.dst, src + c.src, c.len, nullptr) != STATUS_SUCCESS)
          std::abort();
    }
    __asm__ volatile("" ::: "memory");
  }
  return (now_ns() - t0) / static_cast<double>(mix.size());
}

// A streaming pair's sample: one call of each, far beyond the caches (no repetitions), the
// first of the two alternating with the round.
template <typename Plain, typename Ours>
void time_streaming_pair(const char* placement, std::size_t n, int round, Plain plain, Ours ours) {
  double t[2];
  for (int k = 0; k < 2; ++k) {
    const int which = (k + round) % 2;
    const double t0 = now_ns();
    if (which == 0) plain();
    else ours();
    t[which] = now_ns() - t0;
  }
  std::printf("S %s %zu %d %.4f %.4f %.4f\n", placement, n, round, t[0], t[1], t[1]);
}

struct Placement {
  const char* name;
  std::size_t src_offset, dst_offset;
};
// As the Google Benchmark tables: page-aligned, and source +1 / destination +3.
constexpr Placement kPlacements[] = {{"aligned", 0, 0}, {"misaligned", 1, 3}};
// Strings as the string_length family: page-aligned, and 7 bytes past a 64-byte boundary.
constexpr Placement kStringPlacements[] = {{"string", 0, 0}, {"string_s7", 7, 0}};

[[noreturn]] void run_child(int rounds, double sample_ns, std::size_t max_length, int index,
                            std::size_t streaming_bytes) {
  umaccess::install_fault_handler();
  g_placement = index;
  std::vector<std::size_t> lengths;
  for (std::size_t n : report_lengths())
    if (n <= max_length) lengths.push_back(n);
  const std::size_t capacity = lengths.back();
  Mapping src(capacity + 8192), dst(capacity + 8192);
  std::memset(src.data(), 0x3c, src.size());
  Mapping mix_src(kMixRegion + 8192), mix_dst(kMixRegion + 8192);
  std::memset(mix_src.data(), 0x5a, mix_src.size());
  const std::vector<MixCopy> mix = draw_mix();
  // The streaming pairs' buffers, touched first so no copy or fill pays for page faults.
  Mapping nt_src(streaming_bytes == 0 ? 4096 : streaming_bytes);
  Mapping nt_dst(streaming_bytes == 0 ? 4096 : streaming_bytes);
  std::memset(nt_src.data(), 0x3c, nt_src.size());
  std::memset(nt_dst.data(), 0, nt_dst.size());

  // Repetitions per sample, from a pilot memcpy at each length.
  std::vector<std::size_t> reps;
  for (std::size_t n : lengths) {
    time_fixed(kMemcpy, dst.data(), src.data(), n, 2);
    const double one = std::max(0.5, time_fixed(kMemcpy, dst.data(), src.data(), n, 8));
    reps.push_back(std::clamp<std::size_t>(static_cast<std::size_t>(sample_ns / one), 1, 2000000));
  }
  const std::size_t mix_reps = 1;  // one pass of 8192 copies: about 50-100 us
  // The strings: 'a's, a NUL put at the length being timed.
  std::vector<std::size_t> string_lengths, string_reps;
  for (std::size_t n : lengths)
    if (n <= kStringMaxLength) string_lengths.push_back(n);
  Mapping text(kStringMaxLength + 8192);
  std::memset(text.data(), 'a', text.size());
  for (std::size_t n : string_lengths) {
    char* str = reinterpret_cast<char*>(text.data());
    str[n] = 0;
    time_string(kMemcpy, str, 2);
    const double one = std::max(0.5, time_string(kMemcpy, str, 8));
    string_reps.push_back(std::clamp<std::size_t>(static_cast<std::size_t>(sample_ns / one), 1, 2000000));
    str[n] = 'a';
  }

  // The single accesses' word: naturally aligned, its own cache line.
  Mapping single_page(4096);
  void* const word = single_page.data() + 64;
  std::vector<std::size_t> single_reps;
  for (const SingleAccessInfo& a : kSingleAccesses) {
    set_single_word(word);
    time_single(kMemcpy, a.access, word, 2);
    const double one = std::max(0.5, time_single(kMemcpy, a.access, word, 8));
    single_reps.push_back(std::clamp<std::size_t>(static_cast<std::size_t>(sample_ns / one), 1, 2000000));
  }

  for (int r = 0; r < rounds; ++r) {
    int slot = 0;
    for (const Placement& p : kPlacements)
      for (std::size_t i = 0; i < lengths.size(); ++i, ++slot) {
        double t[kSeriesCount];
        for (int k = 0; k < kSeriesCount; ++k) {
          const auto s = static_cast<Series>((k + r + slot) % kSeriesCount);
          t[s] = time_fixed(s, dst.data() + p.dst_offset, src.data() + p.src_offset, lengths[i],
                            reps[i]);
        }
        std::printf("S %s %zu %d %.4f %.4f %.4f\n", p.name, lengths[i], r, t[kMemcpy], t[kCxx], t[kC]);
      }
    double t[kSeriesCount] = {};
    for (std::size_t rep = 0; rep < 4 * mix_reps; ++rep)  // four passes, rotating the order
      for (int k = 0; k < kSeriesCount; ++k) {
        const auto s = static_cast<Series>((k + r + static_cast<int>(rep)) % kSeriesCount);
        t[s] += time_mix(s, mix_dst.data(), mix_src.data(), mix) / 4;
      }
    std::printf("S mix 0 %d %.4f %.4f %.4f\n", r, t[kMemcpy], t[kCxx], t[kC]);
    for (const Placement& p : kStringPlacements)
      for (std::size_t i = 0; i < string_lengths.size(); ++i, ++slot) {
        char* str = reinterpret_cast<char*>(text.data()) + p.src_offset;
        str[string_lengths[i]] = 0;
        double ts[kSeriesCount];
        for (int k = 0; k < kSeriesCount; ++k) {
          const auto s = static_cast<Series>((k + r + slot) % kSeriesCount);
          ts[s] = time_string(s, str, string_reps[i]);
        }
        str[string_lengths[i]] = 'a';
        std::printf("S %s %zu %d %.4f %.4f %.4f\n", p.name, string_lengths[i], r, ts[kMemcpy],
                    ts[kCxx], ts[kC]);
      }
    for (std::size_t i = 0; i < std::size(kSingleAccesses); ++i, ++slot) {
      double ts[kSeriesCount];
      for (int k = 0; k < kSeriesCount; ++k) {
        const auto s = static_cast<Series>((k + r + slot) % kSeriesCount);
        set_single_word(word);
        ts[s] = time_single(s, kSingleAccesses[i].access, word, single_reps[i]);
      }
      std::printf("S %s %zu %d %.4f %.4f %.4f\n", single_placement(kSingleAccesses[i]).c_str(),
                  kSingleAccesses[i].size, r, ts[kMemcpy], ts[kCxx], ts[kC]);
    }
    if (streaming_bytes != 0) {
      unsigned char* d = nt_dst.data();
      const unsigned char* s = nt_src.data();
      const std::size_t n = streaming_bytes;
      time_streaming_pair(
          "streaming", n, r, [=] { plain_nt_copy(d, s, n); },
          [=] { CopyFromUserNonTemporal(d, s, n); });
      // FillUserMemory streams from the plan's non-temporal fill threshold on. Where it does
      // not at this length the pair would compare a cached fill with a streaming loop, which
      // the report does not use (it says why from the same plan): not timed. The byte is
      // plain_nt_store's.
      if (fill_streams_at(n))
        time_streaming_pair(
            "streaming_fill", n, r, [=] { plain_nt_store(d, n); },
            [=] { FillUserMemory(d, n, 0x5A); });
    }
    std::printf("R %d\n", r);
    std::fflush(stdout);
  }
  std::fflush(stdout);
  std::_Exit(0);
}

struct Sample {
  int process;
  double t[kSeriesCount];
};

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(pos);
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

Ratio ratio_of(const std::vector<Sample>& samples, Series num, Series den, int processes) {
  Ratio out;
  std::vector<double> all;
  std::vector<std::vector<double>> per(static_cast<std::size_t>(processes));
  for (const Sample& s : samples) {
    const double x = s.t[num] / s.t[den];
    all.push_back(x);
    per[static_cast<std::size_t>(s.process)].push_back(x);
  }
  if (all.empty()) return out;
  out.median = quantile(all, 0.5);
  out.q1 = quantile(all, 0.25);
  out.q3 = quantile(all, 0.75);
  out.samples = all.size();
  out.process_min = 1e300;
  out.process_max = 0;
  for (const auto& p : per)
    if (!p.empty()) {
      const double m = quantile(p, 0.5);
      out.process_min = std::min(out.process_min, m);
      out.process_max = std::max(out.process_max, m);
    }
  return out;
}

std::string self_path() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw std::runtime_error("headline: cannot read /proc/self/exe");
  buf[n] = '\0';
  return buf;
}

}  // namespace

void headline_child_main_if_asked(int argc, char** argv) {
  if (argc != 7 || std::strcmp(argv[1], kChildFlag) != 0) return;
  run_child(std::atoi(argv[2]), std::atof(argv[3]), std::strtoull(argv[4], nullptr, 10),
            std::atoi(argv[5]), std::strtoull(argv[6], nullptr, 10));
}

Headline measure_headline(const HeadlineOptions& o) {
  std::map<std::string, std::map<std::size_t, std::vector<Sample>>> samples;
  const std::string self = self_path();
  const bool tty = isatty(2) != 0;
  for (int p = 0; p < o.processes; ++p) {
    const std::string cmd = "'" + self + "' " + kChildFlag + " " + std::to_string(o.rounds) + " " +
                            std::to_string(o.sample_ns) + " " + std::to_string(o.max_length) + " " +
                            std::to_string(p) + " " + std::to_string(o.streaming_bytes);
    FILE* child = popen(cmd.c_str(), "r");
    if (child == nullptr) throw std::runtime_error("headline: cannot start " + cmd);
    char line[256];
    int rounds_done = 0;
    while (std::fgets(line, sizeof line, child) != nullptr) {
      char placement[64];
      std::size_t length;
      int round;
      Sample s{p, {}};
      if (std::sscanf(line, "S %63s %zu %d %lf %lf %lf", placement, &length, &round, &s.t[kMemcpy],
                      &s.t[kCxx], &s.t[kC]) == 6) {
        samples[placement][length].push_back(s);
      } else if (std::sscanf(line, "R %d", &round) == 1) {
        rounds_done = round + 1;
        if (tty)
          std::fprintf(stderr, "\r[headline] process %d/%d, round %d/%d   ", p + 1, o.processes,
                       rounds_done, o.rounds);
      }
    }
    const int status = pclose(child);
    if (status != 0 || rounds_done != o.rounds)
      throw std::runtime_error("headline: a measuring process failed (" + cmd + ")");
  }
  if (tty) std::fputc('\n', stderr);

  Headline out;
  for (const auto& [placement, by_length] : samples)
    for (const auto& [length, s] : by_length) {
      HeadlinePoint& h = out[placement][length];
      std::vector<double> t[kSeriesCount];
      for (const Sample& x : s)
        for (int k = 0; k < kSeriesCount; ++k) t[k].push_back(x.t[k]);
      h.memcpy_ns = quantile(t[kMemcpy], 0.5);
      h.cxx_ns = quantile(t[kCxx], 0.5);
      h.c_ns = quantile(t[kC], 0.5);
      h.cxx = ratio_of(s, kCxx, kMemcpy, o.processes);
      h.c = ratio_of(s, kC, kMemcpy, o.processes);
      h.c_over_cxx = ratio_of(s, kC, kCxx, o.processes);
      if (placement == "streaming" || placement == "streaming_fill")
        h.streaming_share = ratio_of(s, kMemcpy, kCxx, o.processes);
    }
  return out;
}

std::string fill_kernel_at(std::size_t n) {
  return umaccess::dispatch::kernel_for(umaccess::dispatch::Operation::Fill, n);
}
bool fill_streams_at(std::size_t n) {
  return fill_kernel_at(n).find("_nt_") != std::string::npos;  // uma_fill_nt_<isa>
}

std::string mix_description() {
  return std::to_string(kMixCopies) +
         " copies of 0-4095 bytes with the sizes and source/destination alignments of memcpy "
         "calls in SPEC CPU2017 (the distribution of Arm optimized-routines' "
         "string/bench/memcpy.c and glibc's bench-memcpy-random), at random offsets in a " +
         std::to_string(kMixRegion / 1024) + " KiB region";
}

}  // namespace umabench
