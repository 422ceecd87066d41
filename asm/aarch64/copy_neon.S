/* copy_neon.S - forward copy in NEON q registers:
 *   size_t uma_copy_neon(void *dst, const void *src, size_t n, uma_fault_record *rec)
 *
 * Size classes (n in bytes), after ARM optimized-routines' memcpy-advsimd:
 *
 *   0..15        by the bits of n: 8..15 two x windows [0] and [n-8]; 4..7 two w windows;
 *                1..3 the bytes [0], [n/2] and [n-1]; 0 nothing.
 *   16..32       two q windows, [0] and [n-16]
 *   33..64       two q pairs, [0] and [n-32]
 *   65..128      four q pairs: [0], [32], [n-64], [n-32]
 *   above 128    from published copy_huge_from: uma_copy_nt_neon (ldnp/stnp); otherwise one
 *                unaligned 16-byte head, then src advanced to its next 16-byte boundary
 *                (aligned loads matter more than aligned stores on most cores), 64 bytes per
 *                iteration (two ldp q, then two stp q), then the last 64 bytes as unaligned
 *                windows ending at dst + n.
 *
 * The windows of a class overlap (bytes may be read and written twice, as the API allows);
 * each class issues every load before any store. The loop is not software-pipelined: a
 * simple "load 64, store 64" keeps (x0, x1, x2) a safe point at every covered instruction.
 *
 * Fault behaviour: the classes up to 128 bytes never move x0/x1/x2, so their safe point is
 * the start; the loop advances them only after an iteration's stores. The fixup hands
 * (x0, x1, x2) to the byte retry. Store windows start in ascending order, stepping back by
 * less than 64 bytes only for the tail, so nothing past the first inaccessible byte is
 * written (a faulting store may have written bytes before it; the retry rewrites them).
 *
 * Assumptions: dst and src do not overlap; unaligned access allowed (normal memory).
 */
#include "umaccess.h"

FAULT_TABLE copy_neon

KERNEL uma_copy_neon
  add x4, x1, x2                /* src end */
  add x5, x0, x2                /* dst end */
  cmp x2, #16
  b.lo .Lless16
  cmp x2, #32
  b.hi .Lmore32
8:
  ldr q0, [x1]
  ldr q1, [x4, #-16]
  str q0, [x0]
  str q1, [x5, #-16]
9:
  FAULT_RANGE 8b, 9b, .Lfixup
  RETURN_DONE

.Lless16:
  COPY_BELOW_16 .Lfixup

.Lmore32:
  cmp x2, #64
  b.hi .Lmore64
8:
  ldp q0, q1, [x1]
  ldp q2, q3, [x4, #-32]
  stp q0, q1, [x0]
  stp q2, q3, [x5, #-32]
9:
  FAULT_RANGE 8b, 9b, .Lfixup
  RETURN_DONE

.Lmore64:
  cmp x2, #128
  b.hi .Lmore128
8:
  ldp q0, q1, [x1]
  ldp q2, q3, [x1, #32]
  ldp q4, q5, [x4, #-64]
  ldp q6, q7, [x4, #-32]
  stp q0, q1, [x0]
  stp q2, q3, [x0, #32]
  stp q4, q5, [x5, #-64]
  stp q6, q7, [x5, #-32]
9:
  FAULT_RANGE 8b, 9b, .Lfixup
  RETURN_DONE

.Lmore128:
  ROUTE_HUGE PUBLISHED_COPY_HUGE_FROM, uma_copy_nt_neon, x6
8:
  ldr q0, [x1]
  str q0, [x0]
9:
  FAULT_RANGE 8b, 9b, .Lfixup
  ADVANCE_TO_BOUNDARY x1, 16, x6, x7, 1    /* src aligned; more than 64 bytes remain */
.Lloop64:
  Q_COPY64 x1, x0, 0, .Lfixup
  add x1, x1, #64
  add x0, x0, #64
  sub x2, x2, #64
  cmp x2, #64
  b.hi .Lloop64
  /* 1..64 bytes remain: the buffer's last 64 bytes (at least 64 lie behind x0). */
  Q_COPY64 x4, x5, -64, .Lfixup
  RETURN_DONE

FIXUP .Lfixup, uma_copy_neon
  b uma_tail_copy
END uma_copy_neon

FAULT_TABLE_END
