/* SPDX-License-Identifier: Apache-2.0 */
/* umaccess/umaccess.h - the C API: fault-safe user-mode memory access returning NTSTATUS.
 *
 * For C code and C++ built with -fno-exceptions. Every operation of usermode_accessors.h is
 * here as umaccess_<operation>, returning a status instead of raising:
 *
 *   STATUS_SUCCESS                the whole operation was done;
 *   STATUS_ACCESS_VIOLATION       a user address was outside the user range, unmapped or not
 *                                 accessible for this kind of access (SIGSEGV);
 *   STATUS_IN_PAGE_ERROR          a mapped file could not supply the page (SIGBUS, e.g. the
 *                                 file shrank under the mapping);
 *   STATUS_DATATYPE_MISALIGNMENT  an alignment check of an ...Aligned operation or probe failed;
 *   STATUS_INVALID_PARAMETER      an alignment that is not a power of two.
 *
 * On failure, *bytes_copied (if not NULL) is the exact number of leading bytes that were
 * done; the destination beyond them is unmodified (see docs/fault-model.md, "Exact progress", for the one
 * exception, the backward move). umaccess_last_failure() gives the faulting address and
 * whether it was a write. Length 0 never touches memory and always succeeds.
 *
 * A fault on the kernel-side buffer of a user-mode operation (the destination of
 * CopyFromUser, the source of CopyToUser) is a bug in the caller, not bad user input: it
 * goes to umaccess_bug_check(). KernelMode operations neither check nor recover: a bad
 * pointer crashes the process as it would in any program.
 */
#ifndef UMACCESS_UMACCESS_H
#define UMACCESS_UMACCESS_H

#include <stddef.h>
#include <stdint.h>

#include "umaccess/nt_types.h"

#if defined(UMACCESS_BUILDING)
#define UMACCESS_API __attribute__((visibility("default")))
#else
#define UMACCESS_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Bulk copies ---------------------------------------------------------------------- */
/* The status function of every bulk operation, one per row of umaccess/bulk_operations.def
 * (the table: its Windows name, sides and kernel), generated from it:
 *
 *   umaccess_copy_from_user, umaccess_copy_to_user, umaccess_copy_to_user_from_user,
 *   umaccess_move_to_user_from_user (overlap allowed: memmove),
 *   umaccess_copy_from_user_nontemporal, umaccess_copy_to_user_nontemporal:
 *     umaccess_ntstatus umaccess_<name>(void *dst, const void *src, size_t len,
 *                                       size_t *bytes_copied);
 *
 *   the fills (mind the argument order: Fill... takes (len, byte), Set... takes (byte, len)):
 *     umaccess_ntstatus umaccess_fill_user_memory(void *dst, size_t len, unsigned char fill,
 *                                                 size_t *bytes_filled);
 *     umaccess_ntstatus umaccess_set_user_memory(void *dst, unsigned char fill, size_t len,
 *                                                size_t *bytes_filled);
 *     umaccess_ntstatus umaccess_zero_user_memory(void *dst, size_t len, size_t *bytes_filled);
 */

/* A fill's parameters and its byte, by the table's args column. */
#define UMACCESS_FILL_PARAMS_LengthByte_ \
  void *dst, size_t len, unsigned char fill, size_t *bytes_filled
#define UMACCESS_FILL_PARAMS_ByteLength_ \
  void *dst, unsigned char fill, size_t len, size_t *bytes_filled
#define UMACCESS_FILL_PARAMS_Zero_ void *dst, size_t len, size_t *bytes_filled
#define UMACCESS_FILL_BYTE_LengthByte_ fill
#define UMACCESS_FILL_BYTE_ByteLength_ fill
#define UMACCESS_FILL_BYTE_Zero_ 0

#define UMACCESS_COPY_OPERATION(OP, name, WindowsName, reads, writes, kernel)        \
  UMACCESS_API umaccess_ntstatus umaccess_##name(void *dst, const void *src, size_t len, \
                                                 size_t *bytes_copied);
#define UMACCESS_FILL_OPERATION(OP, name, WindowsName, args) \
  UMACCESS_API umaccess_ntstatus umaccess_##name(UMACCESS_FILL_PARAMS_##args##_);
#define UMACCESS_STRUCT_OPERATION(OP, WindowsName, reads, writes)
#include "umaccess/bulk_operations.def"
#undef UMACCESS_COPY_OPERATION
#undef UMACCESS_FILL_OPERATION
#undef UMACCESS_STRUCT_OPERATION

UMACCESS_API umaccess_ntstatus umaccess_copy_from_mode(void *dst, const void *src, size_t len,
                                                       umaccess_processor_mode mode,
                                                       size_t *bytes_copied);
UMACCESS_API umaccess_ntstatus umaccess_copy_to_mode(void *dst, const void *src, size_t len,
                                                     umaccess_processor_mode mode,
                                                     size_t *bytes_copied);
/* Source always user; destination kernel (KernelMode) or user (any other mode). */
UMACCESS_API umaccess_ntstatus umaccess_copy_from_user_to_mode(void *dst, const void *src,
                                                               size_t len,
                                                               umaccess_processor_mode mode,
                                                               size_t *bytes_copied);
UMACCESS_API umaccess_ntstatus umaccess_copy_from_mode_nontemporal(void *dst, const void *src,
                                                                   size_t len,
                                                                   umaccess_processor_mode mode,
                                                                   size_t *bytes_copied);
UMACCESS_API umaccess_ntstatus umaccess_copy_to_mode_nontemporal(void *dst, const void *src,
                                                                 size_t len,
                                                                 umaccess_processor_mode mode,
                                                                 size_t *bytes_copied);

/* The ...Aligned macros: alignment check of the user pointer (ExProbeAlignment), then copy. */
UMACCESS_API umaccess_ntstatus umaccess_copy_from_user_aligned(void *dst, const void *src,
                                                               size_t len, uint32_t alignment,
                                                               size_t *bytes_copied);
UMACCESS_API umaccess_ntstatus umaccess_copy_to_user_aligned(void *dst, const void *src,
                                                             size_t len, uint32_t alignment,
                                                             size_t *bytes_copied);
UMACCESS_API umaccess_ntstatus umaccess_copy_from_mode_aligned(void *dst, const void *src,
                                                               size_t len,
                                                               umaccess_processor_mode mode,
                                                               uint32_t alignment,
                                                               size_t *bytes_copied);
UMACCESS_API umaccess_ntstatus umaccess_copy_to_mode_aligned(void *dst, const void *src,
                                                             size_t len,
                                                             umaccess_processor_mode mode,
                                                             uint32_t alignment,
                                                             size_t *bytes_copied);

/* ---- Fills (mind the argument order: Fill... takes (len, byte), Set... takes (byte, len)) -- */
/* umaccess_fill_user_memory, umaccess_set_user_memory, umaccess_zero_user_memory: above. */
UMACCESS_API umaccess_ntstatus umaccess_fill_mode_memory(void *dst, size_t len,
                                                         unsigned char fill,
                                                         umaccess_processor_mode mode,
                                                         size_t *bytes_filled);
