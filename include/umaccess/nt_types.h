/* umaccess/nt_types.h - the Windows base types, status codes and processor modes that the
 * C API (umaccess.h) and the Windows-named C++ API (usermode_accessors.h) share.
 *
 * Values follow ntstatus.h / wdm.h (see shared reference api.md §13, §17). Code that
 * already has its own Windows type definitions can define UMACCESS_NO_WINDOWS_TYPES before
 * including any umaccess header; then only the UMACCESS_-prefixed names are defined here.
 */
#ifndef UMACCESS_NT_TYPES_H
#define UMACCESS_NT_TYPES_H

#include <stddef.h>
#include <stdint.h>

/* Prefixed spellings, always available. */
typedef int32_t umaccess_ntstatus;
typedef signed char umaccess_processor_mode;

/* A Windows wide character: 16 bits (UTF-16), unlike Linux's 32-bit wchar_t. char16_t in
 * C++ (u"..." literals); in C the same representation as C11's char16_t. */
#ifdef __cplusplus
typedef char16_t umaccess_wchar;
#else
typedef uint_least16_t umaccess_wchar;
#endif

/* UNICODE_STRING's layout: lengths in bytes, then the buffer pointer (on 64-bit targets
 * four bytes of padding lie between them: never read or written by the accessors). */
typedef struct umaccess_unicode_string {
  uint16_t length;
  uint16_t maximum_length;
  umaccess_wchar *buffer;
} umaccess_unicode_string;

#define UMACCESS_STATUS(v) ((umaccess_ntstatus)(uint32_t)(v))

#ifndef UMACCESS_NO_WINDOWS_TYPES

typedef void VOID;
typedef void *PVOID;
typedef void *HANDLE;
typedef char CHAR;
typedef signed char CCHAR;
typedef unsigned char UCHAR;
typedef unsigned char BOOLEAN;
typedef signed char INT8;
typedef unsigned char UINT8;
typedef int16_t SHORT;
typedef int16_t INT16;
typedef uint16_t UINT16;
typedef umaccess_wchar WCHAR;
typedef WCHAR *PWSTR;
typedef const WCHAR *PCWSTR;
typedef char *PSTR;
typedef const char *PCSTR;
typedef uint16_t USHORT;
typedef int32_t LONG;
typedef uint32_t ULONG;
typedef int32_t INT32;
typedef uint32_t UINT32;
typedef int64_t LONG64;
typedef uint64_t ULONG64;
typedef int64_t LONGLONG;
typedef uint64_t ULONGLONG;
typedef int64_t INT64;
typedef uint64_t UINT64;
typedef intptr_t LONG_PTR;
typedef uintptr_t ULONG_PTR;
typedef intptr_t INT_PTR;
typedef uintptr_t UINT_PTR;
typedef size_t SIZE_T;
typedef intptr_t SSIZE_T;
typedef umaccess_ntstatus NTSTATUS;

/* 64-bit integers with 32-bit halves (little-endian: LowPart first). */
typedef union _LARGE_INTEGER {
  __extension__ struct { /* anonymous: standard C11, a GNU extension in C++ */
    ULONG LowPart;
    LONG HighPart;
  };
  struct {
    ULONG LowPart;
    LONG HighPart;
  } u;
  LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef union _ULARGE_INTEGER {
  __extension__ struct {
    ULONG LowPart;
    ULONG HighPart;
  };
  struct {
    ULONG LowPart;
    ULONG HighPart;
  } u;
  ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

/* Counted UTF-16 string; Length and MaximumLength in bytes. Same layout as
 * umaccess_unicode_string. */
typedef struct _UNICODE_STRING {
  USHORT Length;
  USHORT MaximumLength;
  PWSTR Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;

/* KPROCESSOR_MODE: CCHAR with KernelMode = 0, UserMode = 1. Every value other than
 * KernelMode selects the user path, as in usermode_accessors.h. */
typedef CCHAR KPROCESSOR_MODE;
typedef enum _MODE { KernelMode = 0, UserMode = 1, MaximumMode = 2 } MODE;

#define NT_SUCCESS(Status) (((NTSTATUS)(Status)) >= 0)

#define STATUS_SUCCESS                UMACCESS_STATUS(0x00000000u)
#define STATUS_GUARD_PAGE_VIOLATION   UMACCESS_STATUS(0x80000001u)
#define STATUS_DATATYPE_MISALIGNMENT  UMACCESS_STATUS(0x80000002u)
#define STATUS_INFO_LENGTH_MISMATCH   UMACCESS_STATUS(0xC0000004u)
#define STATUS_ACCESS_VIOLATION       UMACCESS_STATUS(0xC0000005u)
#define STATUS_IN_PAGE_ERROR          UMACCESS_STATUS(0xC0000006u)
#define STATUS_INVALID_HANDLE         UMACCESS_STATUS(0xC0000008u)
#define STATUS_INVALID_PARAMETER      UMACCESS_STATUS(0xC000000Du)
#define STATUS_INVALID_DEVICE_REQUEST UMACCESS_STATUS(0xC0000010u)
#define STATUS_NO_MEMORY              UMACCESS_STATUS(0xC0000017u)
#define STATUS_BUFFER_TOO_SMALL       UMACCESS_STATUS(0xC0000023u)
#define STATUS_INTEGER_OVERFLOW       UMACCESS_STATUS(0xC0000095u)
#define STATUS_INSUFFICIENT_RESOURCES UMACCESS_STATUS(0xC000009Au)
#define STATUS_INVALID_USER_BUFFER    UMACCESS_STATUS(0xC00000E8u)
#define STATUS_INVALID_BUFFER_SIZE    UMACCESS_STATUS(0xC0000206u)
#define STATUS_WORKING_SET_QUOTA      UMACCESS_STATUS(0xC00000A1u)

/* Exception filter results (excpt.h). */
#define EXCEPTION_EXECUTE_HANDLER     1
#define EXCEPTION_CONTINUE_SEARCH     0
#define EXCEPTION_CONTINUE_EXECUTION  (-1)

/* Bug check codes umaccess raises itself (bugcodes.h). */
#define PAGE_FAULT_IN_NONPAGED_AREA   0x00000050u
#define KERNEL_SECURITY_CHECK_FAILURE 0x00000139u /* a kernel __fastfail; parameter 1: its code */
#define WDF_VIOLATION                 0x0000010Du /* a KMDF rule broken (bad handle, NULL) */
#define DRIVER_VERIFIER_DETECTED_VIOLATION 0x000000C4u

#endif /* UMACCESS_NO_WINDOWS_TYPES */

#define UMACCESS_KERNEL_MODE ((umaccess_processor_mode)0)
#define UMACCESS_USER_MODE   ((umaccess_processor_mode)1)

#endif /* UMACCESS_NT_TYPES_H */
