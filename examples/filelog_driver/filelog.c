/* SPDX-License-Identifier: Apache-2.0 */
/*++

Module Name:

    filelog.c

Abstract:

    A WDM driver written by the umaccess project in the C style of the WDK samples
    (https://github.com/microsoft/Windows-driver-samples/blob/main/general/ioctl/wdm/sys/sioctl.c
    and https://github.com/microsoft/Windows-driver-samples/blob/main/general/ioctl/kmdf/sys/nonpnp.c),
    to prove that such sources build against umaccess unchanged: C's implicit void*
    conversions (system buffers, user buffers, device extensions, pool and MDL addresses
    assigned to typed pointers without casts), WPP tracing (trace.h, filelog.tmh,
    WPP_INIT_TRACING, TraceEvents with %!STATUS!, %wZ and %!HEXDUMP!), and the Zw file
    routines. Each open of \\.\FileLog\<name> opens the log file
    \SystemRoot\temp\<name>; writes append to it, reads return it, and three IOCTLs query
    its size, read it into a direct-I/O buffer and append a METHOD_NEITHER buffer.

    The one umaccess-specific edit, as docs/porting.md asks: the METHOD_NEITHER input is read
    with CopyFromUser inside UMA_TRY / UMA_EXCEPT (on Windows: RtlCopyMemory inside
    __try / __except).

Environment:

    Kernel mode (here: a umaccess driver host).

--*/

#include "filelog.h"
#include "filelog.tmh"

#ifdef ALLOC_PRAGMA
#pragma alloc_text( INIT, DriverEntry )
#pragma alloc_text( PAGE, FileLogCreate )
#pragma alloc_text( PAGE, FileLogClose )
#pragma alloc_text( PAGE, FileLogUnload )
#endif

NTSTATUS
DriverEntry(
    _In_ PDRIVER_OBJECT   DriverObject,
    _In_ PUNICODE_STRING  RegistryPath
    )
{
    NTSTATUS            status;
    UNICODE_STRING      ntName;
    UNICODE_STRING      dosName;
    PDEVICE_OBJECT      deviceObject = NULL;
    PDEVICE_EXTENSION   devExt;

    WPP_INIT_TRACING(DriverObject, RegistryPath);
    TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_DRIVER, "%!FUNC! %wZ", RegistryPath);

    RtlInitUnicodeString(&ntName, NT_DEVICE_NAME);
    status = IoCreateDevice(DriverObject, sizeof(DEVICE_EXTENSION), &ntName,
                            FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE,
                            &deviceObject);
    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DRIVER, "IoCreateDevice failed %!STATUS!", status);
        WPP_CLEANUP(DriverObject);
        return status;
    }
    deviceObject->Flags |= DO_BUFFERED_IO;
    devExt = deviceObject->DeviceExtension;     /* C: no cast */
    devExt->OpenCount = 0;

    DriverObject->MajorFunction[IRP_MJ_CREATE] = FileLogCreate;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = FileLogClose;
    DriverObject->MajorFunction[IRP_MJ_READ] = FileLogRead;
    DriverObject->MajorFunction[IRP_MJ_WRITE] = FileLogWrite;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = FileLogDeviceControl;
    DriverObject->DriverUnload = FileLogUnload;

    RtlInitUnicodeString(&dosName, DOS_DEVICE_NAME);
    status = IoCreateSymbolicLink(&dosName, &ntName);
    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DRIVER, "IoCreateSymbolicLink failed %!STATUS!",
                    status);
        IoDeleteDevice(deviceObject);
        WPP_CLEANUP(DriverObject);
        return status;
    }
    deviceObject->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

VOID
FileLogUnload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNICODE_STRING dosName;

    PAGED_CODE();
    TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_DRIVER, "%!FUNC!");
    RtlInitUnicodeString(&dosName, DOS_DEVICE_NAME);
    IoDeleteSymbolicLink(&dosName);
    if (DriverObject->DeviceObject != NULL) {
        IoDeleteDevice(DriverObject->DeviceObject);
    }
    WPP_CLEANUP(DriverObject);
}

static VOID
CompleteRequest(
    _In_ PIRP Irp,
    _In_ NTSTATUS Status,
    _In_ ULONG_PTR Information
    )
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = Information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

