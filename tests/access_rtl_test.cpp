// SPDX-License-Identifier: Apache-2.0
// tests/access_rtl_test.cpp - the Rtl* primitives under their own names (the bulk ones; the
// scalar, string and interlocked Rtl names run in their families' suites), and
// RtlFastFailIfUserPointer, which means something only in DBG builds with a narrowed range.
#define DBG 1  // before any umaccess header: this translation unit is a "debug build"
#include <csignal>

#include "support.h"

namespace umatest {
namespace {

TEST(AccessRtl, BulkPrimitivesCopyMoveAndSet) {
  GuardedRegion region(page_size());
  char* user = region.begin();
  char kernel[300], back[300];
  fill_pattern(kernel, sizeof kernel, 5);
  RtlCopyToUser(user, kernel, sizeof kernel);
  RtlCopyFromUser(back, user, sizeof back);
  EXPECT_EQ(first_mismatch(back, kernel, sizeof kernel), sizeof kernel);
  RtlCopyToUserNonTemporal(user + 1000, kernel, sizeof kernel);
  RtlCopyFromUserNonTemporal(back, user + 1000, sizeof back);
  EXPECT_EQ(first_mismatch(back, kernel, sizeof kernel), sizeof kernel);
  RtlCopyToUserFromUser(user + 2000, user, sizeof kernel);
  EXPECT_EQ(first_mismatch(user + 2000, kernel, sizeof kernel), sizeof kernel);
  RtlMoveToUserFromUser(user + 5, user, sizeof kernel);  // overlapping
  EXPECT_EQ(first_mismatch(user + 5, kernel, sizeof kernel), sizeof kernel);
  RtlSetUserMemory(user, 0x7E, 64);  // (Fill, Length), as RtlSetUserMemory orders them
  EXPECT_EQ(first_not(user, 0x7E, 64), 64u);
}

TEST(AccessRtl, BulkPrimitivesRaiseLikeTheirAccessors) {
  GuardedRegion region(page_size());
  char kernel[64] = {};
  const auto e = expect_raise([&] { RtlCopyFromUser(kernel, region.ending_at_guard(10), 64); });
  EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(e.address(), reinterpret_cast<std::uintptr_t>(region.guard()));
  EXPECT_EQ(e.bytes_copied(), 10u);
  const auto w = expect_raise([&] { RtlSetUserMemory(region.ending_at_guard(3), 1, 8); });
  EXPECT_TRUE(w.is_write());
  EXPECT_EQ(w.bytes_copied(), 3u);
}

TEST(AccessRtl, FastFailIgnoresPointersUnderTheDefaultRange) {
  // Kernel-side and user buffers share the address space: with the default range nothing can
  // be told apart, so nothing fails.
  char kernel[8];
  RtlFastFailIfUserPointer(kernel);
  RtlFastFailIfUserPointer(nullptr);
}

TEST(AccessRtlDeathTest, FastFailOnAPointerInsideANarrowedRange) {
  GuardedRegion guest(page_size());
  char kernel[8];
  umaccess::ScopedUserRange scope({reinterpret_cast<std::uintptr_t>(guest.begin()),
                                   reinterpret_cast<std::uintptr_t>(guest.guard())});
  RtlFastFailIfUserPointer(kernel);   // outside the guest region: a kernel pointer
  RtlFastFailIfUserPointer(nullptr);  // NULL is never a failure
  EXPECT_DEATH(RtlFastFailIfUserPointer(guest.begin() + 8), "BUG CHECK 0x00000139 \\(KERNEL_SECURITY_CHECK_FAILURE\\)");
}

}  // namespace
}  // namespace umatest
