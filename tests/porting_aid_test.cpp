// SPDX-License-Identifier: Apache-2.0
// tests/porting_aid_test.cpp - the mechanical rewrite of Windows __try/__except blocks.
#include "support.h"

namespace umatest {
namespace {

// What a ported driver routine looks like: the Windows shape, line for line.
NTSTATUS ReadRequest(void* UserBuffer, KPROCESSOR_MODE Mode, ULONG* Out) {
  NTSTATUS Status = STATUS_SUCCESS;
  UMA_TRY {
    CopyFromMode(Out, UserBuffer, sizeof *Out, Mode);
  } UMA_EXCEPT (UmaExceptionFilter(Mode)) {
    Status = GetExceptionCode();
  } UMA_END_EXCEPT
  return Status;
}

TEST(PortingAid, ExceptBlockSeesTheCode) {
  ULONG value = 0, out = 0;
  value = 0x1234;
  EXPECT_EQ(ReadRequest(&value, UserMode, &out), STATUS_SUCCESS);
  EXPECT_EQ(out, 0x1234u);
  EXPECT_EQ(ReadRequest(nullptr, UserMode, &out), STATUS_ACCESS_VIOLATION);
}

TEST(PortingAid, ContinueSearchRethrowsToTheOuterHandler) {
  char dst[4];
  bool inner_ran = false;
  try {
    UMA_TRY {
      CopyFromUser(dst, nullptr, 4);
    } UMA_EXCEPT (UmaExceptionFilter(KernelMode)) {
      inner_ran = true;
    } UMA_END_EXCEPT
    FAIL() << "the exception should have propagated";
  } catch (const umaccess::StructuredException& e) {
    EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
  }
  EXPECT_FALSE(inner_ran);
}

TEST(PortingAid, FilterCanUseGetExceptionCodeAndTheException) {
  char dst[4];
  int handled = 0;
  UMA_TRY {
    CopyFromUser(dst, nullptr, 4);
  } UMA_EXCEPT (GetExceptionCode() == STATUS_ACCESS_VIOLATION ? EXCEPTION_EXECUTE_HANDLER
                                                               : EXCEPTION_CONTINUE_SEARCH) {
    handled = 1;
    EXPECT_EQ(UMA_EXCEPTION().address(), 0u);
    EXPECT_FALSE(UMA_EXCEPTION().is_write());
  } UMA_END_EXCEPT
  EXPECT_EQ(handled, 1);
}

TEST(PortingAidDeathTest, ContinueExecutionIsRefusedLoudly) {
  char dst[4];
  EXPECT_DEATH(
      {
        UMA_TRY { CopyFromUser(dst, nullptr, 4); }
        UMA_EXCEPT (EXCEPTION_CONTINUE_EXECUTION) {}
        UMA_END_EXCEPT
      },
      "EXCEPTION_CONTINUE_EXECUTION");
}

TEST(StructuredException, MessageNamesTheOperationStatusAndAddress) {
  char dst[4];
  const auto e = expect_raise([&] { CopyFromUser(dst, reinterpret_cast<void*>(0x10), 4); });
  EXPECT_STREQ(e.operation(), "CopyFromUser");
  const std::string what = e.what();
  EXPECT_NE(what.find("STATUS_ACCESS_VIOLATION (0xC0000005)"), std::string::npos) << what;
  EXPECT_NE(what.find("read of user address 0x10"), std::string::npos) << what;
  EXPECT_STREQ(umaccess::status_name(STATUS_IN_PAGE_ERROR), "STATUS_IN_PAGE_ERROR");
}

TEST(PortingAid, EveryStatusTheHeadersDefineHasItsName) {
#define EXPECT_STATUS_NAME(name) EXPECT_STREQ(umaccess::status_name(name), #name)
  EXPECT_STATUS_NAME(STATUS_SUCCESS);
  EXPECT_STATUS_NAME(STATUS_GUARD_PAGE_VIOLATION);
  EXPECT_STATUS_NAME(STATUS_DATATYPE_MISALIGNMENT);
  EXPECT_STATUS_NAME(STATUS_INFO_LENGTH_MISMATCH);
  EXPECT_STATUS_NAME(STATUS_ACCESS_VIOLATION);
  EXPECT_STATUS_NAME(STATUS_IN_PAGE_ERROR);
  EXPECT_STATUS_NAME(STATUS_INVALID_HANDLE);
  EXPECT_STATUS_NAME(STATUS_INVALID_PARAMETER);
  EXPECT_STATUS_NAME(STATUS_INVALID_DEVICE_REQUEST);
  EXPECT_STATUS_NAME(STATUS_NO_MEMORY);
  EXPECT_STATUS_NAME(STATUS_BUFFER_TOO_SMALL);
  EXPECT_STATUS_NAME(STATUS_INTEGER_OVERFLOW);
  EXPECT_STATUS_NAME(STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_STATUS_NAME(STATUS_WORKING_SET_QUOTA);
  EXPECT_STATUS_NAME(STATUS_INVALID_USER_BUFFER);
  EXPECT_STATUS_NAME(STATUS_INVALID_BUFFER_SIZE);
#undef EXPECT_STATUS_NAME
  EXPECT_STREQ(umaccess::status_name(static_cast<NTSTATUS>(0xC0001234u)), "NTSTATUS");
}

}  // namespace
}  // namespace umatest
