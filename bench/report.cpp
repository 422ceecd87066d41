// SPDX-License-Identifier: Apache-2.0
// bench/report.cpp - see report.h.
#include "report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

namespace umabench {
namespace {

struct Band {
  const char* name;
  std::size_t from, to;  // inclusive
};
const Band kBands[] = {{"1-16 B", 1, 16},
                       {"31-256 B", 17, 256},
                       {"512 B-16 KiB", 257, 16 << 10},
                       {"64 KiB-1 MiB", (16 << 10) + 1, 1 << 20},
                       {"4-256 MiB", (1 << 20) + 1, std::size_t{1} << 40}};

std::string human(std::size_t n) {
  char buf[32];
  if (n >= (1u << 20) && n % (1u << 20) == 0) std::snprintf(buf, sizeof buf, "%zu MiB", n >> 20);
  else if (n >= 1024 && n % 1024 == 0) std::snprintf(buf, sizeof buf, "%zu KiB", n >> 10);
  else std::snprintf(buf, sizeof buf, "%zu B", n);
  return buf;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

const Result* find(const Results& r, const std::string& family, const std::string& series,
                   const std::string& alignment, const std::string& cache, std::size_t n) {
  const auto it = r.find(Key{family, series, alignment, cache, n});
  return it == r.end() ? nullptr : &it->second;
}

std::string baseline_of(const std::string& family) {
  if (family == "move") return "memmove";
  if (family == "fill") return "memset";
  if (family == "string_length") return "strlen";
  return "memcpy";
}

// Ratios of `series` to the family's glibc baseline at every length present.
std::map<std::size_t, double> ratios(const Results& r, const std::string& family,
                                     const std::string& series, const std::string& alignment,
                                     const std::string& cache) {
  std::map<std::size_t, double> out;
  for (std::size_t n : report_lengths()) {
    const Result* ours = find(r, family, series, alignment, cache, n);
    const Result* base = find(r, family, baseline_of(family), alignment, cache, n);
    if (ours != nullptr && base != nullptr && base->ns > 0) out[n] = ours->ns / base->ns;
  }
  return out;
}

double geomean(const std::map<std::size_t, double>& v, std::size_t from = 0,
               std::size_t to = SIZE_MAX) {
  double log_sum = 0;
  int count = 0;
  for (const auto& [n, x] : v)
    if (n >= from && n <= to) {
      log_sum += std::log(x);
      ++count;
    }
  return count == 0 ? NAN : std::exp(log_sum / count);
}

std::vector<std::string> series_present(const Results& r, const std::string& family) {
  std::vector<std::string> out;
  for (const auto& [key, result] : r) {
    const std::string& s = std::get<1>(key);
    if (std::get<0>(key) == family && (s == "auto" || s.rfind("uma:", 0) == 0) &&
        std::find(out.begin(), out.end(), s) == out.end())
      out.push_back(s);
  }
  std::stable_sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return (a == "auto") > (b == "auto");
  });
  return out;
}

std::string label(const std::string& series) { return series.rfind("uma:", 0) == 0 ? series.substr(4) : series; }

// The targets, in the order the report lists them: check_targets() takes every threshold
// from here, and docs/performance.md ("Targets") names them. Ratios are ours / glibc in time
// (lower is better) unless a row says otherwise.
enum TargetId {
  kGeomeanAll,         // the headline: every length, aligned and misaligned
  kGeomeanAligned,     // the headline: every length, aligned
  kWorstLength,        // the headline: any one length
  kRandomMix,          // the headline: the random-size mix
  kCApi,               // the headline: the C status API against the C++ path
  kGeomeanOneProcess,  // without the headline: Google Benchmark, one process
  kNonTemporal,        // bandwidth beside a plain streaming loop
  kNonTemporalFill,    // the same for fills, where they stream
  kVsSigsetjmp,        // the safe ways of copying users have today
  kVsProcessVmReadv,
};
struct TargetSpec {
  TargetId id;
  const char* name;
  bool at_most;  // met when the measured value is <= the threshold (else >=)
  double threshold;
  const char* measures;
};
constexpr TargetSpec kTargets[] = {
    {kGeomeanAll, "geomean", true, 0.90,
     "CopyFromUser (auto) / memcpy: geometric mean of the headline's per-length medians, "
     "aligned and misaligned lengths together"},
    {kGeomeanAligned, "geomean-aligned", true, 1.00, "the same over the aligned lengths only"},
    {kWorstLength, "worst-length", true, 1.10,
     "the highest headline median of CopyFromUser / memcpy at any one length, aligned or "
     "misaligned"},
    {kRandomMix, "random-mix", true, 0.95,
     "CopyFromUser / memcpy over the random-size mix (SPEC CPU2017 sizes and alignments)"},
    {kCApi, "c-api", true, 1.10,
     "the C status API against the C++ path: umaccess_copy_from_user / CopyFromUser, "
     "umaccess_string_length_from_user / StringLengthFromUser and the single accesses' status "
     "functions / their accessors (ReadULongFromUser, ...), the highest median at any length, "
     "the mix or any single access"},
    {kGeomeanOneProcess, "geomean-one-process", true, 1.00,
     "without the headline (an older report): CopyFromUser (auto) / memcpy, geometric mean over "
     "the Google Benchmark lengths, aligned, hot, one process"},
    {kNonTemporal, "non-temporal", false, 0.90,
     "bandwidth of CopyFromUserNonTemporal / a plain non-temporal copy loop at the ceilings' "
     "size (in a full run 4 x the last-level cache, at least 256 MiB; 256 MiB in quick mode): "
     "the median of the headline's interleaved rounds, one copy of each per round"},
    {kNonTemporalFill, "non-temporal-fill", false, 0.90,
     "bandwidth of FillUserMemory / a plain non-temporal store loop at the same size, the "
     "median of the headline's interleaved rounds, one fill of each per round; not measured "
     "when fills of that size do not stream under the plan in force"},
    {kVsSigsetjmp, "vs-sigsetjmp", false, 3.0,
     "time of memcpy in a sigsetjmp(buf, 1) guard / CopyFromUser (auto): the least at every "
     "length up to 4 KiB, aligned, hot"},
    {kVsProcessVmReadv, "vs-process_vm_readv", false, 10.0,
     "time of process_vm_readv / CopyFromUser (auto): the least at every length up to 4 KiB, "
     "aligned, hot"},
};

constexpr bool in_id_order() {
  for (std::size_t i = 0; i < sizeof kTargets / sizeof kTargets[0]; ++i)
    if (kTargets[i].id != static_cast<TargetId>(i)) return false;
  return true;
}
static_assert(in_id_order(), "kTargets: one row per TargetId, in its order");

double threshold(TargetId id) { return kTargets[id].threshold; }
bool met(TargetId id, double measured) {
  return kTargets[id].at_most ? measured <= threshold(id) : measured >= threshold(id);
}

struct Target {
  std::string what, result;
  bool met;
  bool measured = true;  // false: `result` says why there is no figure (met is then unused)
};

// The worst few ratios of a series, for a missed target's "why".
std::string worst_of(const std::map<std::size_t, double>& v, const char* placement, int count) {
  std::vector<std::pair<double, std::size_t>> sorted;
  for (const auto& [n, x] : v) sorted.push_back({x, n});
  std::sort(sorted.rbegin(), sorted.rend());
  std::string out;
  for (int i = 0; i < count && i < static_cast<int>(sorted.size()); ++i)
    out += std::string(out.empty() ? "" : ", ") + human(sorted[i].second) + " " + placement + " " +
           fmt("%.2f", sorted[i].first);
  return out;
}

std::map<std::size_t, double> headline_ratios(const Headline& h, const std::string& placement,
                                              Ratio HeadlinePoint::*which) {
  std::map<std::size_t, double> out;
  const auto it = h.find(placement);
  if (it != h.end())
    for (const auto& [n, point] : it->second) out[n] = (point.*which).median;
  return out;
}

std::string missed_by(double measured, double target) {
  return measured <= target ? "" : "; missed by " + fmt("%.3f", measured - target);
}

// Our share of a plain streaming loop's bandwidth at ctx.ceiling_bytes: from the headline's
// interleaved pair at `placement` when it ran (a median of every round of every process, with
// its spread), else from the matrix's one timing of each (the ceiling series `ours` and
// `plain`); nothing if neither ran.
std::optional<Target> streaming_target(const Results& r, const ReportContext& ctx, TargetId id,
                                       const std::string& what, const char* placement,
                                       const char* ours_series, const char* plain_series) {
  const std::size_t n = ctx.ceiling_bytes;
  const HeadlinePoint* pair = nullptr;
  if (ctx.headline != nullptr) {
    const auto it = ctx.headline->find(placement);
    if (it != ctx.headline->end() && it->second.count(n) != 0) pair = &it->second.at(n);
  }
  if (pair != nullptr) {
    const Ratio& s = pair->streaming_share;
    return Target{what,
                  fmt("%.0f%%", 100 * s.median) + " (interleaved median; quartiles " +
                      fmt("%.0f", 100 * s.q1) + "-" + fmt("%.0f%%", 100 * s.q3) + ", processes " +
                      fmt("%.0f", 100 * s.process_min) + "-" + fmt("%.0f%%", 100 * s.process_max) +
                      "; " + fmt("%.2f", n / pair->cxx_ns) + " vs " +
                      fmt("%.2f", n / pair->memcpy_ns) + " GB/s)",
                  met(id, s.median)};
  }
  const Result* ours = find(r, "ceiling", ours_series, "a0", "cold", n);
  const Result* plain = find(r, "ceiling", plain_series, "a0", "cold", n);
  if (ours == nullptr || plain == nullptr) return std::nullopt;
  const double share = ours->bytes_per_second / plain->bytes_per_second;
  return Target{what,
                fmt("%.0f%%", 100 * share) + " (" + fmt("%.2f", ours->bytes_per_second / 1e9) +
                    " vs " + fmt("%.2f", plain->bytes_per_second / 1e9) + " GB/s)",
                met(id, share)};
}

std::vector<Target> check_targets(const Results& r, const ReportContext& ctx) {
  std::vector<Target> t;
  if (ctx.headline != nullptr) {
    const Headline& h = *ctx.headline;
    const auto aligned = headline_ratios(h, "aligned", &HeadlinePoint::cxx);
    const auto misaligned = headline_ratios(h, "misaligned", &HeadlinePoint::cxx);
    double log_sum = 0;
    int count = 0;
    for (const auto* v : {&aligned, &misaligned})
      for (const auto& [n, x] : *v) log_sum += std::log(x), ++count;
    const double both = count ? std::exp(log_sum / count) : NAN;
    const std::string worst =
        "; worst: " + worst_of(aligned, "aligned", 3) + ", " + worst_of(misaligned, "misaligned", 2);
    const double all = threshold(kGeomeanAll);
    t.push_back(
        {"auto CopyFromUser / memcpy: geometric mean over every length, aligned and "
         "misaligned <= " +
             fmt("%.2f", all),
         fmt("%.3f", both) + missed_by(both, all) + (both > all ? worst : ""),
         met(kGeomeanAll, both)});
    const double gm = geomean(aligned);
    t.push_back({"auto CopyFromUser / memcpy: geometric mean over every length, aligned <= " +
                     fmt("%.2f", threshold(kGeomeanAligned)),
                 fmt("%.3f", gm) + missed_by(gm, threshold(kGeomeanAligned)),
                 met(kGeomeanAligned, gm)});
    double top = 0;
    std::string top_at;
    for (const auto& [placement, v] : {std::pair<const char*, const std::map<std::size_t, double>*>{"aligned", &aligned},
                                       {"misaligned", &misaligned}})
      for (const auto& [n, x] : *v)
        if (x > top) top = x, top_at = human(n) + " " + placement;
    t.push_back({"no length above " + fmt("%.2f", threshold(kWorstLength)),
                 fmt("%.2f", top) + " at " + top_at + missed_by(top, threshold(kWorstLength)),
                 met(kWorstLength, top)});
    const auto mix = h.find("mix");
    if (mix != h.end() && !mix->second.empty()) {
      const double m = mix->second.begin()->second.cxx.median;
      t.push_back({"random-size mix (SPEC2017 sizes and alignments) <= " +
                       fmt("%.2f", threshold(kRandomMix)),
                   fmt("%.3f", m) + missed_by(m, threshold(kRandomMix)), met(kRandomMix, m)});
    }
    double c_top = 0;
    std::string c_at;
    for (const auto& [placement, by_length] : h)
      for (const auto& [n, point] : by_length)
        if (placement.rfind("streaming", 0) != 0 && point.c_over_cxx.median > c_top)
          c_top = point.c_over_cxx.median,
          c_at = placement == "mix"                  ? std::string("the mix")
                 : placement.rfind("single:", 0) == 0 ? placement.substr(7)
                                                      : human(n) + " " + placement;
    t.push_back(
        {"C status API <= " + fmt("%.2f", threshold(kCApi)) +
             " x the C++ path (CopyFromUser, StringLengthFromUser, the single accesses) at "
             "every length",
         fmt("%.2f", c_top) + " at " + c_at + missed_by(c_top, threshold(kCApi)),
         met(kCApi, c_top)});
  } else {
    const auto headline = ratios(r, "copy_from_user", "auto", "a0", "hot");
    const double gm = geomean(headline);
    t.push_back({"auto CopyFromUser / memcpy: geometric mean over all lengths <= " +
                     fmt("%.2f", threshold(kGeomeanOneProcess)) + " (aligned, hot)",
                 fmt("%.3f", gm), met(kGeomeanOneProcess, gm)});
  }
  if (ctx.ceiling_bytes != 0) {
    const std::size_t n = ctx.ceiling_bytes;
    const bool big_enough = n >= 4 * ctx.llc_bytes;
    const std::string size = human(n) + " (" +
                             (big_enough ? ">= 4 x" : "below 4 x, quick mode: indicative only,") +
                             " LLC " + human(ctx.llc_bytes) + ")";
    if (auto x = streaming_target(r, ctx, kNonTemporal,
                                  "...NonTemporal copy of " + size + " >= " +
                                      fmt("%.0f%%", 100 * threshold(kNonTemporal)) +
                                      " of a plain non-temporal copy loop",
                                  "streaming", "copy_nt_auto", "plain_nt_copy"))
      t.push_back(*x);
    // FillUserMemory has no non-temporal form: it streams only from the plan's non-temporal
    // fill threshold on, which may lie above this length (a large LLC in quick mode, a pinned or
    // calibrated threshold), and a cached-store fill beside a streaming loop says nothing
    // about the streaming kernel. The children that timed the pair ran this binary under the
    // same environment and profile, hence under this plan.
    const std::string fill_what = "FillUserMemory (streaming) of " + size + " >= " +
                                  fmt("%.0f%%", 100 * threshold(kNonTemporalFill)) +
                                  " of a plain non-temporal store loop";
    if (!fill_streams_at(n))
      t.push_back({fill_what,
                   "not measured: fills of " + human(n) + " run " + fill_kernel_at(n) +
                       " under this plan",
                   false, false});
    else if (auto x = streaming_target(r, ctx, kNonTemporalFill, fill_what, "streaming_fill",
                                       "fill_auto", "plain_nt_store"))
      t.push_back(*x);
  }
  for (const auto& [base, id] : {std::pair<std::string, TargetId>{"sigsetjmp1", kVsSigsetjmp},
                                 {"process_vm_readv", kVsProcessVmReadv}}) {
    double least = 1e9;
    std::size_t at = 0;
    for (std::size_t n : report_lengths()) {
      if (n > 4096) break;
      const Result* ours = find(r, "copy_from_user", "auto", "a0", "hot", n);
      const Result* other = find(r, "copy_from_user", base, "a0", "hot", n);
      if (ours && other && other->ns / ours->ns < least) least = other->ns / ours->ns, at = n;
    }
    if (at == 0) continue;  // not measured (a --benchmark_filter left it out)
    const std::string who = base == "sigsetjmp1" ? "a sigsetjmp(buf, 1) guard" : "process_vm_readv";
    t.push_back(
        {">= " + fmt("%.0f", threshold(id)) + "x faster than " + who + " at every length <= 4 KiB",
         fmt("%.1fx", least) + " least, at " + human(at), met(id, least)});
  }
  return t;
}

std::string targets_table(const std::vector<Target>& targets) {
  std::ostringstream o;
  o << "| target | measured | status |\n|---|---|---|\n";
  for (const Target& t : targets)
    o << "| " << t.what << " | " << t.result << " | "
      << (!t.measured ? "not measured" : t.met ? "met" : "**missed**") << " |\n";
  return o.str();
}

std::string headline_table(const Results& r) {
  std::ostringstream o;
  o << "| length | memcpy ns | CopyFromUser (auto) ns | ratio | difference ns | "
       "KernelMode ns (no range check) | ratio |\n|---:|---:|---:|---:|---:|---:|---:|\n";
  for (std::size_t n : report_lengths()) {
    const Result* ours = find(r, "copy_from_user", "auto", "a0", "hot", n);
    const Result* base = find(r, "copy_from_user", "memcpy", "a0", "hot", n);
    const Result* kernel = find(r, "copy_from_user", "kernel_mode", "a0", "hot", n);
    if (!ours || !base) continue;
    o << "| " << human(n) << " | " << fmt("%.2f", base->ns) << " | " << fmt("%.2f", ours->ns) << " | "
      << fmt("%.2f", ours->ns / base->ns) << " | " << fmt("%+.2f", ours->ns - base->ns) << " | "
      << (kernel ? fmt("%.2f", kernel->ns) + " | " + fmt("%.2f", kernel->ns / base->ns) : std::string(" | "))
      << " |\n";
  }
  return o.str();
}

std::string ratio_cell(const Ratio& x) {
  return fmt("%.2f", x.median) + " (" + fmt("%.2f", x.q1) + "-" + fmt("%.2f", x.q3) + "; " +
         fmt("%.2f", x.process_min) + "-" + fmt("%.2f", x.process_max) + ")";
}

std::string interleaved_table(const Headline& h, const std::string& placement) {
  const bool strings = placement.rfind("string", 0) == 0;
  const std::string base = strings ? "strlen" : "memcpy";
  const std::string cxx = strings ? "StringLengthFromUser" : "CopyFromUser";
  std::ostringstream o;
  o << "| length | " << base << " ns | " << cxx << " / " << base << " | C status API / " << base
    << " | C API / " << cxx << " |\n|---:|---:|---:|---:|---:|\n";
  const auto it = h.find(placement);
  if (it == h.end()) return o.str();
  for (const auto& [n, p] : it->second)
    o << "| " << (placement == "mix" ? std::string("mix") : human(n)) << " | "
      << fmt("%.2f", p.memcpy_ns) << " | " << ratio_cell(p.cxx) << " | " << ratio_cell(p.c)
      << " | " << ratio_cell(p.c_over_cxx) << " |\n";
  if (placement != "mix") {
    const auto v = headline_ratios(h, placement, &HeadlinePoint::cxx);
    o << "\n" << cxx << " / " << base << ", geometric mean per size band:";
    for (const Band& b : kBands) {
      const double g = geomean(v, b.from, b.to);
      if (!std::isnan(g)) o << " " << b.name << " " << fmt("%.2f", g) << ";";  // strings: to 1 MiB
    }
    o << " all " << fmt("%.3f", geomean(v)) << ".\n";
  }
  return o.str();
}

// The single accesses: one row per accessor, against the same access without fault safety.
std::string single_access_table(const Headline& h) {
  std::ostringstream o;
  o << "| accessor | plain access | plain ns | accessor / plain | C status API / plain | C API / "
       "accessor |\n|---|---|---:|---:|---:|---:|\n";
  for (const SingleAccessInfo& a : kSingleAccesses) {
    const auto it = h.find(single_placement(a));
    if (it == h.end() || it->second.count(a.size) == 0) continue;
    const HeadlinePoint& p = it->second.at(a.size);
    o << "| `" << a.accessor << "` | `" << a.plain << "` | " << fmt("%.2f", p.memcpy_ns) << " | "
      << ratio_cell(p.cxx) << " | " << ratio_cell(p.c) << " | " << ratio_cell(p.c_over_cxx)
      << " |\n";
  }
  return o.str();
}

std::string headline_section(const ReportContext& ctx) {
  const HeadlineOptions& o = ctx.headline_options;
  std::ostringstream s;
  s << "Medians of the per-round ratios over " << o.rounds << " interleaved rounds in each of "
    << o.processes << " processes (every round times memcpy, CopyFromUser and the C status "
       "API `umaccess_copy_from_user` back to back at one length and placement, in a rotating "
       "order; each process runs its timed loops at another offset, 0/16/32/48 bytes, in a "
       "64-byte line, since short copies gain or lose whole cycles with it); in brackets the interquartile range of every round's ratio, then the range "
       "of the per-process medians. Hot caches; `aligned` is page-aligned, `misaligned` "
       "source +1 and destination +3.\n\n### Aligned\n\n"
    << interleaved_table(*ctx.headline, "aligned") << "\n### Misaligned\n\n"
    << interleaved_table(*ctx.headline, "misaligned") << "\n### Random-size mix\n\n"
    << mix_description() << "; time per copy.\n\n" << interleaved_table(*ctx.headline, "mix");
  if (ctx.headline->count("string") != 0)
    s << "\n### StringLengthFromUser beside glibc strlen\n\nThe same rounds and processes time "
         "glibc `strlen`, `StringLengthFromUser` and the C status API "
         "`umaccess_string_length_from_user` on a string of 'a's up to 1 MiB, hot, page-aligned "
         "and 7 bytes past a 64-byte boundary (`s7`).\n\n#### Aligned\n\n"
      << interleaved_table(*ctx.headline, "string") << "\n#### s7\n\n"
      << interleaved_table(*ctx.headline, "string_s7");
  if (ctx.headline->count(single_placement(kSingleAccesses[0])) != 0)
    s << "\n### Single accesses beside the same access without fault safety\n\nThe same rounds "
         "and processes time each accessor, its C status function and the plain access on one "
         "naturally aligned word of user memory holding a non-zero value, hot. The plain access "
         "can neither fail nor be refused; the difference is the price of the range check, the "
         "call and the fault coverage.\n\n"
      << single_access_table(*ctx.headline);
  return s.str();
}

std::string band_table(const Results& r) {
  std::ostringstream o;
  o << "| family | alignment | cache | series |";
  for (const Band& b : kBands) o << " " << b.name << " |";
  o << " all |\n|---|---|---|---|";
  for (std::size_t i = 0; i <= sizeof kBands / sizeof kBands[0]; ++i) o << "---:|";
  o << "\n";
  for (const char* family : {"copy_from_user", "copy_to_user", "copy_user_to_user", "move", "fill", "copy_nt",
                             "string_length"}) {
    std::vector<std::pair<std::string, std::string>> groups;  // (alignment, cache)
    for (const auto& [key, res] : r)
      if (std::get<0>(key) == family) {
        auto g = std::make_pair(std::get<2>(key), std::get<3>(key));
        if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
      }
    for (const auto& [alignment, cache] : groups)
      for (const std::string& s : series_present(r, family)) {
        const auto v = ratios(r, family, s, alignment, cache);
        if (v.empty()) continue;
        o << "| " << family << " | " << alignment << " | " << cache << " | " << label(s) << " |";
        for (const Band& b : kBands) {
          const double g = geomean(v, b.from, b.to);
          o << " " << (std::isnan(g) ? std::string("") : fmt("%.2f", g)) << " |";
        }
        o << " " << fmt("%.2f", geomean(v)) << " |\n";
      }
  }
  return o.str();
}

std::string length_table(const Results& r, const std::string& family, const std::string& alignment,
                         const std::string& cache) {
  const auto series = series_present(r, family);
  std::ostringstream o;
  o << "| length | " << baseline_of(family) << " ns |";
  for (const auto& s : series) o << " " << label(s) << " |";
  o << "\n|---:|---:|";
  for (std::size_t i = 0; i < series.size(); ++i) o << "---:|";
  o << "\n";
  for (std::size_t n : report_lengths()) {
    const Result* base = find(r, family, baseline_of(family), alignment, cache, n);
    if (!base) continue;
    o << "| " << human(n) << " | " << fmt("%.2f", base->ns) << " |";
    for (const auto& s : series) {
      const Result* ours = find(r, family, s, alignment, cache, n);
      o << " " << (ours ? fmt("%.2f", ours->ns / base->ns) : "") << " |";
    }
    o << "\n";
  }
  return o.str();
}

std::string other_tables(const Results& r) {
  std::ostringstream o;
  o << "## The fault path\n\nFrom a faulting 64-byte copy (8 bytes readable, then a PROT_NONE page) to the code that handles it.\n\n"
    << "| path | ns per fault |\n|---|---:|\n";
  for (const auto& [s, what] : {std::pair<std::string, std::string>{"exception", "CopyFromUser, caught as umaccess::StructuredException"},
                                {"status", "umaccess_copy_from_user, returning the status"},
                                {"sigsetjmp1", "memcpy in a sigsetjmp(buf, 1) guard, siglongjmp from the handler (chained behind ours)"}})
    if (const Result* x = find(r, "fault", s, "a0", "hot", 64)) o << "| " << what << " | " << fmt("%.0f", x->ns) << " |\n";
  o << "\n## Probes\n\nProbeForRead checks alignment and the user range only; ProbeForWrite also touches "
       "every page with an atomic no-op write.\n\n| length | ProbeForRead ns | ProbeForWrite ns |\n|---:|---:|---:|\n";
  for (std::size_t n : report_lengths()) {
    const Result* pr = find(r, "probe", "ProbeForRead", "a0", "hot", n);
    const Result* pw = find(r, "probe", "ProbeForWrite", "a0", "hot", n);
    if (pr && pw) o << "| " << human(n) << " | " << fmt("%.2f", pr->ns) << " | " << fmt("%.2f", pw->ns) << " |\n";
  }
  bool any = false;
  std::ostringstream c;
  c << "\n## Bandwidth ceilings\n\n| loop | size | GB/s |\n|---|---:|---:|\n";
  for (const auto& [key, x] : r)
    if (std::get<0>(key) == "ceiling") {
      any = true;
      c << "| " << std::get<1>(key) << " | " << human(std::get<4>(key)) << " | " << fmt("%.2f", x.bytes_per_second / 1e9) << " |\n";
    }
  if (any) o << c.str();
  return o.str();
}

void write_plot(const Results& r, const std::string& dir, const std::string& family,
                const std::vector<std::string>& series, const std::string& title) {
  const std::string data = dir + "/" + family + ".dat";
  std::ofstream d(data);
  d << "# length";
  for (const auto& s : series) d << " " << label(s);
  d << "   (GB/s, aligned, hot)\n";
  for (std::size_t n : report_lengths()) {
    d << n;
    for (const auto& s : series) {
      const Result* x = find(r, family, s, "a0", "hot", n);
      d << " " << (x ? fmt("%.4f", x->bytes_per_second / 1e9) : "?");
    }
    d << "\n";
  }
  d.close();
  std::ofstream g(dir + "/" + family + ".gnuplot");
  g << "set terminal pngcairo size 1280,720 noenhanced font ',11'\n"
    << "set output '" << family << ".png'\n"
    << "set title '" << title << "'\n"
    << "set logscale x 2\nset xtics (\"1 B\" 1, \"16 B\" 16, \"256 B\" 256, \"4 KiB\" 4096, "
       "\"64 KiB\" 65536, \"1 MiB\" 1048576, \"16 MiB\" 16777216, \"256 MiB\" 268435456)\n"
    << "set xlabel 'length (bytes, log scale)'\nset ylabel 'GB/s (bytes copied per second)'\n"
    << "set key outside right\nset grid\nset datafile missing '?'\n"
    << "plot ";
  for (std::size_t i = 0; i < series.size(); ++i)
    g << (i ? ", " : "") << "'" << family << ".dat' using 1:" << i + 2 << " with linespoints title '"
      << label(series[i]) << "'";
  g << "\n";
  g.close();
  const std::string cmd = "cd '" + dir + "' && gnuplot " + family + ".gnuplot 2>/dev/null";
  if (std::system(cmd.c_str()) != 0)
    std::fprintf(stderr, "umaccess-bench-report: gnuplot failed or is missing: no %s.png\n", family.c_str());
}

}  // namespace

