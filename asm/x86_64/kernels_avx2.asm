; SPDX-License-Identifier: Apache-2.0
; kernels_avx2.asm - the avx2 variant's kernels (instantiate.inc with isa_avx2.inc).
%include "umaccess.inc"
%include "isa_avx2.inc"
%include "instantiate.inc"
