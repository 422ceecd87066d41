/* SPDX-License-Identifier: Apache-2.0 */
/* umaccess/wdm_io.h - the I/O request packets, driver and device objects, pool and debug
 * output a WDM driver's DriverEntry, dispatch and unload routines use, with the Windows names
 * and field names (a subset of wdm.h:
 * https://learn.microsoft.com/en-us/windows-hardware/drivers/ddi/wdm/). Included by
 * umaccess/wdm.h (unless UMACCESS_NO_IRP); C and C++.
 *
 * The structures carry the fields drivers read and write, under their Windows names, not the
 * Windows layouts. The I/O manager behind them (src/io_manager.cpp) builds each IRP as
 * Windows' does for the transfer type and completes it in the requesting thread:
 *   - buffered (METHOD_BUFFERED, DO_BUFFERED_IO): AssociatedIrp.SystemBuffer is pool memory
 *     filled from the caller's buffer with CopyFromUser; on completion IoStatus.Information
 *     bytes go back to the caller's buffer with CopyToUser;
 *   - direct (METHOD_IN_DIRECT/METHOD_OUT_DIRECT, DO_DIRECT_IO): MdlAddress describes the
 *     caller's buffer, probed and locked by MmProbeAndLockPages, unlocked at completion;
 *   - neither (METHOD_NEITHER): Type3InputBuffer and UserBuffer are the caller's pointers.
 * The host side (loading a driver, opening a device by name, sending requests) is in
 * umaccess/iohost.h.
 *
 * In C++ the untyped pointers C drivers assign to typed pointers without a cast
 * (SystemBuffer, UserBuffer, Type3InputBuffer, Argument1..4, DriverContext, DeviceExtension,
 * FsContext, FsContext2, and the ExAllocatePool* results) are UMA_C_PVOID, which converts
 * implicitly as C's void* does (umaccess/nt_types.h); in C they are PVOID.
 */
#ifndef UMACCESS_WDM_IO_H
#define UMACCESS_WDM_IO_H

#include "umaccess/wdm.h" /* the MDLs (wdm.h includes this header after them) */

#ifdef UMACCESS_NO_IRP
#error "umaccess/wdm_io.h declares the IRP: do not define UMACCESS_NO_IRP"
#endif
#ifdef UMACCESS_NO_WINDOWS_TYPES
#error "umaccess/wdm_io.h needs the Windows types: do not define UMACCESS_NO_WINDOWS_TYPES"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- IRQL (there are no interrupt levels here: everything runs at PASSIVE_LEVEL) -------- */
#define PASSIVE_LEVEL 0
#define LOW_LEVEL 0
#define APC_LEVEL 1
#define DISPATCH_LEVEL 2
#define HIGH_LEVEL 15
#define KeGetCurrentIrql() ((KIRQL)PASSIVE_LEVEL)

/* ---- Doubly linked lists (ntdef.h) ------------------------------------------------------- */
#ifndef UMACCESS_LIST_ENTRY_DEFINED
#define UMACCESS_LIST_ENTRY_DEFINED
typedef struct _LIST_ENTRY {
  struct _LIST_ENTRY* Flink;
  struct _LIST_ENTRY* Blink;
} LIST_ENTRY, *PLIST_ENTRY;
#endif

/* ---- Pool (ExAllocatePool2, ExAllocatePoolWithTag, ...) ----------------------------------- */
/* POOL_TYPE: nt_types.h. */
#define POOL_RAISE_IF_ALLOCATION_FAILURE 16 /* ORed into a POOL_TYPE: raise, not NULL */
#define POOL_COLD_ALLOCATION 256            /* a hint: ignored */

/* POOL_FLAGS for ExAllocatePool2
 * (https://learn.microsoft.com/en-us/windows-hardware/drivers/kernel/pool_flags). */
typedef ULONG64 POOL_FLAGS;
#define POOL_FLAG_USE_QUOTA 0x0000000000000001ULL
#define POOL_FLAG_UNINITIALIZED 0x0000000000000002ULL
#define POOL_FLAG_SESSION 0x0000000000000004ULL
#define POOL_FLAG_CACHE_ALIGNED 0x0000000000000008ULL
#define POOL_FLAG_RAISE_ON_FAILURE 0x0000000000000020ULL
#define POOL_FLAG_NON_PAGED 0x0000000000000040ULL
#define POOL_FLAG_NON_PAGED_EXECUTE 0x0000000000000080ULL
#define POOL_FLAG_PAGED 0x0000000000000100ULL

