// SPDX-License-Identifier: Apache-2.0
// bench/main.cpp - umaccess-bench-report: runs the benchmark suite and writes the report.
// Usage: kUsage below (umaccess-bench-report --help). The full run takes a few minutes;
// --quick well under two.
#include <benchmark/benchmark.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "baselines.h"
#include "headline.h"
#include "report.h"
#include "suite.h"
#include "umaccess/umaccess.hpp"

namespace {

using namespace umabench;

const char kUsage[] =
    "usage: umaccess-bench-report [--quick] [--out DIR] [Google Benchmark flags...]\n"
    "\n"
    "Runs the headline (interleaved, in fresh processes) and the benchmark matrix, then writes\n"
    "DIR: report.md (plan in force, targets, ratio tables, fault path, probes, ceilings),\n"
    "copy_from_user.png with its data and gnuplot script (.dat, .gnuplot), dispatch.txt and\n"
    "dispatch.json (umaccess-info), benchmarks.json and benchmarks.uma-<variant>.json (Google\n"
    "Benchmark's raw output: each variant's series run in a process of their own; not\n"
    "committed); prints the targets and the headline tables.\n"
    "\n"
    "  --quick   shorter runs, lengths up to 16 MiB, no cold caches, 5 headline rounds\n"
    "  --headline-only  the headline alone (about 20 s): to compare two builds, run each\n"
    "            build's binary this way in turn, a few times (docs/performance.md)\n"
    "  --out DIR where to write. Default: bench/results/<cpu>/ in the source tree, the\n"
    "            committed report of this CPU; with --quick, --headline-only or a\n"
    "            --benchmark_filter=REGEX (a part of the matrix)\n"
    "            <build>/bench/filtered-results/<cpu>/ instead, so that a quick or partial\n"
    "            run never overwrites the committed report\n"
    "  --benchmark_filter=REGEX      run the benchmarks whose names match; names are\n"
    "            family/series/alignment/cache/length, e.g.\n"
    "            --benchmark_filter='copy_from_user/(auto|memcpy)/a0/hot/(64|4096)/'\n"
    "  --benchmark_list_tests        print the matrix's names and stop (no headline, no files)\n"
    "  --benchmark_min_time=SECONDS  and Google Benchmark's other flags (--benchmark_help)\n";

// One measured benchmark into `results`; false if its name is not the matrix's.
bool record(Results* results, const std::string& benchmark_name, double ns,
            double bytes_per_second) {
  Name name;
  if (!Name::parse(benchmark_name, &name)) return false;
  Result& r = (*results)[Key{name.family, name.series, name.alignment, name.cache, name.length}];
  r.ns = ns;
  r.bytes_per_second = bytes_per_second;
  return true;
}

// Collects every run while showing one line of progress (prefixed with `label`). With
// `lines`, also prints each result as "B <name> <ns> <bytes per second>" there: a variant's
// measuring child (run_variant_children) reports to its parent that way.
class Collector : public benchmark::BenchmarkReporter {
 public:
  Collector(std::size_t total, std::string label = "", FILE* lines = nullptr)
      : total_(total), label_(std::move(label)), lines_(lines) {}
  Results results;
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration) continue;
      ++done_;
      const double ns = run.real_accumulated_time / static_cast<double>(run.iterations) * 1e9;
      const auto bytes = run.counters.find("bytes_per_second");
      const double bps = bytes != run.counters.end() ? static_cast<double>(bytes->second) : 0;
      if (run.error_occurred || !record(&results, run.benchmark_name(), ns, bps)) {
        std::fprintf(stderr, "\nskipped %s: %s\n", run.benchmark_name().c_str(), run.error_message.c_str());
        continue;
      }
      if (lines_ != nullptr) {
        std::fprintf(lines_, "B %s %.17g %.17g\n", run.benchmark_name().c_str(), ns, bps);
        std::fflush(lines_);
      }
      if (isatty(2))
        std::fprintf(stderr, "\r[%s%5zu/%zu] %-60s", label_.c_str(), done_, total_,
                     run.benchmark_name().substr(0, 60).c_str());
    }
  }
  void Finalize() override {
    if (isatty(2)) std::fputc('\n', stderr);
  }

 private:
  std::size_t total_, done_ = 0;
  std::string label_;
  FILE* lines_;
};

