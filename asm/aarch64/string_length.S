/* SPDX-License-Identifier: Apache-2.0 */
/* string_length.S - the length of a NUL-terminated string inside a bounded range (both
 * variants run these):
 *   uma_value uma_strlen_neon(const char *s, const void *limit, uma_fault_record *rec)
 *   uma_value uma_wcslen_neon(const void *s, const void *limit, uma_fault_record *rec)
 *   returns x0:x1 = {the units before the first NUL unit, 0}, where a unit is 1 byte for
 *   strlen and 2 bytes for wcslen; {0, 1} if no whole unit in [s, limit) is NUL (the string
 *   ran out of the range: *rec filled in as a range check's refusal at the first unit not
 *   wholly below limit, by uma_return_refused, so the C++ entry just tail-calls the kernel);
 *   {0, 1} after a fault, with *rec filled in.
 *
 * Algorithm, after ARM optimized-routines' strlen-advsimd, with one difference: no byte
 * below s or at or above limit is ever read, so there is no aligned-down first block with
 * the bytes before s masked off.
 *
 *   head     one unit at a time (ldrb / ldrh) up to the first 16-byte boundary, or up to
 *            the last whole unit below limit if that comes first.
 *   blocks   aligned 16-byte loads (ldr q) while a whole block lies below limit: cmeq
 *            against zero (16 byte lanes, or 8 half-word lanes), then shrn #4 narrows the
 *            comparison to a 64-bit mask with 4 bits per byte, so the first NUL lies at
 *            (bit index of the lowest set bit) / 4 bytes into the block (rbit + clz).
 *   tail     one unit at a time while a whole unit lies below limit.
 *
 * An aligned 16-byte block never crosses a page, and the scan stops at the block holding
 * the NUL, so no page the string does not reach is touched. uma_wcslen_neon on an odd s: its
 * units straddle every 16-byte boundary, so the blocks would not line up with them; it
 * scans unit by unit the whole way (ldrh at an odd address is allowed on normal memory).
 *
 * Fault behaviour: every load is covered; the fixup records the kernel and branches to
 * uma_fault_return_failed (fault_tail.S), which stores FADDR and FINFO in the record and
 * returns {0, 1}. The scan is read-only, so a fault loses nothing.
 *
 * Registers: x0 = s (kept for the result), x1 = limit, x2 = rec on entry, x3 = REC,
 * x4 = the cursor, w5/x5 = the unit loaded or the block's NUL mask, x6 = the end of the
 * block region (limit rounded down to 16), x7 = the end of the head, x8 = scratch, v0 = the
 * block.
 *
 * Assumptions: limit >= s (the C++ layer checks); s and limit are user addresses (no wrap).
 */
#include "umaccess.h"

FAULT_TABLE string_length

/* SCAN_UNITS load, unit, end, found, fixup: examine the units at x4 while a whole unit lies
 * below end; branch to found with x4 at the first NUL unit, or fall through with x4 at the
 * first unit not examined. */
.macro SCAN_UNITS load, unit, end, found, fixup
1:
  sub x5, \end, x4
  cmp x5, #\unit
  b.lo 2f
8:
  \load w5, [x4]
9:
  FAULT_RANGE 8b, 9b, \fixup
  cbz w5, \found
  add x4, x4, #\unit
  b 1b
2:
.endm

/* HEAD_END: x7 = the end of the head, min(s rounded up to 16, limit); computed from
 * distances so that it cannot wrap. */
.macro HEAD_END
  neg x7, x0
  and x7, x7, #15               /* bytes from s to its next 16-byte boundary */
  sub x8, x1, x0                /* bytes from s to limit */
  cmp x7, x8
  csel x7, x7, x8, lo
  add x7, x0, x7
.endm

/* SCAN_BLOCKS lanes, tail, found, fixup: the aligned 16-byte blocks from x4 (16-byte
 * aligned, or at or beyond x6) while x4 < x6, comparing lanes (16b or 8h) with zero. Goes to
 * tail with x4 at the first block not examined; to found with x4 at the block holding the
 * first NUL and its mask in x5. */
.macro SCAN_BLOCKS lanes, tail, found, fixup
  and x6, x1, #~15
  cmp x4, x6
  b.hs \tail
1:
8:
  ldr q0, [x4]
9:
  FAULT_RANGE 8b, 9b, \fixup
  cmeq v0.\lanes, v0.\lanes, #0
  shrn v0.8b, v0.8h, #4         /* 4 mask bits per byte (8 per half-word lane) */
  fmov x5, d0
  cbnz x5, \found
  add x4, x4, #16
  cmp x4, x6
  b.lo 1b
.endm

/* NUL_IN_BLOCK: x4 += the byte offset of the first NUL in the block whose mask is x5. */
.macro NUL_IN_BLOCK
  rbit x5, x5
  clz x5, x5
  add x4, x4, x5, lsr #2
.endm

KERNEL uma_strlen_neon
  mov REC, x2                   /* the record, where the fault handler looks for it */
  mov x4, x0
  HEAD_END
  SCAN_UNITS ldrb, 1, x7, .Lstrlen_done, .Lstrlen_fixup
  SCAN_BLOCKS 16b, .Lstrlen_tail, .Lstrlen_block_nul, .Lstrlen_fixup
.Lstrlen_tail:
  SCAN_UNITS ldrb, 1, x1, .Lstrlen_done, .Lstrlen_fixup
  mov FADDR, x4                 /* ran out: refused at x4 = limit */
  b uma_return_refused
.Lstrlen_block_nul:
  NUL_IN_BLOCK
.Lstrlen_done:
  sub x0, x4, x0
  mov x1, #0
  ret
FIXUP .Lstrlen_fixup, uma_strlen_neon
  b uma_fault_return_failed
END uma_strlen_neon

KERNEL uma_wcslen_neon
  mov REC, x2
  mov x4, x0
  tbnz x0, #0, .Lwcslen_tail    /* odd s: unit by unit the whole way */
  HEAD_END
  SCAN_UNITS ldrh, 2, x7, .Lwcslen_done, .Lwcslen_fixup
  SCAN_BLOCKS 8h, .Lwcslen_tail, .Lwcslen_block_nul, .Lwcslen_fixup
.Lwcslen_tail:
  SCAN_UNITS ldrh, 2, x1, .Lwcslen_done, .Lwcslen_fixup
  mov FADDR, x4                 /* ran out: refused at x4, the first unit not wholly below limit */
  b uma_return_refused
.Lwcslen_block_nul:
  NUL_IN_BLOCK
.Lwcslen_done:
  sub x0, x4, x0
  lsr x0, x0, #1
  mov x1, #0
  ret
FIXUP .Lwcslen_fixup, uma_wcslen_neon
  b uma_fault_return_failed
END uma_wcslen_neon

FAULT_TABLE_END
