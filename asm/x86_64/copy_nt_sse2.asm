; copy_nt_sse2.asm - forward copy with non-temporal (cache-bypassing) SSE2 stores.
;
; Size classes:
;   n < NT_MIN_BYTES  tail-call uma_copy_sse2: a few cache lines gain nothing from
;                     streaming stores, and their write-combining flush costs more.
;   otherwise         one unaligned temporal xmm head, then 64 bytes per iteration with
;                     unaligned loads and movntdq stores to a 16-byte aligned dst (prefetchnta
;                     ahead on the source), then 8-byte movnti steps, then one overlapping
;                     8-byte movnti ending at dst + n; sfence before returning.
;
; Fault behaviour: the loop advances rdi/rsi/rdx only after its stores, so (rdi, rsi, rdx)
; is a safe point; the fixup first fences (the streaming stores issued so far become
; globally visible before the byte retry writes after them), then retries byte by byte.
; Store windows ascend (the last one steps back by less than 8 bytes).
;
; Assumptions: dst and src do not overlap; unaligned source allowed.

%include "umaccess.inc"

FAULT_TABLE copy_nt_sse2

extern uma_copy_sse2

%define NT_MIN_BYTES   256          ; below this the temporal kernel is used
%define PREFETCH_AHEAD 512          ; bytes ahead of the loads, beyond the hardware's stride

; size_t uma_copy_nt_sse2(void *dst, const void *src, size_t n, uma_fault_record *rec)
KERNEL uma_copy_nt_sse2, rcx
    cmp     rdx, NT_MIN_BYTES
    jb      uma_copy_sse2           ; rcx still holds rec
    FAULT_BEGIN .fixup
    movdqu  xmm0, [rsi]
    movdqu  [rdi], xmm0
    FAULT_END
    lea     rcx, [rdi + 16]         ; advance to dst's next 16-byte boundary (1..16 bytes)
    and     rcx, -16
    sub     rcx, rdi
    add     rdi, rcx
    add     rsi, rcx
    sub     rdx, rcx
.loop64:
    prefetchnta [rsi + PREFETCH_AHEAD]      ; a hint: never faults, needs no fixup
    FAULT_BEGIN .fixup
    movdqu  xmm0, [rsi]
    movdqu  xmm1, [rsi + 16]
    movdqu  xmm2, [rsi + 32]
    movdqu  xmm3, [rsi + 48]
    movntdq [rdi], xmm0
    movntdq [rdi + 16], xmm1
    movntdq [rdi + 32], xmm2
    movntdq [rdi + 48], xmm3
    FAULT_END
    add     rsi, 64
    add     rdi, 64
    sub     rdx, 64
    cmp     rdx, 64
    jae     .loop64
.loop8:
    cmp     rdx, 8
    jb      .last
    FAULT_BEGIN .fixup
    mov     rax, [rsi]
    movnti  [rdi], rax
    FAULT_END
    add     rsi, 8
    add     rdi, 8
    sub     rdx, 8
    jmp     .loop8
.last:                              ; 0..7 bytes: one 8-byte window ending at the end
    test    rdx, rdx
    jz      .done
    FAULT_BEGIN .fixup
    mov     rax, [rsi + rdx - 8]
    movnti  [rdi + rdx - 8], rax
    FAULT_END
.done:
    sfence
    xor     eax, eax
    ret

.fixup:
    sfence
    jmp     uma_tail_copy

FAULT_TABLE_END