// The flag that makes this program one variant's measuring child: its series alone (suite.h,
// Part::kVariant), in a fresh process.
constexpr char kVariantChildFlag[] = "--variant-child";

std::string shell_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs every supported variant's series, each in a process of its own (this program with
// kVariantChildFlag, the same mode and Google Benchmark flags but the output file's: each
// child writes its raw output to DIR/benchmarks.uma-<variant>.json), into `results`. A child
// that fails is reported on stderr and its column stays empty; false if any failed.
bool run_variant_children(bool quick, const std::vector<std::string>& benchmark_flags,
                          const std::string& dir, Results* results) {
  bool all_ran = true;
  for (const auto& v : umaccess::dispatch::variants()) {
    if (!v.supported) continue;
    // This process's /proc/PID/exe itself, not the path it names: a rebuild during the run
    // replaces that file, and the children must run the same program as their parent. (Not
    // /proc/self/exe: popen's shell would read its own.)
    std::string cmd = "/proc/" + std::to_string(getpid()) + "/exe " + kVariantChildFlag + " " +
                      shell_quoted(v.name);
    if (quick) cmd += " --quick";
    for (const std::string& flag : benchmark_flags)
      if (flag.rfind("--benchmark_out", 0) != 0 && flag.rfind("--benchmark_format", 0) != 0)
        cmd += " " + shell_quoted(flag);
    cmd += " " + shell_quoted("--benchmark_out=" + dir + "/benchmarks.uma-" + v.name + ".json") +
           " --benchmark_out_format=json";
    FILE* child = popen(cmd.c_str(), "r");
    if (child == nullptr) {
      std::fprintf(stderr, "umaccess-bench-report: cannot start %s\n", cmd.c_str());
      all_ran = false;
      continue;
    }
    char line[1024], name[512];
    double ns, bps;
    while (std::fgets(line, sizeof line, child) != nullptr)
      if (std::sscanf(line, "B %511s %lf %lf", name, &ns, &bps) == 3) record(results, name, ns, bps);
    if (pclose(child) != 0) {
      std::fprintf(stderr,
                   "umaccess-bench-report: the measuring process of variant %s failed (%s); its "
                   "column is missing from the report\n",
                   v.name.c_str(), cmd.c_str());
      all_ran = false;
    }
  }
  return all_ran;
}

// Google Benchmark's Initialize() over these arguments (argv[0] first).
void initialize_benchmark(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  int n = static_cast<int>(argv.size());
  benchmark::Initialize(&n, argv.data());
}

// The registry lists the variants widest first: the first this CPU runs.
std::string widest_variant() {
  for (const auto& v : umaccess::dispatch::variants())
    if (v.supported) return v.name;
  return "none";
}

std::string slug(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) out += static_cast<char>(std::tolower(c));
    else if (!out.empty() && out.back() != '-') out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

void mkdirs(const std::string& path) {
  for (std::size_t i = 1; i <= path.size(); ++i)
    if (i == path.size() || path[i] == '/') mkdir(path.substr(0, i).c_str(), 0755);
}

// The choices the targets below are measured under, each with its source (policy,
// profile, environment, api): a report made under a calibrated profile says so.
std::string plan_in_force(const umaccess::dispatch::Report& r) {
  using umaccess::dispatch::source_name;
  auto bytes = [](std::size_t n) {
    return n == umaccess::dispatch::kNever ? std::string("never") : std::to_string(n) + " B";
  };
  std::string out = "| choice | value | source |\n|---|---|---|\n";
  out += "| variant | `" + r.active + "` | " + source_name(r.active_source) + " |\n";
  out += "| rep movsb from | " + bytes(r.thresholds.rep_movsb) + " | " + source_name(r.rep_movsb_source) + " |\n";
  out += "| rep stosb from | " + bytes(r.thresholds.rep_stosb) + " | " + source_name(r.rep_stosb_source) + " |\n";
  out += "| non-temporal copies from | " + bytes(r.thresholds.non_temporal) + " | " +
         source_name(r.non_temporal_source) + " |\n";
  out += "| non-temporal fills from | " + bytes(r.thresholds.non_temporal_fill) + " | " +
         source_name(r.non_temporal_fill_source) + " |\n";
  out += "\nCPU: " + r.cpu.core + " (" + r.cpu.microarchitecture + "), caches from " +
         r.cpu.cache_source + (r.cpu.cache_note.empty() ? "" : " (" + r.cpu.cache_note + ")") +
         ". Profile: " + r.profile.status + (r.profile.path.empty() ? "" : " (" + r.profile.path + ")") + ".\n";
  return out;
}

