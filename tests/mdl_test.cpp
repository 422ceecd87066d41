// SPDX-License-Identifier: Apache-2.0
// tests/mdl_test.cpp - MDLs (umaccess/wdm.h) against the Windows rules
// (https://learn.microsoft.com/en-us/windows-hardware/drivers/ddi/wdm/nf-wdm-mmprobeandlockpages
// and the pages beside it; ReactOS's ntoskrnl/mm/ARM3/mdlsup.c) and this library's
// decisions: every page touched fault-safely before mlock,
// nothing left locked on failure, lock counts per page, the lock limit as
// STATUS_WORKING_SET_QUOTA, and bug checks for misuse. "Locked" is read from VmLck in
// /proc/self/status (the host's, under qemu-user, which passes mlock through).
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <memory>
#include <thread>

#include "support.h"
#include "umaccess/wdm.h"

namespace umaccess::detail {
umaccess_ntstatus mdl_status_from_lock_error(int error);  // src/mdl.cpp
}

namespace umatest {
namespace {

using umaccess::StructuredException;

std::uintptr_t addr(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

// AddressSanitizer and ThreadSanitizer replace mlock/munlock with no-ops (their shadow memory
// cannot be locked): under them VmLck does not move, so the locked-page assertions are off and
// the tests that need mlock to fail are skipped; everything else about the MDLs still runs.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UMATEST_MLOCK_OBSERVABLE 0
#define EXPECT_LOCKED(expected) \
  if (true) {                   \
  } else                        \
    EXPECT_EQ(locked_bytes(), (expected))
#else
#define UMATEST_MLOCK_OBSERVABLE 1
#define EXPECT_LOCKED(expected) EXPECT_EQ(locked_bytes(), (expected))
#endif

// VmLck of this process in bytes.
long long locked_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmLck:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  ADD_FAILURE() << "no VmLck in /proc/self/status";
  return -1;
}
long long pages(std::size_t n) { return static_cast<long long>(n * page_size()); }

// An MDL that is unlocked (if need be) and freed at the end of the scope.
struct MdlRelease {
  void operator()(MDL* mdl) const {
    if (mdl->MdlFlags & MDL_PAGES_LOCKED) MmUnlockPages(mdl);
    IoFreeMdl(mdl);
  }
};
using MdlPtr = std::unique_ptr<MDL, MdlRelease>;
MdlPtr make_mdl(void* va, std::size_t length) {
  MDL* mdl = IoAllocateMdl(va, static_cast<ULONG>(length), FALSE, FALSE, nullptr);
  EXPECT_NE(mdl, nullptr);
  return MdlPtr(mdl);
}

constexpr LOCK_OPERATION kOperations[] = {IoReadAccess, IoWriteAccess, IoModifyAccess};

TEST(Mdl, AllocateDescribesTheBufferWithoutLockingIt) {
  GuardedRegion region(4 * page_size());
  const long long before = locked_bytes();
  char* va = region.begin() + page_size() - 3;  // unaligned, spanning three pages
  MdlPtr mdl = make_mdl(va, page_size() + 6);
  EXPECT_EQ(mdl->Next, nullptr);
  EXPECT_EQ(mdl->Size, static_cast<CSHORT>(sizeof(MDL)));
  EXPECT_EQ(mdl->MdlFlags, 0);
  EXPECT_EQ(mdl->Process, nullptr);
  EXPECT_EQ(mdl->MappedSystemVa, nullptr);
  EXPECT_EQ(mdl->StartVa, region.begin());
  EXPECT_EQ(MmGetMdlBaseVa(mdl.get()), region.begin());
  EXPECT_EQ(MmGetMdlByteOffset(mdl.get()), page_size() - 3);
  EXPECT_EQ(MmGetMdlByteCount(mdl.get()), page_size() + 6);
  EXPECT_EQ(MmGetMdlVirtualAddress(mdl.get()), va);
  EXPECT_LOCKED(before);
  // The description needs no accessible memory (ChargeQuota is ignored).
  MDL* anywhere =
      IoAllocateMdl(reinterpret_cast<void*>(UINTPTR_MAX - 10), 100, FALSE, TRUE, nullptr);
  ASSERT_NE(anywhere, nullptr);
  EXPECT_EQ(MmGetMdlVirtualAddress(anywhere), reinterpret_cast<void*>(UINTPTR_MAX - 10));
  IoFreeMdl(anywhere);
}

TEST(Mdl, AllocateRefusesZeroAndOversizedLengths) {
  static char buffer[16];
  EXPECT_EQ(IoAllocateMdl(buffer, 0, FALSE, FALSE, nullptr), nullptr);
  const auto max = static_cast<ULONG>((std::uint64_t{1} << 32) - page_size());  // 4 GB - page
  MDL* largest = IoAllocateMdl(buffer, max, FALSE, FALSE, nullptr);
  ASSERT_NE(largest, nullptr);
  EXPECT_EQ(largest->ByteCount, max);
  IoFreeMdl(largest);
  EXPECT_EQ(IoAllocateMdl(buffer, max + 1, FALSE, FALSE, nullptr), nullptr);
  EXPECT_EQ(IoAllocateMdl(buffer, 0xFFFFFFFFu, FALSE, FALSE, nullptr), nullptr);
}

TEST(Mdl, AllocateChainsOnTheIrp) {
  static char buffer[64];
  IRP irp{};
  PMDL first = IoAllocateMdl(buffer, 8, FALSE, FALSE, &irp);
  EXPECT_EQ(irp.MdlAddress, first);
  PMDL second = IoAllocateMdl(buffer + 8, 8, TRUE, FALSE, &irp);
  PMDL third = IoAllocateMdl(buffer + 16, 8, TRUE, FALSE, &irp);
  EXPECT_EQ(irp.MdlAddress, first);  // secondary buffers go to the end of the chain
  EXPECT_EQ(first->Next, second);
  EXPECT_EQ(second->Next, third);
  EXPECT_EQ(third->Next, nullptr);
  // A primary buffer becomes Irp->MdlAddress.
  PMDL primary = IoAllocateMdl(buffer + 24, 8, FALSE, FALSE, &irp);
  EXPECT_EQ(irp.MdlAddress, primary);
  // A secondary buffer on an IRP without MDLs starts the chain.
  IRP empty{};
  PMDL lone = IoAllocateMdl(buffer, 8, TRUE, FALSE, &empty);
  EXPECT_EQ(empty.MdlAddress, lone);
  // IoFreeMdl frees one MDL, not its chain (ASan would see a freed second or third).
  IoFreeMdl(first);
  EXPECT_EQ(second->Next, third);
  EXPECT_EQ(MmGetMdlVirtualAddress(third), buffer + 16);
  for (PMDL m : {second, third, primary, lone}) IoFreeMdl(m);
}

TEST(Mdl, EveryOperationLocksEveryPageAndUnlockReleasesThem) {
  GuardedRegion region(4 * page_size());
  const long long before = locked_bytes();
  for (LOCK_OPERATION op : kOperations) {
    MdlPtr mdl = make_mdl(region.begin() + 10, 3 * page_size());  // four pages
    MmProbeAndLockPages(mdl.get(), UserMode, op);
    const int write = op == IoReadAccess ? 0 : MDL_WRITE_OPERATION;
    EXPECT_EQ(mdl->MdlFlags, MDL_PAGES_LOCKED | write) << op;
    EXPECT_LOCKED(before + pages(4)) << op;
    MmUnlockPages(mdl.get());
    EXPECT_EQ(mdl->MdlFlags, 0) << op;
    EXPECT_LOCKED(before) << op;
  }
}

TEST(Mdl, UnalignedBufferLocksEveryPageItTouches) {
  GuardedRegion region(4 * page_size());
  const long long before = locked_bytes();
  // page - 3 .. 2 pages + 3: the last 3 bytes of page 0, all of page 1, 3 bytes of page 2.
  MdlPtr mdl = make_mdl(region.begin() + page_size() - 3, page_size() + 6);
  MmProbeAndLockPages(mdl.get(), UserMode, IoModifyAccess);
  EXPECT_LOCKED(before + pages(3));
  MmUnlockPages(mdl.get());
  // One byte on each side of a page boundary: two pages.
  MdlPtr two = make_mdl(region.begin() + 2 * page_size() - 1, 2);
  MmProbeAndLockPages(two.get(), UserMode, IoReadAccess);
  EXPECT_LOCKED(before + pages(2));
  MmUnlockPages(two.get());
  EXPECT_LOCKED(before);
}

TEST(Mdl, ReadOnlyPagesLockForReadingOnly) {
  GuardedRegion region(4 * page_size());
  fill_pattern(region.begin(), region.size(), 3);
  region.protect(2 * page_size(), 2 * page_size(), PROT_READ);
  const long long before = locked_bytes();
  MdlPtr mdl = make_mdl(region.begin() + 100, 3 * page_size());
  MmProbeAndLockPages(mdl.get(), UserMode, IoReadAccess);
  EXPECT_LOCKED(before + pages(4));
  MmUnlockPages(mdl.get());
  for (LOCK_OPERATION op : {IoWriteAccess, IoModifyAccess}) {
    const auto e = expect_raise([&] { MmProbeAndLockPages(mdl.get(), UserMode, op); });
    EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION) << op;
    EXPECT_EQ(e.address(), addr(region.begin() + 2 * page_size())) << op;  // first read-only page
    EXPECT_TRUE(e.is_write()) << op;
    EXPECT_STREQ(e.operation(), "MmProbeAndLockPages");
    EXPECT_NE(e.kernel(), nullptr);  // found by touching
    EXPECT_EQ(mdl->MdlFlags, 0) << op;
    EXPECT_LOCKED(before) << "nothing may stay locked";
  }
  std::vector<char> expected(region.size());
  fill_pattern(expected.data(), expected.size(), 3);
  EXPECT_EQ(first_mismatch(region.begin(), expected.data(), region.size()), region.size());
}

TEST(Mdl, InaccessiblePageInTheMiddleRaisesAtThatPage) {
  GuardedRegion region(5 * page_size());
  region.protect(2 * page_size(), page_size(), PROT_NONE);
  const long long before = locked_bytes();
  MdlPtr mdl = make_mdl(region.begin() + 7, 4 * page_size());
  for (LOCK_OPERATION op : kOperations) {
    const auto e = expect_raise([&] { MmProbeAndLockPages(mdl.get(), UserMode, op); });
    EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION) << op;
    EXPECT_EQ(e.address(), addr(region.begin() + 2 * page_size())) << op;
    EXPECT_EQ(e.is_write(), op != IoReadAccess) << op;
    EXPECT_EQ(e.bytes_copied(), 2 * page_size() - 7) << op;  // the bytes before that page
    EXPECT_EQ(mdl->MdlFlags, 0);
    EXPECT_LOCKED(before);
  }
  // Running into the guard after the region.
  MdlPtr tail = make_mdl(region.guard() - 5, 10);
  const auto g = expect_raise([&] { MmProbeAndLockPages(tail.get(), UserMode, IoReadAccess); });
  EXPECT_EQ(g.address(), addr(region.guard()));
  EXPECT_LOCKED(before);
}

