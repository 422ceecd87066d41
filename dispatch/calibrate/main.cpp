// SPDX-License-Identifier: Apache-2.0
// dispatch/calibrate/main.cpp - umaccess-calibrate: measures, on the machine it runs on,
// every supported variant and the candidate rep movsb / rep stosb / non-temporal copy and
// fill thresholds, and writes a profile the dispatcher loads at start-up (dispatch/profile.h).
//
//   umaccess-calibrate [--quick] [--output FILE | -] [--force]
//
// Method: every comparison is interleaved in this one process (candidates alternate within
// each round, the order rotating between rounds), each point the median of its rounds, over
// aligned and misaligned buffers and, for rep movsb, the (dst - src) mod 4096 distances at
// which it collapses on AMD Zen (glibc BZ 30994). It refuses to write anything (exit 3) when
// identical rounds spread by more than 10 %: a noisy machine cannot decide. A choice departs
// from the built-in policy only where it measured better by a clear margin (decide.h).
// Precedents: FFTW's wisdom files, glibc's tunables, automemcpy (ISMM 2021).
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "cpu.h"
#include "decide.h"
#include "plan.h"
#include "policy.h"
#include "profile.h"
#include "umaccess/umaccess.h"
#include "umaccess/umaccess.hpp"

namespace {

using namespace umaccess::calibrate;
namespace dispatch = umaccess::dispatch;
using dispatch::Operation;
constexpr std::size_t kNever = dispatch::kNever;
constexpr std::size_t KiB = 1024, MiB = 1024 * KiB;

struct Options {
  bool quick = false, force = false;
  std::string output;  // "" default path, "-" stdout
};

double now_ns() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

// A progress line on stderr: rewritten in place on a terminal, one line per stage elsewhere.
class Progress {
 public:
  Progress() : tty_(isatty(2) != 0), start_(now_ns()) {}
  void stage(int index, int count, const std::string& what) {
    const double s = (now_ns() - start_) / 1e9;
    if (tty_)
      std::fprintf(stderr, "\r\033[K[%d/%d %5.1f s] %s", index, count, s, what.c_str());
    else
      std::fprintf(stderr, "[%d/%d %5.1f s] %s\n", index, count, s, what.c_str());
  }
  void done() {
    if (tty_) std::fprintf(stderr, "\n");
  }
  double seconds() const { return (now_ns() - start_) / 1e9; }

