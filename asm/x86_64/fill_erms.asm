; fill_erms.asm - fill with rep stosb (baseline "erms" variant).
;
; Algorithm: one rep stosb for the whole length (fast on ERMS parts for long fills).
; Fault behaviour: rep stosb is restartable: RCX/RDI give the exact resume point.
; Assumptions: DF is clear on entry (ABI).

%include "umaccess.inc"

FAULT_TABLE fill_erms

; size_t uma_fill_erms(void *dst, int byte, size_t n, uma_fault_record *rec)
KERNEL uma_fill_erms, rcx
    mov     eax, esi
    mov     rcx, rdx
    FAULT_BEGIN .fixup
    rep stosb
    FAULT_END
    xor     eax, eax
    ret
.fixup:
    mov     rdx, rcx                ; esi still holds the fill byte
    jmp     uma_tail_fill

FAULT_TABLE_END
