// SPDX-License-Identifier: Apache-2.0
// examples/kmdf_ioctl_driver.cpp - a KMDF software driver in the shape of Microsoft's
// Windows-driver-samples general/ioctl/kmdf/sys/nonpnp.c: a non-PnP driver with one control
// device (exclusive, buffered I/O, a DOS name), file create/close callbacks, an
// EvtIoInCallerContext that captures METHOD_NEITHER buffers in the caller's context
// (WdfRequestRetrieveUnsafeUser...Buffer + WdfRequestProbeAndLockUserBufferFor..., kept in a
// request context), and a sequential default queue with read, write and device-control
// handlers for the four transfer types. Written for this project against umaccess/wdf.h only;
// the only porting change KMDF code needs here is none at all: the framework's request
// functions already do the user-buffer work through the engine.
//
// main() loads it into umaccess's I/O manager and sends it good and hostile buffers; it checks
// the statuses (the I/O manager's and KMDF's), the bytes returned, the canaries around the
// caller's buffers, and that no memory object, framework object, pool block, lock, device or
// link remains after unload. Exit 0 only if everything held.
#include "driver_host.h"
#include "umaccess/wdf.h"

// ==== The driver ================================================================================

#define KMDF_SAMPLE_TYPE 40001
#define IOCTL_NONPNP_METHOD_IN_DIRECT \
  CTL_CODE(KMDF_SAMPLE_TYPE, 0x900, METHOD_IN_DIRECT, FILE_ANY_ACCESS)
#define IOCTL_NONPNP_METHOD_OUT_DIRECT \
  CTL_CODE(KMDF_SAMPLE_TYPE, 0x901, METHOD_OUT_DIRECT, FILE_ANY_ACCESS)
