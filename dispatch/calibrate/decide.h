// SPDX-License-Identifier: Apache-2.0
// dispatch/calibrate/decide.h - umaccess-calibrate's decisions, as pure functions of the
// measurements (tests/calibrate_test.cpp feeds them synthetic tables).
//
// A choice departs from the built-in policy only where it measured better by a clear
// margin: its geometric mean over the band at most kGainNeeded of the policy's, and no
// single measured point more than kWorstAllowed of the policy's time there.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace umaccess::calibrate {

constexpr double kGainNeeded = 0.95;    // at least 5 % faster over the band
constexpr double kWorstAllowed = 1.10;  // and nowhere more than 10 % slower
constexpr double kNoiseLimit = 0.10;    // interquartile range / median of identical rounds

// The median and the relative spread ((q3 - q1) / median) of repeated timings.
struct Spread {
  double median = 0, spread = 0;
};
Spread spread_of(std::vector<double> samples);

// One measured point of a threshold band: the time of the route taken below the threshold
// and of the route taken from it (medians of interleaved rounds).
struct RoutePoint {
  std::size_t length;
  std::string what;  // the alignment or distance class, for the evidence
  double below_ns, above_ns;
};

struct Choice {
  bool departs = false;   // the measured value differs from the policy's
  std::size_t value = 0;  // the threshold chosen (kNever: never)
  double gain = 1;        // geometric mean of chosen / policy over the band
  double worst = 1;       // the largest chosen / policy at one point
  std::string worst_at;   // where
  std::string evidence;   // one line for the profile
};

// The gain a departure needs: kGainNeeded, or more where the machine's noise (the spread
// of identical rounds) is large enough to fake a smaller one.
double gain_needed(double noise);

// Picks among `candidates` (the policy's value is always one) the threshold whose routes
// cost least over `points`.
Choice choose_threshold(const std::vector<RoutePoint>& points,
                        const std::vector<std::size_t>& candidates, std::size_t policy,
                        const std::string& name, double noise);

// Per variant, its medians at the same points (same order); picks the fastest over the band
// under the same margin rule, else the policy's.
struct VariantChoice {
  std::string name;
  bool departs = false;
  double gain = 1, worst = 1;
  std::string evidence;
};
VariantChoice choose_variant(const std::map<std::string, std::vector<double>>& medians,
                             const std::vector<std::string>& point_names, const std::string& policy,
                             double noise);

// "26 KiB", "2112 B", "never".
std::string bytes_text(std::size_t n);

}  // namespace umaccess::calibrate
