/* SPDX-License-Identifier: Apache-2.0 */
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
 *             reports all n bytes as not done. Bytes of dst above the fault, and those
 *             the faulting store wrote before the page boundary, may already hold moved
 *             data; nothing outside dst is written.
 *
 * Assumptions: unaligned access allowed (normal memory).
 */
#include "umaccess.h"

/* Named registers. dist and srcend share x4: the forward path needs the distance, the
 * backward path the source cursor. */
#define dst     x0      /* forward: advanced step by step */
#define src     x1
#define count   x2      /* the bytes still to move */
#define dist    x4      /* dst - src, then (forward) src - dst */
#define srcend  x4      /* backward: the source cursor, from src + n down */
#define dstend  x5      /* backward: the destination cursor, from dst + n down */
#define A_l     x6      /* data of the 8-byte and narrower steps */
#define A_lw    w6
#define total   x8      /* backward: n, reported as not done if a fault stops us */

FAULT_TABLE move_neon

/* FWD_STEPS label, size, ld, st, reg: at \label, move \size bytes at a time while at least
 * \size remain. */
.macro FWD_STEPS label, size, ld, st, reg
\label:
  cmp count, #\size
  b.lo 1f
8:
  \ld \reg, [src]
  \st \reg, [dst]
9:
  FAULT_RANGE 8b, 9b, .Lfwd_fixup
  add src, src, #\size
  add dst, dst, #\size
  sub count, count, #\size
  b \label
1:
.endm

/* BWD_STEP bit, size, ld, st, reg: if bit \bit of the count left is set, move the \size
 * bytes just below the source and destination cursors srcend and dstend, moving them down. */
.macro BWD_STEP bit, size, ld, st, reg
  tbz count, #\bit, 1f
8:
  \ld \reg, [srcend, #-\size]!
  \st \reg, [dstend, #-\size]!
9:
  FAULT_RANGE 8b, 9b, .Lbwd_fixup
1:
.endm

KERNEL uma_move_neon
  sub dist, dst, src
  cbnz dist, 1f
  b uma_copy_neon               /* tail call: in place, the copy reads each window first */
1:
  cmp dist, count
  b.lo .Lbackward               /* 0 < d < n: dst overlaps the top of src */
  neg dist, dist                /* src - dst */
  cmp dist, count
  b.lo 1f
  b uma_copy_neon               /* tail call: no overlap (x3 still holds rec) */
1:

/* ---- forward: dst < src < dst + n; the widest step u <= src - dst ------------------------ */
  cmp dist, #64
  b.hs .Lfwd64
  cmp dist, #32
  b.hs .Lfwd32
  cmp dist, #16
  b.hs .Lfwd16
  cmp dist, #8
  b.hs .Lfwd8
  cmp dist, #4
  b.hs .Lfwd4
  cmp dist, #2
  b.hs .Lfwd2
  b .Lfwd1
.Lfwd64:
  cmp count, #64
  b.lo .Lfwd32
  Q_COPY64 src, dst, 0, .Lfwd_fixup
  add src, src, #64
  add dst, dst, #64
  sub count, count, #64
  b .Lfwd64
.Lfwd32:
  cmp count, #32
  b.lo .Lfwd16
8:
  ldp q0, q1, [src]
  stp q0, q1, [dst]
9:
  FAULT_RANGE 8b, 9b, .Lfwd_fixup
  add src, src, #32
  add dst, dst, #32
  sub count, count, #32
  b .Lfwd32
  FWD_STEPS .Lfwd16, 16, ldr, str, q0
  FWD_STEPS .Lfwd8, 8, ldr, str, A_l
  FWD_STEPS .Lfwd4, 4, ldr, str, A_lw
  FWD_STEPS .Lfwd2, 2, ldrh, strh, A_lw
  FWD_STEPS .Lfwd1, 1, ldrb, strb, A_lw
  RETURN_DONE

FIXUP .Lfwd_fixup, uma_move_neon
  b uma_tail_copy

/* ---- backward: src < dst < src + n --------------------------------------------------------- */
/* srcend and dstend are the source and destination cursors, from the ends down; count
 * counts the bytes still to move: [0, count) of both buffers. */
.Lbackward:
  mov total, count
  add srcend, src, count
  add dstend, dst, count
.Lbwd64:
  cmp count, #64
  b.lo .Lbwd_below64
8:
  ldp q0, q1, [srcend, #-32]
  ldp q2, q3, [srcend, #-64]
  stp q0, q1, [dstend, #-32]
  stp q2, q3, [dstend, #-64]
9:
  FAULT_RANGE 8b, 9b, .Lbwd_fixup
  sub srcend, srcend, #64
  sub dstend, dstend, #64
  sub count, count, #64
  b .Lbwd64
.Lbwd_below64:                  /* the lowest 0..63 bytes, by the bits of count */
  tbz count, #5, 1f
8:
  ldp q0, q1, [srcend, #-32]!
  stp q0, q1, [dstend, #-32]!
9:
  FAULT_RANGE 8b, 9b, .Lbwd_fixup
1:
  BWD_STEP 4, 16, ldr, str, q0
  BWD_STEP 3, 8, ldr, str, A_l
  BWD_STEP 2, 4, ldr, str, A_lw
  BWD_STEP 1, 2, ldrh, strh, A_lw
  BWD_STEP 0, 1, ldrb, strb, A_lw
  RETURN_DONE

FIXUP .Lbwd_fixup, uma_move_neon
  mov count, total
  b uma_fault_return
END uma_move_neon

FAULT_TABLE_END