TEST(Mdl, PageBeyondTheEndOfAMappedFileIsAnInPageError) {
  const int fd = memfd_create("umaccess-mdl", 0);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, static_cast<off_t>(page_size() + page_size() / 2)), 0);
  void* p = mmap(nullptr, 3 * page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ASSERT_NE(p, MAP_FAILED);
  char* map = static_cast<char*>(p);
  const long long before = locked_bytes();
  {
    MdlPtr mdl = make_mdl(map, 3 * page_size());
    for (LOCK_OPERATION op : kOperations) {
      const auto e = expect_raise([&] { MmProbeAndLockPages(mdl.get(), UserMode, op); });
      EXPECT_EQ(e.code(), STATUS_IN_PAGE_ERROR) << op;
      EXPECT_EQ(e.address(), addr(map + 2 * page_size())) << op;
      EXPECT_LOCKED(before);
    }
  }
  munmap(p, 3 * page_size());
  close(fd);
}

TEST(Mdl, OutsideTheUserRangeRaisesBeforeTouchingAnything) {
  GuardedRegion region(4 * page_size());
  region.protect(0, region.size(), PROT_NONE);  // any touch would fault here
  umaccess::ScopedUserRange scope({addr(region.begin()), addr(region.begin() + 2 * page_size())});
  for (LOCK_OPERATION op : kOperations) {
    MdlPtr across = make_mdl(region.begin() + 100, 3 * page_size());
    const auto e = expect_raise([&] { MmProbeAndLockPages(across.get(), UserMode, op); });
    EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(e.address(), addr(region.begin() + 2 * page_size()));  // first address outside
    EXPECT_EQ(e.kernel(), nullptr) << "nothing may be touched";
    EXPECT_EQ(e.is_write(), op != IoReadAccess);
    MdlPtr outside = make_mdl(region.begin() + 3 * page_size(), 16);
    const auto o = expect_raise([&] { MmProbeAndLockPages(outside.get(), UserMode, op); });
    EXPECT_EQ(o.address(), addr(region.begin() + 3 * page_size()));
    EXPECT_EQ(o.kernel(), nullptr);
  }
  // Ending exactly at the range's end passes the check (and then touches: PROT_NONE).
  MdlPtr inside = make_mdl(region.begin(), 2 * page_size());
  const auto in = expect_raise([&] { MmProbeAndLockPages(inside.get(), UserMode, IoReadAccess); });
  EXPECT_NE(in.kernel(), nullptr);
}

