/* SPDX-License-Identifier: Apache-2.0 */
/* asm/abi.h - the constants shared by the assembly kernels and the C++ layer, defined once.
 *
 * Read by three consumers, so that a mismatch cannot be built:
 *   - C++ (src/kernels.h, dispatch/plan.h), which static_asserts the struct layouts below;
 *   - the AArch64 kernels, through the C preprocessor (asm/aarch64/umaccess.h);
 *   - the x86-64 kernels: CMakeLists.txt turns every line into a NASM %define
 *     (<build>/generated/abi.inc), as glibc generates its assembler constants from C
 *     (*.sym files run through scripts/gen-as-const.py,
 *     https://sourceware.org/git/?p=glibc.git;a=blob;f=scripts/gen-as-const.py).
 * Only `#define NAME <integer>` lines may appear (the generator rejects anything else), so
 * this file stays valid C, C++, GNU as and NASM input.
 */
#ifndef UMACCESS_ASM_ABI_H
#define UMACCESS_ASM_ABI_H 1

/* Layout of umaccess_fault_record (include/umaccess/umaccess.h). */
#define REC_ADDRESS 0
#define REC_INFO 8
#define REC_KERNEL 16 /* name of the kernel whose instruction faulted first */

/* FINFO, the fault as the signal handler packs it into a scratch register (FaultInfo in
 * src/kernels.h): the bit set when the faulting access was a write, and the bit set when the
 * fault gave no direction and no address (#GP on x86-64). */
#define FINFO_WRITE_BIT 16
#define FINFO_UNKNOWN_DIRECTION_BIT 17

/* Non-temporal kernels: below NT_MIN_BYTES they run the temporal kernel. The AArch64 one
 * prefetches the source NT_PREFETCH bytes (one page) ahead with a streaming hint; the x86-64
 * ones do not prefetch (asm/x86_64/copy_nt.inc says why). */
#define NT_MIN_BYTES 256
#define NT_PREFETCH 4096

/* Layout of uma_published (dispatch/plan.h): what the dispatcher publishes for the kernels,
 * in pages the library keeps read-only between its own writes. The size-class thresholds
 * first (copies and fills longer than 8 x VEC from `large` leave the vector loop for rep
 * movsb/stosb, from `huge` for the streaming kernels), then the x86-64 short-distance mask
 * (copy.inc), then the active kernel pointers (read from C++ only). */
#define PUBLISHED_COPY_LARGE_FROM 0
#define PUBLISHED_COPY_HUGE_FROM 8
#define PUBLISHED_FILL_LARGE_FROM 16
#define PUBLISHED_FILL_HUGE_FROM 24
#define PUBLISHED_REP_DISTANCE_MASK 32

#endif
