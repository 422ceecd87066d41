/* umaccess/wdm.h - memory descriptor lists (MDLs): IoAllocateMdl, MmProbeAndLockPages,
 * MmGetSystemAddressForMdlSafe, MmUnlockPages, IoFreeMdl, with the Windows names and types
 * (shared reference api.md §16).
 *
 * On Linux a driver and the "user" buffers it serves share one address space, so an MDL
 * here describes a virtual range and nothing more: there is no PFN array, and the "system
 * address" of a locked MDL is the buffer's own address. What is real:
 *
 *   - MmProbeAndLockPages checks a user-mode range against the thread's user range, then
 *     touches every page through the library's fault-safe assembly (a one-byte read per
 *     page for IoReadAccess; for IoWriteAccess/IoModifyAccess ProbeForWrite's atomic no-op
 *     write, which never changes data, even with concurrent writers), then mlock()s the
 *     pages. A bad pointer becomes STATUS_ACCESS_VIOLATION (STATUS_IN_PAGE_ERROR for a
 *     mapping that cannot supply its page) at the first failing page; an mlock() refused by
 *     RLIMIT_MEMLOCK becomes STATUS_WORKING_SET_QUOTA, any other mlock() failure
 *     STATUS_INSUFFICIENT_RESOURCES. On failure nothing stays locked and the MDL is unchanged.
 *   - Locks are counted per page across MDLs (as Windows counts them per physical page): two
 *     MDLs over the same page both hold it, and the page is munlock()ed when the last one
 *     unlocks. (Pages the program mlock()ed by itself are not counted: the last MDL unlock
 *     over such a page unlocks it.)
 *   - Misuse is a bug check (umaccess_bug_check), as with Driver Verifier: locking an MDL that
 *     is already locked, unlocking one that is not, freeing a locked MDL, a NULL MDL.
 *
 * The mapping is not separate from the user's: the process can still munmap() or mprotect()
 * a locked range (mlock pins residency, not the mapping), so a driver that shares the
 * address space with untrusted code should keep using the fault-safe accessors on it.
 *
 * C code calls umaccess_mm_probe_and_lock_pages(), which returns the status; C++ code also
 * has MmProbeAndLockPages(), which raises umaccess::StructuredException as Windows raises.
 */
#ifndef UMACCESS_WDM_H
#define UMACCESS_WDM_H

#include "umaccess/umaccess.h"

#ifdef UMACCESS_NO_WINDOWS_TYPES
#error "umaccess/wdm.h needs the Windows types: do not define UMACCESS_NO_WINDOWS_TYPES"
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef short CSHORT;
#ifndef TRUE /* BOOLEAN values (ntdef.h), for IoAllocateMdl's arguments */
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif
struct _EPROCESS; /* opaque: MDL.Process is always NULL here */

/* The MDL header, field for field as in wdm.h. Size is sizeof(MDL): no PFN array follows. */
typedef struct _MDL {
  struct _MDL *Next;
  CSHORT Size;
  CSHORT MdlFlags;
  struct _EPROCESS *Process;
  PVOID MappedSystemVa; /* set by MmGetSystemAddressForMdlSafe */
  PVOID StartVa;        /* the buffer's address rounded down to its page */
  ULONG ByteCount;
  ULONG ByteOffset;     /* the buffer's offset in that page */
} MDL, *PMDL;

/* MdlFlags (wdm.h values). umaccess sets MDL_PAGES_LOCKED, MDL_WRITE_OPERATION and
 * MDL_MAPPED_TO_SYSTEM_VA; the others are defined for code that tests them. */
#define MDL_MAPPED_TO_SYSTEM_VA     0x0001
#define MDL_PAGES_LOCKED            0x0002
#define MDL_SOURCE_IS_NONPAGED_POOL 0x0004
#define MDL_ALLOCATED_FIXED_SIZE    0x0008
#define MDL_PARTIAL                 0x0010
#define MDL_PARTIAL_HAS_BEEN_MAPPED 0x0020
#define MDL_IO_PAGE_READ            0x0040
#define MDL_WRITE_OPERATION         0x0080
#define MDL_IO_SPACE                0x0800
#define MDL_MAPPING_CAN_FAIL        0x2000

/* A minimal IRP: only the field the MDL routines use (not the Windows layout). */
typedef struct _IRP {
  PMDL MdlAddress;
} IRP, *PIRP;

typedef enum _LOCK_OPERATION {
  IoReadAccess = 0,
  IoWriteAccess = 1,
  IoModifyAccess = 2 /* the same as IoWriteAccess */
} LOCK_OPERATION;

/* MmGetSystemAddressForMdlSafe priorities, optionally ORed with the mapping flags. */
typedef enum _MM_PAGE_PRIORITY {
  LowPagePriority = 0,
  NormalPagePriority = 16,
  HighPagePriority = 32
} MM_PAGE_PRIORITY;
#define MdlMappingNoWrite   0x80000000u
#define MdlMappingNoExecute 0x40000000u

