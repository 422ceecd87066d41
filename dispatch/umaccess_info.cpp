// SPDX-License-Identifier: Apache-2.0
// dispatch/umaccess_info.cpp - umaccess-info: what the dispatcher sees and chooses on this
// machine: the CPU, every variant, the thresholds with their reasons, the kernel per
// operation and length.
//
//   umaccess-info               human-readable report
//   umaccess-info --json        the same as one JSON object
//   umaccess-info --record-cpu  this machine's raw CPU facts as a test fixture
//                               (tests/fixtures/cpu/): CPUID leaves, HWCAPs, cache files
#include <cstdio>
#include <cstring>
#include <string>

#include "umaccess/umaccess.hpp"

namespace umaccess::detail {
std::string record_host_cpu();  // dispatch/cpu_source.h
}

int main(int argc, char** argv) {
  using namespace umaccess::dispatch;
  ReportFormat as = ReportFormat::Text;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) {
      as = ReportFormat::Json;
    } else if (std::strcmp(argv[i], "--record-cpu") == 0) {
      std::fputs(umaccess::detail::record_host_cpu().c_str(), stdout);
      return 0;
    } else {
      std::fprintf(stderr, "usage: %s [--json | --record-cpu]\n", argv[0]);
      return 2;
    }
  }
  std::fputs(format(describe(), as).c_str(), stdout);
  return 0;
}
