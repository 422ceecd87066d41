; SPDX-License-Identifier: Apache-2.0
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
; destination, say) faults here again, precisely, and is reported instead.
;
; Stores that ran ahead of the safe point: a fixup that enters at uma_tail_*_stored passes
; STORED (r8), the end of the destination bytes the kernel's completed stores wrote
; contiguously from the safe point. Those bytes are done: the routines count them first, so
; a fault address below STORED (the page was write-protected after those stores and before
; the one that faulted) does not leave written bytes past the count. With nothing usable
; left before FADDR they retry the rest byte by byte, which reports the first byte that
; still faults. The plain entries pass STORED = 0: nothing past the safe point.
;
; A mapping that changed since the first fault: another thread may have write-protected or
; unmapped destination bytes before FADDR that the kernel's vector stores had already
; written (issue 16). The byte loop then faults on a write before FADDR, where those bytes
; may already hold the copy. So on such a write fault the routines read the destination back
; from there and count every byte that already holds its final value (the source's byte, or
; the fill byte), then resume copying at the first one that does not; only a byte that
; neither holds its value nor can be written ends the operation. The count stays exact:
; every byte before it holds its final value, none after it was written (the kernel's
; stores cover a contiguous run from the safe point, and nothing at or past FADDR).
; The scan is covered too: a byte it cannot read back ends it. When FADDR says
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

; Count the bytes from the safe point up to STORED as done (never past the end): rdi (and
; %1, the source pointer of a copy) forward, rdx down. STORED at or below rdi (0 included)
; changes nothing.
%macro SKIP_STORED 0-1
    mov     rax, STORED
    sub     rax, rdi
    jbe     %%none                  ; STORED <= rdi: nothing stored past the safe point
    cmp     rax, rdx
    cmova   rax, rdx
    add     rdi, rax
  %if %0 == 1
    add     %1, rax
  %endif
    sub     rdx, rax
%%none:
%endmacro

; Both routines run one byte loop over rdx bytes, then either report the original fault
; (ecx = 1; r8 = the bytes from FADDR to the end) or, when retrying everything (ecx = 0,
; r8 = 0), succeed. A fault inside the loop is reported with the bytes not yet done.
%macro SPLIT_AT_FAULT 0             ; rax bytes before the fault: copy those, report the rest
    mov     r8, rdx
    sub     r8, rax
    mov     rdx, rax
    mov     ecx, 1
    mov     [REC + REC_ADDRESS], FADDR  ; kept for a scan that reaches it (later faults
    mov     [REC + REC_INFO], FINFO     ; overwrite FADDR/FINFO)
%endmacro

; On a fault in the byte loop at rdi (rdx bytes left before the original FADDR, r8 after
; it, ecx = 1 if there is such a FADDR): %1 compares the byte at rdi with its final value
; (setting ZF), %2 advances to the next byte, %3 resumes the byte loop. Falls through when
; the fault stands.
%macro SCAN_WRITTEN 3
    test    ecx, ecx
    jz      %%stands                ; retrying everything: no earlier fault, nothing stored past rdi
    bt      FINFO, FINFO_WRITE_BIT
    jnc     %%stands                ; a read fault: the kernel read this byte before any store past it
    bt      qword [REC + REC_INFO], FINFO_WRITE_BIT
    jnc     %%stands                ; the first fault was a read: no store went past the safe point
    push    FADDR                   ; this fault, reported if nothing changes below
    push    FINFO
    mov     rax, rdi
    FAULT_BEGIN %%scan_stop
%%scan:
    %1
    jne     %%scan_stop
    %2
    dec     rdx
    jnz     %%scan
    FAULT_END
    add     rsp, 16                 ; every byte up to FADDR holds its value: the original
    mov     FADDR, [REC + REC_ADDRESS]  ; fault stands, as if nothing had changed
    mov     FINFO, [REC + REC_INFO]
    jmp     %%finish
%%scan_stop:                        ; a byte that does not hold its value, or cannot be read
    pop     FINFO
    pop     FADDR
    cmp     rax, rdi
    jne     %3                      ; progress: try writing from there
%%stands:
    add     rdx, r8
    jmp     uma_fault_return
%%finish:
    FINISH
