/* move_neon.S - overlap-safe copy (memmove) with NEON q registers:
 *   size_t uma_move_neon(void *dst, const void *src, size_t n, uma_fault_record *rec)
 *
 * By the distance d = dst - src (unsigned):
 *
 *   no overlap, or dst == src    tail-call uma_copy_neon (the dispatcher sends
 *                                non-overlapping moves to the copy plan anyway)
 *   dst below src, overlapping   forward, in steps of the largest size u in 64 (two q
 *                                pairs), 32, 16, 8, 4, 2, 1 with u <= src - dst, then the
 *                                remainder in ever smaller steps; each step loads before
 *                                it stores.
 *   dst above src, overlapping   backward: 64 bytes per step from the end down (any
 *                                distance), then 32, 16, 8, 4, 2, 1 by the bits of what
 *                                is left at the bottom.
 *
 * Why the forward step never exceeds the distance: on AArch64 a store that faults part way
 * (crossing into an inaccessible page) may already have written the bytes before the
 * boundary. The byte retry then re-reads the source from the step's start; with u <= d
 * every source byte it reads lies at least u bytes above the step's first destination
 * byte, beyond anything the step can have stored, so it reads original data. (x86-64
 * stores are all or nothing, so move.inc can step in 4 x VEC at any distance.) Distances
 * below 64 bytes are rare in practice (shifting a buffer by a few bytes) and still run in
 * the widest steps that are safe.
 *
 * Fault behaviour:
 *   forward:  (x0, x1, x2) is the step's start, a safe point: the fixup hands it to the
 *             byte retry, which stops exactly at the fault.
 *   backward: the leading bytes are done last, so on a fault none is final: the kernel
 *             reports all n bytes as not done. Bytes of dst above the fault may already
 *             hold moved data; nothing outside dst is written.
 *
 * Assumptions: unaligned access allowed (normal memory).
 */
#include "umaccess.h"

FAULT_TABLE move_neon

/* FWD_STEPS label, size, ld, st, reg: at \label, move \size bytes at a time while at least
 * \size remain. */
.macro FWD_STEPS label, size, ld, st, reg
\label:
  cmp x2, #\size
  b.lo 1f
8:
  \ld \reg, [x1]
  \st \reg, [x0]
9:
  FAULT_RANGE 8b, 9b, .Lfwd_fixup
  add x1, x1, #\size
  add x0, x0, #\size
  sub x2, x2, #\size
  b \label
1:
.endm

/* BWD_STEP bit, size, ld, st, reg: if bit \bit of the count left is set, move the \size
 * bytes just below the source and destination cursors x4 and x5, moving them down. */
.macro BWD_STEP bit, size, ld, st, reg
  tbz x2, #\bit, 1f
8:
  \ld \reg, [x4, #-\size]!
  \st \reg, [x5, #-\size]!
9:
  FAULT_RANGE 8b, 9b, .Lbwd_fixup
1:
.endm

KERNEL uma_move_neon
  sub x4, x0, x1                /* d = dst - src */
  cbnz x4, 1f
  b uma_copy_neon               /* tail call: in place, the copy reads each window first */
1:
  cmp x4, x2
  b.lo .Lbackward               /* 0 < d < n: dst overlaps the top of src */
  neg x4, x4                    /* src - dst */
  cmp x4, x2
  b.lo 1f
  b uma_copy_neon               /* tail call: no overlap (x3 still holds rec) */
1:

/* ---- forward: dst < src < dst + n; the widest step u <= src - dst ------------------------ */
  cmp x4, #64
  b.hs .Lfwd64
  cmp x4, #32
  b.hs .Lfwd32
  cmp x4, #16
  b.hs .Lfwd16
  cmp x4, #8
  b.hs .Lfwd8
  cmp x4, #4
  b.hs .Lfwd4
  cmp x4, #2
  b.hs .Lfwd2
  b .Lfwd1
.Lfwd64:
  cmp x2, #64
  b.lo .Lfwd32
  Q_COPY64 x1, x0, 0, .Lfwd_fixup
  add x1, x1, #64
  add x0, x0, #64
  sub x2, x2, #64
  b .Lfwd64
.Lfwd32:
  cmp x2, #32
  b.lo .Lfwd16
8:
  ldp q0, q1, [x1]
  stp q0, q1, [x0]
9:
  FAULT_RANGE 8b, 9b, .Lfwd_fixup
  add x1, x1, #32
  add x0, x0, #32
  sub x2, x2, #32
  b .Lfwd32
  FWD_STEPS .Lfwd16, 16, ldr, str, q0
  FWD_STEPS .Lfwd8, 8, ldr, str, x6
  FWD_STEPS .Lfwd4, 4, ldr, str, w6
  FWD_STEPS .Lfwd2, 2, ldrh, strh, w6
  FWD_STEPS .Lfwd1, 1, ldrb, strb, w6
  RETURN_DONE

FIXUP .Lfwd_fixup, uma_move_neon
  b uma_tail_copy

/* ---- backward: src < dst < src + n --------------------------------------------------------- */
/* x4 and x5 are the source and destination cursors, from the ends down; x2 counts the bytes
 * still to move: [0, x2) of both buffers. */
.Lbackward:
  mov x8, x2                    /* n, reported as not done if a fault stops us */
  add x4, x1, x2
  add x5, x0, x2
.Lbwd64:
  cmp x2, #64
  b.lo .Lbwd_below64
8:
  ldp q0, q1, [x4, #-32]
  ldp q2, q3, [x4, #-64]
  stp q0, q1, [x5, #-32]
  stp q2, q3, [x5, #-64]
9:
  FAULT_RANGE 8b, 9b, .Lbwd_fixup
  sub x4, x4, #64
  sub x5, x5, #64
  sub x2, x2, #64
  b .Lbwd64
.Lbwd_below64:                  /* the lowest 0..63 bytes, by the bits of x2 */
  tbz x2, #5, 1f
8:
  ldp q0, q1, [x4, #-32]!
  stp q0, q1, [x5, #-32]!
9:
  FAULT_RANGE 8b, 9b, .Lbwd_fixup
1:
  BWD_STEP 4, 16, ldr, str, q0
  BWD_STEP 3, 8, ldr, str, x6
  BWD_STEP 2, 4, ldr, str, w6
  BWD_STEP 1, 2, ldrh, strh, w6
  BWD_STEP 0, 1, ldrb, strb, w6
  RETURN_DONE

FIXUP .Lbwd_fixup, uma_move_neon
  mov x2, x8
  b uma_fault_return
END uma_move_neon

FAULT_TABLE_END
