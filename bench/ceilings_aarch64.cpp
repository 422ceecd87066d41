// SPDX-License-Identifier: Apache-2.0
// bench/ceilings_aarch64.cpp - the AArch64 ceilings of baselines.h: ldnp/stnp streaming
// loops, NEON loads, and dc civac for cold runs. Inline asm only where C has no way to say
// it (non-temporal pairs, cache maintenance); these bound what a copy can reach, they are
// not kernels.
#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

#include "arena.h"
#include "baselines.h"

namespace umabench {

void plain_nt_copy(void* dst, const void* src, std::size_t n) {
  auto* d = static_cast<char*>(dst);
  const auto* s = static_cast<const char*>(src);
  for (std::size_t i = 0; i + 64 <= n; i += 64)
    asm volatile(
        "ldnp q0, q1, [%1]\n\t"
        "ldnp q2, q3, [%1, #32]\n\t"
        "stnp q0, q1, [%0]\n\t"
        "stnp q2, q3, [%0, #32]"
        :
        : "r"(d + i), "r"(s + i)
        : "v0", "v1", "v2", "v3", "memory");
}

void plain_nt_store(void* dst, std::size_t n) {
  auto* d = static_cast<char*>(dst);
  const uint8x16_t v = vdupq_n_u8(0x5A);
  for (std::size_t i = 0; i + 64 <= n; i += 64)
    asm volatile(
        "stnp %q1, %q1, [%0]\n\t"
        "stnp %q1, %q1, [%0, #32]"
        :
        : "r"(d + i), "w"(v)
        : "memory");
}

unsigned long long plain_load(const void* src, std::size_t n) {
  const auto* s = static_cast<const std::uint8_t*>(src);
  uint8x16_t a = vdupq_n_u8(0), b = a, c = a, d = a;
  for (std::size_t i = 0; i + 64 <= n; i += 64) {
    a = veorq_u8(a, vld1q_u8(s + i));
    b = veorq_u8(b, vld1q_u8(s + i + 16));
    c = veorq_u8(c, vld1q_u8(s + i + 32));
    d = veorq_u8(d, vld1q_u8(s + i + 48));
  }
  a = veorq_u8(veorq_u8(a, b), veorq_u8(c, d));
  return vgetq_lane_u64(vreinterpretq_u64_u8(a), 0);
}

// Clean and invalidate to the point of coherency, line by line (Linux lets user space run
// dc civac; CTR_EL0 gives the smallest data cache line).
void flush_from_caches(const void* p, std::size_t n) {
  std::uint64_t ctr;
  asm volatile("mrs %0, ctr_el0" : "=r"(ctr));
  const std::size_t line = std::size_t{4} << ((ctr >> 16) & 0xf);
  const auto start = reinterpret_cast<std::uintptr_t>(p) & ~(line - 1);
  const auto end = reinterpret_cast<std::uintptr_t>(p) + n;
  for (std::uintptr_t a = start; a < end; a += line) asm volatile("dc civac, %0" : : "r"(a) : "memory");
  asm volatile("dsb ish" : : : "memory");
}

}  // namespace umabench
