/* SPDX-License-Identifier: Apache-2.0 */
/* umaccess/wdfmemory.h - KMDF memory objects (WDFMEMORY) for C and C++, so driver code that
 * moves data through WdfMemoryCreate / WdfMemoryCopyToBuffer / WdfMemoryCopyFromBuffer runs
 * and is tested on Linux with KMDF's own rules (Microsoft's pages for wdfmemory.h,
 * https://learn.microsoft.com/en-us/windows-hardware/drivers/ddi/wdfmemory/, and, where the
 * documentation disagrees, the KMDF source, https://github.com/microsoft/Windows-Driver-Frameworks).
 *
 * What is modelled:
 *   - the parameter checks, their order and the statuses of the KMDF source (a NULL required
 *     pointer is a bug check, never a status);
 *   - WDFMEMORY handles are checked on every call: a NULL, garbage, deleted or stale handle
 *     (one whose slot now holds a newer object) is detected without being dereferenced and
 *     raises bug check WDF_VIOLATION (parameter 1 WDF_INVALID_HANDLE, parameter 2 the handle),
 *     which a host can catch with umaccess_set_bug_check_callback();
 *   - handles are thread-safe: an object deleted while another thread copies is freed only
 *     when that copy has finished;
 *   - copies go through umaccess_kernel_copy(): kernel-mode volatile copies with no check and
 *     no recovery (a bad preallocated buffer crashes the process, as in a driver);
 *   - WdfMemoryCreate keeps PoolType and PoolTag (0 becomes UMA_WDF_DEFAULT_POOL_TAG); the
 *     buffer is not zeroed, and one of 4096 bytes or more is page-aligned.
 * Of WDF_OBJECT_ATTRIBUTES, Size is validated (STATUS_INFO_LENGTH_MISMATCH) and
 * EvtCleanupCallback / EvtDestroyCallback are called by WdfObjectDelete (cleanup while the
 * handle is still valid, destroy once the object is gone); ParentObject, ExecutionLevel,
 * SynchronizationScope and the context fields are accepted and ignored: there is no object
 * tree (an object lives until WdfObjectDelete) and no context memory.
 */
#ifndef UMACCESS_WDFMEMORY_H
#define UMACCESS_WDFMEMORY_H

#include <stddef.h>

#include "umaccess/nt_types.h"

#ifdef UMACCESS_NO_WINDOWS_TYPES
#error "wdfmemory.h needs the Windows types: do not define UMACCESS_NO_WINDOWS_TYPES"
#endif

#include "umaccess/umaccess.h" /* UMACCESS_API */

