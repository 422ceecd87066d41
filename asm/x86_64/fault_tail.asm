; fault_tail.asm - the byte-exact finishing routines every fixup ends in.
;
; Algorithm: after a kernel faulted, its fixup rewinds to a safe point (all bytes before it
; are done) and jumps here. These routines redo the rest one byte at a time, in ascending
; order. The first byte that cannot be read or written faults again, precisely; the fixup
; below then stores the fault (FADDR/FINFO, set by the handler) into the record and returns
; the number of bytes not done. If the retry gets through (the mapping changed in between),
; the operation simply succeeds.
;
; Assumptions: entered only through a fixup, so REC (r9) is non-NULL; FADDR/FINFO hold the
; fault that sent us here and are overwritten only if the retry faults again. The byte
; loop is slow on purpose: it runs only on the fault path, and only over the bytes between
; the safe point and the fault (at most a few vector widths, or rep movsb's exact residue).

%define UMA_DEFINES_FAULT_TAIL
%include "umaccess.inc"

FAULT_TABLE fault_tail

; uma_tail_copy: rdi = dst, rsi = src, rdx = remaining, r9 = rec. Returns bytes not copied.
HELPER uma_tail_copy
    test    rdx, rdx
    jz      .done
    FAULT_BEGIN .fault
.loop:
    movzx   eax, byte [rsi]
    mov     [rdi], al
    inc     rsi
    inc     rdi
    dec     rdx
    jnz     .loop
    FAULT_END
.done:
    xor     eax, eax
    ret
.fault:
    jmp     uma_fault_return

; uma_tail_fill: rdi = dst, esi = fill byte, rdx = remaining, r9 = rec.
HELPER uma_tail_fill
    test    rdx, rdx
    jz      .done
    FAULT_BEGIN .fault
.loop:
    mov     [rdi], sil
    inc     rdi
    dec     rdx
    jnz     .loop
    FAULT_END
.done:
    xor     eax, eax
    ret
.fault:
    jmp     uma_fault_return

; uma_fault_return: store the fault held in FADDR/FINFO into the record and return rdx as
; the count not done. Used directly by kernels whose fault point is already exact (probes)
; or that cannot retry forward (the backward move).
HELPER uma_fault_return
    mov     [REC + REC_ADDRESS], FADDR
    mov     [REC + REC_INFO], FINFO
    mov     rax, rdx
    ret

FAULT_TABLE_END
