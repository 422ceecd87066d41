/* SPDX-License-Identifier: Apache-2.0 */
/* umaccess/iohost.h - the driver host's side of umaccess's I/O manager: load a WDM or KMDF
 * driver (run its DriverEntry), open one of its devices by name, send it read, write and
 * device-control requests the way a Windows process's ReadFile, WriteFile and
 * DeviceIoControl reach a driver, close it, unload the driver. C and C++.
 *
 * Requests are sent from the calling thread as a user-mode caller's (Irp->RequestorMode is
 * UserMode), and the caller's buffers are user memory: checked against the thread's user
 * range (umaccess::ScopedUserRange narrows it to a guest's memory) and accessed only through
 * the fault-safe engine. What the I/O manager does before the driver sees the request, and
 * the statuses a bad caller buffer gets, follow Windows' I/O manager
 * (https://learn.microsoft.com/en-us/windows-hardware/drivers/kernel/buffer-descriptions-for-i-o-control-codes,
 * https://learn.microsoft.com/en-us/windows-hardware/drivers/kernel/methods-for-accessing-data-buffers):
 *
 *   - DeviceIoControl, any method but METHOD_NEITHER: a NULL buffer counts as length 0. The
 *     input buffer is range-checked (ProbeForRead); with METHOD_BUFFERED the output buffer is
 *     write-probed page by page (ProbeForWrite). A bad buffer: STATUS_ACCESS_VIOLATION, and
 *     the driver never sees the request.
 *   - METHOD_BUFFERED: a system buffer of max(input, output) bytes (pool memory), the input
 *     copied in with CopyFromUser (the rest zeroed here); on completion with a status that is
 *     not an error (success or a warning such as STATUS_BUFFER_OVERFLOW) IoStatus.Information
 *     bytes are copied to the output buffer with CopyToUser. A driver that reports more bytes
 *     than the output buffer holds is a bug check DRIVER_VERIFIER_IOMANAGER_VIOLATION (the
 *     copy would write past the caller's buffer).
 *   - METHOD_IN_DIRECT / METHOD_OUT_DIRECT: the input is buffered as above; the output buffer
 *     is described by Irp->MdlAddress, probed and locked (IoReadAccess for IN_DIRECT,
 *     IoWriteAccess for OUT_DIRECT) before the driver runs, unlocked and freed after
 *     completion. Bad pages: STATUS_ACCESS_VIOLATION; over RLIMIT_MEMLOCK:
 *     STATUS_WORKING_SET_QUOTA; a length IoAllocateMdl refuses: STATUS_INSUFFICIENT_RESOURCES.
 *   - METHOD_NEITHER: Parameters.DeviceIoControl.Type3InputBuffer and Irp->UserBuffer are the
 *     caller's pointers, unchecked: the driver must use the user-mode accessors.
 *   - Read and write: the buffer is write-probed (read) or range-checked (write), then the
 *     device's DO_BUFFERED_IO / DO_DIRECT_IO flag picks the same three transfers.
 *   - A system buffer the pool cannot supply (see UmaPoolSetAllocationLimit):
 *     STATUS_INSUFFICIENT_RESOURCES.
 *
 * A dispatch routine that returns STATUS_PENDING may complete the IRP later from any thread;
 * the call waits for IoCompleteRequest, then finishes the transfer in the calling thread.
 * The result is IoStatus.Status, and *Information receives IoStatus.Information.
 */
#ifndef UMACCESS_IOHOST_H
#define UMACCESS_IOHOST_H

#include "umaccess/wdm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Creates a driver object named \Driver\<ServiceName> and runs DriverEntry with the registry
 * path \Registry\Machine\System\CurrentControlSet\Services\<ServiceName>. DriverEntry's
 * status is returned; on failure the driver object and any device it left are deleted (its
 * unload routine is not called, as on Windows) and *DriverObject is NULL. */
UMACCESS_API NTSTATUS UmaIoLoadDriver(PDRIVER_INITIALIZE DriverEntry, PCSTR ServiceName,
                                      PDRIVER_OBJECT* DriverObject);

/* Calls DriverUnload and deletes the driver object. STATUS_INVALID_DEVICE_STATE, with
 * nothing done, while a file object is open on one of its devices;
 * STATUS_INVALID_DEVICE_REQUEST if the driver has no unload routine. After unloading, any
 * device or symbolic link the driver left behind is deleted and the result is
 * STATUS_INVALID_DEVICE_STATE (a leak a test should fail on); otherwise STATUS_SUCCESS. */
UMACCESS_API NTSTATUS UmaIoUnloadDriver(PDRIVER_OBJECT DriverObject);

/* Opens a device by name, as CreateFile does: "\\\\.\\Name" or "\\??\\Name" (a symbolic
 * link), or "\\Device\\Name" (ASCII, case-insensitive); anything after the device's name
 * becomes FileObject->FileName. Sends IRP_MJ_CREATE; its status is returned, and on success
 * *FileObject is the open file. No such name: STATUS_OBJECT_NAME_NOT_FOUND; an exclusive
 * device already open: STATUS_ACCESS_DENIED. */
UMACCESS_API NTSTATUS UmaIoOpen(PCSTR Name, PFILE_OBJECT* FileObject);

/* Sends IRP_MJ_CLEANUP, then IRP_MJ_CLOSE, and frees the file object. */
UMACCESS_API NTSTATUS UmaIoClose(PFILE_OBJECT FileObject);

/* DeviceIoControl (IRP_MJ_DEVICE_CONTROL). Information may be NULL. */
UMACCESS_API NTSTATUS UmaIoDeviceControl(PFILE_OBJECT FileObject, ULONG IoControlCode,
                                         PVOID InputBuffer, ULONG InputBufferLength,
                                         PVOID OutputBuffer, ULONG OutputBufferLength,
                                         ULONG_PTR* Information);

/* ReadFile and WriteFile (IRP_MJ_READ, IRP_MJ_WRITE) at FileObject->CurrentByteOffset, which
 * advances by the bytes transferred on success. Information may be NULL. */
UMACCESS_API NTSTATUS UmaIoRead(PFILE_OBJECT FileObject, PVOID Buffer, ULONG Length,
                                ULONG_PTR* Information);
UMACCESS_API NTSTATUS UmaIoWrite(PFILE_OBJECT FileObject, PVOID Buffer, ULONG Length,
                                 ULONG_PTR* Information);

/* IRPs sent and not yet finished, devices, and symbolic links in the namespace: for leak
 * checks after a driver's lifetime. */
UMACCESS_API SIZE_T UmaIoOutstandingIrpCount(void);
UMACCESS_API SIZE_T UmaIoDeviceCount(void);
UMACCESS_API SIZE_T UmaIoSymbolicLinkCount(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* UMACCESS_IOHOST_H */
