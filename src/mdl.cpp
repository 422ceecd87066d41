// SPDX-License-Identifier: Apache-2.0
// src/mdl.cpp - memory descriptor lists over one address space (umaccess/wdm.h):
// IoAllocateMdl, MmProbeAndLockPages (a fault-safe touch of every page, then mlock),
// MmGetSystemAddressForMdlSafe, MmUnlockPages, IoFreeMdl, and the MDLs drivers build
// themselves: MmBuildMdlForNonPagedPool, IoBuildPartialMdl, MmGetMdlPfnArray.
//
// MmProbeAndLockPages decides by the address, as Windows does: a range inside the thread's
// user range is probed as user memory whatever AccessMode says (a write probe for
// IoWriteAccess/IoModifyAccess, a bad page raises STATUS_ACCESS_VIOLATION), because
// drivers such as fastfat and classpnp lock user buffers with KernelMode
// (https://learn.microsoft.com/en-us/windows-hardware/drivers/ddi/wdm/nf-wdm-mmprobeandlockpages).
// Only a range outside the user range is the caller's own memory, read without recovery.
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>

#include "failure.h"
#include "kernels.h"
#include "umaccess/wdm.h"
#include "user_range.h"

namespace umaccess::detail {

// mlock's errno (or kNoMemoryForCounts) as the status MmProbeAndLockPages raises: over
// RLIMIT_MEMLOCK mlock fails with ENOMEM (EPERM when the limit is 0), which Windows reports
// for a lock beyond the working-set quota; anything else is a lack of resources.
// Not static: the tests reach it to check every mapping.
constexpr int kNoMemoryForCounts = -1;
umaccess_ntstatus mdl_status_from_lock_error(int error) {
  return error == ENOMEM || error == EPERM ? STATUS_WORKING_SET_QUOTA
                                           : STATUS_INSUFFICIENT_RESOURCES;
}

namespace {

constexpr const char* kProbeAndLock = "MmProbeAndLockPages";
// A user-mode lock touches user memory (faults become statuses); a kernel-mode lock touches
// the caller's own memory (a fault is its bug: fail_fault bug-checks).
constexpr Operation kUserLock{kProbeAndLock, Side::User, Side::User};
constexpr Operation kKernelLock{kProbeAndLock, Side::Kernel, Side::Kernel};

std::uintptr_t page_size() {
  static const auto size = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  return size;
}

std::uintptr_t mdl_address(const MDL& mdl) {
  return reinterpret_cast<std::uintptr_t>(mdl.StartVa) + mdl.ByteOffset;
}

// The pages an MDL's buffer touches: [first, first + count * page size). None if empty.
struct PageSpan {
  std::uintptr_t first;
  std::size_t count;
  std::uintptr_t page(std::size_t i) const { return first + i * page_size(); }
};

PageSpan span_of(const MDL& mdl) {
  const std::uintptr_t va = mdl_address(mdl);
  const std::uintptr_t first = va & ~(page_size() - 1);
  if (mdl.ByteCount == 0) return {first, 0};
  return {first, (va - first + mdl.ByteCount + page_size() - 1) / page_size()};
}

void set_flags(MDL& mdl, int flags) { mdl.MdlFlags = static_cast<CSHORT>(mdl.MdlFlags | flags); }
void clear_flags(MDL& mdl, int flags) { mdl.MdlFlags = static_cast<CSHORT>(mdl.MdlFlags & ~flags); }

// Lock counts of the pages MDLs hold, as Windows counts locks per physical page: a page is
// mlock()ed when the first MDL over it locks and munlock()ed when the last one unlocks, so
// MDLs sharing a page (two buffers in one page, an IRP's MDL and a driver's own) nest.
class PageLocks {
 public:
  // Counts and mlock()s the span's pages; returns 0, or the errno of the failing mlock (or
  // kNoMemoryForCounts), and then nothing new stays locked or counted.
  int lock(const MDL* mdl, PageSpan s) {
    std::lock_guard<std::mutex> guard(mutex_);
    try {
      spans_[mdl] = s;
    } catch (const std::bad_alloc&) {
      return kNoMemoryForCounts;
    }
    if (!add(s)) {
      spans_.erase(mdl);
      return kNoMemoryForCounts;
    }
    int error = 0;
    for_each_run(s, 1, [&](std::uintptr_t start, std::size_t bytes) {  // newly counted pages
      if (mlock(reinterpret_cast<void*>(start), bytes) == 0) return true;
      error = errno;
      return false;
    });
    if (error != 0) {
      // Undo every mlock of the pages this call counted (the failing run may be partly
      // locked; the runs after it were not locked, and munlock on them changes nothing).
      munlock_runs(s);
      remove(s, s.count);
      spans_.erase(mdl);
    }
    return error;
  }