 private:
  bool tty_;
  double start_;
};

// Page-aligned buffers, touched once so that no measurement pays for first-touch faults.
struct Buffers {
  unsigned char *src = nullptr, *dst = nullptr;
  std::size_t bytes = 0;
  explicit Buffers(std::size_t n) : bytes(n + 2 * 4096) {
    src = static_cast<unsigned char*>(std::aligned_alloc(4096, bytes));
    dst = static_cast<unsigned char*>(std::aligned_alloc(4096, bytes));
    if (src == nullptr || dst == nullptr) {
      std::fprintf(stderr, "umaccess-calibrate: cannot allocate %zu MiB\n", bytes >> 20);
      std::exit(2);
    }
    std::memset(src, 0x5a, bytes);
    std::memset(dst, 0xa5, bytes);
  }
  ~Buffers() {
    std::free(src);
    std::free(dst);
  }
};

// A buffer placement: offsets of src and dst from page-aligned bases.
struct Placement {
  const char* name;
  std::size_t src_offset, dst_offset;
};
// Aligned, misaligned, and (dst - src) mod 4096 = 1, 0x801 (±2^k + 1) and 4095: the
// distances that make rep movsb collapse on Zen 3/4 (BZ 30994; microsoft/STL#5658).
const Placement kCopyPlacements[] = {{"aligned", 0, 0},
                                     {"src+33 dst+17", 33, 17},
                                     {"dst+1", 0, 1},
                                     {"(dst-src)%4096=1", 64, 65},
                                     {"(dst-src)%4096=0x801", 0, 0x801},
                                     {"(dst-src)%4096=4095", 1, 0}};
const Placement kFillPlacements[] = {{"aligned", 0, 0}, {"dst+3", 0, 3}};

// Repetitions so that one sample of `time_per_op(reps)` lasts about `target_ns`, from a
// pilot run (a few repetitions, so that the call is warm).
std::size_t reps_for(const std::function<double(std::size_t)>& time_per_op, double target_ns) {
  time_per_op(4);
  const double per_op = std::max(0.5, time_per_op(16));
  return std::clamp<std::size_t>(static_cast<std::size_t>(target_ns / per_op), 1, 10000000);
}

double time_copy(const Buffers& b, const Placement& p, std::size_t n, std::size_t reps) {
  umaccess_fault_record rec;
  unsigned char* d = b.dst + p.dst_offset;
  const unsigned char* s = b.src + p.src_offset;
  const double t0 = now_ns();
  for (std::size_t i = 0; i < reps; ++i) {
    if (umaccess_raw_copy_from_user(d, s, n, &rec) != 0) std::abort();
    __asm__ volatile("" ::: "memory");
  }
  return (now_ns() - t0) / static_cast<double>(reps);
}

// A copy (or a fill) whose result is then used: one read per cache line of the destination.
// Streaming stores win a bare copy loop as soon as the data leaves the L2, but leave the data
// out of the caches for whoever reads it next; the non-temporal thresholds are chosen on this.
double time_then_read(Operation op, const Buffers& b, std::size_t n, std::size_t reps) {
  umaccess_fault_record rec;
  unsigned sum = 0;
  const double t0 = now_ns();
  for (std::size_t i = 0; i < reps; ++i) {
    const std::size_t left = op == Operation::Fill
                                 ? umaccess_raw_fill_user_memory(b.dst, n, 0x3c, &rec)
                                 : umaccess_raw_copy_from_user(b.dst, b.src, n, &rec);
    if (left != 0) std::abort();
    for (std::size_t j = 0; j < n; j += 64) sum += static_cast<volatile unsigned char*>(b.dst)[j];
  }
  __asm__ volatile("" ::"r"(sum) : "memory");
  return (now_ns() - t0) / static_cast<double>(reps);
}

[[maybe_unused]] double time_fill(const Buffers& b, const Placement& p, std::size_t n,
                                  std::size_t reps) {
  umaccess_fault_record rec;
  unsigned char* d = b.dst + p.dst_offset;
  const double t0 = now_ns();
  for (std::size_t i = 0; i < reps; ++i) {
    if (umaccess_raw_fill_user_memory(d, n, 0x3c, &rec) != 0) std::abort();
    __asm__ volatile("" ::: "memory");
  }
  return (now_ns() - t0) / static_cast<double>(reps);
}

// Runs `rounds` rounds; in each, every candidate once (rotating the order), and returns
// each candidate's median. `setup(c)` switches to candidate c, `measure(c)` times it.
// Every point's largest spread (interquartile range / median of its rounds) in the current
// stage: a stage's decisions need a margin above its own noise, not only the idle machine's.
std::vector<double> g_stage_spreads;

std::vector<double> interleaved(std::size_t candidates, int rounds,
                                const std::function<void(std::size_t)>& setup,
                                const std::function<double(std::size_t)>& measure) {
  std::vector<std::vector<double>> samples(candidates);
  for (int r = 0; r < rounds; ++r)
    for (std::size_t k = 0; k < candidates; ++k) {
      const std::size_t c = (k + static_cast<std::size_t>(r)) % candidates;
      setup(c);
      samples[c].push_back(measure(c));
    }
  std::vector<double> medians;
  double widest = 0;
  for (auto& s : samples) {
    const Spread sp = spread_of(s);
    medians.push_back(sp.median);
    widest = std::max(widest, sp.spread);
  }
  g_stage_spreads.push_back(widest);
  return medians;
}

// The noise a stage's decision must beat: the idle machine's, or the stage's own median
// point spread if larger. Starts the next stage's record.
double stage_noise(double idle) {
  const double own = spread_of(g_stage_spreads).median;
  g_stage_spreads.clear();
  return std::max(idle, own);
}

[[noreturn]] void refuse(const std::string& why) {
  std::fprintf(stderr,
               "\numaccess-calibrate: %s: the machine is too noisy to decide; nothing "
               "written. Try again on an idle machine.\n",
               why.c_str());
  std::exit(3);
}

// The machine's noise: identical rounds of a fixed workload, retried a few times.
double measure_noise(const Buffers& b, int rounds) {
  double best = 1e9;
  for (int attempt = 0; attempt < 3 && best > kNoiseLimit; ++attempt) {
    std::vector<double> samples;
    const std::size_t reps = reps_for(
        [&](std::size_t k) { return time_copy(b, kCopyPlacements[0], 4 * KiB, k); }, 50000);
    for (int r = 0; r < rounds * 3; ++r)
      samples.push_back(time_copy(b, kCopyPlacements[0], 4 * KiB, reps));
    best = std::min(best, spread_of(samples).spread);
  }
  return best;
}

std::string fixed(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

bool write_file(const std::string& path, const std::string& text, bool force) {
  if (path == "-") {
    std::fputs(text.c_str(), stdout);
    return true;
  }
  if (!force && access(path.c_str(), F_OK) == 0) {
    std::fprintf(stderr, "umaccess-calibrate: %s exists; --force replaces it\n", path.c_str());
    return false;
  }
  for (std::size_t i = 1; i < path.size(); ++i)
    if (path[i] == '/') mkdir(path.substr(0, i).c_str(), 0755);
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << text;
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::fprintf(stderr, "umaccess-calibrate: cannot write %s: %s\n", path.c_str(),
                 std::strerror(errno));
    return false;
  }
  return true;
}

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--quick] [--output FILE | -] [--force]\n"
               "  measures this machine and writes a umaccess profile (default: %s)\n"
               "  --quick   under a minute; the full run takes a few minutes\n"
               "  exit 3: the machine was too noisy to decide (nothing written)\n",
               argv0, umaccess::detail::user_profile_path().c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick")
      o.quick = true;
    else if (a == "--force")
      o.force = true;
    else if (a == "--output" && i + 1 < argc)
      o.output = argv[++i];
    else
      return usage(argv[0]);
  }
  if (o.output.empty()) o.output = umaccess::detail::user_profile_path();
  if (o.output.empty()) {
    std::fprintf(stderr,
                 "umaccess-calibrate: neither XDG_CONFIG_HOME nor HOME is set: use --output\n");
    return 2;
  }
  if (o.output != "-" && !o.force && access(o.output.c_str(), F_OK) == 0) {
    std::fprintf(stderr, "umaccess-calibrate: %s exists; --force replaces it\n", o.output.c_str());
    return 2;
  }

  // Measure under the built-in policy: what a profile or the environment says does not count.
  const umaccess::detail::CpuDescription cpu = umaccess::detail::detected_cpu();
  // Quick: a few seconds on a 2-vCPU VM; full: under a minute.
  const int rounds = o.quick ? 15 : 31;
  const double sample_ns = o.quick ? 100000 : 300000;
