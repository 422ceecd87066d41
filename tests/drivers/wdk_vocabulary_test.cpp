// SPDX-License-Identifier: Apache-2.0
// tests/drivers/wdk_vocabulary_test.cpp - the WDK vocabulary of umaccess/ntddk.h (issue 15,
// part 1) and the two fixes ports needed (part 3): the ...Mode structure macros taking the
// MODE enumerators, and MmProbeAndLockPages(KernelMode) deciding by the address. Each test
// checks what a driver relies on: the status Windows documents, the exception record, pool
// accounting, nothing left locked.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <fstream>
#include <string>
#include <thread>

#include "support.h"
#include "umaccess/ntddk.h"

namespace umatest {
namespace {

// A bug check turned into an exception a test can catch.
struct BugCheck {
  umaccess_bug_check_info info;
};
class ThrowingBugChecks {
 public:
  ThrowingBugChecks() {
    umaccess_set_bug_check_callback(
        [](const umaccess_bug_check_info* info, void*) { throw BugCheck{*info}; }, nullptr);
  }
  ~ThrowingBugChecks() { umaccess_set_bug_check_callback(nullptr, nullptr); }
};
template <class F>
umaccess_bug_check_info expect_bug_check(F&& f) {
  try {
    f();
  } catch (const BugCheck& b) {
    return b.info;
  }
  ADD_FAILURE() << "expected a bug check";
  return {};
}

std::uintptr_t addr(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

long long locked_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmLck:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  return -1;
}

// ---- Part 3: the ...Mode structure macros accept KernelMode / UserMode ------------------------

struct Pair {
  ULONG a, b;
};

TEST(WdkFixes, StructModeMacrosTakeTheModeEnumerators) {
  GuardedRegion region(page_size());
  auto* user = reinterpret_cast<Pair*>(region.ending_at_guard(sizeof(Pair)));
  user->a = 7;
  user->b = 9;
  Pair local{};
  ReadStructFromMode(&local, user, UserMode);  // issue 15: this did not compile
  EXPECT_EQ(local.b, 9u);
  local.a = 1;
  WriteStructToModeAligned(user, &local, UserMode, alignof(Pair));
  EXPECT_EQ(user->a, 1u);
  Pair kernel{3, 4};
  ReadStructFromMode(&local, &kernel, KernelMode);
  EXPECT_EQ(local.a, 3u);
  // UserMode still means the checked, recovered path.
  const auto* bad = reinterpret_cast<const Pair*>(region.guard() - 4);
  const auto e = expect_raise([&] { ReadStructFromMode(&local, bad, UserMode); });
  EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(local.a, 3u) << "a failed read leaves the destination alone";
}

// ---- Part 3: MmProbeAndLockPages(KernelMode) on user addresses ---------------------------------

TEST(WdkFixes, KernelModeLockOfAReadOnlyUserPageForWriteRaises) {
  GuardedRegion region(2 * page_size());
  region.protect(page_size(), page_size(), PROT_READ);
  const long long before = locked_bytes();
  PMDL mdl =
      IoAllocateMdl(region.begin(), static_cast<ULONG>(2 * page_size()), FALSE, FALSE, nullptr);
  ASSERT_NE(mdl, nullptr);
  for (LOCK_OPERATION op : {IoWriteAccess, IoModifyAccess}) {
    const auto e = expect_raise([&] { MmProbeAndLockPages(mdl, KernelMode, op); });
    EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
    EXPECT_TRUE(e.is_write());
    EXPECT_EQ(e.address(), addr(region.begin() + page_size())) << "the read-only page";
    EXPECT_EQ(mdl->MdlFlags & MDL_PAGES_LOCKED, 0);
    EXPECT_EQ(locked_bytes(), before) << "nothing stays locked";
  }
  // Reading it is fine, in either mode.
  MmProbeAndLockPages(mdl, KernelMode, IoReadAccess);
  EXPECT_NE(mdl->MdlFlags & MDL_PAGES_LOCKED, 0);
  MmUnlockPages(mdl);
  IoFreeMdl(mdl);
}

TEST(WdkFixes, KernelModeLockOfAnInaccessibleUserPageRaisesInsteadOfBugChecking) {
  ThrowingBugChecks bug_checks;
  GuardedRegion region(3 * page_size());
  region.protect(2 * page_size(), page_size(), PROT_NONE);
  PMDL mdl = IoAllocateMdl(region.begin() + 100, static_cast<ULONG>(3 * page_size() - 200), FALSE,
                           FALSE, nullptr);
  for (LOCK_OPERATION op : {IoReadAccess, IoWriteAccess}) {
    NTSTATUS status = STATUS_SUCCESS;
    UMA_TRY {
      MmProbeAndLockPages(mdl, KernelMode, op);
    } UMA_EXCEPT (EXCEPTION_EXECUTE_HANDLER) {
      status = GetExceptionCode();
      EXPECT_EQ(GetExceptionInformation()->ExceptionRecord->ExceptionInformation[1],
                addr(region.begin() + 2 * page_size()));
    } UMA_END_EXCEPT
    EXPECT_EQ(status, STATUS_ACCESS_VIOLATION);
  }
  // The whole buffer past the end of the mapping: the same.
  PMDL beyond = IoAllocateMdl(region.guard() - 10, 20, FALSE, FALSE, nullptr);
  EXPECT_EQ(umaccess_mm_probe_and_lock_pages(beyond, KernelMode, IoReadAccess),
            STATUS_ACCESS_VIOLATION);
  IoFreeMdl(beyond);
  IoFreeMdl(mdl);
}

// ---- GetExceptionInformation, ExRaiseStatus, FsRtlIsNtstatusExpected
// -----------------------------

LONG RecordingFilter(PEXCEPTION_POINTERS pointers, EXCEPTION_RECORD* copy) {
  *copy = *pointers->ExceptionRecord;
  return EXCEPTION_EXECUTE_HANDLER;
}

TEST(WdkVocabulary, GetExceptionInformationGivesCodeAddressAndDirection) {
  GuardedRegion region(page_size());
  char* bad = region.guard() - 3;
  char local[16] = {};
  EXCEPTION_RECORD seen{};
  UMA_TRY {
    CopyFromUser(local, bad, sizeof local);
  } UMA_EXCEPT (RecordingFilter(GetExceptionInformation(), &seen)) {
    EXPECT_EQ(GetExceptionInformation()->ExceptionRecord->ExceptionCode, STATUS_ACCESS_VIOLATION);
  } UMA_END_EXCEPT
  EXPECT_EQ(seen.ExceptionCode, STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(seen.NumberParameters, 2u);
  EXPECT_EQ(seen.ExceptionInformation[0], 0u) << "a read";
  EXPECT_EQ(seen.ExceptionInformation[1], addr(region.guard()));
  UMA_TRY {
    CopyToUser(bad, local, sizeof local);
  } UMA_EXCEPT (RecordingFilter(GetExceptionInformation(), &seen)) {
  } UMA_END_EXCEPT
  EXPECT_EQ(seen.ExceptionInformation[0], 1u) << "a write";
  EXPECT_EQ(seen.ExceptionInformation[1], addr(region.guard()));
}

TEST(WdkVocabulary, ExRaiseStatusIsCaughtWithItsCode) {
  NTSTATUS status = STATUS_SUCCESS;
  UMA_TRY {
    ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES);
  } UMA_EXCEPT (FsRtlIsNtstatusExpected(GetExceptionCode()) ? EXCEPTION_EXECUTE_HANDLER
                                                         : EXCEPTION_CONTINUE_SEARCH) {
    status = GetExceptionCode();
    EXPECT_EQ(GetExceptionInformation()->ExceptionRecord->NumberParameters, 0u);
  } UMA_END_EXCEPT
  EXPECT_EQ(status, STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_FALSE(FsRtlIsNtstatusExpected(STATUS_ACCESS_VIOLATION));
  EXPECT_FALSE(FsRtlIsNtstatusExpected(STATUS_DATATYPE_MISALIGNMENT));
  EXPECT_FALSE(FsRtlIsNtstatusExpected(STATUS_ILLEGAL_INSTRUCTION));
  EXPECT_TRUE(FsRtlIsNtstatusExpected(STATUS_IN_PAGE_ERROR));
  EXPECT_TRUE(FsRtlIsNtstatusExpected(STATUS_END_OF_FILE));
  // An unexpected status passes through the filter to the next handler.
  EXPECT_EQ(expect_raise([] {
              UMA_TRY {
                ExRaiseAccessViolation();
              } UMA_EXCEPT (FsRtlIsNtstatusExpected(GetExceptionCode())) {
              } UMA_END_EXCEPT
            }).code(),
            STATUS_ACCESS_VIOLATION);
}

// ---- Pool
// ----------------------------------------------------------------------------------------

constexpr ULONG kTag = 0x74736554u;  // 'Test'

TEST(WdkVocabulary, PoolAllocationsAreTaggedCountedAndChecked) {
  const SIZE_T before = UmaPoolAllocationCount(kTag);
  auto* zeroed = static_cast<UCHAR*>(ExAllocatePool2(POOL_FLAG_NON_PAGED, 100, kTag));
  ASSERT_NE(zeroed, nullptr);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(zeroed[i], 0);
  EXPECT_EQ(addr(zeroed) % 16, 0u);
  void* page = ExAllocatePoolWithTag(NonPagedPoolNx, 3 * PAGE_SIZE, kTag);
  EXPECT_EQ(addr(page) % PAGE_SIZE, 0u) << "PAGE_SIZE or more: page-aligned";
  auto* zero = static_cast<UCHAR*>(ExAllocatePoolZero(PagedPool, 33, kTag));
  EXPECT_EQ(zero[32], 0);
  EXPECT_EQ(UmaPoolAllocationCount(kTag), before + 3);
  EXPECT_EQ(UmaPoolBytesAllocated(kTag), 100 + 3 * PAGE_SIZE + 33);
  ExFreePoolWithTag(zeroed, kTag);
  ExFreePool(page);
  ExFreePoolWithTag(zero, kTag);
  EXPECT_EQ(UmaPoolAllocationCount(kTag), before);

  // ExAllocatePool2's refusals: tag 0, no pool type, two pool types, an unknown flag.
  EXPECT_EQ(ExAllocatePool2(POOL_FLAG_NON_PAGED, 8, 0), nullptr);
  EXPECT_EQ(ExAllocatePool2(POOL_FLAG_UNINITIALIZED, 8, kTag), nullptr);
  EXPECT_EQ(ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_PAGED, 8, kTag), nullptr);
  EXPECT_EQ(ExAllocatePool2(POOL_FLAG_NON_PAGED | 0x10000, 8, kTag), nullptr);
  EXPECT_EQ(expect_raise([] {
              ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 8, 0);
            }).code(),
            STATUS_INSUFFICIENT_RESOURCES);
  // Above the pool's limit: NULL, or a raise when asked.
  const SIZE_T old = UmaPoolSetAllocationLimit(4096);
  EXPECT_EQ(ExAllocatePoolWithTag(NonPagedPoolNx, 4097, kTag), nullptr);
  EXPECT_EQ(expect_raise([] { ExAllocatePoolWithQuotaTag(PagedPool, 1 << 20, kTag); }).code(),
            STATUS_INSUFFICIENT_RESOURCES);
  UmaPoolSetAllocationLimit(old);
  EXPECT_EQ(UmaPoolAllocationCount(kTag), before);
}

TEST(WdkVocabulary, BadPoolFreesAreBugChecksThatFreeNothing) {
  ThrowingBugChecks bug_checks;
  const SIZE_T before = UmaPoolAllocationCount(kTag);
  void* p = ExAllocatePoolWithTag(NonPagedPoolNx, 16, kTag);
  auto wrong = expect_bug_check([&] { ExFreePoolWithTag(p, 0x656E6F4Eu); });
  EXPECT_EQ(wrong.code, BAD_POOL_CALLER);
  EXPECT_EQ(wrong.parameter1, 0x0Au);
  EXPECT_EQ(UmaPoolAllocationCount(kTag), before + 1) << "still allocated after the refused free";
  auto middle = expect_bug_check([&] { ExFreePool(static_cast<char*>(p) + 1); });
  EXPECT_EQ(middle.code, BAD_POOL_CALLER);
  ExFreePoolWithTag(p, kTag);
  auto twice = expect_bug_check([&] { ExFreePool(p); });
  EXPECT_EQ(twice.parameter1, 0x07u);
  EXPECT_EQ(expect_bug_check([] { ExFreePool(nullptr); }).parameter1, 0x46u);
}

// ---- DbgPrint
// ------------------------------------------------------------------------------------

std::string g_printed;
void capture(const char* text, void*) { g_printed += text; }

TEST(WdkVocabulary, DbgPrintSpeaksWindowsFormats) {
  UmaSetDbgPrintCallback(capture, nullptr);
  g_printed.clear();
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, L"\\Device\\Sample");  // an L"" literal ports as it is
  const ULONG value = 0xDEADBEEF;
  const ULONG64 big = 0x123456789ULL;
  DbgPrint("%wZ %ws %lu %08lX %I64x %Ix %s %d%%\n", &name, u"wide", value, value, big,
           static_cast<ULONG_PTR>(0xABC), "ansi", -5);
  EXPECT_EQ(g_printed, "\\Device\\Sample wide 3735928559 DEADBEEF 123456789 abc ansi -5%\n");
  g_printed.clear();
  DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "filtered\n");
  DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "error %u\n", 1u);
  EXPECT_EQ(g_printed, "error 1\n");
  UmaSetDbgPrintCallback(nullptr, nullptr);
  EXPECT_EQ(name.Length, 14 * sizeof(WCHAR));
  EXPECT_EQ(name.MaximumLength, 15 * sizeof(WCHAR));
}