/* The wdm.h accessor macros. */
#define MmGetMdlBaseVa(Mdl)         ((Mdl)->StartVa)
#define MmGetMdlByteCount(Mdl)      ((Mdl)->ByteCount)
#define MmGetMdlByteOffset(Mdl)     ((Mdl)->ByteOffset)
#define MmGetMdlVirtualAddress(Mdl) ((PVOID)((char *)((Mdl)->StartVa) + (Mdl)->ByteOffset))

/* Bug checks for MDL misuse (bugcodes.h). */
#ifndef PROCESS_HAS_LOCKED_PAGES
#define PROCESS_HAS_LOCKED_PAGES            0x00000076u /* 1: unlocking an unlocked MDL */
#endif
#ifndef DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS
#define DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS 0x000000CBu /* freeing a locked MDL */
#endif
#ifndef LOCKED_PAGES_TRACKER_CORRUPTION
#define LOCKED_PAGES_TRACKER_CORRUPTION     0x000000D9u /* 1: locking an MDL twice */
#endif

/* A zeroed MDL for [VirtualAddress, VirtualAddress + Length), pages not locked, or NULL:
 * Length 0 (ReactOS asserts it is not; Windows leaves it undefined), Length above
 * 4 GB - page size (the Windows 7+ limit), or no memory. ChargeQuota is ignored. With an
 * Irp, SecondaryBuffer FALSE makes the MDL Irp->MdlAddress (replacing any chain there);
 * TRUE appends it to the end of Irp->MdlAddress's chain (or starts the chain if empty). */
UMACCESS_API PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer,
                                BOOLEAN ChargeQuota, PIRP Irp);

/* MmProbeAndLockPages as a status (STATUS_SUCCESS, or what Windows raises). AccessMode other
 * than KernelMode: [va, va + ByteCount) must be non-empty and wholly inside the thread's
 * user range (else STATUS_ACCESS_VIOLATION, nothing touched), then every page is touched
 * (see above) and locked. KernelMode: no range check and no write probe (kernel pointers
 * are trusted, as in ReactOS); each page is read once, and a fault there is the caller's
 * bug: bug check PAGE_FAULT_IN_NONPAGED_AREA. Any Operation but IoReadAccess is a write
 * (as ReactOS). Success sets MDL_PAGES_LOCKED, plus MDL_WRITE_OPERATION for writes.
 * umaccess_last_failure() holds the failure's address and direction. */
UMACCESS_API umaccess_ntstatus umaccess_mm_probe_and_lock_pages(PMDL Mdl,
                                                                umaccess_processor_mode AccessMode,
                                                                LOCK_OPERATION Operation);

/* The locked MDL's buffer (StartVa + ByteOffset: one address space), recorded in
 * MappedSystemVa with MDL_MAPPED_TO_SYSTEM_VA. An MDL already mapped (or flagged
 * MDL_SOURCE_IS_NONPAGED_POOL) returns MappedSystemVa, as the wdm.h macro does. An MDL
 * that is not locked returns NULL, the routine's failure result (Windows leaves it
 * undefined). Priority and the MdlMapping flags are accepted and ignored: no separate
 * mapping exists to protect. */
UMACCESS_API PVOID MmGetSystemAddressForMdlSafe(PMDL Mdl, ULONG Priority);

/* Releases the system address and the page locks (a page stays locked while another MDL
 * holds it), clears MDL_PAGES_LOCKED, MDL_WRITE_OPERATION, MDL_MAPPED_TO_SYSTEM_VA and
 * MappedSystemVa. An MDL that is not locked: bug check PROCESS_HAS_LOCKED_PAGES (1, Mdl). */
UMACCESS_API VOID MmUnlockPages(PMDL Mdl);

/* Frees this MDL only (not its Next chain, not the buffer). A still-locked MDL would leak
 * its locked pages: bug check DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS (0, 0, Mdl, pages);
 * call MmUnlockPages first. */
UMACCESS_API VOID IoFreeMdl(PMDL Mdl);

#ifdef __cplusplus
}  /* extern "C" */

#include "umaccess/umaccess.hpp"

// Raises umaccess::StructuredException with the status umaccess_mm_probe_and_lock_pages
// returns (the exception's address(): the faulting page, the first address outside the user
// range, or the buffer for a lock failure).
inline VOID MmProbeAndLockPages(PMDL Mdl, KPROCESSOR_MODE AccessMode, LOCK_OPERATION Operation) {
  ::umaccess::detail::raise_on_failure(
      umaccess_mm_probe_and_lock_pages(Mdl, AccessMode, Operation));
}
#endif

#endif /* UMACCESS_WDM_H */