/* Pool memory is heap memory (so AddressSanitizer sees overflows of it), 16-byte aligned,
 * page-aligned from PAGE_SIZE bytes as Windows documents, and counted by tag. Allocation
 * fails (NULL, or STATUS_INSUFFICIENT_RESOURCES raised where the flags ask for it) for a
 * request above UmaPoolSetAllocationLimit's limit (1 GiB by default), as a machine's pool
 * would. ExAllocatePool2 zeroes unless POOL_FLAG_UNINITIALIZED, and returns NULL for Tag 0,
 * no pool-type flag, or two of them
 * (https://learn.microsoft.com/en-us/windows-hardware/drivers/ddi/wdm/nf-wdm-exallocatepool2).
 * A raise throws umaccess::StructuredException: C callers must not ask for one. */
UMACCESS_API PVOID ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag);
UMACCESS_API PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
UMACCESS_API PVOID ExAllocatePoolZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
UMACCESS_API PVOID ExAllocatePoolUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
UMACCESS_API PVOID ExAllocatePoolWithQuotaTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
/* Freeing NULL, an address that is not a live pool block (never allocated, already freed, or
 * not its start) or, for ExFreePoolWithTag, a block of another tag is a bug check
 * BAD_POOL_CALLER (0xC2), as Windows does; the host's bug-check callback can catch it. */
UMACCESS_API VOID ExFreePoolWithTag(PVOID P, ULONG Tag);
UMACCESS_API VOID ExFreePool(PVOID P);
#define ExAllocatePool(PoolType, NumberOfBytes) \
  ExAllocatePoolWithTag((PoolType), (NumberOfBytes), 0x656E6F4Eu /* 'None' */)

/* Leak checks: live pool blocks (and their bytes) in the whole process, or of one tag (a
 * Tag of 0 counts every tag). Compare before and after a driver's lifetime. */
UMACCESS_API SIZE_T UmaPoolAllocationCount(ULONG Tag);
UMACCESS_API SIZE_T UmaPoolBytesAllocated(ULONG Tag);
/* The largest single allocation the pool grants (SIZE_MAX: no limit); returns the old one. */
UMACCESS_API SIZE_T UmaPoolSetAllocationLimit(SIZE_T Bytes);
#define BAD_POOL_CALLER 0x000000C2u

/* ---- Debug output (DbgPrint, DbgPrintEx) ------------------------------------------------- */
/* Windows' printf dialect: %l is 32-bit (LONG, ULONG), %I64 64-bit, %I pointer-sized; %wZ
 * prints a PUNICODE_STRING, %ws / %ls / %S a WCHAR string and %wc / %lc / %C a WCHAR (as
 * UTF-8); %Z (ANSI_STRING, not modelled) prints the pointer. Written to stderr unless the
 * host routes it elsewhere with UmaSetDbgPrintCallback. DbgPrintEx prints levels
 * DPFLTR_ERROR_LEVEL, and up to UmaSetDbgPrintLevel's level (default: errors only), as
 * Windows' default filter does. */
UMACCESS_API ULONG DbgPrint(PCSTR Format, ...);
UMACCESS_API ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...);
typedef void (*UMA_DBG_PRINT_CALLBACK)(const char* Text, void* Context);
UMACCESS_API VOID UmaSetDbgPrintCallback(UMA_DBG_PRINT_CALLBACK Callback, void* Context);
UMACCESS_API VOID UmaSetDbgPrintLevel(ULONG Level);
#define DPFLTR_ERROR_LEVEL 0
#define DPFLTR_WARNING_LEVEL 1
#define DPFLTR_TRACE_LEVEL 2
#define DPFLTR_INFO_LEVEL 3
#define DPFLTR_IHVDRIVER_ID 77
#define DPFLTR_DEFAULT_ID 101

/* ---- Strings ------------------------------------------------------------------------------ */
/* Length = the string's bytes without the terminator, MaximumLength = with it; a NULL
 * SourceString gives an empty string with a NULL Buffer. (C++ code may also pass an L"..."
 * literal: see umaccess/ntddk.h.) */
UMACCESS_API VOID RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString);
/* TRUE if equal; CaseInSensitive folds ASCII letters only. */
UMACCESS_API BOOLEAN RtlEqualUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2,
                                           BOOLEAN CaseInSensitive);

/* ---- I/O control codes (devioctl.h) ------------------------------------------------------ */
#define CTL_CODE(DeviceType, Function, Method, Access)                                \
  (((ULONG)(DeviceType) << 16) | ((ULONG)(Access) << 14) | ((ULONG)(Function) << 2) | \
   (ULONG)(Method))
