/* SPDX-License-Identifier: Apache-2.0 */
/* fault_tail.S - the byte-exact finishing routines every fixup ends in (AArch64).
 *
 * Algorithm (as asm/x86_64/fault_tail.asm): after a kernel faulted, its fixup rewinds to a
 * safe point and branches here with the fault in FADDR/FINFO. On the faulting side every
 * byte from the safe point up to FADDR is accessible and the byte at FADDR is not, so these
 * routines copy exactly the bytes before FADDR, one at a time, then report the original
 * fault without touching FADDR: exact progress for one signal. The byte loop is covered: a
 * fault in it (the other side of a copy has a hole earlier) is reported instead. When FADDR
 * is unusable (not inside what remains) they retry every remaining byte until one faults,
 * or succeed if none does.
 *
 * How far FADDR can be trusted on AArch64: for an access that crosses into an inaccessible
 * page, the architecture lets FAR hold any address of the faulting access, not only the
 * first inaccessible byte (x86-64 always reports that byte). A FADDR past the first
 * inaccessible byte is harmless: the byte loop faults there first and reports that. One
 * before it would under-report progress, so FADDR is trusted as the end of what can be done
 * only when it is 4 KiB aligned: every access of ours is at most 64 bytes, so an aligned
 * FADDR cannot lie before the page boundary the access crossed (pages are 4 KiB or larger).
 * Otherwise the loop goes on through FADDR and finds the fault itself: exact, for a second
 * signal, in the rare case of a buffer starting inside an inaccessible page.
 *
 * Stores that ran ahead of the safe point (as in asm/x86_64/fault_tail.asm): a fixup that
 * enters at uma_tail_*_stored passes STORED (x4), the end of the destination bytes the
 * kernel's completed stores wrote contiguously from the safe point; the routines count
 * those bytes as done first, so a page write-protected between an earlier store and a
 * later overlapping one leaves nothing written past the count. The plain entries pass 0.
 *
 * A mapping that changed since the first fault (as in asm/x86_64/fault_tail.asm): a write
 * fault in the byte loop before FADDR means another thread took away bytes the kernel's
 * stores may already have written. The routines then read the destination back and count
 * every byte that already holds its final value, resume writing at the first that does not,
 * and stop only at a byte that neither holds its value nor can be written.
 *
 * Registers: x0 = dst, x1 = src (fill: w1 = byte), x2 = remaining, x3 = rec, x14 = FADDR,
 * x15 = FINFO. x4 counts what follows FADDR (0 when retrying everything); w5 says whether
 * the loop stopped at FADDR (1) or ran to the end (0). The scan keeps its start in x8 and
 * the fault it may report in x9/x10.
 */
#include "umaccess.h"

FAULT_TABLE fault_tail

/* After the bytes before FADDR: report FADDR if it is page aligned (see above), or go on
 * through the bytes that follow it, at \loop, until one faults or none is left. */
.macro REPORT_OR_CONTINUE loop
  tst FADDR, #4095
  b.ne 1f
  mov x2, x4
  b uma_fault_return
1:
  mov x2, x4
  mov x4, #0
  mov w5, #0
  b \loop
.endm

/* Sets x6 to the bytes before FADDR on the faulting side (\side: that side's pointer), or
 * branches to \fallback if that is not inside [0, x2). */
.macro BYTES_BEFORE_FAULT side, fallback
  tbnz FINFO, #FINFO_UNKNOWN_DIRECTION_BIT, \fallback
  sub x6, FADDR, \side
  cmp x6, x2
  b.hs \fallback
.endm

/* On a fault in the byte loop at x0 (x2 bytes left before FADDR): if it is a write fault
 * before a FADDR we stopped at (w5 = 1), scan the bytes that already hold their value with
 * \check (sets the flags: eq = holds it; may fault) and \next, then resume at \resume or
 * let the fault stand at \stands. */