TEST(WdkVocabulary, CountedStringsStayWithinMaximumLength) {
  DECLARE_CONST_UNICODE_STRING(device, L"\\Device\\X");  // an L"" literal, narrowed
  EXPECT_EQ(device.Length, 9 * sizeof(WCHAR));
  WCHAR storage[12] = {};
  UNICODE_STRING name = {0, sizeof storage, storage};
  EXPECT_EQ(RtlAppendUnicodeStringToString(&name, &device), STATUS_SUCCESS);
  EXPECT_EQ(RtlAppendUnicodeToString(&name, u"\\ab"), STATUS_SUCCESS);
  EXPECT_EQ(name.Length, 12 * sizeof(WCHAR));
  EXPECT_EQ(RtlAppendUnicodeToString(&name, u"c"), STATUS_BUFFER_TOO_SMALL);
  EXPECT_EQ(name.Length, 12 * sizeof(WCHAR)) << "unchanged";
  UNICODE_STRING expected;
  RtlInitUnicodeString(&expected, u"\\Device\\X\\ab");
  EXPECT_TRUE(RtlEqualUnicodeString(&name, &expected, FALSE));
  RtlInitUnicodeString(&expected, u"\\DEVICE\\x\\AB");
  EXPECT_TRUE(RtlEqualUnicodeString(&name, &expected, TRUE));
  EXPECT_FALSE(RtlEqualUnicodeString(&name, &expected, FALSE));
}