// A Google Benchmark flag as Initialize() will read it: the last --NAME=VALUE (a bare --NAME
// gives `bare`) on the command line, else the environment variable NAME in capitals; `unset`
// when neither gives it.
std::string benchmark_flag(const std::vector<std::string>& args, const std::string& name,
                           const std::string& bare, const std::string& unset) {
  std::string value = unset;
  std::string env = name;
  for (char& c : env) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (const char* e = std::getenv(env.c_str())) value = e;
  for (const std::string& a : args) {
    if (a == "--" + name)
      value = bare;
    else if (a.rfind("--" + name + "=", 0) == 0)
      value = a.substr(name.size() + 3);
  }
  return value;
}

// Google Benchmark's reading of a boolean flag's value.
// Whether a --benchmark_filter value selects part of the matrix ("", "." and "all": all of it).
bool selects_part(const std::string& filter) {
  return !(filter.empty() || filter == "." || filter == "all");
}

bool truthy(std::string v) {
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v.size() == 1)
    return std::isalnum(static_cast<unsigned char>(v[0])) && v != "0" && v != "f" && v != "n";
  return v != "false" && v != "no" && v != "off";
}

}  // namespace

int main(int argc, char** argv) {
  headline_child_main_if_asked(argc, argv);  // a measuring child of measure_headline()
  Options options;
  bool headline_only = false;
  std::string out, variant_child;
  std::vector<std::string> passthrough = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (std::strcmp(argv[i], "--quick") == 0)
      options.quick = true;
    else if (std::strcmp(argv[i], "--headline-only") == 0)
      headline_only = true;
    else if (std::strcmp(argv[i], "--out") == 0 && i + 1 < argc) out = argv[++i];
    else if (std::strcmp(argv[i], kVariantChildFlag) == 0 && i + 1 < argc)
      variant_child = argv[++i];
    else passthrough.push_back(argv[i]);
  }
  // --benchmark_list_tests prints the matrix's names and nothing else: no headline, no files.
  const bool list_only =
      truthy(benchmark_flag(passthrough, "benchmark_list_tests", "true", "false"));
  // A filtered run measures part of the matrix: its report goes to the build tree.
  const bool filtered = selects_part(benchmark_flag(passthrough, "benchmark_filter", "", ""));
  const bool partial = filtered || headline_only;
  const auto report = umaccess::dispatch::describe();
  ReportContext ctx;
  ctx.cpu = report.cpu.brand + ", " + report.cpu.microarchitecture;
  ctx.llc_bytes = report.cpu.l3_bytes;
  ctx.dispatch = umaccess::dispatch::format(report);
  ctx.plan = plan_in_force(report);
  if (options.quick) {
    ctx.mode = "quick";
    options.min_time = 0.004;
    options.headline_time = 0.02;
    options.max_length = std::size_t{16} << 20;
    options.ceiling_bytes = std::size_t{256} << 20;
  } else {
    ctx.mode = "full";
    // 4 x the last-level cache, at least 256 MiB, at most an eighth of the memory per buffer.
    const std::size_t memory = static_cast<std::size_t>(sysconf(_SC_PHYS_PAGES)) * 4096;
    options.ceiling_bytes = std::min(std::max(4 * ctx.llc_bytes, std::size_t{256} << 20), memory / 8);
    options.ceiling_bytes = (options.ceiling_bytes + (1 << 20) - 1) & ~std::size_t{(1 << 20) - 1};
  }
  if (headline_only) ctx.mode += ", headline only";
  ctx.ceiling_bytes = options.ceiling_bytes;
  // The sigsetjmp guards' handler first, then ours in front of it (faults in our kernels
  // are ours; everything else chains to the guards).
  install_guard_handler();
  umaccess::install_fault_handler();
  if (!variant_child.empty()) {  // one variant's series for run_variant_children: no files
    const std::size_t total = register_suite(options, Part::kVariant, variant_child);
    initialize_benchmark(passthrough);
    Collector collector(total, "uma:" + variant_child + " ", stdout);
    benchmark::RunSpecifiedBenchmarks(&collector);
    benchmark::Shutdown();
    return 0;
  }
  if (list_only) {
    register_suite(options);
    initialize_benchmark(passthrough);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
  }
  // One directory per CPU: brand, microarchitecture, the widest variant it runs and L3 size,
  // since a hypervisor can give different hosts the same brand string and model (two 0xA7
  // "Xeon Processor" VMs here had a 480 MiB and a 105 MiB L3), and can hide features (a Zen 4
  // VM here came once with AVX-512 and once without). A partial matrix (a --benchmark_filter)
  // must not replace the committed report of a CPU, nor may a quick one (shorter runs,
  // indicative only): by default they write under the build tree.
  if (out.empty()) {
    const std::string cpu_dir = slug(ctx.cpu + " " + widest_variant() + " l3 " +
                                     std::to_string(report.cpu.l3_bytes >> 20) + "mib");
    const bool elsewhere = partial || options.quick;
    out = elsewhere ? std::string(UMACCESS_BINARY_DIR) + "/filtered-results/" + cpu_dir
                    : std::string(UMACCESS_SOURCE_DIR) + "/bench/results/" + cpu_dir;
    if (elsewhere)
      std::fprintf(stderr,
                   "umaccess-bench-report: %s: writing %s, not bench/results/ (--out chooses)\n",
                   headline_only ? "--headline-only"
                   : filtered    ? "--benchmark_filter runs part of the matrix"
                                 : "--quick",
                   out.c_str());
  }

  // The headline first, in fresh processes, before this one has run anything else.
  ctx.headline_options.max_length = options.max_length;
  ctx.headline_options.streaming_bytes = options.ceiling_bytes;
  if (options.quick) ctx.headline_options.rounds = 5;
  std::fprintf(stderr, "umaccess-bench-report: headline, %d processes x %d interleaved rounds\n",
               ctx.headline_options.processes, ctx.headline_options.rounds);
  const Headline headline = measure_headline(ctx.headline_options);
  ctx.headline = &headline;
  // The report's directory, with what the dispatcher chose (umaccess-info, text and JSON).
  auto start_report_dir = [&] {
    mkdirs(out);
    std::ofstream(out + "/dispatch.txt") << ctx.dispatch;
    std::ofstream(out + "/dispatch.json")
        << umaccess::dispatch::format(report, umaccess::dispatch::ReportFormat::Json);
  };
  if (headline_only) {
    start_report_dir();
    std::printf("%s\nReport (headline only): %s/report.md\n",
                write_report(Results{}, ctx, out).c_str(), out.c_str());
    return 0;
  }

  // This process runs everything but the per-variant series; each variant's run afterwards
  // in a process of its own (suite.h, Part).
  const std::vector<std::string> benchmark_flags(passthrough.begin() + 1, passthrough.end());
  const std::size_t total = register_suite(options, Part::kShared);
  std::string json = "--benchmark_out=" + out + "/benchmarks.json";
  passthrough.push_back(json.data());
  passthrough.push_back("--benchmark_out_format=json");
  initialize_benchmark(passthrough);
  if (selects_part(benchmark::GetBenchmarkFilter()) != filtered) {  // benchmark_flag() misread it
    std::fprintf(stderr,
                 "umaccess-bench-report: cannot tell whether --benchmark_filter='%s' selects part "
                 "of the matrix; give it as --benchmark_filter=REGEX\n",
                 benchmark::GetBenchmarkFilter().c_str());
    return 2;
  }
  start_report_dir();
  std::fprintf(stderr,
               "umaccess-bench-report: %zu benchmarks here, then each variant's series in a "
               "process of its own (%s mode) on %s -> %s\n", total,
               ctx.mode.c_str(), ctx.cpu.c_str(), out.c_str());
  Collector collector(total);
  benchmark::RunSpecifiedBenchmarks(&collector);
  benchmark::Shutdown();
  const bool all_ran = run_variant_children(options.quick, benchmark_flags, out, &collector.results);
  std::printf("%s\nFull report: %s/report.md\n", write_report(collector.results, ctx, out).c_str(), out.c_str());
  return all_ran ? 0 : 1;
}
