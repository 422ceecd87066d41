/* SPDX-License-Identifier: Apache-2.0 */
/* copy_gpr.S - forward copy in general registers (ldp/stp of x pairs):
 *   size_t uma_copy_gpr(void *dst, const void *src, size_t n, uma_fault_record *rec)
 *
 * The integer variant of copy.inc, after ARM optimized-routines' memcpy.S: the size
 * classes of copy_neon.S with 16-byte x-register pairs in place of q registers, for cores
 * (or callers) that would rather keep the SIMD unit out of a copy. x6..x13 hold 64 bytes,
 * so 65..128 copies the first 64 bytes, then the last 64; the loop aligns its stores (dst),
 * as memcpy.S does.
 */
#include "umaccess.h"

#define VARIANT   gpr
#define REG_BYTES 8
#define W16_A     A_l, A_h
#define W16_B     B_l, B_h
#define W32_A     A_l, A_h, B_l, B_h
#define W32_B     C_l, C_h, D_l, D_h
#define W64_A     A_l, A_h, B_l, B_h, C_l, C_h, D_l, D_h
#define ALIGNED   dst

#include "copy.inc"
