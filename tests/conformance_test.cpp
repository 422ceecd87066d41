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

}  // namespace
}  // namespace umatest
