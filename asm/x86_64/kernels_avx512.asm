; SPDX-License-Identifier: Apache-2.0
; kernels_avx512.asm - the avx512 variant's kernels (instantiate.inc with isa_avx512.inc).
%include "umaccess.inc"
%include "isa_avx512.inc"
%include "instantiate.inc"
