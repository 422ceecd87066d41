; kernels_evex.asm - the evex variant's kernels, instantiated from the routine-family
; templates (copy.inc, move.inc, fill.inc, copy_nt.inc, fill_nt.inc; each documents its
; algorithm, size classes and fault behaviour) with the parameters of isa_evex.inc.

%include "umaccess.inc"
%include "isa_evex.inc"

FAULT_TABLE kernels_evex

%include "copy.inc"
%include "move.inc"
%include "fill.inc"
%include "copy_nt.inc"
%include "fill_nt.inc"

FAULT_TABLE_END
