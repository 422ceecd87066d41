// SPDX-License-Identifier: Apache-2.0
// tests/calibrate_test.cpp - umaccess-calibrate's decisions on synthetic measurements: a
// value departs from the policy only where it measured clearly better over its band and
// nowhere much worse; noise raises the bar; the evidence says why.
#include <gtest/gtest.h>

#include <cstdint>

#include "calibrate/decide.h"

namespace umatest {
namespace {

using namespace umaccess::calibrate;
constexpr std::size_t kNever = SIZE_MAX;

// Lengths 2 KiB .. 1 MiB; the rep route is `rep_ratio` of the vector route from `crossover`.
std::vector<RoutePoint> band(std::size_t crossover, double rep_ratio, double rep_below = 1.5) {
  std::vector<RoutePoint> points;
  for (std::size_t n = 2048; n <= (1u << 20); n *= 2) {
    const double vector_ns = static_cast<double>(n) / 32;
    points.push_back(
        {n, "aligned", vector_ns, vector_ns * (n >= crossover ? rep_ratio : rep_below)});
  }
  return points;
}

std::vector<std::size_t> candidates() {
  std::vector<std::size_t> c = {kNever};
  for (std::size_t n = 2048; n <= (1u << 20); n *= 2) c.push_back(n);
  return c;
}

TEST(CalibrateDecide, AClearlyBetterThresholdIsChosenWithItsEvidence) {
  // rep wins by 30 % from 16 KiB and loses by 50 % below; the policy says never.
  const Choice c = choose_threshold(band(16384, 0.7), candidates(), kNever, "rep movsb", 0.01);
  EXPECT_TRUE(c.departs);
  EXPECT_EQ(c.value, 16384u);
  EXPECT_LT(c.gain, 0.95);
  EXPECT_LE(c.worst, 1.0);
  EXPECT_EQ(c.evidence.rfind("rep movsb from 16 KiB: ", 0), 0u) << c.evidence;
  EXPECT_NE(c.evidence.find("x the policy's never"), std::string::npos) << c.evidence;
}

TEST(CalibrateDecide, ASmallGainKeepsThePolicy) {
  const Choice c = choose_threshold(band(16384, 0.98), candidates(), kNever, "rep movsb", 0.01);
  EXPECT_FALSE(c.departs);
  EXPECT_EQ(c.value, kNever);
  EXPECT_EQ(c.evidence.rfind("policy kept (never): the best alternative, 16 KiB, measured 0.99", 0),
            0u)
      << c.evidence;
}

TEST(CalibrateDecide, AGainThatCostsOnePointMoreThanTenPercentIsRefused) {
  std::vector<RoutePoint> points = band(2048, 0.7);
  points[3].above_ns = points[3].below_ns * 1.3;  // rep much worse at one length
  const Choice c = choose_threshold(points, candidates(), kNever, "rep movsb", 0.01);
  // From 2 KiB rep would lose 30 % at 16 KiB; a threshold above that point is still fine.
  EXPECT_TRUE(c.departs);
  EXPECT_GT(c.value, points[3].length);
  EXPECT_LE(c.worst, kWorstAllowed);
}

TEST(CalibrateDecide, NoiseRaisesTheBar) {
  const auto points = band(16384, 0.92);
  EXPECT_TRUE(choose_threshold(points, candidates(), kNever, "rep movsb", 0.01).departs);
  // With identical rounds spreading 5 %, a 6 % gain is no longer clear.
  EXPECT_DOUBLE_EQ(gain_needed(0.05), 0.90);
  EXPECT_FALSE(choose_threshold(points, candidates(), kNever, "rep movsb", 0.05).departs);
}

TEST(CalibrateDecide, ThePolicyValueMeasuredBestStays) {
  const Choice c = choose_threshold(band(16384, 0.7), candidates(), 16384, "rep movsb", 0.01);
  EXPECT_FALSE(c.departs);
  EXPECT_EQ(c.value, 16384u);
}

TEST(CalibrateDecide, VariantsByGeometricMeanWithTheSameMargin) {
  const std::vector<std::string> points = {"16 B", "256 B", "4 KiB"};
  std::map<std::string, std::vector<double>> m = {
      {"evex", {2.0, 10.0, 100.0}}, {"avx512", {2.0, 7.0, 60.0}}, {"avx2", {2.1, 10.5, 101.0}}};
  VariantChoice v = choose_variant(m, points, "evex", 0.01);
  EXPECT_TRUE(v.departs);
  EXPECT_EQ(v.name, "avx512");
  EXPECT_NE(v.evidence.find("avx512 measured 0.75 x evex (the policy's)"), std::string::npos)
      << v.evidence;
  // One point 20 % worse: not a clear win, whatever the mean.
  m["avx512"][0] = 2.4;
  v = choose_variant(m, points, "evex", 0.01);
  EXPECT_FALSE(v.departs);
  EXPECT_EQ(v.name, "evex");
  EXPECT_EQ(v.evidence.rfind("policy kept (evex)", 0), 0u) << v.evidence;
}

TEST(CalibrateDecide, SpreadIsTheInterquartileRangeOverTheMedian) {
  const Spread s = spread_of({10, 10, 10, 10, 10, 10, 10, 10, 100});
  EXPECT_DOUBLE_EQ(s.median, 10);
  EXPECT_DOUBLE_EQ(s.spread, 0);
  const Spread t = spread_of({8, 9, 10, 11, 12});
  EXPECT_DOUBLE_EQ(t.median, 10);
  EXPECT_DOUBLE_EQ(t.spread, 0.2);
}

}  // namespace
}  // namespace umatest
