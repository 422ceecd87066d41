// SPDX-License-Identifier: Apache-2.0
// tests/drivers/io_manager_test.cpp - the I/O manager (umaccess/iohost.h, issue 15 part 2)
// with a small WDM test driver and a small KMDF one: what the driver receives for each
// transfer type, what the caller gets back (exactly IoStatus.Information bytes, nothing
// beyond), the statuses bad caller buffers get before the driver runs, the bug checks for
// driver bugs Windows catches, the namespace, and leak checks after unload.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "support.h"
#include "umaccess/wdf.h"

namespace umatest {
namespace {

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

// ---- The WDM test driver ---------------------------------------------------------------------
// Every IOCTL fills the output with 'R' for `reply` bytes (the first input byte) and reports
// `report` bytes (the second); the control code's method picks where the output is.
constexpr ULONG kBuffered = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);
constexpr ULONG kOutDirect =
    CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_OUT_DIRECT, FILE_ANY_ACCESS);
constexpr ULONG kNeither = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_NEITHER, FILE_ANY_ACCESS);
constexpr ULONG kPending = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x803, METHOD_BUFFERED, FILE_ANY_ACCESS);
constexpr ULONG kTwice = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x804, METHOD_BUFFERED, FILE_ANY_ACCESS);

std::atomic<int> g_calls{0};
ULONG g_seen_in_length, g_seen_out_length;
IRP g_seen_irp;
ULONG g_seen_mdl_bytes;
bool g_seen_mdl_locked;
bool g_leave_link = false;

NTSTATUS TestCreateClose(PDEVICE_OBJECT, PIRP Irp) {
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

NTSTATUS TestDeviceControl(PDEVICE_OBJECT, PIRP Irp) {
  ++g_calls;
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
  g_seen_irp = *Irp;
  g_seen_in_length = stack->Parameters.DeviceIoControl.InputBufferLength;
  g_seen_out_length = stack->Parameters.DeviceIoControl.OutputBufferLength;
  g_seen_mdl_bytes = Irp->MdlAddress != nullptr ? MmGetMdlByteCount(Irp->MdlAddress) : 0;
  g_seen_mdl_locked =
      Irp->MdlAddress != nullptr && (Irp->MdlAddress->MdlFlags & MDL_PAGES_LOCKED) != 0;
  const ULONG code = stack->Parameters.DeviceIoControl.IoControlCode;
  const ULONG in_length = stack->Parameters.DeviceIoControl.InputBufferLength;
  UCHAR request[2] = {0, 0};
  NTSTATUS status = STATUS_SUCCESS;
  UCHAR* out = nullptr;
  if (code == kNeither) {
    UMA_TRY {
      CopyFromUser(request, stack->Parameters.DeviceIoControl.Type3InputBuffer,
                   in_length < 2 ? in_length : 2);
    } UMA_EXCEPT (EXCEPTION_EXECUTE_HANDLER) {
      status = GetExceptionCode();
    } UMA_END_EXCEPT
  } else if (in_length >= 2) {
    std::memcpy(request, Irp->AssociatedIrp.SystemBuffer, 2);
  }
  if (code == kOutDirect && Irp->MdlAddress != nullptr)
    out = static_cast<UCHAR*>(MmGetSystemAddressForMdlSafe(Irp->MdlAddress, NormalPagePriority));
  else if (code != kNeither)
    out = static_cast<UCHAR*>(Irp->AssociatedIrp.SystemBuffer);
  if (NT_SUCCESS(status) && request[0] != 0) {
    UMA_TRY {
      // Kernel-side buffers are filled within their size; the caller's (NEITHER) as asked.
      if (code == kNeither)
        FillUserMemory(Irp->UserBuffer, request[0], 'R');
      else if (out != nullptr)
        RtlFillMemory(out, request[0] < g_seen_out_length ? request[0] : g_seen_out_length, 'R');
    } UMA_EXCEPT (EXCEPTION_EXECUTE_HANDLER) {
      status = GetExceptionCode();
    } UMA_END_EXCEPT
  }
  Irp->IoStatus.Status = status;
  Irp->IoStatus.Information = NT_SUCCESS(status) ? request[1] : 0;
  if (code == kPending) {
    IoMarkIrpPending(Irp);
    std::thread([Irp] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      IoCompleteRequest(Irp, IO_NO_INCREMENT);
    }).detach();
    return STATUS_PENDING;
  }
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  if (code == kTwice) IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

VOID TestUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link;
  RtlInitUnicodeString(&link, u"\\DosDevices\\UmaTest");
  if (!g_leave_link) IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

NTSTATUS TestDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNREFERENCED_PARAMETER(RegistryPath);
  UNICODE_STRING name, link;
  RtlInitUnicodeString(&name, L"\\Device\\UmaTest");
  RtlInitUnicodeString(&link, L"\\DosDevices\\UmaTest");
  PDEVICE_OBJECT device;
  NTSTATUS status = IoCreateDevice(DriverObject, 16, &name, FILE_DEVICE_UNKNOWN,
                                   FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) return status;
  DriverObject->MajorFunction[IRP_MJ_CREATE] = TestCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = TestCreateClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = TestDeviceControl;
  DriverObject->DriverUnload = TestUnload;
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) IoDeleteDevice(device);
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return status;
}

