// SPDX-License-Identifier: Apache-2.0
// tests/fault_test.cpp - faults in every kernel variant and every size class: buffers that
// end at every offset before an inaccessible page, read-only pages for writes, unmapped
// ranges, NULL, wrapping ranges and ranges beyond MmUserProbeAddress. Each case checks the
// status, the faulting address, the direction, the exact number of bytes copied, that the
// destination beyond them is untouched, and that the process stays healthy.
#include <fcntl.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>

#include "operations.h"
#include "support.h"

namespace umatest {
namespace {

constexpr std::size_t kMargin = 64;

// Lengths that reach every size class of every kernel (small head/tail classes, the
// 64-byte loops, the non-temporal path from 256 bytes, rep movsb at any length).
const std::size_t kFaultLengths[] = {1,   2,   3,   4,   5,   7,   8,    9,    15,    16,   17,
                                     31,  32,  33,  63,  64,  65,  100,  127,  128,   129,  200,
                                     255, 256, 257, 300, 1000, 4096, 4097, 10000, 65549};

// How many bytes lie before the inaccessible page: every value near the start (head), every
// value near the end (tail) and a few in between (loop).
std::vector<std::size_t> accessible_prefixes(std::size_t len) {
  std::set<std::size_t> s;
  for (std::size_t a = 0; a < len && a <= 136; ++a) s.insert(a);
  for (std::size_t k = 1; k <= 72 && k <= len; ++k) s.insert(len - k);
  for (std::size_t a : {len / 3, len / 2, 2 * len / 3}) if (a < len) s.insert(a);
  return {s.begin(), s.end()};
}

const std::size_t kDstMisalignments[] = {0, 1, 7, 33};

// Source fault: [src, src + len) runs into an inaccessible page after `avail` bytes.
class SourceFaults : public VariantFixture<VariantOp<CopyOperation>> {
 protected:
  void SetUp() override { select(GetParam().variant); }
};

TEST_P(SourceFaults, ExactProgressAndUntouchedRemainder) {
  const CopyOperation& op = GetParam().op;
  GuardedRegion src_region(128 * 1024);
  GuardedRegion dst_region(128 * 1024);
  fill_pattern(src_region.begin(), src_region.size(), 3);
  for (std::size_t len : kFaultLengths) {
    for (std::size_t avail : accessible_prefixes(len)) {
      for (std::size_t mis : kDstMisalignments) {
        const char* src = src_region.ending_at_guard(avail);
        auto* window = reinterpret_cast<unsigned char*>(dst_region.begin()) + mis;
        unsigned char* dst = window + kMargin;
        std::memset(window, kCanary, len + 2 * kMargin);
        const auto e = expect_raise([&] { op.run(dst, src, len); });
        SCOPED_TRACE("length " + std::to_string(len) + ", accessible " + std::to_string(avail) +
                     ", dst+" + std::to_string(mis));
        ASSERT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
        ASSERT_EQ(e.address(), reinterpret_cast<std::uintptr_t>(src_region.guard()));
        ASSERT_FALSE(e.is_write());
        ASSERT_EQ(e.bytes_copied(), avail);
        ASSERT_EQ(first_not(window, kCanary, kMargin), kMargin) << "written before dst";
        ASSERT_EQ(first_mismatch(dst, src, avail), avail) << "copied prefix differs";
        const std::size_t rest = len - avail + kMargin;
        ASSERT_EQ(first_not(dst + avail, kCanary, rest), rest) << "written past the fault";
      }
    }
  }
}

std::vector<VariantOp<CopyOperation>> user_source_ops() {
  std::vector<CopyOperation> ops;
  for (const auto& op : copy_operations())
    if (op.user_source) ops.push_back(op);
  return cross(kernel_configs(), ops);
}

INSTANTIATE_TEST_SUITE_P(AllVariants, SourceFaults, ::testing::ValuesIn(user_source_ops()),
                         variant_op_name<CopyOperation>);

// Destination fault: [dst, dst + len) runs into an inaccessible page after `avail` bytes.
// Both a PROT_NONE page and a read-only one are tried.
class DestinationFaults : public VariantFixture<VariantOp<CopyOperation>> {
 protected:
  void SetUp() override { select(GetParam().variant); }
};

TEST_P(DestinationFaults, ExactProgressOnNoAccessAndReadOnlyPages) {
  const CopyOperation& op = GetParam().op;
  GuardedRegion src_region(128 * 1024);
  fill_pattern(src_region.begin(), src_region.size(), 5);
  GuardedRegion no_access(128 * 1024);  // writable pages, then the PROT_NONE guard
  // Writable pages, then a read-only page, then (further on) the guard.
  GuardedRegion read_only(128 * 1024 + page_size());
  char* const ro_page = read_only.begin() + 128 * 1024;
  std::memset(ro_page, kCanary, page_size());
  read_only.protect(128 * 1024, page_size(), PROT_READ);
  for (char* stop : {no_access.guard(), ro_page}) {
    for (std::size_t len : kFaultLengths) {
      for (std::size_t avail : accessible_prefixes(len)) {
        for (std::size_t mis : kDstMisalignments) {
          const char* src = src_region.begin() + mis;
          auto* dst = reinterpret_cast<unsigned char*>(stop - avail);
          std::memset(dst - kMargin, kCanary, kMargin + avail);
          const auto e = expect_raise([&] { op.run(dst, src, len); });
          SCOPED_TRACE("length " + std::to_string(len) + ", accessible " + std::to_string(avail) +
                       ", src+" + std::to_string(mis) +
                       (stop == ro_page ? ", read-only page" : ", no-access page"));
          ASSERT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
          ASSERT_EQ(e.address(), reinterpret_cast<std::uintptr_t>(stop));
          ASSERT_TRUE(e.is_write());
          ASSERT_EQ(e.bytes_copied(), avail);
          ASSERT_EQ(first_not(dst - kMargin, kCanary, kMargin), kMargin) << "written before dst";
          ASSERT_EQ(first_mismatch(dst, src, avail), avail) << "copied prefix differs";
        }
      }
    }
  }
  ASSERT_EQ(first_not(ro_page, kCanary, page_size()), page_size()) << "the read-only page changed";
}

std::vector<VariantOp<CopyOperation>> user_destination_ops() {
  std::vector<CopyOperation> ops;
  for (const auto& op : copy_operations())
    if (op.user_destination) ops.push_back(op);
  return cross(kernel_configs(), ops);
}

INSTANTIATE_TEST_SUITE_P(AllVariants, DestinationFaults,
                         ::testing::ValuesIn(user_destination_ops()),
                         variant_op_name<CopyOperation>);

class FillFaults : public VariantFixture<VariantOp<FillOperation>> {
 protected:
  void SetUp() override { select(GetParam().variant); }
};

TEST_P(FillFaults, ExactProgress) {
  const FillOperation& op = GetParam().op;
  GuardedRegion region(128 * 1024);
  for (std::size_t len : kFaultLengths) {
    for (std::size_t avail : accessible_prefixes(len)) {
      auto* dst = reinterpret_cast<unsigned char*>(region.ending_at_guard(avail));
      std::memset(dst - kMargin, kCanary, kMargin + avail);
      const auto e = expect_raise([&] { op.run(dst, len, 0x3C); });
      SCOPED_TRACE("length " + std::to_string(len) + ", accessible " + std::to_string(avail));
      ASSERT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
      ASSERT_EQ(e.address(), reinterpret_cast<std::uintptr_t>(region.guard()));
      ASSERT_TRUE(e.is_write());
      ASSERT_EQ(e.bytes_copied(), avail);
      ASSERT_EQ(first_not(dst - kMargin, kCanary, kMargin), kMargin);
      ASSERT_EQ(first_not(dst, op.zero_only ? 0 : 0x3C, avail), avail);
    }
  }
}

std::vector<VariantOp<FillOperation>> user_fill_ops() {
  std::vector<FillOperation> ops;
  for (const auto& op : fill_operations())
    if (op.user_destination) ops.push_back(op);
  return cross(kernel_configs(), ops);
}

INSTANTIATE_TEST_SUITE_P(AllVariants, FillFaults, ::testing::ValuesIn(user_fill_ops()),
                         variant_op_name<FillOperation>);

// Overlapping moves. With dst above src the copy runs from the end: a fault leaves no leading byte
// final, so 0 bytes are reported, and nothing outside the destination is written.
class OverlappingMoveFaults : public VariantFixture<std::string> {
 protected:
  void SetUp() override { select(GetParam()); }
};

TEST_P(OverlappingMoveFaults, ReportsNothingCopiedAndStaysInsideTheDestination) {
  GuardedRegion region(4 * page_size());
  for (std::size_t distance : {1, 5, 16, 63, 100}) {
    for (std::size_t len : {distance + 1, distance + 64, distance + 300, 3000 + distance}) {
      for (std::size_t beyond : {1, 10, 64}) {  // bytes of dst that lie past the guard
        if (beyond + distance > len) continue;
        char* dst = region.guard() - (len - beyond);
        char* src = dst - distance;
        std::memset(region.begin(), kCanary, region.size());
        const auto e = expect_raise([&] { MoveToUserFromUser(dst, src, len); });
        SCOPED_TRACE("distance " + std::to_string(distance) + ", length " + std::to_string(len));
        ASSERT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
        ASSERT_EQ(e.bytes_copied(), 0u);
        ASSERT_GE(e.address(), reinterpret_cast<std::uintptr_t>(region.guard()));
        ASSERT_LT(e.address(), reinterpret_cast<std::uintptr_t>(region.guard()) + page_size());
        const std::size_t before = static_cast<std::size_t>(src - region.begin());
        ASSERT_EQ(first_not(region.begin(), kCanary, before), before) << "written below src";
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllVariants, OverlappingMoveFaults, ::testing::ValuesIn(kernel_configs()),
                         [](const auto& info) { return info.param; });

// What a forward move (dst below src) that faulted on a write at `ro_page` must leave (the
// window [base, ...) held `original` before the move; dst = base + at, src = base + from): a
// write fault at the page's first byte, exactly `room` bytes reported copied, those bytes
// memmove's, and nothing below dst changed. Empty if so, else what differs.
std::string forward_fault_outcome(const umaccess::StructuredException& e, const char* base,
                                  const std::vector<char>& original, std::size_t at,
                                  std::size_t from, std::size_t room, const char* ro_page) {
  if (e.code() != STATUS_ACCESS_VIOLATION || !e.is_write())
    return std::string("not a write fault: ") + e.what();
  if (e.address() != reinterpret_cast<std::uintptr_t>(ro_page))
    return "fault reported at " + std::to_string(e.address()) + ", not at the read-only page";
  if (e.bytes_copied() != room)
    return "reported " + std::to_string(e.bytes_copied()) + " bytes copied, not " +
           std::to_string(room);
  if (first_mismatch(base + at, original.data() + from, room) != room)
    return "prefix differs from memmove's";
  if (first_mismatch(base, original.data(), at) != at) return "written below dst";
  return "";
}

// An overlapping move with dst below src whose destination runs into a read-only page: the
// source reads succeed, the store faults. The bytes before the page must hold exactly what
// memmove would have put there, which requires resuming at the precise store that faulted
// (a retry from an earlier point would re-read source bytes this move already overwrote).
TEST_P(OverlappingMoveFaults, ForwardOverlapWriteFaultKeepsAnExactMemmovePrefix) {
  GuardedRegion region(4 * page_size());
  char* const ro_page = region.begin() + 2 * page_size();
  std::vector<char> original(region.size());
  for (std::size_t distance : {1, 3, 8, 15, 16, 17, 40, 63, 64, 65, 200}) {
    for (std::size_t len : {distance + 1, distance + 70, distance + 500, distance + 5000}) {
      for (std::size_t room : {0, 1, 7, 16, 33, 64, 130, 1000}) {  // writable bytes of dst
        if (room >= len || room + len > 2 * page_size()) continue;
        region.protect(2 * page_size(), page_size(), PROT_READ | PROT_WRITE);
        fill_pattern(region.begin(), region.size(), static_cast<unsigned>(distance + len));
        std::memcpy(original.data(), region.begin(), region.size());
        region.protect(2 * page_size(), page_size(), PROT_READ);
        char* dst = ro_page - room;
        char* src = dst + distance;
        const auto e = expect_raise([&] { MoveToUserFromUser(dst, src, len); });
        ASSERT_EQ(forward_fault_outcome(e, region.begin(), original,
                                        static_cast<std::size_t>(dst - region.begin()),
                                        static_cast<std::size_t>(src - region.begin()), room,
                                        ro_page),
                  "")
            << "distance " << distance << ", length " << len << ", room " << room;
      }
    }
  }
}

// Overlapping moves whose source runs into an inaccessible page (the destination stays
// accessible). Forward (dst below src): the count is exact, the bytes before it are
// memmove's and nothing else changed. Short and long lengths, the guard at every place of
// the short path's windows and the long path's head.
TEST_P(OverlappingMoveFaults, ForwardOverlapReadFaultKeepsAnExactMemmovePrefix) {
  GuardedRegion region(2 * page_size());
  char* const guard = region.guard();
  constexpr std::size_t kWindow = 6000;
  char* const window = guard - kWindow;
  std::vector<char> original(kWindow), expect(kWindow);
  for (std::size_t len : {17, 33, 64, 65, 100, 128, 129, 200, 256, 257, 300, 1000, 5000}) {
    for (std::size_t distance : {1, 5, 33, 200}) {
      for (std::size_t avail : {0, 1, 7, 16, 31, 32, 33, 64, 65, 127, 128, 129, 255}) {
        if (distance >= len || avail >= len) continue;
        fill_pattern(window, kWindow, static_cast<unsigned>(len + distance + avail));
        std::memcpy(original.data(), window, kWindow);
        char* src = guard - avail;
        char* dst = src - distance;
        const std::size_t at = static_cast<std::size_t>(dst - window);
        expect = original;
        std::memmove(expect.data() + at, original.data() + (src - window), avail);
        const auto e = expect_raise([&] { MoveToUserFromUser(dst, src, len); });
        SCOPED_TRACE("distance " + std::to_string(distance) + ", length " + std::to_string(len) +
                     ", readable " + std::to_string(avail));
        ASSERT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
        ASSERT_FALSE(e.is_write());
        ASSERT_EQ(e.address(), reinterpret_cast<std::uintptr_t>(guard));
        ASSERT_EQ(e.bytes_copied(), avail);
        ASSERT_EQ(first_mismatch(window, expect.data(), kWindow), kWindow);
      }
    }
  }
}

// Backward (dst above src), short: every window is loaded before the first store, so a
// source running into an inaccessible page leaves everything as it was, nothing counted.
TEST_P(OverlappingMoveFaults, ShortBackwardOverlapReadFaultWritesNothing) {
  GuardedRegion region(page_size());
  char* const guard = region.guard();
  constexpr std::size_t kWindow = 1024;
  char* const window = guard - kWindow;
  std::vector<char> original(kWindow);
  for (std::size_t len = 2; len <= 4 * 64 + 1; ++len) {
    for (std::size_t distance : {1, 5, 16, 33, 65, 200}) {
      // src ends past the guard by `over` bytes; dst, above it, ends further past.
      for (std::size_t over : {1, 2, 9, 17, 33, 65}) {
        if (distance >= len || over > len) continue;
        fill_pattern(window, kWindow, static_cast<unsigned>(len + distance + over));
        std::memcpy(original.data(), window, kWindow);
        char* src = guard + over - len;
        char* dst = src + distance;
        const auto e = expect_raise([&] { MoveToUserFromUser(dst, src, len); });
        SCOPED_TRACE("distance " + std::to_string(distance) + ", length " + std::to_string(len) +
                     ", over " + std::to_string(over));
        ASSERT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
        ASSERT_FALSE(e.is_write());
        ASSERT_EQ(e.bytes_copied(), 0u);
        ASSERT_EQ(first_mismatch(window, original.data(), kWindow), kWindow) << "written";
      }
    }
  }
}

// What a backward move that faulted on a write may leave (the window [base, base + size) holds
// dst = base + at, original: the window before the move, moved: after memmove): nothing
// reported copied, an upper part dst[k, len) holding memmove's bytes, dst[0, k) and the
// rest of the window their original ones. Empty if so, else what differs.
std::string backward_fault_outcome(const umaccess::StructuredException& e, const char* base,
                                   std::size_t size, std::size_t at, std::size_t len,
                                   const std::vector<char>& original,
                                   const std::vector<char>& moved) {
  if (e.code() != STATUS_ACCESS_VIOLATION || !e.is_write())
    return std::string("not a write fault: ") + e.what();
  if (e.bytes_copied() != 0)
    return "reported " + std::to_string(e.bytes_copied()) + " bytes copied";
  const char* dst = base + at;
  std::size_t k = len;  // dst[k, len) holds memmove's bytes, dst[0, k) the original ones
  while (k > 0 && dst[k - 1] == moved[at + k - 1]) --k;
  if (first_mismatch(dst, original.data() + at, k) != k)
    return "a byte below the moved upper part changed";
  if (first_mismatch(base, original.data(), at) != at) return "written below dst";
  const std::size_t end = at + len;
  if (first_mismatch(base + end, original.data() + end, size - end) != size - end)
    return "written above dst";
  return "";
}

// Short overlapping moves (up to 4 x 64 bytes: every variant's short path, which loads all
// its windows before storing any) with dst below src, the destination running into a
// read-only page after `room` bytes, so that the fault comes at each of the path's stores:
// the bytes before the page are exactly memmove's and the count is exact.
constexpr std::size_t kShortMoveRooms[] = {0,  1,  2,  3,  7,  8,  15,  16,  17,  31,
                                           32, 33, 63, 64, 65, 96, 127, 128, 129, 192};

TEST_P(OverlappingMoveFaults, ShortForwardOverlapWriteFaultAtEveryStore) {
  GuardedRegion region(4 * page_size());
  char* const ro_page = region.begin() + 2 * page_size();
  constexpr std::size_t kWindow = 1024;  // every byte a case touches lies within 512 of ro_page
  char* const window = ro_page - kWindow / 2;
  std::vector<char> original(kWindow);
  for (std::size_t len = 2; len <= 4 * 64 + 1; ++len) {
    for (std::size_t distance : {1, 2, 5, 16, 31, 33, 63, 65, 200}) {
      for (std::size_t room : kShortMoveRooms) {
        if (distance >= len || room >= len) continue;
        region.protect(2 * page_size(), page_size(), PROT_READ | PROT_WRITE);
        fill_pattern(window, kWindow, static_cast<unsigned>(len + distance + room));
        std::memcpy(original.data(), window, kWindow);
        region.protect(2 * page_size(), page_size(), PROT_READ);
        char* dst = ro_page - room;
        char* src = dst + distance;
        const auto e = expect_raise([&] { MoveToUserFromUser(dst, src, len); });
        ASSERT_EQ(forward_fault_outcome(e, window, original,
                                        static_cast<std::size_t>(dst - window),
                                        static_cast<std::size_t>(src - window), room, ro_page),
                  "")
            << "distance " << distance << ", length " << len << ", room " << room;
      }
    }
  }
}

// The same with dst above src, the lowest `locked` bytes of dst on a read-only page: nothing
// reported copied, an upper part of dst holding memmove's bytes, the rest untouched.
TEST_P(OverlappingMoveFaults, ShortBackwardOverlapWriteFaultAtEveryStore) {
  GuardedRegion region(4 * page_size());
  char* const writable = region.begin() + 2 * page_size();  // page 1 read-only
  constexpr std::size_t kWindow = 1024;
  char* const window = writable - kWindow / 2;
  std::vector<char> original(kWindow), moved(kWindow);
  for (std::size_t len = 2; len <= 4 * 64 + 1; ++len) {
    for (std::size_t distance : {1, 2, 5, 16, 31, 33, 63, 65, 200}) {
      for (std::size_t locked : kShortMoveRooms) {
        if (distance >= len || locked == 0 || locked >= len) continue;
        region.protect(page_size(), page_size(), PROT_READ | PROT_WRITE);
        fill_pattern(window, kWindow, static_cast<unsigned>(len + distance + locked));
        std::memcpy(original.data(), window, kWindow);
        region.protect(page_size(), page_size(), PROT_READ);
        char* dst = writable - locked;
        char* src = dst - distance;
        const std::size_t at = static_cast<std::size_t>(dst - window);
        std::memcpy(moved.data(), original.data(), kWindow);
        std::memmove(moved.data() + at, moved.data() + (src - window), len);
        const auto e = expect_raise([&] { MoveToUserFromUser(dst, src, len); });
        ASSERT_EQ(backward_fault_outcome(e, window, kWindow, at, len, original, moved), "")
            << "distance " << distance << ", length " << len << ", locked " << locked;
      }
    }
  }
}

#if defined(__x86_64__)
// And with the highest `locked` bytes of dst on a read-only page: the stores descend, so the
// first one faults and nothing of dst changes. (x86-64 only: on AArch64 a store crossing
// into the read-only page may already have written its bytes before the boundary; see
// docs/fault-model.md, "Two AArch64 notes".)
TEST_P(OverlappingMoveFaults, ShortBackwardOverlapWriteFaultAtTheTopStoresNothing) {
  GuardedRegion region(4 * page_size());
  char* const ro_page = region.begin() + 2 * page_size();
  constexpr std::size_t kWindow = 1024;
  char* const window = ro_page - kWindow / 2;
  std::vector<char> original(kWindow);
  for (std::size_t len = 2; len <= 4 * 64 + 1; ++len) {
    for (std::size_t distance : {1, 2, 5, 16, 31, 33, 63, 65, 200}) {
      for (std::size_t locked : kShortMoveRooms) {
        if (distance >= len || locked == 0 || locked >= len) continue;
        region.protect(2 * page_size(), page_size(), PROT_READ | PROT_WRITE);
        fill_pattern(window, kWindow, static_cast<unsigned>(len + distance + locked));
        std::memcpy(original.data(), window, kWindow);
        region.protect(2 * page_size(), page_size(), PROT_READ);
        char* dst = ro_page + locked - len;
        char* src = dst - distance;
        const auto e = expect_raise([&] { MoveToUserFromUser(dst, src, len); });
        SCOPED_TRACE("distance " + std::to_string(distance) + ", length " + std::to_string(len) +
                     ", locked " + std::to_string(locked));
        ASSERT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
        ASSERT_TRUE(e.is_write());
        ASSERT_EQ(e.bytes_copied(), 0u);
        ASSERT_EQ(first_mismatch(window, original.data(), kWindow), kWindow)
            << "a byte changed below the fault";
      }
    }
  }
}
#endif

// The mirror image: dst above src, the lowest bytes of dst on a read-only page. A backward
// move reports nothing copied, but what it stored is an upper part of dst holding exactly
// memmove's bytes, the rest of dst (and everything outside it) untouched: the long path
// stores its aligned windows from the top down and the lowest vector, loaded first, last.
TEST_P(OverlappingMoveFaults, BackwardOverlapWriteFaultMovesOnlyAnUpperPart) {
  GuardedRegion region(4 * page_size());
  char* const writable = region.begin() + page_size();  // page 0 read-only, 1-3 writable
  std::vector<char> original(region.size()), moved(region.size());
  for (std::size_t distance : {1, 5, 16, 63, 64, 65, 200}) {
    for (std::size_t len : {distance + 70, distance + 500, distance + 3000}) {
      for (std::size_t locked : {1, 7, 33, 64, 130, 1000}) {  // bytes of dst on page 0
        if (locked >= len || len - locked > 3 * page_size() || locked + distance > page_size())
          continue;
        region.protect(0, page_size(), PROT_READ | PROT_WRITE);
        fill_pattern(region.begin(), region.size(), static_cast<unsigned>(distance + len));
        std::memcpy(original.data(), region.begin(), region.size());
        region.protect(0, page_size(), PROT_READ);
        char* dst = writable - locked;
        char* src = dst - distance;
        const std::size_t at = static_cast<std::size_t>(dst - region.begin());
        std::memcpy(moved.data(), original.data(), region.size());
        std::memmove(moved.data() + at, moved.data() + (src - region.begin()), len);
        const auto e = expect_raise([&] { MoveToUserFromUser(dst, src, len); });
        ASSERT_EQ(backward_fault_outcome(e, region.begin(), region.size(), at, len, original,
                                         moved),
                  "")
            << "distance " << distance << ", length " << len << ", locked " << locked;
      }
    }
  }
}

// Holes on both sides of a user-to-user copy: whichever the kernel meets first, the failure
// names the first byte, in copy order, that could not be read or written.
class TwoSidedFaults : public VariantFixture<std::string> {
 protected:
  void SetUp() override { select(GetParam()); }
};

TEST_P(TwoSidedFaults, TheFirstInaccessibleByteInCopyOrderWins) {
  GuardedRegion src_region(64 * 1024);
  GuardedRegion dst_region(64 * 1024);
  fill_pattern(src_region.begin(), src_region.size(), 21);
  for (std::size_t len : {40, 100, 300, 1000, 5000, 20000}) {
    for (std::size_t src_room : {len / 4, len / 2, len - 1}) {
      for (std::size_t dst_room : {len / 3, len / 2 + 7, len - 2}) {
        if (src_room == dst_room) continue;
        const char* src = src_region.ending_at_guard(src_room);
        char* dst = dst_region.ending_at_guard(dst_room);
        const auto e = expect_raise([&] { CopyToUserFromUser(dst, src, len); });
        SCOPED_TRACE("length " + std::to_string(len) + ", source room " + std::to_string(src_room) +
                     ", destination room " + std::to_string(dst_room));
        const bool write_first = dst_room < src_room;
        ASSERT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
        ASSERT_EQ(e.bytes_copied(), std::min(src_room, dst_room));
        ASSERT_EQ(e.is_write(), write_first);
        ASSERT_EQ(e.address(), reinterpret_cast<std::uintptr_t>(write_first ? dst_region.guard()
                                                                             : src_region.guard()));
        ASSERT_EQ(first_mismatch(dst, src, e.bytes_copied()), e.bytes_copied());
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllVariants, TwoSidedFaults, ::testing::ValuesIn(kernel_configs()),
                         [](const auto& info) { return info.param; });

// Buffers that start inside an inaccessible page, not at its first byte: the failure names
// the buffer's first byte exactly. (On AArch64 the fault tail cannot tell such an address
// from one the hardware reported imprecisely, so it finds the byte itself: this is that
// path.)
class StartInsideInaccessiblePage : public VariantFixture<std::string> {
 protected:
  void SetUp() override { select(GetParam()); }
};

TEST_P(StartInsideInaccessiblePage, NamesTheBuffersFirstByte) {
  GuardedRegion src_region(64 * 1024);
  GuardedRegion dst_region(64 * 1024);
  std::vector<unsigned char> local(8192, kCanary);
  for (std::size_t offset : {1, 100, 4095}) {
    for (std::size_t len : {1, 7, 16, 33, 100, 200, 300, 5000}) {
      SCOPED_TRACE("offset " + std::to_string(offset) + ", length " + std::to_string(len));
      const char* bad_src = src_region.guard() + offset;
      char* bad_dst = dst_region.guard() + offset;
      auto e = expect_raise([&] { CopyFromUser(local.data(), bad_src, len); });
      ASSERT_EQ(e.address(), reinterpret_cast<std::uintptr_t>(bad_src));
      ASSERT_FALSE(e.is_write());
      ASSERT_EQ(e.bytes_copied(), 0u);
      ASSERT_EQ(first_not(local.data(), kCanary, local.size()), local.size());
      e = expect_raise([&] { CopyToUser(bad_dst, local.data(), len); });
      ASSERT_EQ(e.address(), reinterpret_cast<std::uintptr_t>(bad_dst));
      ASSERT_TRUE(e.is_write());
      ASSERT_EQ(e.bytes_copied(), 0u);
      e = expect_raise([&] { FillUserMemory(bad_dst, len, 0x5A); });
      ASSERT_EQ(e.address(), reinterpret_cast<std::uintptr_t>(bad_dst));
      ASSERT_EQ(e.bytes_copied(), 0u);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllVariants, StartInsideInaccessiblePage,
                         ::testing::ValuesIn(kernel_configs()),
                         [](const auto& info) { return info.param; });

// ---- Special addresses ---------------------------------------------------------------------

std::uintptr_t user_end() { return umaccess::user_range().end; }

struct BadSource {
  const char* what;
  std::uintptr_t address;   // the source pointer
  std::size_t len;
  std::uintptr_t expected;  // the address the exception must name
};

TEST(SpecialAddresses, SourcesNullWrappingAboveProbeAddressAndKernelHalf) {
  const std::uintptr_t end = user_end();
  const BadSource cases[] = {
      {"NULL", 0, 8, 0},
      {"NULL + 100, long", 100, 5000, 0},  // faults at page 0; address is inside it
      {"wrapping", UINTPTR_MAX - 15, 32, UINTPTR_MAX - 15},
      {"at MmUserProbeAddress", end, 1, end},
      {"crossing MmUserProbeAddress", end - 8, 16, end},
      {"kernel half", 0xffff800000001000ull, 64, 0xffff800000001000ull},
  };
  for (const BadSource& c : cases) {
    for (const CopyOperation& op : copy_operations()) {
      if (!op.user_source) continue;
      SCOPED_TRACE(std::string(c.what) + " via " + op.name);
      unsigned char dst[8192];
      std::memset(dst, kCanary, sizeof dst);
      const auto e = expect_raise(
          [&] { op.run(dst, reinterpret_cast<const void*>(c.address), c.len); });
      EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
      if (c.address == 100) {
        EXPECT_LT(e.address(), page_size());
      } else {
        EXPECT_EQ(e.address(), c.expected);
      }
      EXPECT_FALSE(e.is_write());
      EXPECT_EQ(e.bytes_copied(), 0u);
      EXPECT_EQ(first_not(dst, kCanary, sizeof dst), sizeof dst) << "destination touched";
    }
  }
}

TEST(SpecialAddresses, DestinationsOutsideTheRangeAreRefusedBeforeTouching) {
  const std::uintptr_t end = user_end();
  const unsigned char src[64] = {1, 2, 3};
  for (const CopyOperation& op : copy_operations()) {
    if (!op.user_destination) continue;
    for (std::uintptr_t p : {end, end - 8, UINTPTR_MAX - 3, std::uintptr_t{0xffff800000000000ull}}) {
      SCOPED_TRACE(std::string(op.name) + " to " + std::to_string(p));
      const auto e = expect_raise([&] { op.run(reinterpret_cast<void*>(p), src, 16); });
      EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
      EXPECT_EQ(e.address(), p < end ? end : p);
      EXPECT_TRUE(e.is_write());
      EXPECT_EQ(e.bytes_copied(), 0u);
    }
  }
}

TEST(SpecialAddresses, UnmappedHoleInTheMiddle) {
  (void)umaccess::user_range();  // initialize first: nothing may be mapped into the hole later
  GuardedRegion region(3 * page_size());
  char* hole = region.begin() + page_size();
  char dst[512];
  ASSERT_EQ(munmap(hole, page_size()), 0);
  const auto e = expect_raise([&] { CopyFromUser(dst, hole - 10, 100); });
  EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(e.address(), reinterpret_cast<std::uintptr_t>(hole));
  EXPECT_EQ(e.bytes_copied(), 10u);
  // The page after the hole is still mapped: a copy starting there works.
  CopyFromUser(dst, hole + page_size(), 100);
}

TEST(SpecialAddresses, RangeEndIsExclusive) {
  // ProbeForRead checks the range without touching memory: a buffer ending exactly at
  // MmUserProbeAddress is user memory, one byte more is not.
  const std::uintptr_t end = user_end();
  EXPECT_EQ(end, MmUserProbeAddress);
  ProbeForRead(reinterpret_cast<void*>(end - 16), 16, 1);
  const auto e = expect_raise([&] { ProbeForRead(reinterpret_cast<void*>(end - 15), 16, 1); });
  EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(e.address(), end);
}

TEST(SpecialAddresses, ZeroLengthTouchesNothingWhateverThePointers) {
  void* bad[] = {nullptr, reinterpret_cast<void*>(1), reinterpret_cast<void*>(UINTPTR_MAX),
                 reinterpret_cast<void*>(0xffff800000000000ull)};
  for (void* d : bad)
    for (void* s : bad) {
      for (const CopyOperation& op : copy_operations()) op.run(d, s, 0);
      for (const FillOperation& op : fill_operations()) op.run(d, 0, 1);
      ProbeForRead(s, 0, 8);
      ProbeForWrite(d, 0, 8);
    }
}

// ---- Health ---------------------------------------------------------------------------------

long resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

std::size_t open_fds() {
  std::size_t n = 0;
  for (int fd = 0; fd < 4096; ++fd)
    if (fcntl(fd, F_GETFD) != -1) ++n;
  return n;
}

TEST(Health, AMillionFaultsLeakNothing) {
  // Through the C API: the fault path itself allocates nothing, so resident memory must stay
  // flat in every build (C++ exceptions would allocate, and ASan quarantines what they free;
  // LeakSanitizer covers that path at exit).
  GuardedRegion region(page_size());
  char dst[64];
  const char* src = region.ending_at_guard(5);
  std::size_t done = 0;
  for (int i = 0; i < 1000; ++i) umaccess_copy_from_user(dst, src, 32, &done);  // warm up
  const long rss_before = resident_kib();
  const std::size_t fds_before = open_fds();
  std::size_t exact = 0;
  for (int i = 0; i < 1000000; ++i) {
    if (umaccess_copy_from_user(dst, src, 32, &done) == STATUS_ACCESS_VIOLATION && done == 5)
      ++exact;
  }
  EXPECT_EQ(exact, 1000000u);
#ifdef UMACCESS_TESTS_UNDER_EMULATOR
  // qemu-user's resident set includes its own translation buffers: since 2026-12-06 it grows
  // by 2 MiB over this loop under qemu (native and ASan runs stay flat); under investigation.
  constexpr long kGrowthKiB = 4096;
#else
  constexpr long kGrowthKiB = 1024;
#endif
  EXPECT_LT(resident_kib() - rss_before, kGrowthKiB) << "resident memory grew";
  EXPECT_EQ(open_fds(), fds_before);
  for (int i = 0; i < 10000; ++i)
    ASSERT_EQ(expect_raise([&] { CopyFromUser(dst, src, 32); }).bytes_copied(), 5u);
  CopyFromUser(dst, region.begin(), 64);  // and the engine still works
}

}  // namespace
}  // namespace umatest