#define IOCTL_NONPNP_METHOD_BUFFERED \
  CTL_CODE(KMDF_SAMPLE_TYPE, 0x902, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_NONPNP_METHOD_NEITHER \
  CTL_CODE(KMDF_SAMPLE_TYPE, 0x903, METHOD_NEITHER, FILE_ANY_ACCESS)

#define NTDEVICE_NAME_STRING u"\\Device\\UMAKMDF"
#define SYMBOLIC_NAME_STRING u"\\DosDevices\\UmaKmdf"

typedef struct _CONTROL_DEVICE_EXTENSION {
  ULONG OpenCount;
  ULONG StoredLength;
  UCHAR Stored[128];  // what writes leave and reads return
} CONTROL_DEVICE_EXTENSION, *PCONTROL_DEVICE_EXTENSION;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(CONTROL_DEVICE_EXTENSION, ControlGetData)

typedef struct _REQUEST_CONTEXT {
  WDFMEMORY InputMemoryBuffer;
  WDFMEMORY OutputMemoryBuffer;
} REQUEST_CONTEXT, *PREQUEST_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(REQUEST_CONTEXT, GetRequestContext)

DRIVER_INITIALIZE KmdfSampleDriverEntry;
EVT_WDF_DRIVER_UNLOAD NonPnpEvtDriverUnload;
EVT_WDF_DEVICE_FILE_CREATE NonPnpEvtDeviceFileCreate;
EVT_WDF_FILE_CLOSE NonPnpEvtFileClose;
EVT_WDF_IO_IN_CALLER_CONTEXT NonPnpEvtDeviceIoInCallerContext;
EVT_WDF_IO_QUEUE_IO_READ FileEvtIoRead;
EVT_WDF_IO_QUEUE_IO_WRITE FileEvtIoWrite;
EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL FileEvtIoDeviceControl;

static const CHAR kReply[] = "Reply from the umaccess KMDF sample";
bool g_unloaded;

static NTSTATUS NonPnpDeviceAdd(_In_ WDFDRIVER Driver, _In_ PWDFDEVICE_INIT DeviceInit) {
  NTSTATUS status;
  WDF_OBJECT_ATTRIBUTES attributes;
  WDF_IO_QUEUE_CONFIG ioQueueConfig;
  WDF_FILEOBJECT_CONFIG fileConfig;
  WDFQUEUE queue;
  WDFDEVICE controlDevice;
  DECLARE_CONST_UNICODE_STRING(ntDeviceName, NTDEVICE_NAME_STRING);
  DECLARE_CONST_UNICODE_STRING(symbolicLinkName, SYMBOLIC_NAME_STRING);

  UNREFERENCED_PARAMETER(Driver);
  PAGED_CODE();

  WdfDeviceInitSetExclusive(DeviceInit, TRUE);
  WdfDeviceInitSetIoType(DeviceInit, WdfDeviceIoBuffered);
  status = WdfDeviceInitAssignName(DeviceInit, &ntDeviceName);
  if (!NT_SUCCESS(status)) goto End;

  WDF_FILEOBJECT_CONFIG_INIT(&fileConfig, NonPnpEvtDeviceFileCreate, NonPnpEvtFileClose,
                             WDF_NO_EVENT_CALLBACK);
  WdfDeviceInitSetFileObjectConfig(DeviceInit, &fileConfig, WDF_NO_OBJECT_ATTRIBUTES);
  WdfDeviceInitSetIoInCallerContextCallback(DeviceInit, NonPnpEvtDeviceIoInCallerContext);

  WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, CONTROL_DEVICE_EXTENSION);
  status = WdfDeviceCreate(&DeviceInit, &attributes, &controlDevice);
  if (!NT_SUCCESS(status)) goto End;

  status = WdfDeviceCreateSymbolicLink(controlDevice, &symbolicLinkName);
  if (!NT_SUCCESS(status)) goto End;

  WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&ioQueueConfig, WdfIoQueueDispatchSequential);
  ioQueueConfig.EvtIoRead = FileEvtIoRead;
  ioQueueConfig.EvtIoWrite = FileEvtIoWrite;
  ioQueueConfig.EvtIoDeviceControl = FileEvtIoDeviceControl;
  WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
  status = WdfIoQueueCreate(controlDevice, &ioQueueConfig, &attributes, &queue);
  if (!NT_SUCCESS(status)) goto End;

  WdfControlFinishInitializing(controlDevice);

End:
  // On failure the driver frees the init it allocated (NULL once WdfDeviceCreate took it).
  if (DeviceInit != NULL) WdfDeviceInitFree(DeviceInit);
  return status;
}

NTSTATUS KmdfSampleDriverEntry(IN PDRIVER_OBJECT DriverObject, IN PUNICODE_STRING RegistryPath) {
  NTSTATUS status;
  WDF_DRIVER_CONFIG config;
  WDFDRIVER hDriver;
  PWDFDEVICE_INIT pInit = NULL;

  WDF_DRIVER_CONFIG_INIT(&config, WDF_NO_EVENT_CALLBACK);  // a non-PnP driver
  config.DriverInitFlags |= WdfDriverInitNonPnpDriver;
  config.EvtDriverUnload = NonPnpEvtDriverUnload;
  status = WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, &hDriver);
  if (!NT_SUCCESS(status)) {
    KdPrint(("NonPnp: WdfDriverCreate failed with status 0x%x\n", status));
    return status;
  }
  pInit = WdfControlDeviceInitAllocate(hDriver, &SDDL_DEVOBJ_SYS_ALL_ADM_RWX_GEN_ALL);
  if (pInit == NULL) return STATUS_INSUFFICIENT_RESOURCES;
  return NonPnpDeviceAdd(hDriver, pInit);
}

VOID NonPnpEvtDriverUnload(IN WDFDRIVER Driver) {
  UNREFERENCED_PARAMETER(Driver);
  PAGED_CODE();
  g_unloaded = true;
}