.macro SCAN_WRITTEN check, next, resume, stands, rewind=
  cbz w5, \stands
  tbz FINFO, #FINFO_WRITE_BIT, \stands
  ldr x6, [REC, #REC_INFO]       /* the first fault a read: no store went past the safe point */
  tbz x6, #FINFO_WRITE_BIT, \stands
  \rewind
  mov x8, x0
  mov x9, FADDR
  mov x10, FINFO
10:
  \check
  b.ne 12f
  \next
  sub x2, x2, #1
  cbnz x2, 10b
11:
  FAULT_RANGE 10b, 11b, 12f
  ldr FADDR, [REC, #REC_ADDRESS]  /* every byte up to FADDR holds its value: as before */
  ldr FINFO, [REC, #REC_INFO]
  REPORT_OR_CONTINUE \resume
12:                               /* a byte that does not hold its value, or cannot be read */
  mov FADDR, x9
  mov FINFO, x10
  cmp x8, x0
  b.ne \resume
.endm

/* The copy's check: does the destination byte hold the source byte? */
.macro SAME_AS_SOURCE
  ldrb w6, [x1]
  ldrb w7, [x0]
  cmp w6, w7
.endm
/* A store fault in the copy loop comes after its load advanced x1 past the byte. */
.macro REWIND_SOURCE
  sub x1, x1, #1
.endm
.macro NEXT_COPY_BYTE
  add x0, x0, #1
  add x1, x1, #1
.endm
.macro SAME_AS_FILL
  ldrb w7, [x0]
  cmp w7, w1, uxtb
.endm
.macro NEXT_FILL_BYTE
  add x0, x0, #1
.endm

/* Where the loop stops at FADDR, the original fault is kept in the record: later faults
 * overwrite FADDR/FINFO, and a scan that reaches FADDR reports it. */
.macro KEEP_FAULT
  str FADDR, [REC, #REC_ADDRESS]
  str FINFO, [REC, #REC_INFO]
.endm

/* SKIP_STORED copy: count the bytes from the safe point up to STORED as done (never past
 * the end): x0 (and x1 for a copy) forward, x2 down. STORED at or below x0 (0 included)
 * changes nothing. */
.macro SKIP_STORED copy
  subs x6, STORED, x0
  b.ls 5f                       /* STORED <= x0: nothing stored past the safe point */
  cmp x6, x2
  csel x6, x6, x2, ls
  add x0, x0, x6
  .if \copy
  add x1, x1, x6
  .endif
  sub x2, x2, x6
5:
.endm

/* uma_tail_copy: returns the bytes not copied in x0. uma_tail_copy_stored: the same with
 * STORED. */
HELPER uma_tail_copy
  mov STORED, #0
  b uma_tail_copy_stored
END uma_tail_copy

HELPER uma_tail_copy_stored
  SKIP_STORED 1
  tbnz FINFO, #FINFO_WRITE_BIT, 1f
  BYTES_BEFORE_FAULT x1, .Lcopy_retry_all
  b 2f
1:
  BYTES_BEFORE_FAULT x0, .Lcopy_retry_all
2:
  sub x4, x2, x6                /* from FADDR to the end: reported at the end */
  mov x2, x6
  mov w5, #1
  KEEP_FAULT
  b .Lcopy_bytes
.Lcopy_retry_all:
  mov x4, #0
  mov w5, #0
.Lcopy_bytes:
  cbz x2, .Lcopy_finish
8:
  ldrb w7, [x1], #1
  strb w7, [x0], #1
  sub x2, x2, #1
  cbnz x2, 8b
9:
  FAULT_RANGE 8b, 9b, .Lcopy_fault
.Lcopy_finish:
  cbz w5, .Lsuccess
  REPORT_OR_CONTINUE .Lcopy_bytes
.Lcopy_fault:                   /* a byte before FADDR (on either side) faulted */
  SCAN_WRITTEN SAME_AS_SOURCE, NEXT_COPY_BYTE, .Lcopy_bytes, .Lcopy_stands, REWIND_SOURCE
.Lcopy_stands:
  add x2, x2, x4
  b uma_fault_return
END uma_tail_copy_stored

/* uma_tail_fill: a fill only writes, so the fault is always on the destination.
 * uma_tail_fill_stored: the same with STORED. */
HELPER uma_tail_fill
  mov STORED, #0
  b uma_tail_fill_stored
END uma_tail_fill

HELPER uma_tail_fill_stored
  SKIP_STORED 0
  BYTES_BEFORE_FAULT x0, .Lfill_retry_all
  sub x4, x2, x6
  mov x2, x6
  mov w5, #1
  KEEP_FAULT
  b .Lfill_bytes
.Lfill_retry_all:
  mov x4, #0
  mov w5, #0
.Lfill_bytes:
  cbz x2, .Lfill_finish
8:
  strb w1, [x0], #1
  sub x2, x2, #1
  cbnz x2, 8b
9:
  FAULT_RANGE 8b, 9b, .Lfill_fault
.Lfill_finish:
  cbz w5, .Lsuccess
  REPORT_OR_CONTINUE .Lfill_bytes
.Lfill_fault:
  SCAN_WRITTEN SAME_AS_FILL, NEXT_FILL_BYTE, .Lfill_bytes, .Lfill_stands
.Lfill_stands:
  add x2, x2, x4
  b uma_fault_return
END uma_tail_fill_stored

.Lsuccess:
  RETURN_DONE

/* uma_fault_return: store the fault held in FADDR/FINFO into the record and return x2 as
 * the count not done. Used directly where the fault point is already exact (probes) or
 * where no forward retry is possible (the backward move). */
HELPER uma_fault_return
  str FADDR, [REC, #REC_ADDRESS]
  str FINFO, [REC, #REC_INFO]
  mov x0, x2
  ret
END uma_fault_return

/* uma_fault_return_failed: store the fault held in FADDR/FINFO into the record and return
 * x0:x1 = {0, 1}, "failed". The end of every fixup of the single-access primitives
 * (scalar.S, interlocked.S, string_length.S): one access either happened or did not, so
 * there is no partial progress to retry or report. */
HELPER uma_fault_return_failed
  str FADDR, [REC, #REC_ADDRESS]
  str FINFO, [REC, #REC_INFO]
  mov x0, #0
  mov x1, #1
  ret
END uma_fault_return_failed

/* uma_return_refused: the single-access primitives' answer when the user range, not a
 * fault, stops them (string_length.S: no NUL unit below the range's end): x0:x1 = {0, 1},
 * and the record says what a range check's refusal says (address FADDR, signal 0, no
 * kernel). With no record (kernel mode, whose walk has no bound and so cannot get here)
 * nothing is stored. */
HELPER uma_return_refused
  cbz REC, 1f
  str xzr, [REC, #REC_KERNEL]
  mov FINFO, #0                 /* signal 0: a check, not a fault */
  b uma_fault_return_failed
1:
  mov x0, #0
  mov x1, #1
  ret
END uma_return_refused

FAULT_TABLE_END
