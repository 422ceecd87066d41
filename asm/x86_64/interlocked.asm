; SPDX-License-Identifier: Apache-2.0
; interlocked.asm - atomic read-modify-writes for the Interlocked...ToUser accessors:
;
;   uma_value uma_cmpxchg_N(void *p, uint64_t exchange, uint64_t comperand,
;                           uma_fault_record *rec)                          N = 32, 64
;   uma_value uma_or_N(void *p, uint64_t v, uma_fault_record *rec)
;   uma_value uma_and_N(void *p, uint64_t v, uma_fault_record *rec)
;
;   uma_value = {original contents of *p, failed} in rax:rdx.
;
; Algorithm: lock cmpxchg, a full barrier on x86-64 (as Windows' Interlocked* are). Or and And
; must return the original value, which lock or/and do not give, so they loop on cmpxchg, as
; compilers build _InterlockedOr and __atomic_fetch_or: a plain load of the current contents,
; then cmpxchg of (contents op v); a failed attempt leaves the contents in rax for the next.
; (Until 2026-12-07 the first attempt guessed the contents were 0, to make the locked access
; the first one; on any non-zero word, a flags word's usual state, that cost a second locked
; instruction: InterlockedOr64ToUser took 2.0 x __atomic_fetch_or on the Zen 4 VM.)
;
; Fault behaviour: the load and the cmpxchg are covered by one range; the fixup marks the
; fault a write (the operation is one, whichever access faulted: on an inaccessible page the
; load faults first, as AArch64's exclusive load does) and returns {0, 1} through
; uma_fault_return_failed with the fault in the record. Nothing was written.
;
; Assumptions: p is naturally aligned (the C++ layer refuses others with
; STATUS_DATATYPE_MISALIGNMENT: a locked access that splits a cache line is a bus lock).

%include "umaccess.inc"

FAULT_TABLE interlocked

; CMPXCHG name, a, x, c : a = the accumulator, x = exchange (rsi), c = comperand (rdx), of the
; width.
%macro CMPXCHG 4
KERNEL %1, rcx
    mov     %2, %4
    FAULT_BEGIN %%fixup
    lock cmpxchg [rdi], %3
    FAULT_END
    xor     edx, edx                ; rax: the original (loaded on a mismatch, = comperand else)
    ret
FIXUP %%fixup
    jmp     uma_fault_return_failed
%endmacro

; RMW name, op, a, v, t : *p = *p op v, returning the original; a = accumulator, v = the
; operand (rsi), t = scratch (rcx), of the width.
%macro RMW 5
KERNEL %1, rdx
    FAULT_BEGIN %%fixup
    mov     %3, [rdi]               ; the contents: the first guess of the original
%%retry:
    mov     %5, %3
    %2      %5, %4
    lock cmpxchg [rdi], %5
    jne     %%retry                 ; rax now holds the current contents
    FAULT_END
    xor     edx, edx
    ret
FIXUP %%fixup
    bts     FINFO, FINFO_WRITE_BIT  ; a write, whichever access faulted
    jmp     uma_fault_return_failed
%endmacro

CMPXCHG uma_cmpxchg_32, eax, esi, edx
CMPXCHG uma_cmpxchg_64, rax, rsi, rdx
RMW uma_or_32,  or,  eax, esi, ecx
RMW uma_or_64,  or,  rax, rsi, rcx
RMW uma_and_32, and, eax, esi, ecx
RMW uma_and_64, and, rax, rsi, rcx

FAULT_TABLE_END
