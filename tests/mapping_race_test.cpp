// SPDX-License-Identifier: Apache-2.0
// tests/mapping_race_test.cpp - what a faulting copy or fill reports when the mapping changes
// between its first fault and the byte-by-byte retry that makes the count exact (issue 16,
// point 1; docs/fault-model.md "When the mapping changes during a fault").
//
// Deterministic form of the race: a fault resolver that, on the first write fault at the
// guard page, makes the page *before* it read-only and lets the fault stand. The vector
// stores issued before the fault may already have written into that page, and the byte
// retry from the kernel's safe point then faults earlier than the first fault; the fault
// tail reads the destination back from there (asm/*/fault_tail). Checked for every variant
// and operation that writes user memory: the count is exact, i.e. the first bytes_copied
// bytes hold the copy (or the fill) and no byte after them was written; nothing before dst
// is written; the failure names an address in [dst, the guard].
//
// The concurrent form (ConcurrentMappingRace): another thread toggles the page before the
// guard between read-write and read-only while faulting copies and fills run into it, as
// issue 16 found it; every operation is checked the same way.
//
// Unmapping (CopyUnmapRace, FillUnmapRace): another thread munmaps a page of the destination
// (and of a user source) and maps it back, or mremaps it away and back, while faulting
// copies and fills run; the pages that stayed mapped must hold exactly the count.
//
// Without the read-back, up to 224 bytes past the count held copied data here (every
// vector variant), as issue 16 measured under a real race (29 % of faulting copies).
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <thread>

#include "operations.h"
#include "support.h"

