/* SPDX-License-Identifier: Apache-2.0 */
/* interlocked.S - atomic read-modify-writes with full barriers, as Windows Interlocked*:
 *   uma_value uma_cmpxchg_N(void *p, uint64_t exchange, uint64_t comperand,
 *                           uma_fault_record *rec)                        N = 32, 64
 *   uma_value uma_or_N(void *p, uint64_t v, uma_fault_record *rec)
 *   uma_value uma_and_N(void *p, uint64_t v, uma_fault_record *rec)
 *   returns x0:x1 = {the original contents (zero-extended for 32 bits), 0}; {0, 1} after a
 *   fault, with *rec filled in.
 *
 * Algorithm: what MSVC emits for the Interlocked* intrinsics on ARM64, an exclusive loop
 * with acquire and release (ldaxr, compute, stlxr, again while the store-exclusive fails)
 * followed by `dmb ish`, so that no access, before or after, moves across the operation:
 * a full barrier. ARMv8.0 only (no LSE atomics). The compare-exchange stores only when the
 * loaded value equals the comperand (the low 32 bits of each for _32); otherwise it drops
 * the exclusive reservation with clrex and issues the barrier all the same, so the
 * ordering does not depend on the outcome. Only the low 32 bits of the operands count for
 * _32: the w forms ignore the upper halves.
 *
 * Fault behaviour: the exclusive load and store are covered by one range; the fixup records
 * the kernel, marks the fault as a write and branches to uma_fault_return_failed
 * (fault_tail.S), which stores FADDR and FINFO in the record and returns {0, 1}. Nothing was
 * written: a store-exclusive that faults does not store. The write bit: on an inaccessible
 * page the exclusive load faults first, but the operation that failed is a write, as x86-64's
 * locked cmpxchg reports it (and as probe_write.S does for the same reason).
 *
 * Registers: x0 = p, x1 = exchange / v, x2 = comperand (cmpxchg) or rec (or, and),
 * x3 = REC, x4 = the original value, x5 = the value to store, w6 = the store-exclusive
 * status.
 *
 * Assumptions: p is naturally aligned (the C++ caller checks: an exclusive access at any
 * other address takes an alignment fault) and normal, cacheable memory.
 */
#include "umaccess.h"

FAULT_TABLE interlocked

/* Returns {x4, 0}: x4 holds the original value (a w load cleared the upper half). */
.macro RETURN_ORIGINAL
  mov x0, x4
  mov x1, #0
  ret
.endm

/* CMPXCHG bits, old, new, comperand: uma_cmpxchg_<bits> on registers of that width. */
.macro CMPXCHG bits, old, new, comperand
KERNEL uma_cmpxchg_\bits
                                /* the record is already in REC (x3), the fourth argument */
1:
8:
  ldaxr \old, [x0]
  cmp \old, \comperand
  b.ne 2f
  stlxr w6, \new, [x0]
9:
  FAULT_RANGE 8b, 9b, .Lcmpxchg_fixup_\bits
  cbnz w6, 1b                   /* the reservation was lost: load again */
  dmb ish
  RETURN_ORIGINAL
2:
  clrex                         /* no store: release the reservation */
  dmb ish
  RETURN_ORIGINAL
FIXUP .Lcmpxchg_fixup_\bits, uma_cmpxchg_\bits
  orr FINFO, FINFO, #(1 << FINFO_WRITE_BIT)
  b uma_fault_return_failed
END uma_cmpxchg_\bits
.endm

/* RMW name, bits, op, old, new, v: uma_<name>_<bits>, storing `op new, old, v`. */
.macro RMW name, bits, op, old, new, v
KERNEL uma_\name\()_\bits
  mov REC, x2                   /* the record, where the fault handler looks for it */
1:
8:
  ldaxr \old, [x0]
  \op \new, \old, \v
  stlxr w6, \new, [x0]
9:
  FAULT_RANGE 8b, 9b, .L\name\()_fixup_\bits
  cbnz w6, 1b                   /* the reservation was lost: load again */
  dmb ish
  RETURN_ORIGINAL
FIXUP .L\name\()_fixup_\bits, uma_\name\()_\bits
  orr FINFO, FINFO, #(1 << FINFO_WRITE_BIT)
  b uma_fault_return_failed
END uma_\name\()_\bits
.endm

CMPXCHG 32, w4, w1, w2
CMPXCHG 64, x4, x1, x2

RMW or, 32, orr, w4, w5, w1
RMW or, 64, orr, x4, x5, x1
RMW and, 32, and, w4, w5, w1
RMW and, 64, and, x4, x5, x1

FAULT_TABLE_END
