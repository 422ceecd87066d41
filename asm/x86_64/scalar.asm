; SPDX-License-Identifier: Apache-2.0
; scalar.asm - single loads and stores of 1, 2, 4 and 8 bytes for the typed accessors
; (Read<X>FromUser, Write<X>ToUser and their Acquire/Release/Mode forms):
;
;   uma_value uma_read_N(const void *p, uma_fault_record *rec)              N = 8, 16, 32, 64
;   uma_value uma_read_acquire_N(const void *p, uma_fault_record *rec)
;   uma_value uma_write_N(void *p, uint64_t v, uma_fault_record *rec)
;   uma_value uma_write_release_N(void *p, uint64_t v, uma_fault_record *rec)
;
;   uma_value = {value, failed} in rax:rdx. Reads zero-extend into rax; writes return 0.
;
; Algorithm: exactly one mov of the width, so a naturally aligned access is single-copy
; atomic (never torn) and any other alignment still works (x86-64 allows it; no alignment
; is enforced, as on Windows). Acquire and release need no fence on x86-64 (TSO: loads are
; not reordered with later accesses, stores not with earlier ones); they are separate entry
; points only so that a fault record names the accessor family that ran, and so that the C++
; layer is the same on every architecture.
;
; Fault behaviour: the access is the only covered instruction; its fixup records the kernel
; and returns {0, 1} through uma_fault_return_failed with the fault in the record.
;
; Assumptions: none on p (the C++ layer has checked the user range).

%include "umaccess.inc"

FAULT_TABLE scalar

; READ name, load : a read routine; `load` moves [rdi] into rax/eax.
%macro READ 2
KERNEL %1, rsi
    FAULT_BEGIN %%fixup
    %2
    FAULT_END
    xor     edx, edx
    ret
FIXUP %%fixup
    jmp     uma_fault_return_failed
%endmacro

; WRITE name, store : a write routine; `store` moves the value (rsi) into [rdi].
%macro WRITE 2
KERNEL %1, rdx
    FAULT_BEGIN %%fixup
    %2
    FAULT_END
    xor     eax, eax
    xor     edx, edx
    ret
FIXUP %%fixup
    jmp     uma_fault_return_failed
%endmacro

; WIDTH bits, load, store : the four routines of one width.
%macro WIDTH 3
    READ  uma_read_%1, {%2}
    READ  uma_read_acquire_%1, {%2}
    WRITE uma_write_%1, {%3}
    WRITE uma_write_release_%1, {%3}
%endmacro

WIDTH 8,  {movzx eax, byte [rdi]}, {mov [rdi], sil}
WIDTH 16, {movzx eax, word [rdi]}, {mov [rdi], si}
WIDTH 32, {mov eax, [rdi]},        {mov [rdi], esi}
WIDTH 64, {mov rax, [rdi]},        {mov [rdi], rsi}

FAULT_TABLE_END
