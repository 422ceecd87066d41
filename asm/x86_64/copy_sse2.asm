; copy_sse2.asm - forward copy with 16-byte SSE2 vectors (baseline for every x86-64 CPU).
;
; Size classes (n in bytes):
;   0           nothing is touched
;   1..3        byte [0] and word [n-2]            (overlapping head/tail)
;   4..7        dword [0] and [n-4]
;   8..16       qword [0] and [n-8]
;   17..32      xmm [0] and [n-16]
;   33..64      xmm [0], [16], [n-32], [n-16]
;   65..128     xmm [0..64) and [n-64..n)
;   129..       one unaligned xmm head, then a 64-byte loop with 16-byte aligned stores,
;               then the last 64 bytes as four unaligned, overlapping windows.
;
; Fault behaviour: small classes load everything before storing and never move rdi/rsi/rdx,
; so their safe point is the start. The loop advances rdi/rsi/rdx only after an iteration's
; stores, so at any faulting instruction (rdi, rsi, rdx) is a safe point; the fixup hands
; it to the byte retry. Store windows start in ascending order (the tail steps back by
; less than 64 bytes, never across an inaccessible page), so nothing beyond the exact
; fault point is ever written.
;
; Assumptions: dst and src do not overlap; unaligned access is allowed; bytes may be read
; and written more than once (the overlapping windows), as the API permits.

%include "umaccess.inc"

FAULT_TABLE copy_sse2

; size_t uma_copy_sse2(void *dst, const void *src, size_t n, uma_fault_record *rec)
KERNEL uma_copy_sse2, rcx
    cmp     rdx, 16
    ja      .above16
    cmp     edx, 8
    jae     .n8_16
    cmp     edx, 4
    jae     .n4_7
    test    edx, edx
    jz      .done
    FAULT_BEGIN .fixup
    movzx   eax, byte [rsi]
    mov     [rdi], al
    FAULT_END
    cmp     edx, 1
    je      .done
    FAULT_BEGIN .fixup
    movzx   ecx, word [rsi + rdx - 2]
    mov     [rdi + rdx - 2], cx
    FAULT_END
.done:
    xor     eax, eax
    ret

.n4_7:
    FAULT_BEGIN .fixup
    mov     eax, [rsi]
    mov     ecx, [rsi + rdx - 4]
    mov     [rdi], eax
    mov     [rdi + rdx - 4], ecx
    FAULT_END
    xor     eax, eax
    ret

.n8_16:
    FAULT_BEGIN .fixup
    mov     rax, [rsi]
    mov     rcx, [rsi + rdx - 8]
    mov     [rdi], rax
    mov     [rdi + rdx - 8], rcx
    FAULT_END
    xor     eax, eax
    ret

.above16:
    cmp     rdx, 64
    ja      .above64
    cmp     edx, 32
    ja      .n33_64
    FAULT_BEGIN .fixup
    movdqu  xmm0, [rsi]
    movdqu  xmm1, [rsi + rdx - 16]
    movdqu  [rdi], xmm0
    movdqu  [rdi + rdx - 16], xmm1
    FAULT_END
    xor     eax, eax
    ret

.n33_64:
    FAULT_BEGIN .fixup
    movdqu  xmm0, [rsi]
    movdqu  xmm1, [rsi + 16]
    movdqu  xmm2, [rsi + rdx - 32]
    movdqu  xmm3, [rsi + rdx - 16]
    movdqu  [rdi], xmm0
    movdqu  [rdi + 16], xmm1
    movdqu  [rdi + rdx - 32], xmm2
    movdqu  [rdi + rdx - 16], xmm3
    FAULT_END
    xor     eax, eax
    ret

.above64:
    cmp     rdx, 128
    ja      .above128
    FAULT_BEGIN .fixup
    movdqu  xmm0, [rsi]
    movdqu  xmm1, [rsi + 16]
    movdqu  xmm2, [rsi + 32]
    movdqu  xmm3, [rsi + 48]
    movdqu  xmm4, [rsi + rdx - 64]
    movdqu  xmm5, [rsi + rdx - 48]
    movdqu  xmm6, [rsi + rdx - 32]
    movdqu  xmm7, [rsi + rdx - 16]
    movdqu  [rdi], xmm0
    movdqu  [rdi + 16], xmm1
    movdqu  [rdi + 32], xmm2
    movdqu  [rdi + 48], xmm3
    movdqu  [rdi + rdx - 64], xmm4
    movdqu  [rdi + rdx - 48], xmm5
    movdqu  [rdi + rdx - 32], xmm6
    movdqu  [rdi + rdx - 16], xmm7
    FAULT_END
    xor     eax, eax
    ret

.above128:
    FAULT_BEGIN .fixup
    movdqu  xmm0, [rsi]
    movdqu  [rdi], xmm0
    FAULT_END
    ; Advance to the next 16-byte boundary of dst (1..16 bytes; the head covered them).
    lea     rcx, [rdi + 16]
    and     rcx, -16
    sub     rcx, rdi
    add     rdi, rcx
    add     rsi, rcx
    sub     rdx, rcx                ; > 64 remain: 128 < n and the step is at most 16
.loop64:
    FAULT_BEGIN .fixup
    movdqu  xmm0, [rsi]
    movdqu  xmm1, [rsi + 16]
    movdqu  xmm2, [rsi + 32]
    movdqu  xmm3, [rsi + 48]
    movdqa  [rdi], xmm0
    movdqa  [rdi + 16], xmm1
    movdqa  [rdi + 32], xmm2
    movdqa  [rdi + 48], xmm3
    FAULT_END
    add     rsi, 64
    add     rdi, 64
    sub     rdx, 64
    cmp     rdx, 64
    ja      .loop64
    ; 1..64 bytes remain: store the buffer's last 64 bytes (at least 64 bytes lie behind rdi).
    FAULT_BEGIN .fixup
    movdqu  xmm0, [rsi + rdx - 64]
    movdqu  xmm1, [rsi + rdx - 48]
    movdqu  xmm2, [rsi + rdx - 32]
    movdqu  xmm3, [rsi + rdx - 16]
    movdqu  [rdi + rdx - 64], xmm0
    movdqu  [rdi + rdx - 48], xmm1
    movdqu  [rdi + rdx - 32], xmm2
    movdqu  [rdi + rdx - 16], xmm3
    FAULT_END
    xor     eax, eax
    ret

.fixup:
    jmp     uma_tail_copy

FAULT_TABLE_END
