// SPDX-License-Identifier: Apache-2.0
// bench/suite.h - the benchmark matrix: every operation family x auto and every supported
// variant x the lengths x alignments (x cold/hot cache for large lengths), the
// glibc and fault-survival baselines beside them, the fault path, and bandwidth ceilings.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace umabench {

struct Options {
  bool quick = false;           // < 2 minutes: shorter runs, lengths to 16 MiB, no cold mode
  double min_time = 0.02;       // seconds per benchmark
  double headline_time = 0.1;   // for copy_from_user auto and memcpy, aligned, hot
  std::size_t max_length = std::size_t{256} << 20;
  std::size_t ceiling_bytes = 0;  // size of the bandwidth-ceiling copies (0: none)
};

// Benchmark names are "<family>/<series>/<alignment>/<cache>/<length>".
struct Name {
  std::string family, series, alignment, cache;
  std::size_t length = 0;
  static bool parse(const std::string& s, Name* out);
};

const std::vector<std::size_t>& report_lengths();

// Which part of the matrix to register. The per-variant series ("uma:<variant>") each run
// in a process of their own (main.cpp): a raw entry's jump to its kernel that has reached
// several variants' kernels costs the one it predicts less well about a nanosecond a call
// (docs/performance.md, "One jump, one kernel"), which would be measured as the variant's.
enum class Part {
  kAll,      // the whole matrix (--benchmark_list_tests)
  kShared,   // everything but the per-variant series: glibc, auto, the baselines, ...
  kVariant,  // one variant's series alone
};

// Registers that part with Google Benchmark (kVariant: the series of `variant`, a supported
// variant's name); returns how many were registered.
std::size_t register_suite(const Options& options, Part part = Part::kAll,
                           const std::string& variant = "");

}  // namespace umabench