UMACCESS_API umaccess_ntstatus umaccess_set_mode_memory(void *dst, unsigned char fill,
                                                        size_t len,
                                                        umaccess_processor_mode mode,
                                                        size_t *bytes_filled);
UMACCESS_API umaccess_ntstatus umaccess_zero_mode_memory(void *dst, size_t len,
                                                         umaccess_processor_mode mode,
                                                         size_t *bytes_filled);

/* ---- Scalars (Read<X>FromUser, Write<X>ToUser, ... by width) -------------------------- */
/* One access of the given width: a naturally aligned address is never torn; any address
 * is allowed (no alignment is enforced, as on Windows). Acquire reads order every later
 * access after them, release writes every earlier access before them (plain moves on
 * x86-64; ldar/stlr on AArch64). Nothing is stored to *out on failure. The _mode forms
 * take the user path for every mode but UMACCESS_KERNEL_MODE, whose path is a plain access
 * with no check and no recovery. */
#define UMACCESS_DECLARE_SCALAR_(bits)                                                        \
  UMACCESS_API umaccess_ntstatus umaccess_read_u##bits##_from_user(const void *src,          \
                                                                  uint##bits##_t *out);      \
  UMACCESS_API umaccess_ntstatus umaccess_read_u##bits##_from_user_acquire(                  \
      const void *src, uint##bits##_t *out);                                                 \
  UMACCESS_API umaccess_ntstatus umaccess_read_u##bits##_from_mode(                          \
      const void *src, umaccess_processor_mode mode, uint##bits##_t *out);                   \
  UMACCESS_API umaccess_ntstatus umaccess_write_u##bits##_to_user(void *dst,                 \
                                                                 uint##bits##_t value);      \
  UMACCESS_API umaccess_ntstatus umaccess_write_u##bits##_to_user_release(                   \
      void *dst, uint##bits##_t value);                                                      \
  UMACCESS_API umaccess_ntstatus umaccess_write_u##bits##_to_mode(                           \
      void *dst, uint##bits##_t value, umaccess_processor_mode mode);
UMACCESS_DECLARE_SCALAR_(8)
UMACCESS_DECLARE_SCALAR_(16)
UMACCESS_DECLARE_SCALAR_(32)
UMACCESS_DECLARE_SCALAR_(64)
#undef UMACCESS_DECLARE_SCALAR_

/* UNICODE_STRING descriptors: Length and MaximumLength as one 32-bit access, then Buffer as
 * one pointer access; the padding between them is neither read nor written. Only the
 * descriptor is copied: buffer stays an untrusted user pointer. */
UMACCESS_API umaccess_ntstatus umaccess_read_unicode_string_from_user(
    const umaccess_unicode_string *src, umaccess_unicode_string *out);
UMACCESS_API umaccess_ntstatus umaccess_read_unicode_string_from_mode(
    const umaccess_unicode_string *src, umaccess_processor_mode mode,
    umaccess_unicode_string *out);
UMACCESS_API umaccess_ntstatus umaccess_write_unicode_string_to_user(
    umaccess_unicode_string *dst, umaccess_unicode_string value);
UMACCESS_API umaccess_ntstatus umaccess_write_unicode_string_to_mode(
    umaccess_unicode_string *dst, umaccess_unicode_string value, umaccess_processor_mode mode);

/* ---- Strings (StringLengthFromUser, WideStringLengthFromUser) --------------------------- */
/* The length in characters (bytes; 16-bit units for wide strings) before the terminating
 * NUL. Reads only the string and never a page (or a byte of the user range) that the string
 * does not reach: a string that runs into an inaccessible page fails with that page's
 * status, one that runs out of the user range fails with STATUS_ACCESS_VIOLATION at the
 * range's end (a wide string: at the first unit not wholly inside the range). A wide string
 * may start at any address. *length is written on success only. */
UMACCESS_API umaccess_ntstatus umaccess_string_length_from_user(const char *string,
                                                                size_t *length);
UMACCESS_API umaccess_ntstatus umaccess_wide_string_length_from_user(const umaccess_wchar *string,
                                                                     size_t *length);
UMACCESS_API umaccess_ntstatus umaccess_string_length_from_mode(const char *string,
                                                                umaccess_processor_mode mode,
                                                                size_t *length);
UMACCESS_API umaccess_ntstatus umaccess_wide_string_length_from_mode(
    const umaccess_wchar *string, umaccess_processor_mode mode, size_t *length);

/* ---- Interlocked (InterlockedCompareExchangeToUser, InterlockedOrToUser, ...) ----------- */
/* Atomic read-modify-writes with a full barrier; *original receives the value before the
 * operation (on success only). The destination must be naturally aligned (4 or 8 bytes):
 * otherwise STATUS_DATATYPE_MISALIGNMENT, nothing touched, in user and kernel mode alike
 * (an atomic operation that straddles cache lines is not one on every CPU). */
UMACCESS_API umaccess_ntstatus umaccess_interlocked_compare_exchange_to_user(
    int32_t *dst, int32_t exchange, int32_t comperand, int32_t *original);
UMACCESS_API umaccess_ntstatus umaccess_interlocked_compare_exchange64_to_user(
    int64_t *dst, int64_t exchange, int64_t comperand, int64_t *original);
UMACCESS_API umaccess_ntstatus umaccess_interlocked_or_to_user(int32_t *dst, int32_t value,
                                                               int32_t *original);
UMACCESS_API umaccess_ntstatus umaccess_interlocked_or64_to_user(int64_t *dst, int64_t value,
                                                                 int64_t *original);
UMACCESS_API umaccess_ntstatus umaccess_interlocked_and_to_user(int32_t *dst, int32_t value,
                                                                int32_t *original);
UMACCESS_API umaccess_ntstatus umaccess_interlocked_and64_to_user(int64_t *dst, int64_t value,
                                                                  int64_t *original);
UMACCESS_API umaccess_ntstatus umaccess_interlocked_compare_exchange_to_mode(
    int32_t *dst, int32_t exchange, int32_t comperand, umaccess_processor_mode mode,
    int32_t *original);
UMACCESS_API umaccess_ntstatus umaccess_interlocked_compare_exchange64_to_mode(
    int64_t *dst, int64_t exchange, int64_t comperand, umaccess_processor_mode mode,
    int64_t *original);
UMACCESS_API umaccess_ntstatus umaccess_interlocked_or_to_mode(int32_t *dst, int32_t value,
                                                               umaccess_processor_mode mode,
                                                               int32_t *original);
UMACCESS_API umaccess_ntstatus umaccess_interlocked_or64_to_mode(int64_t *dst, int64_t value,
                                                                 umaccess_processor_mode mode,
                                                                 int64_t *original);
