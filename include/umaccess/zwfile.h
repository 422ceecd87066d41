/* SPDX-License-Identifier: Apache-2.0 */
/* umaccess/zwfile.h - the kernel-mode file routines a driver uses to keep its own files
 * (ZwCreateFile, ZwOpenFile, ZwReadFile, ZwWriteFile, ZwQueryInformationFile,
 * ZwSetInformationFile, ZwClose), with OBJECT_ATTRIBUTES, InitializeObjectAttributes and the
 * FILE_* constants of wdm.h / ntifs.h, after
 * https://learn.microsoft.com/en-us/windows-hardware/drivers/ddi/wdm/nf-wdm-zwcreatefile and
 * https://learn.microsoft.com/en-us/windows-hardware/drivers/kernel/using-files-in-a-driver.
 * Included by umaccess/ntddk.h; C and C++.
 *
 * NT paths and host directories. There is no NT object namespace here: the host maps NT path
 * prefixes to host directories with UmaZwMapDirectory, e.g. "\\SystemRoot" to a scratch
 * directory, and ZwCreateFile opens <host directory>/<rest of the path> (backslashes become
 * '/'). The longest mapped prefix wins; prefixes match case-insensitively (ASCII) and only at
 * a component boundary. The rest of the name is used as the host file system spells it (Linux
 * names are case-sensitive: OBJ_CASE_INSENSITIVE is accepted and does not fold case). An
 * unmapped path: STATUS_OBJECT_PATH_NOT_FOUND. A path that could leave the mapped directory
 * (a "." or ".." component, a '/' or NUL in a name, an empty component):
 * STATUS_OBJECT_NAME_INVALID. With no mapping at all, UMACCESS_NT_ROOT in the environment, if
 * set, maps "\\" (every absolute NT path) to that directory.
 * Symbolic links inside a mapped directory are followed: they are the host's to place.
 *
 * What is modelled: the create dispositions (FILE_SUPERSEDE ... FILE_OVERWRITE_IF, with
 * IoStatusBlock->Information FILE_CREATED, FILE_OPENED, ...), FILE_DIRECTORY_FILE /
 * FILE_NON_DIRECTORY_FILE, FILE_DELETE_ON_CLOSE, read and write access from the desired access
 * (GENERIC_*, FILE_READ_DATA, FILE_WRITE_DATA, FILE_APPEND_DATA, MAXIMUM_ALLOWED), the file
 * position of synchronous files (FILE_SYNCHRONOUS_IO_ALERT / _NONALERT: a NULL ByteOffset
 * means the current position), FILE_WRITE_TO_END_OF_FILE and FILE_USE_FILE_POINTER_POSITION,
 * STATUS_END_OF_FILE for a read at or past the end, FilePositionInformation,
 * FileStandardInformation and FileEndOfFileInformation. Handles are process-wide (whatever
 * OBJ_KERNEL_HANDLE says) and counted for leak checks (UmaZwHandleCount).
 * Not modelled: asynchronous I/O (a non-NULL Event or ApcRoutine: STATUS_NOT_SUPPORTED),
 * share access (FILE_SHARE_* are accepted; Linux does not enforce them), security descriptors,
 * extended attributes (EaBuffer must be NULL), AllocationSize, RootDirectory-relative names
 * (STATUS_INVALID_PARAMETER), other information classes (STATUS_INVALID_INFO_CLASS).
 * IoStatusBlock is written for every call that gets past the handle and parameter checks,
 * failures included. The buffers are the caller's kernel memory (as from a kernel-mode caller
 * on Windows): one the host kernel cannot access gives STATUS_ACCESS_VIOLATION, nothing more.
 */
#ifndef UMACCESS_ZWFILE_H
#define UMACCESS_ZWFILE_H

#include "umaccess/wdm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef ULONG ACCESS_MASK, *PACCESS_MASK;