#define DEVICE_TYPE_FROM_CTL_CODE(ctrlCode) (((ULONG)(ctrlCode)&0xffff0000) >> 16)
#define METHOD_FROM_CTL_CODE(ctrlCode) ((ULONG)((ctrlCode)&3))
#define METHOD_BUFFERED 0
#define METHOD_IN_DIRECT 1
#define METHOD_OUT_DIRECT 2
#define METHOD_NEITHER 3
#define METHOD_DIRECT_TO_HARDWARE METHOD_IN_DIRECT
#define METHOD_DIRECT_FROM_HARDWARE METHOD_OUT_DIRECT
#define FILE_ANY_ACCESS 0
#define FILE_SPECIAL_ACCESS FILE_ANY_ACCESS
#define FILE_READ_ACCESS 0x0001
#define FILE_WRITE_ACCESS 0x0002
typedef ULONG DEVICE_TYPE;
#define FILE_DEVICE_DISK 0x00000007
#define FILE_DEVICE_FILE_SYSTEM 0x00000009
#define FILE_DEVICE_NULL 0x00000015
#define FILE_DEVICE_UNKNOWN 0x00000022
#define FILE_DEVICE_SECURE_OPEN 0x00000100
#define FILE_DEVICE_ACCESS_SECURE_OPEN FILE_DEVICE_SECURE_OPEN

/* ---- Major function codes ---------------------------------------------------------------- */
#define IRP_MJ_CREATE 0x00
#define IRP_MJ_CREATE_NAMED_PIPE 0x01
#define IRP_MJ_CLOSE 0x02
#define IRP_MJ_READ 0x03
#define IRP_MJ_WRITE 0x04
#define IRP_MJ_QUERY_INFORMATION 0x05
#define IRP_MJ_SET_INFORMATION 0x06
#define IRP_MJ_QUERY_EA 0x07
#define IRP_MJ_SET_EA 0x08
#define IRP_MJ_FLUSH_BUFFERS 0x09
#define IRP_MJ_QUERY_VOLUME_INFORMATION 0x0a
#define IRP_MJ_SET_VOLUME_INFORMATION 0x0b
#define IRP_MJ_DIRECTORY_CONTROL 0x0c
#define IRP_MJ_FILE_SYSTEM_CONTROL 0x0d
#define IRP_MJ_DEVICE_CONTROL 0x0e
#define IRP_MJ_INTERNAL_DEVICE_CONTROL 0x0f
#define IRP_MJ_SHUTDOWN 0x10
#define IRP_MJ_LOCK_CONTROL 0x11
#define IRP_MJ_CLEANUP 0x12
#define IRP_MJ_CREATE_MAILSLOT 0x13
#define IRP_MJ_QUERY_SECURITY 0x14
#define IRP_MJ_SET_SECURITY 0x15
#define IRP_MJ_POWER 0x16
#define IRP_MJ_SYSTEM_CONTROL 0x17
#define IRP_MJ_DEVICE_CHANGE 0x18
#define IRP_MJ_QUERY_QUOTA 0x19
#define IRP_MJ_SET_QUOTA 0x1a
#define IRP_MJ_PNP 0x1b
#define IRP_MJ_MAXIMUM_FUNCTION 0x1b

/* IoCompleteRequest priority boosts: accepted and ignored. */
#define IO_NO_INCREMENT 0
#define IO_DISK_INCREMENT 1
#define IO_KEYBOARD_INCREMENT 6
#define IO_SERIAL_INCREMENT 2

/* IRP.Flags the I/O manager sets (wdm.h values). */
#define IRP_NOCACHE 0x00000001
#define IRP_PAGING_IO 0x00000002
#define IRP_SYNCHRONOUS_API 0x00000004
#define IRP_BUFFERED_IO 0x00000010
#define IRP_DEALLOCATE_BUFFER 0x00000020
#define IRP_INPUT_OPERATION 0x00000040

/* IO_STACK_LOCATION.Control */
#define SL_PENDING_RETURNED 0x01

/* DEVICE_OBJECT.Flags */
#define DO_VERIFY_VOLUME 0x00000002
#define DO_BUFFERED_IO 0x00000004
#define DO_EXCLUSIVE 0x00000008
#define DO_DIRECT_IO 0x00000010
#define DO_MAP_IO_BUFFER 0x00000020
#define DO_DEVICE_INITIALIZING 0x00000080
#define DO_POWER_PAGABLE 0x00002000