UMACCESS_API umaccess_ntstatus umaccess_interlocked_and_to_mode(int32_t *dst, int32_t value,
                                                                umaccess_processor_mode mode,
                                                                int32_t *original);
UMACCESS_API umaccess_ntstatus umaccess_interlocked_and64_to_mode(int64_t *dst, int64_t value,
                                                                  umaccess_processor_mode mode,
                                                                  int64_t *original);

/* ---- The raw interface ---------------------------------------------------------------- */
/* What the C++ layer (and the status functions above) are built on, for callers who want
 * the shortest path. A raw entry checks the user range and runs the kernel for the length;
 * it returns the number of bytes NOT done (0: everything was done) and, only when that is
 * not 0, leaves the reason in *record. umaccess_raw_status() then turns it into the status
 * the regular entry returns, records it for umaccess_last_failure() and bug-checks a fault
 * on the kernel-side buffer. Length 0 returns 0 and touches nothing.
 *
 * An entry is a range check and one jump through the active kernel pointer: short copies
 * pay for the check and nothing else (the kernels route long ones to rep movsb or
 * streaming stores themselves). */
typedef struct umaccess_fault_record {
  uintptr_t address;  /* the faulting address, or the first address outside the range */
  uint64_t info;      /* signal, si_code and direction (packed; 0 signal: range refusal) */
  const char *kernel; /* the kernel that faulted, or NULL */
} umaccess_fault_record;

/* One per row of umaccess/bulk_operations.def, in its order (the values are ABI). The
 * structure macros' copies (sizes other than 1/2/4/8) report under the ..._STRUCT_... ones. */
typedef enum umaccess_operation {
#define UMACCESS_COPY_OPERATION(OP, name, WindowsName, reads, writes, kernel) UMACCESS_OP_##OP,
#define UMACCESS_FILL_OPERATION(OP, name, WindowsName, args) UMACCESS_OP_##OP,
#define UMACCESS_STRUCT_OPERATION(OP, WindowsName, reads, writes) UMACCESS_OP_##OP,
#include "umaccess/bulk_operations.def"
#undef UMACCESS_COPY_OPERATION
#undef UMACCESS_FILL_OPERATION
#undef UMACCESS_STRUCT_OPERATION
} umaccess_operation;

/* The raw entries: one per copy of the table,
 *   size_t umaccess_raw_<name>(void *dst, const void *src, size_t len,
 *                              umaccess_fault_record *record);
 * (umaccess_raw_copy_from_user, ..._copy_to_user, ..._copy_to_user_from_user,
 * ..._move_to_user_from_user, ..._copy_from_user_nontemporal, ..._copy_to_user_nontemporal),
 * and one that every fill shares (Fill, Set and Zero differ only in their status functions). */
#define UMACCESS_COPY_OPERATION(OP, name, WindowsName, reads, writes, kernel)         \
  UMACCESS_API size_t umaccess_raw_##name(void *dst, const void *src, size_t len, \
                                          umaccess_fault_record *record);
#define UMACCESS_FILL_OPERATION(OP, name, WindowsName, args)
#define UMACCESS_STRUCT_OPERATION(OP, WindowsName, reads, writes)
#include "umaccess/bulk_operations.def"
#undef UMACCESS_COPY_OPERATION
#undef UMACCESS_FILL_OPERATION
#undef UMACCESS_STRUCT_OPERATION
UMACCESS_API size_t umaccess_raw_fill_user_memory(void *dst, size_t len, unsigned char fill,
                                                  umaccess_fault_record *record);
/* For a non-zero `left` from a raw entry of `op` on `len` bytes. */
UMACCESS_API umaccess_ntstatus umaccess_raw_status(umaccess_operation op, size_t len,
                                                   size_t left,
                                                   const umaccess_fault_record *record,
                                                   size_t *bytes_done);

/* Raw single accesses (scalars, interlocked, strings), for the C++ layer: each checks the
 * user range, then runs one assembly primitive. The result is the value read (the original
 * value for interlocked operations, the length for strings, 0 for writes) and `failed`;
 * when failed is non-zero, *record holds the reason and umaccess_raw_access_status() turns
 * it into a status (always an error, NT_SUCCESS false) under the given operation name (a
 * string with static storage, e.g. "ReadULongFromUser"). An interlocked entry refuses a
 * misaligned destination (STATUS_DATATYPE_MISALIGNMENT) before touching it. A string entry
 * fails at the user range's end if no terminator comes before it. */
typedef struct umaccess_value {
  uint64_t value;
  uint64_t failed;
} umaccess_value;
UMACCESS_API umaccess_value umaccess_raw_read(const void *src, unsigned size,
                                              umaccess_fault_record *record);
UMACCESS_API umaccess_value umaccess_raw_read_acquire(const void *src, unsigned size,
                                                      umaccess_fault_record *record);
UMACCESS_API umaccess_value umaccess_raw_write(void *dst, unsigned size, uint64_t value,
                                               umaccess_fault_record *record);
UMACCESS_API umaccess_value umaccess_raw_write_release(void *dst, unsigned size, uint64_t value,
                                                       umaccess_fault_record *record);
/* The same by width, for the C++ accessors and the inline C twins: umaccess_raw_read_u32(src,
 * record) is umaccess_raw_read(src, 4, record) with nothing decided at run time but the user
 * range (umaccess_raw_read_u8/u16/u32/u64, ..._read_acquire_uN, ..._write_uN,
 * ..._write_release_uN). */
#define UMACCESS_DECLARE_RAW_SCALAR_(bits)                                                    \
  UMACCESS_API umaccess_value umaccess_raw_read_u##bits(const void *src,                     \
                                                       umaccess_fault_record *record);       \
  UMACCESS_API umaccess_value umaccess_raw_read_acquire_u##bits(                             \
      const void *src, umaccess_fault_record *record);                                       \
  UMACCESS_API umaccess_value umaccess_raw_write_u##bits(void *dst, uint64_t value,          \
                                                        umaccess_fault_record *record);      \
  UMACCESS_API umaccess_value umaccess_raw_write_release_u##bits(                            \
      void *dst, uint64_t value, umaccess_fault_record *record);
UMACCESS_DECLARE_RAW_SCALAR_(8)
UMACCESS_DECLARE_RAW_SCALAR_(16)
UMACCESS_DECLARE_RAW_SCALAR_(32)
UMACCESS_DECLARE_RAW_SCALAR_(64)
#undef UMACCESS_DECLARE_RAW_SCALAR_
typedef enum umaccess_interlocked_op {
  UMACCESS_INTERLOCKED_COMPARE_EXCHANGE,
  UMACCESS_INTERLOCKED_OR,
  UMACCESS_INTERLOCKED_AND
} umaccess_interlocked_op;
/* size 4 or 8; comperand is used by compare-exchange only. */
UMACCESS_API umaccess_value umaccess_raw_interlocked(umaccess_interlocked_op op, void *dst,
                                                     unsigned size, uint64_t value,
                                                     uint64_t comperand,
                                                     umaccess_fault_record *record);
