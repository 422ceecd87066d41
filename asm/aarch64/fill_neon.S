/* fill_neon.S - fill with NEON q registers:
 *   size_t uma_fill_neon(void *dst, int byte, size_t n, uma_fault_record *rec)
 *
 * Size classes mirror copy_neon.S (after ARM optimized-routines' memset):
 *
 *   0..15        by the bits of n (FILL_BELOW_16, umaccess.h)
 *   16..32       two q windows, [0] and [n-16]
 *   33..64       two q pairs, [0] and [n-32]
 *   65..128      four q pairs: [0], [32], [n-64], [n-32]
 *   above 128    from published fill_huge_from: uma_fill_nt_neon (stnp); otherwise one unaligned
 *                16-byte head, dst advanced to its next 16-byte boundary, 64 bytes per
 *                iteration (two stp q), then the last 64 bytes ending at dst + n.
 *
 * Zero fills do not use DC ZVA: its block size varies by core and it writes whole blocks,
 * which the fault retry could not make exact.
 *
 * Fault behaviour: (x0, x2) is a safe point at every store, w1 keeps the fill byte; the
 * fixup hands them to the byte retry. Store windows ascend.
 *
 * Assumptions: unaligned access allowed (normal memory).
 */
#include "umaccess.h"

FAULT_TABLE fill_neon

KERNEL uma_fill_neon
  add x5, x0, x2                /* dst end */
  cmp x2, #16
  b.lo .Lless16
  dup v0.16b, w1
  cmp x2, #32
  b.hi .Lmore32
8:
  str q0, [x0]
  str q0, [x5, #-16]
9:
  FAULT_RANGE 8b, 9b, .Lfixup
  RETURN_DONE

.Lless16:
  SPLAT_BYTE x6
  FILL_BELOW_16 .Lfixup

.Lmore32:
  cmp x2, #64
  b.hi .Lmore64
8:
  stp q0, q0, [x0]
  stp q0, q0, [x5, #-32]
9:
  FAULT_RANGE 8b, 9b, .Lfixup
  RETURN_DONE

.Lmore64:
  cmp x2, #128
  b.hi .Lmore128
8:
  stp q0, q0, [x0]
  stp q0, q0, [x0, #32]
  stp q0, q0, [x5, #-64]
  stp q0, q0, [x5, #-32]
9:
  FAULT_RANGE 8b, 9b, .Lfixup
  RETURN_DONE

.Lmore128:
  ROUTE_HUGE PUBLISHED_FILL_HUGE_FROM, uma_fill_nt_neon, x6
8:
  str q0, [x0]
9:
  FAULT_RANGE 8b, 9b, .Lfixup
  ADVANCE_TO_BOUNDARY x0, 16, x6, x7, 0    /* more than 64 bytes remain */
.Lloop64:
  Q_FILL64 x0, 0, .Lfixup
  add x0, x0, #64
  sub x2, x2, #64
  cmp x2, #64
  b.hi .Lloop64
  Q_FILL64 x5, -64, .Lfixup     /* 1..64 bytes remain: the buffer's last 64 */
  RETURN_DONE

FIXUP .Lfixup, uma_fill_neon
  b uma_tail_fill               /* x0, w1 (the byte), x2 */
END uma_fill_neon

FAULT_TABLE_END
