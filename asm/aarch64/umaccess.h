/* SPDX-License-Identifier: Apache-2.0 */
/* asm/aarch64/umaccess.h - shared macros and conventions for every AArch64 kernel in
 * umaccess (GNU as, through the C preprocessor).
 *
 * Kernel ABI (AAPCS64, leaf functions that never touch the stack):
 *
 *   size_t copy_kernel(void *dst, const void *src, size_t n, uma_fault_record *rec)
 *   size_t fill_kernel(void *dst, int byte, size_t n, uma_fault_record *rec)
 *
 *   x0 = dst, x1 = src (fills: w1 = byte), x2 = n, x3 = rec. The return value is the number
 *   of bytes NOT done: 0 means the whole operation completed. A non-zero return means a
 *   fault stopped it; *rec then holds the fault, bytes [0, n - ret) of dst are done and
 *   bytes [n - ret, n) of dst are not (see docs/fault-model.md for the backward move's guarantee).
 *
 * Tail calls to another object use b (+-128 MiB, and the linker adds a veneer beyond):
 * never b.cond or cbz, whose +-1 MiB reach a large program could exceed.
 *
 * Fault recovery (src/fault_handler.cpp, src/arch.h): every instruction that touches caller
 * memory lies inside a range registered with FAULT_RANGE, naming a fixup. On a fault in
 * such a range the signal handler writes the fault into FADDR/FINFO of the interrupted
 * registers, points the PC at the fixup and returns; the fixup runs with the kernel's own
 * registers as they were at the faulting instruction.
 *
 *   REC   (x3)   the fault record, live at every covered instruction; NULL: do not recover
 *                (kernel-mode calls), the handler declines and the fault takes its course.
 *   FADDR (x14)  written by the handler: the faulting address (si_addr).
 *   FINFO (x15)  written by the handler: signal, si_code, the write and unknown-direction bits.
 *   FIX   (x13)  scratch of the fixups.
 *   No fixup needs x13, x14 or x15 from the kernel (they may hold data when it faults). Not
 *   x16/x17: a linker veneer on a branch between objects may clobber those.
 *
 *   A fixup rewinds to a safe point (x0, x1, x2) = (dst, src, remaining) such that every byte
 *   before it is done, then branches to uma_tail_copy / uma_tail_fill (fault_tail.S), which
 *   copy the bytes up to the fault address one at a time and write the record.
 *
 * AArch64 differs from x86-64 in one way that matters here: a store that faults part way
 * (a pair or vector crossing into an inaccessible page) may already have written the bytes
 * before the boundary. Those bytes lie before the fault address and are rewritten with the
 * same values by the retry, so the guarantees above still hold; the one algorithm that must
 * care, the forward overlapping move, says how it does (move_neon.S).
 */
#ifndef UMACCESS_AARCH64_UMACCESS_H
#define UMACCESS_AARCH64_UMACCESS_H

#define REC x3
#define FADDR x14
#define FINFO x15
#define FIX x13

/* Stores that run ahead of the safe point (issue 16; as asm/x86_64/umaccess.inc): where a
 * later store window overlaps earlier ones (the second window of a size class, the loop
 * after the unaligned head), a page write-protected between them would leave the earlier
 * stores' bytes past the count. Such fixups enter the tail at uma_tail_copy_stored /
 * uma_tail_fill_stored with STORED = the end of the destination bytes the completed stores
 * wrote contiguously from the safe point (0: none past it), and the tail counts those bytes
 * as done. A loop keeps its head's end in HEADEND while it runs (x16: free in every kernel
 * loop, which branches nowhere, so no veneer can clobber it); its fixup moves it to STORED
 * before branching to the tail in another object. */
#define STORED x4
#define HEADEND x16

/* The constants shared with C++: the fault record's layout, the FINFO bits, NT_MIN_BYTES,
 * NT_PREFETCH and the layout of uma_published (defined once, in asm/abi.h). */
#include "abi.h"

