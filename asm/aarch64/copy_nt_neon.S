/* SPDX-License-Identifier: Apache-2.0 */
/* copy_nt_neon.S - non-temporal copy with ldnp/stnp:
 *   size_t uma_copy_nt_neon(void *dst, const void *src, size_t n, uma_fault_record *rec)
 *
 * ldnp/stnp are load and store pairs with a hint that the data will not be reused soon: for
 * copies far larger than the last-level cache they keep the caller's working set in the
 * caches (bionic's Oryon memcpy streams the same way). Unlike x86-64's streaming stores
 * they obey the ordinary memory model, so no fence is needed before returning or before the
 * fault tail's stores.
 *
 *   n < NT_MIN_BYTES  tail-call uma_copy_neon: a few lines gain nothing from streaming.
 *   otherwise         one unaligned 64-byte head (temporal); dst advanced to its next
 *                     64-byte boundary, so each iteration writes whole cache lines;
 *                     64 bytes per iteration (two ldnp q, then two stnp q) with a streaming
 *                     prefetch one page ahead on the source; the last 64 bytes as temporal
 *                     unaligned windows ending at dst + n.
 *
 * Fault behaviour: as copy.inc: the loop advances dst/src/count (x0/x1/x2) only after its
 * stores, so (x0, x1, x2) is a safe point at every covered instruction; store windows
 * ascend. The head reaches past dst's 64-byte boundary: the loop's fixup passes its end
 * to the tail (HEADEND, STORED: umaccess.h).
 *
 * Assumptions: dst and src do not overlap; unaligned access allowed (normal memory).
 */
#include "umaccess.h"

#define dst     x0      /* advanced by the loop */
#define src     x1      /* advanced by the loop */
#define count   x2      /* the bytes from (dst, src) on */
#define srcend  x4      /* src + n */
#define dstend  x5      /* dst + n */
#define tmp1    x6
#define tmp2    x7

FAULT_TABLE copy_nt_neon

KERNEL uma_copy_nt_neon
  cmp count, #NT_MIN_BYTES
  b.hs 1f
  b uma_copy_neon               /* tail call: x3 still holds rec */
1:
  add srcend, src, count
  add dstend, dst, count
  Q_COPY64 src, dst, 0, .Lfixup /* the unaligned head */
  add HEADEND, dst, #64         /* the head's end, for the loop's fixup */
  ADVANCE_TO_BOUNDARY dst, 64, tmp1, tmp2, 1    /* more than 64 bytes remain */
.Lloop64:
  prfm pldl1strm, [src, #NT_PREFETCH]  /* a hint: never faults, needs no fixup */
  Q_COPY64 src, dst, 0, .Lfixup_head, ldnp, stnp
  add src, src, #64
  add dst, dst, #64
  sub count, count, #64
  cmp count, #64
  b.hi .Lloop64
  Q_COPY64 srcend, dstend, -64, .Lfixup_head    /* 1..64 bytes remain: the buffer's last 64 */
  RETURN_DONE

.Lfixup:                        /* nothing stored past the safe point */
  mov STORED, #0
  b .Lfixup_stored
.Lfixup_head:                   /* the loop: the head reached HEADEND (umaccess.h) */
  mov STORED, HEADEND
FIXUP .Lfixup_stored, uma_copy_nt_neon
  b uma_tail_copy_stored
END uma_copy_nt_neon

FAULT_TABLE_END