/* Access rights (winnt.h / wdm.h). */
#define DELETE 0x00010000u
#define READ_CONTROL 0x00020000u
#define WRITE_DAC 0x00040000u
#define WRITE_OWNER 0x00080000u
#define SYNCHRONIZE 0x00100000u
#define STANDARD_RIGHTS_REQUIRED 0x000F0000u
#define STANDARD_RIGHTS_READ READ_CONTROL
#define STANDARD_RIGHTS_WRITE READ_CONTROL
#define STANDARD_RIGHTS_EXECUTE READ_CONTROL
#define STANDARD_RIGHTS_ALL 0x001F0000u
#define MAXIMUM_ALLOWED 0x02000000u
#define GENERIC_READ 0x80000000u
#define GENERIC_WRITE 0x40000000u
#define GENERIC_EXECUTE 0x20000000u
#define GENERIC_ALL 0x10000000u
#define FILE_READ_DATA 0x0001u
#define FILE_LIST_DIRECTORY 0x0001u
#define FILE_WRITE_DATA 0x0002u
#define FILE_ADD_FILE 0x0002u
#define FILE_APPEND_DATA 0x0004u
#define FILE_READ_EA 0x0008u
#define FILE_WRITE_EA 0x0010u
#define FILE_EXECUTE 0x0020u
#define FILE_TRAVERSE 0x0020u
#define FILE_READ_ATTRIBUTES 0x0080u
#define FILE_WRITE_ATTRIBUTES 0x0100u
#define FILE_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x1FFu)
#define FILE_GENERIC_READ \
  (STANDARD_RIGHTS_READ | FILE_READ_DATA | FILE_READ_ATTRIBUTES | FILE_READ_EA | SYNCHRONIZE)
#define FILE_GENERIC_WRITE                                                                 \
  (STANDARD_RIGHTS_WRITE | FILE_WRITE_DATA | FILE_WRITE_ATTRIBUTES | FILE_WRITE_EA |        \
   FILE_APPEND_DATA | SYNCHRONIZE)
#define FILE_GENERIC_EXECUTE \
  (STANDARD_RIGHTS_EXECUTE | FILE_READ_ATTRIBUTES | FILE_EXECUTE | SYNCHRONIZE)

/* File attributes (accepted; only FILE_ATTRIBUTE_DIRECTORY is reported). */
#define FILE_ATTRIBUTE_READONLY 0x00000001u
#define FILE_ATTRIBUTE_HIDDEN 0x00000002u
#define FILE_ATTRIBUTE_SYSTEM 0x00000004u
#define FILE_ATTRIBUTE_DIRECTORY 0x00000010u
#define FILE_ATTRIBUTE_ARCHIVE 0x00000020u
#define FILE_ATTRIBUTE_NORMAL 0x00000080u
#define FILE_ATTRIBUTE_TEMPORARY 0x00000100u

/* Share access (accepted, not enforced). */
#define FILE_SHARE_READ 0x00000001u
#define FILE_SHARE_WRITE 0x00000002u
#define FILE_SHARE_DELETE 0x00000004u
#define FILE_SHARE_VALID_FLAGS 0x00000007u

/* Create dispositions. */
#define FILE_SUPERSEDE 0x00000000u
#define FILE_OPEN 0x00000001u
#define FILE_CREATE 0x00000002u
#define FILE_OPEN_IF 0x00000003u
#define FILE_OVERWRITE 0x00000004u
#define FILE_OVERWRITE_IF 0x00000005u
#define FILE_MAXIMUM_DISPOSITION 0x00000005u

/* Create options. */
#define FILE_DIRECTORY_FILE 0x00000001u
#define FILE_WRITE_THROUGH 0x00000002u
#define FILE_SEQUENTIAL_ONLY 0x00000004u
#define FILE_NO_INTERMEDIATE_BUFFERING 0x00000008u
#define FILE_SYNCHRONOUS_IO_ALERT 0x00000010u
#define FILE_SYNCHRONOUS_IO_NONALERT 0x00000020u
#define FILE_NON_DIRECTORY_FILE 0x00000040u
#define FILE_CREATE_TREE_CONNECTION 0x00000080u
#define FILE_COMPLETE_IF_OPLOCKED 0x00000100u
#define FILE_NO_EA_KNOWLEDGE 0x00000200u
#define FILE_RANDOM_ACCESS 0x00000800u
#define FILE_DELETE_ON_CLOSE 0x00001000u
#define FILE_OPEN_FOR_BACKUP_INTENT 0x00004000u

