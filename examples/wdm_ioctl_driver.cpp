// SPDX-License-Identifier: Apache-2.0
// examples/wdm_ioctl_driver.cpp - a WDM IOCTL driver in the shape of Microsoft's
// Windows-driver-samples general/ioctl/wdm/sys/sioctl.c (DriverEntry creating a named device
// and a DOS name, create/close, one control code per transfer type, unload), written for this
// project against umaccess/ntddk.h only, then loaded into umaccess's I/O manager and sent good
// and hostile buffers the way a user-mode caller's DeviceIoControl would.
//
// The driver part is what a port looks like: WDK code, SAL annotations and all, with two
// kinds of change (marked "PORT:"): __try / __except / } became UMA_TRY / UMA_EXCEPT /
// } UMA_END_EXCEPT, and reads of user pointers go through the user-mode accessors
// (CopyFromUser instead of a plain read after ProbeForRead), because only the accessors turn a
// fault into an exception on Linux. The host part (main) checks every status against what
// Windows returns, the bytes the caller gets back, that nothing outside the caller's buffers
// was written, and that no pool, lock, device or link is left; it exits 0 only if all held.
#include "driver_host.h"

// ==== The driver ================================================================================

#define UMA_SAMPLE_TYPE 40000
#define IOCTL_SAMPLE_METHOD_IN_DIRECT \
  CTL_CODE(UMA_SAMPLE_TYPE, 0x900, METHOD_IN_DIRECT, FILE_ANY_ACCESS)
#define IOCTL_SAMPLE_METHOD_OUT_DIRECT \
  CTL_CODE(UMA_SAMPLE_TYPE, 0x901, METHOD_OUT_DIRECT, FILE_ANY_ACCESS)
