; SPDX-License-Identifier: Apache-2.0
; kernels_evex.asm - the evex variant's kernels (instantiate.inc with isa_evex.inc).
%include "umaccess.inc"
%include "isa_evex.inc"
%include "instantiate.inc"