/* IoStatusBlock->Information after ZwCreateFile / ZwOpenFile. */
#define FILE_SUPERSEDED 0x00000000u
#define FILE_OPENED 0x00000001u
#define FILE_CREATED 0x00000002u
#define FILE_OVERWRITTEN 0x00000003u
#define FILE_EXISTS 0x00000004u
#define FILE_DOES_NOT_EXIST 0x00000005u

/* ByteOffset values (HighPart -1). */
#define FILE_WRITE_TO_END_OF_FILE 0xffffffffu
#define FILE_USE_FILE_POINTER_POSITION 0xfffffffeu

/* Object attributes. */
#define OBJ_INHERIT 0x00000002u
#define OBJ_PERMANENT 0x00000010u
#define OBJ_EXCLUSIVE 0x00000020u
#define OBJ_CASE_INSENSITIVE 0x00000040u
#define OBJ_OPENIF 0x00000080u
#define OBJ_OPENLINK 0x00000100u
#define OBJ_KERNEL_HANDLE 0x00000200u
#define OBJ_FORCE_ACCESS_CHECK 0x00000400u

typedef struct _OBJECT_ATTRIBUTES {
  ULONG Length;
  HANDLE RootDirectory;
  PUNICODE_STRING ObjectName;
  ULONG Attributes;
  PVOID SecurityDescriptor;
  PVOID SecurityQualityOfService;
} OBJECT_ATTRIBUTES, *POBJECT_ATTRIBUTES;
typedef const OBJECT_ATTRIBUTES* PCOBJECT_ATTRIBUTES;

#define InitializeObjectAttributes(p, n, a, r, s) \
  do {                                            \
    (p)->Length = sizeof(OBJECT_ATTRIBUTES);      \
    (p)->RootDirectory = (r);                     \
    (p)->Attributes = (a);                        \
    (p)->ObjectName = (n);                        \
    (p)->SecurityDescriptor = (s);                \
    (p)->SecurityQualityOfService = NULL;         \
  } while (0)

typedef VOID IO_APC_ROUTINE(PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock, ULONG Reserved);
typedef IO_APC_ROUTINE* PIO_APC_ROUTINE;

typedef enum _FILE_INFORMATION_CLASS {
  FileDirectoryInformation = 1,
  FileBasicInformation = 4,
  FileStandardInformation = 5,
  FileNameInformation = 9,
  FileRenameInformation = 10,
  FileDispositionInformation = 13,
  FilePositionInformation = 14,
  FileAllocationInformation = 19,
  FileEndOfFileInformation = 20,
  FileMaximumInformation = 77
} FILE_INFORMATION_CLASS, *PFILE_INFORMATION_CLASS;

typedef struct _FILE_POSITION_INFORMATION {
  LARGE_INTEGER CurrentByteOffset;
} FILE_POSITION_INFORMATION, *PFILE_POSITION_INFORMATION;

typedef struct _FILE_STANDARD_INFORMATION {
  LARGE_INTEGER AllocationSize;
  LARGE_INTEGER EndOfFile;
  ULONG NumberOfLinks;
  BOOLEAN DeletePending;
  BOOLEAN Directory;
} FILE_STANDARD_INFORMATION, *PFILE_STANDARD_INFORMATION;

typedef struct _FILE_END_OF_FILE_INFORMATION {
  LARGE_INTEGER EndOfFile;
} FILE_END_OF_FILE_INFORMATION, *PFILE_END_OF_FILE_INFORMATION;

