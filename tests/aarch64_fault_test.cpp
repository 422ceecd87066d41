// SPDX-License-Identifier: Apache-2.0
// tests/aarch64_fault_test.cpp - how the AArch64 fault handler tells reads from writes: the
// ESR record of the signal frame, and the instruction decoder used when a frame has none
// (qemu-user, older kernels). Pure functions, so these run on every architecture; on
// AArch64 the fault suites then check the real thing end to end.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "aarch64_fault.h"

namespace umatest {
namespace {

using umaccess::detail::aarch64::Access;
using umaccess::detail::aarch64::access_from_esr;
using umaccess::detail::aarch64::access_from_instruction;
using umaccess::detail::aarch64::find_esr;

struct Encoded {
  std::uint32_t word;
  const char* text;
  Access access;
};

// Every form of load and store the kernels in asm/aarch64 use, as GNU as encodes them.
constexpr Encoded kKernelInstructions[] = {
    {0xad400420, "ldp q0, q1, [x1]", Access::Read},
    {0xad000400, "stp q0, q1, [x0]", Access::Write},
    {0xadff0480, "ldp q0, q1, [x4, #-32]!", Access::Read},
    {0xadbf04a0, "stp q0, q1, [x5, #-32]!", Access::Write},
    {0xac400420, "ldnp q0, q1, [x1]", Access::Read},
    {0xac010400, "stnp q0, q1, [x0, #32]", Access::Write},
    {0xa9401c26, "ldp x6, x7, [x1]", Access::Read},
    {0xa9011c06, "stp x6, x7, [x0, #16]", Access::Write},
    {0x3dc00020, "ldr q0, [x1]", Access::Read},
    {0x3d800000, "str q0, [x0]", Access::Write},
    {0x3cdf0081, "ldur q1, [x4, #-16]", Access::Read},
    {0x3c9f00a1, "stur q1, [x5, #-16]", Access::Write},
    {0xf9400026, "ldr x6, [x1]", Access::Read},
    {0xf9000006, "str x6, [x0]", Access::Write},
    {0xb85fc087, "ldur w7, [x4, #-4]", Access::Read},
    {0xb81fc0a7, "stur w7, [x5, #-4]", Access::Write},
    {0x785fec86, "ldrh w6, [x4, #-2]!", Access::Read},
    {0x781feca6, "strh w6, [x5, #-2]!", Access::Write},
    {0x38686827, "ldrb w7, [x1, x8]", Access::Read},
    {0x38286807, "strb w7, [x0, x8]", Access::Write},
    {0x38401427, "ldrb w7, [x1], #1", Access::Read},
    {0x38001407, "strb w7, [x0], #1", Access::Write},
    {0x085f7c05, "ldxrb w5, [x0]", Access::Read},
    {0x08067c05, "stxrb w6, w5, [x0]", Access::Write},
    {0xb9800026, "ldrsw x6, [x1]", Access::Read},
    // Not memory accesses, or not ours: the handler must not guess.
    {0x91000400, "add x0, x0, #1", Access::Unknown},
    {0xb8210002, "ldadd w1, w2, [x0]", Access::Unknown},
    {0xd503201f, "nop", Access::Unknown},
};

TEST(Aarch64FaultDirection, InstructionDecoderKnowsEveryKernelAccess) {
  for (const Encoded& e : kKernelInstructions)
    EXPECT_EQ(access_from_instruction(e.word), e.access) << e.text;
}

// ESR_ELx for a data abort: EC in bits 31:26, IL bit 25, WnR bit 6, DFSC (a level-3
// translation fault, 0x07) in bits 5:0.
constexpr std::uint64_t esr(unsigned ec, bool write, bool cache_maintenance = false) {
  return (std::uint64_t{ec} << 26) | (1u << 25) | (std::uint64_t{cache_maintenance} << 8) |
         (std::uint64_t{write} << 6) | 0x07;
}

TEST(Aarch64FaultDirection, EsrWnRBitOfDataAborts) {
  EXPECT_EQ(access_from_esr(esr(0x24, false)), Access::Read);
  EXPECT_EQ(access_from_esr(esr(0x24, true)), Access::Write);
  EXPECT_EQ(access_from_esr(esr(0x25, true)), Access::Write);
  EXPECT_EQ(access_from_esr(esr(0x20, true)), Access::Unknown) << "an instruction abort";
  EXPECT_EQ(access_from_esr(esr(0x24, true, true)), Access::Unknown) << "cache maintenance";
  EXPECT_EQ(access_from_esr(0), Access::Unknown);
}

// A signal frame's __reserved area, as Linux lays it out: records of {magic, size, body}.
class Frame {
 public:
  void record(std::uint32_t magic, std::uint32_t size, std::uint64_t first_word = 0) {
    const std::size_t at = bytes_.size();
    bytes_.resize(at + size);
    std::memcpy(&bytes_[at], &magic, 4);
    std::memcpy(&bytes_[at + 4], &size, 4);
    if (size >= 16) std::memcpy(&bytes_[at + 8], &first_word, 8);
  }
  void terminate() { record(0, 8); }
  const unsigned char* data() const { return bytes_.data(); }
  std::size_t size() const { return bytes_.size(); }

 private:
  std::vector<unsigned char> bytes_;
};

constexpr std::uint32_t kFpsimdMagic = 0x46508001, kFpsimdSize = 528;
constexpr std::uint32_t kEsrMagic = 0x45535201, kExtraMagic = 0x45585401;

TEST(Aarch64FaultDirection, EsrRecordIsFoundAfterTheFpsimdRecord) {
  Frame f;
  f.record(kFpsimdMagic, kFpsimdSize);
  f.record(kEsrMagic, 16, esr(0x24, true));
  f.terminate();
  std::uint64_t value = 0;
  ASSERT_TRUE(find_esr(f.data(), f.size(), &value));
  EXPECT_EQ(value, esr(0x24, true));
}

TEST(Aarch64FaultDirection, MissingOrMalformedEsrRecordsAreNotInvented) {
  std::uint64_t value;
  Frame none;
  none.record(kFpsimdMagic, kFpsimdSize);
  none.terminate();
  EXPECT_FALSE(find_esr(none.data(), none.size(), &value));

  Frame after_extra;  // records past an extra_context live elsewhere: not followed
  after_extra.record(kFpsimdMagic, kFpsimdSize);
  after_extra.record(kExtraMagic, 32);
  after_extra.record(kEsrMagic, 16, esr(0x24, true));
  EXPECT_FALSE(find_esr(after_extra.data(), after_extra.size(), &value));

  Frame zero_size;  // a size below the header would loop forever if trusted
  zero_size.record(kFpsimdMagic, kFpsimdSize);
  zero_size.record(0x12345678, 16);
  std::uint32_t zero = 0;
  std::memcpy(const_cast<unsigned char*>(zero_size.data()) + kFpsimdSize + 4, &zero, 4);
  EXPECT_FALSE(find_esr(zero_size.data(), zero_size.size(), &value));

  Frame truncated;  // a record claiming more bytes than the area holds
  truncated.record(kFpsimdMagic, kFpsimdSize);
  EXPECT_FALSE(find_esr(truncated.data(), truncated.size() - 8, &value));
  EXPECT_FALSE(find_esr(truncated.data(), 4, &value));
}

}  // namespace
}  // namespace umatest
