/* SPDX-License-Identifier: Apache-2.0 */
/* scalar.S - single loads and stores of 1, 2, 4 or 8 bytes, relaxed, acquire and release:
 *   uma_value uma_read_N(const void *p, uma_fault_record *rec)            N = 8, 16, 32, 64
 *   uma_value uma_read_acquire_N(const void *p, uma_fault_record *rec)
 *   uma_value uma_write_N(void *p, uint64_t v, uma_fault_record *rec)
 *   uma_value uma_write_release_N(void *p, uint64_t v, uma_fault_record *rec)
 *   returns x0:x1 = {value, failed}: reads {the value zero-extended, 0}, writes {0, 0};
 *   {0, 1} after a fault, with *rec filled in.
 *
 * Algorithm: exactly one access of the width (ldrb/ldrh/ldr; strb/strh/str), so a naturally
 * aligned access is single-copy atomic. Acquire and release use ldar/stlr when p is
 * naturally aligned. Without FEAT_LSE2 those take an alignment fault on any other address,
 * so there an unaligned acquire is a plain load followed by `dmb ishld` (no later access
 * moves before the load), and an unaligned release is `dmb ish` followed by a plain store
 * (no earlier access moves after the store). The byte forms are always aligned.
 *
 * Fault behaviour: the access is the only instruction that touches p; its fixup records the
 * kernel and branches to uma_fault_return_failed (fault_tail.S), which stores FADDR and
 * FINFO in the record and returns {0, 1}. An unaligned access that crosses into an
 * inaccessible page reports whatever address the hardware puts in FAR; a store that faults
 * there may already have written the bytes before the page boundary.
 *
 * Registers: x0 = p (and the value read), x1 = rec on entry to the reads, v on the writes,
 * x2 = rec on entry to the writes, x3 = REC. Nothing else is used.
 *
 * Assumptions: p is normal memory (plain accesses at any alignment are allowed).
 */
#include "umaccess.h"

FAULT_TABLE scalar

/* Returns {x0, 0}: the access succeeded. */
.macro RETURN_SUCCEEDED
  mov x1, #0
  ret
.endm

/* READ bits, value, load, acquire_load: uma_read_<bits> and uma_read_acquire_<bits>, loading
 * into value (w0, or x0 for 64 bits; the w forms clear the upper half, which zero-extends). */
.macro READ bits, value, load, acquire_load
KERNEL uma_read_\bits
  mov REC, x1                   /* the record, where the fault handler looks for it */
8:
  \load \value, [x0]
9:
  FAULT_RANGE 8b, 9b, .Lread_fixup_\bits
  RETURN_SUCCEEDED
FIXUP .Lread_fixup_\bits, uma_read_\bits
  b uma_fault_return_failed
END uma_read_\bits

KERNEL uma_read_acquire_\bits
  mov REC, x1
  .if \bits > 8
  tst x0, #(\bits / 8 - 1)
  b.ne 1f                       /* unaligned: ldar would take an alignment fault */
  .endif
8:
  \acquire_load \value, [x0]
9:
  FAULT_RANGE 8b, 9b, .Lread_acquire_fixup_\bits
  RETURN_SUCCEEDED
  .if \bits > 8
1:
8:
  \load \value, [x0]
9:
  FAULT_RANGE 8b, 9b, .Lread_acquire_fixup_\bits
  dmb ishld                     /* orders the load before every later load and store */
  RETURN_SUCCEEDED
  .endif
FIXUP .Lread_acquire_fixup_\bits, uma_read_acquire_\bits
  b uma_fault_return_failed
END uma_read_acquire_\bits
.endm

/* WRITE bits, value, store, release_store: uma_write_<bits> and uma_write_release_<bits>,
 * storing the low bits of v from value (w1, or x1 for 64 bits). */
.macro WRITE bits, value, store, release_store
KERNEL uma_write_\bits
  mov REC, x2
8:
  \store \value, [x0]
9:
  FAULT_RANGE 8b, 9b, .Lwrite_fixup_\bits
  mov x0, #0
  RETURN_SUCCEEDED
FIXUP .Lwrite_fixup_\bits, uma_write_\bits
  b uma_fault_return_failed
END uma_write_\bits

KERNEL uma_write_release_\bits
  mov REC, x2
  .if \bits > 8
  tst x0, #(\bits / 8 - 1)
  b.ne 1f                       /* unaligned: stlr would take an alignment fault */
  .endif
8:
  \release_store \value, [x0]
9:
  FAULT_RANGE 8b, 9b, .Lwrite_release_fixup_\bits
  mov x0, #0
  RETURN_SUCCEEDED
  .if \bits > 8
1:
  dmb ish                       /* orders every earlier load and store before the store */
8:
  \store \value, [x0]
9:
  FAULT_RANGE 8b, 9b, .Lwrite_release_fixup_\bits
  mov x0, #0
  RETURN_SUCCEEDED
  .endif
FIXUP .Lwrite_release_fixup_\bits, uma_write_release_\bits
  b uma_fault_return_failed
END uma_write_release_\bits
.endm

READ 8, w0, ldrb, ldarb
READ 16, w0, ldrh, ldarh
READ 32, w0, ldr, ldar
READ 64, x0, ldr, ldar

WRITE 8, w1, strb, stlrb
WRITE 16, w1, strh, stlrh
WRITE 32, w1, str, stlr
WRITE 64, x1, str, stlr

FAULT_TABLE_END
