// SPDX-License-Identifier: Apache-2.0
// tests/conformance_test.cpp - every copy, move and fill, for every kernel variant this CPU
// supports, against a reference: every length 0..1024 with every source and destination
// misalignment 0..63, the full 64 x 64 misalignment grid at the size-class edges, and a
// spread of lengths up to 1 MiB; canaries on both sides of the destination.
#include <algorithm>
#include <cstring>

#include "operations.h"
#include "support.h"

namespace umatest {
namespace {

constexpr std::size_t kMargin = 64;   // canary bytes on each side of the destination window
constexpr std::size_t kMaxLen = (1u << 20) + 1;
constexpr std::size_t kArena = kMaxLen + 64 + 2 * kMargin;

const std::size_t kEdgeLengths[] = {0,  1,  2,  3,   4,   5,   7,   8,   9,   15,  16, 17,
                                    31, 32, 33, 63,  64,  65,  127, 128, 129, 255, 256, 257};
const std::size_t kLargeLengths[] = {2047,  2048,  4095,   4096,   4097,    8191,    8192,
                                     8193,  16387, 65536,  100007, 262144,  1048575, 1048576,
                                     kMaxLen};
const std::pair<std::size_t, std::size_t> kLargeAlignments[] = {{0, 0}, {1, 0},  {0, 1},
                                                                {3, 33}, {33, 3}, {63, 63}};

// Describes the first way the destination window differs from what the operation promised.
std::string check_window(const unsigned char* window, std::size_t len, const void* expected,
                         unsigned char fill, bool is_fill) {
  if (std::size_t i = first_not(window, kCanary, kMargin); i != kMargin)
    return "canary before the destination overwritten at -" + std::to_string(kMargin - i);
  const unsigned char* body = window + kMargin;
  const std::size_t bad = is_fill ? first_not(body, fill, len) : first_mismatch(body, expected, len);
  if (bad != len) return "wrong byte at offset " + std::to_string(bad);
  if (std::size_t i = first_not(body + len, kCanary, kMargin); i != kMargin)
    return "canary after the destination overwritten at +" + std::to_string(i);
  return {};
}

class CopyConformance : public VariantFixture<VariantOp<CopyOperation>> {
 protected:
  GuardedRegion src_{kArena};
  GuardedRegion dst_{kArena};

  void SetUp() override {
    select(GetParam().variant);
    fill_pattern(src_.begin(), src_.size(), 1);
  }

  // Copies len bytes from src offset s to dst offset d; returns a failure description or "".
  std::string run(std::size_t s, std::size_t d, std::size_t len) {
    unsigned char* window = reinterpret_cast<unsigned char*>(dst_.begin()) + d;
    std::memset(window, kCanary, len + 2 * kMargin);
    const char* src = src_.begin() + kMargin + s;
    GetParam().op.run(window + kMargin, src, len);
    std::string why = check_window(window, len, src, 0, false);
    if (!why.empty())
      why += " (length " + std::to_string(len) + ", src+" + std::to_string(s) + ", dst+" +
             std::to_string(d) + ")";
    return why;
  }
};

TEST_P(CopyConformance, EveryLengthTo1024WithEveryMisalignment) {
  for (std::size_t len = 0; len <= 1024; ++len)
    for (std::size_t k = 0; k < 64; ++k) {
      const std::string why = run(k, (k * 7 + len) % 64, len);
      ASSERT_TRUE(why.empty()) << why;
    }
}

TEST_P(CopyConformance, FullMisalignmentGridAtSizeClassEdges) {
  for (std::size_t len : kEdgeLengths)
    for (std::size_t s = 0; s < 64; ++s)
      for (std::size_t d = 0; d < 64; ++d) {
        const std::string why = run(s, d, len);
        ASSERT_TRUE(why.empty()) << why;
      }
}

TEST_P(CopyConformance, LargeLengthsUpTo1MiB) {
  for (std::size_t len : kLargeLengths)
    for (auto [s, d] : kLargeAlignments) {
      const std::string why = run(s, d, len);
      ASSERT_TRUE(why.empty()) << why;
    }
}

INSTANTIATE_TEST_SUITE_P(AllVariants, CopyConformance,
                         ::testing::ValuesIn(cross(kernel_configs(), copy_operations())),
                         variant_op_name<CopyOperation>);

class FillConformance : public VariantFixture<VariantOp<FillOperation>> {
 protected:
  GuardedRegion dst_{kArena};
  void SetUp() override { select(GetParam().variant); }

