// SPDX-License-Identifier: Apache-2.0
// tests/probe_test.cpp - ProbeForRead, ProbeForWrite and ExProbeAlignment against the
// Windows rules (https://learn.microsoft.com/en-us/windows-hardware/drivers/ddi/wdm/nf-wdm-probeforread,
// .../nf-wdm-probeforwrite; docs/api.md, "Probing"), and the ...Aligned copies built on them.
#include <atomic>
#include <thread>

#include "support.h"

namespace umatest {
namespace {

using umaccess::StructuredException;

std::uintptr_t user_end() { return umaccess::user_range().end; }
void* at(std::uintptr_t a) { return reinterpret_cast<void*>(a); }

TEST(Probe, ZeroLengthChecksNothing) {
  for (std::uintptr_t a : {std::uintptr_t{0}, std::uintptr_t{3}, user_end(), UINTPTR_MAX}) {
    ProbeForRead(at(a), 0, 8);
    ProbeForWrite(at(a), 0, 8);
    ExProbeAlignment(at(a), 0, 16);
  }
}

TEST(Probe, AlignmentIsCheckedBeforeTheRange) {
  // Misaligned and out of range: the misalignment wins, as in the Windows implementation.
  const auto e = expect_raise([] { ProbeForRead(at(user_end() + 1), 4, 4); });
  EXPECT_EQ(e.code(), STATUS_DATATYPE_MISALIGNMENT);
  EXPECT_EQ(e.address(), user_end() + 1);
  const auto w = expect_raise([] { ProbeForWrite(at(UINTPTR_MAX), 8, 2); });
  EXPECT_EQ(w.code(), STATUS_DATATYPE_MISALIGNMENT);
  EXPECT_TRUE(w.is_write());
}

TEST(Probe, EveryPowerOfTwoAlignment) {
  alignas(64) static char buffer[256];
  for (unsigned align = 1; align <= 64; align *= 2) {
    ProbeForRead(buffer, 8, align);
    ProbeForWrite(buffer, 8, align);
    ExProbeAlignment(buffer, 8, align);
    if (align > 1) {
      const auto e = expect_raise([&] { ProbeForRead(buffer + align / 2, 8, align); });
      EXPECT_EQ(e.code(), STATUS_DATATYPE_MISALIGNMENT);
      EXPECT_EQ(e.address(), reinterpret_cast<std::uintptr_t>(buffer + align / 2));
    }
  }
}

TEST(Probe, AlignmentThatIsNotAPowerOfTwoIsAnInvalidParameter) {
  static char buffer[16];
  for (unsigned bad : {0u, 3u, 6u, 12u}) {
    EXPECT_EQ(expect_raise([&] { ProbeForRead(buffer, 4, bad); }).code(), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(umaccess_probe_for_write(buffer, 4, bad), STATUS_INVALID_PARAMETER);
  }
}

TEST(Probe, RangeEndIsExclusiveAndWrapIsRejected) {
  const std::uintptr_t end = user_end();
  ProbeForRead(at(end - 4096), 4096, 1);
  ExProbeAlignment(at(end - 8), 8, 8);
  EXPECT_EQ(expect_raise([&] { ProbeForRead(at(end - 4096), 4097, 1); }).address(), end);
  EXPECT_EQ(expect_raise([&] { ProbeForRead(at(end), 1, 1); }).address(), end);
  const auto wrap = expect_raise([&] { ProbeForRead(at(0x1000), SIZE_MAX, 1); });
  EXPECT_EQ(wrap.code(), STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(wrap.address(), end);
  const auto w = expect_raise([&] { ProbeForWrite(at(end - 8), 16, 8); });
  EXPECT_EQ(w.code(), STATUS_ACCESS_VIOLATION);
  EXPECT_TRUE(w.is_write());
}

TEST(Probe, ProbeForReadDoesNotTouchMemory) {
  GuardedRegion region(page_size());
  region.protect(0, page_size(), PROT_NONE);
  ProbeForRead(region.begin(), page_size(), 1);  // inaccessible, but in range: passes
  ExProbeAlignment(region.begin(), page_size(), 8);
}

TEST(Probe, ProbeForWriteTouchesEveryPage) {
  GuardedRegion region(8 * page_size());
  std::memset(region.begin(), 0x42, region.size());
  ProbeForWrite(region.begin() + 5, region.size() - 5, 1);
  EXPECT_EQ(first_not(region.begin(), 0x42, region.size()), region.size()) << "probe changed data";
  // A read-only page in the middle is found, at its first byte, as a write.
  region.protect(5 * page_size(), page_size(), PROT_READ);
  const auto e = expect_raise([&] { ProbeForWrite(region.begin() + 100, 7 * page_size(), 4); });
  EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(e.address(), reinterpret_cast<std::uintptr_t>(region.begin() + 5 * page_size()));
  EXPECT_TRUE(e.is_write());
  // A range that only reaches the last byte before the read-only page passes.
  ProbeForWrite(region.begin(), 5 * page_size(), 1);
  // The guard after the region.
  const auto g = expect_raise([&] { ProbeForWrite(region.guard() - 1, 2, 1); });
  EXPECT_EQ(g.address(), reinterpret_cast<std::uintptr_t>(region.guard()));
}

TEST(Probe, ProbeForWriteNeverLosesAConcurrentWrite) {
  // A plain read-then-write probe would sometimes write back a stale value over the other
  // thread's increment; the atomic no-op write cannot.
  GuardedRegion region(page_size());
  auto* counter = reinterpret_cast<std::atomic<std::uint32_t>*>(region.begin());
  counter->store(0);
  std::atomic<bool> stop{false};
  std::thread prober([&] {
    while (!stop.load(std::memory_order_relaxed)) ProbeForWrite(region.begin(), 1, 1);
  });
  constexpr std::uint32_t kIncrements = 2000000;
  for (std::uint32_t i = 0; i < kIncrements; ++i) counter->fetch_add(1, std::memory_order_relaxed);
  stop = true;
  prober.join();
  EXPECT_EQ(counter->load(), kIncrements);
}

TEST(AlignedCopies, CheckTheUserPointerThenCopy) {
  alignas(16) char src[64] = "aligned source";
  alignas(16) char dst[64] = {};
  CopyFromUserAligned(dst, src, 16, 16);
  EXPECT_STREQ(dst, "aligned source");
  const auto e = expect_raise([&] { CopyFromUserAligned(dst, src + 4, 16, 8); });
  EXPECT_EQ(e.code(), STATUS_DATATYPE_MISALIGNMENT);
  EXPECT_EQ(e.address(), reinterpret_cast<std::uintptr_t>(src + 4));
  EXPECT_EQ(expect_raise([&] { CopyToUserAligned(dst + 2, src, 8, 4); }).code(),
            STATUS_DATATYPE_MISALIGNMENT);
  // Mode forms: only the user path checks alignment.
  CopyFromModeAligned(dst, src + 1, 8, KernelMode, 8);
  CopyToModeAligned(dst + 1, src, 8, KernelMode, 8);
  EXPECT_EQ(expect_raise([&] { CopyFromModeAligned(dst, src + 1, 8, UserMode, 8); }).code(),
            STATUS_DATATYPE_MISALIGNMENT);
  // Zero length checks nothing.
  CopyFromUserAligned(dst, src + 1, 0, 8);
  // The C forms.
  size_t done = 7;
  EXPECT_EQ(umaccess_copy_from_user_aligned(dst, src + 2, 8, 4, &done), STATUS_DATATYPE_MISALIGNMENT);
  EXPECT_EQ(done, 0u);
  EXPECT_EQ(umaccess_copy_to_mode_aligned(dst, src, 8, UserMode, 8, &done), STATUS_SUCCESS);
  EXPECT_EQ(done, 8u);
}

}  // namespace
}  // namespace umatest
