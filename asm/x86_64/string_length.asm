; SPDX-License-Identifier: Apache-2.0
; string_length.asm - page-safe, vectorised string lengths for StringLengthFromUser and
; WideStringLengthFromUser, in two widths (the variants pick one, dispatch/variants_x86.cpp):
;
;   uma_value uma_strlen_sse2(const char *s, const void *limit, uma_fault_record *rec)
;   uma_value uma_wcslen_sse2(const void *s, const void *limit, uma_fault_record *rec)
;   uma_value uma_strlen_avx2(...), uma_wcslen_avx2(...)   (the same, 32-byte vectors)
;
;   uma_value = {length, failed} in rax:rdx; the length is in units (1 byte; 2 bytes for the
;   wide form) before the first NUL unit. If no whole unit of [s, limit) is NUL, the string
;   ran out of the user range: {0, 1}, with the record filled in as a range check's refusal
;   (uma_return_refused) at the first unit not wholly below limit, so the C++ entry is a
;   range check and a tail call, with nothing to do after the kernel.
;
; Rules every path keeps:
;   - reads never go below s (a user range may begin anywhere, even mid-vector) nor reach
;     limit;
;   - a read past the NUL stays inside the VEC bytes at s, or the aligned vector, pair
;     (2 vectors, 2 x VEC-aligned) or group (4 vectors, 4 x VEC-aligned) that holds the NUL
;     (the general walk: its aligned 16-byte block or 64-byte line), and a read never spans
;     two 4 KiB pages, so no page the string does not reach is ever touched: a string that
;     ends just before an inaccessible page is measured without a fault, one that runs
;     into it faults at that page's first byte.
;
; Algorithm (after glibc's and ARM optimized-routines' strlen, with the rule above instead
; of their aligned-down first load). VEC = 16 (SSE2, the x86-64 baseline) or 32 (AVX2).
; Two walks:
;
;   fast walk, when limit lies at least 9 x VEC bytes past s and the VEC bytes
;   at s do not span a 4 KiB boundary (all but VEC - 1 start offsets in 4096):
;     head    one unaligned vector at s (no unit loop, whatever the alignment); a NUL
;             there returns on the fall-through path, with no taken branch;
;     vectors the next 4 aligned vectors, straight-line, addressed from one base (AVX2
;             compares them straight from memory); strings of up to 4 x VEC bytes end by
;             here, each vector's NUL through an exit of its own (one taken branch and
;             the return, not a chain of adds and a jump: 64-150 B 4-14 % faster);
;     pairs   then two pairs of aligned vectors from the 2 x VEC boundary below the cursor
;             (one vector may be read twice), each reduced to one NUL mask, straight-line
;             too: a string that ends in them (all of up to 7 x VEC bytes, some up to
;             9 x VEC) takes two more branches, not four single vectors' nor the group
;             loop's way in and out (measured, like the loop's alignment below, in
;             docs/performance.md, "StringLengthFromUser");
;     groups  from the 4 x VEC boundary below the cursor (at most 2 vectors read twice),
;             two groups of 4 aligned vectors per step (a group never spans two pages), in
;             a loop aligned to 64 bytes (where it happened to lie made 16 KiB strings take
;             1.18 x strlen's time instead of 0.99),
;             each group reduced to one NUL mask (pminub for bytes; pcmpeqw and por for
;             words, as SSE2 has no unsigned word minimum; AVX2's vpminuw is untried here),
;             while both lie below limit; the NUL's position in its pair or group comes
;             from the registers that found it, so a found NUL is never read again (a pair:
;             v0 and min(v0, v1), for words v0's and v1's compares; a group: the same for
;             v0 and v1, then v2 and the group's mask: v2's | v3's NULs once v0 and v1
;             have none, above v2's own mask, so v2's win the tzcnt);
;     then    the general walk's lines from the first group that does not lie wholly below
;             limit.
;   general walk (16-byte SSE2 code in both widths, after vzeroupper), used near limit and
;   for the rare start within VEC - 1 bytes of a 4 KiB boundary (which goes back to the fast
;   groups at the first 4 x VEC boundary lying at least 8 x VEC below limit):
;     head    units one at a time until the cursor is 16-byte aligned (at most 15 loads; an
;             aligned block would read below s);
;     blocks  aligned 16-byte blocks to a 64-byte boundary, 64-byte lines while one lies
;             below limit, then single blocks: the line holding the NUL, and the blocks
;             below limit after the last whole line;
;     tail    units one at a time while a whole unit lies below limit.
;
; A wide string at an odd address has no aligned blocks of whole units: it runs the unit
; loop all the way (2-byte loads at odd addresses are fine on x86-64).
;
; Memory shared with another process may change between two reads. The fast walk reads
; each vector once, but for overlaps that all look for the first NUL (the head vector and
; the first aligned one, by up to VEC - 1 bytes; the straight-line vectors and the first
; pair, by up to one vector; the pairs and the first group, by up to 2 vectors). The
; general walk reads a line holding a NUL again block by block: if the NUL is gone by then,
; it walks on (still bounded by limit). So a racing writer can change the length found but
; never the rules above.
;
; tzcnt, not bsf (more ops than tzcnt on AMD Zen cores): CPUs without BMI1 run it as bsf,
; which gives the same result for the non-zero masks it is given here.
;
; Fault behaviour: only instructions that read the string are covered (loads, and the
; compares and minimums that take a memory operand); the fixup returns {0, 1}
; through uma_fault_return_failed with the fault (at the first inaccessible byte) recorded.
;
; Assumptions: limit >= s (the C++ layer passes its user range's end, or the top of the
; address space in kernel mode).

%include "umaccess.inc"


; The smallest page size of x86-64: every page boundary is a multiple of it.
%define PAGE_MIN 4096

FAULT_TABLE string_length

; ---- ISA parameters -------------------------------------------------------------------
; WIDTH 16 | 32 : the fast walk's vector width and its instructions.
%macro WIDTH 1
  %assign SVEC %1
  %if SVEC == 16
    %xdefine SV0 xmm0
    %xdefine SV1 xmm1
    %xdefine SV2 xmm2
    %xdefine SV3 xmm3
    %xdefine SV4 xmm4
    %xdefine SV5 xmm5
    %xdefine SV6 xmm6
    %define SVZEROUPPER
  %else
    %xdefine SV0 ymm0
    %xdefine SV1 ymm1
    %xdefine SV2 ymm2
    %xdefine SV3 ymm3
    %xdefine SV4 ymm4
    %xdefine SV5 ymm5
    %xdefine SV6 ymm6
    %define SVZEROUPPER vzeroupper
  %endif
%endmacro

; VLOAD u|a, reg, mem : an unaligned or aligned load.
%macro VLOAD 3
  %if SVEC == 16
    movdq%1 %2, %3
  %else
    vmovdq%1 %2, %3
  %endif
%endmacro

; VCMPZ unit, dst, src : dst = the units of src (a register or memory) equal to zero (SV0),
; as all-ones.
%macro VCMPZ 3
  %if SVEC == 16
    %ifnidn %2, %3
      movdqa %2, %3
    %endif
    %if %1 == 1
      pcmpeqb %2, SV0
    %else
      pcmpeqw %2, SV0
    %endif
  %else
    %if %1 == 1
      vpcmpeqb %2, SV0, %3          ; src last: it may be a memory operand
    %else
      vpcmpeqw %2, SV0, %3
    %endif
  %endif
%endmacro

; VMASK r32, reg : one bit per byte of reg (its top bit).
%macro VMASK 2
  %if SVEC == 16
    pmovmskb %1, %2
  %else
    vpmovmskb %1, %2
  %endif
%endmacro

; GROUP_HAS_NUL unit, offset, fixup : ZF clear if the aligned group of 4 vectors at
; rax + offset holds a NUL unit, its combined NUL mask in edx. Each vector is read once,
; and what NUL_IN_GROUP needs to place the NUL stays in registers: for bytes SV1 = v0,
; SV2 = min(v0, v1), SV3 = v2 (edx: the NULs of min(v0..v3)); for words SV1-SV4 = the
; four vectors' NUL compares (edx: their union). Clobbers SV1-SV6; SV0 = zero. (rdx is
; free: the record pointer lives in REC.)
%macro GROUP_HAS_NUL 3
    FAULT_BEGIN %3
  %if %1 == 1
    VLOAD   a, SV1, [rax + %2]
    VLOAD   a, SV3, [rax + %2 + 2 * SVEC]
    %if SVEC == 16
      movdqa  SV2, SV1
      pminub  SV2, [rax + %2 + SVEC]
      movdqa  SV4, SV3
      pminub  SV4, [rax + %2 + 3 * SVEC]
    %else
      vpminub SV2, SV1, [rax + %2 + SVEC]
      vpminub SV4, SV3, [rax + %2 + 3 * SVEC]
    %endif
    FAULT_END
    %if SVEC == 16
      movdqa  SV5, SV2
      pminub  SV5, SV4
    %else
      vpminub SV5, SV2, SV4
    %endif
    VCMPZ   1, SV5, SV5
  %else
    VCMPZ   2, SV1, [rax + %2]
    VCMPZ   2, SV2, [rax + %2 + SVEC]
    VCMPZ   2, SV3, [rax + %2 + 2 * SVEC]
    VCMPZ   2, SV4, [rax + %2 + 3 * SVEC]
    FAULT_END
    %if SVEC == 16
      movdqa  SV5, SV1
      por     SV5, SV2
      movdqa  SV6, SV3
      por     SV6, SV4
      por     SV5, SV6
    %else
      vpor    SV5, SV1, SV2
      vpor    SV6, SV3, SV4
      vpor    SV5, SV5, SV6
    %endif
  %endif
    VMASK   edx, SV5
    test    edx, edx
%endmacro

; NUL_IN_GROUP unit, found : after GROUP_HAS_NUL found a NUL in the group at rax, from its
; registers: to found with rax advanced to the vector holding the first NUL and its mask in
; rcx, or falls through with rax at v2 and rcx = v2's mask | the group's mask << SVEC (the
; group's mask there holds v2's and v3's NULs; it decides only when v2 has none), for found
; too. No memory is read again, so the position comes from the same reads that found the NUL.
%macro NUL_IN_GROUP 2
  %if %1 == 1
    VCMPZ   1, SV1, SV1             ; v0
    VMASK   ecx, SV1
    test    ecx, ecx
    jnz     %2
    add     rax, SVEC
    VCMPZ   1, SV2, SV2             ; min(v0, v1): v1's NULs, v0 having none
    VMASK   ecx, SV2
    test    ecx, ecx
    jnz     %2
    add     rax, SVEC
    VCMPZ   1, SV3, SV3             ; v2
    VMASK   ecx, SV3
  %else
    VMASK   ecx, SV1
    test    ecx, ecx
    jnz     %2
    add     rax, SVEC
    VMASK   ecx, SV2
    test    ecx, ecx
    jnz     %2
    add     rax, SVEC
    VMASK   ecx, SV3
  %endif
    shl     rdx, SVEC
    or      rcx, rdx
%endmacro

; PAIR_HAS_NUL unit, offset, fixup : ZF clear if the aligned pair of vectors at rax + offset
; holds a NUL unit, its combined NUL mask in edx; for NUL_IN_PAIR, SV1 = v0 (bytes) or v0's
; NUL compare (words). Clobbers SV1-SV2; SV0 = zero.
%macro PAIR_HAS_NUL 3
    FAULT_BEGIN %3
  %if %1 == 1
    VLOAD   a, SV1, [rax + %2]
    %if SVEC == 16
      movdqa  SV2, SV1
      pminub  SV2, [rax + %2 + SVEC]
    %else
      vpminub SV2, SV1, [rax + %2 + SVEC]
    %endif
    FAULT_END
    VCMPZ   1, SV2, SV2
  %else
    VCMPZ   2, SV1, [rax + %2]
    VCMPZ   2, SV2, [rax + %2 + SVEC]
    FAULT_END
    %if SVEC == 16
      por     SV2, SV1
    %else
      vpor    SV2, SV1, SV2
    %endif
  %endif
    VMASK   edx, SV2
    test    edx, edx
%endmacro

; NUL_IN_PAIR unit : after PAIR_HAS_NUL found a NUL in the pair at rax: rcx = v0's NUL mask
; | the pair's << SVEC (the pair's decides only when v0 has none), from the registers that
; found it; no branch.
%macro NUL_IN_PAIR 1
  %if %1 == 1
    VCMPZ   1, SV1, SV1
  %endif
    VMASK   ecx, SV1
    shl     rdx, SVEC
    or      rcx, rdx
%endmacro

; VECTOR_HAS_NUL unit, u|a, mem, fixup : ZF clear if the vector at mem holds a NUL unit,
; its NUL mask in ecx. AVX2 compares straight from memory (a VEX operand may be unaligned);
; SSE2 loads first: its pcmpeq with a memory operand would need that operand aligned (the
; head is not) and would overwrite the register compared with, which holds the zeros.
%macro VECTOR_HAS_NUL 4
    FAULT_BEGIN %4
  %if SVEC == 16
    VLOAD   %2, SV1, %3
    FAULT_END
    VCMPZ   %1, SV1, SV1
  %else
    VCMPZ   %1, SV1, %3
    FAULT_END
  %endif
    VMASK   ecx, SV1
    test    ecx, ecx
%endmacro

; BLOCK pcmpeq, tail, found, fixup : the general walk's aligned 16-byte block at rax, if it
; lies wholly below limit (else to tail): to found with the NUL mask in ecx, or rax advanced
; past it.
%macro BLOCK 4
    mov     rcx, rsi
    sub     rcx, rax
    cmp     rcx, 16
    jb      %2
    FAULT_BEGIN %4
    movdqa  xmm1, [rax]
    FAULT_END
    %1      xmm1, xmm0
    pmovmskb ecx, xmm1
    test    ecx, ecx
    jnz     %3
    add     rax, 16
%endmacro

; RETURN_UNITS unit, clear_upper : return {rax bytes before the NUL as units, 0}, after
; SVZEROUPPER when clear_upper is 1 (the fast walk's exits).
%macro RETURN_UNITS 2
  %if %1 == 2
    shr     rax, 1
  %endif
    xor     edx, edx
  %if %2
    SVZEROUPPER
  %endif
    ret
%endmacro

; FOUND_AT label, unit, offset : at label (16-byte aligned; reached only by a jump), return
; the length to the first NUL unit of the straight-line vector at rax + offset, its NUL mask
; in ecx (each vector has its own copy: no jump and no chain of adds on the way out).
%macro FOUND_AT 3
    align   16
%1:
    tzcnt   ecx, ecx
    lea     rax, [rax + rcx + %3]
    sub     rax, rdi
    RETURN_UNITS %2, 1
%endmacro

; STRLEN name, unit, size, pcmpeq : one routine with the current WIDTH. rdi = s,
; rsi = limit, rax = cursor, rcx = scratch, r8 = the groups' bound, rdx = a group's NUL
; mask, SV0 = zero, SV1-SV6 = vectors and masks.
%macro STRLEN 4
KERNEL %1, rdx
    mov     rax, rdi
%if SVEC == 16
    pxor    xmm0, xmm0
%else
    vpxor   xmm0, xmm0, xmm0        ; ymm0 = 0 (a VEX write clears the upper half)
%endif
%if %2 == 2
    test    dil, 1
    jnz     %%to_tail               ; odd: whole units never align to the vectors
%endif
    mov     rcx, rsi
    sub     rcx, rdi
    cmp     rcx, 9 * SVEC
    jb      %%to_general            ; limit is close: the general walk
    mov     ecx, edi
    and     ecx, PAGE_MIN - 1
    cmp     ecx, PAGE_MIN - SVEC
    ja      %%to_general            ; the vector at s spans two pages
    lea     r8, [rsi - 8 * SVEC]    ; two groups at rax lie below limit while rax <= r8
    VECTOR_HAS_NUL %2, u, [rdi], %%fixup
    jz      %%past_head
    tzcnt   eax, ecx                ; a short string: no taken branch before the ret
    RETURN_UNITS %2, 1
%%past_head:
    lea     rax, [rdi + SVEC]
    and     rax, -SVEC              ; the first aligned vector not wholly checked
    ; Below s + 5 x VEC <= limit: no bound to check. Addressed from one base, so a NUL
    ; adds its vector's offset only on the way out.
    VECTOR_HAS_NUL %2, a, [rax], %%fixup
    jnz     %%fast_found
    VECTOR_HAS_NUL %2, a, [rax + SVEC], %%fixup
    jnz     %%found_v1
    VECTOR_HAS_NUL %2, a, [rax + 2 * SVEC], %%fixup
    jnz     %%found_v2
    VECTOR_HAS_NUL %2, a, [rax + 3 * SVEC], %%fixup
    jnz     %%found_v3
    sub     rax, -4 * SVEC          ; (sub of -4 x 32 fits a byte; add of 4 x 32 does not)
    and     rax, -2 * SVEC          ; the pair holding the first vector not checked yet
    ; Below s + 9 x VEC <= limit: no bound to check; a pair never spans two pages.
    PAIR_HAS_NUL %2, 0, %%fixup
    jnz     %%in_pair
    PAIR_HAS_NUL %2, 2 * SVEC, %%fixup
    jnz     %%in_second_pair
    sub     rax, -4 * SVEC
    and     rax, -4 * SVEC          ; the group holding the first vector not checked yet
    cmp     rax, r8
    ja      %%to_lines
    align   64                      ; long nops, run once on the way in
%%fast_groups:                      ; two groups a step, both below limit
    GROUP_HAS_NUL %2, 0, %%fixup
    jnz     %%in_group
    GROUP_HAS_NUL %2, 4 * SVEC, %%fixup
    jnz     %%in_second_group
    add     rax, 8 * SVEC
    cmp     rax, r8
    jbe     %%fast_groups
    jmp     %%to_lines              ; less than two groups left below limit
%%in_second_pair:
    add     rax, 2 * SVEC
%%in_pair:                          ; rax = a pair whose NUL mask was not zero
    NUL_IN_PAIR %2
    jmp     %%fast_found
%%in_second_group:
    add     rax, 4 * SVEC
%%in_group:                         ; rax = a group whose NUL mask was not zero
    NUL_IN_GROUP %2, %%fast_found
%%fast_found:                       ; rcx = the NUL mask of the vector(s) at rax
    tzcnt   rcx, rcx                ; byte offset of the first NUL unit (even for words)
    add     rax, rcx
    sub     rax, rdi
    RETURN_UNITS %2, 1
    FOUND_AT %%found_v1, %2, SVEC
    FOUND_AT %%found_v2, %2, 2 * SVEC
    FOUND_AT %%found_v3, %2, 3 * SVEC

%%to_tail:
    SVZEROUPPER
    jmp     %%tail
%%to_lines:
    SVZEROUPPER
    jmp     %%lines
%%to_general:
    SVZEROUPPER
%%head:                             ; the general walk: units up to a 16-byte boundary
    test    al, 15
    jz      %%blocks_to_line
    mov     rcx, rsi
    sub     rcx, rax
    cmp     rcx, %2
    jb      %%ran_out               ; no whole unit left below limit
    FAULT_BEGIN %%fixup
    cmp     %3 [rax], 0
    FAULT_END
    je      %%end
    add     rax, %2
    jmp     %%head
%%blocks_to_line:                   ; single blocks up to a 64-byte boundary
    test    al, 63
    jz      %%lines
    BLOCK   %4, %%tail, %%in_block, %%fixup
    jmp     %%blocks_to_line
%%lines:                            ; one 64-byte line at a time while one lies below limit
    mov     rcx, rsi
    sub     rcx, rax
    cmp     rcx, 64
    jb      %%block
    cmp     rcx, 8 * SVEC           ; far enough from limit and on a group boundary: back
    jb      %%one_line              ; to the fast groups (a start just below a page
    test    al, 4 * SVEC - 1        ; boundary gets there at the boundary; SV0 is still
    jnz     %%one_line              ; zero: vzeroupper cleared only upper halves)
    lea     r8, [rsi - 8 * SVEC]
    jmp     %%fast_groups
%%one_line:
    FAULT_BEGIN %%fixup
    movdqa  xmm1, [rax]
    movdqa  xmm2, [rax + 16]
    movdqa  xmm3, [rax + 32]
    movdqa  xmm4, [rax + 48]
    FAULT_END
    %4      xmm1, xmm0
    %4      xmm2, xmm0
    %4      xmm3, xmm0
    %4      xmm4, xmm0
    por     xmm1, xmm2
    por     xmm3, xmm4
    por     xmm1, xmm3
    pmovmskb ecx, xmm1
    test    ecx, ecx
    jnz     %%block                 ; a NUL in this line: the single blocks find it
    add     rax, 64
    jmp     %%lines
%%block:                            ; single blocks while a whole one lies below limit
    BLOCK   %4, %%tail, %%in_block, %%fixup
    jmp     %%block
%%in_block:
    tzcnt   ecx, ecx
    add     rax, rcx
    jmp     %%end
%%tail:
    mov     rcx, rsi
    sub     rcx, rax
    cmp     rcx, %2
    jb      %%ran_out
    FAULT_BEGIN %%fixup
    cmp     %3 [rax], 0
    FAULT_END
    je      %%end
    add     rax, %2
    jmp     %%tail
%%end:                              ; the general walk: no upper state to clear
    sub     rax, rdi
    RETURN_UNITS %2, 0
%%ran_out:                          ; refused at rax, the first unit not wholly below limit
    mov     FADDR, rax
    jmp     uma_return_refused
FIXUP %%fixup
    SVZEROUPPER
    jmp     uma_fault_return_failed
%endmacro

WIDTH 16
STRLEN uma_strlen_sse2, 1, byte, pcmpeqb
STRLEN uma_wcslen_sse2, 2, word, pcmpeqw
WIDTH 32
STRLEN uma_strlen_avx2, 1, byte, pcmpeqb
STRLEN uma_wcslen_avx2, 2, word, pcmpeqw

FAULT_TABLE_END