namespace umatest {
namespace {

constexpr std::size_t kMargin = 64;

struct RaceState {
  char* guard = nullptr;
  bool fired = false;
};
RaceState g_race;

// The other thread's mprotect, played at the worst moment: inside the first fault.
int protect_page_before(void* address, int is_write, void*) {
  if (!g_race.fired && is_write && static_cast<char*>(address) == g_race.guard) {
    g_race.fired = true;
    mprotect(g_race.guard - page_size(), page_size(), PROT_READ);
  }
  return 0;
}

class ResolverScope {
 public:
  ResolverScope() { umaccess_set_fault_resolver(protect_page_before, nullptr); }
  ~ResolverScope() { umaccess_set_fault_resolver(nullptr, nullptr); }
};

// Bytes written past `copied`: the last position in [copied, end) that no longer holds the
// canary, + 1 - copied (0 if none). Every such byte must equal `expected(i)`.
template <typename Expected>
std::size_t overhang(const unsigned char* dst, std::size_t copied, std::size_t end,
                     Expected expected) {
  std::size_t last = copied;
  for (std::size_t i = copied; i < end; ++i) {
    if (dst[i] == kCanary) continue;
    EXPECT_EQ(dst[i], expected(i)) << "byte " << i << " past the count is not the copy's";
    last = i + 1;
  }
  return last - copied;
}

// dst offsets before the guard: inside the page before it, and reaching further back.
const std::size_t kAvailable[] = {1, 17, 63, 64, 100, 200, 255, 300, 511, 1000, 4095, 4200, 5000};

class CopyMappingRace : public VariantFixture<VariantOp<CopyOperation>> {
 protected:
  void SetUp() override { select(GetParam().variant); }
};

TEST_P(CopyMappingRace, CountStaysExactWhenThePageBeforeTheFaultIsWriteProtected) {
  const CopyOperation& op = GetParam().op;
  GuardedRegion src_region(64 * 1024);
  fill_pattern(src_region.begin(), src_region.size(), 9);
  GuardedRegion region(64 * 1024);
  ResolverScope resolver;
  for (std::size_t avail : kAvailable)
    for (std::size_t extra : {std::size_t{1}, std::size_t{64}, std::size_t{3000}}) {
      const std::size_t len = avail + extra;
      auto* dst = reinterpret_cast<unsigned char*>(region.ending_at_guard(avail));
      const auto* src = reinterpret_cast<const unsigned char*>(src_region.begin() + 3);
      region.protect(region.size() - page_size(), page_size(), PROT_READ | PROT_WRITE);
      std::memset(dst - kMargin, kCanary, kMargin + avail);
      g_race = {region.guard(), false};
      const auto e = expect_raise([&] { op.run(dst, src, len); });
      SCOPED_TRACE("length " + std::to_string(len) + ", accessible " + std::to_string(avail));
      ASSERT_TRUE(g_race.fired);
      ASSERT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
      ASSERT_TRUE(e.is_write());
      const std::size_t copied = e.bytes_copied();
      ASSERT_LE(copied, avail);
      ASSERT_GE(e.address(), reinterpret_cast<std::uintptr_t>(dst));
      ASSERT_LE(e.address(), reinterpret_cast<std::uintptr_t>(region.guard()));
      ASSERT_EQ(first_mismatch(dst, src, copied), copied) << "the counted prefix differs";
      const std::size_t over = overhang(dst, copied, avail, [&](std::size_t i) { return src[i]; });
      EXPECT_EQ(over, 0u) << "bytes past the count were written";
      ASSERT_EQ(first_not(dst - kMargin, kCanary, kMargin), kMargin) << "written before dst";
    }
  region.protect(region.size() - page_size(), page_size(), PROT_READ | PROT_WRITE);
}

std::vector<VariantOp<CopyOperation>> user_destination_ops() {
  std::vector<CopyOperation> ops;
  for (const auto& op : copy_operations())
    if (op.user_destination) ops.push_back(op);
  return cross(kernel_configs(), ops);
}

INSTANTIATE_TEST_SUITE_P(AllVariants, CopyMappingRace, ::testing::ValuesIn(user_destination_ops()),
                         variant_op_name<CopyOperation>);

class FillMappingRace : public VariantFixture<VariantOp<FillOperation>> {
 protected:
  void SetUp() override { select(GetParam().variant); }
};

TEST_P(FillMappingRace, CountStaysExactWhenThePageBeforeTheFaultIsWriteProtected) {
  const FillOperation& op = GetParam().op;
  const unsigned char value = op.zero_only ? 0 : 0x3C;
  GuardedRegion region(64 * 1024);
  ResolverScope resolver;
  for (std::size_t avail : kAvailable)
    for (std::size_t extra : {std::size_t{1}, std::size_t{64}, std::size_t{3000}}) {
      const std::size_t len = avail + extra;
      auto* dst = reinterpret_cast<unsigned char*>(region.ending_at_guard(avail));
      region.protect(region.size() - page_size(), page_size(), PROT_READ | PROT_WRITE);
      std::memset(dst - kMargin, kCanary, kMargin + avail);
      g_race = {region.guard(), false};
      const auto e = expect_raise([&] { op.run(dst, len, 0x3C); });
      SCOPED_TRACE("length " + std::to_string(len) + ", accessible " + std::to_string(avail));
      ASSERT_TRUE(g_race.fired);
      ASSERT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
      const std::size_t copied = e.bytes_copied();
      ASSERT_LE(copied, avail);
      ASSERT_EQ(first_not(dst, value, copied), copied) << "the counted prefix differs";
      const std::size_t over = overhang(dst, copied, avail, [&](std::size_t) { return value; });
      EXPECT_EQ(over, 0u) << "bytes past the count were written";
      ASSERT_EQ(first_not(dst - kMargin, kCanary, kMargin), kMargin) << "written before dst";
    }
  region.protect(region.size() - page_size(), page_size(), PROT_READ | PROT_WRITE);
}

std::vector<VariantOp<FillOperation>> user_fill_ops() {
  std::vector<FillOperation> ops;
  for (const auto& op : fill_operations())
    if (op.user_destination) ops.push_back(op);
  return cross(kernel_configs(), ops);
}

INSTANTIATE_TEST_SUITE_P(AllVariants, FillMappingRace, ::testing::ValuesIn(user_fill_ops()),
                         variant_op_name<FillOperation>);

// ---- Stores that ran ahead of the safe point ------------------------------------------------
//
// A loop kernel stores one unaligned head vector [dst, dst + VEC), then starts its loop at
// dst's next VEC boundary, which lies inside the head (as on AArch64 the loop may align the
// source instead: the head still overlaps the first iteration). Deterministic form of the
// race: the source page the loop's first loads reach is inaccessible; the resolver, on that
// read fault, write-protects the destination page (another thread's mprotect between the
// head's store and the loop's) and either makes the source readable again, so the loop's
// first store then faults at the boundary, inside bytes the head already wrote, or (user
// sources) lets the read fault stand, so the byte retry faults on the destination. Either way the head's bytes
// are written and must be counted: the count is exact, nothing past it was written. Before
// the kernels told the tail how far their stores had reached (issue 16), the count ended at
// the boundary with the head's last bytes written past it.

struct HeadRace {
  char* source_page = nullptr;  // inaccessible until the resolver runs
  char* destination_page = nullptr;
  bool resume = false;  // make the source readable and run the load again
  bool fired = false;
};
HeadRace g_head;

int protect_destination_on_read(void* address, int is_write, void*) {
  char* const a = static_cast<char*>(address);
  if (g_head.fired || is_write || a < g_head.source_page || a >= g_head.source_page + page_size())
    return 0;
  g_head.fired = true;
  mprotect(g_head.destination_page, page_size(), PROT_READ);
  if (!g_head.resume) return 0;
  mprotect(g_head.source_page, page_size(), PROT_READ | PROT_WRITE);
  return 1;
}

class CopyHeadVectorRace : public VariantFixture<VariantOp<CopyOperation>> {
 protected:
  void SetUp() override { select(GetParam().variant); }
};

TEST_P(CopyHeadVectorRace, HeadBytesWrittenBeforeTheRaceAreCounted) {
  const CopyOperation& op = GetParam().op;
  GuardedRegion src_region(8 * page_size());
  fill_pattern(src_region.begin(), src_region.size(), 13);
  char* const source_page = src_region.begin() + 4 * page_size();
  GuardedRegion region(8 * page_size());
  char* const destination_page = region.begin() + 4 * page_size();
  umaccess_set_fault_resolver(protect_destination_on_read, nullptr);
  constexpr std::size_t kLength = 1024;  // past 8 x VEC and NT_MIN_BYTES of every variant
  // Source: 64 or 56 bytes before the inaccessible page, so the head (<= 64 bytes, or 16 on
  // AArch64) reads accessible bytes and the loop's first loads reach the page; 56 also
  // misaligns the source for kernels that align it. Destination: 1 or 40 bytes into its page.
  for (std::size_t before : {std::size_t{64}, std::size_t{56}})
    for (std::size_t into : {std::size_t{1}, std::size_t{40}})
      for (bool resume : {true, false}) {
        if (!resume && !op.user_source) continue;  // a kernel-side read fault is a bug check
        SCOPED_TRACE("source " + std::to_string(before) + " bytes before the page, destination " +
                     std::to_string(into) + " into its page, " +
                     (resume ? "load resumed" : "read fault stands"));
        const auto* src = reinterpret_cast<const unsigned char*>(source_page - before);
        auto* dst = reinterpret_cast<unsigned char*>(destination_page + into);
        region.protect(4 * page_size(), page_size(), PROT_READ | PROT_WRITE);
        std::memset(destination_page, kCanary, page_size());
        src_region.protect(4 * page_size(), page_size(), PROT_NONE);
        g_head = {source_page, destination_page, resume, false};
        const auto e = expect_raise([&] { op.run(dst, src, kLength); });
        ASSERT_TRUE(g_head.fired) << "the copy never read the inaccessible source page";
        ASSERT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
        const std::size_t copied = e.bytes_copied();
        ASSERT_LE(copied, before + (resume ? 64 : 0));
        ASSERT_EQ(first_mismatch(dst, src, copied), copied) << "the counted prefix differs";
        EXPECT_EQ(first_not(dst + copied, kCanary, page_size() - into - copied),
                  page_size() - into - copied)
            << "written past the count " << copied;
        EXPECT_EQ(first_not(destination_page, kCanary, into), into) << "written before dst";
        if (resume) {
          EXPECT_TRUE(e.is_write());
          EXPECT_EQ(e.address(), reinterpret_cast<std::uintptr_t>(dst + copied));
        }
      }
  umaccess_set_fault_resolver(nullptr, nullptr);
  region.protect(4 * page_size(), page_size(), PROT_READ | PROT_WRITE);
  src_region.protect(4 * page_size(), page_size(), PROT_READ | PROT_WRITE);
}

INSTANTIATE_TEST_SUITE_P(AllVariants, CopyHeadVectorRace, ::testing::ValuesIn(user_destination_ops()),
                         variant_op_name<CopyOperation>);


// ---- The real race -------------------------------------------------------------------------

#if defined(UMACCESS_TESTS_UNDER_EMULATOR)
constexpr int kRaceRounds = 40;  // every fault is a relayed signal under qemu-user
#elif defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int kRaceRounds = 100;  // the sanitizers check the code paths, not the numbers
#else
constexpr int kRaceRounds = 700;  // x 150 (variant, operation) pairs: > 100 000 faults
#endif

// Toggles one page between read-write and read-only until told to stop.
class Toggler {
 public:
  explicit Toggler(char* page) : page_(page), thread_([this] {
    while (!stop_.load(std::memory_order_relaxed)) {
      mprotect(page_, page_size(), PROT_READ);
      mprotect(page_, page_size(), PROT_READ | PROT_WRITE);
    }
  }) {}
  ~Toggler() {
    stop_ = true;
    thread_.join();
    mprotect(page_, page_size(), PROT_READ | PROT_WRITE);
  }

