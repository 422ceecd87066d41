/* SPDX-License-Identifier: Apache-2.0 */
/* probe_write.S - ProbeForWrite's page touch: an atomic no-op write to every page.
 *   size_t uma_probe_write(void *p, size_t n, uma_fault_record *rec)
 *   returns 0, or the number of bytes from the faulting page touch to p + n.
 *
 * Algorithm: an exclusive load and store of the same byte (ldxrb/stxrb, retried if the
 * exclusive store fails) on the first byte, then on the first byte of every following page
 * that [p, p + n) reaches. The store proves the page writable (and makes the kernel resolve
 * copy-on-write) without ever changing a byte: a write by another thread between the two
 * breaks the exclusive monitor and the pair runs again, where a plain load and store could
 * undo that write. (As asm/x86_64/probe_write.asm does with `lock or`.)
 *
 * Fault behaviour: each touch is a single byte, so the fault address is exact; the fixup
 * reports it directly (no byte retry) with the count of bytes not yet probed, as a write
 * fault whichever half of the pair faulted.
 *
 * Assumptions: n > 0 and p + n does not wrap (the C++ layer checks both). Pages are taken
 * as 4 KiB, the smallest AArch64 granule: on 16 or 64 KiB pages the extra touches are
 * harmless.
 */
#include "umaccess.h"

FAULT_TABLE probe_write

#define PROBE_STEP 4096

KERNEL uma_probe_write
  mov REC, x2                   /* the record, where the fault handler looks for it */
  add x4, x0, x1                /* end (exclusive) */
.Ltouch:
8:
  ldxrb w5, [x0]
  stxrb w6, w5, [x0]
9:
  FAULT_RANGE 8b, 9b, .Lfixup
  cbnz w6, .Ltouch              /* the monitor was lost: touch the same byte again */
  and x0, x0, #~(PROBE_STEP - 1)
  add x0, x0, #PROBE_STEP       /* first byte of the next page */
  cmp x0, x4
  b.lo .Ltouch
  RETURN_DONE

FIXUP .Lfixup, uma_probe_write
  orr FINFO, FINFO, #(1 << FINFO_WRITE_BIT)  /* the exclusive load may have been what faulted
                                               (a page beyond the end of a file): it is still
                                               the write probe that failed */
  sub x2, x4, x0
  b uma_fault_return
END uma_probe_write

FAULT_TABLE_END
