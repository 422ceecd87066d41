// SPDX-License-Identifier: Apache-2.0
// umaccess/wdf.h - what a KMDF driver port includes instead of the WDK's <wdf.h>: the WDM
// vocabulary (umaccess/ntddk.h), KMDF memory objects (umaccess/wdfmemory.h) and the part of
// the framework a software driver's DriverEntry, queues and request handlers use: the driver
// object, control and PnP-less devices with file objects, I/O queues, and requests with their
// buffer functions, after
// https://learn.microsoft.com/en-us/windows-hardware/drivers/ddi/wdfrequest/.
//
// The framework sits on umaccess's I/O manager: WdfDriverCreate takes over the driver's
// dispatch table, each IRP becomes a WDFREQUEST presented to the device's EvtIoInCallerContext
// (if any) and then to its queue's EvtIoRead / EvtIoWrite / EvtIoDeviceControl / EvtIoDefault.
// What is modelled, and how it differs from KMDF:
//   - requests: the buffer retrieval functions with KMDF's statuses (a zero-length or too
//     short buffer: STATUS_BUFFER_TOO_SMALL; the wrong request type or a METHOD_NEITHER
//     request from user mode: STATUS_INVALID_DEVICE_REQUEST); the unsafe user-buffer functions
//     and WdfRequestProbeAndLockUserBufferFor... only inside EvtIoInCallerContext, in the
//     requesting thread (else STATUS_INVALID_DEVICE_REQUEST / STATUS_ACCESS_VIOLATION), a zero
//     Length STATUS_INVALID_USER_BUFFER, a bad buffer the status MmProbeAndLockPages raises;
//     memory objects and locked buffers a request hands out are released when it completes;
//   - queues dispatch in the requesting thread; sequential queues present one request at a
//     time (a request completed later, from another thread, holds the queue until then);
//     zero-length reads and writes are completed with STATUS_SUCCESS unless the queue allows
//     them; requests of a type the queue has no callback for: STATUS_INVALID_DEVICE_REQUEST;
//   - object contexts (WDF_DECLARE_CONTEXT_TYPE_WITH_NAME, WdfObjectAllocateContext) on
//     drivers, devices, queues, requests and file objects; cleanup callbacks of those
//     objects are called when they go away. No PnP or power: a PnP driver's EvtDriverDeviceAdd
//     runs when the host calls UmaWdfDriverAddDevice.
// A bad handle or a request completed twice is a bug check WDF_VIOLATION.
// C sources: the functions with a PVOID* out parameter also take any T** (`PCHAR inBuf;
// WdfRequestRetrieveInputBuffer(Request, 0, &inBuf, &n)`), and WdfMemoryGetBuffer and the
// request parameters' pointers convert implicitly as C's void* does (UMA_C_PVOID,
// umaccess/nt_types.h).
#pragma once

#include "umaccess/ntddk.h"
#include "umaccess/wdfmemory.h"

