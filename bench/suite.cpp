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
  long move_delta = 0;                         // move: dst = src + delta
};

bool is_ours(const std::string& series) {
  return series == "auto" || series.rfind("uma:", 0) == 0;
}
std::string variant_of(const std::string& series) {
  return series == "auto" ? "auto" : series.substr(4);
}

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

void run_case(benchmark::State& state, Case c) {
  const std::string& family = c.name.family;
  const std::string& series = c.name.series;
  const std::size_t n = c.name.length;
  if (is_ours(series)) umaccess::dispatch::select(variant_of(series));
  Arena& a = arena();
  a.ensure(n + 2 * 4096);
  unsigned char* src = a.src.data() + 4096 + c.src_offset;
  unsigned char* dst = a.dst.data() + 4096 + c.dst_offset;
  if (family == "move") {  // both inside one buffer, overlapping by the delta
    src = a.dst.data() + 4096;
    dst = src + c.move_delta;
  }
  bool ok = true;
  if (family == "copy_from_user") {
    if (series == "memcpy") timed(state, c, src, dst, [&] { g_memcpy(dst, src, n); });
    else if (series == "sigsetjmp0") timed(state, c, src, dst, [&] { ok &= guarded_memcpy(dst, src, n, false); });
    else if (series == "sigsetjmp1") timed(state, c, src, dst, [&] { ok &= guarded_memcpy(dst, src, n, true); });
    else if (series == "process_vm_readv") timed(state, c, src, dst, [&] { ok &= process_vm_read(dst, src, n); });
    else if (series == "kernel_mode") timed(state, c, src, dst, [&] { CopyFromMode(dst, src, n, KernelMode); });
    else timed(state, c, src, dst, [&] { CopyFromUser(dst, src, n); });
  } else if (family == "copy_to_user") {
    if (series == "memcpy") timed(state, c, src, dst, [&] { g_memcpy(dst, src, n); });
    else timed(state, c, src, dst, [&] { CopyToUser(dst, src, n); });
  } else if (family == "copy_user_to_user") {
    if (series == "memcpy") timed(state, c, src, dst, [&] { g_memcpy(dst, src, n); });
    else timed(state, c, src, dst, [&] { CopyToUserFromUser(dst, src, n); });
  } else if (family == "move") {
    if (series == "memmove") timed(state, c, src, dst, [&] { g_memmove(dst, src, n); });
    else timed(state, c, src, dst, [&] { MoveToUserFromUser(dst, src, n); });
  } else if (family == "fill") {
    if (series == "memset") timed(state, c, src, dst, [&] { g_memset(dst, 0x5A, n); });
    else timed(state, c, src, dst, [&] { FillUserMemory(dst, n, 0x5A); });
  } else if (family == "probe") {  // the Windows probes a driver runs before touching user memory
    if (series == "ProbeForRead") timed(state, c, src, dst, [&] { ProbeForRead(src, n, 1); });
    else timed(state, c, src, dst, [&] { ProbeForWrite(dst, n, 1); });
  } else if (family == "string_length") {  // a string of n bytes, then its NUL
    std::memset(src, 'a', n);
    src[n] = 0;
    const char* str = reinterpret_cast<const char*>(src);
    std::size_t sum = 0;
    if (series == "strlen") timed(state, c, src, dst, [&] { sum += g_strlen(str); });
    else timed(state, c, src, dst, [&] { sum += StringLengthFromUser(str); });
    ok = sum == n * static_cast<std::size_t>(state.iterations());
  } else if (family == "copy_nt") {
    if (series == "memcpy") timed(state, c, src, dst, [&] { g_memcpy(dst, src, n); });
    else timed(state, c, src, dst, [&] { CopyFromUserNonTemporal(dst, src, n); });
  }
  if (!ok) state.SkipWithError("a baseline copy failed");
  if (is_ours(series)) umaccess::dispatch::select("auto");
}

// The fault path: from a faulting access to the code that handles it.
void run_fault(benchmark::State& state, std::string series) {
  static Mapping guarded(2 * 4096);
  static bool once = (mprotect(guarded.data() + 4096, 4096, PROT_NONE), true);
  (void)once;
  const unsigned char* src = guarded.data() + 4096 - 8;  // 8 bytes, then the guard page
  unsigned char dst[64];
  std::size_t handled = 0;
  for (auto _ : state) {
    if (series == "exception") {
      try {
        CopyFromUser(dst, src, 64);
      } catch (const umaccess::StructuredException&) {
        ++handled;
      }
    } else if (series == "status") {
      handled += umaccess_copy_from_user(dst, src, 64, nullptr) == STATUS_ACCESS_VIOLATION;
    } else {
      handled += !guarded_memcpy(dst, src, 64, true);
    }
  }
  if (handled != static_cast<std::size_t>(state.iterations())) state.SkipWithError("a fault was not handled");
}

