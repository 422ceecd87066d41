; SPDX-License-Identifier: Apache-2.0
; string_length.asm - page-safe, vectorised string lengths for StringLengthFromUser and
; WideStringLengthFromUser:
;
;   uma_value uma_strlen(const char *s, const void *limit, uma_fault_record *rec)
;   uma_value uma_wcslen(const void *s, const void *limit, uma_fault_record *rec)
;
;   uma_value = {length, failed} in rax:rdx; the length is in units (1 byte; 2 bytes for the
;   wide form) before the first NUL unit. If no whole unit of [s, limit) is NUL the length is
;   the number of whole units in it, which the caller reads as "ran out of the user range".
;
; Algorithm (SSE2, the x86-64 baseline, so one routine serves every CPU):
;   head    units one at a time until the cursor is 16-byte aligned;
;   blocks  aligned 16-byte loads (pcmpeqb/pcmpeqw against zero, pmovmskb, bsf) up to a
;           64-byte boundary, then whole cache lines (four blocks, their comparisons or'ed)
;           while one lies below limit, then single blocks again: the line holding the NUL,
;           and the blocks below limit after the last whole line;
;   tail    units one at a time while a whole unit lies below limit.
; Reads never go below s or reach limit, and an aligned block or line never crosses a page,
; so no page the string does not reach is ever touched: a string that ends just before an
; inaccessible page is measured without a fault, one that runs into it faults there. The
; unaligned head costs at most 15 single loads; it keeps the first block from reading bytes
; before s, which may lie outside the user range.
;
; A wide string at an odd address has no aligned blocks of whole units: it runs the unit
; loop all the way (2-byte loads at odd addresses are fine on x86-64).
;
; Fault behaviour: the loads are the only covered instructions; the fixup returns {0, 1}
; through uma_fault_return_failed with the fault (at the first inaccessible byte) recorded.
;
; Assumptions: limit >= s (the C++ layer passes its user range's end, or the top of the
; address space in kernel mode).

%include "umaccess.inc"

FAULT_TABLE string_length

; BLOCK pcmpeq, tail, found, fixup : the aligned 16-byte block at rax, if it lies wholly
; below limit (else to tail): to found with the NUL mask in ecx, or rax advanced past it.
%macro BLOCK 4
    mov     rcx, rsi
    sub     rcx, rax
    cmp     rcx, 16
    jb      %2
    FAULT_BEGIN %4
    movdqa  xmm1, [rax]
    FAULT_END
    %1      xmm1, xmm0
    pmovmskb ecx, xmm1
    test    ecx, ecx
    jnz     %3
    add     rax, 16
%endmacro

; STRLEN name, unit, size, pcmpeq : one routine. rdi = s, rsi = limit, rax = cursor,
; rcx = scratch, xmm0 = zero.
%macro STRLEN 4
KERNEL %1, rdx
    mov     rax, rdi
%if %2 == 2
    test    dil, 1
    jnz     %%tail                  ; odd: whole units never align to the blocks
%endif
%%head:
    test    al, 15
    jz      %%blocks
    mov     rcx, rsi
    sub     rcx, rax
    cmp     rcx, %2
    jb      %%end                   ; no whole unit left below limit
    FAULT_BEGIN %%fixup
    cmp     %3 [rax], 0
    FAULT_END
    je      %%end
    add     rax, %2
    jmp     %%head
%%blocks:
    pxor    xmm0, xmm0
%%to_group:                         ; single blocks up to a 64-byte boundary
    test    al, 63
    jz      %%group
    BLOCK   %4, %%tail, %%in_block, %%fixup
    jmp     %%to_group
%%group:                            ; 64 bytes (one cache line, never two pages) a time
    mov     rcx, rsi
    sub     rcx, rax
    cmp     rcx, 64
    jb      %%block
    FAULT_BEGIN %%fixup
    movdqa  xmm1, [rax]
    movdqa  xmm2, [rax + 16]
    movdqa  xmm3, [rax + 32]
    movdqa  xmm4, [rax + 48]
    FAULT_END
    %4      xmm1, xmm0
    %4      xmm2, xmm0
    %4      xmm3, xmm0
    %4      xmm4, xmm0
    por     xmm1, xmm2
    por     xmm3, xmm4
    por     xmm1, xmm3
    pmovmskb ecx, xmm1
    test    ecx, ecx
    jnz     %%block                 ; a NUL in this line: the single blocks find it
    add     rax, 64
    jmp     %%group
%%block:                            ; single blocks while a whole one lies below limit
    BLOCK   %4, %%tail, %%in_block, %%fixup
    jmp     %%block
%%in_block:
    bsf     ecx, ecx                ; byte offset of the first NUL unit (even for words)
    add     rax, rcx
    jmp     %%end
%%tail:
    mov     rcx, rsi
    sub     rcx, rax
    cmp     rcx, %2
    jb      %%end
    FAULT_BEGIN %%fixup
    cmp     %3 [rax], 0
    FAULT_END
    je      %%end
    add     rax, %2
    jmp     %%tail
%%end:
    sub     rax, rdi
%if %2 == 2
    shr     rax, 1
%endif
    xor     edx, edx
    ret
FIXUP %%fixup
    jmp     uma_fault_return_failed
%endmacro

STRLEN uma_strlen, 1, byte, pcmpeqb
STRLEN uma_wcslen, 2, word, pcmpeqw

FAULT_TABLE_END