 private:
  char* page_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Puts the canary back over [p, p + n) while the toggler runs: write-enable, fill through
// the fault-safe fill, again until one fill got through whole.
void reset_canary(char* page, unsigned char* p, std::size_t n) {
  for (;;) {
    mprotect(page, page_size(), PROT_READ | PROT_WRITE);
    if (umaccess_fill_user_memory(p, n, kCanary, nullptr) == STATUS_SUCCESS) return;
  }
}

// The destination after a failed operation: the first `copied` bytes hold their final
// value, every later one before the guard still the canary (the page is readable: the
// toggler only takes write access away). Returns false, and says why, if not. No byte
// past the count is excused: not even the rest of a head vector or of an earlier window
// whose page was write-protected before a later store (the kernels tell the fault tail
// how far their stores reached, issue 16).
template <typename Expected>
bool exact(const unsigned char* dst, std::size_t copied, std::size_t avail, Expected expected,
           std::string* why) {
  if (copied > avail) return *why = "count past the guard", false;
  for (std::size_t i = 0; i < copied; ++i)
    if (dst[i] != expected(i)) return *why = "byte " + std::to_string(i) + " of the count", false;
  for (std::size_t i = copied; i < avail; ++i)
    if (dst[i] != kCanary)
      return *why = "byte " + std::to_string(i) + " written past the count " +
                    std::to_string(copied),
             false;
  return true;
}

const std::size_t kRaceAvailable[] = {1, 9, 33, 64, 100, 255, 300, 700, 2000, 4096};

class CopyConcurrentMappingRace : public VariantFixture<VariantOp<CopyOperation>> {
 protected:
  void SetUp() override { select(GetParam().variant); }
};

TEST_P(CopyConcurrentMappingRace, NoFaultingCopyHoldsDataPastItsCount) {
  const CopyOperation& op = GetParam().op;
  GuardedRegion src_region(64 * 1024);
  fill_pattern(src_region.begin(), src_region.size(), 11);
  const auto* src = reinterpret_cast<const unsigned char*>(src_region.begin() + 5);
  GuardedRegion region(64 * 1024);
  char* const page = region.guard() - page_size();
  long inexact = 0, faults = 0;
  std::string first_why;
  {
    Toggler toggler(page);
    for (int round = 0; round < kRaceRounds; ++round) {
      const std::size_t avail = kRaceAvailable[round % std::size(kRaceAvailable)];
      auto* dst = reinterpret_cast<unsigned char*>(region.ending_at_guard(avail));
      reset_canary(page, dst, avail);
      try {
        op.run(dst, src, avail + 64);
        ADD_FAILURE() << "ran into the guard page without a fault";
      } catch (const umaccess::StructuredException& e) {
        ++faults;
        std::string why;
        if (!exact(dst, e.bytes_copied(), avail, [&](std::size_t i) { return src[i]; }, &why)) {
          if (inexact++ == 0) first_why = why + ", accessible " + std::to_string(avail);
        }
      }
    }
  }
  EXPECT_EQ(faults, kRaceRounds);
  EXPECT_EQ(inexact, 0) << "of " << faults << " faulting copies; first: " << first_why;
}

INSTANTIATE_TEST_SUITE_P(AllVariants, CopyConcurrentMappingRace,
                         ::testing::ValuesIn(user_destination_ops()),
                         variant_op_name<CopyOperation>);

class FillConcurrentMappingRace : public VariantFixture<VariantOp<FillOperation>> {
 protected:
  void SetUp() override { select(GetParam().variant); }
};

TEST_P(FillConcurrentMappingRace, NoFaultingFillHoldsDataPastItsCount) {
  const FillOperation& op = GetParam().op;
  const unsigned char value = op.zero_only ? 0 : 0x3C;
  GuardedRegion region(64 * 1024);
  char* const page = region.guard() - page_size();
  long inexact = 0, faults = 0;
  std::string first_why;
  {
    Toggler toggler(page);
    for (int round = 0; round < kRaceRounds; ++round) {
      const std::size_t avail = kRaceAvailable[round % std::size(kRaceAvailable)];
      auto* dst = reinterpret_cast<unsigned char*>(region.ending_at_guard(avail));
      reset_canary(page, dst, avail);
      try {
        op.run(dst, avail + 64, 0x3C);
        ADD_FAILURE() << "ran into the guard page without a fault";
      } catch (const umaccess::StructuredException& e) {
        ++faults;
        std::string why;
        if (!exact(dst, e.bytes_copied(), avail, [&](std::size_t) { return value; }, &why)) {
          if (inexact++ == 0) first_why = why + ", accessible " + std::to_string(avail);
        }
      }
    }
  }
  EXPECT_EQ(faults, kRaceRounds);
  EXPECT_EQ(inexact, 0) << "of " << faults << " faulting fills; first: " << first_why;
}

INSTANTIATE_TEST_SUITE_P(AllVariants, FillConcurrentMappingRace, ::testing::ValuesIn(user_fill_ops()),
                         variant_op_name<FillOperation>);

// ---- Unmapping and mapping back under a faulting copy -------------------------------------
//
// Another thread takes a page of the destination (and, for user-to-user copies, of the
// source) away and puts it back, in turns: munmap + mmap MAP_FIXED_NOREPLACE, and mremap to
// a parking page and back. An anonymous page mapped again comes back zero-filled, so what
// the operation left on it cannot be told apart from what the race did: the raced page is
// checked only when its generation counter shows that it stayed mapped from before the
// canary was laid until after the destination was read back. The source's raced page is a
// memfd page mapped shared, so it comes back with its contents either way and the expected
// bytes are always the pattern's.
//
// Checked for every faulting operation: STATUS_ACCESS_VIOLATION, a count <= the bytes before
// the guard, an address inside the buffer the fault names; on every destination page that
// stayed mapped (and the 64 bytes before dst), the first bytes_copied bytes hold their
// final values and every later byte is still the canary - except, when the *source* page
// was taken away during the operation, the copy's own bytes in fewer than 8 x VEC bytes
// after the count (docs/fault-model.md, "When the mapping changes during a fault"). A raced
// destination page that did not stay mapped may hold only zeros, the canary or final values
// (zeros or final values before the count). When nothing was raced, the count is exact: the
// guard. Two layouts: the raced page just before the guard (the retry runs into it), and the
// page before that (a page the first fault lies beyond).
//
// The regions and parking pages lie far below where mmap(NULL, ...) allocates: a one-page
// hole near the top of the mmap area is the first place the kernel puts the next small
// mapping of any thread, and one did land there in CI (sse2/CopyToMode_User). Should it
// happen anyway, the failure names the intruder from /proc/self/maps and the region stays
// mapped, rather than tearing that mapping away from its owner.

#if defined(UMACCESS_TESTS_UNDER_EMULATOR)
constexpr int kUnmapRounds = 100;  // x 75 (variant, operation) pairs under qemu-user
#elif defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int kUnmapRounds = 100;
#else
constexpr int kUnmapRounds = 600;  // x 150 (variant, operation) pairs: 90 000 faults
#endif

#if defined(__x86_64__)
constexpr std::size_t kMaxOverhang = 8 * 64;  // 8 x VEC, VEC the widest (AVX-512)
#else
constexpr std::size_t kMaxOverhang = 8 * 16;  // 8 x VEC, NEON
#endif

// One page that the racing thread unmaps and maps back. Anonymous private (comes back
// zero-filled after munmap + mmap), or shared from a memfd (comes back with its contents).
// mremap moves it to a parking page of its own and back, contents and all. The generation
// is odd while the page is not where it belongs.
class RacedPage {
 public:
  RacedPage(char* at, bool file_backed) : at_(at) {
    if (file_backed) {
      fd_ = memfd_create("umaccess-race-source", MFD_CLOEXEC);
      if (fd_ < 0 || ftruncate(fd_, static_cast<off_t>(page_size())) != 0)
        throw std::runtime_error("memfd");
      if (mmap(at_, page_size(), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd_, 0) != at_)
        throw std::runtime_error("mmap of the memfd page");
    }
    // Beside the raced page's region, far from where other mappings of the process go: the
    // parking page is a hole for a moment too.
    parking_ = static_cast<char*>(map_near(far_from_mmap_area(), page_size(), PROT_NONE));
  }
  ~RacedPage() {
    if (!found_foreign()) munmap(parking_, page_size());
    if (fd_ >= 0) close(fd_);
  }
  RacedPage(const RacedPage&) = delete;
  RacedPage& operator=(const RacedPage&) = delete;