%endmacro
%macro RETRY_ALL 0
    xor     r8d, r8d
    xor     ecx, ecx
%endmacro
%macro FINISH 0                     ; after the loop: the two outcomes above
    test    ecx, ecx
    jz      %%success
    mov     rdx, r8
    jmp     uma_fault_return
%%success:
    xor     eax, eax
    ret
%endmacro

; The copy's scan: does the destination byte hold the source byte? (r11 is free while the
; scan runs: SCAN_WRITTEN saved the fault it held.)
%macro SAME_AS_SOURCE 0
    movzx   r11d, byte [rsi]
    cmp     [rdi], r11b
%endmacro
%macro NEXT_COPY_BYTE 0
    inc     rdi
    inc     rsi
%endmacro

; uma_tail_copy: rdi = dst, rsi = src, rdx = remaining, r9 = rec. Returns bytes not copied.
; uma_tail_copy_stored: the same with STORED (r8).
HELPER uma_tail_copy
    xor     STORED, STORED
HELPER uma_tail_copy_stored
    SKIP_STORED rsi
    bt      FINFO, FINFO_WRITE_BIT
    jc      .write_fault
    BYTES_BEFORE_FAULT rsi, .retry_all
    jmp     .split
.write_fault:
    BYTES_BEFORE_FAULT rdi, .retry_all
.split:
    SPLIT_AT_FAULT
    jmp     .copy
.retry_all:
    RETRY_ALL
.copy:
    test    rdx, rdx
    jz      .finish
    FAULT_BEGIN .fault
.loop:
    movzx   eax, byte [rsi]
    mov     [rdi], al
    inc     rsi
    inc     rdi
    dec     rdx
    jnz     .loop
    FAULT_END
.finish:
    FINISH
.fault:                             ; a byte before FADDR (on either side) faulted
    SCAN_WRITTEN {SAME_AS_SOURCE}, {NEXT_COPY_BYTE}, .copy

; uma_tail_fill: rdi = dst, esi = fill byte, rdx = remaining, r9 = rec. A fill only writes,
; so the fault is always on the destination. uma_tail_fill_stored: the same with STORED (r8).
HELPER uma_tail_fill
    xor     STORED, STORED
HELPER uma_tail_fill_stored
    SKIP_STORED
    BYTES_BEFORE_FAULT rdi, .retry_all
    SPLIT_AT_FAULT
    jmp     .fill
.retry_all:
    RETRY_ALL
.fill:
    test    rdx, rdx
    jz      .finish
    FAULT_BEGIN .fault
.loop:
    mov     [rdi], sil
    inc     rdi
    dec     rdx
    jnz     .loop
    FAULT_END
.finish:
    FINISH
.fault:
    SCAN_WRITTEN {cmp [rdi], sil}, {inc rdi}, .fill

; uma_fault_return: store the fault held in FADDR/FINFO into the record and return rdx as
; the count not done. Used directly by kernels whose fault point is already exact (probes)
; or that cannot retry forward (the backward move).
HELPER uma_fault_return
    mov     [REC + REC_ADDRESS], FADDR
    mov     [REC + REC_INFO], FINFO
    mov     rax, rdx
    ret

; uma_fault_return_failed: the same for the single-access primitives (scalar.asm,
; interlocked.asm, string_length.asm), which return uma_value {value, failed} in rax:rdx:
; {0, 1}, the fault in the record.
HELPER uma_fault_return_failed
    mov     [REC + REC_ADDRESS], FADDR
    mov     [REC + REC_INFO], FINFO
    xor     eax, eax
    mov     edx, 1
    ret

; uma_return_refused: the single-access primitives' answer when the user range, not a
; fault, stops them (string_length.asm: no NUL unit below the range's end): {0, 1}, and the
; record says what a range check's refusal says (address FADDR, signal 0, no kernel). With
; no record (kernel mode, whose walk has no bound and so cannot get here) nothing is stored.
HELPER uma_return_refused
    test    REC, REC
    jz      .no_record
    mov     qword [REC + REC_KERNEL], 0
    xor     FINFO, FINFO            ; signal 0: a check, not a fault
    jmp     uma_fault_return_failed
.no_record:
    xor     eax, eax
    mov     edx, 1
    ret

FAULT_TABLE_END