NTSTATUS
FileLogCreate(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_ PIRP Irp
    )
{
    PIO_STACK_LOCATION  irpSp = IoGetCurrentIrpStackLocation(Irp);
    PFILE_OBJECT        fileObject = irpSp->FileObject;
    PDEVICE_EXTENSION   devExt = DeviceObject->DeviceExtension;
    PFILE_CONTEXT       context;
    UNICODE_STRING      directory;
    UNICODE_STRING      path;
    OBJECT_ATTRIBUTES   attributes;
    IO_STATUS_BLOCK     ioStatus;
    NTSTATUS            status;

    PAGED_CODE();

    if (fileObject->FileName.Length == 0) {
        /* No log name after the device's. */
        CompleteRequest(Irp, STATUS_OBJECT_NAME_INVALID, 0);
        return STATUS_OBJECT_NAME_INVALID;
    }
    RtlInitUnicodeString(&directory, LOG_DIRECTORY);
    path.Length = 0;
    path.MaximumLength = directory.Length + fileObject->FileName.Length;
    path.Buffer = ExAllocatePool2(POOL_FLAG_PAGED, path.MaximumLength, FILELOG_TAG);
    context = ExAllocatePool2(POOL_FLAG_PAGED, sizeof(FILE_CONTEXT), FILELOG_TAG);
    if (path.Buffer == NULL || context == NULL) {
        status = STATUS_INSUFFICIENT_RESOURCES;
        goto End;
    }
    RtlAppendUnicodeStringToString(&path, &directory);
    RtlAppendUnicodeStringToString(&path, &fileObject->FileName);
    TraceEvents(TRACE_LEVEL_VERBOSE, TRACE_FILE, "opening %wZ", &path);

    InitializeObjectAttributes(&attributes, &path, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE,
                               NULL, NULL);
    status = ZwCreateFile(&context->FileHandle,
                          SYNCHRONIZE | GENERIC_READ | GENERIC_WRITE,
                          &attributes,
                          &ioStatus,
                          NULL,
                          FILE_ATTRIBUTE_NORMAL,
                          FILE_SHARE_READ,
                          FILE_OPEN_IF,
                          FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE,
                          NULL,
                          0);
    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_FILE, "ZwCreateFile %wZ failed %!STATUS!",
                    &path, status);
        goto End;
    }
    TraceEvents(TRACE_LEVEL_VERBOSE, TRACE_FILE, "%wZ: %s, handle 0x%p", &path,
                ioStatus.Information == FILE_CREATED ? "created" : "opened",
                context->FileHandle);
    fileObject->FsContext = context;
    context = NULL;
    InterlockedIncrement(&devExt->OpenCount);

End:
    if (path.Buffer != NULL) {
        ExFreePoolWithTag(path.Buffer, FILELOG_TAG);
    }
    if (context != NULL) {
        ExFreePoolWithTag(context, FILELOG_TAG);
    }
    CompleteRequest(Irp, status, 0);
    return status;
}

NTSTATUS
FileLogClose(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_ PIRP Irp
    )
{
    PIO_STACK_LOCATION  irpSp = IoGetCurrentIrpStackLocation(Irp);
    PFILE_CONTEXT       context = irpSp->FileObject->FsContext;
    PDEVICE_EXTENSION   devExt = DeviceObject->DeviceExtension;

    PAGED_CODE();
    if (context != NULL) {
        TraceEvents(TRACE_LEVEL_VERBOSE, TRACE_FILE, "closing handle 0x%p", context->FileHandle);
        ZwClose(context->FileHandle);
        ExFreePoolWithTag(context, FILELOG_TAG);
        irpSp->FileObject->FsContext = NULL;
        InterlockedDecrement(&devExt->OpenCount);
    }
    CompleteRequest(Irp, STATUS_SUCCESS, 0);
    return STATUS_SUCCESS;
}

