; SPDX-License-Identifier: Apache-2.0
; probe_write.asm - ProbeForWrite's page touch: an atomic no-op write to every page.
;
; Algorithm: `lock or byte [p], 0` on the first byte, then on the first byte of every
; following page that the range [p, p + n) reaches. The locked read-modify-write proves the
; page is writable (and makes the kernel resolve copy-on-write) without ever changing a byte,
; even while another thread writes the same location: a plain load + store pair could lose
; that thread's write.
;
; Fault behaviour: each touch is a single byte, so the fault address is exact; the fixup
; reports it directly (no byte retry needed) with the count of bytes not yet probed.
;
; Assumptions: n > 0 and p + n does not wrap (the C++ layer checks both before calling).
; Pages are taken as 4 KiB, the smallest base page size on x86-64: on larger pages the
; extra touches are harmless.

%include "umaccess.inc"

FAULT_TABLE probe_write

%define PROBE_STEP 4096

; size_t uma_probe_write(void *p, size_t n, uma_fault_record *rec)
;   returns 0, or the number of bytes from the faulting page touch to p + n.
KERNEL uma_probe_write, rdx
    lea     r8, [rdi + rsi]         ; end (exclusive)
.touch:
    FAULT_BEGIN .fixup
    lock or byte [rdi], 0
    FAULT_END
    and     rdi, -PROBE_STEP
    add     rdi, PROBE_STEP         ; first byte of the next page
    cmp     rdi, r8
    jb      .touch
    xor     eax, eax
    ret
FIXUP .fixup
    mov     rdx, r8
    sub     rdx, rdi
    jmp     uma_fault_return

FAULT_TABLE_END
