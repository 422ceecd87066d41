// bench/bench_report.cpp - the benchmark report: CopyFromUser through the public API, for
// `auto` and every supported variant, beside glibc memcpy in the same process and run,
// printed as a table of time ratios (ours / memcpy: lower is better).
//
// Usage: umaccess-bench-report [--quick] [Google Benchmark flags...]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "umaccess/usermode_accessors.h"

namespace {

const std::size_t kLengths[] = {1,    8,     16,    32,     64,      128,     256,
                                1024, 4096,  16384, 65536, 262144, 1048576};

// 64-byte aligned buffers big enough for the largest length, touched once up front.
struct Buffers {
  std::vector<unsigned char> storage;
  unsigned char* src;
  unsigned char* dst;
  Buffers() : storage(2 * (1u << 20) + 256, 1) {
    auto base = reinterpret_cast<std::uintptr_t>(storage.data());
    src = reinterpret_cast<unsigned char*>((base + 63) & ~std::uintptr_t{63});
    dst = src + (1u << 20) + 64;
  }
};
Buffers& buffers() {
  static Buffers b;
  return b;
}

// memcpy through a volatile pointer: the compiler cannot inline or elide it.
void* (*volatile g_memcpy)(void*, const void*, std::size_t) = std::memcpy;

void bm_memcpy(benchmark::State& state, std::size_t len) {
  Buffers& b = buffers();
  for (auto _ : state) {
    g_memcpy(b.dst, b.src, len);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * len));
}

void bm_copy_from_user(benchmark::State& state, std::string variant, std::size_t len) {
  umaccess::dispatch::select(variant);
  Buffers& b = buffers();
  for (auto _ : state) {
    CopyFromUser(b.dst, b.src, len);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * len));
  umaccess::dispatch::select("auto");
}

struct Row {
  double ns = 0;
  bool seen = false;
};

// Collects every run (name "<series>/<length>") while the console reporter prints them.
class Collector : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, std::map<std::size_t, Row>> series;  // series -> length -> time
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      const std::string name = run.benchmark_name();
      const auto slash = name.rfind('/');
      const std::size_t len = std::stoul(name.substr(slash + 1));
      Row& row = series[name.substr(0, slash)][len];
      row.ns = run.GetAdjustedRealTime();  // time unit set to ns below
      row.seen = true;
    }
  }
};

void print_table(const Collector& c, const std::vector<std::string>& ours) {
  const auto& base = c.series.at("memcpy");
  std::printf("\n## CopyFromUser / glibc memcpy (time ratio, lower is better)\n\n");
  std::printf("| length | memcpy ns |");
  for (const auto& s : ours) std::printf(" %s |", s.c_str());
  std::printf("\n|---:|---:|");
  for (std::size_t i = 0; i < ours.size(); ++i) std::printf("---:|");
  std::printf("\n");
  std::map<std::string, std::pair<double, int>> geo;  // log-sum, count
  for (const auto& [len, b] : base) {
    std::printf("| %zu | %.2f |", len, b.ns);
    for (const auto& s : ours) {
      const Row& r = c.series.at(s).at(len);
      const double ratio = r.ns / b.ns;
      geo[s].first += std::log(ratio);
      ++geo[s].second;
      std::printf(" %.2f |", ratio);
    }
    std::printf("\n");
  }
  std::printf("| **geomean** | |");
  for (const auto& s : ours) std::printf(" **%.2f** |", std::exp(geo[s].first / geo[s].second));
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args(argv, argv + argc);
  bool quick = false;
  args.erase(std::remove_if(args.begin() + 1, args.end(),
                            [&](char* a) { return std::strcmp(a, "--quick") == 0 && (quick = true); }),
             args.end());
  static char min_time[] = "--benchmark_min_time=0.05";
  if (quick) args.push_back(min_time);
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());

  std::vector<std::string> ours = {"CopyFromUser[auto:" + umaccess::dispatch::active() + "]"};
  for (std::size_t len : kLengths) {
    benchmark::RegisterBenchmark(("memcpy/" + std::to_string(len)).c_str(), bm_memcpy, len)
        ->Unit(benchmark::kNanosecond);
    benchmark::RegisterBenchmark((ours[0] + "/" + std::to_string(len)).c_str(),
                                 bm_copy_from_user, "auto", len)
        ->Unit(benchmark::kNanosecond);
  }
  for (const auto& v : umaccess::dispatch::variants()) {
    if (!v.supported) continue;
    const std::string series = "CopyFromUser[" + v.name + "]";
    ours.push_back(series);
    for (std::size_t len : kLengths)
      benchmark::RegisterBenchmark((series + "/" + std::to_string(len)).c_str(),
                                   bm_copy_from_user, v.name, len)
          ->Unit(benchmark::kNanosecond);
  }

  Collector collector;
  benchmark::RunSpecifiedBenchmarks(&collector);
  benchmark::Shutdown();
  print_table(collector, ours);
  return 0;
}
