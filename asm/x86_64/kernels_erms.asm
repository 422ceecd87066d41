; SPDX-License-Identifier: Apache-2.0
; kernels_erms.asm - rep movsb / rep stosb (the "erms" variant, and the large-copy size
; class of the others on CPUs whose fast-string microcode wins there).
;
; Algorithm: one rep movsb / rep stosb for the whole length. With ERMS the microcode moves
; whole cache lines for long operations; its start-up cost (tens of cycles without FSRM)
; is why the dispatcher uses it only from a threshold up, or at every length with FSRM.
;
; Short distance: rep movsb runs about 40x slower when dst - src, taken modulo 2^32, is in
; [1, 63] (glibc BZ 27130, https://sourceware.org/bugzilla/show_bug.cgi?id=27130). The vector
; kernels check that before handing a long copy over (copy.inc); the erms variant, chosen by
; name, runs rep movsb regardless.
;
; Fault behaviour: rep movsb/stosb are restartable by design: on a fault RCX/RSI/RDI give
; the exact next byte, which the fixup hands to the byte retry unchanged.
;
; Assumptions: no overlap (the move kernels handle it; backward rep movsb is slow anyway);
; DF clear on entry (ABI).

%define UMA_DEFINES_ERMS
%include "umaccess.inc"

FAULT_TABLE kernels_erms

; size_t uma_copy_erms(void *dst, const void *src, size_t n, uma_fault_record *rec)
KERNEL uma_copy_erms, rcx
    mov     rcx, rdx
    FAULT_BEGIN .fixup
    rep movsb
    FAULT_END
    xor     eax, eax
    ret
FIXUP .fixup
    mov     rdx, rcx
    jmp     uma_tail_copy

; size_t uma_fill_erms(void *dst, int byte, size_t n, uma_fault_record *rec)
KERNEL uma_fill_erms, rcx
    mov     eax, esi
    mov     rcx, rdx
    FAULT_BEGIN .fixup
    rep stosb
    FAULT_END
    xor     eax, eax
    ret
FIXUP .fixup
    mov     rdx, rcx                ; esi still holds the fill byte
    jmp     uma_tail_fill

FAULT_TABLE_END