/* Opens or creates ObjectAttributes->ObjectName (see the mapping above). FileHandle and
 * IoStatusBlock must not be NULL (STATUS_INVALID_PARAMETER), nor a bad disposition or option
 * combination (FILE_DIRECTORY_FILE with FILE_NON_DIRECTORY_FILE, or with a disposition other
 * than FILE_CREATE, FILE_OPEN, FILE_OPEN_IF). Statuses: STATUS_OBJECT_NAME_NOT_FOUND (no such
 * file for FILE_OPEN / FILE_OVERWRITE), STATUS_OBJECT_PATH_NOT_FOUND (a missing or unmapped
 * directory), STATUS_OBJECT_NAME_COLLISION (FILE_CREATE of an existing name),
 * STATUS_FILE_IS_A_DIRECTORY, STATUS_NOT_A_DIRECTORY, STATUS_ACCESS_DENIED (the host refuses),
 * STATUS_OBJECT_NAME_INVALID, STATUS_TOO_MANY_OPENED_FILES. */
UMACCESS_API NTSTATUS ZwCreateFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess,
                                   POBJECT_ATTRIBUTES ObjectAttributes,
                                   PIO_STATUS_BLOCK IoStatusBlock, PLARGE_INTEGER AllocationSize,
                                   ULONG FileAttributes, ULONG ShareAccess,
                                   ULONG CreateDisposition, ULONG CreateOptions, PVOID EaBuffer,
                                   ULONG EaLength);
/* ZwCreateFile with FILE_OPEN. */
UMACCESS_API NTSTATUS ZwOpenFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess,
                                 POBJECT_ATTRIBUTES ObjectAttributes,
                                 PIO_STATUS_BLOCK IoStatusBlock, ULONG ShareAccess,
                                 ULONG OpenOptions);
/* Reads up to Length bytes at *ByteOffset (NULL or FILE_USE_FILE_POINTER_POSITION: the
 * current position of a synchronous file; STATUS_INVALID_PARAMETER for another file).
 * IoStatusBlock->Information: the bytes read; at or past the end of the file:
 * STATUS_END_OF_FILE with 0 bytes. No read access: STATUS_ACCESS_DENIED; a directory:
 * STATUS_INVALID_DEVICE_REQUEST; an unknown handle: STATUS_INVALID_HANDLE. Key is ignored. */
UMACCESS_API NTSTATUS ZwReadFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine,
                                 PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer,
                                 ULONG Length, PLARGE_INTEGER ByteOffset, PULONG Key);
/* Writes Length bytes at *ByteOffset (as ZwReadFile; FILE_WRITE_TO_END_OF_FILE, or a handle
 * opened with FILE_APPEND_DATA only: at the end). A full device: STATUS_DISK_FULL. */
UMACCESS_API NTSTATUS ZwWriteFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine,
                                  PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer,
                                  ULONG Length, PLARGE_INTEGER ByteOffset, PULONG Key);
/* FilePositionInformation, FileStandardInformation; too small a Length:
 * STATUS_INFO_LENGTH_MISMATCH; another class: STATUS_INVALID_INFO_CLASS. */
UMACCESS_API NTSTATUS ZwQueryInformationFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock,
                                             PVOID FileInformation, ULONG Length,
                                             FILE_INFORMATION_CLASS FileInformationClass);
/* FilePositionInformation (a negative offset: STATUS_INVALID_PARAMETER),
 * FileEndOfFileInformation (truncates or extends; needs write access). */
UMACCESS_API NTSTATUS ZwSetInformationFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock,
                                           PVOID FileInformation, ULONG Length,
                                           FILE_INFORMATION_CLASS FileInformationClass);
/* Closes the handle (deleting the file if opened with FILE_DELETE_ON_CLOSE). An unknown
 * handle: STATUS_INVALID_HANDLE. */
UMACCESS_API NTSTATUS ZwClose(HANDLE Handle);

/* Host side: maps the NT path prefix NtPrefix (e.g. "\\SystemRoot", "\\??\\C:") to the host
 * directory HostDirectory (which must exist; STATUS_OBJECT_PATH_NOT_FOUND otherwise). A NULL
 * HostDirectory removes the mapping. Mapping an existing prefix replaces it. */
UMACCESS_API NTSTATUS UmaZwMapDirectory(PCSTR NtPrefix, PCSTR HostDirectory);
/* Open Zw handles: for leak checks after a driver's lifetime. */
UMACCESS_API SIZE_T UmaZwHandleCount(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* UMACCESS_ZWFILE_H */