/* LOAD_PUBLISHED reg, offset: reg = the 64-bit field at `offset` (PUBLISHED_*, abi.h) of what
 * the dispatcher publishes (dispatch/plan.h). Hidden symbol: a PC-relative load, no GOT, no
 * dynamic relocation. */
.macro LOAD_PUBLISHED reg, offset
  .hidden uma_published
  adrp \reg, uma_published
  ldr \reg, [\reg, :lo12:uma_published + \offset]
.endm

/* A BTI landing pad accepting both calls and jumps: the raw entries reach the kernels with
 * a tail call through a register, veneers with br. (hint 38 = bti jc; a NOP without BTI.) */
#define BTI_JC hint 38

/* ---- Fault table ------------------------------------------------------------------------
 * One table per object, registered by name from C++ (src/fault_table.cpp, generated list):
 * a uint32 count, then entries of three int32 fields, each relative to the field's own
 * address: range begin, range end (exclusive), fixup. Self-relative entries need no dynamic
 * relocations in PIE executables or shared objects. */
.macro FAULT_TABLE name
  .pushsection .rodata.umaccess_faults, "a"
  .balign 4
  .global uma_faults_\name
  .hidden uma_faults_\name
  .type uma_faults_\name, %object
uma_faults_\name:
  .long (.Luma_faults_end - .Luma_faults_begin) / 12
.Luma_faults_begin:
  .popsection
  .text
.endm

/* FAULT_RANGE begin, end, fixup: cover [begin, end), usually numeric labels 8b and 9b. */
.macro FAULT_RANGE begin, end, fixup
  .pushsection .rodata.umaccess_faults, "a"
  .long \begin - .
  .long \end - .
  .long \fixup - .
  .popsection
.endm

/* Close the table and mark the object: no executable stack; BTI and PAC compatible (every
 * entry is a landing pad; no kernel signs or touches a return address). */
.macro FAULT_TABLE_END
  .pushsection .rodata.umaccess_faults, "a"
.Luma_faults_end:
  .popsection
  .pushsection .note.gnu.property, "a"
  .balign 8
  .long 4                       /* n_namesz */
  .long 16                      /* n_descsz */
  .long 5                       /* NT_GNU_PROPERTY_TYPE_0 */
  .asciz "GNU"
  .long 0xc0000000              /* GNU_PROPERTY_AARCH64_FEATURE_1_AND */
  .long 4                       /* pr_datasz */
  .long 3                       /* BTI | PAC */
  .long 0                       /* pad to 8 */
  .popsection
  .section .note.GNU-stack, "", %progbits
.endm

/* ---- Entry points ------------------------------------------------------------------------
 * KERNEL and HELPER open a function, END closes it, with the call-frame information a
 * debugger, profiler or unwinder (perf, gdb, _Unwind_Backtrace from a signal handler) needs
 * to get past a kernel: .cfi_startproc / .cfi_endproc and nothing between them, because every
 * routine is a leaf that never moves sp and keeps its return address in x30 throughout,
 * which is exactly the initial rule of a procedure (CFA = sp, return address in x30). The
 * directives emit nothing into .text: the code is the same with or without them. (ARM
 * optimized-routines puts them in the ENTRY/END macros of its asmdefs.h the same way,
 * https://github.com/ARM-software/optimized-routines.) */

/* KERNEL name: a kernel entry, with its name for FIXUP to record. */
.macro KERNEL name
  .pushsection .rodata.umaccess_names, "a"
.Lname_\name:
  .asciz "\name"
  .popsection
  .text
  .global \name
  .hidden \name
  .type \name, %function
  .p2align 6
\name:
  .cfi_startproc
  BTI_JC
.endm

/* END name: close a KERNEL or HELPER, after its fixups (so the unwind info covers them). */
.macro END name
  .cfi_endproc
  .size \name, . - \name
.endm

/* HELPER name: an entry reached only by branches from fixups (a landing pad all the same:
 * a linker veneer reaches its target with br). */
.macro HELPER name
  .text
  .global \name
  .hidden \name
  .type \name, %function
  .p2align 4
\name:
  .cfi_startproc
  BTI_JC
.endm

