/* SPDX-License-Identifier: Apache-2.0 */
/* umaccess/wdm.h - memory descriptor lists (MDLs): IoAllocateMdl, MmProbeAndLockPages,
 * MmGetSystemAddressForMdlSafe, MmUnlockPages, IoFreeMdl, MmBuildMdlForNonPagedPool,
 * IoBuildPartialMdl, MmGetMdlPfnArray; and the I/O request packets and driver objects a WDM
 * driver's dispatch routines use (IRP, IO_STACK_LOCATION, DEVICE_OBJECT, DRIVER_OBJECT,
 * IoCompleteRequest, IoCreateDevice, ...), served by umaccess's I/O manager
 * (src/io_manager.cpp; the host side is umaccess/iohost.h). Windows names and types, after
 * https://learn.microsoft.com/en-us/windows-hardware/drivers/ddi/wdm/. A driver port includes
 * umaccess/ntddk.h, which includes this header with the rest of the WDK vocabulary.
 *
 * Code with its own IRP type (a host written before this header had one) defines
 * UMACCESS_NO_IRP before including it: then only the MDL part is declared, struct _IRP stays
 * incomplete, and IoAllocateMdl must be given a NULL Irp.
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

#ifndef TRUE /* BOOLEAN values (ntdef.h), for IoAllocateMdl's arguments */
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif
struct _EPROCESS; /* opaque: MDL.Process is always NULL here */

/* Windows' page: 4 KiB whatever the host's page size (ARM64 hosts may use 16 or 64 KiB).
 * The macros drivers size things with (wdm.h). */
#ifndef PAGE_SIZE
#define PAGE_SIZE 0x1000
#endif
#ifndef PAGE_SHIFT
#define PAGE_SHIFT 12L
#endif
#define BYTE_OFFSET(Va) ((ULONG)((ULONG_PTR)(Va) & (PAGE_SIZE - 1)))
#define PAGE_ALIGN(Va) ((PVOID)((ULONG_PTR)(Va) & ~(ULONG_PTR)(PAGE_SIZE - 1)))
#define ROUND_TO_PAGES(Size) (((ULONG_PTR)(Size) + PAGE_SIZE - 1) & ~(ULONG_PTR)(PAGE_SIZE - 1))
#define BYTES_TO_PAGES(Size) (((Size) >> PAGE_SHIFT) + (((Size) & (PAGE_SIZE - 1)) != 0))
#define ADDRESS_AND_SIZE_TO_SPAN_PAGES(Va, Size) \
  ((ULONG)((((ULONG_PTR)(Va) & (PAGE_SIZE - 1)) + (Size) + (PAGE_SIZE - 1)) >> PAGE_SHIFT))

typedef ULONG_PTR PFN_NUMBER, *PPFN_NUMBER;

/* The MDL header, field for field as in wdm.h. IoAllocateMdl allocates the PFN array after
 * it (MmGetMdlPfnArray), but Size stays sizeof(MDL), as earlier releases had it. */
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

#ifdef UMACCESS_NO_IRP
struct _IRP; /* the caller's own; pass NULL to IoAllocateMdl */
typedef struct _IRP *PIRP;
#else
struct _IRP;
typedef struct _IRP IRP, *PIRP;
#endif

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
#define MmGetMdlVirtualAddress(Mdl) ((UMA_C_PVOID)((char *)((Mdl)->StartVa) + (Mdl)->ByteOffset))
/* The PFN array after the header: filled on each call with the buffer's virtual page numbers
 * (4 KiB pages; one address space has no other frame numbers). The MDL must have room for
 * it, as on Windows: IoAllocateMdl's do; one a driver lays out itself needs MmSizeOfMdl. */
#define MmGetMdlPfnArray(Mdl) UmaMmGetMdlPfnArray(Mdl)
#define MmSizeOfMdl(Base, Length) \
  ((SIZE_T)(sizeof(MDL) + ADDRESS_AND_SIZE_TO_SPAN_PAGES(Base, Length) * sizeof(PFN_NUMBER)))