class IoManager : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_before_ = UmaPoolAllocationCount(0);
    ASSERT_EQ(UmaIoLoadDriver(TestDriverEntry, "umatest", &driver_), STATUS_SUCCESS);
    ASSERT_EQ(UmaIoOpen("\\\\.\\UmaTest", &file_), STATUS_SUCCESS);
  }
  void TearDown() override {
    if (file_ != nullptr) {
      EXPECT_EQ(UmaIoClose(file_), STATUS_SUCCESS);
    }
    if (driver_ != nullptr) {
      EXPECT_EQ(UmaIoUnloadDriver(driver_), STATUS_SUCCESS);
    }
    EXPECT_EQ(UmaIoDeviceCount(), 0u);
    EXPECT_EQ(UmaIoSymbolicLinkCount(), 0u);
    EXPECT_EQ(UmaIoOutstandingIrpCount(), 0u);
    EXPECT_EQ(UmaPoolAllocationCount(0), pool_before_) << "system buffers freed";
  }
  NTSTATUS Ioctl(ULONG code, const void* in, ULONG in_length, void* out, ULONG out_length,
                 ULONG_PTR* information = nullptr) {
    return UmaIoDeviceControl(file_, code, const_cast<void*>(in), in_length, out, out_length,
                              information);
  }
  PDRIVER_OBJECT driver_ = nullptr;
  PFILE_OBJECT file_ = nullptr;
  SIZE_T pool_before_ = 0;
};

TEST_F(IoManager, BufferedCopiesBackExactlyInformationBytes) {
  GuardedRegion region(page_size());
  UCHAR* out = reinterpret_cast<UCHAR*>(region.begin());
  std::memset(out, '.', 64);
  const UCHAR in[2] = {40, 10};  // the driver fills the 32-byte buffer, reports 10 bytes
  ULONG_PTR information = 99;
  EXPECT_EQ(Ioctl(kBuffered, in, 2, out, 32, &information), STATUS_SUCCESS);
  EXPECT_EQ(information, 10u);
  for (int i = 0; i < 64; ++i) EXPECT_EQ(out[i], i < 10 ? 'R' : '.') << i;
  EXPECT_EQ(g_seen_irp.RequestorMode, UserMode);
  EXPECT_NE(g_seen_irp.Flags & IRP_BUFFERED_IO, 0u);
}

