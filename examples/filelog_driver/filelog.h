/* SPDX-License-Identifier: Apache-2.0 */
/* filelog.h - declarations of the filelog sample driver (filelog.c). */
#include <ntddk.h>
#include <ntstrsafe.h>
#include "public.h"
#include "trace.h"

#define NT_DEVICE_NAME      L"\\Device\\FileLog"
#define DOS_DEVICE_NAME     L"\\DosDevices\\FileLog"
#define LOG_DIRECTORY       L"\\SystemRoot\\temp"
#define FILELOG_TAG         'goLF'

typedef struct _DEVICE_EXTENSION {
    LONG OpenCount;         /* open file objects */
    ULONG BytesAppended;    /* since the driver loaded */
} DEVICE_EXTENSION, *PDEVICE_EXTENSION;

/* One per open: the log file behind it. */
typedef struct _FILE_CONTEXT {
    HANDLE FileHandle;
} FILE_CONTEXT, *PFILE_CONTEXT;

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD FileLogUnload;
_Dispatch_type_(IRP_MJ_CREATE) DRIVER_DISPATCH FileLogCreate;
_Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH FileLogClose;
_Dispatch_type_(IRP_MJ_READ) DRIVER_DISPATCH FileLogRead;
_Dispatch_type_(IRP_MJ_WRITE) DRIVER_DISPATCH FileLogWrite;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH FileLogDeviceControl;