TEST(Mdl, WrappingAndEmptyRangesRaise) {
  MdlPtr wraps = make_mdl(reinterpret_cast<void*>(UINTPTR_MAX - 10), 100);
  const auto w = expect_raise([&] { MmProbeAndLockPages(wraps.get(), UserMode, IoReadAccess); });
  EXPECT_EQ(w.code(), STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(w.kernel(), nullptr);
  // A hand-built empty MDL: ReactOS's "end <= start" check raises for user mode.
  static char buffer[16];
  MDL empty{};
  empty.StartVa = buffer;
  const auto e = expect_raise([&] { MmProbeAndLockPages(&empty, UserMode, IoReadAccess); });
  EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(e.address(), addr(buffer));
  // Kernel mode locks nothing for it, and unlocks nothing.
  const long long before = locked_bytes();
  MmProbeAndLockPages(&empty, KernelMode, IoReadAccess);
  EXPECT_EQ(empty.MdlFlags, MDL_PAGES_LOCKED);
  EXPECT_LOCKED(before);
  MmUnlockPages(&empty);
}

TEST(Mdl, KernelModeSkipsTheRangeCheckAndTheWriteProbe) {
  GuardedRegion region(3 * page_size());
  region.protect(page_size(), 2 * page_size(), PROT_READ);
  // A range that excludes the buffer: a user-mode lock would refuse it.
  GuardedRegion elsewhere(page_size());
  umaccess::ScopedUserRange scope({addr(elsewhere.begin()), addr(elsewhere.guard())});
  const long long before = locked_bytes();
  MdlPtr mdl = make_mdl(region.begin(), region.size());
  MmProbeAndLockPages(mdl.get(), KernelMode, IoWriteAccess);  // read-only pages: no write probe
  EXPECT_EQ(mdl->MdlFlags, MDL_PAGES_LOCKED | MDL_WRITE_OPERATION);
  EXPECT_LOCKED(before + pages(3));
  MmUnlockPages(mdl.get());
  EXPECT_LOCKED(before);
  EXPECT_EQ(expect_raise([&] { MmProbeAndLockPages(mdl.get(), UserMode, IoReadAccess); }).code(),
            STATUS_ACCESS_VIOLATION);
}

TEST(Mdl, WriteProbeNeverChangesData) {
  GuardedRegion region(4 * page_size());
  fill_pattern(region.begin(), region.size(), 11);
  std::vector<char> expected(region.begin(), region.begin() + region.size());
  for (LOCK_OPERATION op : {IoWriteAccess, IoModifyAccess}) {
    MdlPtr mdl = make_mdl(region.begin() + 1, region.size() - 2);
    MmProbeAndLockPages(mdl.get(), UserMode, op);
    MmUnlockPages(mdl.get());
  }
  EXPECT_EQ(first_mismatch(region.begin(), expected.data(), region.size()), region.size());
}

TEST(Mdl, WriteProbeNeverLosesAConcurrentWrite) {
  // A read-then-write probe would sometimes store a stale value over the other thread's
  // increment; the atomic no-op write cannot.
  GuardedRegion region(page_size());
  auto* counter = reinterpret_cast<std::atomic<std::uint32_t>*>(region.begin());
  counter->store(0);
  std::atomic<bool> stop{false};
  std::uint32_t increments = 0;
  std::thread writer([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      counter->fetch_add(1, std::memory_order_relaxed);
      ++increments;
    }
  });
  MdlPtr mdl = make_mdl(region.begin(), sizeof(std::uint32_t));
  for (int i = 0; i < 2000; ++i) {
    MmProbeAndLockPages(mdl.get(), UserMode, IoModifyAccess);
    MmUnlockPages(mdl.get());
  }
  stop = true;
  writer.join();
  EXPECT_EQ(counter->load(), increments);
}