extern "C" {

// ---- Handles -------------------------------------------------------------------------------
typedef struct WDFDRIVER__* WDFDRIVER;
typedef struct WDFDEVICE__* WDFDEVICE;
typedef struct WDFQUEUE__* WDFQUEUE;
typedef struct WDFREQUEST__* WDFREQUEST;
typedef struct WDFFILEOBJECT__* WDFFILEOBJECT;
typedef struct WDFDEVICE_INIT* PWDFDEVICE_INIT;
typedef PVOID WDFCONTEXT;

#define WDF_NO_EVENT_CALLBACK NULL
#define WDF_NO_CONTEXT NULL

typedef enum _WDF_TRI_STATE { WdfFalse = FALSE, WdfTrue = TRUE, WdfUseDefault = 2 } WDF_TRI_STATE;

// ---- Contexts (wdfobject.h) ------------------------------------------------------------------
// The context's type information: one object per context type (an inline variable here).
#define WDF_GET_CONTEXT_TYPE_INFO(_contexttype) (&_WDF_##_contexttype##_TYPE_INFO)
#define WDF_TYPE_NAME_TO_TYPE_INFO(_contexttype) _WDF_##_contexttype##_TYPE_INFO
#define WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(_contexttype, _castingfunction)                \
  inline const WDF_OBJECT_CONTEXT_TYPE_INFO _WDF_##_contexttype##_TYPE_INFO = {           \
      sizeof(WDF_OBJECT_CONTEXT_TYPE_INFO), #_contexttype, sizeof(_contexttype),          \
      &_WDF_##_contexttype##_TYPE_INFO, NULL};                                            \
  inline _contexttype* _castingfunction(WDFOBJECT Handle) {                               \
    return static_cast<_contexttype*>(                                                    \
        WdfObjectGetTypedContextWorker(Handle, WDF_GET_CONTEXT_TYPE_INFO(_contexttype))); \
  }
#define WDF_DECLARE_CONTEXT_TYPE(_contexttype) \
  WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(_contexttype, WdfObjectGet_##_contexttype)
#define WdfObjectGetTypedContext(handle, type) \
  (static_cast<type*>(                         \
      WdfObjectGetTypedContextWorker((WDFOBJECT)(handle), WDF_GET_CONTEXT_TYPE_INFO(type))))
#define WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(_attributes, _contexttype)                \
  do {                                                                                    \
    WDF_OBJECT_ATTRIBUTES_INIT(_attributes);                                              \
    (_attributes)->ContextTypeInfo = WDF_GET_CONTEXT_TYPE_INFO(_contexttype)->UniqueType; \
  } while (0)
#define WDF_OBJECT_ATTRIBUTES_SET_CONTEXT_TYPE(_attributes, _contexttype) \
  ((_attributes)->ContextTypeInfo = WDF_GET_CONTEXT_TYPE_INFO(_contexttype)->UniqueType)

// The context of that type (zeroed when allocated), or NULL if the object has none.
UMACCESS_API PVOID WdfObjectGetTypedContextWorker(WDFOBJECT Handle,
                                                  PCWDF_OBJECT_CONTEXT_TYPE_INFO TypeInfo);
// Adds a context of Attributes->ContextTypeInfo's type (ContextSizeOverride if larger).
// STATUS_OBJECT_NAME_EXISTS if the object has one of that type already.
UMACCESS_API NTSTATUS WdfObjectAllocateContext(WDFOBJECT Handle,
                                               PWDF_OBJECT_ATTRIBUTES ContextAttributes,
                                               PVOID* Context);
#define STATUS_OBJECT_NAME_EXISTS UMACCESS_STATUS(0x40000000u)

// ---- Driver --------------------------------------------------------------------------------
typedef NTSTATUS EVT_WDF_DRIVER_DEVICE_ADD(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit);
typedef EVT_WDF_DRIVER_DEVICE_ADD* PFN_WDF_DRIVER_DEVICE_ADD;
typedef VOID EVT_WDF_DRIVER_UNLOAD(WDFDRIVER Driver);
typedef EVT_WDF_DRIVER_UNLOAD* PFN_WDF_DRIVER_UNLOAD;

typedef enum _WDF_DRIVER_INIT_FLAGS {
  WdfDriverInitNonPnpDriver = 0x00000001,
  WdfDriverInitNoDispatchOverride = 0x00000002,
  WdfVerifyOn = 0x00000004,
  WdfVerifierOn = 0x00000008
} WDF_DRIVER_INIT_FLAGS;

typedef struct _WDF_DRIVER_CONFIG {
  ULONG Size;
  PFN_WDF_DRIVER_DEVICE_ADD EvtDriverDeviceAdd;
  PFN_WDF_DRIVER_UNLOAD EvtDriverUnload;
  ULONG DriverInitFlags;
  ULONG DriverPoolTag;
} WDF_DRIVER_CONFIG, *PWDF_DRIVER_CONFIG;

inline VOID WDF_DRIVER_CONFIG_INIT(PWDF_DRIVER_CONFIG Config,
                                   PFN_WDF_DRIVER_DEVICE_ADD EvtDriverDeviceAdd) {
  memset(Config, 0, sizeof(WDF_DRIVER_CONFIG));
  Config->Size = sizeof(WDF_DRIVER_CONFIG);
  Config->EvtDriverDeviceAdd = EvtDriverDeviceAdd;
}

UMACCESS_API NTSTATUS WdfDriverCreate(PDRIVER_OBJECT DriverObject, PCUNICODE_STRING RegistryPath,
                                      PWDF_OBJECT_ATTRIBUTES DriverAttributes,
                                      PWDF_DRIVER_CONFIG DriverConfig, WDFDRIVER* Driver);
UMACCESS_API PDRIVER_OBJECT WdfDriverWdmGetDriverObject(WDFDRIVER Driver);
UMACCESS_API WDFDRIVER WdfWdmDriverGetWdfDriverHandle(PDRIVER_OBJECT DriverObject);
// The host's stand-in for the PnP manager: runs the driver's EvtDriverDeviceAdd with a new
// device-initialization object; returns its status.
UMACCESS_API NTSTATUS UmaWdfDriverAddDevice(PDRIVER_OBJECT DriverObject);

// ---- Device initialization and devices -----------------------------------------------------
typedef enum _WDF_DEVICE_IO_TYPE {
  WdfDeviceIoUndefined = 0,
  WdfDeviceIoNeither,
  WdfDeviceIoBuffered,
  WdfDeviceIoDirect,
  WdfDeviceIoBufferedOrDirect = 4,
  WdfDeviceIoMaximum
} WDF_DEVICE_IO_TYPE;

typedef VOID EVT_WDF_DEVICE_FILE_CREATE(WDFDEVICE Device, WDFREQUEST Request,
                                        WDFFILEOBJECT FileObject);
typedef EVT_WDF_DEVICE_FILE_CREATE* PFN_WDF_DEVICE_FILE_CREATE;
typedef VOID EVT_WDF_FILE_CLOSE(WDFFILEOBJECT FileObject);
typedef EVT_WDF_FILE_CLOSE* PFN_WDF_FILE_CLOSE;
typedef VOID EVT_WDF_FILE_CLEANUP(WDFFILEOBJECT FileObject);
typedef EVT_WDF_FILE_CLEANUP* PFN_WDF_FILE_CLEANUP;
typedef VOID EVT_WDF_IO_IN_CALLER_CONTEXT(WDFDEVICE Device, WDFREQUEST Request);
typedef EVT_WDF_IO_IN_CALLER_CONTEXT* PFN_WDF_IO_IN_CALLER_CONTEXT;
typedef VOID EVT_WDF_DEVICE_SHUTDOWN_NOTIFICATION(WDFDEVICE Device);
typedef EVT_WDF_DEVICE_SHUTDOWN_NOTIFICATION* PFN_WDF_DEVICE_SHUTDOWN_NOTIFICATION;
typedef enum _WDF_DEVICE_SHUTDOWN_FLAGS {
  WdfDeviceShutdown = 1,
  WdfDeviceLastChanceShutdown = 2
} WDF_DEVICE_SHUTDOWN_FLAGS;

typedef enum _WDF_FILEOBJECT_CLASS {
  WdfFileObjectInvalid = 0,
  WdfFileObjectNotRequired = 1,
  WdfFileObjectWdfCanUseFsContext = 2,
  WdfFileObjectWdfCanUseFsContext2 = 3,
  WdfFileObjectWdfCannotUseFsContexts = 4,
  WdfFileObjectCanBeOptional = 0x80000000
} WDF_FILEOBJECT_CLASS;

typedef struct _WDF_FILEOBJECT_CONFIG {
  ULONG Size;
  PFN_WDF_DEVICE_FILE_CREATE EvtDeviceFileCreate;
  PFN_WDF_FILE_CLOSE EvtFileClose;
  PFN_WDF_FILE_CLEANUP EvtFileCleanup;
  WDF_TRI_STATE AutoForwardCleanupClose;
  WDF_FILEOBJECT_CLASS FileObjectClass;
} WDF_FILEOBJECT_CONFIG, *PWDF_FILEOBJECT_CONFIG;

inline VOID WDF_FILEOBJECT_CONFIG_INIT(PWDF_FILEOBJECT_CONFIG FileEventCallbacks,
                                       PFN_WDF_DEVICE_FILE_CREATE EvtDeviceFileCreate,
                                       PFN_WDF_FILE_CLOSE EvtFileClose,
                                       PFN_WDF_FILE_CLEANUP EvtFileCleanup) {
  memset(FileEventCallbacks, 0, sizeof(WDF_FILEOBJECT_CONFIG));
  FileEventCallbacks->Size = sizeof(WDF_FILEOBJECT_CONFIG);
  FileEventCallbacks->EvtDeviceFileCreate = EvtDeviceFileCreate;
  FileEventCallbacks->EvtFileClose = EvtFileClose;
  FileEventCallbacks->EvtFileCleanup = EvtFileCleanup;
  FileEventCallbacks->AutoForwardCleanupClose = WdfUseDefault;
  FileEventCallbacks->FileObjectClass = WdfFileObjectWdfCannotUseFsContexts;
}

// The SDDL strings are accepted and ignored: there are no security descriptors here.
UMACCESS_API extern const UNICODE_STRING SDDL_DEVOBJ_SYS_ALL_ADM_RWX_GEN_ALL;
UMACCESS_API extern const UNICODE_STRING SDDL_DEVOBJ_SYS_ALL_ADM_ALL;
UMACCESS_API extern const UNICODE_STRING SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RW_RES_R;
UMACCESS_API extern const UNICODE_STRING SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_R_RES_R;
UMACCESS_API extern const UNICODE_STRING SDDL_DEVOBJ_SYS_ALL;

// The per-object-type names of the cleanup and destroy callbacks (wdfdevice.h, wdfdriver.h...).
typedef EVT_WDF_OBJECT_CONTEXT_CLEANUP EVT_WDF_DEVICE_CONTEXT_CLEANUP;
typedef EVT_WDF_OBJECT_CONTEXT_DESTROY EVT_WDF_DEVICE_CONTEXT_DESTROY;
typedef EVT_WDF_OBJECT_CONTEXT_CLEANUP EVT_WDF_DRIVER_CONTEXT_CLEANUP;
typedef EVT_WDF_OBJECT_CONTEXT_DESTROY EVT_WDF_DRIVER_CONTEXT_DESTROY;
typedef EVT_WDF_OBJECT_CONTEXT_CLEANUP EVT_WDF_IO_QUEUE_CONTEXT_CLEANUP_CALLBACK;
typedef EVT_WDF_OBJECT_CONTEXT_DESTROY EVT_WDF_IO_QUEUE_CONTEXT_DESTROY_CALLBACK;
typedef EVT_WDF_OBJECT_CONTEXT_CLEANUP EVT_WDF_FILE_CONTEXT_CLEANUP_CALLBACK;
typedef EVT_WDF_OBJECT_CONTEXT_DESTROY EVT_WDF_FILE_CONTEXT_DESTROY_CALLBACK;
typedef EVT_WDF_OBJECT_CONTEXT_CLEANUP EVT_WDF_REQUEST_CONTEXT_CLEANUP;
typedef EVT_WDF_OBJECT_CONTEXT_DESTROY EVT_WDF_REQUEST_CONTEXT_DESTROY;

UMACCESS_API PWDFDEVICE_INIT WdfControlDeviceInitAllocate(WDFDRIVER Driver,
                                                          const UNICODE_STRING* SDDLString);
UMACCESS_API VOID WdfDeviceInitFree(PWDFDEVICE_INIT DeviceInit);
UMACCESS_API VOID WdfDeviceInitSetExclusive(PWDFDEVICE_INIT DeviceInit, BOOLEAN IsExclusive);
UMACCESS_API VOID WdfDeviceInitSetIoType(PWDFDEVICE_INIT DeviceInit, WDF_DEVICE_IO_TYPE IoType);
UMACCESS_API NTSTATUS WdfDeviceInitAssignName(PWDFDEVICE_INIT DeviceInit,
                                              PCUNICODE_STRING DeviceName);
UMACCESS_API VOID WdfDeviceInitSetDeviceType(PWDFDEVICE_INIT DeviceInit, DEVICE_TYPE DeviceType);
UMACCESS_API VOID WdfDeviceInitSetCharacteristics(PWDFDEVICE_INIT DeviceInit,
                                                  ULONG DeviceCharacteristics, BOOLEAN OrInValues);
UMACCESS_API VOID WdfDeviceInitSetFileObjectConfig(PWDFDEVICE_INIT DeviceInit,
                                                   PWDF_FILEOBJECT_CONFIG FileObjectConfig,
                                                   PWDF_OBJECT_ATTRIBUTES FileObjectAttributes);
UMACCESS_API VOID WdfDeviceInitSetIoInCallerContextCallback(
    PWDFDEVICE_INIT DeviceInit, PFN_WDF_IO_IN_CALLER_CONTEXT EvtIoInCallerContext);
UMACCESS_API VOID WdfControlDeviceInitSetShutdownNotification(
    PWDFDEVICE_INIT DeviceInit, PFN_WDF_DEVICE_SHUTDOWN_NOTIFICATION Notification, UCHAR Flags);
// Creates the WDM device (named as assigned) and the framework device; *DeviceInit becomes
// NULL (the framework owns it from here).
UMACCESS_API NTSTATUS WdfDeviceCreate(PWDFDEVICE_INIT* DeviceInit,
                                      PWDF_OBJECT_ATTRIBUTES DeviceAttributes, WDFDEVICE* Device);
UMACCESS_API NTSTATUS WdfDeviceCreateSymbolicLink(WDFDEVICE Device,
                                                  PCUNICODE_STRING SymbolicLinkName);
UMACCESS_API VOID WdfControlFinishInitializing(WDFDEVICE Device);
UMACCESS_API PDEVICE_OBJECT WdfDeviceWdmGetDeviceObject(WDFDEVICE Device);
// From EvtIoInCallerContext: presents the request to the device's queues.
UMACCESS_API NTSTATUS WdfDeviceEnqueueRequest(WDFDEVICE Device, WDFREQUEST Request);

UMACCESS_API PUNICODE_STRING WdfFileObjectGetFileName(WDFFILEOBJECT FileObject);
UMACCESS_API WDFDEVICE WdfFileObjectGetDevice(WDFFILEOBJECT FileObject);
UMACCESS_API PFILE_OBJECT WdfFileObjectWdmGetFileObject(WDFFILEOBJECT FileObject);

// ---- Queues ----------------------------------------------------------------------------------
typedef enum _WDF_IO_QUEUE_DISPATCH_TYPE {
  WdfIoQueueDispatchInvalid = 0,
  WdfIoQueueDispatchSequential,
  WdfIoQueueDispatchParallel,
  WdfIoQueueDispatchManual,
  WdfIoQueueDispatchMax
} WDF_IO_QUEUE_DISPATCH_TYPE;

typedef VOID EVT_WDF_IO_QUEUE_IO_DEFAULT(WDFQUEUE Queue, WDFREQUEST Request);
typedef EVT_WDF_IO_QUEUE_IO_DEFAULT* PFN_WDF_IO_QUEUE_IO_DEFAULT;
typedef VOID EVT_WDF_IO_QUEUE_IO_READ(WDFQUEUE Queue, WDFREQUEST Request, size_t Length);
typedef EVT_WDF_IO_QUEUE_IO_READ* PFN_WDF_IO_QUEUE_IO_READ;
typedef VOID EVT_WDF_IO_QUEUE_IO_WRITE(WDFQUEUE Queue, WDFREQUEST Request, size_t Length);
typedef EVT_WDF_IO_QUEUE_IO_WRITE* PFN_WDF_IO_QUEUE_IO_WRITE;
typedef VOID EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL(WDFQUEUE Queue, WDFREQUEST Request,
                                                size_t OutputBufferLength, size_t InputBufferLength,
                                                ULONG IoControlCode);
typedef EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL* PFN_WDF_IO_QUEUE_IO_DEVICE_CONTROL;
typedef EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL EVT_WDF_IO_QUEUE_IO_INTERNAL_DEVICE_CONTROL;
typedef EVT_WDF_IO_QUEUE_IO_INTERNAL_DEVICE_CONTROL* PFN_WDF_IO_QUEUE_IO_INTERNAL_DEVICE_CONTROL;
typedef VOID EVT_WDF_IO_QUEUE_IO_STOP(WDFQUEUE Queue, WDFREQUEST Request, ULONG ActionFlags);
typedef EVT_WDF_IO_QUEUE_IO_STOP* PFN_WDF_IO_QUEUE_IO_STOP;
typedef VOID EVT_WDF_IO_QUEUE_IO_RESUME(WDFQUEUE Queue, WDFREQUEST Request);
typedef EVT_WDF_IO_QUEUE_IO_RESUME* PFN_WDF_IO_QUEUE_IO_RESUME;
typedef VOID EVT_WDF_IO_QUEUE_IO_CANCELED_ON_QUEUE(WDFQUEUE Queue, WDFREQUEST Request);
typedef EVT_WDF_IO_QUEUE_IO_CANCELED_ON_QUEUE* PFN_WDF_IO_QUEUE_IO_CANCELED_ON_QUEUE;

typedef struct _WDF_IO_QUEUE_CONFIG {
  ULONG Size;
  WDF_IO_QUEUE_DISPATCH_TYPE DispatchType;
  WDF_TRI_STATE PowerManaged;  // accepted, ignored (no power management)
  BOOLEAN AllowZeroLengthRequests;
  BOOLEAN DefaultQueue;
  PFN_WDF_IO_QUEUE_IO_DEFAULT EvtIoDefault;
  PFN_WDF_IO_QUEUE_IO_READ EvtIoRead;
  PFN_WDF_IO_QUEUE_IO_WRITE EvtIoWrite;
  PFN_WDF_IO_QUEUE_IO_DEVICE_CONTROL EvtIoDeviceControl;
  PFN_WDF_IO_QUEUE_IO_INTERNAL_DEVICE_CONTROL EvtIoInternalDeviceControl;
  PFN_WDF_IO_QUEUE_IO_STOP EvtIoStop;      // never called (no power transitions)
  PFN_WDF_IO_QUEUE_IO_RESUME EvtIoResume;  // never called
  PFN_WDF_IO_QUEUE_IO_CANCELED_ON_QUEUE EvtIoCanceledOnQueue;  // never called
  union {
    struct {
      ULONG NumberOfPresentedRequests;
    } Parallel;
  } Settings;
  WDFDRIVER Driver;
} WDF_IO_QUEUE_CONFIG, *PWDF_IO_QUEUE_CONFIG;

inline VOID WDF_IO_QUEUE_CONFIG_INIT(PWDF_IO_QUEUE_CONFIG Config,
                                     WDF_IO_QUEUE_DISPATCH_TYPE DispatchType) {
  memset(Config, 0, sizeof(WDF_IO_QUEUE_CONFIG));
  Config->Size = sizeof(WDF_IO_QUEUE_CONFIG);
  Config->PowerManaged = WdfUseDefault;
  Config->DispatchType = DispatchType;
  if (DispatchType == WdfIoQueueDispatchParallel)
    Config->Settings.Parallel.NumberOfPresentedRequests = (ULONG)-1;
}
inline VOID WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(PWDF_IO_QUEUE_CONFIG Config,
                                                   WDF_IO_QUEUE_DISPATCH_TYPE DispatchType) {
  WDF_IO_QUEUE_CONFIG_INIT(Config, DispatchType);
  Config->DefaultQueue = TRUE;
}

// A default queue receives every request type not configured elsewhere; a second default
// queue: STATUS_INVALID_DEVICE_STATE. Manual queues are not modelled: STATUS_NOT_SUPPORTED.
UMACCESS_API NTSTATUS WdfIoQueueCreate(WDFDEVICE Device, PWDF_IO_QUEUE_CONFIG Config,
                                       PWDF_OBJECT_ATTRIBUTES QueueAttributes, WDFQUEUE* Queue);
UMACCESS_API WDFDEVICE WdfIoQueueGetDevice(WDFQUEUE Queue);

// ---- Requests --------------------------------------------------------------------------------
typedef enum _WDF_REQUEST_TYPE {
  WdfRequestTypeCreate = IRP_MJ_CREATE,
  WdfRequestTypeCreateNamedPipe = IRP_MJ_CREATE_NAMED_PIPE,
  WdfRequestTypeClose = IRP_MJ_CLOSE,
  WdfRequestTypeRead = IRP_MJ_READ,
  WdfRequestTypeWrite = IRP_MJ_WRITE,
  WdfRequestTypeDeviceControl = IRP_MJ_DEVICE_CONTROL,
  WdfRequestTypeDeviceControlInternal = IRP_MJ_INTERNAL_DEVICE_CONTROL,
  WdfRequestTypeCleanup = IRP_MJ_CLEANUP,
  WdfRequestTypeOther,
  WdfRequestTypeMax
} WDF_REQUEST_TYPE;

// Sends requests of one type to a queue other than the default one.
UMACCESS_API NTSTATUS WdfDeviceConfigureRequestDispatching(WDFDEVICE Device, WDFQUEUE Queue,
                                                           WDF_REQUEST_TYPE RequestType);

typedef struct _WDF_REQUEST_PARAMETERS {
  USHORT Size;
  UCHAR MinorFunction;
  WDF_REQUEST_TYPE Type;
  union {
    struct {
      PVOID SecurityContext;
      ULONG Options;
      USHORT FileAttributes;
      USHORT ShareAccess;
      ULONG EaLength;
    } Create;
    struct {
      size_t Length;
      ULONG Key;
      LONGLONG DeviceOffset;
    } Read;
    struct {
      size_t Length;
      ULONG Key;
      LONGLONG DeviceOffset;
    } Write;
    struct {
      size_t OutputBufferLength;
      size_t InputBufferLength;
      ULONG IoControlCode;
      UMA_C_PVOID Type3InputBuffer;
    } DeviceIoControl;
    struct {
      UMA_C_PVOID Arg1;
      UMA_C_PVOID Arg2;
      ULONG IoControlCode;
      UMA_C_PVOID Arg4;
    } Others;
  } Parameters;
} WDF_REQUEST_PARAMETERS, *PWDF_REQUEST_PARAMETERS;

inline VOID WDF_REQUEST_PARAMETERS_INIT(PWDF_REQUEST_PARAMETERS Parameters) {
  memset(Parameters, 0, sizeof(WDF_REQUEST_PARAMETERS));
  Parameters->Size = sizeof(WDF_REQUEST_PARAMETERS);
}

UMACCESS_API VOID WdfRequestGetParameters(WDFREQUEST Request, PWDF_REQUEST_PARAMETERS Parameters);
UMACCESS_API KPROCESSOR_MODE WdfRequestGetRequestorMode(WDFREQUEST Request);
UMACCESS_API PIRP WdfRequestWdmGetIrp(WDFREQUEST Request);
UMACCESS_API WDFFILEOBJECT WdfRequestGetFileObject(WDFREQUEST Request);

// Buffered or direct requests (and METHOD_NEITHER ones from kernel mode).
UMACCESS_API NTSTATUS WdfRequestRetrieveInputBuffer(WDFREQUEST Request,
                                                    size_t MinimumRequiredLength, PVOID* Buffer,
                                                    size_t* Length);
UMACCESS_API NTSTATUS WdfRequestRetrieveOutputBuffer(WDFREQUEST Request,
                                                     size_t MinimumRequiredLength, PVOID* Buffer,
                                                     size_t* Length);
// A memory object over the buffer (read-only for the input); deleted at completion.
UMACCESS_API NTSTATUS WdfRequestRetrieveInputMemory(WDFREQUEST Request, WDFMEMORY* Memory);
UMACCESS_API NTSTATUS WdfRequestRetrieveOutputMemory(WDFREQUEST Request, WDFMEMORY* Memory);
UMACCESS_API NTSTATUS WdfRequestRetrieveInputWdmMdl(WDFREQUEST Request, PMDL* Mdl);
UMACCESS_API NTSTATUS WdfRequestRetrieveOutputWdmMdl(WDFREQUEST Request, PMDL* Mdl);
// METHOD_NEITHER (and neither-I/O reads and writes), inside EvtIoInCallerContext only.
UMACCESS_API NTSTATUS WdfRequestRetrieveUnsafeUserInputBuffer(WDFREQUEST Request,
                                                              size_t MinimumRequiredLength,
                                                              PVOID* InputBuffer, size_t* Length);
UMACCESS_API NTSTATUS WdfRequestRetrieveUnsafeUserOutputBuffer(WDFREQUEST Request,
                                                               size_t MinimumRequiredLength,
                                                               PVOID* OutputBuffer, size_t* Length);
UMACCESS_API NTSTATUS WdfRequestProbeAndLockUserBufferForRead(WDFREQUEST Request, PVOID Buffer,
                                                              size_t Length,
                                                              WDFMEMORY* MemoryObject);
UMACCESS_API NTSTATUS WdfRequestProbeAndLockUserBufferForWrite(WDFREQUEST Request, PVOID Buffer,
                                                               size_t Length,
                                                               WDFMEMORY* MemoryObject);

UMACCESS_API VOID WdfRequestSetInformation(WDFREQUEST Request, ULONG_PTR Information);
UMACCESS_API ULONG_PTR WdfRequestGetInformation(WDFREQUEST Request);
UMACCESS_API NTSTATUS WdfRequestGetStatus(WDFREQUEST Request);
UMACCESS_API VOID WdfRequestComplete(WDFREQUEST Request, NTSTATUS Status);
UMACCESS_API VOID WdfRequestCompleteWithInformation(WDFREQUEST Request, NTSTATUS Status,
                                                    ULONG_PTR Information);
UMACCESS_API VOID WdfRequestCompleteWithPriorityBoost(WDFREQUEST Request, NTSTATUS Status,
                                                      CCHAR PriorityBoost);

// Framework objects alive (drivers, devices, queues, requests, file objects): leak checks.
UMACCESS_API SIZE_T UmaWdfFrameworkObjectCount(void);

}  // extern "C"

// C's implicit void* conversions (UMA_C_PVOID, umaccess/nt_types.h): the functions with a
// PVOID* out parameter also take any T** (`PCHAR inBuf; WdfRequestRetrieveInputBuffer(Request,
// 0, &inBuf, &length);`, `WdfObjectAllocateContext(Request, &attributes, &typedContext)`),
// storing what they return as a T*, only when they store one.
#if !defined(UMACCESS_NO_C_VOID_POINTERS) && !defined(UMACCESS_BUILDING)
#define UMACCESS_WDF_C_PVOID_OUT_(Name, Type1, Type2)                                        \
  template <class T, class = typename std::enable_if<!std::is_void<T>::value>::type>         \
  inline NTSTATUS Name(Type1 A1, Type2 A2, T** Out, size_t* Length) {                        \
    return ::umaccess::detail::call_through_pvoid(Out,                                       \
                                                  [&](PVOID* b) { return ::Name(A1, A2, b, Length); }); \
  }
UMACCESS_WDF_C_PVOID_OUT_(WdfRequestRetrieveInputBuffer, WDFREQUEST, size_t)
UMACCESS_WDF_C_PVOID_OUT_(WdfRequestRetrieveOutputBuffer, WDFREQUEST, size_t)
UMACCESS_WDF_C_PVOID_OUT_(WdfRequestRetrieveUnsafeUserInputBuffer, WDFREQUEST, size_t)
UMACCESS_WDF_C_PVOID_OUT_(WdfRequestRetrieveUnsafeUserOutputBuffer, WDFREQUEST, size_t)
#undef UMACCESS_WDF_C_PVOID_OUT_
template <class T, class = typename std::enable_if<!std::is_void<T>::value>::type>
inline NTSTATUS WdfObjectAllocateContext(WDFOBJECT Handle, PWDF_OBJECT_ATTRIBUTES ContextAttributes,
                                         T** Context) {
  return ::umaccess::detail::call_through_pvoid(
      Context, [&](PVOID* c) { return ::WdfObjectAllocateContext(Handle, ContextAttributes, c); });
}
#endif