/* The same by operation and width, for the C++ accessors and the inline C twins:
 * umaccess_raw_interlocked_or64(dst, value, record) is umaccess_raw_interlocked(
 * UMACCESS_INTERLOCKED_OR, dst, 8, value, 0, record), nothing decided at run time but the
 * alignment and the user range. */
UMACCESS_API umaccess_value umaccess_raw_interlocked_compare_exchange(
    void *dst, uint64_t exchange, uint64_t comperand, umaccess_fault_record *record);
UMACCESS_API umaccess_value umaccess_raw_interlocked_compare_exchange64(
    void *dst, uint64_t exchange, uint64_t comperand, umaccess_fault_record *record);
UMACCESS_API umaccess_value umaccess_raw_interlocked_or(void *dst, uint64_t value,
                                                        umaccess_fault_record *record);
UMACCESS_API umaccess_value umaccess_raw_interlocked_or64(void *dst, uint64_t value,
                                                          umaccess_fault_record *record);
UMACCESS_API umaccess_value umaccess_raw_interlocked_and(void *dst, uint64_t value,
                                                         umaccess_fault_record *record);
UMACCESS_API umaccess_value umaccess_raw_interlocked_and64(void *dst, uint64_t value,
                                                           umaccess_fault_record *record);
/* unit 1 (char) or 2 (WCHAR); the value is the length in units. */
UMACCESS_API umaccess_value umaccess_raw_string_length(const void *string, unsigned unit,
                                                       umaccess_fault_record *record);
/* The same for one unit each: char (u8) and WCHAR (u16). Each has a jump to the kernel of its
 * own, which the inline paths below use: one indirect jump shared by two kernels costs the
 * one it predicts less well about a nanosecond a call on some cores (docs/performance.md,
 * "One jump, one kernel"). */
UMACCESS_API umaccess_value umaccess_raw_string_length_u8(const void *string,
                                                          umaccess_fault_record *record);
UMACCESS_API umaccess_value umaccess_raw_string_length_u16(const void *string,
                                                           umaccess_fault_record *record);
UMACCESS_API umaccess_ntstatus umaccess_raw_access_status(const char *operation,
                                                          const umaccess_fault_record *record);
/* ExProbeAlignment's checks (alignment, then user range) reported under `operation` (static
 * storage) and direction: for the ...Aligned structure macros, whose destination checks are
 * writes. */
UMACCESS_API umaccess_ntstatus umaccess_probe_alignment_as(const char *operation,
                                                           const void *address, size_t len,
                                                           uint32_t alignment, int is_write);

/* Kernel mode: a plain volatile copy or fill by the same kernels, with no check and no
 * recovery (a bad pointer crashes the process, as in any program). */
UMACCESS_API void umaccess_kernel_copy(void *dst, const void *src, size_t len);
UMACCESS_API void umaccess_kernel_copy_nontemporal(void *dst, const void *src, size_t len);
UMACCESS_API void umaccess_kernel_fill(void *dst, size_t len, unsigned char fill);

/* ---- Probes (ProbeForRead / ProbeForWrite / ExProbeAlignment rules, docs/api.md "Probing") ---- */
UMACCESS_API umaccess_ntstatus umaccess_probe_for_read(const void *address, size_t len,
                                                       uint32_t alignment);
UMACCESS_API umaccess_ntstatus umaccess_probe_for_write(void *address, size_t len,
                                                        uint32_t alignment);
UMACCESS_API umaccess_ntstatus umaccess_probe_alignment(const void *address, size_t len,
                                                        uint32_t alignment);

/* ---- Failure details ------------------------------------------------------------------- */
typedef struct umaccess_failure {
  umaccess_ntstatus status; /* the status the failing call returned */
  int is_write;             /* the failing access was a write */
  uintptr_t address;        /* the inaccessible, out-of-range or misaligned address */
  size_t bytes_done;        /* leading bytes done before the failure */
  int signal;               /* SIGSEGV or SIGBUS for a fault, 0 for a check that failed */
  int signal_code;          /* si_code of that signal (SEGV_MAPERR, BUS_ADRERR, ...) */
  const char *operation;    /* "CopyFromUser", "ProbeForWrite", ... (static string) */
  const char *kernel;       /* the assembly kernel that faulted, e.g. "uma_copy_avx2",
                               or NULL when a check failed before any access */
} umaccess_failure;

/* The calling thread's most recent failure: returns 1 and fills *out, or 0 if this thread
 * has had none. Successful calls do not clear it. */
UMACCESS_API int umaccess_last_failure(umaccess_failure *out);

/* ---- The user address range ------------------------------------------------------------ */
typedef struct umaccess_user_range {
  uintptr_t begin; /* first user address */
  uintptr_t end;   /* one past the last user address (MmUserProbeAddress) */
} umaccess_user_range;

/* The range in effect on this thread, and the process default (every address the host
 * kernel can give this process). */
UMACCESS_API umaccess_user_range umaccess_get_user_range(void);
UMACCESS_API umaccess_user_range umaccess_default_user_range(void);

/* Narrow (or switch) this thread's user range until the matching leave, like attaching to
 * a process. Scopes nest and must be left in reverse order; the scope object is caller
 * storage that must stay alive until then. Returns STATUS_INVALID_PARAMETER, entering
 * nothing, if begin > end or end lies beyond the default range's end. */
typedef struct umaccess_range_scope {
  umaccess_user_range range;
  umaccess_user_range saved; /* private: the range this scope replaced */
  const void *outer;         /* private: the enclosing scope */
} umaccess_range_scope;
UMACCESS_API umaccess_ntstatus umaccess_enter_user_range(umaccess_range_scope *scope,
                                                         uintptr_t begin, uintptr_t end);
UMACCESS_API void umaccess_leave_user_range(umaccess_range_scope *scope);

/* ---- The fault handler ----------------------------------------------------------------- */
/* Installs the SIGSEGV/SIGBUS handler (done automatically before the first user-mode
 * access). Idempotent and thread-safe; if another handler replaced ours, installs ours
 * again in front of it. Returns 0, or -1 with errno set: sigaction failed, or ENOTSUP when
 * the handler did not stay installed (a sanitizer refused it: see docs/fault-model.md, "Preconditions and environment"). */
UMACCESS_API int umaccess_install_fault_handler(void);
/* First-chance entry for hosts that own the signal handlers: pass the handler's three
 * arguments (info is the siginfo_t *, ucontext the ucontext_t *; void * here so that this
 * header needs no POSIX feature macros). Returns 1 if the fault was raised inside a
 * umaccess kernel: the context now resumes in the kernel's recovery code, and the caller
 * must return from its handler at once. */
UMACCESS_API int umaccess_try_handle_signal(int sig, void *info, void *ucontext);