  // The span `mdl` locked (as it was then: a driver may have edited the MDL since), if any.
  bool locked_span(const MDL* mdl, PageSpan* out) {
    std::lock_guard<std::mutex> guard(mutex_);
    const auto it = spans_.find(mdl);
    if (it == spans_.end()) return false;
    *out = it->second;
    return true;
  }

  // munlock()s the pages `mdl`'s locked span alone still holds, then uncounts it.
  void unlock(const MDL* mdl) {
    std::lock_guard<std::mutex> guard(mutex_);
    const auto it = spans_.find(mdl);
    if (it == spans_.end()) return;
    munlock_runs(it->second);
    remove(it->second, it->second.count);
    spans_.erase(it);
  }

  // Pages locked by MDLs, for bug-check parameters.
  std::size_t pages() {
    std::lock_guard<std::mutex> guard(mutex_);
    return counts_.size();
  }

 private:
  bool add(PageSpan s) {
    std::size_t i = 0;
    try {
      for (; i < s.count; ++i) ++counts_[s.page(i)];
    } catch (const std::bad_alloc&) {
      remove(s, i);
      return false;
    }
    return true;
  }

  void remove(PageSpan s, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto it = counts_.find(s.page(i));
      if (--it->second == 0) counts_.erase(it);
    }
  }

  // Calls f(start, bytes) for each maximal run of the span's pages whose count is `count`,
  // while f returns true.
  template <typename F>
  void for_each_run(PageSpan s, std::size_t count, F&& f) {
    std::size_t i = 0;
    while (i < s.count) {
      if (counts_.at(s.page(i)) != count) {
        ++i;
        continue;
      }
      const std::size_t begin = i;
      while (i < s.count && counts_.at(s.page(i)) == count) ++i;
      if (!f(s.page(begin), (i - begin) * page_size())) return;
    }
  }

  // munlock() the span's pages that no other MDL holds (count 1). An munlock error means
  // the pages were unmapped meanwhile: nothing is locked there any more.
  void munlock_runs(PageSpan s) {
    for_each_run(s, 1, [](std::uintptr_t start, std::size_t bytes) {
      munlock(reinterpret_cast<void*>(start), bytes);
      return true;
    });
  }