  char* at() const { return at_; }
  bool contains(const void* p) const {
    return static_cast<const char*>(p) >= at_ && static_cast<const char*>(p) < at_ + page_size();
  }
  std::uint64_t generation() const { return generation_.load(); }
  const char* error() const { return error_; }
  // A mapping that is not ours was found where the page belongs: the region must then stay
  // mapped when the test ends (unmapping it would pull that mapping from under its owner).
  bool found_foreign() const { return foreign_.load(); }

  // Takes the page away and puts it back after `hold_us` microseconds (the racing thread).
  // Returns false, with error() saying why, if that failed (the page may then be missing).
  bool disturb(bool by_mremap, unsigned hold_us) {
#if defined(UMACCESS_TESTS_UNDER_EMULATOR)
    // qemu-user maps a file page into a hole in two steps, so another thread can read a zero
    // page there meanwhile (copies counted zeros from the source): only mremap the memfd page.
    if (fd_ >= 0) by_mremap = true;
#endif
    generation_.fetch_add(1);
    if (by_mremap) {
      if (!move(at_, parking_)) return fail("mremap of the raced page to its parking page");
      hold(hold_us);
      if (!is_hole(at_)) return fail_foreign("a foreign mapping took the raced page's place", at_);
      if (!move(parking_, at_)) return fail("mremap of the raced page back");
      if (mmap(parking_, page_size(), PROT_NONE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != parking_)
        return fail_foreign("a foreign mapping took the parking page's place", parking_);
    } else {
      if (munmap(at_, page_size()) != 0) return fail("munmap of the raced page");
      hold(hold_us);
      // MAP_FIXED_NOREPLACE: never clobber a mapping someone else placed in the hole.
      void* q = fd_ < 0 ? mmap(at_, page_size(), PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0)
                        : mmap(at_, page_size(), PROT_READ | PROT_WRITE,
                               MAP_SHARED | MAP_FIXED_NOREPLACE, fd_, 0);
      if (q != at_) {
        if (q != MAP_FAILED) munmap(q, page_size());  // MAP_FIXED_NOREPLACE taken as a hint
        return fail_foreign("mapping the raced page back failed", at_);
      }
    }
    generation_.fetch_add(1);
    return true;
  }

  static void hold(unsigned us) {
    if (us == 0) return;
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(us);
    while (std::chrono::steady_clock::now() < until) {
    }
  }

 private:
  static bool move(char* from, char* to) {
    return mremap(from, page_size(), page_size(), MREMAP_MAYMOVE | MREMAP_FIXED, to) == to;
  }
  // True when nothing is mapped at p. mincore() fails with ENOMEM exactly then; another
  // error (EAGAIN: no memory for its buffer) says nothing, so it asks again.
  static bool is_hole(char* p) {
    unsigned char v;
    for (int attempt = 0; attempt < 100; ++attempt) {
      if (mincore(p, page_size(), &v) == 0) return false;
      if (errno == ENOMEM) return true;
    }
    return false;
  }
  bool fail(const char* why) {
    error_ = why;
    return false;
  }
  // Names the foreign mapping from /proc/self/maps, so that a failure says who took the page.
  bool fail_foreign(const char* why, const char* at) {
    std::snprintf(why_, sizeof why_, "%s: %s", why, maps_line(at).c_str());
    error_ = why_;
    foreign_ = true;
    return false;
  }
  static std::string maps_line(const char* at) {
    FILE* f = std::fopen("/proc/self/maps", "r");
    if (f == nullptr) return "(no /proc/self/maps)";
    char line[512];
    std::string found = "(not in /proc/self/maps)";
    while (std::fgets(line, sizeof line, f) != nullptr) {
      unsigned long lo = 0, hi = 0;
      const auto a = reinterpret_cast<unsigned long>(at);
      if (std::sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo <= a && a < hi) {
        found = line;
        break;
      }
    }
    std::fclose(f);
    return found;
  }

  char* at_;
  char* parking_ = nullptr;
  int fd_ = -1;
  std::atomic<std::uint64_t> generation_{0};
  const char* error_ = nullptr;
  char why_[640] = {};
  std::atomic<bool> foreign_{false};
};

// Takes the pages away and back in turns (munmap, then mremap, for each page), with short
// random pauses so that operations see every phase: mapped throughout, taken away before
// they start, during the vector stores, between the first fault and the byte retry.
class Remapper {
 public:
  explicit Remapper(std::vector<RacedPage*> pages) : pages_(std::move(pages)), thread_([this] {
    std::uint32_t x = 0x9E3779B9u;
    for (unsigned step = 0; !stop_.load(std::memory_order_relaxed); ++step) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      RacedPage& page = *pages_[(step >> 1) % pages_.size()];
      if (!page.disturb((step & 1) != 0, x % 4 == 0 ? 0 : x >> 28)) {
        failed_ = page.error();
        return;
      }
      ++disturbances_;
      RacedPage::hold((x >> 8) % 40);
    }
  }) {}
  ~Remapper() {
    stop_ = true;
    thread_.join();
  }
  const char* failed() const { return failed_.load(); }
  long disturbances() const { return disturbances_.load(); }

