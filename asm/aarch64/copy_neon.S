/* SPDX-License-Identifier: Apache-2.0 */
/* copy_neon.S - forward copy in NEON q registers:
 *   size_t uma_copy_neon(void *dst, const void *src, size_t n, uma_fault_record *rec)
 *
 * The q-register variant of copy.inc, after ARM optimized-routines' memcpy-advsimd.S: a
 * 16-byte window is one q register, the wider ones ldp/stp of q pairs; q0..q7 hold 128
 * bytes, so 65..128 loads both of its windows before storing; the loop aligns its loads
 * (src).
 */
#include "umaccess.h"

#define VARIANT   neon
#define REG_BYTES 16
#define W16_A     A_q
#define W16_B     B_q
#define W32_A     A_q, B_q
#define W32_B     C_q, D_q
#define W64_A     A_q, B_q, C_q, D_q
#define W64_B     E_q, F_q, G_q, H_q
#define ALIGNED   src

#include "copy.inc"
