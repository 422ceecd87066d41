/* copy_gpr.S - forward copy in general registers (ldp/stp of x pairs):
 *   size_t uma_copy_gpr(void *dst, const void *src, size_t n, uma_fault_record *rec)
 *
 * The integer counterpart of copy_neon.S, after ARM optimized-routines' memcpy.S: the same
 * size classes with 16-byte x-register pairs in place of q registers, for cores (or
 * callers) that would rather keep the SIMD unit out of a copy.
 *
 *   0..15        by the bits of n (COPY_BELOW_16, umaccess.h)
 *   16..32       two pairs, [0] and [n-16]
 *   33..64       four pairs: [0], [16], [n-32], [n-16]
 *   65..128      the first 64 bytes, then the last 64 (eight registers at a time)
 *   above 128    from published copy_huge_from: uma_copy_nt_neon; otherwise one unaligned
 *                16-byte head, then dst advanced to its next 16-byte boundary (the integer
 *                routine aligns stores), 64 bytes per iteration (four ldp, then four stp),
 *                then the last 64 bytes as unaligned windows ending at dst + n.
 *
 * Fault behaviour: as copy_neon.S. (x0, x1, x2) is a safe point at every covered
 * instruction; store windows ascend.
 *
 * Assumptions: dst and src do not overlap; unaligned access allowed (normal memory).
 */
#include "umaccess.h"

FAULT_TABLE copy_gpr

/* COPY64 from, to, at: 64 bytes from [from + at] to [to + at] in x6..x13, every load
 * before any store. */
.macro COPY64 from, to, at=0
8:
  ldp x6, x7, [\from, #(\at)]
  ldp x8, x9, [\from, #(\at + 16)]
  ldp x10, x11, [\from, #(\at + 32)]
  ldp x12, x13, [\from, #(\at + 48)]
  stp x6, x7, [\to, #(\at)]
  stp x8, x9, [\to, #(\at + 16)]
  stp x10, x11, [\to, #(\at + 32)]
  stp x12, x13, [\to, #(\at + 48)]
9:
  FAULT_RANGE 8b, 9b, .Lfixup
.endm

KERNEL uma_copy_gpr
  add x4, x1, x2                /* src end */
  add x5, x0, x2                /* dst end */
  cmp x2, #16
  b.lo .Lless16
  cmp x2, #32
  b.hi .Lmore32
8:
  ldp x6, x7, [x1]
  ldp x8, x9, [x4, #-16]
  stp x6, x7, [x0]
  stp x8, x9, [x5, #-16]
9:
  FAULT_RANGE 8b, 9b, .Lfixup
  RETURN_DONE

.Lless16:
  COPY_BELOW_16 .Lfixup

.Lmore32:
  cmp x2, #64
  b.hi .Lmore64
8:
  ldp x6, x7, [x1]
  ldp x8, x9, [x1, #16]
  ldp x10, x11, [x4, #-32]
  ldp x12, x13, [x4, #-16]
  stp x6, x7, [x0]
  stp x8, x9, [x0, #16]
  stp x10, x11, [x5, #-32]
  stp x12, x13, [x5, #-16]
9:
  FAULT_RANGE 8b, 9b, .Lfixup
  RETURN_DONE

.Lmore64:
  cmp x2, #128
  b.hi .Lmore128
  COPY64 x1, x0
  COPY64 x4, x5, -64            /* the last 64 bytes */
  RETURN_DONE

.Lmore128:
  ROUTE_HUGE PUBLISHED_COPY_HUGE_FROM, uma_copy_nt_neon, x6
8:
  ldp x6, x7, [x1]
  stp x6, x7, [x0]
9:
  FAULT_RANGE 8b, 9b, .Lfixup
  ADVANCE_TO_BOUNDARY x0, 16, x6, x7, 1    /* dst aligned; more than 64 bytes remain */
.Lloop64:
  COPY64 x1, x0
  add x1, x1, #64
  add x0, x0, #64
  sub x2, x2, #64
  cmp x2, #64
  b.hi .Lloop64
  COPY64 x4, x5, -64            /* 1..64 bytes remain: the buffer's last 64 */
  RETURN_DONE

FIXUP .Lfixup, uma_copy_gpr
  b uma_tail_copy
END uma_copy_gpr

FAULT_TABLE_END