 private:
  std::vector<RacedPage*> pages_;
  std::atomic<bool> stop_{false};
  std::atomic<const char*> failed_{nullptr};
  std::atomic<long> disturbances_{0};
  std::thread thread_;
};

struct UnmapTally {
  long ops = 0, faults = 0, exact = 0, dst_raced = 0, src_raced = 0, overhangs = 0;
  long disturbances = 0, failures = 0;
  std::size_t max_overhang = 0;
  std::string first_failure;

  void fail(const std::string& why) {
    if (failures++ == 0) first_failure = why;
  }
  void report(const char* what) const {
    ::testing::Test::RecordProperty("faults", std::to_string(faults));
    ::testing::Test::RecordProperty("dst_raced", std::to_string(dst_raced));
    ::testing::Test::RecordProperty("src_raced", std::to_string(src_raced));
    ::testing::Test::RecordProperty("max_overhang", std::to_string(max_overhang));
    std::printf("[ unmap race ] %ld faulting %s: %ld checked exact to the guard, %ld with the "
                "destination page raced, %ld with the source page raced (%ld left copied bytes "
                "past the count, at most %zu); %ld remaps\n",
                faults, what, exact, dst_raced, src_raced, overhangs, max_overhang,
                disturbances);
  }
};

// Reads [p, p + n) while the raced page may be missing: through the fault-safe copy, again
// until one read got through whole. False if the racing thread gave up.
bool read_back(unsigned char* out, const unsigned char* p, std::size_t n, const Remapper& r) {
  for (;;) {
    std::size_t done = 0;
    if (umaccess_copy_from_user(out, p, n, &done) == STATUS_SUCCESS) return true;
    if (r.failed() != nullptr) return false;
  }
}
bool lay_canary(unsigned char* p, std::size_t n, const Remapper& r) {
  for (;;) {
    if (umaccess_fill_user_memory(p, n, kCanary, nullptr) == STATUS_SUCCESS) return true;
    if (r.failed() != nullptr) return false;
  }
}

const std::size_t kUnmapAvailable[] = {1,    9,    33,   64,   100,  255,  300,  700,
                                       2000, 4096, 4100, 5000, 8192, 9000, 12000};
constexpr unsigned kSourceSeed = 23;

// One operation into the region's last `avail` bytes before the guard, with the destination
// page `dst_page` (and the source page `src_page`, or nullptr) raced; checks and tallies it.
template <typename Run, typename Expected>
void unmap_round(const GuardedRegion& region, std::size_t avail, const RacedPage& dst_page,
                 const RacedPage* src_page, const unsigned char* src, const Remapper& remapper,
                 Run run, Expected expected, UnmapTally& t) {
  auto* const dst = reinterpret_cast<unsigned char*>(region.ending_at_guard(avail));
  const std::size_t len = avail + 64;
  const std::size_t n = kMargin + avail;
  const std::uint64_t dst0 = dst_page.generation();
  const std::uint64_t src0 = src_page ? src_page->generation() : 0;
  if (!lay_canary(dst - kMargin, n, remapper)) return;
  ++t.ops;
  bool raised = false;
  umaccess::StructuredException e(0, 0, false);
  try {
    run(dst, len);
  } catch (const umaccess::StructuredException& x) {
    raised = true;
    e = x;
  }
  const bool src_raced =
      src_page != nullptr && (src_page->generation() != src0 || (src0 & 1) != 0);
  std::vector<unsigned char> seen(n);
  if (!read_back(seen.data(), dst - kMargin, n, remapper)) return;
  const bool dst_raced = dst_page.generation() != dst0 || (dst0 & 1) != 0;
  const std::string where = "accessible " + std::to_string(avail) +
                            (dst_raced ? ", destination page raced" : "") +
                            (src_raced ? ", source page raced" : "");
  if (!raised) return t.fail("ran into the guard page without a fault, " + where);
  ++t.faults;
  t.dst_raced += dst_raced;
  t.src_raced += src_raced;
  const std::size_t copied = e.bytes_copied();
  if (e.code() != STATUS_ACCESS_VIOLATION)
    return t.fail(std::string(umaccess::status_name(e.code())) + ", " + where);
  if (copied > avail)
    return t.fail("count " + std::to_string(copied) + " past the guard, " + where);
  const auto a = e.address();
  const auto d = reinterpret_cast<std::uintptr_t>(dst);
  const auto s = reinterpret_cast<std::uintptr_t>(src);
  if (e.is_write() ? (a < d || a > d + avail) : (src == nullptr || a < s || a >= s + len))
    return t.fail("fault address outside the buffer it names, " + where);
  if (!dst_raced && !src_raced && (copied != avail || a != d + avail || !e.is_write()))
    return t.fail("nothing was raced, but the count is " + std::to_string(copied) + ", " + where);
  std::size_t last_copied_past = copied;
  for (std::size_t k = 0; k < n; ++k) {
    const unsigned char v = seen[k];
    const bool before_dst = k < kMargin;
    const std::size_t i = k - kMargin;  // meaningful when !before_dst
    if (dst_raced && dst_page.contains(dst - kMargin + k)) {
      const bool ok = before_dst ? (v == kCanary || v == 0)
                      : i < copied ? (v == 0 || v == expected(i))
                                   : (v == kCanary || v == 0 || v == expected(i));
      if (!ok)
        return t.fail("byte " + std::to_string(k) + " - " + std::to_string(kMargin) +
                      " of the raced page is neither zero, the canary nor its value, count " +
                      std::to_string(copied) + ", " + where);
      continue;
    }
    if (before_dst) {
      if (v != kCanary) return t.fail("written before dst, " + where);
    } else if (i < copied) {
      if (v != expected(i))
        return t.fail("byte " + std::to_string(i) + " of the count " + std::to_string(copied) +
                      " is " + std::to_string(v) + ", not " + std::to_string(expected(i)) + ", " +
                      where);
    } else if (v != kCanary) {
      if (!src_raced || v != expected(i) || i >= copied + kMaxOverhang)
        return t.fail("byte " + std::to_string(i) + " written past the count " +
                      std::to_string(copied) + ", " + where);
      last_copied_past = i + 1;
    }
  }
  if (!dst_raced && !src_raced) ++t.exact;
  if (last_copied_past > copied) {
    ++t.overhangs;
    t.max_overhang = std::max(t.max_overhang, last_copied_past - copied);
  }
}

// Two layouts (the raced destination page just before the guard, and the one before it),
// half the rounds each.
char* raced_destination_page(const GuardedRegion& region, int round) {
  return region.guard() - (round < kUnmapRounds / 2 ? 1 : 2) * page_size();
}

class CopyUnmapRace : public VariantFixture<VariantOp<CopyOperation>> {
 protected:
  void SetUp() override { select(GetParam().variant); }
};

TEST_P(CopyUnmapRace, PagesThatStayedMappedHoldExactlyTheCount) {
  const CopyOperation& op = GetParam().op;
  GuardedRegion src_region(64 * 1024, far_from_mmap_area());
  RacedPage src_page(src_region.begin() + page_size(), /*file_backed=*/true);
  fill_pattern(src_region.begin(), src_region.size(), kSourceSeed);
  GuardedRegion region(64 * 1024, far_from_mmap_area());
  const std::size_t offsets[] = {5, page_size() - 100, page_size() - 1500};
  UnmapTally t;
  for (int phase = 0; phase < 2 && t.failures == 0; ++phase) {
    const int first = phase * (kUnmapRounds / 2), end = phase ? kUnmapRounds : kUnmapRounds / 2;
    RacedPage dst_page(raced_destination_page(region, first), false);
    std::vector<RacedPage*> raced{&dst_page};
    if (op.user_source) raced.push_back(&src_page);  // a kernel-side source must not fault
    Remapper remapper(raced);
    for (int round = first; round < end && remapper.failed() == nullptr; ++round) {
      const std::size_t avail = kUnmapAvailable[round % std::size(kUnmapAvailable)];
      const std::size_t off = offsets[round / std::size(kUnmapAvailable) % 3];
      const auto* src = reinterpret_cast<const unsigned char*>(src_region.begin() + off);
      unmap_round(
          region, avail, dst_page, op.user_source ? &src_page : nullptr,
          op.user_source ? src : nullptr, remapper,
          [&](unsigned char* dst, std::size_t len) { op.run(dst, src, len); },
          [&](std::size_t i) { return pattern_byte(off + i, kSourceSeed); }, t);
    }
    t.disturbances += remapper.disturbances();
    if (dst_page.found_foreign()) region.keep_mapped();
    if (src_page.found_foreign()) src_region.keep_mapped();
    ASSERT_EQ(remapper.failed(), nullptr) << remapper.failed();
  }
  t.report("copies");
  EXPECT_EQ(t.faults, t.ops);
  EXPECT_EQ(t.failures, 0) << "of " << t.faults << " faulting copies; first: " << t.first_failure;
}

INSTANTIATE_TEST_SUITE_P(AllVariants, CopyUnmapRace, ::testing::ValuesIn(user_destination_ops()),
                         variant_op_name<CopyOperation>);

class FillUnmapRace : public VariantFixture<VariantOp<FillOperation>> {
 protected:
  void SetUp() override { select(GetParam().variant); }
};

TEST_P(FillUnmapRace, PagesThatStayedMappedHoldExactlyTheCount) {
  const FillOperation& op = GetParam().op;
  const unsigned char value = op.zero_only ? 0 : 0x3C;
  GuardedRegion region(64 * 1024, far_from_mmap_area());
  UnmapTally t;
  for (int phase = 0; phase < 2 && t.failures == 0; ++phase) {
    const int first = phase * (kUnmapRounds / 2), end = phase ? kUnmapRounds : kUnmapRounds / 2;
    RacedPage dst_page(raced_destination_page(region, first), false);
    Remapper remapper({&dst_page});
    for (int round = first; round < end && remapper.failed() == nullptr; ++round)
      unmap_round(
          region, kUnmapAvailable[round % std::size(kUnmapAvailable)], dst_page, nullptr,
          nullptr, remapper, [&](unsigned char* dst, std::size_t len) { op.run(dst, len, 0x3C); },
          [&](std::size_t) { return value; }, t);
    t.disturbances += remapper.disturbances();
    if (dst_page.found_foreign()) region.keep_mapped();
    ASSERT_EQ(remapper.failed(), nullptr) << remapper.failed();
  }
  t.report("fills");
  EXPECT_EQ(t.faults, t.ops);
  EXPECT_EQ(t.failures, 0) << "of " << t.faults << " faulting fills; first: " << t.first_failure;
}

INSTANTIATE_TEST_SUITE_P(AllVariants, FillUnmapRace, ::testing::ValuesIn(user_fill_ops()),
                         variant_op_name<FillOperation>);

}  // namespace
}  // namespace umatest