/* Object types (the Type field of each object). */
#define IO_TYPE_DRIVER 0x00000004
#define IO_TYPE_DEVICE 0x00000003
#define IO_TYPE_FILE 0x00000005
#define IO_TYPE_IRP 0x00000006

/* Bug checks of the I/O manager. */
#define MULTIPLE_IRP_COMPLETE_REQUESTS 0x00000044u /* 1: the IRP */
#define NO_MORE_IRP_STACK_LOCATIONS 0x00000035u    /* 1: the IRP */
#define DRIVER_VERIFIER_IOMANAGER_VIOLATION 0x000000C9u

/* ---- The objects --------------------------------------------------------------------------- */
struct _IRP;
struct _DEVICE_OBJECT;
struct _DRIVER_OBJECT;
struct _FILE_OBJECT;

typedef struct _IO_STATUS_BLOCK {
  __extension__ union {
    NTSTATUS Status;
    PVOID Pointer;
  };
  ULONG_PTR Information;
} IO_STATUS_BLOCK, *PIO_STATUS_BLOCK;

/* The driver routine types (wdm.h): `DRIVER_DISPATCH SampleDispatch;` declares one. */
typedef NTSTATUS DRIVER_INITIALIZE(struct _DRIVER_OBJECT* DriverObject,
                                   PUNICODE_STRING RegistryPath);
typedef DRIVER_INITIALIZE* PDRIVER_INITIALIZE;
typedef VOID DRIVER_UNLOAD(struct _DRIVER_OBJECT* DriverObject);
typedef DRIVER_UNLOAD* PDRIVER_UNLOAD;
typedef NTSTATUS DRIVER_DISPATCH(struct _DEVICE_OBJECT* DeviceObject, struct _IRP* Irp);
typedef DRIVER_DISPATCH* PDRIVER_DISPATCH;
typedef DRIVER_DISPATCH DRIVER_DISPATCH_PAGED;
typedef VOID DRIVER_STARTIO(struct _DEVICE_OBJECT* DeviceObject, struct _IRP* Irp);
typedef DRIVER_STARTIO* PDRIVER_STARTIO;
typedef VOID DRIVER_CANCEL(struct _DEVICE_OBJECT* DeviceObject, struct _IRP* Irp);
typedef DRIVER_CANCEL* PDRIVER_CANCEL;
typedef NTSTATUS IO_COMPLETION_ROUTINE(struct _DEVICE_OBJECT* DeviceObject, struct _IRP* Irp,
                                       PVOID Context);
typedef IO_COMPLETION_ROUTINE* PIO_COMPLETION_ROUTINE;

typedef struct _DEVICE_OBJECT {
  CSHORT Type; /* IO_TYPE_DEVICE */
  USHORT Size;
  LONG ReferenceCount; /* open file objects */
  struct _DRIVER_OBJECT* DriverObject;
  struct _DEVICE_OBJECT* NextDevice; /* the driver's next device */
  struct _DEVICE_OBJECT* AttachedDevice;
  struct _IRP* CurrentIrp;
  ULONG Flags; /* DO_BUFFERED_IO / DO_DIRECT_IO choose read and write transfers */
  ULONG Characteristics;
  UMA_C_PVOID DeviceExtension; /* DeviceExtensionSize zeroed bytes from IoCreateDevice */
  DEVICE_TYPE DeviceType;
  CCHAR StackSize;
  ULONG AlignmentRequirement;
} DEVICE_OBJECT, *PDEVICE_OBJECT;

typedef struct _DRIVER_OBJECT {
  CSHORT Type; /* IO_TYPE_DRIVER */
  CSHORT Size;
  PDEVICE_OBJECT DeviceObject; /* the driver's devices, newest first */
  ULONG Flags;
  PVOID DriverStart;
  ULONG DriverSize;
  PVOID DriverSection;
  PVOID DriverExtension;
  UNICODE_STRING DriverName; /* \Driver\<service name> */
  PUNICODE_STRING HardwareDatabase;
  PVOID FastIoDispatch;
  PDRIVER_INITIALIZE DriverInit;
  PDRIVER_STARTIO DriverStartIo;
  PDRIVER_UNLOAD DriverUnload;
  /* Every entry starts as the I/O manager's "invalid device request" routine. */
  PDRIVER_DISPATCH MajorFunction[IRP_MJ_MAXIMUM_FUNCTION + 1];
} DRIVER_OBJECT, *PDRIVER_OBJECT;

