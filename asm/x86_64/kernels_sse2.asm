; SPDX-License-Identifier: Apache-2.0
; kernels_sse2.asm - the sse2 variant's kernels (instantiate.inc with isa_sse2.inc).
%include "umaccess.inc"
%include "isa_sse2.inc"
%include "instantiate.inc"