  std::mutex mutex_;
  std::unordered_map<std::uintptr_t, std::size_t> counts_;
  std::unordered_map<const MDL*, PageSpan> spans_;  // what each locked MDL locked
};

PageLocks& page_locks() {
  static PageLocks* locks = new PageLocks;  // never destroyed: usable from static destructors
  return *locks;
}

// Pages of PAGE_SIZE (4 KiB, Windows' page, whatever the host's) that [va, va + length)
// spans: ADDRESS_AND_SIZE_TO_SPAN_PAGES, the length of an MDL's PFN array.
std::size_t windows_pages(const void* va, std::size_t length) {
  const auto offset = reinterpret_cast<std::uintptr_t>(va) & (PAGE_SIZE - 1);
  return (offset + length + PAGE_SIZE - 1) / PAGE_SIZE;
}

void require_mdl(const MDL* mdl, const char* operation) {
  if (mdl == nullptr)
    bug_check_in(operation, PAGE_FAULT_IN_NONPAGED_AREA, 0, 0, 0, 0,
                 "the MDL pointer is NULL");
}

// Touches every page of the MDL's buffer once, for reading (a one-byte read) or writing
// (ProbeForWrite's atomic no-op write), in address order from the buffer's first byte.
// Returns STATUS_SUCCESS, or the status of the first faulting page (recorded for
// umaccess_last_failure); a fault of a kernel-mode lock is a bug check.
umaccess_ntstatus touch_pages(const Operation& op, const MDL& mdl, bool write) {
  const std::uintptr_t va = mdl_address(mdl);
  const PageSpan span = span_of(mdl);
  uma_fault_record rec;
  if (write) {
    const std::size_t left = uma_probe_write(reinterpret_cast<void*>(va), mdl.ByteCount, &rec);
    return left == 0 ? STATUS_SUCCESS : fail_fault(op, mdl.ByteCount - left, rec, nullptr);
  }
  for (std::size_t i = 0; i < span.count; ++i) {
    const std::uintptr_t p = i == 0 ? va : span.page(i);
    if (uma_read_8(reinterpret_cast<const void*>(p), &rec).failed != 0)
      return fail_fault(op, p - va, rec, nullptr);
  }
  return STATUS_SUCCESS;
}

umaccess_ntstatus probe_and_lock(MDL& mdl, bool user_mode, bool write) {
  const std::uintptr_t va = mdl_address(mdl);
  // A KernelMode lock of a range inside the user range treats it as user memory: probed,
  // write-probed for writes, faults become statuses (Windows decides by the address).
  const bool user =
      user_mode || (mdl.ByteCount != 0 && user_range_allows(reinterpret_cast<void*>(va),
                                                            mdl.ByteCount));
  const Operation& op = user ? kUserLock : kKernelLock;
  if (user_mode) {
    // ReactOS: an empty range, one past the user range or one that wraps raises before
    // anything is touched.
    if (mdl.ByteCount == 0)
      return fail_check(op, STATUS_ACCESS_VIOLATION, reinterpret_cast<void*>(va), write);
    if (!user_range_allows(reinterpret_cast<void*>(va), mdl.ByteCount))
      return fail_range(op, reinterpret_cast<void*>(va), write, nullptr);
  } else if (!user) {
    ensure_initialized();  // the fault handler, for the bug check on a bad kernel buffer
    write = false;         // kernel addresses get no write probe
  }
  umaccess_ntstatus status = touch_pages(op, mdl, write);
  if (status != STATUS_SUCCESS) return status;

  const int error = page_locks().lock(&mdl, span_of(mdl));
  if (error != 0) {
    // ENOMEM also means "part of the range is not mapped": another thread unmapped it after
    // the touch. Touching again tells that (a fault, reported as such) from the lock limit.
    if (error == ENOMEM && (status = touch_pages(op, mdl, write)) != STATUS_SUCCESS)
      return status;
    return fail_check(op, mdl_status_from_lock_error(error), reinterpret_cast<void*>(va), write);
  }
  return STATUS_SUCCESS;
}

}  // namespace
}  // namespace umaccess::detail

using namespace umaccess::detail;

extern "C" {

PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer,
                   BOOLEAN /*ChargeQuota*/, PIRP Irp) {
  if (Length == 0 || Length > (std::uint64_t{1} << 32) - page_size()) return nullptr;
  // Room for the PFN array after the header, as Windows allocates it (MmGetMdlPfnArray).
  auto* mdl = static_cast<PMDL>(
      std::calloc(1, sizeof(MDL) + windows_pages(VirtualAddress, Length) * sizeof(PFN_NUMBER)));
  if (mdl == nullptr) return nullptr;
  const auto va = reinterpret_cast<std::uintptr_t>(VirtualAddress);
  mdl->Size = static_cast<CSHORT>(sizeof(MDL));
  mdl->StartVa = reinterpret_cast<PVOID>(va & ~(page_size() - 1));
  mdl->ByteOffset = static_cast<ULONG>(va & (page_size() - 1));
  mdl->ByteCount = Length;
  if (Irp != nullptr) {
    if (SecondaryBuffer && Irp->MdlAddress != nullptr) {
      PMDL last = Irp->MdlAddress;
      while (last->Next != nullptr) last = last->Next;
      last->Next = mdl;
    } else {
      Irp->MdlAddress = mdl;
    }
  }
  return mdl;
}

