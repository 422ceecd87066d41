// SPDX-License-Identifier: Apache-2.0
// tests/drivers/c_style_test.cpp - what lets a WDK sample's C sources compile and run
// unchanged (issue 15, the part found by porting Microsoft's sioctl.c and nonpnp.c):
// UMA_C_PVOID (C's implicit void* conversions), the Zw file routines of umaccess/zwfile.h,
// and the WPP formatter of umaccess/wpp.h.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <type_traits>

#include "umaccess/wdf.h"
#include "umaccess/wpp.h"

#define UMACCESS_WPP_MODULE "c_style_test"

namespace umatest {
namespace {

// ---- UMA_C_PVOID --------------------------------------------------------------------------
struct Thing {
  int value;
};
void TakesPvoid(PVOID p, PVOID* out) { *out = p; }

TEST(CVoidPointer, BehavesAsPvoidAndConvertsAsInC) {
  static_assert(sizeof(UMA_C_PVOID) == sizeof(PVOID) && alignof(UMA_C_PVOID) == alignof(PVOID));
  static_assert(std::is_trivially_copyable<UMA_C_PVOID>::value);
  static_assert(!std::is_convertible<UMA_C_PVOID, void (*)()>::value);
  static_assert(!std::is_convertible<UMA_C_PVOID, ULONG_PTR>::value);
  IRP irp = {};
  EXPECT_TRUE(irp.UserBuffer == NULL);
  EXPECT_TRUE(!irp.UserBuffer);
  Thing thing = {7};
  irp.AssociatedIrp.SystemBuffer = &thing;
  Thing* typed = irp.AssociatedIrp.SystemBuffer;  // C's implicit conversion
  const char* bytes = irp.AssociatedIrp.SystemBuffer;
  EXPECT_EQ(typed->value, 7);
  EXPECT_EQ(static_cast<const void*>(bytes), static_cast<void*>(&thing));
  EXPECT_TRUE(irp.AssociatedIrp.SystemBuffer == typed && typed == irp.AssociatedIrp.SystemBuffer);
  EXPECT_TRUE(irp.AssociatedIrp.SystemBuffer != nullptr && NULL != irp.AssociatedIrp.SystemBuffer);
  PVOID out = nullptr;
  TakesPvoid(irp.AssociatedIrp.SystemBuffer, &out);
  EXPECT_EQ(out, static_cast<void*>(&thing));
  EXPECT_EQ((ULONG_PTR)irp.AssociatedIrp.SystemBuffer, reinterpret_cast<ULONG_PTR>(&thing));
  EXPECT_EQ((PUCHAR)irp.AssociatedIrp.SystemBuffer + 1, reinterpret_cast<PUCHAR>(&thing) + 1);
  irp.UserBuffer = irp.AssociatedIrp.SystemBuffer;
  EXPECT_TRUE(irp.UserBuffer == irp.AssociatedIrp.SystemBuffer);
  irp.UserBuffer = NULL;
  EXPECT_FALSE(irp.UserBuffer);
}

TEST(CVoidPointer, PoolAndWdfResultsConvert) {
  PCHAR p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, 0x74736554u);
  ASSERT_NE(p, nullptr);
  p[15] = 'x';
  ExFreePoolWithTag(p, 0x74736554u);
  Thing* t = ExAllocatePoolZero(NonPagedPool, sizeof(Thing), 0x74736554u);
  ASSERT_TRUE(t != NULL);
  EXPECT_EQ(t->value, 0);
  ExFreePool(t);
  WDFMEMORY memory;
  PCHAR buffer = nullptr;
  ASSERT_EQ(WdfMemoryCreate(WDF_NO_OBJECT_ATTRIBUTES, NonPagedPool, 0x74736554u, 32, &memory,
                            &buffer),
            STATUS_SUCCESS);
  size_t size = 0;
  PCHAR again = WdfMemoryGetBuffer(memory, &size);
  EXPECT_EQ(again, buffer);
  EXPECT_EQ(size, 32u);
  WdfObjectDelete(memory);
  // A failing call leaves the typed pointer as it was (it stores nothing either).
  PCHAR untouched = reinterpret_cast<PCHAR>(&size);
  EXPECT_EQ(WdfMemoryCreate(WDF_NO_OBJECT_ATTRIBUTES, NonPagedPool, 0x74736554u, 0, &memory,
                            &untouched),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(untouched, reinterpret_cast<PCHAR>(&size));
}

// ---- Zw file routines -----------------------------------------------------------------------
class ZwFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char root[] = "/tmp/umaccess-zw-XXXXXX";
    ASSERT_NE(mkdtemp(root), nullptr);
    root_ = root;
    ASSERT_EQ(UmaZwMapDirectory("\\SystemRoot\\", root), STATUS_SUCCESS);
  }
  void TearDown() override {
    UmaZwMapDirectory("\\SystemRoot", nullptr);
    EXPECT_EQ(UmaZwHandleCount(), 0u);
    std::string command = "rm -rf '" + root_ + "'";
    EXPECT_EQ(std::system(command.c_str()), 0);
  }
  NTSTATUS Create(const char16_t* name, ULONG disposition, ULONG options, HANDLE* handle,
                  ULONG_PTR* information = nullptr,
                  ACCESS_MASK access = GENERIC_READ | GENERIC_WRITE | SYNCHRONIZE) {
    UNICODE_STRING path;
    RtlInitUnicodeString(&path, reinterpret_cast<PCWSTR>(name));
    OBJECT_ATTRIBUTES attributes;
    InitializeObjectAttributes(&attributes, &path, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE,
                               NULL, NULL);
    IO_STATUS_BLOCK iosb;
    iosb.Information = 99;
    const NTSTATUS status = ZwCreateFile(handle, access, &attributes, &iosb, nullptr,
                                         FILE_ATTRIBUTE_NORMAL, FILE_SHARE_READ, disposition,
                                         options, nullptr, 0);
    EXPECT_EQ(iosb.Status, status);
    if (information != nullptr) *information = iosb.Information;
    return status;
  }
  std::string root_;
};