TEST_F(IoManager, BadCallerBuffersFailBeforeTheDriverRuns) {
  GuardedRegion region(page_size());
  region.protect(0, page_size(), PROT_READ);
  const UCHAR in[2] = {4, 4};
  const int calls = g_calls;
  // Output read-only, output running into the guard, input unreadable, kernel-looking,
  // non-canonical, wrapping: STATUS_ACCESS_VIOLATION, no IRP.
  EXPECT_EQ(Ioctl(kBuffered, in, 2, region.begin(), 8), STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(Ioctl(kBuffered, in, 2, region.guard() - 4, 8), STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(Ioctl(kBuffered, region.guard() - 1, 2, nullptr, 0), STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(Ioctl(kBuffered, reinterpret_cast<void*>(0xFFFF800000001000ull), 2, nullptr, 0),
            STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(Ioctl(kBuffered, reinterpret_cast<void*>(0x0000800000000000ull), 2, nullptr, 0),
            STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(Ioctl(kBuffered, reinterpret_cast<void*>(~std::uintptr_t{0} - 4), 16, nullptr, 0),
            STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(Ioctl(kOutDirect, in, 2, region.begin(), 8), STATUS_ACCESS_VIOLATION)
      << "OUT_DIRECT write-probes the output pages";
  EXPECT_EQ(g_calls, calls) << "the driver saw none of them";
  // Too big for the pool: STATUS_INSUFFICIENT_RESOURCES.
  static UCHAR small[16];
  EXPECT_EQ(Ioctl(kBuffered, small, 0xFFFFFFF0u, nullptr, 0), STATUS_INSUFFICIENT_RESOURCES);
  // A NULL buffer is length 0 for buffered and direct methods: the driver runs.
  EXPECT_EQ(Ioctl(kBuffered, nullptr, 100, nullptr, 100), STATUS_SUCCESS);
  EXPECT_EQ(g_calls, calls + 1);
  EXPECT_EQ(g_seen_in_length, 0u);
  EXPECT_EQ(g_seen_out_length, 0u);
}

TEST_F(IoManager, DirectLocksTheOutputUntilCompletion) {
  GuardedRegion region(2 * page_size());
  const UCHAR in[2] = {100, 100};
  ULONG_PTR information = 0;
  EXPECT_EQ(Ioctl(kOutDirect, in, 2, region.begin() + 10, 200, &information), STATUS_SUCCESS);
  EXPECT_EQ(information, 100u);
  EXPECT_EQ(region.begin()[10], 'R');
  EXPECT_EQ(region.begin()[110], 0);
  EXPECT_EQ(g_seen_mdl_bytes, 200u);
  EXPECT_TRUE(g_seen_mdl_locked);
  EXPECT_EQ(g_seen_irp.AssociatedIrp.SystemBuffer == nullptr, false) << "the input is buffered";
}

TEST_F(IoManager, NeitherPassesRawPointersAndTheDriverGetsTheFault) {
  GuardedRegion region(page_size());
  const UCHAR in[2] = {8, 8};
  EXPECT_EQ(Ioctl(kNeither, in, 2, region.guard() - 4, 8), STATUS_ACCESS_VIOLATION)
      << "the driver's FillUserMemory faulted at the guard";
  EXPECT_EQ(region.guard()[-5], 0) << "nothing before the buffer was written";
  EXPECT_EQ(Ioctl(kNeither, region.guard(), 2, region.begin(), 8), STATUS_ACCESS_VIOLATION);
  ULONG_PTR information = 0;
  EXPECT_EQ(Ioctl(kNeither, in, 2, region.begin(), 8, &information), STATUS_SUCCESS);
  EXPECT_EQ(information, 8u);
}

TEST_F(IoManager, PendingRequestsCompleteFromAnotherThread) {
  UCHAR out[16] = {};
  const UCHAR in[2] = {5, 5};
  ULONG_PTR information = 0;
  EXPECT_EQ(Ioctl(kPending, in, 2, out, sizeof out, &information), STATUS_SUCCESS);
  EXPECT_EQ(information, 5u);
  EXPECT_EQ(out[4], 'R');
  EXPECT_EQ(out[5], 0);
}

TEST_F(IoManager, DriverBugsAreBugChecks) {
  ThrowingBugChecks bug_checks;
  UCHAR out[8] = {};
  const UCHAR overreport[2] = {4, 9};  // reports 9 bytes into an 8-byte buffer
  try {
    Ioctl(kBuffered, overreport, 2, out, sizeof out);
    ADD_FAILURE() << "expected a bug check";
  } catch (const BugCheck& b) {
    EXPECT_EQ(b.info.code, DRIVER_VERIFIER_IOMANAGER_VIOLATION);
  }
  EXPECT_EQ(out[0], 0) << "nothing was copied back";
  const UCHAR in[2] = {1, 1};
  try {
    Ioctl(kTwice, in, 2, out, sizeof out);
    ADD_FAILURE() << "expected a bug check";
  } catch (const BugCheck& b) {
    EXPECT_EQ(b.info.code, MULTIPLE_IRP_COMPLETE_REQUESTS);
  }
  // TearDown checks that neither left an IRP, a system buffer or a lock behind.
}

TEST(IoNamespace, NamesLinksExclusivityAndLeaks) {
  PDRIVER_OBJECT driver;
  ASSERT_EQ(UmaIoLoadDriver(TestDriverEntry, "umatest", &driver), STATUS_SUCCESS);
  PDRIVER_OBJECT second;
  EXPECT_EQ(UmaIoLoadDriver(TestDriverEntry, "umatest2", &second), STATUS_OBJECT_NAME_COLLISION);
  EXPECT_EQ(second, nullptr);
  PFILE_OBJECT file;
  EXPECT_EQ(UmaIoOpen("\\\\.\\NoSuchDevice", &file), STATUS_OBJECT_NAME_NOT_FOUND);
  ASSERT_EQ(UmaIoOpen("\\device\\umatest\\sub\\name", &file), STATUS_SUCCESS);
  EXPECT_EQ(file->FileName.Length, 9 * sizeof(WCHAR));
  EXPECT_EQ(UmaIoUnloadDriver(driver), STATUS_INVALID_DEVICE_STATE) << "a file is open";
  EXPECT_EQ(UmaIoClose(file), STATUS_SUCCESS);
  g_leave_link = true;
  EXPECT_EQ(UmaIoUnloadDriver(driver), STATUS_INVALID_DEVICE_STATE) << "the link leaked";
  g_leave_link = false;
  EXPECT_EQ(UmaIoSymbolicLinkCount(), 0u);
  EXPECT_EQ(UmaIoDeviceCount(), 0u);
}

// ---- KMDF --------------------------------------------------------------------------------------

struct DeviceContext {
  ULONG Requests;
};
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DeviceContext, GetDeviceContext)

constexpr ULONG kKmdfBuffered =
    CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_BUFFERED, FILE_ANY_ACCESS);
constexpr ULONG kKmdfNeither =
    CTL_CODE(FILE_DEVICE_UNKNOWN, 0x901, METHOD_NEITHER, FILE_ANY_ACCESS);
NTSTATUS g_in_status, g_out_status, g_unsafe_status, g_lock_status, g_queue_unsafe_status;

VOID KmdfIoctl(WDFQUEUE Queue, WDFREQUEST Request, size_t, size_t, ULONG Code) {
  GetDeviceContext(WdfIoQueueGetDevice(Queue))->Requests++;
  PVOID in = nullptr, out = nullptr;
  size_t in_length = 0, out_length = 0;
  g_in_status = WdfRequestRetrieveInputBuffer(Request, 2, &in, &in_length);
  g_out_status = WdfRequestRetrieveOutputBuffer(Request, 1, &out, &out_length);
  PVOID unsafe;
  g_queue_unsafe_status = WdfRequestRetrieveUnsafeUserInputBuffer(Request, 0, &unsafe, nullptr);
  if (Code == kKmdfBuffered && NT_SUCCESS(g_in_status) && NT_SUCCESS(g_out_status)) {
    RtlFillMemory(out, out_length, 'K');
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, out_length);
    return;
  }
  WdfRequestComplete(Request, NT_SUCCESS(g_in_status) ? g_out_status : g_in_status);
}

VOID KmdfInCaller(WDFDEVICE Device, WDFREQUEST Request) {
  WDF_REQUEST_PARAMETERS parameters;
  WDF_REQUEST_PARAMETERS_INIT(&parameters);
  WdfRequestGetParameters(Request, &parameters);
  if (parameters.Parameters.DeviceIoControl.IoControlCode == kKmdfNeither) {
    PVOID in;
    size_t length = 0;
    g_unsafe_status = WdfRequestRetrieveUnsafeUserInputBuffer(Request, 0, &in, &length);
    WDFMEMORY memory;
    g_lock_status = WdfRequestProbeAndLockUserBufferForRead(Request, in, length, &memory);
    if (!NT_SUCCESS(g_lock_status)) {
      WdfRequestComplete(Request, g_lock_status);
      return;
    }
  }
  WdfDeviceEnqueueRequest(Device, Request);
}

NTSTATUS KmdfDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  WDF_DRIVER_CONFIG config;
  WDF_DRIVER_CONFIG_INIT(&config, WDF_NO_EVENT_CALLBACK);
  config.DriverInitFlags |= WdfDriverInitNonPnpDriver;
  WDFDRIVER driver;
  NTSTATUS status =
      WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, &driver);
  if (!NT_SUCCESS(status)) return status;
  PWDFDEVICE_INIT init = WdfControlDeviceInitAllocate(driver, &SDDL_DEVOBJ_SYS_ALL_ADM_RWX_GEN_ALL);
  WdfDeviceInitSetIoType(init, WdfDeviceIoBuffered);
  WdfDeviceInitSetIoInCallerContextCallback(init, KmdfInCaller);
  DECLARE_CONST_UNICODE_STRING(name, u"\\Device\\UmaKmdf");
  WdfDeviceInitAssignName(init, &name);
  WDF_OBJECT_ATTRIBUTES attributes;
  WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, DeviceContext);
  WDFDEVICE device;
  status = WdfDeviceCreate(&init, &attributes, &device);
  if (!NT_SUCCESS(status)) {
    WdfDeviceInitFree(init);
    return status;
  }
  WDF_IO_QUEUE_CONFIG queue;
  WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&queue, WdfIoQueueDispatchSequential);
  queue.EvtIoDeviceControl = KmdfIoctl;
  status = WdfIoQueueCreate(device, &queue, WDF_NO_OBJECT_ATTRIBUTES, WDF_NO_HANDLE);
  WdfControlFinishInitializing(device);
  return status;
}