typedef struct _FILE_OBJECT {
  CSHORT Type; /* IO_TYPE_FILE */
  CSHORT Size;
  PDEVICE_OBJECT DeviceObject;
  PVOID Vpb;
  UMA_C_PVOID FsContext; /* the driver's, per open */
  UMA_C_PVOID FsContext2;
  PVOID SectionObjectPointer;
  PVOID PrivateCacheMap;
  NTSTATUS FinalStatus;
  struct _FILE_OBJECT* RelatedFileObject;
  BOOLEAN LockOperation;
  BOOLEAN DeletePending;
  BOOLEAN ReadAccess;
  BOOLEAN WriteAccess;
  BOOLEAN DeleteAccess;
  BOOLEAN SharedRead;
  BOOLEAN SharedWrite;
  BOOLEAN SharedDelete;
  ULONG Flags;
  UNICODE_STRING FileName; /* the part of the opened name after the device's */
  LARGE_INTEGER CurrentByteOffset;
} FILE_OBJECT, *PFILE_OBJECT;

typedef struct _IO_STACK_LOCATION {
  UCHAR MajorFunction;
  UCHAR MinorFunction;
  UCHAR Flags;
  UCHAR Control;
  union {
    struct {
      PVOID SecurityContext;
      ULONG Options;
      USHORT FileAttributes;
      USHORT ShareAccess;
      ULONG EaLength;
    } Create;
    struct {
      ULONG Length;
      ULONG Key;
      ULONG Flags;
      LARGE_INTEGER ByteOffset;
    } Read;
    struct {
      ULONG Length;
      ULONG Key;
      ULONG Flags;
      LARGE_INTEGER ByteOffset;
    } Write;
    struct {
      ULONG OutputBufferLength;
      ULONG InputBufferLength;
      ULONG IoControlCode;
      UMA_C_PVOID Type3InputBuffer; /* METHOD_NEITHER: the caller's input pointer */
    } DeviceIoControl;
    struct {
      UMA_C_PVOID Argument1;
      UMA_C_PVOID Argument2;
      UMA_C_PVOID Argument3;
      UMA_C_PVOID Argument4;
    } Others;
  } Parameters;
  PDEVICE_OBJECT DeviceObject;
  PFILE_OBJECT FileObject;
  PIO_COMPLETION_ROUTINE CompletionRoutine;
  PVOID Context;
} IO_STACK_LOCATION, *PIO_STACK_LOCATION;

struct _IRP {
  CSHORT Type; /* IO_TYPE_IRP */
  USHORT Size;
  PMDL MdlAddress; /* direct I/O: the caller's buffer, locked */
  ULONG Flags;
  union {
    struct _IRP* MasterIrp;
    LONG IrpCount;
    UMA_C_PVOID SystemBuffer; /* buffered I/O: pool memory of max(input, output) bytes */
  } AssociatedIrp;
  LIST_ENTRY ThreadListEntry;
  IO_STATUS_BLOCK IoStatus; /* set by the driver before IoCompleteRequest */
  KPROCESSOR_MODE RequestorMode;
  BOOLEAN PendingReturned;
  CHAR StackCount;
  CHAR CurrentLocation;
  BOOLEAN Cancel;
  KIRQL CancelIrql;
  CCHAR ApcEnvironment;
  UCHAR AllocationFlags;
  PIO_STATUS_BLOCK UserIosb;
  PVOID UserEvent;
  union {
    struct {
      PVOID UserApcRoutine;
      PVOID UserApcContext;
    } AsynchronousParameters;
    LARGE_INTEGER AllocationSize;
  } Overlay;
  PDRIVER_CANCEL CancelRoutine;
  UMA_C_PVOID UserBuffer; /* the caller's output pointer (buffered: where the result goes back) */
  union {
    struct {
      UMA_C_PVOID DriverContext[4]; /* the driver's, while it owns the IRP */
      PVOID Thread;
      PCHAR AuxiliaryBuffer;
      LIST_ENTRY ListEntry;
      struct _IO_STACK_LOCATION* CurrentStackLocation;
      PFILE_OBJECT OriginalFileObject;
    } Overlay;
  } Tail;
};

/* ---- Routines ----------------------------------------------------------------------------- */
static inline PIO_STACK_LOCATION IoGetCurrentIrpStackLocation(PIRP Irp) {
  return Irp->Tail.Overlay.CurrentStackLocation;
}
/* The stack location for the next-lower driver (this I/O manager builds IRPs with one
 * location per device in the stack, StackSize). */