// Bandwidth ceilings at a size beyond the last-level cache.
void run_ceiling(benchmark::State& state, std::string series, std::size_t n) {
  static Mapping src, dst;
  if (src.size() < n) {
    src = Mapping(n);
    dst = Mapping(n);
  }
  for (auto _ : state) {
    if (series == "plain_nt_copy") plain_nt_copy(dst.data(), src.data(), n);
    else if (series == "plain_nt_store") plain_nt_store(dst.data(), n);
    else if (series == "plain_load") benchmark::DoNotOptimize(plain_load(src.data(), n));
    else if (series == "memcpy") g_memcpy(dst.data(), src.data(), n);
    else CopyFromUserNonTemporal(dst.data(), src.data(), n);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

std::string name_of(const Name& n) {
  return n.family + "/" + n.series + "/" + n.alignment + "/" + n.cache + "/" + std::to_string(n.length);
}

struct Alignment {
  const char* name;
  std::size_t src, dst;
  long delta;
};

}  // namespace

std::size_t register_suite(const Options& o) {
  std::vector<std::string> ours = {"auto"};
  for (const auto& v : umaccess::dispatch::variants())
    if (v.supported) ours.push_back("uma:" + v.name);

  const std::vector<Alignment> copy_alignments = {{"a0", 0, 0, 0}, {"s1d3", 1, 3, 0}, {"s33d33", 33, 33, 0}};
  const std::vector<Alignment> move_alignments = {{"dst+5", 0, 0, 5}, {"dst-5", 0, 0, -5}};
  const std::vector<Alignment> fill_alignments = {{"a0", 0, 0, 0}, {"d3", 0, 3, 0}};
  const std::vector<Alignment> nt_alignments = {{"a0", 0, 0, 0}, {"s1d3", 1, 3, 0}};
  const std::vector<Alignment> string_alignments = {{"a0", 0, 0, 0}, {"s7", 7, 0, 0}};
  struct Family {
    const char* name;
    std::vector<std::string> baselines;
    const std::vector<Alignment>* alignments;
  };
  const std::vector<Family> families = {
      // kernel_mode: the same call and kernel as auto without the user range check, so the
      // report can show what the check itself costs.
      {"copy_from_user", {"memcpy", "kernel_mode", "sigsetjmp0", "sigsetjmp1", "process_vm_readv"},
       &copy_alignments},
      {"copy_to_user", {"memcpy"}, &copy_alignments},
      {"copy_user_to_user", {"memcpy"}, &copy_alignments},
      {"move", {"memmove"}, &move_alignments},
      {"fill", {"memset"}, &fill_alignments},
      {"copy_nt", {"memcpy"}, &nt_alignments},
      // One string routine serves every variant: auto only, up to 1 MiB.
      {"string_length", {"strlen"}, &string_alignments},
  };

  std::size_t count = 0;
  auto add = [&](const Case& c, double min_time) {
    benchmark::RegisterBenchmark(name_of(c.name).c_str(), run_case, c)
        ->Unit(benchmark::kNanosecond)
        ->MinTime(min_time)
        ->UseRealTime();
    ++count;
  };
  for (const Family& f : families) {
    for (std::size_t n : report_lengths()) {
      if (n > o.max_length) continue;
      for (const Alignment& al : *f.alignments) {
        for (const char* cache : {"hot", "cold"}) {
          const bool cold = std::string(cache) == "cold";
          if (cold && (o.quick || n < (std::size_t{1} << 20))) continue;
          std::vector<std::string> series = f.baselines;
          // The guards and the syscall only matter aligned and hot.
          if (std::string(al.name) != "a0" || cold) series.resize(1);
          if (std::string(f.name) == "string_length") {
            if (n > (std::size_t{1} << 20)) continue;
            series.push_back("auto");
          } else {
            series.insert(series.end(), ours.begin(), ours.end());
          }
          for (const std::string& s : series) {
            Case c;
            c.name = {f.name, s, al.name, cache, n};
            c.src_offset = al.src;
            c.dst_offset = al.dst;
            c.move_delta = al.delta;
            const bool headline = std::string(f.name) == "copy_from_user" &&
                                  (s == "auto" || s == "memcpy" || s == "kernel_mode") &&
                                  std::string(al.name) == "a0" && !cold;
            add(c, headline ? o.headline_time : o.min_time);
          }
        }
      }
    }
  }
  for (std::size_t n : report_lengths()) {
    if (n > o.max_length) continue;
    for (const char* s : {"ProbeForRead", "ProbeForWrite"}) {
      Case c;
      c.name = {"probe", s, "a0", "hot", n};
      add(c, o.min_time);
    }
  }
  for (const char* s : {"exception", "status", "sigsetjmp1"}) {
    benchmark::RegisterBenchmark((std::string("fault/") + s + "/a0/hot/64").c_str(), run_fault, s)
        ->Unit(benchmark::kNanosecond)
        ->MinTime(o.min_time)
        ->UseRealTime();
    ++count;
  }
  if (o.ceiling_bytes != 0) {
    for (const char* s : {"plain_nt_copy", "copy_nt_auto", "memcpy", "plain_nt_store", "plain_load"}) {
      benchmark::RegisterBenchmark(
          ("ceiling/" + std::string(s) + "/a0/cold/" + std::to_string(o.ceiling_bytes)).c_str(),
          run_ceiling, s, o.ceiling_bytes)
          ->Unit(benchmark::kMillisecond)
          ->MinTime(o.quick ? 0.1 : 1.0)
          ->UseRealTime();
      ++count;
    }
  }
  return count;
}

}  // namespace umabench