TEST(Kmdf, RequestBufferFunctionsFollowKmdf) {
  const SIZE_T objects = UmaWdfObjectCount();
  PDRIVER_OBJECT driver;
  ASSERT_EQ(UmaIoLoadDriver(KmdfDriverEntry, "umakmdf", &driver), STATUS_SUCCESS);
  PFILE_OBJECT file;
  ASSERT_EQ(UmaIoOpen("\\Device\\UmaKmdf", &file), STATUS_SUCCESS);
  UCHAR in[4] = {1, 2, 3, 4}, out[8] = {};
  ULONG_PTR information = 0;
  EXPECT_EQ(UmaIoDeviceControl(file, kKmdfBuffered, in, 4, out, 8, &information), STATUS_SUCCESS);
  EXPECT_EQ(information, 8u);
  EXPECT_EQ(out[7], 'K');
  EXPECT_EQ(g_queue_unsafe_status, STATUS_INVALID_DEVICE_REQUEST) << "outside EvtIoInCallerContext";
  // A zero-length output buffer: STATUS_BUFFER_TOO_SMALL; an input shorter than the minimum too.
  EXPECT_EQ(UmaIoDeviceControl(file, kKmdfBuffered, in, 4, nullptr, 0, nullptr),
            STATUS_BUFFER_TOO_SMALL);
  EXPECT_EQ(UmaIoDeviceControl(file, kKmdfBuffered, in, 1, out, 8, nullptr),
            STATUS_BUFFER_TOO_SMALL);
  // METHOD_NEITHER from user mode: the safe retrieval refuses, the unsafe one works in the
  // caller's context, and the probe-and-lock reports a bad buffer.
  EXPECT_EQ(UmaIoDeviceControl(file, kKmdfNeither, in, 4, out, 8, nullptr),
            STATUS_INVALID_DEVICE_REQUEST);
  EXPECT_EQ(g_unsafe_status, STATUS_SUCCESS);
  EXPECT_EQ(g_lock_status, STATUS_SUCCESS);
  GuardedRegion region(page_size());
  EXPECT_EQ(UmaIoDeviceControl(file, kKmdfNeither, region.guard() - 2, 4, out, 8, nullptr),
            STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(UmaIoDeviceControl(file, kKmdfNeither, in, 0, out, 8, nullptr),
            STATUS_INVALID_USER_BUFFER);
  EXPECT_EQ(UmaIoClose(file), STATUS_SUCCESS);
  EXPECT_EQ(UmaIoUnloadDriver(driver), STATUS_SUCCESS);
  EXPECT_EQ(UmaWdfObjectCount(), objects) << "request memory objects deleted";
  EXPECT_EQ(UmaWdfFrameworkObjectCount(), 0u);
  EXPECT_EQ(UmaIoDeviceCount(), 0u);
}

}  // namespace
}  // namespace umatest