TEST(Mdl, LocksAreCountedPerPageAcrossMdls) {
  // Two buffers sharing page 1: unlocking one must keep the other's pages locked.
  GuardedRegion region(3 * page_size());
  const long long before = locked_bytes();
  MdlPtr a = make_mdl(region.begin(), page_size() + 100);              // pages 0-1
  MdlPtr b = make_mdl(region.begin() + page_size() + 200, page_size());  // pages 1-2
  MmProbeAndLockPages(a.get(), UserMode, IoReadAccess);
  MmProbeAndLockPages(b.get(), UserMode, IoWriteAccess);
  EXPECT_LOCKED(before + pages(3));
  MmUnlockPages(a.get());
  EXPECT_LOCKED(before + pages(2)) << "page 1 is still b's";
  MmProbeAndLockPages(a.get(), UserMode, IoReadAccess);  // an MDL can be locked again
  MmUnlockPages(b.get());
  EXPECT_LOCKED(before + pages(2));
  MmUnlockPages(a.get());
  EXPECT_LOCKED(before);
  // The same buffer in two MDLs.
  MdlPtr c = make_mdl(region.begin(), region.size());
  MdlPtr d = make_mdl(region.begin(), region.size());
  MmProbeAndLockPages(c.get(), UserMode, IoReadAccess);
  MmProbeAndLockPages(d.get(), KernelMode, IoReadAccess);
  MmUnlockPages(d.get());
  EXPECT_LOCKED(before + pages(3));
  MmUnlockPages(c.get());
  EXPECT_LOCKED(before);
}

