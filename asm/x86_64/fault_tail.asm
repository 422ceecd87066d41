; fault_tail.asm - the byte-exact finishing routines every fixup ends in.
;
; Algorithm: after a kernel faulted, its fixup rewinds to a safe point (all bytes before it
; are done) and jumps here with the fault in FADDR/FINFO. Windows are issued in ascending
; order, so on the faulting side every byte from the safe point up to FADDR is accessible
; and the byte at FADDR is not (page faults report the first inaccessible byte of the
; access). So these routines copy exactly the bytes before FADDR, one at a time, and report
; the original fault without touching FADDR: exact progress for the price of one signal.
;
; A fault on the other side of a copy during those bytes (a separate hole in the
; destination, say) faults here again, precisely, and is reported instead. When FADDR says
; nothing usable (a general-protection fault has no address) or lies outside what remains,
; the routines fall back to retrying every remaining byte until one faults; if none does
; (the mapping changed in between), the operation simply succeeds.
;
; Assumptions: entered only through a fixup, so REC (r9) is non-NULL and FADDR/FINFO hold
; the fault that sent us here. The loops are slow on purpose: they run only on the fault
; path, over the bytes between the safe point and the fault.

%define UMA_DEFINES_FAULT_TAIL
%include "umaccess.inc"

FAULT_TABLE fault_tail

; Sets rax to the bytes before FADDR on the faulting side (%1: that side's pointer), or
; jumps to %2 if that is not a usable count: direction unknown, or not inside [0, rdx).
%macro BYTES_BEFORE_FAULT 2
    bt      FINFO, FINFO_UNKNOWN_DIRECTION_BIT
    jc      %2
    mov     rax, FADDR
    sub     rax, %1
    cmp     rax, rdx
    jae     %2
%endmacro

; uma_tail_copy: rdi = dst, rsi = src, rdx = remaining, r9 = rec. Returns bytes not copied.
HELPER uma_tail_copy
    bt      FINFO, FINFO_WRITE_BIT
    jc      .write_fault
    BYTES_BEFORE_FAULT rsi, .retry_all
    jmp     .copy_prefix
.write_fault:
    BYTES_BEFORE_FAULT rdi, .retry_all
.copy_prefix:                       ; copy rax bytes, then report the original fault
    mov     r8, rdx
    sub     r8, rax                 ; what will remain: from FADDR to the end
    mov     rdx, rax
    test    rdx, rdx
    jz      .report
    FAULT_BEGIN .prefix_fault
.prefix_loop:
    movzx   eax, byte [rsi]
    mov     [rdi], al
    inc     rsi
    inc     rdi
    dec     rdx
    jnz     .prefix_loop
    FAULT_END
.report:
    mov     rdx, r8
    jmp     uma_fault_return
.prefix_fault:                      ; the other side faulted first: that fault stands
    add     rdx, r8
    jmp     uma_fault_return

.retry_all:
    test    rdx, rdx
    jz      .done
    FAULT_BEGIN .retry_fault
.retry_loop:
    movzx   eax, byte [rsi]
    mov     [rdi], al
    inc     rsi
    inc     rdi
    dec     rdx
    jnz     .retry_loop
    FAULT_END
.done:
    xor     eax, eax
    ret
.retry_fault:
    jmp     uma_fault_return

; uma_tail_fill: rdi = dst, esi = fill byte, rdx = remaining, r9 = rec. A fill only writes,
; so the fault is always on the destination.
HELPER uma_tail_fill
    BYTES_BEFORE_FAULT rdi, .retry_all
    mov     r8, rdx
    sub     r8, rax
    mov     rdx, rax
    test    rdx, rdx
    jz      .report
    FAULT_BEGIN .prefix_fault
.prefix_loop:
    mov     [rdi], sil
    inc     rdi
    dec     rdx
    jnz     .prefix_loop
    FAULT_END
.report:
    mov     rdx, r8
    jmp     uma_fault_return
.prefix_fault:
    add     rdx, r8
    jmp     uma_fault_return

.retry_all:
    test    rdx, rdx
    jz      .done
    FAULT_BEGIN .retry_fault
.retry_loop:
    mov     [rdi], sil
    inc     rdi
    dec     rdx
    jnz     .retry_loop
    FAULT_END
.done:
    xor     eax, eax
    ret
.retry_fault:
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