  std::string run(std::size_t d, std::size_t len, unsigned char byte) {
    unsigned char* window = reinterpret_cast<unsigned char*>(dst_.begin()) + d;
    std::memset(window, kCanary, len + 2 * kMargin);
    GetParam().op.run(window + kMargin, len, byte);
    const unsigned char expect = GetParam().op.zero_only ? 0 : byte;
    std::string why = check_window(window, len, nullptr, expect, true);
    if (!why.empty())
      why += " (length " + std::to_string(len) + ", dst+" + std::to_string(d) + ", byte " +
             std::to_string(byte) + ")";
    return why;
  }
};

TEST_P(FillConformance, EveryLengthTo1024WithEveryMisalignment) {
  const unsigned char bytes[] = {0x00, 0xFF, 0x5A, 0x80, 0x01};
  for (std::size_t len = 0; len <= 1024; ++len)
    for (std::size_t d = 0; d < 64; ++d) {
      const std::string why = run(d, len, bytes[(len + d) % 5]);
      ASSERT_TRUE(why.empty()) << why;
    }
}

TEST_P(FillConformance, LargeLengthsUpTo1MiB) {
  for (std::size_t len : kLargeLengths)
    for (std::size_t d : {0, 1, 33, 63}) {
      const std::string why = run(d, len, 0x3C);
      ASSERT_TRUE(why.empty()) << why;
    }
}

INSTANTIATE_TEST_SUITE_P(AllVariants, FillConformance,
                         ::testing::ValuesIn(cross(kernel_configs(), fill_operations())),
                         variant_op_name<FillOperation>);

// MoveToUserFromUser with source and destination overlapping at every small distance in
// both directions (plus dst == src), against memmove.
class OverlappingMove : public VariantFixture<std::string> {
 protected:
  void SetUp() override { select(GetParam()); }
};

TEST_P(OverlappingMove, MatchesMemmoveAtEveryDistance) {
  constexpr std::size_t kBuf = 4096;
  GuardedRegion region(kBuf);
  std::vector<unsigned char> expect(kBuf);
  std::vector<std::size_t> lengths;
  for (std::size_t n = 0; n <= 300; ++n) lengths.push_back(n);
  for (std::size_t n : {511, 512, 513, 1000, 1500, 2000}) lengths.push_back(n);
  for (long delta = -200; delta <= 200; ++delta) {
    for (std::size_t len : lengths) {
      const std::size_t src_off = 1024 + (len % 7);
      const std::size_t dst_off = static_cast<std::size_t>(static_cast<long>(src_off) + delta);
      fill_pattern(region.begin(), kBuf, static_cast<unsigned>(len));
      std::memcpy(expect.data(), region.begin(), kBuf);
      std::memmove(expect.data() + dst_off, expect.data() + src_off, len);
      MoveToUserFromUser(region.begin() + dst_off, region.begin() + src_off, len);
      const std::size_t bad = first_mismatch(region.begin(), expect.data(), kBuf);
      ASSERT_EQ(bad, kBuf) << "distance " << delta << ", length " << len << ": byte at offset "
                           << bad << " of the buffer differs from memmove";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllVariants, OverlappingMove, ::testing::ValuesIn(kernel_configs()),
                         [](const auto& info) { return info.param; });

#if defined(__x86_64__)
// The avx2 kernels write ymm0-15 and must leave their upper halves clean on every exit
// (vzeroupper), fault fixups included: dirty upper state makes later SSE code pay a
// transition penalty on Intel and a false dependency on others. XGETBV with ECX = 1 reads
// XINUSE, whose bit 2 says the upper halves hold state (where CPUID.(0xD, 1):EAX bit 2 says
// the instruction exists). The raw entries are called so that no library code that cleans
// the state itself (glibc's AVX routines end in vzeroupper) runs between the kernel and the
// check.
bool xgetbv_1_supported() {
  unsigned a, b, c, d;
  __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0xD), "c"(1));
  return (a & 4) != 0;
}
bool upper_ymm_in_use() {
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(1));
  return (lo & 4) != 0;
}

class UpperState : public VariantFixture<std::string> {
 protected:
  void SetUp() override {
    const auto v = supported_variants();
    if (std::find(v.begin(), v.end(), "avx2") == v.end() || !xgetbv_1_supported())
      GTEST_SKIP() << "needs the avx2 variant and XGETBV with ECX = 1";
    select(GetParam());
  }
  // Runs f from a clean state and checks that the state is clean after it.
  template <typename F>
  void expect_clean_after(const std::string& what, F f) {
    __asm__ volatile("vzeroupper");
    f();
    const bool dirty = upper_ymm_in_use();
    EXPECT_FALSE(dirty) << what << ": the upper halves of ymm0-15 were left in use";
  }
};

TEST_P(UpperState, Avx2KernelsLeaveTheUpperHalvesOfYmmCleanOnEveryExit) {
  constexpr std::size_t kBuf = 256 * 1024;
  GuardedRegion src(kBuf), dst(kBuf);
  fill_pattern(src.begin(), kBuf, 1);
  umaccess_fault_record rec;
  for (std::size_t n : {1, 17, 33, 100, 300, 5000, 200000}) {
    const std::string len = std::to_string(n) + " bytes";
    expect_clean_after("copy of " + len,
                       [&] { umaccess_raw_copy_from_user(dst.begin(), src.begin(), n, &rec); });
    expect_clean_after("non-temporal copy of " + len, [&] {
      umaccess_raw_copy_from_user_nontemporal(dst.begin(), src.begin(), n, &rec);
    });
    expect_clean_after("fill of " + len,
                       [&] { umaccess_raw_fill_user_memory(dst.begin(), n, 0x5A, &rec); });
    if (n + 5 <= kBuf)
      expect_clean_after("overlapping move of " + len, [&] {
        umaccess_raw_move_to_user_from_user(src.begin() + 5, src.begin(), n, &rec);
      });
    // Faults: the source runs into the guard page after n - 1 readable bytes.
    expect_clean_after("copy faulting after " + len, [&] {
      EXPECT_NE(umaccess_raw_copy_from_user(dst.begin(), src.ending_at_guard(n - 1), n, &rec), 0u);
    });
  }
  char* text = dst.begin();
  std::memset(text, 'a', kBuf);
  for (std::size_t n : {0, 5, 40, 100, 300, 5000}) {
    text[n] = 0;
    expect_clean_after("string of " + std::to_string(n) + " bytes", [&] {
      EXPECT_EQ(umaccess_raw_string_length(text, 1, &rec).value, n);
    });
    text[n] = 'a';
    const std::size_t units = n / 2;
    text[2 * units] = text[2 * units + 1] = 0;  // a NUL unit
    expect_clean_after("wide string of " + std::to_string(units) + " units", [&] {
      EXPECT_EQ(umaccess_raw_string_length(text, 2, &rec).value, units);
    });
    text[2 * units] = text[2 * units + 1] = 'a';
    // No NUL before the guard page: the kernel faults there.
    expect_clean_after("string faulting after " + std::to_string(n) + " bytes", [&] {
      EXPECT_EQ(umaccess_raw_string_length(dst.ending_at_guard(n), 1, &rec).failed, 1u);
    });
  }
  // A start 20 bytes below a page boundary (the 16-byte walk, back to the vector groups
  // after the boundary), the NUL 3000 bytes on.
  char* near_boundary = text + 4096 - 20;
  near_boundary[3000] = 0;
  expect_clean_after("string starting just below a page boundary", [&] {
    EXPECT_EQ(umaccess_raw_string_length(near_boundary, 1, &rec).value, 3000u);
  });
  near_boundary[3000] = 'a';
  // No NUL before the user range's end: refused there.
  {
    umaccess::ScopedUserRange scope({reinterpret_cast<std::uintptr_t>(dst.begin()),
                                     reinterpret_cast<std::uintptr_t>(text + 5000)});
    expect_clean_after("string running out of the range", [&] {
      EXPECT_EQ(umaccess_raw_string_length(text, 1, &rec).failed, 1u);
    });
  }
}

// The avx2 vector kernels alone, then with streaming stores from the first byte.
INSTANTIATE_TEST_SUITE_P(Avx2, UpperState, ::testing::Values("avx2", "avx2_nt"),
                         [](const auto& info) { return info.param; });
#endif

}  // namespace
}  // namespace umatest