/* Appends Length bytes of kernel memory to the log. */
static NTSTATUS
AppendToLog(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_ PFILE_CONTEXT Context,
    _In_reads_bytes_(Length) PVOID Data,
    _In_ ULONG Length,
    _Out_ PULONG_PTR Written
    )
{
    PDEVICE_EXTENSION   devExt = DeviceObject->DeviceExtension;
    IO_STATUS_BLOCK     ioStatus;
    LARGE_INTEGER       offset;
    NTSTATUS            status;

    offset.HighPart = -1;
    offset.LowPart = FILE_WRITE_TO_END_OF_FILE;
    status = ZwWriteFile(Context->FileHandle, NULL, NULL, NULL, &ioStatus, Data, Length,
                         &offset, NULL);
    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_FILE, "ZwWriteFile failed %!STATUS!", status);
        *Written = 0;
        return status;
    }
    devExt->BytesAppended += (ULONG)ioStatus.Information;
    TraceEvents(TRACE_LEVEL_VERBOSE, TRACE_IO, "appended %Iu bytes: %!HEXDUMP!",
                ioStatus.Information, log_bytes(Data, (short)(Length < 16 ? Length : 16)));
    *Written = ioStatus.Information;
    return STATUS_SUCCESS;
}

/* Reads up to Length bytes from the start of the log into kernel memory. */
static NTSTATUS
ReadLog(
    _In_ PFILE_CONTEXT Context,
    _Out_writes_bytes_(Length) PVOID Buffer,
    _In_ ULONG Length,
    _Out_ PULONG_PTR Read
    )
{
    IO_STATUS_BLOCK             ioStatus;
    FILE_POSITION_INFORMATION   position;
    NTSTATUS                    status;

    position.CurrentByteOffset.QuadPart = 0;
    status = ZwSetInformationFile(Context->FileHandle, &ioStatus, &position,
                                  sizeof(position), FilePositionInformation);
    if (NT_SUCCESS(status)) {
        status = ZwReadFile(Context->FileHandle, NULL, NULL, NULL, &ioStatus, Buffer, Length,
                            NULL, NULL);
    }
    if (status == STATUS_END_OF_FILE) {
        /* An empty log reads as zero bytes. */
        status = STATUS_SUCCESS;
        ioStatus.Information = 0;
    }
    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_FILE, "reading the log failed %!STATUS!", status);
        *Read = 0;
        return status;
    }
    *Read = ioStatus.Information;
    return STATUS_SUCCESS;
}

NTSTATUS
FileLogWrite(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_ PIRP Irp
    )
{
    PIO_STACK_LOCATION  irpSp = IoGetCurrentIrpStackLocation(Irp);
    PFILE_CONTEXT       context = irpSp->FileObject->FsContext;
    PCHAR               data = Irp->AssociatedIrp.SystemBuffer;   /* buffered I/O */
    ULONG_PTR           written = 0;
    NTSTATUS            status = STATUS_SUCCESS;

    if (irpSp->Parameters.Write.Length != 0) {
        status = AppendToLog(DeviceObject, context, data, irpSp->Parameters.Write.Length,
                             &written);
    }
    CompleteRequest(Irp, status, written);
    return status;
}

NTSTATUS
FileLogRead(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_ PIRP Irp
    )
{
    PIO_STACK_LOCATION  irpSp = IoGetCurrentIrpStackLocation(Irp);
    PFILE_CONTEXT       context = irpSp->FileObject->FsContext;
    PUCHAR              buffer = Irp->AssociatedIrp.SystemBuffer;
    ULONG_PTR           read = 0;
    NTSTATUS            status = STATUS_SUCCESS;

    UNREFERENCED_PARAMETER(DeviceObject);
    if (irpSp->Parameters.Read.Length != 0) {
        status = ReadLog(context, buffer, irpSp->Parameters.Read.Length, &read);
    }
    CompleteRequest(Irp, status, read);
    return status;
}