TEST_F(ZwFiles, DispositionsAndInformation) {
  HANDLE h;
  ULONG_PTR info;
  const ULONG sync = FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE;
  EXPECT_EQ(Create(u"\\SystemRoot\\a.log", FILE_OPEN, sync, &h), STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_EQ(Create(u"\\SystemRoot\\a.log", FILE_OPEN_IF, sync, &h, &info), STATUS_SUCCESS);
  EXPECT_EQ(info, ULONG_PTR{FILE_CREATED});
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
  EXPECT_EQ(ZwClose(h), STATUS_INVALID_HANDLE);
  EXPECT_EQ(Create(u"\\systemroot\\a.log", FILE_OPEN_IF, sync, &h, &info), STATUS_SUCCESS);
  EXPECT_EQ(info, ULONG_PTR{FILE_OPENED});  // the prefix matches case-insensitively
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
  EXPECT_EQ(Create(u"\\SystemRoot\\a.log", FILE_CREATE, sync, &h), STATUS_OBJECT_NAME_COLLISION);
  EXPECT_EQ(Create(u"\\SystemRoot\\a.log", FILE_OVERWRITE_IF, sync, &h, &info), STATUS_SUCCESS);
  EXPECT_EQ(info, ULONG_PTR{FILE_OVERWRITTEN});
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
  EXPECT_EQ(Create(u"\\SystemRoot\\no\\a.log", FILE_OPEN_IF, sync, &h),
            STATUS_OBJECT_PATH_NOT_FOUND);
  EXPECT_EQ(Create(u"\\SystemRoot\\..\\a.log", FILE_OPEN_IF, sync, &h),
            STATUS_OBJECT_NAME_INVALID);
  EXPECT_EQ(Create(u"\\SystemRoot\\a\\\\b", FILE_OPEN_IF, sync, &h), STATUS_OBJECT_NAME_INVALID);
  EXPECT_EQ(Create(u"\\SystemRoot\\x/y", FILE_OPEN_IF, sync, &h), STATUS_OBJECT_NAME_INVALID);
  EXPECT_EQ(Create(u"\\Elsewhere\\a.log", FILE_OPEN_IF, sync, &h), STATUS_OBJECT_PATH_NOT_FOUND);
  EXPECT_EQ(Create(u"\\SystemRootX\\a.log", FILE_OPEN_IF, sync, &h),
            STATUS_OBJECT_PATH_NOT_FOUND);  // prefixes match whole components
  EXPECT_EQ(Create(u"\\SystemRoot\\d", FILE_CREATE, FILE_DIRECTORY_FILE, &h, &info),
            STATUS_SUCCESS);
  EXPECT_EQ(info, ULONG_PTR{FILE_CREATED});
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
  EXPECT_EQ(Create(u"\\SystemRoot\\d", FILE_OPEN, FILE_NON_DIRECTORY_FILE, &h),
            STATUS_FILE_IS_A_DIRECTORY);
  EXPECT_EQ(Create(u"\\SystemRoot\\a.log", FILE_OPEN, FILE_DIRECTORY_FILE, &h),
            STATUS_NOT_A_DIRECTORY);
  EXPECT_EQ(Create(u"\\SystemRoot\\d\\in.log", FILE_CREATE, sync | FILE_DELETE_ON_CLOSE, &h),
            STATUS_SUCCESS);
  EXPECT_EQ(access((root_ + "/d/in.log").c_str(), F_OK), 0);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
  EXPECT_NE(access((root_ + "/d/in.log").c_str(), F_OK), 0);
}

TEST_F(ZwFiles, ReadWritePositionAndInformation) {
  HANDLE h;
  ASSERT_EQ(Create(u"\\SystemRoot\\f", FILE_SUPERSEDE, FILE_SYNCHRONOUS_IO_NONALERT, &h),
            STATUS_SUCCESS);
  IO_STATUS_BLOCK iosb;
  char text[] = "0123456789";
  EXPECT_EQ(ZwWriteFile(h, nullptr, nullptr, nullptr, &iosb, text, 10, nullptr, nullptr),
            STATUS_SUCCESS);
  EXPECT_EQ(iosb.Information, 10u);
  char buffer[16] = {};
  EXPECT_EQ(ZwReadFile(h, nullptr, nullptr, nullptr, &iosb, buffer, 4, nullptr, nullptr),
            STATUS_END_OF_FILE);  // the position is at the end
  EXPECT_EQ(iosb.Status, STATUS_END_OF_FILE);
  EXPECT_EQ(iosb.Information, 0u);
  LARGE_INTEGER offset;
  offset.QuadPart = 2;
  EXPECT_EQ(ZwReadFile(h, nullptr, nullptr, nullptr, &iosb, buffer, 4, &offset, nullptr),
            STATUS_SUCCESS);
  EXPECT_EQ(std::string(buffer, 4), "2345");
  EXPECT_EQ(ZwReadFile(h, nullptr, nullptr, nullptr, &iosb, buffer, 16, nullptr, nullptr),
            STATUS_SUCCESS);  // on from the new position, a short read
  EXPECT_EQ(iosb.Information, 4u);
  EXPECT_EQ(std::string(buffer, 4), "6789");
  FILE_POSITION_INFORMATION position;
  position.CurrentByteOffset.QuadPart = 8;
  EXPECT_EQ(ZwSetInformationFile(h, &iosb, &position, sizeof position, FilePositionInformation),
            STATUS_SUCCESS);
  offset.HighPart = -1;
  offset.LowPart = FILE_USE_FILE_POINTER_POSITION;
  EXPECT_EQ(ZwReadFile(h, nullptr, nullptr, nullptr, &iosb, buffer, 16, &offset, nullptr),
            STATUS_SUCCESS);
  EXPECT_EQ(std::string(buffer, iosb.Information), "89");
  offset.LowPart = FILE_WRITE_TO_END_OF_FILE;
  EXPECT_EQ(ZwWriteFile(h, nullptr, nullptr, nullptr, &iosb, text, 2, &offset, nullptr),
            STATUS_SUCCESS);
  FILE_STANDARD_INFORMATION standard;
  EXPECT_EQ(ZwQueryInformationFile(h, &iosb, &standard, sizeof standard, FileStandardInformation),
            STATUS_SUCCESS);
  EXPECT_EQ(standard.EndOfFile.QuadPart, 12);
  EXPECT_FALSE(standard.Directory);
  EXPECT_EQ(ZwQueryInformationFile(h, &iosb, &standard, 4, FileStandardInformation),
            STATUS_INFO_LENGTH_MISMATCH);
  EXPECT_EQ(ZwQueryInformationFile(h, &iosb, &standard, sizeof standard, FileNameInformation),
            STATUS_INVALID_INFO_CLASS);
  FILE_END_OF_FILE_INFORMATION end;
  end.EndOfFile.QuadPart = 3;
  EXPECT_EQ(ZwSetInformationFile(h, &iosb, &end, sizeof end, FileEndOfFileInformation),
            STATUS_SUCCESS);
  EXPECT_EQ(ZwQueryInformationFile(h, &iosb, &standard, sizeof standard, FileStandardInformation),
            STATUS_SUCCESS);
  EXPECT_EQ(standard.EndOfFile.QuadPart, 3);
  // A buffer the host kernel cannot write: a status, no crash.
  offset.QuadPart = 0;
  EXPECT_EQ(ZwReadFile(h, nullptr, nullptr, nullptr, &iosb,
                       reinterpret_cast<PVOID>(0xFFFF800000001000ull), 3, &offset, nullptr),
            STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(ZwReadFile(h, reinterpret_cast<HANDLE>(1), nullptr, nullptr, &iosb, buffer, 1,
                       &offset, nullptr),
            STATUS_NOT_SUPPORTED);  // asynchronous I/O
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
  EXPECT_EQ(ZwReadFile(h, nullptr, nullptr, nullptr, &iosb, buffer, 1, &offset, nullptr),
            STATUS_INVALID_HANDLE);

  // Access: a read-only handle cannot write; a non-synchronous one needs an offset.
  ASSERT_EQ(Create(u"\\SystemRoot\\f", FILE_OPEN, 0, &h, nullptr, GENERIC_READ), STATUS_SUCCESS);
  EXPECT_EQ(ZwWriteFile(h, nullptr, nullptr, nullptr, &iosb, text, 1, &offset, nullptr),
            STATUS_ACCESS_DENIED);
  EXPECT_EQ(ZwReadFile(h, nullptr, nullptr, nullptr, &iosb, buffer, 1, nullptr, nullptr),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(ZwReadFile(h, nullptr, nullptr, nullptr, &iosb, buffer, 3, &offset, nullptr),
            STATUS_SUCCESS);
  EXPECT_EQ(std::string(buffer, 3), "012");
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
}

// ---- WPP ----------------------------------------------------------------------------------------
#define WPP_CONTROL_GUIDS                                                  \
  WPP_DEFINE_CONTROL_GUID(TestGuid, (1b2c3d4e, 0000, 1111, 2222, 333344445555), \
                          WPP_DEFINE_BIT(FLAG_A) WPP_DEFINE_BIT(FLAG_B))
enum TestBits { WPP_CONTROL_GUIDS };
#define TestTrace(LEVEL, FLAGS, ...) \
  UMACCESS_WPP_TRACE(WPP_LEVEL_FLAGS_ENABLED(LEVEL, FLAGS), LEVEL, #FLAGS, __VA_ARGS__)
struct Xstr {
  char* _buf;
  short _len;
};

std::string g_text;
void Capture(const char* text, void*) { g_text += text; }

TEST(Wpp, FormatsTheWppTypesAndFilters) {
  UmaSetDbgPrintCallback(Capture, nullptr);
  UmaSetDbgPrintLevel(DPFLTR_INFO_LEVEL);
  g_text.clear();
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, u"\\Device\\X");
  char bytes[] = {0x01, 0x7f, static_cast<char>(0xAB)};
  Xstr dump = {bytes, 3};
  LONG minus = -2;
  TestTrace(TRACE_LEVEL_ERROR, FLAG_A, "%!STATUS! %!STATUS! %wZ %!HEXDUMP! %x %d %s %ws|",
            STATUS_ACCESS_VIOLATION, (NTSTATUS)0xC0001234, &name, dump, minus, minus, "s",
            u"w");
  EXPECT_EQ(g_text,
            "c_style_test: STATUS_ACCESS_VIOLATION 0xC0001234 \\Device\\X 01 7F AB fffffffe -2 s "
            "w|\n");
  g_text.clear();
  TestTrace(TRACE_LEVEL_VERBOSE, FLAG_B, "%!FUNC! %!FLAGS! %!LEVEL! %!bool! %p %5.2f %s\n",
            TRUE, reinterpret_cast<void*>(0xAB), 1.5, static_cast<const char*>(nullptr));
  EXPECT_EQ(g_text, std::string("c_style_test: ") + "TestBody FLAG_B TRACE_LEVEL_VERBOSE TRUE " +
                        (sizeof(void*) == 8 ? "00000000000000AB" : "000000AB") + "  1.50 NULL\n");
  // The control block: a flag off, or a level above the session's, and nothing is evaluated.
  g_text.clear();
  int evaluated = 0;
  UmaWppSetControl(WPP_MASK(WPP_BIT_FLAG_A), TRACE_LEVEL_WARNING);
  TestTrace(TRACE_LEVEL_ERROR, FLAG_B, "%d", ++evaluated);
  TestTrace(TRACE_LEVEL_VERBOSE, FLAG_A, "%d", ++evaluated);
  TestTrace(TRACE_LEVEL_WARNING, FLAG_A, "%d", ++evaluated);
  EXPECT_EQ(evaluated, 1);
  EXPECT_EQ(g_text, "c_style_test: 1\n");
  // The DbgPrint level: verbose messages are not printed (nor formatted) at the default.
  UmaWppSetControl(~0ULL, TRACE_LEVEL_VERBOSE);
  UmaSetDbgPrintLevel(DPFLTR_ERROR_LEVEL);
  g_text.clear();
  TestTrace(TRACE_LEVEL_VERBOSE, FLAG_A, "hidden %!HEXDUMP!", Xstr{nullptr, 100});
  TestTrace(TRACE_LEVEL_CRITICAL, FLAG_A, "shown");
  EXPECT_EQ(g_text, "c_style_test: shown\n");
  UmaSetDbgPrintCallback(nullptr, nullptr);
  EXPECT_EQ(UmaWppInitCount(), 0);
  WPP_INIT_TRACING(nullptr, nullptr);
  EXPECT_EQ(UmaWppInitCount(), 1);
  WPP_CLEANUP(nullptr);
  EXPECT_EQ(UmaWppInitCount(), 0);
}

}  // namespace
}  // namespace umatest