#define IOCTL_SAMPLE_METHOD_BUFFERED \
  CTL_CODE(UMA_SAMPLE_TYPE, 0x902, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_SAMPLE_METHOD_NEITHER \
  CTL_CODE(UMA_SAMPLE_TYPE, 0x903, METHOD_NEITHER, FILE_ANY_ACCESS)

#define NT_DEVICE_NAME L"\\Device\\UMASAMPLE"
#define DOS_DEVICE_NAME L"\\DosDevices\\UmaSample"

#if DBG
#define SAMPLE_KDPRINT(_x_)    \
  DbgPrint("UMASAMPLE.SYS: "); \
  DbgPrint _x_;
#else
#define SAMPLE_KDPRINT(_x_)
#endif

DRIVER_INITIALIZE SampleDriverEntry;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH SampleCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH SampleDeviceControl;
DRIVER_UNLOAD SampleUnloadDriver;

static const CHAR kReply[] = "Reply from the umaccess sample driver";
ULONG g_checksum;  // what the driver last read from a caller: the host compares it

// The driver reads its input byte by byte, as a driver that inspects a request would.
static ULONG Checksum(_In_reads_bytes_(Length) const UCHAR* Data, _In_ SIZE_T Length) {
  ULONG sum = 0;
  for (SIZE_T i = 0; i < Length; ++i) sum = sum * 31 + Data[i];
  return sum;
}

NTSTATUS SampleDriverEntry(_In_ PDRIVER_OBJECT DriverObject, _In_ PUNICODE_STRING RegistryPath) {
  NTSTATUS status;
  UNICODE_STRING ntName;
  UNICODE_STRING dosName;
  PDEVICE_OBJECT deviceObject = NULL;

  UNREFERENCED_PARAMETER(RegistryPath);
  RtlInitUnicodeString(&ntName, NT_DEVICE_NAME);
  status = IoCreateDevice(DriverObject, 0, &ntName, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN,
                          FALSE, &deviceObject);
  if (!NT_SUCCESS(status)) {
    SAMPLE_KDPRINT(("Couldn't create the device object\n"));
    return status;
  }
  DriverObject->MajorFunction[IRP_MJ_CREATE] = SampleCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = SampleCreateClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = SampleDeviceControl;
  DriverObject->DriverUnload = SampleUnloadDriver;

  RtlInitUnicodeString(&dosName, DOS_DEVICE_NAME);
  status = IoCreateSymbolicLink(&dosName, &ntName);
  if (!NT_SUCCESS(status)) {
    SAMPLE_KDPRINT(("Couldn't create symbolic link\n"));
    IoDeleteDevice(deviceObject);
  }
  return status;
}

NTSTATUS SampleCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  PAGED_CODE();
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

VOID SampleUnloadDriver(_In_ PDRIVER_OBJECT DriverObject) {
  PDEVICE_OBJECT deviceObject = DriverObject->DeviceObject;
  UNICODE_STRING dosName;
  PAGED_CODE();
  RtlInitUnicodeString(&dosName, DOS_DEVICE_NAME);
  IoDeleteSymbolicLink(&dosName);
  if (deviceObject != NULL) IoDeleteDevice(deviceObject);
}

// METHOD_NEITHER: both buffers are the caller's raw pointers. Like sioctl, the driver probes
// them, then describes each with an MDL and locks it, so that it could use them from any
// thread; it reads through the input's system address and writes through the output's.
static NTSTATUS SampleNeither(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp) {
  NTSTATUS status = STATUS_SUCCESS;
  PVOID inBuf = IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;
  PVOID outBuf = Irp->UserBuffer;
  ULONG inBufLength = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
  ULONG outBufLength = IrpSp->Parameters.DeviceIoControl.OutputBufferLength;
  UCHAR peek[16];
  PMDL inMdl = NULL;
  PMDL outMdl = NULL;

  // PORT: __try / __except(EXCEPTION_EXECUTE_HANDLER) / } became the UMA_ macros, and the
  // plain read of inBuf after ProbeForRead became CopyFromUser.
  UMA_TRY {
    ProbeForRead(inBuf, inBufLength, sizeof(UCHAR));
    CopyFromUser(peek, inBuf, inBufLength < sizeof peek ? inBufLength : sizeof peek);
  } UMA_EXCEPT (EXCEPTION_EXECUTE_HANDLER) {
    status = GetExceptionCode();
    SAMPLE_KDPRINT(("Exception while accessing inBuf 0X%08X in METHOD_NEITHER\n", status));
  } UMA_END_EXCEPT
  if (!NT_SUCCESS(status)) return status;

  inMdl = IoAllocateMdl(inBuf, inBufLength, FALSE, TRUE, NULL);
  if (!inMdl) return STATUS_INSUFFICIENT_RESOURCES;
  UMA_TRY {
    MmProbeAndLockPages(inMdl, UserMode, IoReadAccess);
  } UMA_EXCEPT (EXCEPTION_EXECUTE_HANDLER) {
    status = GetExceptionCode();
  } UMA_END_EXCEPT
  if (!NT_SUCCESS(status)) {
    IoFreeMdl(inMdl);
    return status;
  }
  PUCHAR buffer =
      (PUCHAR)MmGetSystemAddressForMdlSafe(inMdl, NormalPagePriority | MdlMappingNoExecute);
  if (!buffer) {
    status = STATUS_INSUFFICIENT_RESOURCES;
  } else {
    g_checksum = Checksum(buffer, inBufLength < 64 ? inBufLength : 64);
    outMdl = IoAllocateMdl(outBuf, outBufLength, FALSE, TRUE, NULL);
    if (!outMdl) {
      status = STATUS_INSUFFICIENT_RESOURCES;
    } else {
      UMA_TRY {
        MmProbeAndLockPages(outMdl, UserMode, IoWriteAccess);
      } UMA_EXCEPT (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
      } UMA_END_EXCEPT
      if (NT_SUCCESS(status)) {
        PCHAR out =
            (PCHAR)MmGetSystemAddressForMdlSafe(outMdl, NormalPagePriority | MdlMappingNoExecute);
        if (!out) {
          status = STATUS_INSUFFICIENT_RESOURCES;
        } else {
          const ULONG n = outBufLength < sizeof(kReply) ? outBufLength : sizeof(kReply);
          RtlCopyBytes(out, kReply, n);
          Irp->IoStatus.Information = n;
        }
        MmUnlockPages(outMdl);
      }
      IoFreeMdl(outMdl);
    }
  }
  MmUnlockPages(inMdl);
  IoFreeMdl(inMdl);
  return status;
}

NTSTATUS SampleDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);
  NTSTATUS ntStatus = STATUS_SUCCESS;
  ULONG inBufLength = irpSp->Parameters.DeviceIoControl.InputBufferLength;
  ULONG outBufLength = irpSp->Parameters.DeviceIoControl.OutputBufferLength;
  PCHAR inBuf, outBuf, buffer;
  ULONG n;

  UNREFERENCED_PARAMETER(DeviceObject);
  PAGED_CODE();
  Irp->IoStatus.Information = 0;
  if (!inBufLength || !outBufLength) {
    ntStatus = STATUS_INVALID_PARAMETER;
    goto End;
  }

  switch (irpSp->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_SAMPLE_METHOD_BUFFERED:
      // One system buffer: the input on entry, the output on completion.
      inBuf = (PCHAR)Irp->AssociatedIrp.SystemBuffer;
      outBuf = (PCHAR)Irp->AssociatedIrp.SystemBuffer;
      g_checksum = Checksum((const UCHAR*)inBuf, inBufLength < 64 ? inBufLength : 64);
      n = outBufLength < sizeof(kReply) ? outBufLength : sizeof(kReply);
      RtlCopyBytes(outBuf, kReply, n);
      Irp->IoStatus.Information = n;
      break;

    case IOCTL_SAMPLE_METHOD_NEITHER: ntStatus = SampleNeither(Irp, irpSp); break;

    case IOCTL_SAMPLE_METHOD_IN_DIRECT:
      // The input is buffered; the "output" buffer is a second input, locked for reading.
      inBuf = (PCHAR)Irp->AssociatedIrp.SystemBuffer;
      buffer = (PCHAR)MmGetSystemAddressForMdlSafe(Irp->MdlAddress,
                                                   NormalPagePriority | MdlMappingNoExecute);
      if (!buffer) {
        ntStatus = STATUS_INSUFFICIENT_RESOURCES;
        break;
      }
      g_checksum = Checksum((const UCHAR*)inBuf, inBufLength < 64 ? inBufLength : 64) ^
                   Checksum((const UCHAR*)buffer, MmGetMdlByteCount(Irp->MdlAddress) < 64
                                                      ? MmGetMdlByteCount(Irp->MdlAddress)
                                                      : 64);
      Irp->IoStatus.Information = MmGetMdlByteCount(Irp->MdlAddress);
      break;

    case IOCTL_SAMPLE_METHOD_OUT_DIRECT:
      inBuf = (PCHAR)Irp->AssociatedIrp.SystemBuffer;
      buffer = (PCHAR)MmGetSystemAddressForMdlSafe(Irp->MdlAddress,
                                                   NormalPagePriority | MdlMappingNoExecute);
      if (!buffer) {
        ntStatus = STATUS_INSUFFICIENT_RESOURCES;
        break;
      }
      g_checksum = Checksum((const UCHAR*)inBuf, inBufLength < 64 ? inBufLength : 64);
      n = MmGetMdlByteCount(Irp->MdlAddress) < sizeof(kReply) ? MmGetMdlByteCount(Irp->MdlAddress)
                                                              : sizeof(kReply);
      RtlCopyBytes(buffer, kReply, n);
      Irp->IoStatus.Information = n;
      break;

    default:
      ntStatus = STATUS_INVALID_DEVICE_REQUEST;
      SAMPLE_KDPRINT(
          ("ERROR: unrecognized IOCTL %x\n", irpSp->Parameters.DeviceIoControl.IoControlCode));
      break;
  }