/* A host that makes pages accessible on demand (lazily mapped guest memory, write-protect
 * dirty tracking) installs a resolver: it is called, inside the signal handler, for every
 * fault of a user-mode operation before that fault becomes a status. Return nonzero only if
 * the access will now succeed (the instruction runs again); zero lets the fault stand. It
 * must be async-signal-safe, and must not itself make a umaccess access to the faulting
 * page (that fault would call it again, without end). NULL removes it. */
typedef int (*umaccess_fault_resolver)(void *address, int is_write, void *context);
UMACCESS_API void umaccess_set_fault_resolver(umaccess_fault_resolver resolver, void *context);

/* ---- Bug checks ------------------------------------------------------------------------ */
typedef struct umaccess_bug_check_info {
  uint32_t code;
  uintptr_t parameter1, parameter2, parameter3, parameter4;
  const char *operation; /* the umaccess operation that detected it, or NULL */
  const char *message;   /* a one-line human-readable description */
} umaccess_bug_check_info;
typedef void (*umaccess_bug_check_callback)(const umaccess_bug_check_info *info,
                                            void *context);
/* Install (or with NULL remove) the host's bug-check callback. It may throw or longjmp;
 * if it returns, the process aborts. */
UMACCESS_API void umaccess_set_bug_check_callback(umaccess_bug_check_callback callback,
                                                  void *context);
UMACCESS_API __attribute__((noreturn)) void umaccess_bug_check(uint32_t code,
                                                               uintptr_t parameter1,
                                                               uintptr_t parameter2,
                                                               uintptr_t parameter3,
                                                               uintptr_t parameter4);

#ifdef __cplusplus
}
#endif

/* ---- The status functions' success path, inline ---------------------------------------
 * A call such as umaccess_copy_from_user(dst, src, len, &done) (or a user-mode string
 * length, scalar access or interlocked operation) compiles into the raw entry and one test,
 * in the caller's frame: on success it costs what CopyFromUser (ReadULongFromUser, ...) costs
 * in C++ (a call of the exported function would add its own frame and a second call). A
 * failure goes to umaccess_raw_status() (single accesses: umaccess_raw_access_status()),
 * which returns the same status, count and umaccess_last_failure() record as the exported
 * function. The exported functions remain (&umaccess_copy_from_user, dlsym, other languages,
 * and a call written (umaccess_copy_from_user)(...)); define UMACCESS_NO_INLINE before
 * including this header to call them everywhere. The library itself (UMACCESS_BUILDING)
 * defines them. The _mode forms' twins call the exported function (or the kernel-mode
 * copy and fill) for UMACCESS_KERNEL_MODE; the ..._aligned forms have none. */
#if !defined(UMACCESS_BUILDING) && !defined(UMACCESS_NO_INLINE)
#if defined(__GNUC__)
#define UMACCESS_LIKELY_(x) __builtin_expect(!!(x), 1)
/* umaccess_raw_access_status() returns an error status, never a success: said to the
 * compiler, so that `if (status != STATUS_SUCCESS) return ...; use(length);` after an inline
 * string length raises no maybe-uninitialized warning (*length is set on success only). */
#define UMACCESS_ASSUME_ERROR_(status) \
  do {                                 \
    if ((status) >= 0) __builtin_unreachable(); \
  } while (0)
#else
#define UMACCESS_LIKELY_(x) (x)
#define UMACCESS_ASSUME_ERROR_(status) ((void)0)
#endif

/* umaccess_inline_<name>: the inline twin of every status function of the table. */
#define UMACCESS_COPY_OPERATION(OP, name, WindowsName, reads, writes, kernel)                   \
  static inline umaccess_ntstatus umaccess_inline_##name(void *dst, const void *src, size_t len, \
                                                         size_t *bytes_copied) {              \
    umaccess_fault_record record;                                                             \
    const size_t left = umaccess_raw_##name(dst, src, len, &record);                          \
    if (UMACCESS_LIKELY_(left == 0)) {                                                        \
      if (bytes_copied != NULL) *bytes_copied = len;                                          \
      return STATUS_SUCCESS;                                                                  \
    }                                                                                         \
    return umaccess_raw_status(UMACCESS_OP_##OP, len, left, &record, bytes_copied);           \
  }
#define UMACCESS_FILL_OPERATION(OP, name, WindowsName, args)                             \
  static inline umaccess_ntstatus umaccess_inline_##name(UMACCESS_FILL_PARAMS_##args##_) { \
    return umaccess_inline_fill_(UMACCESS_OP_##OP, dst, len, UMACCESS_FILL_BYTE_##args##_, \
                                 bytes_filled);                                          \
  }
#define UMACCESS_STRUCT_OPERATION(OP, WindowsName, reads, writes)

static inline umaccess_ntstatus umaccess_inline_fill_(umaccess_operation op, void *dst,
                                                      size_t len, unsigned char fill,
                                                      size_t *bytes_filled) {
  umaccess_fault_record record;
  const size_t left = umaccess_raw_fill_user_memory(dst, len, fill, &record);
  if (UMACCESS_LIKELY_(left == 0)) {
    if (bytes_filled != NULL) *bytes_filled = len;
    return STATUS_SUCCESS;
  }
  return umaccess_raw_status(op, len, left, &record, bytes_filled);
}

#include "umaccess/bulk_operations.def"
#undef UMACCESS_COPY_OPERATION
#undef UMACCESS_FILL_OPERATION
#undef UMACCESS_STRUCT_OPERATION

/* A single access's failure: its status under the operation's name, as the exported function
 * returns it. */
static inline umaccess_ntstatus umaccess_inline_failure_(const char *operation,
                                                        const umaccess_fault_record *record) {
  const umaccess_ntstatus status = umaccess_raw_access_status(operation, record);
  UMACCESS_ASSUME_ERROR_(status);
  return status;
}

/* A single access's raw result as its status function returns it: on success the value to
 * *out (if out is not NULL) and STATUS_SUCCESS, else the failure. One per type of value:
 * umaccess_inline_result_u8_ ... _u64_ (scalars), _i32_, _i64_ (interlocked originals),
 * _size_ (string lengths). */
#define UMACCESS_INLINE_RESULT_(suffix, T)                                                     \
  static inline umaccess_ntstatus umaccess_inline_result_##suffix##_(                         \
      umaccess_value r, const umaccess_fault_record *record, const char *operation, T *out) { \
    if (UMACCESS_LIKELY_(r.failed == 0)) {                                                    \
      if (out != NULL) *out = (T)r.value;                                                     \
      return STATUS_SUCCESS;                                                                  \
    }                                                                                         \
    return umaccess_inline_failure_(operation, record);                                       \
  }
UMACCESS_INLINE_RESULT_(u8, uint8_t)
UMACCESS_INLINE_RESULT_(u16, uint16_t)
UMACCESS_INLINE_RESULT_(u32, uint32_t)
UMACCESS_INLINE_RESULT_(u64, uint64_t)
UMACCESS_INLINE_RESULT_(i32, int32_t)
UMACCESS_INLINE_RESULT_(i64, int64_t)
UMACCESS_INLINE_RESULT_(size, size_t)
#undef UMACCESS_INLINE_RESULT_

