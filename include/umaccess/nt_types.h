/* SPDX-License-Identifier: Apache-2.0 */
/* umaccess/nt_types.h - the Windows base types, status codes and processor modes that the
 * C API (umaccess.h) and the Windows-named C++ API (usermode_accessors.h) share.
 *
 * Values follow ntstatus.h / wdm.h. Code that
 * already has its own Windows type definitions can define UMACCESS_NO_WINDOWS_TYPES before
 * including any umaccess header; then only the UMACCESS_-prefixed names are defined here.
 */
#ifndef UMACCESS_NT_TYPES_H
#define UMACCESS_NT_TYPES_H

#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
#include <type_traits>
#endif

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

/* The pointer and short names driver code uses (ntdef.h, basetsd.h, minwindef.h). */
typedef int INT;
typedef unsigned int UINT;
typedef uint8_t BYTE;
typedef uint16_t WORD;
typedef uint32_t DWORD; /* 32-bit, as on Windows (Linux's unsigned long is 64-bit) */
typedef short CSHORT;
typedef UCHAR KIRQL;
typedef CHAR *PCHAR, *PCH;
typedef const CHAR *PCCH;
typedef UCHAR *PUCHAR;
typedef BYTE *PBYTE;
typedef SHORT *PSHORT;
typedef USHORT *PUSHORT;
typedef WORD *PWORD;
typedef LONG *PLONG;
typedef ULONG *PULONG;
typedef DWORD *PDWORD;
typedef LONG64 *PLONG64;
typedef ULONG64 *PULONG64;
typedef LONGLONG *PLONGLONG;
typedef ULONGLONG *PULONGLONG;
typedef BOOLEAN *PBOOLEAN;
typedef KIRQL *PKIRQL;
typedef WCHAR *PWCHAR, *PWCH;
typedef const WCHAR *PCWCH;
typedef SIZE_T *PSIZE_T;
typedef ULONG_PTR *PULONG_PTR;
typedef LONG_PTR *PLONG_PTR;
typedef HANDLE *PHANDLE;
typedef NTSTATUS *PNTSTATUS;
typedef const void *PCVOID;

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
/* Statuses driver code returns and tests (ntstatus.h values; see
 * https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-erref/596a1078-e883-4972-9bbc-49e60bebca55). */
#define STATUS_PENDING                UMACCESS_STATUS(0x00000103u)
#define STATUS_BUFFER_OVERFLOW        UMACCESS_STATUS(0x80000005u)
#define STATUS_UNSUCCESSFUL           UMACCESS_STATUS(0xC0000001u)
#define STATUS_NOT_IMPLEMENTED        UMACCESS_STATUS(0xC0000002u)
#define STATUS_END_OF_FILE            UMACCESS_STATUS(0xC0000011u)
#define STATUS_MORE_PROCESSING_REQUIRED UMACCESS_STATUS(0xC0000016u)
#define STATUS_ILLEGAL_INSTRUCTION    UMACCESS_STATUS(0xC000001Du)
#define STATUS_ACCESS_DENIED          UMACCESS_STATUS(0xC0000022u)
#define STATUS_OBJECT_NAME_INVALID    UMACCESS_STATUS(0xC0000033u)
#define STATUS_OBJECT_NAME_NOT_FOUND  UMACCESS_STATUS(0xC0000034u)
#define STATUS_OBJECT_NAME_COLLISION  UMACCESS_STATUS(0xC0000035u)
#define STATUS_INSTRUCTION_MISALIGNMENT UMACCESS_STATUS(0xC00000AAu)
#define STATUS_NOT_SUPPORTED          UMACCESS_STATUS(0xC00000BBu)
#define STATUS_INTERNAL_ERROR         UMACCESS_STATUS(0xC00000E5u)
#define STATUS_CANCELLED              UMACCESS_STATUS(0xC0000120u)
#define STATUS_INVALID_DEVICE_STATE   UMACCESS_STATUS(0xC0000184u)
#define STATUS_ASSERTION_FAILURE      UMACCESS_STATUS(0xC0000420u)
/* The file statuses of the Zw file routines (umaccess/zwfile.h). */
#define STATUS_INVALID_INFO_CLASS     UMACCESS_STATUS(0xC0000003u)
#define STATUS_OBJECT_PATH_NOT_FOUND  UMACCESS_STATUS(0xC000003Au)
#define STATUS_OBJECT_PATH_SYNTAX_BAD UMACCESS_STATUS(0xC000003Bu)
#define STATUS_DISK_FULL              UMACCESS_STATUS(0xC000007Fu)
#define STATUS_FILE_IS_A_DIRECTORY    UMACCESS_STATUS(0xC00000BAu)
#define STATUS_NOT_A_DIRECTORY        UMACCESS_STATUS(0xC0000103u)
#define STATUS_TOO_MANY_OPENED_FILES  UMACCESS_STATUS(0xC000011Fu)