umaccess_ntstatus umaccess_mm_probe_and_lock_pages(PMDL Mdl, umaccess_processor_mode AccessMode,
                                                   LOCK_OPERATION Operation) {
  require_mdl(Mdl, kProbeAndLock);
  if ((Mdl->MdlFlags & MDL_PAGES_LOCKED) != 0) {
    // Windows' locked-page tracker finds the MDL inserted twice.
    char message[160];
    std::snprintf(message, sizeof message,
                  "MDL %p is already locked: each MmProbeAndLockPages needs its MmUnlockPages "
                  "before the MDL is locked again", static_cast<void*>(Mdl));
    bug_check_in(kProbeAndLock, LOCKED_PAGES_TRACKER_CORRUPTION, 1, 0,
                 reinterpret_cast<std::uintptr_t>(Mdl), page_locks().pages(), message);
  }
  const bool write = Operation != IoReadAccess;
  const umaccess_ntstatus status = probe_and_lock(*Mdl, AccessMode != KernelMode, write);
  if (status != STATUS_SUCCESS) return status;
  set_flags(*Mdl, MDL_PAGES_LOCKED);
  if (write)
    set_flags(*Mdl, MDL_WRITE_OPERATION);
  else
    clear_flags(*Mdl, MDL_WRITE_OPERATION);
  return STATUS_SUCCESS;
}

PVOID MmGetSystemAddressForMdlSafe(PMDL Mdl, ULONG /*Priority*/) {
  require_mdl(Mdl, "MmGetSystemAddressForMdlSafe");
  if ((Mdl->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL)) != 0)
    return Mdl->MappedSystemVa;
  // A partial MDL's pages are locked by its source MDL.
  const bool partial = (Mdl->MdlFlags & MDL_PARTIAL) != 0;
  if ((Mdl->MdlFlags & MDL_PAGES_LOCKED) == 0 && !partial) return nullptr;
  Mdl->MappedSystemVa = reinterpret_cast<PVOID>(mdl_address(*Mdl));
  set_flags(*Mdl, MDL_MAPPED_TO_SYSTEM_VA | (partial ? MDL_PARTIAL_HAS_BEEN_MAPPED : 0));
  return Mdl->MappedSystemVa;
}

VOID MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList) {
  require_mdl(MemoryDescriptorList, "MmBuildMdlForNonPagedPool");
  // The pages are the caller's own, resident memory: nothing to lock. The system address is
  // the buffer (one address space), so MmGetSystemAddressForMdlSafe returns it.
  MemoryDescriptorList->Process = nullptr;
  MemoryDescriptorList->MappedSystemVa =
      reinterpret_cast<PVOID>(mdl_address(*MemoryDescriptorList));
  set_flags(*MemoryDescriptorList, MDL_SOURCE_IS_NONPAGED_POOL);
}

VOID IoBuildPartialMdl(PMDL SourceMdl, PMDL TargetMdl, PVOID VirtualAddress, ULONG Length) {
  require_mdl(SourceMdl, "IoBuildPartialMdl");
  require_mdl(TargetMdl, "IoBuildPartialMdl");
  const std::uintptr_t source = mdl_address(*SourceMdl);
  const auto va = reinterpret_cast<std::uintptr_t>(VirtualAddress);
  const std::uintptr_t offset = va - source;
  if (va < source || offset > SourceMdl->ByteCount ||
      (Length != 0 && Length > SourceMdl->ByteCount - offset)) {
    char message[192];
    std::snprintf(message, sizeof message,
                  "[%#zx, +%u) is not inside the source MDL %p's buffer [%#zx, +%u)",
                  static_cast<std::size_t>(va), static_cast<unsigned>(Length),
                  static_cast<void*>(SourceMdl), static_cast<std::size_t>(source),
                  static_cast<unsigned>(SourceMdl->ByteCount));
    bug_check_in("IoBuildPartialMdl", DRIVER_VERIFIER_DETECTED_VIOLATION, 0,
                 reinterpret_cast<std::uintptr_t>(SourceMdl), va, Length, message);
  }
  if (Length == 0) Length = static_cast<ULONG>(SourceMdl->ByteCount - offset);
  TargetMdl->StartVa = reinterpret_cast<PVOID>(va & ~(page_size() - 1));
  TargetMdl->ByteOffset = static_cast<ULONG>(va & (page_size() - 1));
  TargetMdl->ByteCount = Length;
  TargetMdl->Process = SourceMdl->Process;
  constexpr int kInherited =
      MDL_IO_PAGE_READ | MDL_SOURCE_IS_NONPAGED_POOL | MDL_MAPPED_TO_SYSTEM_VA | MDL_IO_SPACE;
  TargetMdl->MdlFlags = static_cast<CSHORT>((TargetMdl->MdlFlags & MDL_ALLOCATED_FIXED_SIZE) |
                                            (SourceMdl->MdlFlags & kInherited) | MDL_PARTIAL);
  TargetMdl->MappedSystemVa =
      (SourceMdl->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL)) != 0
          ? static_cast<char*>(SourceMdl->MappedSystemVa) + offset
          : nullptr;
}

