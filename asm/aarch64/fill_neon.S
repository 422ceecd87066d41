/* SPDX-License-Identifier: Apache-2.0 */
/* fill_neon.S - fill with NEON q registers:
 *   size_t uma_fill_neon(void *dst, int byte, size_t n, uma_fault_record *rec)
 *
 * The q-register variant of fill.inc (after ARM optimized-routines' memset.S): the byte
 * duplicated into vq (q0) for 16 bytes and more, one str q for a 16-byte window, stp of
 * q0 pairs for the wider ones.
 */
#include "umaccess.h"

#define VARIANT   neon
#define REG_BYTES 16
#define FILL_VEC  1
#define F16       vq
#define F32       vq, vq
#define F64       vq, vq, vq, vq

#include "fill.inc"