VOID NonPnpEvtDeviceFileCreate(IN WDFDEVICE Device, IN WDFREQUEST Request,
                               IN WDFFILEOBJECT FileObject) {
  UNREFERENCED_PARAMETER(FileObject);
  PAGED_CODE();
  ControlGetData(Device)->OpenCount++;
  WdfRequestComplete(Request, STATUS_SUCCESS);
}

VOID NonPnpEvtFileClose(IN WDFFILEOBJECT FileObject) {
  PAGED_CODE();
  ControlGetData(WdfFileObjectGetDevice(FileObject))->OpenCount--;
}

// METHOD_NEITHER buffers are only valid in the caller's context: capture them here, as
// memory objects over locked pages, and hand the request to the queue.
VOID NonPnpEvtDeviceIoInCallerContext(IN WDFDEVICE Device, IN WDFREQUEST Request) {
  NTSTATUS status = STATUS_SUCCESS;
  PREQUEST_CONTEXT reqContext = NULL;
  WDF_OBJECT_ATTRIBUTES attributes;
  WDF_REQUEST_PARAMETERS params;
  size_t inBufLen, outBufLen;
  PVOID inBuf, outBuf;

  WDF_REQUEST_PARAMETERS_INIT(&params);
  WdfRequestGetParameters(Request, &params);
  if (!(params.Type == WdfRequestTypeDeviceControl &&
        params.Parameters.DeviceIoControl.IoControlCode == IOCTL_NONPNP_METHOD_NEITHER)) {
    status = WdfDeviceEnqueueRequest(Device, Request);
    if (!NT_SUCCESS(status)) goto End;
    return;
  }
  status = WdfRequestRetrieveUnsafeUserInputBuffer(Request, 0, &inBuf, &inBufLen);
  if (!NT_SUCCESS(status)) goto End;
  status = WdfRequestRetrieveUnsafeUserOutputBuffer(Request, 0, &outBuf, &outBufLen);
  if (!NT_SUCCESS(status)) goto End;

  WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, REQUEST_CONTEXT);
  status = WdfObjectAllocateContext(Request, &attributes, (PVOID*)&reqContext);
  if (!NT_SUCCESS(status)) goto End;

  status = WdfRequestProbeAndLockUserBufferForRead(Request, inBuf, inBufLen,
                                                   &reqContext->InputMemoryBuffer);
  if (!NT_SUCCESS(status)) goto End;
  status = WdfRequestProbeAndLockUserBufferForWrite(Request, outBuf, outBufLen,
                                                    &reqContext->OutputMemoryBuffer);
  if (!NT_SUCCESS(status)) goto End;

  status = WdfDeviceEnqueueRequest(Device, Request);
  if (!NT_SUCCESS(status)) goto End;
  return;

End:
  WdfRequestComplete(Request, status);
}

VOID FileEvtIoRead(IN WDFQUEUE Queue, IN WDFREQUEST Request, IN size_t Length) {
  NTSTATUS status;
  PVOID outBuf;
  size_t bufLength;
  ULONG_PTR bytesRead = 0;
  PCONTROL_DEVICE_EXTENSION devExt = ControlGetData(WdfIoQueueGetDevice(Queue));

  UNREFERENCED_PARAMETER(Length);
  PAGED_CODE();
  status = WdfRequestRetrieveOutputBuffer(Request, 0, &outBuf, &bufLength);
  if (!NT_SUCCESS(status)) {
    WdfRequestComplete(Request, status);
    return;
  }
  bytesRead = bufLength < devExt->StoredLength ? bufLength : devExt->StoredLength;
  RtlCopyMemory(outBuf, devExt->Stored, bytesRead);
  WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, bytesRead);
}