End:
  Irp->IoStatus.Status = ntStatus;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return ntStatus;
}

// ==== The host =================================================================================

namespace {

using example::CallerMemory;
using example::Checker;

enum Method { kBuffered, kInDirect, kOutDirect, kNeither };
const ULONG kCodes[] = {IOCTL_SAMPLE_METHOD_BUFFERED, IOCTL_SAMPLE_METHOD_IN_DIRECT,
                        IOCTL_SAMPLE_METHOD_OUT_DIRECT, IOCTL_SAMPLE_METHOD_NEITHER};
const char* const kMethodNames[] = {"BUFFERED", "IN_DIRECT", "OUT_DIRECT", "NEITHER"};

long long LockedBytes() {
  FILE* f = std::fopen("/proc/self/status", "r");
  char line[256];
  long long kb = -1;
  while (f != nullptr && std::fgets(line, sizeof line, f) != nullptr)
    if (std::strncmp(line, "VmLck:", 6) == 0) kb = std::atoll(line + 6);
  if (f != nullptr) std::fclose(f);
  return kb * 1024;
}

}  // namespace

int main() {
  Checker c;
  CallerMemory mem;
  const SIZE_T pool_before = UmaPoolAllocationCount(0);
  const long long locked_before = LockedBytes();

  PDRIVER_OBJECT driver;
  c.expect("DriverEntry", UmaIoLoadDriver(SampleDriverEntry, "umasample", &driver), STATUS_SUCCESS);
  PFILE_OBJECT file;
  c.expect("open \\\\.\\UmaSample", UmaIoOpen("\\\\.\\UmaSample", &file), STATUS_SUCCESS);
  if (c.failures != 0) return 1;

  // The good buffers: input text, output with canaries on both sides.
  char* in = mem.good();
  std::strcpy(in, "hello, driver");
  const ULONG in_length = 14;
  char* out = mem.good() + 1024;
  const ULONG out_length = 64;

  // One request; `expect` is the status; on success the caller must have exactly the reply's
  // bytes (or, for IN_DIRECT, its buffer unchanged), and nothing around `out` may change.
  auto request = [&](Method m, const char* label, void* input, ULONG input_length, void* output,
                     ULONG output_length, NTSTATUS expect) {
    std::memset(out - 64, '#', out_length + 128);
    ULONG_PTR information = 0;
    char what[160];
    std::snprintf(what, sizeof what, "%-10s %s", kMethodNames[m], label);
    const NTSTATUS status = UmaIoDeviceControl(file, kCodes[m], input, input_length, output,
                                               output_length, &information);
    c.expect(what, status, expect);
    const bool reply_expected = NT_SUCCESS(status) && m != kInDirect && output == out;
    for (int i = -64; i < static_cast<int>(out_length) + 64; ++i) {
      const bool in_reply = reply_expected && i >= 0 && i < static_cast<int>(information);
      const char want = in_reply ? kReply[i] : '#';
      if (out[i] != want) {
        std::printf("    byte %d of the output area is 0x%02X, expected 0x%02X\n", i,
                    static_cast<unsigned char>(out[i]), static_cast<unsigned char>(want));
        ++c.failures;
        break;
      }
    }
    if (reply_expected) c.check("Information is the reply's length", information == sizeof kReply);
  };

  for (Method m : {kBuffered, kInDirect, kOutDirect, kNeither}) {
    const bool direct = m == kInDirect || m == kOutDirect;
    const bool buffered_input = m != kNeither;  // the I/O manager copies or checks the input
    request(m, "good buffers", in, in_length, out, out_length, STATUS_SUCCESS);
    request(m, "misaligned buffers", mem.misaligned(), 7, out, out_length, STATUS_SUCCESS);
    request(m, "zero-length input", in, 0, out, out_length, STATUS_INVALID_PARAMETER);

    // Hostile input pointers (16 bytes claimed).
    request(m, "input NULL", nullptr, 16, out, out_length,
            buffered_input ? STATUS_INVALID_PARAMETER /* NULL: length 0 */
                           : STATUS_ACCESS_VIOLATION);
    request(m, "input PROT_NONE", mem.prot_none(), 16, out, out_length, STATUS_ACCESS_VIOLATION);
    request(m, "input unmapped", mem.unmapped(), 16, out, out_length, STATUS_ACCESS_VIOLATION);
    request(m, "input straddling a guard page", mem.straddling(16), 16, out, out_length,
            STATUS_ACCESS_VIOLATION);
    request(m, "input kernel-looking", example::kernel_looking(), 16, out, out_length,
            STATUS_ACCESS_VIOLATION);
    request(m, "input non-canonical", example::non_canonical(), 16, out, out_length,
            STATUS_ACCESS_VIOLATION);
    request(m, "input wrapping the address space", example::wrapping(), 64, out, out_length,
            STATUS_ACCESS_VIOLATION);
    request(m, "input huge (0xFFFFFFF0 bytes)", in, 0xFFFFFFF0u, out, out_length,
            STATUS_INSUFFICIENT_RESOURCES);  // the system buffer, or the driver's MDL

    // Hostile output pointers (64 bytes claimed).
    request(m, "output NULL", in, in_length, nullptr, 64,
            m == kNeither ? STATUS_ACCESS_VIOLATION : STATUS_INVALID_PARAMETER);
    request(m, "output PROT_NONE", in, in_length, mem.prot_none(), 64, STATUS_ACCESS_VIOLATION);
    request(m, "output unmapped", in, in_length, mem.unmapped(), 64, STATUS_ACCESS_VIOLATION);
    request(m, "output straddling a guard page", in, in_length, mem.straddling(64), 64,
            STATUS_ACCESS_VIOLATION);
    request(m, "output read-only", in, in_length, mem.read_only(), 64,
            m == kInDirect ? STATUS_SUCCESS /* locked for reading */ : STATUS_ACCESS_VIOLATION);
    request(m, "output kernel-looking", in, in_length, example::kernel_looking(), 64,
            STATUS_ACCESS_VIOLATION);
    request(m, "output non-canonical", in, in_length, example::non_canonical(), 64,
            STATUS_ACCESS_VIOLATION);
    request(m, "output wrapping the address space", in, in_length, example::wrapping(), 64,
            STATUS_ACCESS_VIOLATION);
    request(m, "output huge (0xFFFFFFF0 bytes)", in, in_length, out, 0xFFFFFFF0u,
            direct || m == kNeither ? STATUS_INSUFFICIENT_RESOURCES /* no MDL that large */
                                    : STATUS_ACCESS_VIOLATION /* ProbeForWrite hits the guard */);
    c.check("the read-only page is unchanged", mem.read_only()[0] == 'r');
  }
  // The driver saw what the caller sent, through every transfer type.
  request(kBuffered, "good buffers again", in, in_length, out, out_length, STATUS_SUCCESS);
  const ULONG buffered_sum = g_checksum;
  request(kNeither, "good buffers again", in, in_length, out, out_length, STATUS_SUCCESS);
  c.check("METHOD_NEITHER read the same input", g_checksum == buffered_sum);
  c.expect("unknown control code",
           UmaIoDeviceControl(file, CTL_CODE(UMA_SAMPLE_TYPE, 0x9FF, METHOD_BUFFERED, 0), in,
                              in_length, out, out_length, nullptr),
           STATUS_INVALID_DEVICE_REQUEST);

  c.expect("close", UmaIoClose(file), STATUS_SUCCESS);
  c.expect("unload", UmaIoUnloadDriver(driver), STATUS_SUCCESS);
  c.check("no pool left", UmaPoolAllocationCount(0) == pool_before);
  c.check("no pages left locked", LockedBytes() == locked_before);
  c.check("no device or link left", UmaIoDeviceCount() == 0 && UmaIoSymbolicLinkCount() == 0);
  std::printf("%d requests, %s\n", c.requests,
              c.failures == 0 ? "all as Windows documents" : "UNEXPECTED OUTCOMES");
  return c.failures == 0 ? 0 : 1;
}
