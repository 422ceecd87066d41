// SPDX-License-Identifier: Apache-2.0
// tests/mode_test.cpp - KPROCESSOR_MODE: the kernel path neither checks nor recovers; any
// mode other than KernelMode is the user path; a fault on the kernel-side buffer of a
// user-mode operation is a bug check.
#include <csignal>

#include "support.h"

namespace umatest {
namespace {

TEST(Mode, EveryNonKernelModeTakesTheUserPath) {
  char dst[8];
  for (KPROCESSOR_MODE mode : {KPROCESSOR_MODE{1}, KPROCESSOR_MODE{2}, KPROCESSOR_MODE{-1},
                               KPROCESSOR_MODE{127}}) {
    const auto e = expect_raise([&] { CopyFromMode(dst, nullptr, 8, mode); });
    EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION) << int{mode};
    EXPECT_EQ(expect_raise([&] { FillModeMemory(nullptr, 8, 1, mode); }).code(),
              STATUS_ACCESS_VIOLATION);
  }
  EXPECT_EQ(UmaExceptionFilter(UserMode), EXCEPTION_EXECUTE_HANDLER);
  EXPECT_EQ(UmaExceptionFilter(2), EXCEPTION_EXECUTE_HANDLER);
  EXPECT_EQ(UmaExceptionFilter(KernelMode), EXCEPTION_CONTINUE_SEARCH);
}

TEST(Mode, KernelModeCopiesAndFills) {
  char src[100], dst[100];
  fill_pattern(src, sizeof src, 2);
  CopyFromMode(dst, src, sizeof src, KernelMode);
  EXPECT_EQ(first_mismatch(dst, src, sizeof src), sizeof src);
  ZeroModeMemory(dst, sizeof dst, KernelMode);
  EXPECT_EQ(first_not(dst, 0, sizeof dst), sizeof dst);
  SetModeMemory(dst, 9, sizeof dst, KernelMode);
  EXPECT_EQ(first_not(dst, 9, sizeof dst), sizeof dst);
}

TEST(ModeDeathTest, BadKernelPointerCrashesWithSigsegv) {
  char dst[4096];  // the good side of each copy is whole (ASan checks kernel-mode buffers)
  EXPECT_EXIT(CopyFromMode(dst, reinterpret_cast<void*>(16), 16, KernelMode),
              ::testing::KilledBySignal(SIGSEGV), "");
  EXPECT_EXIT(ZeroModeMemory(nullptr, 16, KernelMode), ::testing::KilledBySignal(SIGSEGV), "");
  EXPECT_EXIT(CopyToModeNonTemporal(nullptr, dst, sizeof dst, KernelMode),
              ::testing::KilledBySignal(SIGSEGV), "");
}

TEST(ModeDeathTest, KernelSideFaultOfAUserOperationIsABugCheck) {
  GuardedRegion user(page_size());
  EXPECT_DEATH(CopyFromUser(reinterpret_cast<void*>(64), user.begin(), 16),
               "BUG CHECK 0x00000050 \\(PAGE_FAULT_IN_NONPAGED_AREA\\) in CopyFromUser: write of "
               "the kernel-side destination buffer at 0x40");
  EXPECT_DEATH(CopyToUser(user.begin(), reinterpret_cast<void*>(64), 16),
               "in CopyToUser: read of the kernel-side source buffer at 0x40");
  EXPECT_DEATH(CopyFromUserNonTemporal(reinterpret_cast<void*>(64), user.begin(), 4096),
               "in CopyFromUserNonTemporal");
}

#if defined(__x86_64__)
TEST(ModeDeathTest, NonCanonicalKernelSideBufferIsABugCheckNotABadUserPointer) {
  // A non-canonical address raises a general-protection fault, which carries neither the
  // address nor the direction; the user side passed the range check, so it is ours.
  GuardedRegion user(page_size());
  EXPECT_DEATH(CopyFromUser(reinterpret_cast<void*>(0x8000000000000000ull), user.begin(), 16),
               "in CopyFromUser: a kernel-side buffer pointer is not a canonical address");
}
#elif defined(__aarch64__)
TEST(ModeDeathTest, KernelHalfAddressAsKernelSideBufferIsABugCheck) {
  // AArch64 has no non-canonical addresses: the upper half (TTBR1) faults like any other
  // inaccessible page, with its direction; Linux reports it with the tag byte cleared.
  GuardedRegion user(page_size());
  EXPECT_DEATH(CopyFromUser(reinterpret_cast<void*>(0xffff000000001000ull), user.begin(), 16),
               "in CopyFromUser: write of the kernel-side destination buffer at");
  EXPECT_DEATH(CopyToUser(user.begin(), reinterpret_cast<void*>(0xffff000000001000ull), 16),
               "in CopyToUser: read of the kernel-side source buffer at");
}
#endif

struct BugCheckSeen {
  umaccess::BugCheckInfo info;
  std::string operation;
};

TEST(Mode, BugCheckCallbackReceivesTheDetails) {
  GuardedRegion user(page_size());
  GuardedRegion kernel(page_size());
  fill_pattern(user.begin(), user.size(), 4);
  umaccess::set_bug_check_callback([](const umaccess::BugCheckInfo* info, void*) {
    throw BugCheckSeen{*info, info->operation ? info->operation : ""};
  });
  try {
    CopyFromUser(kernel.ending_at_guard(10), user.begin(), 100);
    ADD_FAILURE() << "no bug check";
  } catch (const BugCheckSeen& seen) {
    EXPECT_EQ(seen.info.code, PAGE_FAULT_IN_NONPAGED_AREA);
    EXPECT_EQ(seen.info.parameter1, reinterpret_cast<std::uintptr_t>(kernel.guard()));
    EXPECT_EQ(seen.info.parameter2, 1u);  // write
    EXPECT_EQ(seen.operation, "CopyFromUser");
  }
  try {
    umaccess::bug_check(0xDEAD, 1, 2, 3, 4);
  } catch (const BugCheckSeen& seen) {
    EXPECT_EQ(seen.info.code, 0xDEADu);
    EXPECT_EQ(seen.info.parameter4, 4u);
  }
  umaccess::set_bug_check_callback(nullptr);
}

TEST(ModeDeathTest, ACallbackThatReturnsStillStops) {
  EXPECT_DEATH(
      {
        umaccess::set_bug_check_callback([](const umaccess::BugCheckInfo*, void*) {});
        umaccess::bug_check(0x1234);
      },
      "BUG CHECK 0x00001234");
}

}  // namespace
}  // namespace umatest

namespace umatest {
namespace {

// umaccess_raw_status() indexes its operation table by the enum: a value outside it (a
// caller's cast, a corrupted variable) is a named bug check, not a read past the table.
TEST(RawStatusDeathTest, AnOperationOutsideTheEnumerationIsANamedBugCheck) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  umaccess_fault_record rec{};
  std::size_t done = 0;
  EXPECT_EQ(umaccess_raw_status(UMACCESS_OP_COPY_FROM_USER, 8, 0, &rec, &done), STATUS_SUCCESS);
  EXPECT_EQ(done, 8u);
  EXPECT_DEATH(umaccess_raw_status(static_cast<umaccess_operation>(1000), 8, 8, &rec, &done),
               "BUG CHECK .* in umaccess_raw_status: an unknown umaccess_operation");
  EXPECT_DEATH(umaccess_raw_status(static_cast<umaccess_operation>(-1), 8, 8, &rec, &done),
               "BUG CHECK .* in umaccess_raw_status: an unknown umaccess_operation");
}

}  // namespace
}  // namespace umatest
