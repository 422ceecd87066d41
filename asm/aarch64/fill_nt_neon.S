/* fill_nt_neon.S - non-temporal fill with stnp:
 *   size_t uma_fill_nt_neon(void *dst, int byte, size_t n, uma_fault_record *rec)
 *
 * The fill counterpart of copy_nt_neon.S (no fence needed, see there):
 *
 *   n < NT_MIN_BYTES  tail-call uma_fill_neon
 *   otherwise         one unaligned 64-byte head, dst advanced to its next 64-byte boundary,
 *                     64 bytes per iteration (two stnp q: whole cache lines), the last 64
 *                     bytes as temporal windows ending at dst + n.
 *
 * Fault behaviour: (x0, x2) is a safe point at every store, w1 keeps the fill byte; store
 * windows ascend.
 *
 * Assumptions: unaligned access allowed (normal memory).
 */
#include "umaccess.h"

FAULT_TABLE fill_nt_neon

KERNEL uma_fill_nt_neon
  cmp x2, #NT_MIN_BYTES
  b.hs 1f
  b uma_fill_neon               /* tail call */
1:
  add x5, x0, x2                /* dst end */
  dup v0.16b, w1
  Q_FILL64 x0, 0, .Lfixup       /* the unaligned head */
  ADVANCE_TO_BOUNDARY x0, 64, x6, x7, 0    /* dst aligned; more than 64 bytes remain */
.Lloop64:
  Q_FILL64 x0, 0, .Lfixup, stnp
  add x0, x0, #64
  sub x2, x2, #64
  cmp x2, #64
  b.hi .Lloop64
  Q_FILL64 x5, -64, .Lfixup     /* 1..64 bytes remain: the buffer's last 64 */
  RETURN_DONE

FIXUP .Lfixup, uma_fill_nt_neon
  b uma_tail_fill
END uma_fill_nt_neon

FAULT_TABLE_END