#if defined(__x86_64__)
  const bool has_rep = cpu.has(umaccess::detail::kErms);  // rep movsb/stosb worth measuring
#else
  const bool has_rep = false;  // AArch64 has no rep-string class
#endif
  const int stages = has_rep ? 6 : 4;
  Progress progress;

  dispatch::select("auto");
  dispatch::reset_thresholds();
  // The policy's own choices (an environment pin or a loaded profile would hide them).
  std::string why;
  const auto& policy_variant = umaccess::detail::auto_variant(cpu, &why);
  umaccess::detail::ThresholdReasons reasons;
  const auto policy_t = umaccess::detail::derive_thresholds(cpu, policy_variant, &reasons);

  const std::size_t l2 = cpu.cache.l2 != 0 ? cpu.cache.l2 : MiB;
  const std::size_t l3 = cpu.cache.l3 != 0 ? cpu.cache.l3 : 32 * MiB;
  const std::size_t nt_top =
      std::min<std::size_t>(std::max(4 * l3, 64 * MiB), o.quick ? 64 * MiB : 256 * MiB);
  Buffers buffers(nt_top + 8 * KiB);

  progress.stage(1, stages, "noise of identical rounds");
  const double noise = measure_noise(buffers, rounds);
  if (noise > kNoiseLimit) refuse("identical rounds spread by " + fixed(100 * noise) + " %");
  g_stage_spreads.clear();

  // ---- Variant: the vector code alone (no rep strings, no streaming) ------------------------
  progress.stage(2, stages, "variants, 1 B .. 16 KiB");
  std::vector<std::string> names;
  for (const auto& v : dispatch::variants())
    if (v.supported && v.name != "erms") names.push_back(v.name);  // erms: rep at every length
  std::map<std::string, std::vector<double>> variant_medians;
  std::vector<std::string> point_names;
  const std::size_t variant_lengths[] = {1,   7,    16,   31,   64,   100,  256,
                                         512, 1024, 2048, 4096, 8192, 16384};
  for (std::size_t n : variant_lengths)
    for (const Placement& p : {kCopyPlacements[0], kCopyPlacements[1]}) {
      point_names.push_back(bytes_text(n) + " " + p.name);
      const std::size_t reps =
          reps_for([&](std::size_t k) { return time_copy(buffers, p, n, k); }, sample_ns);
      const auto m = interleaved(
          names.size(), rounds,
          [&](std::size_t c) {
            dispatch::select(names[c]);
            dispatch::set_thresholds({kNever, kNever, kNever, kNever});
          },
          [&](std::size_t) { return time_copy(buffers, p, n, reps); });
      for (std::size_t c = 0; c < names.size(); ++c) variant_medians[names[c]].push_back(m[c]);
    }
  const VariantChoice variant =
      choose_variant(variant_medians, point_names, policy_variant.name, stage_noise(noise));
  const auto* chosen = umaccess::detail::find_variant(variant.name);
  umaccess::detail::ThresholdReasons chosen_reasons;
  const auto chosen_policy_t = umaccess::detail::derive_thresholds(cpu, *chosen, &chosen_reasons);
  dispatch::select(variant.name);

  // ---- Thresholds: both routes at each point, then the cheapest threshold ------------------
  auto band = [](std::size_t from, std::size_t to) {
    std::vector<std::size_t> v;
    for (std::size_t n = from; n <= to; n *= 2) v.push_back(n);
    return v;
  };
  auto candidates_of = [](const std::vector<std::size_t>& lengths, std::size_t policy) {
    std::vector<std::size_t> c = lengths;
    c.push_back(kNever);
    c.push_back(policy);
    return c;
  };

  umaccess::detail::Profile profile;
  profile.key = umaccess::detail::profile_key(cpu);
  profile.variant = {variant.name, variant.evidence};
  Choice movsb, stosb;
  int stage = 3;