// ---- The small macros
// ----------------------------------------------------------------------------

struct Header {
  UCHAR kind;
  ULONG64 length;
  WCHAR name[1];
};

_IRQL_requires_max_(PASSIVE_LEVEL) _Must_inspect_result_ NTSTATUS
    Annotated(_In_ PVOID Unused, _Out_writes_bytes_(Length) PUCHAR Buffer, _In_ ULONG Length,
              _Inout_opt_ PULONG Count) {
  PAGED_CODE();
  UNREFERENCED_PARAMETER(Unused);
  RtlFillMemory(Buffer, Length, 0xAB);
  if (ARGUMENT_PRESENT(Count)) ++*Count;
  return STATUS_SUCCESS;
}

TEST(WdkVocabulary, MacrosAndAnnotationsCompileToWhatDriversExpect) {
  EXPECT_EQ(FIELD_OFFSET(Header, length), 8);
  EXPECT_EQ(TYPE_ALIGNMENT(Header), 8u);
  UCHAR buffer[8];
  ULONG count = 0;
  EXPECT_EQ(Annotated(nullptr, buffer, sizeof buffer, &count), STATUS_SUCCESS);
  EXPECT_EQ(Annotated(nullptr, buffer, sizeof buffer, nullptr), STATUS_SUCCESS);
  EXPECT_EQ(count, 1u);
  UCHAR copy[8];
  RtlCopyMemory(copy, buffer, sizeof copy);
  EXPECT_TRUE(RtlEqualMemory(copy, buffer, sizeof copy));
  RtlZeroMemory(copy, 4);
  EXPECT_EQ(RtlCompareMemory(copy, buffer, sizeof copy), 0u);
  RtlMoveMemory(copy + 1, copy, 4);
  RtlCopyBytes(buffer, copy, 2);
  EXPECT_EQ(buffer[1], 0);
  EXPECT_TRUE(NT_ERROR(STATUS_UNSUCCESSFUL) && NT_WARNING(STATUS_BUFFER_OVERFLOW) &&
              NT_SUCCESS(STATUS_PENDING));
  EXPECT_STREQ(umaccess::status_name(STATUS_CANCELLED), "STATUS_CANCELLED");
  EXPECT_STREQ(umaccess::status_name(STATUS_NOT_SUPPORTED), "STATUS_NOT_SUPPORTED");
  EXPECT_EQ(CTL_CODE(40000, 0x902, METHOD_BUFFERED, FILE_ANY_ACCESS), 0x9C402408u);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

#if !defined(NDEBUG) || (defined(DBG) && DBG)
TEST(WdkVocabulary, FailedNtAssertIsABugCheck) {
  ThrowingBugChecks bug_checks;
  volatile int zero = 0;
  const auto info = expect_bug_check([&] { NT_ASSERT(zero == 1); });
  EXPECT_EQ(info.code, KMODE_EXCEPTION_NOT_HANDLED);
  EXPECT_EQ(info.parameter1, static_cast<ULONG>(STATUS_ASSERTION_FAILURE));
  NT_ASSERT(zero == 0);
}
#endif

// ---- MDLs drivers build themselves
// ---------------------------------------------------------------

TEST(WdkVocabulary, NonPagedPoolAndPartialMdls) {
  auto* pool = static_cast<char*>(ExAllocatePool2(POOL_FLAG_NON_PAGED, 3 * PAGE_SIZE, kTag));
  PMDL mdl = IoAllocateMdl(pool, 3 * PAGE_SIZE, FALSE, FALSE, nullptr);
  MmBuildMdlForNonPagedPool(mdl);
  EXPECT_NE(mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL, 0);
  EXPECT_EQ(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority), pool);
  PPFN_NUMBER pfns = MmGetMdlPfnArray(mdl);
  EXPECT_EQ(pfns[0], addr(pool) >> PAGE_SHIFT);
  EXPECT_EQ(pfns[2], (addr(pool) >> PAGE_SHIFT) + 2);

  // A partial MDL over the middle: its own offset, count and system address.
  PMDL partial = IoAllocateMdl(pool, 3 * PAGE_SIZE, FALSE, FALSE, nullptr);
  IoBuildPartialMdl(mdl, partial, pool + PAGE_SIZE + 10, 100);
  EXPECT_NE(partial->MdlFlags & MDL_PARTIAL, 0);
  EXPECT_EQ(MmGetMdlVirtualAddress(partial), pool + PAGE_SIZE + 10);
  EXPECT_EQ(MmGetMdlByteCount(partial), 100u);
  EXPECT_EQ(MmGetSystemAddressForMdlSafe(partial, NormalPagePriority), pool + PAGE_SIZE + 10);
  EXPECT_EQ(MmGetMdlPfnArray(partial)[0], (addr(pool) >> PAGE_SHIFT) + 1);
  // Length 0: to the end of the source.
  IoBuildPartialMdl(mdl, partial, pool + 2 * PAGE_SIZE, 0);
  EXPECT_EQ(MmGetMdlByteCount(partial), PAGE_SIZE);
  {
    ThrowingBugChecks bug_checks;
    EXPECT_EQ(expect_bug_check([&] {
                IoBuildPartialMdl(mdl, partial, pool + PAGE_SIZE, 3 * PAGE_SIZE);
              }).code,
              DRIVER_VERIFIER_DETECTED_VIOLATION);
  }
  IoFreeMdl(partial);
  IoFreeMdl(mdl);

  // A partial MDL over a locked user buffer is mapped through its source's lock.
  GuardedRegion region(2 * page_size());
  PMDL user =
      IoAllocateMdl(region.begin(), static_cast<ULONG>(2 * page_size()), FALSE, FALSE, nullptr);
  MmProbeAndLockPages(user, UserMode, IoWriteAccess);
  PMDL piece = IoAllocateMdl(region.begin(), 16, FALSE, FALSE, nullptr);
  IoBuildPartialMdl(user, piece, region.begin() + 8, 8);
  EXPECT_EQ(MmGetSystemAddressForMdlSafe(piece, NormalPagePriority), region.begin() + 8);
  MmPrepareMdlForReuse(piece);
  IoFreeMdl(piece);
  MmUnlockPages(user);
  IoFreeMdl(user);
  ExFreePoolWithTag(pool, kTag);
}

}  // namespace
}  // namespace umatest