TEST(Mdl, SystemAddressIsTheLockedBuffer) {
  GuardedRegion region(2 * page_size());
  fill_pattern(region.begin(), region.size(), 5);
  char* va = region.begin() + 33;
  MdlPtr mdl = make_mdl(va, page_size());
  EXPECT_EQ(MmGetSystemAddressForMdlSafe(mdl.get(), NormalPagePriority), nullptr) << "not locked";
  EXPECT_EQ(mdl->MdlFlags, 0);
  MmProbeAndLockPages(mdl.get(), UserMode, IoReadAccess);
  auto* system = static_cast<char*>(
      MmGetSystemAddressForMdlSafe(mdl.get(), HighPagePriority | MdlMappingNoExecute));
  ASSERT_EQ(system, va);
  EXPECT_EQ(first_mismatch(system, va, page_size()), page_size());
  EXPECT_EQ(mdl->MappedSystemVa, va);
  EXPECT_EQ(mdl->MdlFlags, MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA);
  EXPECT_EQ(MmGetSystemAddressForMdlSafe(mdl.get(), LowPagePriority | MdlMappingNoWrite), va);
  MmUnlockPages(mdl.get());  // releases the mapping too
  EXPECT_EQ(mdl->MdlFlags, 0);
  EXPECT_EQ(mdl->MappedSystemVa, nullptr);
  // As the wdm.h macro: a nonpaged-pool MDL's MappedSystemVa is returned as is.
  MDL pool{};
  pool.MdlFlags = MDL_SOURCE_IS_NONPAGED_POOL;
  pool.MappedSystemVa = va;
  EXPECT_EQ(MmGetSystemAddressForMdlSafe(&pool, NormalPagePriority), va);
}