#if defined(__x86_64__)
  if (has_rep) {
    const std::size_t top =
        std::min<std::size_t>(chosen_policy_t.non_temporal / 2, o.quick ? 2 * MiB : 8 * MiB);
    const auto lengths = band(2 * KiB, std::max<std::size_t>(top, 4 * KiB));
    progress.stage(
        stage++, stages,
        "rep movsb, " + bytes_text(lengths.front()) + " .. " + bytes_text(lengths.back()));
    // Both routes at every length and placement: `pin(true)` the rep route, `pin(false)` the
    // vector one; `timer` times `reps` operations.
    using Timer = double (*)(const Buffers&, const Placement&, std::size_t, std::size_t);
    auto route_points = [&](const auto& placements, Timer timer, auto pin) {
      std::vector<RoutePoint> out;
      for (std::size_t n : lengths)
        for (const Placement& p : placements) {
          const std::size_t reps =
              reps_for([&](std::size_t k) { return timer(buffers, p, n, k); }, sample_ns);
          const auto m = interleaved(
              2, rounds, [&](std::size_t c) { pin(c == 1); },
              [&](std::size_t) { return timer(buffers, p, n, reps); });
          out.push_back({n, p.name, m[0], m[1]});
        }
      return out;
    };
    const auto movsb_points = route_points(kCopyPlacements, time_copy, [](bool rep) {
      dispatch::set_thresholds({rep ? 0 : kNever, kNever, kNever, kNever});
    });
    movsb = choose_threshold(movsb_points, candidates_of(lengths, chosen_policy_t.rep_movsb),
                             chosen_policy_t.rep_movsb, "rep movsb", stage_noise(noise));
    profile.rep_movsb = {movsb.value, movsb.evidence};

    progress.stage(
        stage++, stages,
        "rep stosb, " + bytes_text(lengths.front()) + " .. " + bytes_text(lengths.back()));
    const auto stosb_points = route_points(kFillPlacements, time_fill, [](bool rep) {
      dispatch::set_thresholds({kNever, rep ? 0 : kNever, kNever, kNever});
    });
    stosb = choose_threshold(stosb_points, candidates_of(lengths, chosen_policy_t.rep_stosb),
                             chosen_policy_t.rep_stosb, "rep stosb", stage_noise(noise));
    profile.rep_stosb = {stosb.value, stosb.evidence};
  }