/* Exception filter results (excpt.h). */
#define EXCEPTION_EXECUTE_HANDLER     1
#define EXCEPTION_CONTINUE_SEARCH     0
#define EXCEPTION_CONTINUE_EXECUTION  (-1)

/* Bug check codes umaccess raises itself (bugcodes.h). */
#define PAGE_FAULT_IN_NONPAGED_AREA   0x00000050u
#define KERNEL_SECURITY_CHECK_FAILURE 0x00000139u /* a kernel __fastfail; parameter 1: its code */
#define WDF_VIOLATION                 0x0000010Du /* a KMDF rule broken (bad handle, NULL) */
#define DRIVER_VERIFIER_DETECTED_VIOLATION 0x000000C4u

/* POOL_TYPE (wdm.h): the commonly used values, for the pool (wdm_io.h) and WDF memory objects
 * (wdfmemory.h). Linux has one kind of memory, so paged and non-paged pool behave alike. */
typedef enum _POOL_TYPE {
  NonPagedPool = 0,
  NonPagedPoolExecute = 0,
  PagedPool = 1,
  NonPagedPoolMustSucceed = 2,
  DontUseThisType = 3,
  NonPagedPoolCacheAligned = 4,
  PagedPoolCacheAligned = 5,
  NonPagedPoolCacheAlignedMustS = 6,
  MaxPoolType = 7,
  NonPagedPoolSession = 32,
  PagedPoolSession = 33,
  NonPagedPoolNx = 512,
  NonPagedPoolNxCacheAligned = 516,
  NonPagedPoolSessionNx = 544
} POOL_TYPE;

#endif /* UMACCESS_NO_WINDOWS_TYPES */

/* UMA_C_PVOID: the type of the untyped pointers a driver written in C assigns to typed
 * pointers without a cast (`PCHAR inBuf = Irp->AssociatedIrp.SystemBuffer;`, the results of
 * ExAllocatePool2, MmGetSystemAddressForMdlSafe, WdfMemoryGetBuffer, ...). In C it is PVOID.
 * In C++, where void* does not convert implicitly, it is umaccess::CVoidPointer: a PVOID
 * (same size, alignment and ABI; trivially copyable, so it lives in unions, memsets and
 * varargs as a pointer does) that also converts implicitly to any object pointer type, as C
 * does, so that such C sources compile as C++ unchanged. Everywhere else it behaves as PVOID:
 * assignment from any object pointer, NULL and nullptr; comparisons with pointers, NULL and
 * nullptr; `if (!p)`; passing it to PVOID parameters; casts to pointer types and (explicitly)
 * to ULONG_PTR. What it does not do: convert to function pointers, to integers implicitly, or
 * take part in pointer arithmetic (neither does PVOID). reinterpret_cast does not apply to a
 * class: use a C-style cast or static_cast. Define UMACCESS_NO_C_VOID_POINTERS before any
 * umaccess header to get plain PVOID fields and return types in C++ too (then those
 * conversions need casts, as in C++ generally). */