#ifdef __cplusplus
extern "C" {
#endif

/* Parameter 1 of a WDF_VIOLATION bug check (wdfbugcodes.h). */
#ifndef UMACCESS_WDF_BUGCHECK_CODES_DEFINED
#define UMACCESS_WDF_BUGCHECK_CODES_DEFINED
typedef enum _WDF_BUGCHECK_CODES {
  WDF_REQUIRED_PARAMETER_IS_NULL = 0x4, /* parameter 3: 0 (KMDF: the caller's address) */
  WDF_INVALID_HANDLE = 0x5              /* parameter 2: the handle */
} WDF_BUGCHECK_CODES;
#endif

/* Handles: opaque values (slot and generation), never pointers. */
typedef void *WDFOBJECT;
typedef struct WDFMEMORY__ *WDFMEMORY;
#define WDF_NO_HANDLE NULL

/* POOL_TYPE: nt_types.h. */

/* The tag WdfMemoryCreate records for PoolTag 0: KMDF's own tag 'FxDr' (FX_TAG). */
#define UMA_WDF_DEFAULT_POOL_TAG 0x72447846u

/* ---- Object attributes (wdfobject.h) ---------------------------------------------------- */
typedef enum _WDF_EXECUTION_LEVEL {
  WdfExecutionLevelInvalid = 0,
  WdfExecutionLevelInheritFromParent,
  WdfExecutionLevelPassive,
  WdfExecutionLevelDispatch
} WDF_EXECUTION_LEVEL;

typedef enum _WDF_SYNCHRONIZATION_SCOPE {
  WdfSynchronizationScopeInvalid = 0,
  WdfSynchronizationScopeInheritFromParent,
  WdfSynchronizationScopeDevice,
  WdfSynchronizationScopeQueue,
  WdfSynchronizationScopeNone
} WDF_SYNCHRONIZATION_SCOPE;

typedef VOID EVT_WDF_OBJECT_CONTEXT_CLEANUP(WDFOBJECT Object);
typedef EVT_WDF_OBJECT_CONTEXT_CLEANUP *PFN_WDF_OBJECT_CONTEXT_CLEANUP;
typedef VOID EVT_WDF_OBJECT_CONTEXT_DESTROY(WDFOBJECT Object);
typedef EVT_WDF_OBJECT_CONTEXT_DESTROY *PFN_WDF_OBJECT_CONTEXT_DESTROY;

typedef struct _WDF_OBJECT_CONTEXT_TYPE_INFO WDF_OBJECT_CONTEXT_TYPE_INFO;
typedef const WDF_OBJECT_CONTEXT_TYPE_INFO *PCWDF_OBJECT_CONTEXT_TYPE_INFO;
typedef PCWDF_OBJECT_CONTEXT_TYPE_INFO (*PFN_GET_UNIQUE_CONTEXT_TYPE)(VOID);
struct _WDF_OBJECT_CONTEXT_TYPE_INFO {
  ULONG Size;
  PCSTR ContextName;
  size_t ContextSize;
  PCWDF_OBJECT_CONTEXT_TYPE_INFO UniqueType;
  PFN_GET_UNIQUE_CONTEXT_TYPE EvtDriverGetUniqueContextType;
};

typedef struct _WDF_OBJECT_ATTRIBUTES {
  ULONG Size; /* sizeof(WDF_OBJECT_ATTRIBUTES), else STATUS_INFO_LENGTH_MISMATCH */
  PFN_WDF_OBJECT_CONTEXT_CLEANUP EvtCleanupCallback; /* called by WdfObjectDelete */
  PFN_WDF_OBJECT_CONTEXT_DESTROY EvtDestroyCallback; /* called when the object is freed */
  WDF_EXECUTION_LEVEL ExecutionLevel;                /* ignored */
  WDF_SYNCHRONIZATION_SCOPE SynchronizationScope;    /* ignored */
  WDFOBJECT ParentObject;                            /* ignored: no object tree */
  size_t ContextSizeOverride;                        /* ignored: no context memory */
  PCWDF_OBJECT_CONTEXT_TYPE_INFO ContextTypeInfo;    /* ignored */
} WDF_OBJECT_ATTRIBUTES, *PWDF_OBJECT_ATTRIBUTES;

#define WDF_NO_OBJECT_ATTRIBUTES NULL

static inline VOID WDF_OBJECT_ATTRIBUTES_INIT(PWDF_OBJECT_ATTRIBUTES Attributes) {
  Attributes->Size = (ULONG)sizeof(WDF_OBJECT_ATTRIBUTES);
  Attributes->EvtCleanupCallback = NULL;
  Attributes->EvtDestroyCallback = NULL;
  Attributes->ExecutionLevel = WdfExecutionLevelInheritFromParent;
  Attributes->SynchronizationScope = WdfSynchronizationScopeInheritFromParent;
  Attributes->ParentObject = NULL;
  Attributes->ContextSizeOverride = 0;
  Attributes->ContextTypeInfo = NULL;
}

/* ---- Memory objects ------------------------------------------------------------------- */
/* Memory NULL: bug check. BufferSize 0: STATUS_INVALID_PARAMETER (*Memory untouched, as in
 * the KMDF source). Then *Memory = NULL; bad Attributes->Size: STATUS_INFO_LENGTH_MISMATCH;
 * no memory: STATUS_INSUFFICIENT_RESOURCES. *Buffer (if Buffer is not NULL) receives the
 * buffer, whose contents are unspecified. */
UMACCESS_API NTSTATUS WdfMemoryCreate(PWDF_OBJECT_ATTRIBUTES Attributes, POOL_TYPE PoolType,
                                      ULONG PoolTag, size_t BufferSize, WDFMEMORY *Memory,
                                      PVOID *Buffer);
/* Buffer or Memory NULL: bug check. *Memory = NULL, then BufferSize 0:
 * STATUS_INVALID_PARAMETER. The object describes the caller's buffer: deleting it never
 * frees the buffer. */
UMACCESS_API NTSTATUS WdfMemoryCreatePreallocated(PWDF_OBJECT_ATTRIBUTES Attributes,
                                                  PVOID Buffer, size_t BufferSize,
                                                  WDFMEMORY *Memory);
/* The buffer, and its size in *BufferSize if BufferSize is not NULL. */
UMACCESS_API PVOID WdfMemoryGetBuffer(WDFMEMORY Memory, size_t *BufferSize);
/* Checks, in order: the handle (bug check), Buffer NULL (bug check), NumBytesToCopyTo 0
 * (STATUS_INVALID_PARAMETER), SourceOffset != 0 && SourceOffset >= size, then
 * NumBytesToCopyTo > size - SourceOffset (both STATUS_BUFFER_TOO_SMALL). Nothing is written
 * on failure; an exact fit is allowed. */
UMACCESS_API NTSTATUS WdfMemoryCopyToBuffer(WDFMEMORY SourceMemory, size_t SourceOffset,
                                            PVOID Buffer, size_t NumBytesToCopyTo);
/* As WdfMemoryCopyToBuffer, with a read-only object refused (STATUS_ACCESS_VIOLATION) after
 * the count check, and both size checks returning STATUS_INVALID_BUFFER_SIZE (the KMDF
 * source; its documentation says STATUS_BUFFER_TOO_SMALL). */
UMACCESS_API NTSTATUS WdfMemoryCopyFromBuffer(WDFMEMORY DestinationMemory,
                                              size_t DestinationOffset, PVOID Buffer,
                                              size_t NumBytesToCopyFrom);
/* Deletes a memory object: EvtCleanupCallback (handle still valid), then the handle is dead;
 * EvtDestroyCallback and the freeing of a WdfMemoryCreate buffer follow once no other thread
 * is inside a call on the object. */
UMACCESS_API VOID WdfObjectDelete(WDFOBJECT Object);

/* ---- umaccess extensions ---------------------------------------------------------------- */
/* A read-only memory object over the caller's buffer, as KMDF makes for a request's input
 * buffer (WdfRequestRetrieveInputMemory): WdfMemoryCopyFromBuffer into it returns
 * STATUS_ACCESS_VIOLATION. Same checks as WdfMemoryCreatePreallocated. */
UMACCESS_API NTSTATUS UmaWdfMemoryCreatePreallocatedReadOnly(PWDF_OBJECT_ATTRIBUTES Attributes,
                                                             const VOID *Buffer,
                                                             size_t BufferSize,
                                                             WDFMEMORY *Memory);
/* TRUE for a WdfMemoryCreate object, with its pool type and tag (either pointer may be NULL);
 * FALSE, storing nothing, for a preallocated one. */
UMACCESS_API BOOLEAN UmaWdfMemoryGetPoolInfo(WDFMEMORY Memory, POOL_TYPE *PoolType,
                                             ULONG *PoolTag);
/* The number of memory objects not yet freed (deleted objects still in use by a call on
 * another thread included): for leak checks. */
UMACCESS_API size_t UmaWdfObjectCount(void);

#ifdef __cplusplus
}

/* C's implicit void* conversions (see UMA_C_PVOID in umaccess/nt_types.h):
 * `PCHAR p = WdfMemoryGetBuffer(m, &n);` and WdfMemoryCreate(..., &typedPointer). */
#if !defined(UMACCESS_NO_C_VOID_POINTERS) && !defined(UMACCESS_BUILDING)
#define WdfMemoryGetBuffer(...) UMACCESS_C_PVOID_RESULT(WdfMemoryGetBuffer(__VA_ARGS__))
template <class T, class = typename std::enable_if<!std::is_void<T>::value>::type>
inline NTSTATUS WdfMemoryCreate(PWDF_OBJECT_ATTRIBUTES Attributes, POOL_TYPE PoolType,
                                ULONG PoolTag, size_t BufferSize, WDFMEMORY *Memory, T **Buffer) {
  return ::umaccess::detail::call_through_pvoid(Buffer, [&](PVOID *b) {
    return ::WdfMemoryCreate(Attributes, PoolType, PoolTag, BufferSize, Memory, b);
  });
}
#endif
#endif

#endif /* UMACCESS_WDFMEMORY_H */