/* The user-mode string lengths' twins: the unit's own raw entry (a range check and a jump to
 * the kernel; unit is a constant at every caller) and one test. */
static inline umaccess_ntstatus umaccess_inline_string_length_(const void *string,
                                                              unsigned unit,
                                                              const char *operation,
                                                              size_t *length) {
  umaccess_fault_record record;
  return umaccess_inline_result_size_(unit == 1
                                          ? umaccess_raw_string_length_u8(string, &record)
                                          : umaccess_raw_string_length_u16(string, &record),
                                      &record, operation, length);
}
static inline umaccess_ntstatus umaccess_inline_string_length_from_user(const char *string,
                                                                        size_t *length) {
  return umaccess_inline_string_length_(string, 1, "StringLengthFromUser", length);
}
static inline umaccess_ntstatus umaccess_inline_wide_string_length_from_user(
    const umaccess_wchar *string, size_t *length) {
  return umaccess_inline_string_length_(string, 2, "WideStringLengthFromUser", length);
}

/* The _mode forms' twins (below) take the kernel path for UMACCESS_KERNEL_MODE as the
 * exported functions do (no check, no recovery) and the user-mode twin for any other mode,
 * failing under the name the exported function reports. */

/* The scalars' twins (Name: the Windows accessor's type, UChar ... ULong64): the per-width
 * raw entry (a range check and a jump to the access) and one test. The _mode forms call the
 * exported function for kernel mode (one plain access). */
static inline umaccess_ntstatus umaccess_inline_written_(umaccess_value r,
                                                        const umaccess_fault_record *record,
                                                        const char *operation) {
  if (UMACCESS_LIKELY_(r.failed == 0)) return STATUS_SUCCESS;
  return umaccess_inline_failure_(operation, record);
}
#define UMACCESS_INLINE_SCALAR_(bits, Name)                                                    \
  static inline umaccess_ntstatus umaccess_inline_read_u##bits##_from_user(                   \
      const void *src, uint##bits##_t *out) {                                                 \
    umaccess_fault_record record;                                                             \
    return umaccess_inline_result_u##bits##_(umaccess_raw_read_u##bits(src, &record), &record, \
                                              "Read" Name "FromUser", out);                      \
  }                                                                                           \
  static inline umaccess_ntstatus umaccess_inline_read_u##bits##_from_user_acquire(           \
      const void *src, uint##bits##_t *out) {                                                 \
    umaccess_fault_record record;                                                             \
    return umaccess_inline_result_u##bits##_(umaccess_raw_read_acquire_u##bits(src, &record), \
                                              &record, "Read" Name "FromUserAcquire", out);      \
  }                                                                                           \
  static inline umaccess_ntstatus umaccess_inline_read_u##bits##_from_mode(                   \
      const void *src, umaccess_processor_mode mode, uint##bits##_t *out) {                   \
    umaccess_fault_record record;                                                             \
    if (mode == UMACCESS_KERNEL_MODE) return (umaccess_read_u##bits##_from_mode)(src, mode, out); \
    return umaccess_inline_result_u##bits##_(umaccess_raw_read_u##bits(src, &record), &record, \
                                              "Read" Name "FromMode", out);                      \
  }                                                                                           \
  static inline umaccess_ntstatus umaccess_inline_write_u##bits##_to_user(                    \
      void *dst, uint##bits##_t value) {                                                      \
    umaccess_fault_record record;                                                             \
    return umaccess_inline_written_(umaccess_raw_write_u##bits(dst, value, &record), &record, \
                                    "Write" Name "ToUser");                                   \
  }                                                                                           \
  static inline umaccess_ntstatus umaccess_inline_write_u##bits##_to_user_release(            \
      void *dst, uint##bits##_t value) {                                                      \
    umaccess_fault_record record;                                                             \
    return umaccess_inline_written_(umaccess_raw_write_release_u##bits(dst, value, &record),  \
                                    &record, "Write" Name "ToUserRelease");                   \
  }                                                                                           \
  static inline umaccess_ntstatus umaccess_inline_write_u##bits##_to_mode(                    \
      void *dst, uint##bits##_t value, umaccess_processor_mode mode) {                        \
    umaccess_fault_record record;                                                             \
    if (mode == UMACCESS_KERNEL_MODE) return (umaccess_write_u##bits##_to_mode)(dst, value, mode); \
    return umaccess_inline_written_(umaccess_raw_write_u##bits(dst, value, &record), &record, \
                                    "Write" Name "ToMode");                                   \
  }
UMACCESS_INLINE_SCALAR_(8, "UChar")
UMACCESS_INLINE_SCALAR_(16, "UShort")
UMACCESS_INLINE_SCALAR_(32, "ULong")
UMACCESS_INLINE_SCALAR_(64, "ULong64")
#undef UMACCESS_INLINE_SCALAR_

/* The interlocked operations' twins: the per-operation raw entry (the alignment and range
 * checks and a jump to the atomic) and one test. */
#define UMACCESS_INLINE_INTERLOCKED_(name, bits, Name)                                         \
  static inline umaccess_ntstatus umaccess_inline_interlocked_##name##_to_user(               \
      int##bits##_t *dst, int##bits##_t value, int##bits##_t *original) {                     \
    umaccess_fault_record record;                                                             \
    return umaccess_inline_result_i##bits##_(                                                 \
        umaccess_raw_interlocked_##name(dst, (uint64_t)value, &record), &record,              \
        Name "ToUser", original);                                                             \
  }                                                                                           \
  static inline umaccess_ntstatus umaccess_inline_interlocked_##name##_to_mode(               \
      int##bits##_t *dst, int##bits##_t value, umaccess_processor_mode mode,                  \
      int##bits##_t *original) {                                                              \
    umaccess_fault_record record;                                                             \
    if (mode == UMACCESS_KERNEL_MODE)                                                         \
      return (umaccess_interlocked_##name##_to_mode)(dst, value, mode, original);             \
    return umaccess_inline_result_i##bits##_(                                                 \
        umaccess_raw_interlocked_##name(dst, (uint64_t)value, &record), &record,              \
        Name "ToMode", original);                                                             \
  }