VOID FileEvtIoWrite(IN WDFQUEUE Queue, IN WDFREQUEST Request, IN size_t Length) {
  NTSTATUS status;
  WDFMEMORY memory;
  size_t bufLength;
  PCONTROL_DEVICE_EXTENSION devExt = ControlGetData(WdfIoQueueGetDevice(Queue));

  UNREFERENCED_PARAMETER(Length);
  PAGED_CODE();
  status = WdfRequestRetrieveInputMemory(Request, &memory);
  if (!NT_SUCCESS(status)) {
    WdfRequestComplete(Request, status);
    return;
  }
  WdfMemoryGetBuffer(memory, &bufLength);
  if (bufLength > sizeof(devExt->Stored)) {
    WdfRequestComplete(Request, STATUS_BUFFER_OVERFLOW);  // nonpnp's choice for a long write
    return;
  }
  status = WdfMemoryCopyToBuffer(memory, 0, devExt->Stored, bufLength);
  devExt->StoredLength = NT_SUCCESS(status) ? (ULONG)bufLength : 0;
  WdfRequestCompleteWithInformation(Request, status, NT_SUCCESS(status) ? bufLength : 0);
}

VOID FileEvtIoDeviceControl(IN WDFQUEUE Queue, IN WDFREQUEST Request, IN size_t OutputBufferLength,
                            IN size_t InputBufferLength, IN ULONG IoControlCode) {
  NTSTATUS status = STATUS_SUCCESS;
  PCHAR inBuf = NULL, outBuf = NULL;
  size_t bufSize, n;
  PREQUEST_CONTEXT reqContext;
  PCONTROL_DEVICE_EXTENSION devExt = ControlGetData(WdfIoQueueGetDevice(Queue));

  PAGED_CODE();
  if (!OutputBufferLength || !InputBufferLength) {
    WdfRequestComplete(Request, STATUS_INVALID_PARAMETER);
    return;
  }
  switch (IoControlCode) {
    case IOCTL_NONPNP_METHOD_BUFFERED:
    case IOCTL_NONPNP_METHOD_OUT_DIRECT:
      status = WdfRequestRetrieveInputBuffer(Request, 0, (PVOID*)&inBuf, &bufSize);
      if (!NT_SUCCESS(status)) break;
      n = bufSize < sizeof(devExt->Stored) ? bufSize : sizeof(devExt->Stored);
      RtlCopyMemory(devExt->Stored, inBuf, n);  // a kernel-side buffer: plain copies are fine
      devExt->StoredLength = (ULONG)n;
      status = WdfRequestRetrieveOutputBuffer(Request, 0, (PVOID*)&outBuf, &bufSize);
      if (!NT_SUCCESS(status)) break;
      n = bufSize < sizeof(kReply) ? bufSize : sizeof(kReply);
      RtlCopyMemory(outBuf, kReply, n);
      WdfRequestSetInformation(Request, n);
      break;

    case IOCTL_NONPNP_METHOD_IN_DIRECT:
      status = WdfRequestRetrieveInputBuffer(Request, 0, (PVOID*)&inBuf, &bufSize);
      if (!NT_SUCCESS(status)) break;
      // The "output" buffer of IN_DIRECT is a second input, read through its MDL.
      status = WdfRequestRetrieveOutputBuffer(Request, 0, (PVOID*)&outBuf, &bufSize);
      if (!NT_SUCCESS(status)) break;
      devExt->StoredLength =
          (ULONG)(bufSize < sizeof(devExt->Stored) ? bufSize : sizeof(devExt->Stored));
      RtlCopyMemory(devExt->Stored, outBuf, devExt->StoredLength);
      WdfRequestSetInformation(Request, OutputBufferLength);
      break;

    case IOCTL_NONPNP_METHOD_NEITHER:
      // EvtIoInCallerContext locked both buffers: they are memory objects now.
      reqContext = GetRequestContext(Request);
      inBuf = (PCHAR)WdfMemoryGetBuffer(reqContext->InputMemoryBuffer, &bufSize);
      n = bufSize < sizeof(devExt->Stored) ? bufSize : sizeof(devExt->Stored);
      RtlCopyMemory(devExt->Stored, inBuf, n);
      devExt->StoredLength = (ULONG)n;
      WdfMemoryGetBuffer(reqContext->OutputMemoryBuffer, &bufSize);
      n = bufSize < sizeof(kReply) ? bufSize : sizeof(kReply);
      status = WdfMemoryCopyFromBuffer(reqContext->OutputMemoryBuffer, 0, (PVOID)kReply, n);
      if (NT_SUCCESS(status)) WdfRequestSetInformation(Request, n);
      break;

    default: status = STATUS_INVALID_DEVICE_REQUEST; break;
  }
  WdfRequestComplete(Request, status);
}

