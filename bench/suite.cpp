// SPDX-License-Identifier: Apache-2.0
// bench/suite.cpp - the benchmark matrix (see suite.h). Every timed loop is a template
// instantiation with its operation inlined, so no extra call distorts the short lengths;
// baselines run in the same process and run, interleaved length by length with ours.
#include "suite.h"

#include <benchmark/benchmark.h>
#include <sys/mman.h>

#include <cstdio>
#include <cstring>
#include <sstream>

#include "arena.h"
#include "baselines.h"
#include "umaccess/usermode_accessors.h"

namespace umabench {

const std::vector<std::size_t>& report_lengths() {
  static const std::vector<std::size_t> lengths = {
      1,    2,    3,    4,     7,     8,      15,     16,      31,      32,
      63,   64,   100,  128,   255,   256,    512,    1 << 10, 2 << 10, 4 << 10,
      8 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20, 256 << 20};
  return lengths;
}

bool Name::parse(const std::string& s, Name* out) {
  std::vector<std::string> parts;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, '/');) parts.push_back(part);
  if (parts.size() < 5) return false;
  out->family = parts[0];
  out->series = parts[1];
  out->alignment = parts[2];
  out->cache = parts[3];
  out->length = std::stoull(parts[4]);
  return true;
}

namespace {

struct Case {
  Name name;
  std::size_t src_offset = 0, dst_offset = 0;  // from 64-byte aligned bases
  bool overlapping = false;                    // move: both in one buffer,
  long move_delta = 0;                         // dst = src + delta
};

bool is_ours(const std::string& series) {
  return series == "auto" || series.rfind("uma:", 0) == 0;
}
std::string variant_of(const std::string& series) {
  return series == "auto" ? "auto" : series.substr(4);
}

// The operations, one struct each. `call` is inlined into its own instantiation of the
// timed loop; it returns false when a baseline failed (a guard or the syscall saw a fault).
using Byte = unsigned char;
struct GlibcMemcpy {
  static bool call(Byte* d, const Byte* s, std::size_t n) { return g_memcpy(d, s, n), true; }
};
struct GlibcMemmove {
  static bool call(Byte* d, const Byte* s, std::size_t n) { return g_memmove(d, s, n), true; }
};
struct GlibcMemset {
  static bool call(Byte* d, const Byte*, std::size_t n) { return g_memset(d, 0x5A, n), true; }
};
struct SigsetjmpGuard0 {
  static bool call(Byte* d, const Byte* s, std::size_t n) { return guarded_memcpy(d, s, n, false); }
};
struct SigsetjmpGuard1 {
  static bool call(Byte* d, const Byte* s, std::size_t n) { return guarded_memcpy(d, s, n, true); }
};
struct ProcessVmReadv {
  static bool call(Byte* d, const Byte* s, std::size_t n) { return process_vm_read(d, s, n); }
};
struct CopyFromKernelMode {  // CopyFromUser's call and kernel without the user range check
  static bool call(Byte* d, const Byte* s, std::size_t n) {
    return CopyFromMode(d, s, n, KernelMode), true;
  }
};
struct CopyFromUserOp {
  static bool call(Byte* d, const Byte* s, std::size_t n) { return CopyFromUser(d, s, n), true; }
};
struct CopyToUserOp {
  static bool call(Byte* d, const Byte* s, std::size_t n) { return CopyToUser(d, s, n), true; }
};
struct CopyUserToUserOp {
  static bool call(Byte* d, const Byte* s, std::size_t n) {
    return CopyToUserFromUser(d, s, n), true;
  }
};
struct MoveUserToUserOp {
  static bool call(Byte* d, const Byte* s, std::size_t n) {
    return MoveToUserFromUser(d, s, n), true;
  }
};
struct FillUserOp {
  static bool call(Byte* d, const Byte*, std::size_t n) { return FillUserMemory(d, n, 0x5A), true; }
};
struct CopyNonTemporalOp {
  static bool call(Byte* d, const Byte* s, std::size_t n) {
    return CopyFromUserNonTemporal(d, s, n), true;
  }
};
struct ProbeForReadOp {
  static bool call(Byte*, const Byte* s, std::size_t n) { return ProbeForRead(s, n, 1), true; }
};
struct ProbeForWriteOp {
  static bool call(Byte* d, const Byte*, std::size_t n) { return ProbeForWrite(d, n, 1), true; }
};
// string_length: the length found, summed and checked after the loop.
struct GlibcStrlen {
  static std::size_t call(const char* str) { return g_strlen(str); }
};
struct StringLengthOp {
  static std::size_t call(const char* str) { return StringLengthFromUser(str); }
};
// The fault path: true when the fault was handled.
struct CaughtException {
  static bool call(Byte* d, const Byte* s) {
    try {
      CopyFromUser(d, s, 64);
    } catch (const umaccess::StructuredException&) {
      return true;
    }
    return false;
  }
};
struct StatusApi {
  static bool call(Byte* d, const Byte* s) {
    return umaccess_copy_from_user(d, s, 64, nullptr) == STATUS_ACCESS_VIOLATION;
  }
};
struct SigsetjmpGuard1Fault {
  static bool call(Byte* d, const Byte* s) { return !guarded_memcpy(d, s, 64, true); }
};
// Bandwidth ceilings.
struct PlainNtCopy {
  static bool call(Byte* d, const Byte* s, std::size_t n) { return plain_nt_copy(d, s, n), true; }
};
struct PlainNtStore {
  static bool call(Byte* d, const Byte*, std::size_t n) { return plain_nt_store(d, n), true; }
};
struct PlainLoad {
  static bool call(Byte*, const Byte* s, std::size_t n) {
    benchmark::DoNotOptimize(plain_load(s, n));
    return true;
  }
};

// The timed loop: `op` is inlined into each instantiation.
template <typename Op>
void timed(benchmark::State& state, const Case& c, unsigned char* src, unsigned char* dst, Op op) {
  const bool cold = c.name.cache == "cold";
  const std::size_t n = c.name.length;
  for (auto _ : state) {
    if (cold) {
      state.PauseTiming();
      flush_from_caches(src, n + 64);
      flush_from_caches(dst, n + 64);
      state.ResumeTiming();
    }
    op();
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

// The buffers of a case, with its series' variant selected.
struct Buffers {
  unsigned char *src, *dst;
};
Buffers prepare(const Case& c) {
  if (is_ours(c.name.series)) umaccess::dispatch::select(variant_of(c.name.series));
  Arena& a = arena();
  a.ensure(c.name.length + 2 * 4096);
  Buffers b{a.src.data() + 4096 + c.src_offset, a.dst.data() + 4096 + c.dst_offset};
  if (c.overlapping) {  // both inside one buffer, overlapping by the delta
    b.src = a.dst.data() + 4096;
    b.dst = b.src + c.move_delta;
  }
  return b;
}
void finish(benchmark::State& state, const Case& c, bool ok) {
  if (!ok) state.SkipWithError("a baseline copy failed");
  if (is_ours(c.name.series)) umaccess::dispatch::select("auto");
}

// A copy, move, fill or probe of the matrix.
template <typename Op>
void timed_case(benchmark::State& state, const Case& c) {
  const Buffers b = prepare(c);
  unsigned char *src = b.src, *dst = b.dst;
  const std::size_t n = c.name.length;
  bool ok = true;
  timed(state, c, src, dst, [&] { ok &= Op::call(dst, src, n); });
  finish(state, c, ok);
}

// string_length: a string of n bytes, then its NUL.
template <typename Op>
void timed_string_case(benchmark::State& state, const Case& c) {
  const Buffers b = prepare(c);
  unsigned char *src = b.src, *dst = b.dst;
  const std::size_t n = c.name.length;
  std::memset(src, 'a', n);
  src[n] = 0;
  const char* str = reinterpret_cast<const char*>(src);
  std::size_t sum = 0;
  timed(state, c, src, dst, [&] { sum += Op::call(str); });
  finish(state, c, sum == n * static_cast<std::size_t>(state.iterations()));
}

// The fault path: from a faulting access to the code that handles it.
const unsigned char* faulting_source() {
  static Mapping guarded(2 * 4096);
  static bool once = (mprotect(guarded.data() + 4096, 4096, PROT_NONE), true);
  (void)once;
  return guarded.data() + 4096 - 8;  // 8 bytes, then the guard page
}
template <typename Op>
void fault_case(benchmark::State& state, const Case&) {
  const unsigned char* src = faulting_source();
  unsigned char dst[64];
  std::size_t handled = 0;
  for (auto _ : state) handled += Op::call(dst, src);
  if (handled != static_cast<std::size_t>(state.iterations())) state.SkipWithError("a fault was not handled");
}

// Bandwidth ceilings at a size beyond the last-level cache.
struct CeilingBuffers {
  Mapping src, dst;
};
CeilingBuffers& ceiling_buffers(std::size_t n) {
  static CeilingBuffers b;
  if (b.src.size() < n) {
    b.src = Mapping(n);
    b.dst = Mapping(n);
  }
  return b;
}
template <typename Op>
void ceiling_case(benchmark::State& state, const Case& c) {
  const std::size_t n = c.name.length;
  CeilingBuffers& b = ceiling_buffers(n);
  for (auto _ : state) {
    Op::call(b.dst.data(), b.src.data(), n);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

// Where a series runs in its family's matrix.
enum class Scope {
  kEvery,       // every alignment, cache mode and length of the family
  kAlignedHot,  // aligned and hot only: the guards, the syscall and kernel_mode matter there
  kVariants,    // "uma:*": one series per supported variant, "uma:<variant>", everywhere
};

// The table: one row per (family, series), naming the operation it times. Within a family,
// series are registered in this order at each length, alignment and cache mode.
struct Series {
  const char* family;
  const char* series;
  void (*run)(benchmark::State&, const Case&);
  Scope scope;
  bool headline;  // aligned and hot, it runs for the longer headline time
};
const Series kSeries[] = {
    {"copy_from_user", "memcpy", timed_case<GlibcMemcpy>, Scope::kEvery, true},
    // kernel_mode: the same call and kernel as auto without the user range check, so the
    // report can show what the check itself costs.
    {"copy_from_user", "kernel_mode", timed_case<CopyFromKernelMode>, Scope::kAlignedHot, true},
    {"copy_from_user", "sigsetjmp0", timed_case<SigsetjmpGuard0>, Scope::kAlignedHot, false},
    {"copy_from_user", "sigsetjmp1", timed_case<SigsetjmpGuard1>, Scope::kAlignedHot, false},
    {"copy_from_user", "process_vm_readv", timed_case<ProcessVmReadv>, Scope::kAlignedHot, false},
    {"copy_from_user", "auto", timed_case<CopyFromUserOp>, Scope::kEvery, true},
    {"copy_from_user", "uma:*", timed_case<CopyFromUserOp>, Scope::kVariants, false},
    {"copy_to_user", "memcpy", timed_case<GlibcMemcpy>, Scope::kEvery, false},
    {"copy_to_user", "auto", timed_case<CopyToUserOp>, Scope::kEvery, false},
    {"copy_to_user", "uma:*", timed_case<CopyToUserOp>, Scope::kVariants, false},
    {"copy_user_to_user", "memcpy", timed_case<GlibcMemcpy>, Scope::kEvery, false},
    {"copy_user_to_user", "auto", timed_case<CopyUserToUserOp>, Scope::kEvery, false},
    {"copy_user_to_user", "uma:*", timed_case<CopyUserToUserOp>, Scope::kVariants, false},
    {"move", "memmove", timed_case<GlibcMemmove>, Scope::kEvery, false},
    {"move", "auto", timed_case<MoveUserToUserOp>, Scope::kEvery, false},
    {"move", "uma:*", timed_case<MoveUserToUserOp>, Scope::kVariants, false},
    {"fill", "memset", timed_case<GlibcMemset>, Scope::kEvery, false},
    {"fill", "auto", timed_case<FillUserOp>, Scope::kEvery, false},
    {"fill", "uma:*", timed_case<FillUserOp>, Scope::kVariants, false},
    {"copy_nt", "memcpy", timed_case<GlibcMemcpy>, Scope::kEvery, false},
    {"copy_nt", "auto", timed_case<CopyNonTemporalOp>, Scope::kEvery, false},
    {"copy_nt", "uma:*", timed_case<CopyNonTemporalOp>, Scope::kVariants, false},
    // One string routine serves every variant: auto only.
    {"string_length", "strlen", timed_string_case<GlibcStrlen>, Scope::kEvery, false},
    {"string_length", "auto", timed_string_case<StringLengthOp>, Scope::kEvery, false},
    // The Windows probes a driver runs before touching user memory.
    {"probe", "ProbeForRead", timed_case<ProbeForReadOp>, Scope::kEvery, false},
    {"probe", "ProbeForWrite", timed_case<ProbeForWriteOp>, Scope::kEvery, false},
    // A faulting 64-byte copy, at a0/hot/64 only.
    {"fault", "exception", fault_case<CaughtException>, Scope::kEvery, false},
    {"fault", "status", fault_case<StatusApi>, Scope::kEvery, false},
    {"fault", "sigsetjmp1", fault_case<SigsetjmpGuard1Fault>, Scope::kEvery, false},
    // At Options::ceiling_bytes, cold, when it is not 0.
    {"ceiling", "plain_nt_copy", ceiling_case<PlainNtCopy>, Scope::kEvery, false},
    {"ceiling", "copy_nt_auto", ceiling_case<CopyNonTemporalOp>, Scope::kEvery, false},
    {"ceiling", "memcpy", ceiling_case<GlibcMemcpy>, Scope::kEvery, false},
    {"ceiling", "plain_nt_store", ceiling_case<PlainNtStore>, Scope::kEvery, false},
    {"ceiling", "fill_auto", ceiling_case<FillUserOp>, Scope::kEvery, false},
    {"ceiling", "plain_load", ceiling_case<PlainLoad>, Scope::kEvery, false},
};

std::string name_of(const Name& n) {
  return n.family + "/" + n.series + "/" + n.alignment + "/" + n.cache + "/" + std::to_string(n.length);
}

struct Alignment {
  const char* name;
  std::size_t src, dst;
  long delta;
};

}  // namespace

std::size_t register_suite(const Options& o, Part part, const std::string& variant) {
  std::vector<std::string> variants;
  if (part == Part::kVariant)
    variants.push_back("uma:" + variant);
  else if (part == Part::kAll)
    for (const auto& v : umaccess::dispatch::variants())
      if (v.supported) variants.push_back("uma:" + v.name);

  const std::vector<Alignment> copy_alignments = {{"a0", 0, 0, 0}, {"s1d3", 1, 3, 0}, {"s33d33", 33, 33, 0}};
  const std::vector<Alignment> move_alignments = {{"dst+5", 0, 0, 5}, {"dst-5", 0, 0, -5}};
  const std::vector<Alignment> fill_alignments = {{"a0", 0, 0, 0}, {"d3", 0, 3, 0}};
  const std::vector<Alignment> nt_alignments = {{"a0", 0, 0, 0}, {"s1d3", 1, 3, 0}};
  const std::vector<Alignment> string_alignments = {{"a0", 0, 0, 0}, {"s7", 7, 0, 0}};
  const std::vector<Alignment> aligned = {{"a0", 0, 0, 0}};
  // The families of the matrix, in the order they run; their series are kSeries' rows.
  struct Family {
    const char* name;
    const std::vector<Alignment>* alignments;
    bool cold;               // also with cold caches from 1 MiB (not in quick mode)
    std::size_t max_length;  // none of its lengths above this
    bool overlapping;        // source and destination in one buffer (the alignment's delta)
  };
  constexpr std::size_t kAll = ~std::size_t{0};
  const std::vector<Family> families = {
      {"copy_from_user", &copy_alignments, true, kAll, false},
      {"copy_to_user", &copy_alignments, true, kAll, false},
      {"copy_user_to_user", &copy_alignments, true, kAll, false},
      {"move", &move_alignments, true, kAll, true},
      {"fill", &fill_alignments, true, kAll, false},
      {"copy_nt", &nt_alignments, true, kAll, false},
      {"string_length", &string_alignments, true, std::size_t{1} << 20, false},
      {"probe", &aligned, false, kAll, false},
  };

  std::size_t count = 0;
  auto add = [&](const Series& row, const Case& c, double min_time) {
    benchmark::RegisterBenchmark(name_of(c.name).c_str(), row.run, c)
        ->Unit(benchmark::kNanosecond)
        ->MinTime(min_time)
        ->UseRealTime();
    ++count;
  };
  for (const Family& f : families) {
    for (std::size_t n : report_lengths()) {
      if (n > o.max_length || n > f.max_length) continue;
      for (const Alignment& al : *f.alignments) {
        for (const char* cache : {"hot", "cold"}) {
          const bool cold = std::string(cache) == "cold";
          if (cold && (!f.cold || o.quick || n < (std::size_t{1} << 20))) continue;
          const bool aligned_hot = std::string(al.name) == "a0" && !cold;
          for (const Series& row : kSeries) {
            if (row.family != std::string(f.name)) continue;
            if (row.scope == Scope::kAlignedHot && !aligned_hot) continue;
            const bool variant_row = row.scope == Scope::kVariants;
            if ((part == Part::kShared && variant_row) || (part == Part::kVariant && !variant_row))
              continue;
            std::vector<std::string> names = {row.series};
            if (row.scope == Scope::kVariants) names = variants;
            for (const std::string& s : names) {
              Case c;
              c.name = {f.name, s, al.name, cache, n};
              c.src_offset = al.src;
              c.dst_offset = al.dst;
              c.overlapping = f.overlapping;
              c.move_delta = al.delta;
              add(row, c, row.headline && aligned_hot ? o.headline_time : o.min_time);
            }
          }
        }
      }
    }
  }
  if (part == Part::kVariant) return count;
  for (const Series& row : kSeries) {
    Case c;
    if (row.family == std::string("fault")) {
      c.name = {row.family, row.series, "a0", "hot", 64};
      add(row, c, o.min_time);
    } else if (row.family == std::string("ceiling") && o.ceiling_bytes != 0) {
      c.name = {row.family, row.series, "a0", "cold", o.ceiling_bytes};
      benchmark::RegisterBenchmark(name_of(c.name).c_str(), row.run, c)
          ->Unit(benchmark::kMillisecond)
          ->MinTime(o.quick ? 0.1 : 1.0)
          ->UseRealTime();
      ++count;
    }
  }
  return count;
}

}  // namespace umabench