UMACCESS_INLINE_INTERLOCKED_(or, 32, "InterlockedOr")
UMACCESS_INLINE_INTERLOCKED_(or64, 64, "InterlockedOr64")
UMACCESS_INLINE_INTERLOCKED_(and, 32, "InterlockedAnd")
UMACCESS_INLINE_INTERLOCKED_(and64, 64, "InterlockedAnd64")
#undef UMACCESS_INLINE_INTERLOCKED_
#define UMACCESS_INLINE_COMPARE_EXCHANGE_(name, bits, Name)                                    \
  static inline umaccess_ntstatus umaccess_inline_interlocked_##name##_to_user(               \
      int##bits##_t *dst, int##bits##_t exchange, int##bits##_t comperand,                    \
      int##bits##_t *original) {                                                              \
    umaccess_fault_record record;                                                             \
    return umaccess_inline_result_i##bits##_(                                                 \
        umaccess_raw_interlocked_##name(dst, (uint64_t)exchange, (uint64_t)comperand,         \
                                        &record),                                             \
        &record, Name "ToUser", original);                                                    \
  }                                                                                           \
  static inline umaccess_ntstatus umaccess_inline_interlocked_##name##_to_mode(               \
      int##bits##_t *dst, int##bits##_t exchange, int##bits##_t comperand,                    \
      umaccess_processor_mode mode, int##bits##_t *original) {                                \
    umaccess_fault_record record;                                                             \
    if (mode == UMACCESS_KERNEL_MODE)                                                         \
      return (umaccess_interlocked_##name##_to_mode)(dst, exchange, comperand, mode,          \
                                                     original);                               \
    return umaccess_inline_result_i##bits##_(                                                 \
        umaccess_raw_interlocked_##name(dst, (uint64_t)exchange, (uint64_t)comperand,         \
                                        &record),                                             \
        &record, Name "ToMode", original);                                                    \
  }
UMACCESS_INLINE_COMPARE_EXCHANGE_(compare_exchange, 32, "InterlockedCompareExchange")
UMACCESS_INLINE_COMPARE_EXCHANGE_(compare_exchange64, 64, "InterlockedCompareExchange64")
#undef UMACCESS_INLINE_COMPARE_EXCHANGE_

/* The string lengths' _mode twins. */
static inline umaccess_ntstatus umaccess_inline_string_length_from_mode(
    const char *string, umaccess_processor_mode mode, size_t *length) {
  if (mode == UMACCESS_KERNEL_MODE) return (umaccess_string_length_from_mode)(string, mode, length);
  return umaccess_inline_string_length_(string, 1, "StringLengthFromMode", length);
}
static inline umaccess_ntstatus umaccess_inline_wide_string_length_from_mode(
    const umaccess_wchar *string, umaccess_processor_mode mode, size_t *length) {
  if (mode == UMACCESS_KERNEL_MODE)
    return (umaccess_wide_string_length_from_mode)(string, mode, length);
  return umaccess_inline_string_length_(string, 2, "WideStringLengthFromMode", length);
}

/* The copies' and fills' _mode twins: kernel mode is a plain copy or fill by the same
 * kernels (umaccess_kernel_copy, ...), any other mode the user-mode twin, whose failures
 * report the user-mode name (CopyFromUser, ...), as the exported functions' do. */
#define UMACCESS_INLINE_COPY_MODE_(name, user_name, kernel_copy)                               \
  static inline umaccess_ntstatus umaccess_inline_##name(void *dst, const void *src,          \
                                                         size_t len,                          \
                                                         umaccess_processor_mode mode,        \
                                                         size_t *bytes_copied) {              \
    if (mode == UMACCESS_KERNEL_MODE) {                                                       \
      kernel_copy(dst, src, len);                                                             \
      if (bytes_copied != NULL) *bytes_copied = len;                                          \
      return STATUS_SUCCESS;                                                                  \
    }                                                                                         \
    return umaccess_inline_##user_name(dst, src, len, bytes_copied);                          \
  }
UMACCESS_INLINE_COPY_MODE_(copy_from_mode, copy_from_user, umaccess_kernel_copy)
UMACCESS_INLINE_COPY_MODE_(copy_to_mode, copy_to_user, umaccess_kernel_copy)
UMACCESS_INLINE_COPY_MODE_(copy_from_mode_nontemporal, copy_from_user_nontemporal,
                           umaccess_kernel_copy_nontemporal)
UMACCESS_INLINE_COPY_MODE_(copy_to_mode_nontemporal, copy_to_user_nontemporal,
                           umaccess_kernel_copy_nontemporal)
#undef UMACCESS_INLINE_COPY_MODE_
/* The source is user memory in every mode; the destination is user memory unless mode is
 * kernel mode. */
static inline umaccess_ntstatus umaccess_inline_copy_from_user_to_mode(
    void *dst, const void *src, size_t len, umaccess_processor_mode mode, size_t *bytes_copied) {
  if (mode == UMACCESS_KERNEL_MODE)
    return umaccess_inline_copy_from_user(dst, src, len, bytes_copied);
  return umaccess_inline_copy_to_user_from_user(dst, src, len, bytes_copied);
}
static inline umaccess_ntstatus umaccess_inline_fill_mode_(umaccess_operation op, void *dst,
                                                           size_t len, unsigned char fill,
                                                           umaccess_processor_mode mode,
                                                           size_t *bytes_filled) {
  if (mode == UMACCESS_KERNEL_MODE) {
    umaccess_kernel_fill(dst, len, fill);
    if (bytes_filled != NULL) *bytes_filled = len;
    return STATUS_SUCCESS;
  }
  return umaccess_inline_fill_(op, dst, len, fill, bytes_filled);
}
static inline umaccess_ntstatus umaccess_inline_fill_mode_memory(void *dst, size_t len,
                                                                 unsigned char fill,
                                                                 umaccess_processor_mode mode,
                                                                 size_t *bytes_filled) {
  return umaccess_inline_fill_mode_(UMACCESS_OP_FILL_USER_MEMORY, dst, len, fill, mode,
                                    bytes_filled);
}
static inline umaccess_ntstatus umaccess_inline_set_mode_memory(void *dst, unsigned char fill,
                                                                size_t len,
                                                                umaccess_processor_mode mode,
                                                                size_t *bytes_filled) {
  return umaccess_inline_fill_mode_(UMACCESS_OP_SET_USER_MEMORY, dst, len, fill, mode,
                                    bytes_filled);
}
static inline umaccess_ntstatus umaccess_inline_zero_mode_memory(void *dst, size_t len,
                                                                 umaccess_processor_mode mode,
                                                                 size_t *bytes_filled) {
  return umaccess_inline_fill_mode_(UMACCESS_OP_ZERO_USER_MEMORY, dst, len, 0, mode,
                                    bytes_filled);
}

/* Function-like macros: only calls are redirected, never the names themselves. (The
 * preprocessor cannot generate these from the table: an operation without a line here is
 * still complete, its calls go to the exported function; add the line when its calls from C
 * should be inline.) */
#define umaccess_copy_from_user(d, s, n, done) umaccess_inline_copy_from_user(d, s, n, done)
#define umaccess_copy_to_user(d, s, n, done) umaccess_inline_copy_to_user(d, s, n, done)
#define umaccess_copy_to_user_from_user(d, s, n, done) \
  umaccess_inline_copy_to_user_from_user(d, s, n, done)
#define umaccess_move_to_user_from_user(d, s, n, done) \
  umaccess_inline_move_to_user_from_user(d, s, n, done)
#define umaccess_copy_from_user_nontemporal(d, s, n, done) \
  umaccess_inline_copy_from_user_nontemporal(d, s, n, done)
