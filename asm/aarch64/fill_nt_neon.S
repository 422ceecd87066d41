/* SPDX-License-Identifier: Apache-2.0 */
/* fill_nt_neon.S - non-temporal fill with stnp:
 *   size_t uma_fill_nt_neon(void *dst, int byte, size_t n, uma_fault_record *rec)
 *
 * The fill counterpart of copy_nt_neon.S (no fence needed, see there):
 *
 *   n < NT_MIN_BYTES  tail-call uma_fill_neon
 *   otherwise         one unaligned 64-byte head, dst advanced to its next 64-byte boundary,
 *                     64 bytes per iteration (two stnp q: whole cache lines), the last 64
 *                     bytes as temporal windows ending at dst + n.
 *
 * Fault behaviour: (dst, count) = (x0, x2) is a safe point at every store, valw (w1) keeps
 * the fill byte; store windows ascend; the loop's fixup passes the head's end to the tail
 * (HEADEND, STORED: umaccess.h).
 *
 * Assumptions: unaligned access allowed (normal memory).
 */
#include "umaccess.h"

#define dst     x0      /* advanced by the loop */
#define valw    w1      /* the fill byte, kept for the fixup */
#define count   x2      /* the bytes from dst on */
#define dstend  x5      /* dst + n */
#define tmp1    x6
#define tmp2    x7

FAULT_TABLE fill_nt_neon

KERNEL uma_fill_nt_neon
  cmp count, #NT_MIN_BYTES
  b.hs 1f
  b uma_fill_neon               /* tail call */
1:
  add dstend, dst, count
  dup v0.16b, valw              /* q0, which Q_FILL64 stores */
  Q_FILL64 dst, 0, .Lfixup      /* the unaligned head */
  add HEADEND, dst, #64         /* the head's end, for the loop's fixup */
  ADVANCE_TO_BOUNDARY dst, 64, tmp1, tmp2, 0    /* more than 64 bytes remain */
.Lloop64:
  Q_FILL64 dst, 0, .Lfixup_head, stnp
  add dst, dst, #64
  sub count, count, #64
  cmp count, #64
  b.hi .Lloop64
  Q_FILL64 dstend, -64, .Lfixup_head /* 1..64 bytes remain: the buffer's last 64 */
  RETURN_DONE

.Lfixup:                        /* nothing stored past the safe point */
  mov STORED, #0
  b .Lfixup_stored
.Lfixup_head:                   /* the loop: the head reached HEADEND (umaccess.h) */
  mov STORED, HEADEND
FIXUP .Lfixup_stored, uma_fill_nt_neon
  b uma_tail_fill_stored
END uma_fill_nt_neon

FAULT_TABLE_END