NTSTATUS
FileLogDeviceControl(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_ PIRP Irp
    )
{
    PIO_STACK_LOCATION          irpSp = IoGetCurrentIrpStackLocation(Irp);
    PFILE_CONTEXT               context = irpSp->FileObject->FsContext;
    ULONG                       inLength = irpSp->Parameters.DeviceIoControl.InputBufferLength;
    ULONG                       outLength = irpSp->Parameters.DeviceIoControl.OutputBufferLength;
    PULONGLONG                  size;
    PCHAR                       buffer;
    PCHAR                       userInput;
    PULONGLONG                  userOutput;
    PCHAR                       copy = NULL;
    FILE_STANDARD_INFORMATION   standard;
    FILE_END_OF_FILE_INFORMATION endOfFile;
    IO_STATUS_BLOCK             ioStatus;
    ULONG_PTR                   information = 0;
    NTSTATUS                    status = STATUS_SUCCESS;

    switch (irpSp->Parameters.DeviceIoControl.IoControlCode) {

    case IOCTL_FILELOG_QUERY_SIZE:
        if (outLength < sizeof(ULONGLONG)) {
            status = STATUS_BUFFER_TOO_SMALL;
            break;
        }
        status = ZwQueryInformationFile(context->FileHandle, &ioStatus, &standard,
                                        sizeof(standard), FileStandardInformation);
        if (!NT_SUCCESS(status)) {
            break;
        }
        size = Irp->AssociatedIrp.SystemBuffer;
        *size = (ULONGLONG)standard.EndOfFile.QuadPart;
        information = sizeof(ULONGLONG);
        TraceEvents(TRACE_LEVEL_VERBOSE, TRACE_IO, "size %I64u", *size);
        break;

    case IOCTL_FILELOG_READ_DIRECT:
        if (Irp->MdlAddress == NULL) {
            status = STATUS_INVALID_PARAMETER;
            break;
        }
        buffer = MmGetSystemAddressForMdlSafe(Irp->MdlAddress,
                                              NormalPagePriority | MdlMappingNoExecute);
        if (buffer == NULL) {
            status = STATUS_INSUFFICIENT_RESOURCES;
            break;
        }
        status = ReadLog(context, buffer, MmGetMdlByteCount(Irp->MdlAddress), &information);
        break;

    case IOCTL_FILELOG_APPEND_NEITHER:
        userInput = irpSp->Parameters.DeviceIoControl.Type3InputBuffer;
        userOutput = Irp->UserBuffer;
        if (inLength == 0 || inLength > FILELOG_MAX_APPEND) {
            status = STATUS_INVALID_PARAMETER;
            break;
        }
        copy = ExAllocatePool2(POOL_FLAG_PAGED, inLength, FILELOG_TAG);
        if (copy == NULL) {
            status = STATUS_INSUFFICIENT_RESOURCES;
            break;
        }
        /* umaccess: the caller's buffer is read with CopyFromUser (RtlCopyMemory on
         * Windows), inside UMA_TRY (__try). */
        UMA_TRY {
            ProbeForRead(userInput, inLength, sizeof(UCHAR));
            CopyFromUser(copy, userInput, inLength);
        } UMA_EXCEPT(EXCEPTION_EXECUTE_HANDLER) {
            status = GetExceptionCode();
            TraceEvents(TRACE_LEVEL_WARNING, TRACE_IO,
                        "bad input buffer 0x%p: %!STATUS!", userInput, status);
        } UMA_END_EXCEPT
        if (!NT_SUCCESS(status)) {
            break;
        }
        status = AppendToLog(DeviceObject, context, copy, inLength, &information);
        if (NT_SUCCESS(status) && userOutput != NULL && outLength >= sizeof(ULONGLONG)) {
            status = ZwQueryInformationFile(context->FileHandle, &ioStatus, &standard,
                                            sizeof(standard), FileStandardInformation);
            if (NT_SUCCESS(status)) {
                UMA_TRY {
                    WriteULonglongToUser(userOutput, (ULONGLONG)standard.EndOfFile.QuadPart);
                } UMA_EXCEPT(EXCEPTION_EXECUTE_HANDLER) {
                    status = GetExceptionCode();
                } UMA_END_EXCEPT
            }
        }
        information = 0;    /* METHOD_NEITHER: nothing for the I/O manager to copy */
        break;

    case IOCTL_FILELOG_TRUNCATE:
        endOfFile.EndOfFile.QuadPart = 0;
        status = ZwSetInformationFile(context->FileHandle, &ioStatus, &endOfFile,
                                      sizeof(endOfFile), FileEndOfFileInformation);
        break;

    default:
        status = STATUS_INVALID_DEVICE_REQUEST;
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_IO, "unknown IOCTL 0x%x",
                    irpSp->Parameters.DeviceIoControl.IoControlCode);
        break;
    }

    if (copy != NULL) {
        ExFreePoolWithTag(copy, FILELOG_TAG);
    }
    TraceEvents(TRACE_LEVEL_VERBOSE, TRACE_IO, "%!FUNC! completes with %!STATUS!", status);
    CompleteRequest(Irp, status, information);
    return status;
}
