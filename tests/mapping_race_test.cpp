// tests/mapping_race_test.cpp - what a faulting copy or fill reports when the mapping changes
// between its first fault and the byte-by-byte retry that makes the count exact (issue 16,
// point 1; docs/fault-model.md "When the mapping changes during a fault").
//
// Deterministic form of the race: a fault resolver that, on the first write fault at the
// guard page, makes the page *before* it read-only and lets the fault stand. The vector
// stores issued before the fault may already have written into that page; the retry from
// the kernel's safe point then faults earlier, so the count can be lower than the bytes
// written. What is guaranteed, and checked here for every variant and operation that writes
// user memory:
//  - the first bytes_copied bytes hold the copy (or the fill);
//  - beyond them, written bytes are the copy's own bytes at their own positions, and run on
//    from bytes_copied by less than kMaxStoreGroup (the stores a kernel issues between two
//    safe points);
//  - nothing before dst, nothing at or after the first fault address, is written;
//  - the failure names an address in [dst, the guard].
#include <sys/mman.h>

#include "operations.h"
#include "support.h"

namespace umatest {
namespace {

#if defined(__x86_64__)
constexpr std::size_t kMaxStoreGroup = 8 * 64;  // 8 x VEC, avx512
#else
constexpr std::size_t kMaxStoreGroup = 128;  // the NEON classes up to 128 bytes
#endif
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

TEST_P(CopyMappingRace, CountNeverAboveWhatIsWrittenAndTheRestIsTheCopy) {
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
      EXPECT_LT(over, kMaxStoreGroup);
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

TEST_P(FillMappingRace, CountNeverAboveWhatIsWrittenAndTheRestIsTheFill) {
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
      EXPECT_LT(over, kMaxStoreGroup);
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

}  // namespace
}  // namespace umatest
