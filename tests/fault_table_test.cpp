// SPDX-License-Identifier: Apache-2.0
// tests/fault_table_test.cpp - the decoded fault table (src/fault_table.*), white-box: the
// handler's lookup must find exactly the covered bytes, and every recovery address must be
// code of the same object as the range it recovers.
#include <dlfcn.h>

#include <cstring>
#include <vector>

#include "fault_table.h"
#include "sealed.h"
#include "support.h"

namespace umatest {
namespace {

using umaccess::detail::fault_range_count;
using umaccess::detail::fault_ranges;
using umaccess::detail::find_fault_range;

// The object (executable or shared library) that holds the code at `address`.
const void* object_of(std::uintptr_t address) {
  Dl_info info{};
  if (dladdr(reinterpret_cast<const void*>(address), &info) == 0) return nullptr;
  return info.dli_fbase;
}

TEST(FaultTable, LookupFindsExactlyTheCoveredBytes) {
  umaccess::install_fault_handler();  // builds the table
  const std::size_t n = fault_range_count();
  ASSERT_GT(n, 10u) << "every kernel family registers its ranges";
  const umaccess::detail::FaultRange* ranges = fault_ranges();
  for (std::size_t i = 0; i < n; ++i) {
    const auto& r = ranges[i];
    ASSERT_LT(r.begin, r.end) << i;
    if (i > 0) {
      ASSERT_LE(ranges[i - 1].end, r.begin) << "sorted, not overlapping: " << i;
    }
    EXPECT_EQ(find_fault_range(r.begin), &r) << i;
    EXPECT_EQ(find_fault_range(r.end - 1), &r) << i;
    const bool next_starts_at_end = i + 1 < n && ranges[i + 1].begin == r.end;
    if (!next_starts_at_end) {
      EXPECT_EQ(find_fault_range(r.end), nullptr) << i;
    }
    if (i == 0 || ranges[i - 1].end != r.begin) {
      EXPECT_EQ(find_fault_range(r.begin - 1), nullptr) << i;
    }
    EXPECT_NE(r.fixup, 0u) << i;
    EXPECT_EQ(object_of(r.fixup), object_of(r.begin)) << "the fixup of range " << i;
  }
  // Code that is not a kernel is not covered.
  EXPECT_EQ(find_fault_range(reinterpret_cast<std::uintptr_t>(&object_of)), nullptr);
  EXPECT_EQ(find_fault_range(0), nullptr);
}

// The default user range admits every address the process can map, the library's own data
// included. A "user" pointer aimed at the fault table must fault and be reported, and the
// table must keep recovering the next bad pointer.
TEST(FaultTable, CannotBeWrittenThroughAUserPointer) {
  using namespace umaccess::detail;
  char probe[8];
  EXPECT_EQ(umaccess_copy_from_user(probe, nullptr, 8, nullptr), STATUS_ACCESS_VIOLATION);  // built
  const FaultRange* ranges = fault_ranges();
  const FaultRange first = ranges[0];
  const FaultRange zeros[4] = {};
  std::size_t done = 99;
  EXPECT_EQ(umaccess_copy_to_user(const_cast<FaultRange*>(ranges), zeros, sizeof zeros, &done),
            STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(done, 0u);
  EXPECT_EQ(umaccess_fill_user_memory(const_cast<FaultRange*>(ranges), 64, 0, nullptr),
            STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(ranges[0].begin, first.begin);
  EXPECT_EQ(ranges[0].fixup, first.fixup);
  EXPECT_EQ(umaccess_copy_from_user(probe, nullptr, 8, nullptr), STATUS_ACCESS_VIOLATION);
}

// The same for everything else that decides which code runs: the kernels and thresholds
// the dispatcher published, the dispositions the handler chains to and the host's fault
// resolver. Sealed at load and after every write the library makes (a variant selected, a
// resolver set, the handler re-installed).
int NeverResolves(void*, int, void*) { return 0; }

void ExpectSealed(const char* when) {
  using umaccess::detail::sealed_regions;
  for (const auto& region : sealed_regions()) {
    SCOPED_TRACE(std::string(region.name) + ", " + when);
    const auto* at = static_cast<const unsigned char*>(region.at);
    const std::size_t n = std::min<std::size_t>(region.size, 64);
    const std::vector<unsigned char> before(at, at + n);
    const std::vector<unsigned char> zeros(n, 0);
    std::size_t done = 99;
    EXPECT_EQ(umaccess_copy_to_user(const_cast<unsigned char*>(at), zeros.data(), n, &done),
              STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(done, 0u);
    EXPECT_EQ(umaccess_fill_user_memory(const_cast<unsigned char*>(at), n, 0xA5, nullptr),
              STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(std::memcmp(before.data(), at, n), 0) << "changed through a user pointer";
    char probe[8];
    EXPECT_EQ(umaccess_copy_from_user(probe, nullptr, 8, nullptr), STATUS_ACCESS_VIOLATION)
        << "recovery keeps working";
  }
}

TEST(SealedState, CannotBeWrittenThroughAUserPointer) {
  umaccess::install_fault_handler();
  ASSERT_EQ(umaccess::detail::sealed_regions().size(), 4u);
  ExpectSealed("at start-up");
  umaccess_set_fault_resolver(NeverResolves, nullptr);
  umaccess_set_fault_resolver(nullptr, nullptr);
  ASSERT_EQ(umaccess_install_fault_handler(), 0);
  for (const auto& v : umaccess::dispatch::variants())
    if (v.supported) umaccess::dispatch::select(v.name);
  umaccess::dispatch::select("auto");
  ExpectSealed("after the library's own writes");
}

}  // namespace
}  // namespace umatest