TEST(Mdl, CStatusApi) {
  GuardedRegion region(2 * page_size());
  region.protect(page_size(), page_size(), PROT_READ);
  MdlPtr mdl = make_mdl(region.begin() + 5, page_size());
  EXPECT_EQ(umaccess_mm_probe_and_lock_pages(mdl.get(), UMACCESS_USER_MODE, IoWriteAccess),
            STATUS_ACCESS_VIOLATION);
  umaccess_failure f;
  ASSERT_EQ(umaccess_last_failure(&f), 1);
  EXPECT_STREQ(f.operation, "MmProbeAndLockPages");
  EXPECT_EQ(f.address, addr(region.begin() + page_size()));
  EXPECT_EQ(f.is_write, 1);
  EXPECT_EQ(f.signal, SIGSEGV);
  EXPECT_EQ(umaccess_mm_probe_and_lock_pages(mdl.get(), UMACCESS_USER_MODE, IoReadAccess),
            STATUS_SUCCESS);
  EXPECT_EQ(mdl->MdlFlags, MDL_PAGES_LOCKED);
}

// mlock obeys RLIMIT_MEMLOCK only without CAP_IPC_LOCK, which root has: this drops the
// capability from the thread's effective set (it stays permitted, so it can be restored)
// and lowers the soft limit for the lifetime of the object.
class MemlockLimit {
 public:
  explicit MemlockLimit(rlim_t bytes) {
    header_ = {_LINUX_CAPABILITY_VERSION_3, 0};
    if (syscall(SYS_capget, &header_, saved_caps_) != 0) return;
    __user_cap_data_struct lowered[2] = {saved_caps_[0], saved_caps_[1]};
    lowered[CAP_TO_INDEX(CAP_IPC_LOCK)].effective &= ~CAP_TO_MASK(CAP_IPC_LOCK);
    if (syscall(SYS_capset, &header_, lowered) != 0) return;
    if (getrlimit(RLIMIT_MEMLOCK, &saved_limit_) != 0) return;
    rlimit limit = saved_limit_;
    limit.rlim_cur = bytes < limit.rlim_max ? bytes : limit.rlim_max;
    active_ = setrlimit(RLIMIT_MEMLOCK, &limit) == 0;
  }
  ~MemlockLimit() {
    if (active_) setrlimit(RLIMIT_MEMLOCK, &saved_limit_);
    syscall(SYS_capset, &header_, saved_caps_);
  }
  bool active() const { return active_; }

 private:
  __user_cap_header_struct header_;
  __user_cap_data_struct saved_caps_[2] = {};
  rlimit saved_limit_{};
  bool active_ = false;
};

TEST(Mdl, LockLimitIsWorkingSetQuotaAndLeavesNothingLocked) {
  if (!UMATEST_MLOCK_OBSERVABLE) GTEST_SKIP() << "the sanitizer makes mlock a no-op";
  GuardedRegion region(4 * page_size());
  const long long before = locked_bytes();
  MdlPtr mdl = make_mdl(region.begin() + 1, 3 * page_size());  // four pages
  {
    MemlockLimit limit(static_cast<rlim_t>(before + pages(2)));
    if (!limit.active()) GTEST_SKIP() << "cannot drop CAP_IPC_LOCK or lower RLIMIT_MEMLOCK";
    for (LOCK_OPERATION op : kOperations) {
      const auto e = expect_raise([&] { MmProbeAndLockPages(mdl.get(), UserMode, op); });
      EXPECT_EQ(e.code(), STATUS_WORKING_SET_QUOTA) << op;  // mlock: ENOMEM
      EXPECT_EQ(e.address(), addr(region.begin() + 1));
      EXPECT_EQ(e.is_write(), op != IoReadAccess);
      EXPECT_EQ(mdl->MdlFlags, 0);
      EXPECT_LOCKED(before);
    }
    // Within the limit.
    MdlPtr small = make_mdl(region.begin(), 2 * page_size());
    MmProbeAndLockPages(small.get(), UserMode, IoReadAccess);
    EXPECT_LOCKED(before + pages(2));
  }
  EXPECT_LOCKED(before);
  {
    MemlockLimit none(0);  // mlock: EPERM
    ASSERT_TRUE(none.active());
    EXPECT_EQ(umaccess_mm_probe_and_lock_pages(mdl.get(), UMACCESS_USER_MODE, IoReadAccess),
              STATUS_WORKING_SET_QUOTA);
  }
  // Restored: the same lock succeeds.
  MmProbeAndLockPages(mdl.get(), UserMode, IoReadAccess);
  EXPECT_LOCKED(before + pages(4));
}

