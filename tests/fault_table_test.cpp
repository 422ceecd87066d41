// tests/fault_table_test.cpp - the decoded fault table (src/fault_table.*), white-box: the
// handler's lookup must find exactly the covered bytes, and every recovery address must be
// code of the same object as the range it recovers.
#include <dlfcn.h>

#include "fault_table.h"
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

}  // namespace
}  // namespace umatest