std::string write_report(const Results& r, const ReportContext& ctx, const std::string& dir) {
  const auto targets = check_targets(r, ctx);
  std::ostringstream summary;
  summary << "## Plan in force\n\n" << ctx.plan << "\n## Targets\n\n" << targets_table(targets);
  if (ctx.headline != nullptr)
    summary << "\n## Headline: CopyFromUser (auto) beside glibc memcpy\n\n" << headline_section(ctx);
  summary << "\n## CopyFromUser (auto) vs glibc memcpy, aligned, hot: Google Benchmark, one process\n\n"
          << headline_table(r);
  const auto headline = ratios(r, "copy_from_user", "auto", "a0", "hot");
  summary << "\nGeometric mean per size band:";
  for (const Band& b : kBands) summary << " " << b.name << " " << fmt("%.2f", geomean(headline, b.from, b.to)) << ";";
  summary << " all " << fmt("%.3f", geomean(headline)) << ".\n";

  std::ofstream md(dir + "/report.md");
  md << "# umaccess benchmark report\n\nCPU: " << ctx.cpu << ". Mode: " << ctx.mode
     << ". Every ratio is ours / glibc in the same process and run (time, lower is better). "
        "Lengths are bytes; `a0` aligned, `s1d3` source +1 and destination +3, `s33d33` both +33; "
        "move `dst+5`/`dst-5` overlap by 5 bytes; string_length `s7` starts the string 7 bytes past a 64-byte boundary; `cold` flushes both buffers from the caches before every copy.\n\n"
     << summary.str()
     << "\n![CopyFromUser: GB/s against length](copy_from_user.png)\n\n"
     << "## Every family: geometric mean of the ratio per size band\n\n" << band_table(r)
     << "\n## Per length: CopyFromUser, every variant\n\n"
     << "Google Benchmark. `memcpy` and `auto` ran in this process, each variant's column in a "
        "process of its own, since a raw entry's jump to its kernel that has reached several "
        "variants' kernels costs one of them about a nanosecond a call (docs/performance.md, "
        "\"One jump, one kernel\"). One process per column: at short lengths the same kernel "
        "can read a third or more apart in two processes on a shared machine (the headline "
        "above pools four).\n\n";
  for (const char* alignment : {"a0", "s1d3", "s33d33"})
    md << "### " << alignment << ", hot\n\n" << length_table(r, "copy_from_user", alignment, "hot") << "\n";
  for (const char* family : {"copy_to_user", "copy_user_to_user", "move", "fill", "copy_nt", "string_length"}) {
    const std::string alignment = std::string(family) == "move" ? "dst+5" : "a0";
    md << "### " << family << ", " << alignment << ", hot\n\n" << length_table(r, family, alignment, "hot") << "\n";
  }
  md << other_tables(r) << "\n## What the dispatcher chose\n\n```\n" << ctx.dispatch << "```\n";
  md.close();

  if (r.empty()) return summary.str();  // the headline alone (--headline-only): nothing to plot
  std::vector<std::string> plot_series = series_present(r, "copy_from_user");
  for (const char* b : {"memcpy", "sigsetjmp1", "process_vm_readv"}) plot_series.push_back(b);
  write_plot(r, dir, "copy_from_user", plot_series, "CopyFromUser beside glibc memcpy, a sigsetjmp guard and process_vm_readv (" + ctx.cpu + ")");
  return summary.str();
}

}  // namespace umabench
