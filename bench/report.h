// SPDX-License-Identifier: Apache-2.0
// bench/report.h - turns the collected runs into the report: the targets and where we stand,
// ratio tables against glibc with geometric means per size band, the fault path, the
// bandwidth ceilings, and a plot of GB/s against length.
#pragma once

#include <map>
#include <string>
#include <tuple>

#include "headline.h"
#include "suite.h"

namespace umabench {

struct Result {
  double ns = 0;              // real time per operation
  double bytes_per_second = 0;
};

// (family, series, alignment, cache, length) -> result
using Key = std::tuple<std::string, std::string, std::string, std::string, std::size_t>;
using Results = std::map<Key, Result>;

struct ReportContext {
  std::string cpu;           // brand and microarchitecture
  std::string mode;          // "full" or "quick"
  std::string dispatch;      // umaccess-info's text
  std::string plan;          // the plan in force and where each choice came from
  std::size_t ceiling_bytes = 0;
  std::size_t llc_bytes = 0;
  // The interleaved multi-process measurement the headline and its targets come from.
  const Headline* headline = nullptr;
  HeadlineOptions headline_options;
};

// Writes report.md, plot data and (with gnuplot) PNGs into `dir`; returns the summary that
// is also printed to the terminal.
std::string write_report(const Results& results, const ReportContext& context,
                         const std::string& dir);

}  // namespace umabench