static inline PIO_STACK_LOCATION IoGetNextIrpStackLocation(PIRP Irp) {
  return Irp->Tail.Overlay.CurrentStackLocation - 1;
}
static inline VOID IoMarkIrpPending(PIRP Irp) {
  IoGetCurrentIrpStackLocation(Irp)->Control |= SL_PENDING_RETURNED;
}
#define IoSetCancelRoutine(Irp, NewCancelRoutine) \
  ((PDRIVER_CANCEL)__atomic_exchange_n(&(Irp)->CancelRoutine, (NewCancelRoutine), __ATOMIC_SEQ_CST))

/* Completes the IRP: the I/O manager finishes the transfer (buffered results copied back,
 * direct buffers unlocked) in the requesting thread and wakes it if the dispatch routine
 * returned STATUS_PENDING. Completing an IRP twice: bug check
 * MULTIPLE_IRP_COMPLETE_REQUESTS. PriorityBoost is ignored. */
UMACCESS_API VOID IoCompleteRequest(PIRP Irp, CCHAR PriorityBoost);
#define IofCompleteRequest IoCompleteRequest

/* A device object with DeviceExtensionSize zeroed bytes of extension, named DeviceName
 * (optional, e.g. u"\\Device\\Sample"), linked to DriverObject->DeviceObject, Flags
 * DO_DEVICE_INITIALIZING (the driver clears it). A name already in use:
 * STATUS_OBJECT_NAME_COLLISION; no memory: STATUS_INSUFFICIENT_RESOURCES. Exclusive: one
 * open at a time (a second gets STATUS_ACCESS_DENIED). */
UMACCESS_API NTSTATUS IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize,
                                     PUNICODE_STRING DeviceName, DEVICE_TYPE DeviceType,
                                     ULONG DeviceCharacteristics, BOOLEAN Exclusive,
                                     PDEVICE_OBJECT* DeviceObject);
/* Unlinks, unnames and frees the device (and its extension). */
UMACCESS_API VOID IoDeleteDevice(PDEVICE_OBJECT DeviceObject);
/* A name (u"\\DosDevices\\Sample", u"\\??\\Sample", u"\\GLOBAL??\\Sample") for a device
 * name; names compare case-insensitively (ASCII). STATUS_OBJECT_NAME_COLLISION if taken. */
UMACCESS_API NTSTATUS IoCreateSymbolicLink(PUNICODE_STRING SymbolicLinkName,
                                           PUNICODE_STRING DeviceName);
/* STATUS_OBJECT_NAME_NOT_FOUND if there is no such link. */
UMACCESS_API NTSTATUS IoDeleteSymbolicLink(PUNICODE_STRING SymbolicLinkName);

/* Passes the IRP to the next-lower device: its stack location becomes the current one and
 * its driver's dispatch routine runs. No stack location left: bug check
 * NO_MORE_IRP_STACK_LOCATIONS. */
UMACCESS_API NTSTATUS IoCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp);
#define IofCallDriver IoCallDriver
static inline VOID IoSkipCurrentIrpStackLocation(PIRP Irp) {
  Irp->CurrentLocation++;
  Irp->Tail.Overlay.CurrentStackLocation++;
}
/* The requestor's mode of the request in progress on this thread (KernelMode outside one). */
UMACCESS_API KPROCESSOR_MODE ExGetPreviousMode(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

/* In C++ the pool routines return a UMA_C_PVOID (see umaccess/nt_types.h), so that
 * `PCHAR p = ExAllocatePool2(...);` compiles as in C. (Not in the library's own sources.) */
#if defined(__cplusplus) && !defined(UMACCESS_NO_C_VOID_POINTERS) && !defined(UMACCESS_BUILDING)
#define ExAllocatePool2(...) UMACCESS_C_PVOID_RESULT(ExAllocatePool2(__VA_ARGS__))
#define ExAllocatePoolWithTag(...) UMACCESS_C_PVOID_RESULT(ExAllocatePoolWithTag(__VA_ARGS__))
#define ExAllocatePoolZero(...) UMACCESS_C_PVOID_RESULT(ExAllocatePoolZero(__VA_ARGS__))
#define ExAllocatePoolUninitialized(...) \
  UMACCESS_C_PVOID_RESULT(ExAllocatePoolUninitialized(__VA_ARGS__))
#define ExAllocatePoolWithQuotaTag(...) \
  UMACCESS_C_PVOID_RESULT(ExAllocatePoolWithQuotaTag(__VA_ARGS__))
#endif

#endif /* UMACCESS_WDM_IO_H */