// ==== The host =================================================================================

int main() {
  using example::Checker;
  Checker c;
  example::CallerMemory mem;
  const SIZE_T pool_before = UmaPoolAllocationCount(0);
  const SIZE_T memory_before = UmaWdfObjectCount();

  PDRIVER_OBJECT driver;
  c.expect("DriverEntry", UmaIoLoadDriver(KmdfSampleDriverEntry, "umakmdf", &driver),
           STATUS_SUCCESS);
  PFILE_OBJECT file;
  c.expect("open \\\\.\\UmaKmdf", UmaIoOpen("\\\\.\\UmaKmdf", &file), STATUS_SUCCESS);
  if (c.failures != 0) return 1;
  PFILE_OBJECT second;
  c.expect("a second open of the exclusive device", UmaIoOpen("\\\\.\\UmaKmdf", &second),
           STATUS_ACCESS_DENIED);

  char* in = mem.good();
  std::strcpy(in, "kmdf input");
  const ULONG in_length = 11;
  char* out = mem.good() + 1024;
  const ULONG out_length = 64;

  enum Method { kBuffered, kInDirect, kOutDirect, kNeither };
  const ULONG codes[] = {IOCTL_NONPNP_METHOD_BUFFERED, IOCTL_NONPNP_METHOD_IN_DIRECT,
                         IOCTL_NONPNP_METHOD_OUT_DIRECT, IOCTL_NONPNP_METHOD_NEITHER};
  const char* const names[] = {"BUFFERED", "IN_DIRECT", "OUT_DIRECT", "NEITHER"};

  auto request = [&](Method m, const char* label, void* input, ULONG input_length, void* output,
                     ULONG output_length, NTSTATUS expect) {
    std::memset(out - 64, '#', out_length + 128);
    ULONG_PTR information = 0;
    char what[160];
    std::snprintf(what, sizeof what, "%-10s %s", names[m], label);
    const NTSTATUS status = UmaIoDeviceControl(file, codes[m], input, input_length, output,
                                               output_length, &information);
    c.expect(what, status, expect);
    const bool reply = NT_SUCCESS(status) && m != kInDirect && output == out;
    for (int i = -64; i < static_cast<int>(out_length) + 64; ++i) {
      const char want = reply && i >= 0 && i < static_cast<int>(information) ? kReply[i] : '#';
      if (out[i] != want) {
        std::printf("    byte %d of the output area is 0x%02X, expected 0x%02X\n", i,
                    static_cast<unsigned char>(out[i]), static_cast<unsigned char>(want));
        ++c.failures;
        break;
      }
    }
    if (reply) c.check("Information is the reply's length", information == sizeof kReply);
  };

  for (Method m : {kBuffered, kInDirect, kOutDirect, kNeither}) {
    const bool neither = m == kNeither;
    request(m, "good buffers", in, in_length, out, out_length, STATUS_SUCCESS);
    request(m, "misaligned buffers", mem.misaligned(), 5, out, out_length, STATUS_SUCCESS);
    request(m, "zero-length input", in, 0, out, out_length,
            neither ? STATUS_INVALID_USER_BUFFER /* probe-and-lock of 0 bytes */
                    : STATUS_INVALID_PARAMETER /* the queue handler's check */);
    request(m, "input NULL", nullptr, 16, out, out_length,
            neither ? STATUS_ACCESS_VIOLATION : STATUS_INVALID_PARAMETER /* length 0 */);
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
            STATUS_INSUFFICIENT_RESOURCES);
    request(m, "output NULL", in, in_length, nullptr, 64,
            neither ? STATUS_ACCESS_VIOLATION : STATUS_INVALID_PARAMETER);
    request(m, "output PROT_NONE", in, in_length, mem.prot_none(), 64, STATUS_ACCESS_VIOLATION);
    request(m, "output unmapped", in, in_length, mem.unmapped(), 64, STATUS_ACCESS_VIOLATION);
    request(m, "output straddling a guard page", in, in_length, mem.straddling(64), 64,
            STATUS_ACCESS_VIOLATION);
    request(m, "output read-only", in, in_length, mem.read_only(), 64,
            m == kInDirect ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION);
    request(m, "output kernel-looking", in, in_length, example::kernel_looking(), 64,
            STATUS_ACCESS_VIOLATION);
    request(m, "output non-canonical", in, in_length, example::non_canonical(), 64,
            STATUS_ACCESS_VIOLATION);
    request(m, "output wrapping the address space", in, in_length, example::wrapping(), 64,
            STATUS_ACCESS_VIOLATION);
    request(m, "output huge (0xFFFFFFF0 bytes)", in, in_length, out, 0xFFFFFFF0u,
            m == kBuffered ? STATUS_ACCESS_VIOLATION : STATUS_INSUFFICIENT_RESOURCES);
    c.check("the read-only page is unchanged", mem.read_only()[0] == 'r');
  }

  // Write, then read back, through the buffered read and write paths.
  ULONG_PTR information = 0;
  c.expect("write 11 bytes", UmaIoWrite(file, in, in_length, &information), STATUS_SUCCESS);
  c.check("wrote 11", information == in_length);
  std::memset(out, '#', 64);
  c.expect("read them back", UmaIoRead(file, out, 64, &information), STATUS_SUCCESS);
  c.check("read 11 bytes, nothing more", information == in_length &&
                                             std::memcmp(out, in, in_length) == 0 &&
                                             out[in_length] == '#');
  c.expect("read into PROT_NONE", UmaIoRead(file, mem.prot_none(), 16, nullptr),
           STATUS_ACCESS_VIOLATION);
  c.expect("read into a read-only page", UmaIoRead(file, mem.read_only(), 16, nullptr),
           STATUS_ACCESS_VIOLATION);
  c.expect("write from unmapped memory", UmaIoWrite(file, mem.unmapped(), 16, nullptr),
           STATUS_ACCESS_VIOLATION);
  c.expect("write from a kernel-looking address",
           UmaIoWrite(file, example::kernel_looking(), 16, nullptr), STATUS_ACCESS_VIOLATION);
  c.expect("write too long for the device", UmaIoWrite(file, in, 1024, nullptr),
           STATUS_BUFFER_OVERFLOW);
  c.expect("zero-length read (completed by the framework)", UmaIoRead(file, out, 0, &information),
           STATUS_SUCCESS);

  c.expect("close", UmaIoClose(file), STATUS_SUCCESS);
  c.expect("unload", UmaIoUnloadDriver(driver), STATUS_SUCCESS);
  c.check("EvtDriverUnload ran", g_unloaded);
  c.check("no memory object left", UmaWdfObjectCount() == memory_before);
  c.check("no framework object left", UmaWdfFrameworkObjectCount() == 0);
  c.check("no pool left", UmaPoolAllocationCount(0) == pool_before);
  c.check("no device or link left", UmaIoDeviceCount() == 0 && UmaIoSymbolicLinkCount() == 0);
  std::printf("%d requests, %s\n", c.requests,
              c.failures == 0 ? "all as Windows documents" : "UNEXPECTED OUTCOMES");
  return c.failures == 0 ? 0 : 1;
}