/* FIXUP label, kernel: start a fixup; records which kernel faulted (the byte retry that
 * follows keeps this name, so the record names the kernel that actually ran). */
.macro FIXUP label, kernel
\label:
  adrp FIX, .Lname_\kernel
  add FIX, FIX, :lo12:.Lname_\kernel
  str FIX, [REC, #REC_KERNEL]
.endm

/* ---- Building blocks shared by the copy, move and fill kernels --------------------------- */

/* STORED_FIXUP label, base, offset, target: the fixup of stores that follow stores which
 * already wrote the destination up to base + offset (offset: #imm or a register): sets
 * STORED and joins the kernel's common fixup `target`, which enters uma_tail_*_stored. */
.macro STORED_FIXUP label, base, offset, target
\label:
  add STORED, \base, \offset
  b \target
.endm

/* RETURN_DONE: return 0, "nothing left undone". */
.macro RETURN_DONE
  mov x0, #0
  ret
.endm

/* ROUTE_HUGE threshold, target, tmp: tail-call target (same arguments, x3 still rec) when
 * n (x2) >= the dispatcher's published threshold at offset `threshold` (PUBLISHED_*). */
.macro ROUTE_HUGE threshold, target, tmp
  LOAD_PUBLISHED \tmp, \threshold
  cmp x2, \tmp
  b.lo 1f
  b \target
1:
.endm

/* ADVANCE_TO_BOUNDARY base, align, t1, t2, copy: step over the 1..align bytes that take
 * base (x0 or x1) to its next align-byte boundary: x0 (and x1 when copy is 1) forward, x2
 * down. The caller has already written those bytes with an unaligned head window. */
.macro ADVANCE_TO_BOUNDARY base, align, t1, t2, copy
  and \t1, \base, #(\align - 1)
  mov \t2, #\align
  sub \t1, \t2, \t1
  .if \copy
  add x1, x1, \t1
  .endif
  add x0, x0, \t1
  sub x2, x2, \t1
.endm

/* Q_COPY64 from, to, at, fixup, ld=ldp, st=stp: 64 bytes from [from + at] to [to + at] in
 * q0..q3, both loads before either store, covered by fixup. */
.macro Q_COPY64 from, to, at, fixup, ld=ldp, st=stp
8:
  \ld q0, q1, [\from, #(\at)]
  \ld q2, q3, [\from, #(\at + 32)]
  \st q0, q1, [\to, #(\at)]
  \st q2, q3, [\to, #(\at + 32)]
9:
  FAULT_RANGE 8b, 9b, \fixup
.endm

/* Q_FILL64 to, at, fixup, st=stp: 64 bytes of q0 at [to + at], covered by fixup. */
.macro Q_FILL64 to, at, fixup, st=stp
8:
  \st q0, q0, [\to, #(\at)]
  \st q0, q0, [\to, #(\at + 32)]
9:
  FAULT_RANGE 8b, 9b, \fixup
.endm

/* WINDOW op, pair_op, size, base, offset, regs: one window of consecutive bytes from or to
 * [base + offset], through the registers listed (each `size` bytes wide): a lone register
 * with op (ldr/str), else two at a time with pair_op (ldp/stp), each pair at the next
 * 2 * size bytes. A register may repeat (a fill stores one register many times). The
 * templates (copy.inc, fill.inc) describe every window of a variant as such a list. */
.macro WINDOW op, pair_op, size, base, offset, r1, r2, rest:vararg
  .ifb \r2
  \op \r1, [\base, #(\offset)]
  .else
  \pair_op \r1, \r2, [\base, #(\offset)]
  .ifnb \rest
  WINDOW \op, \pair_op, \size, \base, (\offset+2*\size), \rest
  .endif
  .endif
.endm

/* UMA_JOIN(a, b): a_b once both are expanded, the names of a template's instance
 * (UMA_JOIN(uma_copy, VARIANT) is uma_copy_gpr when VARIANT is gpr). */
#define UMA_JOIN(a, b) UMA_JOIN_(a, b)
#define UMA_JOIN_(a, b) a##_##b

#endif
