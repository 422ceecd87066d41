// SPDX-License-Identifier: Apache-2.0
// dispatch/calibrate/decide.cpp - see decide.h.
#include "decide.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>

namespace umaccess::calibrate {
namespace {

constexpr std::size_t kNeverValue = SIZE_MAX;

std::string fixed(double v, const char* format = "%.2f") {
  char buf[32];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

}  // namespace

std::string bytes_text(std::size_t n) {
  if (n == kNeverValue) return "never";
  if (n >= (std::size_t{1} << 20) && n % (std::size_t{1} << 20) == 0)
    return std::to_string(n >> 20) + " MiB";
  if (n >= 1024 && n % 1024 == 0) return std::to_string(n >> 10) + " KiB";
  return std::to_string(n) + " B";
}

Spread spread_of(std::vector<double> v) {
  Spread s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto i = static_cast<std::size_t>(pos);
    const double frac = pos - static_cast<double>(i);
    return i + 1 < v.size() ? v[i] * (1 - frac) + v[i + 1] * frac : v[i];
  };
  s.median = at(0.5);
  s.spread = s.median > 0 ? (at(0.75) - at(0.25)) / s.median : 0;
  return s;
}

double gain_needed(double noise) { return std::min(kGainNeeded, 1 - 2 * noise); }

Choice choose_threshold(const std::vector<RoutePoint>& points,
                        const std::vector<std::size_t>& candidates, std::size_t policy,
                        const std::string& name, double noise) {
  const double needed = gain_needed(noise);
  auto time_at = [](const RoutePoint& p, std::size_t threshold) {
    return p.length >= threshold ? p.above_ns : p.below_ns;
  };
  Choice best;
  best.value = policy;
  double best_log = 0;  // the policy's own cost, relative to itself
  for (std::size_t t : candidates) {
    double log_sum = 0, worst = 0;
    std::string worst_at;
    for (const RoutePoint& p : points) {
      const double r = time_at(p, t) / time_at(p, policy);
      log_sum += std::log(r);
      if (r > worst) worst = r, worst_at = bytes_text(p.length) + " " + p.what;
    }
    const double mean_log = points.empty() ? 0 : log_sum / static_cast<double>(points.size());
    const bool clear = std::exp(mean_log) <= needed && worst <= kWorstAllowed;
    if (t != policy && clear && mean_log < best_log) {
      best_log = mean_log;
      best.value = t;
      best.departs = true;
      best.gain = std::exp(mean_log);
      best.worst = worst;
      best.worst_at = worst_at;
    }
  }
  // The best alternative that did not clear the margin, for the record.
  double runner_log = 1e9;
  std::size_t runner = policy;
  for (std::size_t t : candidates) {
    if (t == policy) continue;
    double log_sum = 0;
    for (const RoutePoint& p : points) log_sum += std::log(time_at(p, t) / time_at(p, policy));
    const double m = points.empty() ? 0 : log_sum / static_cast<double>(points.size());
    if (m < runner_log) runner_log = m, runner = t;
  }
  const std::string band = points.empty() ? "no points"
                                          : bytes_text(points.front().length) + " .. " +
                                                bytes_text(points.back().length) + ", " +
                                                std::to_string(points.size()) + " points";
  if (best.departs) {
    best.evidence =
        name + (best.value == kNeverValue ? " never" : " from " + bytes_text(best.value)) + ": " +
        fixed(best.gain) + " x the policy's " + bytes_text(policy) + " (geomean, " + band +
        "); worst point " + fixed(best.worst) + " at " + best.worst_at;
  } else {
    best.evidence = "policy kept (" + bytes_text(policy) + "): the best alternative, " +
                    bytes_text(runner) + ", measured " +
                    fixed(runner_log < 1e8 ? std::exp(runner_log) : 1.0) + " x (geomean, " + band +
                    "; needs <= " + fixed(needed) + ")";
  }
  return best;
}

VariantChoice choose_variant(const std::map<std::string, std::vector<double>>& medians,
                             const std::vector<std::string>& point_names, const std::string& policy,
                             double noise) {
  const double needed = gain_needed(noise);
  VariantChoice best;
  best.name = policy;
  const auto base = medians.find(policy);
  std::string table;
  double best_log = 0;
  for (const auto& [name, times] : medians) {
    if (base == medians.end() || times.size() != base->second.size() || times.empty()) continue;
    double log_sum = 0, worst = 0;
    std::size_t worst_i = 0;
    for (std::size_t i = 0; i < times.size(); ++i) {
      const double r = times[i] / base->second[i];
      log_sum += std::log(r);
      if (r > worst) worst = r, worst_i = i;
    }
    const double mean_log = log_sum / static_cast<double>(times.size());
    table += (table.empty() ? "" : ", ") + name + " " + fixed(std::exp(mean_log));
    if (name != policy && std::exp(mean_log) <= needed && worst <= kWorstAllowed &&
        mean_log < best_log) {
      best_log = mean_log;
      best.name = name;
      best.departs = true;
      best.gain = std::exp(mean_log);
      best.worst = worst;
      best.evidence = "worst point " + fixed(worst) + " at " +
                      (worst_i < point_names.size() ? point_names[worst_i] : "?");
    }
  }
  const std::string lead = best.departs ? best.name + " measured " + fixed(best.gain) + " x " +
                                              policy + " (the policy's); " + best.evidence
                                        : "policy kept (" + policy + ")";
  best.evidence = lead + "; geomean x " + policy + ": " + table;
  return best;
}

}  // namespace umaccess::calibrate