TEST(Mdl, LockFailingPartWayUnlocksWhatItLocked) {
  if (!UMATEST_MLOCK_OBSERVABLE) GTEST_SKIP() << "the sanitizer makes mlock a no-op";
  // Pages 0-4, page 2 held by another MDL: locking all five mlock()s pages 0-1 (within the
  // limit), then pages 3-4 (over it). Pages 0-1 must be unlocked again; page 2 stays locked.
  GuardedRegion region(5 * page_size());
  const long long before = locked_bytes();
  MdlPtr middle = make_mdl(region.begin() + 2 * page_size(), 1);
  MmProbeAndLockPages(middle.get(), UserMode, IoReadAccess);
  MdlPtr all = make_mdl(region.begin(), region.size());
  {
    MemlockLimit limit(static_cast<rlim_t>(before + pages(3)));
    if (!limit.active()) GTEST_SKIP() << "cannot drop CAP_IPC_LOCK or lower RLIMIT_MEMLOCK";
    EXPECT_EQ(expect_raise([&] { MmProbeAndLockPages(all.get(), UserMode, IoReadAccess); }).code(),
              STATUS_WORKING_SET_QUOTA);
    EXPECT_LOCKED(before + pages(1));
  }
  MmUnlockPages(middle.get());
  EXPECT_LOCKED(before);
}

