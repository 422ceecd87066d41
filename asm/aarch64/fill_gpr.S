/* SPDX-License-Identifier: Apache-2.0 */
/* fill_gpr.S - fill in general registers (stp of x pairs):
 *   size_t uma_fill_gpr(void *dst, int byte, size_t n, uma_fault_record *rec)
 *
 * The integer variant of fill.inc: the size classes of fill_neon.S, with the byte splatted
 * into val (x6) once, first, and 16-byte x-register pair stores.
 */
#include "umaccess.h"

#define VARIANT   gpr
#define REG_BYTES 8
#define FILL_VEC  0
#define F16       val, val
#define F32       val, val, val, val
#define F64       val, val, val, val, val, val, val, val

#include "fill.inc"
