/* fill_gpr.S - fill in general registers (stp of x pairs):
 *   size_t uma_fill_gpr(void *dst, int byte, size_t n, uma_fault_record *rec)
 *
 * The integer counterpart of fill_neon.S: the same size classes, with the byte splatted
 * into x6 and 16-byte x-register pair stores.
 *
 *   0..15        by the bits of n (FILL_BELOW_16, umaccess.h)
 *   16..32       two pairs, [0] and [n-16]
 *   33..64       four pairs: [0], [16], [n-32], [n-16]
 *   65..128      the first 64 bytes, then the last 64
 *   above 128    from published fill_huge_from: uma_fill_nt_neon; otherwise one unaligned 16-byte
 *                head, dst advanced to its next 16-byte boundary, 64 bytes per iteration,
 *                then the last 64 bytes ending at dst + n.
 *
 * Fault behaviour: as fill_neon.S: (x0, x2) is a safe point at every store, w1 keeps the
 * fill byte; store windows ascend.
 *
 * Assumptions: unaligned access allowed (normal memory).
 */
#include "umaccess.h"

FAULT_TABLE fill_gpr

/* FILL64 to, at: 64 bytes of x6 at [to + at]. */
.macro FILL64 to, at=0
8:
  stp x6, x6, [\to, #(\at)]
  stp x6, x6, [\to, #(\at + 16)]
  stp x6, x6, [\to, #(\at + 32)]
  stp x6, x6, [\to, #(\at + 48)]
9:
  FAULT_RANGE 8b, 9b, .Lfixup
.endm

KERNEL uma_fill_gpr
  add x5, x0, x2                /* dst end */
  SPLAT_BYTE x6
  cmp x2, #16
  b.lo .Lless16
  cmp x2, #32
  b.hi .Lmore32
8:
  stp x6, x6, [x0]
  stp x6, x6, [x5, #-16]
9:
  FAULT_RANGE 8b, 9b, .Lfixup
  RETURN_DONE

.Lless16:
  FILL_BELOW_16 .Lfixup

.Lmore32:
  cmp x2, #64
  b.hi .Lmore64
8:
  stp x6, x6, [x0]
  stp x6, x6, [x0, #16]
  stp x6, x6, [x5, #-32]
  stp x6, x6, [x5, #-16]
9:
  FAULT_RANGE 8b, 9b, .Lfixup
  RETURN_DONE

.Lmore64:
  cmp x2, #128
  b.hi .Lmore128
  FILL64 x0
  FILL64 x5, -64                /* the last 64 bytes */
  RETURN_DONE

.Lmore128:
  ROUTE_HUGE PUBLISHED_FILL_HUGE_FROM, uma_fill_nt_neon, x7
8:
  stp x6, x6, [x0]
9:
  FAULT_RANGE 8b, 9b, .Lfixup
  ADVANCE_TO_BOUNDARY x0, 16, x7, x8, 0    /* more than 64 bytes remain */
.Lloop64:
  FILL64 x0
  add x0, x0, #64
  sub x2, x2, #64
  cmp x2, #64
  b.hi .Lloop64
  FILL64 x5, -64                /* 1..64 bytes remain: the buffer's last 64 */
  RETURN_DONE

FIXUP .Lfixup, uma_fill_gpr
  b uma_tail_fill               /* x0, w1 (the byte), x2 */
END uma_fill_gpr

FAULT_TABLE_END