#if defined(__cplusplus) && !defined(UMACCESS_NO_C_VOID_POINTERS)
extern "C++" {
namespace umaccess {
class CVoidPointer {
 public:
  CVoidPointer() = default;  // trivial: uninitialized like a PVOID, zeroed by {} and memset
  constexpr CVoidPointer(void* pointer) noexcept : pointer_(pointer) {}  // NOLINT: implicit
  // To PVOID (comparisons, PVOID parameters, `if (!p)`, memcpy, ...).
  constexpr operator void*() const noexcept { return pointer_; }  // NOLINT: implicit
  // To any other object pointer type, as C converts void*.
  template <class T, class = typename std::enable_if<std::is_object<T>::value ||
                                                     std::is_void<T>::value>::type>
  constexpr operator T*() const noexcept {  // NOLINT: implicit
    return static_cast<T*>(pointer_);
  }
  // (ULONG_PTR)p, as for a PVOID.
  explicit operator uintptr_t() const noexcept { return reinterpret_cast<uintptr_t>(pointer_); }
  // Comparisons with pointers, NULL and nullptr: the built-in candidates alone would be
  // ambiguous (one for every pointer type the template converts to).
  friend constexpr bool operator==(CVoidPointer a, CVoidPointer b) noexcept {
    return a.pointer_ == b.pointer_;
  }
  template <class T>
  friend constexpr bool operator==(CVoidPointer a, T* b) noexcept {
    return a.pointer_ == static_cast<const volatile void*>(b);
  }
  template <class T>
  friend constexpr bool operator==(T* a, CVoidPointer b) noexcept {
    return static_cast<const volatile void*>(a) == b.pointer_;
  }
  // NULL (GCC's __null is an integer null pointer constant) and nullptr.
  friend constexpr bool operator==(CVoidPointer a, const volatile void* b) noexcept {
    return a.pointer_ == b;
  }
  friend constexpr bool operator==(const volatile void* a, CVoidPointer b) noexcept {
    return a == b.pointer_;
  }
  friend constexpr bool operator!=(CVoidPointer a, CVoidPointer b) noexcept { return !(a == b); }
  template <class T>
  friend constexpr bool operator!=(CVoidPointer a, T* b) noexcept {
    return !(a == b);
  }
  template <class T>
  friend constexpr bool operator!=(T* a, CVoidPointer b) noexcept {
    return !(a == b);
  }
  friend constexpr bool operator!=(CVoidPointer a, const volatile void* b) noexcept {
    return !(a == b);
  }
  friend constexpr bool operator!=(const volatile void* a, CVoidPointer b) noexcept {
    return !(a == b);
  }

 private:
  void* pointer_;
};
static_assert(sizeof(CVoidPointer) == sizeof(void*) && alignof(CVoidPointer) == alignof(void*),
              "CVoidPointer must be laid out as a PVOID");
static_assert(std::is_trivially_copyable<CVoidPointer>::value &&
                  std::is_trivially_default_constructible<CVoidPointer>::value &&
                  std::is_standard_layout<CVoidPointer>::value,
              "CVoidPointer must be usable where a PVOID is (unions, memset, varargs)");
}  // namespace umaccess
}  /* extern "C++" */
extern "C++" {
namespace umaccess {
namespace detail {
// Calls `call` with a PVOID* (or NULL if out is NULL) and stores what it wrote, if anything,
// in *out as a T*: what C's conversion of a T** argument to a PVOID* parameter does
// (`PCHAR in; WdfRequestRetrieveInputBuffer(Request, 0, &in, &length);`).
template <class T, class Call>
inline auto call_through_pvoid(T** out, Call call) -> decltype(call(static_cast<void**>(nullptr))) {
  static char unwritten;
  void* pointer = &unwritten;
  auto result = call(out == nullptr ? nullptr : &pointer);
  if (out != nullptr && pointer != static_cast<void*>(&unwritten)) *out = static_cast<T*>(pointer);
  return result;
}
}  // namespace detail
}  // namespace umaccess
}  /* extern "C++" */
typedef ::umaccess::CVoidPointer UMA_C_PVOID;
/* A PVOID returned by a C function, as the C source expects it; and, for a function with a
 * PVOID* out parameter, an overload taking any T** (UMACCESS_C_PVOID_OUT, below). */
#define UMACCESS_C_PVOID_RESULT(call) (::umaccess::CVoidPointer(call))
#else
typedef void *UMA_C_PVOID;
#define UMACCESS_C_PVOID_RESULT(call) (call)
#endif


/* The exception record GetExceptionInformation() gives inside UMA_EXCEPT (umaccess.hpp),
 * laid out as wdm.h's EXCEPTION_RECORD and EXCEPTION_POINTERS
 * (https://learn.microsoft.com/en-us/windows/win32/api/winnt/ns-winnt-exception_record).
 * For STATUS_ACCESS_VIOLATION and STATUS_IN_PAGE_ERROR, NumberParameters is 2:
 * ExceptionInformation[0] is 0 for a read and 1 for a write, [1] the inaccessible address.
 * ExceptionAddress (the faulting instruction on Windows) is NULL: the instruction is one of
 * the library's kernels, not the driver's code. ContextRecord is NULL. */
#define UMACCESS_EXCEPTION_MAXIMUM_PARAMETERS 15
typedef struct umaccess_exception_record {
  umaccess_ntstatus ExceptionCode;
  uint32_t ExceptionFlags;
  struct umaccess_exception_record *ExceptionRecord;
  void *ExceptionAddress;
  uint32_t NumberParameters;
  uintptr_t ExceptionInformation[UMACCESS_EXCEPTION_MAXIMUM_PARAMETERS];
} umaccess_exception_record;
struct umaccess_context; /* opaque: no register context is captured */
typedef struct umaccess_exception_pointers {
  umaccess_exception_record *ExceptionRecord;
  struct umaccess_context *ContextRecord;
} umaccess_exception_pointers;

#ifndef UMACCESS_NO_WINDOWS_TYPES
#define EXCEPTION_MAXIMUM_PARAMETERS UMACCESS_EXCEPTION_MAXIMUM_PARAMETERS
typedef umaccess_exception_record EXCEPTION_RECORD, *PEXCEPTION_RECORD;
typedef umaccess_exception_pointers EXCEPTION_POINTERS, *PEXCEPTION_POINTERS;
typedef struct umaccess_context CONTEXT, *PCONTEXT;
#define EXCEPTION_NONCONTINUABLE 0x1
#endif

#define UMACCESS_KERNEL_MODE ((umaccess_processor_mode)0)
#define UMACCESS_USER_MODE   ((umaccess_processor_mode)1)

#endif /* UMACCESS_NT_TYPES_H */
