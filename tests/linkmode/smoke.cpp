// SPDX-License-Identifier: Apache-2.0
// tests/linkmode/smoke.cpp - built in every link mode (static archive with --gc-sections
// under bfd, gold and lld; shared library into a PIE; LTO; fully static). If a link mode
// dropped the fault table, the first fault below would kill the process instead of raising.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "umaccess/usermode_accessors.h"

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "linkmode smoke: FAILED: %s\n", what);
    ++failures;
  }
}

template <typename F>
void expect_fault(F f, std::uintptr_t address, std::size_t done, bool is_write, const char* what) {
  try {
    f();
    check(false, what);
  } catch (const umaccess::StructuredException& e) {
    check(e.code() == STATUS_ACCESS_VIOLATION && e.address() == address &&
              e.bytes_copied() == done && e.is_write() == is_write,
          what);
  }
}

}  // namespace

int main() {
  const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  auto* p = static_cast<char*>(
      mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  char* guard = p + page;
  mprotect(guard, page, PROT_NONE);
  std::memset(p, 'x', page);
  const auto g = reinterpret_cast<std::uintptr_t>(guard);
  char buf[8192];

  for (const auto& v : umaccess::dispatch::variants()) {
    if (!v.supported) continue;
    umaccess::dispatch::select(v.name);
    expect_fault([&] { CopyFromUser(buf, guard - 7, 64); }, g, 7, false, "CopyFromUser");
    expect_fault([&] { CopyToUser(guard - 9, buf, 4096); }, g, 9, true, "CopyToUser");
    expect_fault([&] { MoveToUserFromUser(guard - 100, p, 300); }, g, 100, true,
                 "MoveToUserFromUser");
    expect_fault([&] { CopyFromUserNonTemporal(buf, guard - 300, 1000); }, g, 300, false,
                 "CopyFromUserNonTemporal");
    expect_fault([&] { FillUserMemory(guard - 3, 5000, 1); }, g, 3, true, "FillUserMemory");
    expect_fault([&] { ProbeForWrite(p, 2 * page, 1); }, g, page, true, "ProbeForWrite");
  }
  CopyFromUser(buf, p, 100);
  check(buf[99] == 'x', "plain copy");
  if (failures == 0) std::puts("linkmode smoke: ok");
  return failures == 0 ? 0 : 1;
}
