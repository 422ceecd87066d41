; copy_erms.asm - forward copy with rep movsb (baseline "erms" variant).
;
; Algorithm: one rep movsb for the whole length. On CPUs with ERMS, the microcode moves
; whole cache lines for long copies; for short copies its start-up cost (tens of cycles
; without FSRM) makes it slower than vector code, which is why the dispatcher only picks it
; where it pays (issue 3 tunes the size classes).
;
; Fault behaviour: rep movsb is restartable by design: on a fault RCX/RSI/RDI describe the
; next byte to move, so the fixup hands them to the byte retry unchanged.
;
; Assumptions: dst and src do not overlap (the move kernels handle overlap); DF is clear,
; as the ABI guarantees on function entry.

%include "umaccess.inc"

FAULT_TABLE copy_erms

; size_t uma_copy_erms(void *dst, const void *src, size_t n, uma_fault_record *rec)
KERNEL uma_copy_erms, rcx
    mov     rcx, rdx
    FAULT_BEGIN .fixup
    rep movsb
    FAULT_END
    xor     eax, eax
    ret
.fixup:
    mov     rdx, rcx
    jmp     uma_tail_copy

FAULT_TABLE_END