PPFN_NUMBER UmaMmGetMdlPfnArray(PMDL Mdl) {
  require_mdl(Mdl, "MmGetMdlPfnArray");
  // One address space: a page's "frame number" is its virtual page number (4 KiB pages).
  // Written on each call into the array that follows the header, as on Windows.
  auto* pfns = reinterpret_cast<PPFN_NUMBER>(Mdl + 1);
  const std::uintptr_t first = mdl_address(*Mdl) / PAGE_SIZE;
  const std::size_t count = windows_pages(reinterpret_cast<void*>(mdl_address(*Mdl)), Mdl->ByteCount);
  for (std::size_t i = 0; i < count; ++i) pfns[i] = first + i;
  return pfns;
}

VOID MmUnlockPages(PMDL Mdl) {
  require_mdl(Mdl, "MmUnlockPages");
  if ((Mdl->MdlFlags & MDL_PAGES_LOCKED) == 0) {
    char message[160];
    std::snprintf(message, sizeof message,
                  "MDL %p is not locked: it was never locked by MmProbeAndLockPages, or it "
                  "was unlocked already", static_cast<void*>(Mdl));
    bug_check_in("MmUnlockPages", PROCESS_HAS_LOCKED_PAGES, 1,
                 reinterpret_cast<std::uintptr_t>(Mdl), page_locks().pages(), 0, message);
  }
  // Unlock what was locked, never what the MDL describes now: a driver that edited
  // ByteCount, StartVa or ByteOffset in between would otherwise unlock pages it never
  // locked (or leave some locked). That edit is a bug: report it, naming the MDL.
  PageSpan locked{0, 0};
  const PageSpan now = span_of(*Mdl);
  if (!page_locks().locked_span(Mdl, &locked) || locked.first != now.first || locked.count != now.count) {
    char message[256];
    std::snprintf(message, sizeof message,
                  "MDL %p was changed while its pages were locked (it now describes %zu page(s) "
                  "at %#zx%s); StartVa, ByteOffset and ByteCount must stay as "
                  "MmProbeAndLockPages found them until MmUnlockPages",
                  static_cast<void*>(Mdl), now.count, static_cast<std::size_t>(now.first),
                  page_locks().locked_span(Mdl, &locked) ? "" : ", and umaccess never locked it");
    bug_check_in("MmUnlockPages", LOCKED_PAGES_TRACKER_CORRUPTION, 2,
                 reinterpret_cast<std::uintptr_t>(Mdl), locked.count, now.count, message);
  }
  page_locks().unlock(Mdl);
  Mdl->MappedSystemVa = nullptr;
  clear_flags(*Mdl, MDL_PAGES_LOCKED | MDL_WRITE_OPERATION | MDL_MAPPED_TO_SYSTEM_VA);
}

VOID IoFreeMdl(PMDL Mdl) {
  require_mdl(Mdl, "IoFreeMdl");
  if ((Mdl->MdlFlags & MDL_PAGES_LOCKED) != 0) {
    const std::size_t pages = span_of(*Mdl).count;
    char message[192];
    std::snprintf(message, sizeof message,
                  "MDL %p still has its %zu page(s) locked: freeing it would leak the locks; "
                  "call MmUnlockPages first", static_cast<void*>(Mdl), pages);
    bug_check_in("IoFreeMdl", DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS, 0, 0,
                 reinterpret_cast<std::uintptr_t>(Mdl), pages, message);
  }
  std::free(Mdl);
}

}  // extern "C"