#define umaccess_copy_to_user_nontemporal(d, s, n, done) \
  umaccess_inline_copy_to_user_nontemporal(d, s, n, done)
#define umaccess_fill_user_memory(d, n, fill, done) \
  umaccess_inline_fill_user_memory(d, n, fill, done)
#define umaccess_set_user_memory(d, fill, n, done) umaccess_inline_set_user_memory(d, fill, n, done)
#define umaccess_zero_user_memory(d, n, done) umaccess_inline_zero_user_memory(d, n, done)
#define umaccess_string_length_from_user(s, length) \
  umaccess_inline_string_length_from_user(s, length)
#define umaccess_wide_string_length_from_user(s, length) \
  umaccess_inline_wide_string_length_from_user(s, length)
#define umaccess_read_u8_from_user(s, out) umaccess_inline_read_u8_from_user(s, out)
#define umaccess_read_u8_from_user_acquire(s, out) \
  umaccess_inline_read_u8_from_user_acquire(s, out)
#define umaccess_write_u8_to_user(d, v) umaccess_inline_write_u8_to_user(d, v)
#define umaccess_write_u8_to_user_release(d, v) \
  umaccess_inline_write_u8_to_user_release(d, v)
#define umaccess_read_u16_from_user(s, out) umaccess_inline_read_u16_from_user(s, out)
#define umaccess_read_u16_from_user_acquire(s, out) \
  umaccess_inline_read_u16_from_user_acquire(s, out)
#define umaccess_write_u16_to_user(d, v) umaccess_inline_write_u16_to_user(d, v)
#define umaccess_write_u16_to_user_release(d, v) \
  umaccess_inline_write_u16_to_user_release(d, v)
#define umaccess_read_u32_from_user(s, out) umaccess_inline_read_u32_from_user(s, out)
#define umaccess_read_u32_from_user_acquire(s, out) \
  umaccess_inline_read_u32_from_user_acquire(s, out)
#define umaccess_write_u32_to_user(d, v) umaccess_inline_write_u32_to_user(d, v)
#define umaccess_write_u32_to_user_release(d, v) \
  umaccess_inline_write_u32_to_user_release(d, v)
#define umaccess_read_u64_from_user(s, out) umaccess_inline_read_u64_from_user(s, out)
#define umaccess_read_u64_from_user_acquire(s, out) \
  umaccess_inline_read_u64_from_user_acquire(s, out)
#define umaccess_write_u64_to_user(d, v) umaccess_inline_write_u64_to_user(d, v)
#define umaccess_write_u64_to_user_release(d, v) \
  umaccess_inline_write_u64_to_user_release(d, v)
#define umaccess_interlocked_or_to_user(d, v, orig) \
  umaccess_inline_interlocked_or_to_user(d, v, orig)
#define umaccess_interlocked_or64_to_user(d, v, orig) \
  umaccess_inline_interlocked_or64_to_user(d, v, orig)
#define umaccess_interlocked_and_to_user(d, v, orig) \
  umaccess_inline_interlocked_and_to_user(d, v, orig)
#define umaccess_interlocked_and64_to_user(d, v, orig) \
  umaccess_inline_interlocked_and64_to_user(d, v, orig)
#define umaccess_interlocked_compare_exchange_to_user(d, x, c, orig) \
  umaccess_inline_interlocked_compare_exchange_to_user(d, x, c, orig)
#define umaccess_interlocked_compare_exchange64_to_user(d, x, c, orig) \
  umaccess_inline_interlocked_compare_exchange64_to_user(d, x, c, orig)
#define umaccess_copy_from_mode(d, s, n, m, done) umaccess_inline_copy_from_mode(d, s, n, m, done)
#define umaccess_copy_to_mode(d, s, n, m, done) umaccess_inline_copy_to_mode(d, s, n, m, done)
#define umaccess_copy_from_user_to_mode(d, s, n, m, done) \
  umaccess_inline_copy_from_user_to_mode(d, s, n, m, done)
#define umaccess_copy_from_mode_nontemporal(d, s, n, m, done) \
  umaccess_inline_copy_from_mode_nontemporal(d, s, n, m, done)
#define umaccess_copy_to_mode_nontemporal(d, s, n, m, done) \
  umaccess_inline_copy_to_mode_nontemporal(d, s, n, m, done)
#define umaccess_fill_mode_memory(d, n, fill, m, done) \
  umaccess_inline_fill_mode_memory(d, n, fill, m, done)
#define umaccess_set_mode_memory(d, fill, n, m, done) \
  umaccess_inline_set_mode_memory(d, fill, n, m, done)
#define umaccess_zero_mode_memory(d, n, m, done) umaccess_inline_zero_mode_memory(d, n, m, done)
#define umaccess_string_length_from_mode(s, m, length) \
  umaccess_inline_string_length_from_mode(s, m, length)
#define umaccess_wide_string_length_from_mode(s, m, length) \
  umaccess_inline_wide_string_length_from_mode(s, m, length)
#define umaccess_read_u8_from_mode(s, m, out) umaccess_inline_read_u8_from_mode(s, m, out)
#define umaccess_write_u8_to_mode(d, v, m) umaccess_inline_write_u8_to_mode(d, v, m)
#define umaccess_read_u16_from_mode(s, m, out) umaccess_inline_read_u16_from_mode(s, m, out)
#define umaccess_write_u16_to_mode(d, v, m) umaccess_inline_write_u16_to_mode(d, v, m)
#define umaccess_read_u32_from_mode(s, m, out) umaccess_inline_read_u32_from_mode(s, m, out)
#define umaccess_write_u32_to_mode(d, v, m) umaccess_inline_write_u32_to_mode(d, v, m)
#define umaccess_read_u64_from_mode(s, m, out) umaccess_inline_read_u64_from_mode(s, m, out)
#define umaccess_write_u64_to_mode(d, v, m) umaccess_inline_write_u64_to_mode(d, v, m)
#define umaccess_interlocked_or_to_mode(d, v, m, orig) \
  umaccess_inline_interlocked_or_to_mode(d, v, m, orig)
#define umaccess_interlocked_or64_to_mode(d, v, m, orig) \
  umaccess_inline_interlocked_or64_to_mode(d, v, m, orig)
#define umaccess_interlocked_and_to_mode(d, v, m, orig) \
  umaccess_inline_interlocked_and_to_mode(d, v, m, orig)
#define umaccess_interlocked_and64_to_mode(d, v, m, orig) \
  umaccess_inline_interlocked_and64_to_mode(d, v, m, orig)
#define umaccess_interlocked_compare_exchange_to_mode(d, x, c, m, orig) \
  umaccess_inline_interlocked_compare_exchange_to_mode(d, x, c, m, orig)
#define umaccess_interlocked_compare_exchange64_to_mode(d, x, c, m, orig) \
  umaccess_inline_interlocked_compare_exchange64_to_mode(d, x, c, m, orig)
#endif

#endif /* UMACCESS_UMACCESS_H */
