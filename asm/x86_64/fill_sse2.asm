; fill_sse2.asm - fill with 16-byte SSE2 stores (baseline for every x86-64 CPU).
;
; Size classes (n in bytes):
;   0           nothing is touched
;   1..3        byte [0], word [n-2] (n >= 2)
;   4..7        dword [0] and [n-4]
;   8..16       qword [0] and [n-8]
;   17..32      xmm [0] and [n-16]
;   33..64      xmm [0], [16], [n-32], [n-16]
;   65..128     xmm [0..64) and [n-64..n)
;   129..       one unaligned xmm head, a 64-byte loop of aligned stores, the last 64 bytes.
;
; Fault behaviour: as copy_sse2.asm: (rdi, rdx) is a safe point at every store, esi keeps
; the fill byte, the fixup hands both to the byte retry; store windows ascend.

%include "umaccess.inc"

FAULT_TABLE fill_sse2

; size_t uma_fill_sse2(void *dst, int byte, size_t n, uma_fault_record *rec)
KERNEL uma_fill_sse2, rcx
    movzx   eax, sil
    mov     rcx, 0x0101010101010101
    imul    rax, rcx                ; the byte in every lane of rax
    cmp     rdx, 16
    ja      .above16
    cmp     edx, 8
    jae     .n8_16
    cmp     edx, 4
    jae     .n4_7
    test    edx, edx
    jz      .done
    FAULT_BEGIN .fixup
    mov     [rdi], al
    FAULT_END
    cmp     edx, 1
    je      .done
    FAULT_BEGIN .fixup
    mov     [rdi + rdx - 2], ax
    FAULT_END
.done:
    xor     eax, eax
    ret

.n4_7:
    FAULT_BEGIN .fixup
    mov     [rdi], eax
    mov     [rdi + rdx - 4], eax
    FAULT_END
    xor     eax, eax
    ret

.n8_16:
    FAULT_BEGIN .fixup
    mov     [rdi], rax
    mov     [rdi + rdx - 8], rax
    FAULT_END
    xor     eax, eax
    ret

.above16:
    movq    xmm0, rax
    punpcklqdq xmm0, xmm0
    cmp     rdx, 64
    ja      .above64
    cmp     edx, 32
    ja      .n33_64
    FAULT_BEGIN .fixup
    movdqu  [rdi], xmm0
    movdqu  [rdi + rdx - 16], xmm0
    FAULT_END
    xor     eax, eax
    ret

.n33_64:
    FAULT_BEGIN .fixup
    movdqu  [rdi], xmm0
    movdqu  [rdi + 16], xmm0
    movdqu  [rdi + rdx - 32], xmm0
    movdqu  [rdi + rdx - 16], xmm0
    FAULT_END
    xor     eax, eax
    ret

.above64:
    cmp     rdx, 128
    ja      .above128
    FAULT_BEGIN .fixup
    movdqu  [rdi], xmm0
    movdqu  [rdi + 16], xmm0
    movdqu  [rdi + 32], xmm0
    movdqu  [rdi + 48], xmm0
    movdqu  [rdi + rdx - 64], xmm0
    movdqu  [rdi + rdx - 48], xmm0
    movdqu  [rdi + rdx - 32], xmm0
    movdqu  [rdi + rdx - 16], xmm0
    FAULT_END
    xor     eax, eax
    ret

.above128:
    FAULT_BEGIN .fixup
    movdqu  [rdi], xmm0
    FAULT_END
    lea     rcx, [rdi + 16]         ; advance to dst's next 16-byte boundary (1..16 bytes)
    and     rcx, -16
    sub     rcx, rdi
    add     rdi, rcx
    sub     rdx, rcx
.loop64:
    FAULT_BEGIN .fixup
    movdqa  [rdi], xmm0
    movdqa  [rdi + 16], xmm0
    movdqa  [rdi + 32], xmm0
    movdqa  [rdi + 48], xmm0
    FAULT_END
    add     rdi, 64
    sub     rdx, 64
    cmp     rdx, 64
    ja      .loop64
    FAULT_BEGIN .fixup
    movdqu  [rdi + rdx - 64], xmm0
    movdqu  [rdi + rdx - 48], xmm0
    movdqu  [rdi + rdx - 32], xmm0
    movdqu  [rdi + rdx - 16], xmm0
    FAULT_END
    xor     eax, eax
    ret

.fixup:
    jmp     uma_tail_fill           ; rdi, esi (fill byte), rdx

FAULT_TABLE_END