TEST(Mdl, LockErrorsMapToStatuses) {
  using umaccess::detail::mdl_status_from_lock_error;
  EXPECT_EQ(mdl_status_from_lock_error(ENOMEM), STATUS_WORKING_SET_QUOTA);
  EXPECT_EQ(mdl_status_from_lock_error(EPERM), STATUS_WORKING_SET_QUOTA);
  EXPECT_EQ(mdl_status_from_lock_error(EAGAIN), STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(mdl_status_from_lock_error(EINVAL), STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(mdl_status_from_lock_error(-1), STATUS_INSUFFICIENT_RESOURCES);  // no memory for counts
}

struct BugCheckSeen {
  umaccess::BugCheckInfo info;
};
// Bug checks throw BugCheckSeen while alive.
struct ThrowingBugChecks {
  ThrowingBugChecks() {
    umaccess::set_bug_check_callback(
        [](const umaccess::BugCheckInfo* info, void*) { throw BugCheckSeen{*info}; });
  }
  ~ThrowingBugChecks() { umaccess::set_bug_check_callback(nullptr); }
};
template <typename F>
umaccess::BugCheckInfo expect_bug_check(F&& f) {
  try {
    f();
  } catch (const BugCheckSeen& seen) {
    return seen.info;
  }
  ADD_FAILURE() << "expected a bug check";
  return {};
}

TEST(Mdl, MisuseBugChecksWithTheWindowsCodes) {
  GuardedRegion region(2 * page_size());
  MdlPtr mdl = make_mdl(region.begin(), 2 * page_size());
  const auto m = addr(mdl.get());
  ThrowingBugChecks bug_checks;
  const auto unlocked = expect_bug_check([&] { MmUnlockPages(mdl.get()); });
  EXPECT_EQ(unlocked.code, PROCESS_HAS_LOCKED_PAGES);
  EXPECT_EQ(unlocked.parameter1, 1u);
  EXPECT_EQ(unlocked.parameter2, m);
  EXPECT_STREQ(unlocked.operation, "MmUnlockPages");
  MmProbeAndLockPages(mdl.get(), UserMode, IoReadAccess);
  const auto twice =
      expect_bug_check([&] { MmProbeAndLockPages(mdl.get(), UserMode, IoReadAccess); });
  EXPECT_EQ(twice.code, LOCKED_PAGES_TRACKER_CORRUPTION);
  EXPECT_EQ(twice.parameter1, 1u);
  EXPECT_EQ(twice.parameter3, m);
  EXPECT_EQ(mdl->MdlFlags, MDL_PAGES_LOCKED) << "the MDL is left as it was";
  const auto freed = expect_bug_check([&] { IoFreeMdl(mdl.get()); });
  EXPECT_EQ(freed.code, DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS);
  EXPECT_EQ(freed.parameter3, m);
  EXPECT_EQ(freed.parameter4, 2u);  // pages
  const auto null = expect_bug_check([] { MmGetSystemAddressForMdlSafe(nullptr, 0); });
  EXPECT_EQ(null.code, PAGE_FAULT_IN_NONPAGED_AREA);
}

TEST(MdlDeathTest, MisuseIsABugCheck) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  GuardedRegion region(2 * page_size());
  EXPECT_DEATH(
      {
        PMDL mdl = IoAllocateMdl(region.begin(), 16, FALSE, FALSE, nullptr);
        MmProbeAndLockPages(mdl, UserMode, IoReadAccess);
        MmProbeAndLockPages(mdl, UserMode, IoReadAccess);
      },
      "BUG CHECK 0x000000D9 .* in MmProbeAndLockPages: MDL 0x[0-9a-f]+ is already locked");
  EXPECT_DEATH(MmUnlockPages(IoAllocateMdl(region.begin(), 16, FALSE, FALSE, nullptr)),
               "BUG CHECK 0x00000076 .* in MmUnlockPages: MDL 0x[0-9a-f]+ is not locked");
  // A driver that edits a locked MDL's extent: a named bug check, not an exception thrown
  // out of an extern "C" function, and never an unlock of pages it did not lock.
  EXPECT_DEATH(
      {
        PMDL mdl = IoAllocateMdl(region.begin(), 16, FALSE, FALSE, nullptr);
        MmProbeAndLockPages(mdl, UserMode, IoReadAccess);
        mdl->ByteCount = static_cast<ULONG>(2 * page_size());
        MmUnlockPages(mdl);
      },
      "BUG CHECK 0x000000D9 .* in MmUnlockPages: MDL 0x[0-9a-f]+ was changed while its pages "
      "were locked \\(it now describes 2 page\\(s\\)");
  EXPECT_DEATH(
      {
        PMDL mdl = IoAllocateMdl(region.begin(), 16, FALSE, FALSE, nullptr);
        mdl->MdlFlags |= MDL_PAGES_LOCKED;  // set by hand: nothing was locked
        MmUnlockPages(mdl);
      },
      "BUG CHECK 0x000000D9 .* in MmUnlockPages: .* and umaccess never locked it");
  EXPECT_DEATH(
      {
        PMDL mdl = IoAllocateMdl(region.begin() + 1, static_cast<ULONG>(page_size()), FALSE,
                                 FALSE, nullptr);
        MmProbeAndLockPages(mdl, UserMode, IoReadAccess);
        IoFreeMdl(mdl);
      },
      "BUG CHECK 0x000000CB .* in IoFreeMdl: MDL 0x[0-9a-f]+ still has its 2 page\\(s\\) locked");
  EXPECT_DEATH(IoFreeMdl(nullptr),
               "BUG CHECK 0x00000050 .* in IoFreeMdl: the MDL pointer is NULL");
  EXPECT_DEATH(MmProbeAndLockPages(nullptr, UserMode, IoReadAccess),
               "in MmProbeAndLockPages: the MDL pointer is NULL");
}

TEST(MdlDeathTest, KernelModeFaultIsABugCheck) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  GuardedRegion region(2 * page_size());
  region.protect(page_size(), page_size(), PROT_NONE);
  // Outside the user range, so a kernel address (inside it, KernelMode probes like UserMode:
  // wdk_vocabulary_test.cpp).
  GuardedRegion elsewhere(page_size());
  EXPECT_DEATH(
      {
        umaccess::ScopedUserRange scope({addr(elsewhere.begin()), addr(elsewhere.guard())});
        PMDL mdl = IoAllocateMdl(region.begin(), static_cast<ULONG>(2 * page_size()), FALSE,
                                 FALSE, nullptr);
        MmProbeAndLockPages(mdl, KernelMode, IoReadAccess);
      },
      "BUG CHECK 0x00000050 .* in MmProbeAndLockPages: read of the kernel-side source buffer");
}

}  // namespace
}  // namespace umatest