#endif

  // ---- Non-temporal: temporal against streaming, from the L2 size to 4 x L3, for copies and
  // then for fills (a fill touches its length once, a copy twice, so the two thresholds need
  // not agree: policy_x86.cpp). The rep windows stay as chosen meanwhile; `pins(streaming)`
  // gives the thresholds of one route.
  const auto nt_lengths = band(std::max<std::size_t>(l2, 256 * KiB), nt_top);
  const std::size_t rep_movsb_kept = has_rep ? movsb.value : kNever;
  const std::size_t rep_stosb_kept = has_rep ? stosb.value : kNever;
  auto streaming_stage = [&](Operation op, const std::string& name, std::size_t policy_value,
                             const std::function<dispatch::Thresholds(bool)>& pins) {
    progress.stage(stage++, stages,
                   name + ", " + bytes_text(nt_lengths.front()) + " .. " +
                       bytes_text(nt_lengths.back()));
    std::vector<RoutePoint> points;
    for (std::size_t n : nt_lengths) {
      const std::size_t reps = std::max<std::size_t>(
          1, static_cast<std::size_t>(sample_ns * 8 /
                                      std::max(1.0, time_then_read(op, buffers, n, 1))));
      const auto m = interleaved(
          2, std::max(3, rounds / 2), [&](std::size_t c) { dispatch::set_thresholds(pins(c != 0)); },
          [&](std::size_t) { return time_then_read(op, buffers, n, reps); });
      points.push_back({n, op == Operation::Fill ? "fill, then read" : "copy, then read", m[0], m[1]});
    }
    return choose_threshold(points, candidates_of(nt_lengths, policy_value), policy_value, name,
                            stage_noise(noise));
  };
  constexpr std::size_t kStreamAll = umaccess::detail::kNonTemporalMinBytes;
  const Choice nt = streaming_stage(Operation::Copy, "non-temporal", chosen_policy_t.non_temporal,
                                    [&](bool streaming) -> dispatch::Thresholds {
                                      return {rep_movsb_kept, rep_stosb_kept,
                                              streaming ? kStreamAll : kNever, kNever};
                                    });
  profile.non_temporal = {nt.value, nt.evidence};
  // The policy's fill threshold follows the copies' one chosen above (dispatcher.cpp).
  std::string fill_policy_why;
  const std::size_t fill_policy =
      umaccess::detail::derive_non_temporal_fill(cpu, nt.value, &fill_policy_why);
  const Choice fill_nt = streaming_stage(Operation::Fill, "non-temporal fill", fill_policy,
                                         [&](bool streaming) -> dispatch::Thresholds {
                                           return {rep_movsb_kept, rep_stosb_kept, nt.value,
                                                   streaming ? kStreamAll : kNever};
                                         });
  profile.non_temporal_fill = {fill_nt.value, fill_nt.evidence};
  progress.done();
  dispatch::reset_thresholds();
  dispatch::select("auto");

  // ---- The profile ---------------------------------------------------------------------------
  char date[64];
  const std::time_t t = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
  std::string header =
      std::string("umaccess profile, measured by umaccess-calibrate ") +
      umaccess::detail::library_version() + (o.quick ? " --quick" : "") + " on " + date + "\n" +
      "CPU: " + cpu.brand + " (" + cpu.core + ", " + cpu.microarchitecture + "), caches from " +
      cpu.cache.source + "\n" + "noise of identical rounds " + fixed(100 * noise) + " %; " +
      std::to_string(rounds) + " interleaved rounds per point; " + fixed(progress.seconds()) +
      " s\n" + "The built-in policy: variant " + policy_variant.name + ", rep movsb " +
      bytes_text(policy_t.rep_movsb) + ", rep stosb " + bytes_text(policy_t.rep_stosb) +
      ", non-temporal copy " + bytes_text(policy_t.non_temporal) + ", non-temporal fill " +
      bytes_text(policy_t.non_temporal_fill) + "\n" +
      "A value departs from it only where it measured >= 5 % faster over its band\n"
      "and nowhere > 10 % slower. Load it with UMACCESS_PROFILE=<this file>, or keep\n"
      "it at $XDG_CONFIG_HOME/umaccess/profile or /etc/umaccess/profile.";
  const std::string text = umaccess::detail::format_profile(profile, header);
  if (!write_file(o.output, text, o.force)) return 1;

  // The summary goes to stderr when the profile itself goes to stdout.
  FILE* summary = o.output == "-" ? stderr : stdout;
  std::fprintf(summary, "variant            %-10s %s\n", variant.name.c_str(),
               variant.departs ? "(measured)" : "(policy)");
#if defined(__x86_64__)
  if (has_rep) {
    std::fprintf(summary, "rep movsb          %-10s %s\n", bytes_text(movsb.value).c_str(),
                 movsb.departs ? "(measured)" : "(policy)");
    std::fprintf(summary, "rep stosb          %-10s %s\n", bytes_text(stosb.value).c_str(),
                 stosb.departs ? "(measured)" : "(policy)");
  }
#endif
  std::fprintf(summary, "non-temporal copy  %-10s %s\n", bytes_text(nt.value).c_str(),
               nt.departs ? "(measured)" : "(policy)");
  std::fprintf(summary, "non-temporal fill  %-10s %s\n", bytes_text(fill_nt.value).c_str(),
               fill_nt.departs ? "(measured)" : "(policy)");
  if (o.output != "-")
    std::fprintf(summary, "profile written to %s (%.0f s)\n", o.output.c_str(), progress.seconds());
  return 0;
}