#define MmInitializeMdl(MemoryDescriptorList, BaseVa, Length)                     \
  do {                                                                            \
    (MemoryDescriptorList)->Next = NULL;                                          \
    (MemoryDescriptorList)->Size = (CSHORT)(sizeof(MDL) +                         \
        sizeof(PFN_NUMBER) * ADDRESS_AND_SIZE_TO_SPAN_PAGES(BaseVa, Length));     \
    (MemoryDescriptorList)->MdlFlags = 0;                                         \
    (MemoryDescriptorList)->Process = NULL;                                       \
    (MemoryDescriptorList)->MappedSystemVa = NULL;                                \
    (MemoryDescriptorList)->StartVa = PAGE_ALIGN(BaseVa);                         \
    (MemoryDescriptorList)->ByteOffset = BYTE_OFFSET(BaseVa);                     \
    (MemoryDescriptorList)->ByteCount = (ULONG)(Length);                          \
  } while (0)
/* Before a partial MDL is reused or freed (it holds no mapping of its own here). */
#define MmPrepareMdlForReuse(Mdl)                                                     \
  do {                                                                                \
    if (((Mdl)->MdlFlags & MDL_PARTIAL_HAS_BEEN_MAPPED) != 0)                         \
      (Mdl)->MdlFlags &= (CSHORT)~(MDL_PARTIAL_HAS_BEEN_MAPPED | MDL_MAPPED_TO_SYSTEM_VA); \
  } while (0)

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
 * (see above) and locked. KernelMode decides by the address, as Windows does: a range
 * wholly inside the user range is touched as user memory (write-probed for writes; a bad
 * page returns STATUS_ACCESS_VIOLATION or STATUS_IN_PAGE_ERROR), so fastfat- and
 * classpnp-style KernelMode locks of user buffers fail cleanly. Any other range is the
 * caller's own memory: no range check and no write probe, each page read once, and a fault
 * there is the caller's bug: bug check PAGE_FAULT_IN_NONPAGED_AREA. Any Operation but
 * IoReadAccess is a write. Success sets MDL_PAGES_LOCKED, plus MDL_WRITE_OPERATION for
 * writes. umaccess_last_failure() holds the failure's address and direction. */
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

/* An MDL over the caller's own resident memory (nonpaged pool on Windows): nothing is
 * locked; MDL_SOURCE_IS_NONPAGED_POOL is set and MappedSystemVa is the buffer, which
 * MmGetSystemAddressForMdlSafe then returns. Do not MmProbeAndLockPages or MmUnlockPages it. */
UMACCESS_API VOID MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList);

/* TargetMdl describes [VirtualAddress, VirtualAddress + Length) of SourceMdl's buffer
 * (Length 0: to the end of it), with MDL_PARTIAL and the source's mapping flags; its pages
 * stay locked by the source (unlock and free the partial MDL first). A range outside the
 * source's buffer is a bug check DRIVER_VERIFIER_DETECTED_VIOLATION (Windows asserts). */
UMACCESS_API VOID IoBuildPartialMdl(PMDL SourceMdl, PMDL TargetMdl, PVOID VirtualAddress,
                                    ULONG Length);

/* MmGetMdlPfnArray (see the macro above). */
UMACCESS_API PPFN_NUMBER UmaMmGetMdlPfnArray(PMDL Mdl);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#ifndef UMACCESS_NO_IRP
#include "umaccess/wdm_io.h"
#endif

#ifdef __cplusplus
#include "umaccess/umaccess.hpp"

// Raises umaccess::StructuredException with the status umaccess_mm_probe_and_lock_pages
// returns (the exception's address(): the faulting page, the first address outside the user
// range, or the buffer for a lock failure).
inline VOID MmProbeAndLockPages(PMDL Mdl, KPROCESSOR_MODE AccessMode, LOCK_OPERATION Operation) {
  ::umaccess::detail::raise_on_failure(
      umaccess_mm_probe_and_lock_pages(Mdl, AccessMode, Operation));
}
// A UMA_C_PVOID (umaccess/nt_types.h): `PCHAR buffer = MmGetSystemAddressForMdlSafe(...);`
// compiles as in C.
#if !defined(UMACCESS_NO_C_VOID_POINTERS) && !defined(UMACCESS_BUILDING)
#define MmGetSystemAddressForMdlSafe(...) \
  UMACCESS_C_PVOID_RESULT(MmGetSystemAddressForMdlSafe(__VA_ARGS__))
#endif
#endif

#endif /* UMACCESS_WDM_H */
