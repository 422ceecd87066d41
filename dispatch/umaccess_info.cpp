// dispatch/umaccess_info.cpp - umaccess-info: what the dispatcher sees and chooses on this
// machine: the CPU, every variant, the thresholds with their reasons, the kernel per
// operation and length.
//
//   umaccess-info          human-readable report
//   umaccess-info --json   the same as one JSON object
#include <cstdio>
#include <cstring>

#include "umaccess/umaccess.hpp"

int main(int argc, char** argv) {
  using namespace umaccess::dispatch;
  ReportFormat as = ReportFormat::Text;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) {
      as = ReportFormat::Json;
    } else {
      std::fprintf(stderr, "usage: %s [--json]\n", argv[0]);
      return 2;
    }
  }
  std::fputs(format(describe(), as).c_str(), stdout);
  return 0;
}
