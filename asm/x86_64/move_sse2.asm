; move_sse2.asm - overlap-safe copy (memmove semantics) with 16-byte SSE2 vectors.
;
; Algorithm, by the distance d = dst - src (unsigned):
;   no overlap (d >= n and src - dst >= n), or dst == src:
;               tail-call uma_copy_sse2, the fast forward kernel.
;   dst below src, overlapping (forward):
;               64-byte steps of four unaligned loads then four unaligned stores, ascending,
;               then 16/8/4/2/1-byte steps. Windows never overlap each other, so every load
;               reads bytes that no earlier store has touched (each store lands below the
;               bytes still to be read).
;   dst above src, overlapping (backward):
;               the mirror image, from the end down; each step loads before it stores.
;
; Fault behaviour:
;   forward:  a read fault happens before the step's stores, so (rdi, rsi, rdx) is exact;
;             for a write fault the fixup adds the whole 16-byte windows stored before the
;             faulting one, computed from the fault address (FADDR lies inside the faulting
;             window). The byte retry then starts exactly where stores stopped, so it never
;             re-reads a source byte that this copy already overwrote.
;   backward: the leading bytes are done last, so on a fault none of them is final: the
;             kernel reports all n bytes as not done (bytes_copied 0). Bytes of dst above the
;             fault may already hold moved data; nothing outside dst is written.
;
; Assumptions: unaligned access allowed; DF clear.

%include "umaccess.inc"

FAULT_TABLE move_sse2

extern uma_copy_sse2

; size_t uma_move_sse2(void *dst, const void *src, size_t n, uma_fault_record *rec)
KERNEL uma_move_sse2, rcx
    mov     rax, rdi
    sub     rax, rsi                ; d = dst - src
    jz      .no_overlap             ; in place: a forward copy reads each window before writing it
    cmp     rax, rdx
    jb      .backward               ; 0 < d < n: dst overlaps the top of src
    neg     rax                     ; src - dst
    cmp     rax, rdx
    jb      .forward                ; 0 < src - dst < n: dst overlaps the bottom of src
.no_overlap:
    jmp     uma_copy_sse2           ; rcx still holds rec

; ---- forward: dst < src < dst + n --------------------------------------------------------
.forward:
    cmp     rdx, 64
    jb      .fwd_small
.fwd_loop64:
    FAULT_BEGIN .fwd_fixup
    movdqu  xmm0, [rsi]
    movdqu  xmm1, [rsi + 16]
    movdqu  xmm2, [rsi + 32]
    movdqu  xmm3, [rsi + 48]
    movdqu  [rdi], xmm0
    movdqu  [rdi + 16], xmm1
    movdqu  [rdi + 32], xmm2
    movdqu  [rdi + 48], xmm3
    FAULT_END
    add     rsi, 64
    add     rdi, 64
    sub     rdx, 64
    cmp     rdx, 64
    jae     .fwd_loop64
.fwd_small:                         ; 0..63 bytes: 16 while possible, then 8, 4, 2, 1
    cmp     rdx, 16
    jb      .fwd8
    FAULT_BEGIN .fwd_fixup
    movdqu  xmm0, [rsi]
    movdqu  [rdi], xmm0
    FAULT_END
    add     rsi, 16
    add     rdi, 16
    sub     rdx, 16
    jmp     .fwd_small
.fwd8:
    test    dl, 8
    jz      .fwd4
    FAULT_BEGIN .fwd_fixup
    mov     rax, [rsi]
    mov     [rdi], rax
    FAULT_END
    add     rsi, 8
    add     rdi, 8
    sub     rdx, 8
.fwd4:
    test    dl, 4
    jz      .fwd2
    FAULT_BEGIN .fwd_fixup
    mov     eax, [rsi]
    mov     [rdi], eax
    FAULT_END
    add     rsi, 4
    add     rdi, 4
    sub     rdx, 4
.fwd2:
    test    dl, 2
    jz      .fwd1
    FAULT_BEGIN .fwd_fixup
    movzx   eax, word [rsi]
    mov     [rdi], ax
    FAULT_END
    add     rsi, 2
    add     rdi, 2
    sub     rdx, 2
.fwd1:
    test    dl, 1
    jz      .done
    FAULT_BEGIN .fwd_fixup
    movzx   eax, byte [rsi]
    mov     [rdi], al
    FAULT_END
.done:
    xor     eax, eax
    ret

.fwd_fixup:
    bt      FINFO, FINFO_WRITE_BIT
    jnc     .fwd_retry              ; read fault: nothing of this step was stored
    mov     rax, FADDR              ; write fault: skip the whole windows already stored
    sub     rax, rdi
    and     rax, -16
    add     rdi, rax
    add     rsi, rax
    sub     rdx, rax
.fwd_retry:
    jmp     uma_tail_copy

; ---- backward: src < dst < src + n ---------------------------------------------------------
; rdx counts the bytes still to move; they are [0, rdx) of both buffers.
.backward:
    mov     r8, rdx                 ; n, reported as not done if a fault stops us
.bwd_loop64:
    cmp     rdx, 64
    jb      .bwd_small
    FAULT_BEGIN .bwd_fixup
    movdqu  xmm0, [rsi + rdx - 16]
    movdqu  xmm1, [rsi + rdx - 32]
    movdqu  xmm2, [rsi + rdx - 48]
    movdqu  xmm3, [rsi + rdx - 64]
    movdqu  [rdi + rdx - 16], xmm0
    movdqu  [rdi + rdx - 32], xmm1
    movdqu  [rdi + rdx - 48], xmm2
    movdqu  [rdi + rdx - 64], xmm3
    FAULT_END
    sub     rdx, 64
    jmp     .bwd_loop64
.bwd_small:
    cmp     rdx, 16
    jb      .bwd8
    FAULT_BEGIN .bwd_fixup
    movdqu  xmm0, [rsi + rdx - 16]
    movdqu  [rdi + rdx - 16], xmm0
    FAULT_END
    sub     rdx, 16
    jmp     .bwd_small
.bwd8:
    test    dl, 8
    jz      .bwd4
    FAULT_BEGIN .bwd_fixup
    mov     rax, [rsi + rdx - 8]
    mov     [rdi + rdx - 8], rax
    FAULT_END
    sub     rdx, 8
.bwd4:
    test    dl, 4
    jz      .bwd2
    FAULT_BEGIN .bwd_fixup
    mov     eax, [rsi + rdx - 4]
    mov     [rdi + rdx - 4], eax
    FAULT_END
    sub     rdx, 4
.bwd2:
    test    dl, 2
    jz      .bwd1
    FAULT_BEGIN .bwd_fixup
    movzx   eax, word [rsi + rdx - 2]
    mov     [rdi + rdx - 2], ax
    FAULT_END
    sub     rdx, 2
.bwd1:
    test    dl, 1
    jz      .done
    FAULT_BEGIN .bwd_fixup
    movzx   eax, byte [rsi]
    mov     [rdi], al
    FAULT_END
    xor     eax, eax
    ret

.bwd_fixup:
    mov     rdx, r8
    jmp     uma_fault_return

FAULT_TABLE_END
