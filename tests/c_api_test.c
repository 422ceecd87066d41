/* SPDX-License-Identifier: Apache-2.0 */
/* tests/c_api_test.c - the C API from strict C11 (no POSIX feature macros needed by the
 * header): statuses, exact progress, failure details, scopes, kernel mode; the scalar,
 * UNICODE_STRING, string-length and interlocked status functions.
 *
 * Built twice (tests/CMakeLists.txt): as users build it, where the header turns the
 * user-mode copies, fills, string lengths, scalars and interlocked operations into inline
 * twins, and with UMACCESS_NO_INLINE, where every call reaches the exported function; the
 * same expectations hold for both. */
#define _DEFAULT_SOURCE 1 /* for MAP_ANONYMOUS in this test; umaccess.h itself needs none */
#include "umaccess/umaccess.h"
#include "umaccess/wdfmemory.h"
#include "umaccess/wdm.h"

#ifdef UMACCESS_NO_INLINE
#define INLINE_TWIN(name) umaccess_##name /* no twins: the exported function */
#define API_FORM "exported functions"
#else
#if !defined(umaccess_read_u32_from_user) || !defined(umaccess_interlocked_or64_to_user) || \
    !defined(umaccess_copy_from_user) || !defined(umaccess_string_length_from_user)
#error "the header's inline twins are not in effect"
#endif
#define INLINE_TWIN(name) umaccess_inline_##name
#define API_FORM "inline twins"
#endif

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int failures = 0;
#define CHECK(cond)                                                           \
  do {                                                                        \
    if (!(cond)) {                                                            \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                             \
    }                                                                         \
  } while (0)

/* The calling thread's last failure must be `status` at `address` by `operation`; is_write
 * -1: either direction. */
#define CHECK_LAST_FAILURE(status, address, is_write, operation) \
  check_last_failure(__LINE__, (status), (const void *)(address), (is_write), (operation))
static void check_last_failure(int line, umaccess_ntstatus status, const void *address,
                               int is_write, const char *operation) {
  umaccess_failure f;
  if (umaccess_last_failure(&f) != 1) {
    fprintf(stderr, "%s:%d: no last failure\n", __FILE__, line);
    ++failures;
    return;
  }
  if (f.status != status || f.address != (uintptr_t)address ||
      (is_write >= 0 && f.is_write != is_write) || f.operation == NULL ||
      strcmp(f.operation, operation) != 0) {
    fprintf(stderr,
            "%s:%d: last failure %#x at %#lx (write %d) by %s; expected %#x at %#lx (write %d) "
            "by %s\n",
            __FILE__, line, (unsigned)f.status, (unsigned long)f.address, f.is_write,
            f.operation ? f.operation : "(null)", (unsigned)status,
            (unsigned long)(uintptr_t)address, is_write, operation);
    ++failures;
  }
}

/* The last failure was a check that refused the access (no signal, no kernel). */
static int last_failure_was_check(void) {
  umaccess_failure f;
  return umaccess_last_failure(&f) == 1 && f.signal == 0 && f.kernel == NULL;
}
/* The last failure was a fault in an assembly kernel. */
static int last_failure_was_fault(int signal) {
  umaccess_failure f;
  return umaccess_last_failure(&f) == 1 && f.signal == signal && f.kernel != NULL;
}

/* ---- Scalars: every width, every form; a fault leaves *out alone -------------------------- */
/* X: the Windows name of the width (UChar, UShort, ULong, ULong64). */
#define CHECK_SCALAR_WIDTH(bits, value, X)                                                    \
  do {                                                                                        \
    const uint##bits##_t untouched = (uint##bits##_t)0x5A5A5A5A5A5A5A5Aull;                    \
    uint##bits##_t v = 0, raw;                                                                \
    char *at = p + 2048 + (bits);                                                             \
    CHECK(umaccess_write_u##bits##_to_user(at, (value)) == STATUS_SUCCESS);                   \
    memcpy(&raw, at, sizeof raw);                                                             \
    CHECK(raw == (value));                                                                    \
    CHECK(umaccess_read_u##bits##_from_user(at, &v) == STATUS_SUCCESS && v == (value));       \
    v = 0;                                                                                    \
    CHECK(umaccess_read_u##bits##_from_user_acquire(at, &v) == STATUS_SUCCESS && v == (value)); \
    v = 0;                                                                                    \
    CHECK(umaccess_read_u##bits##_from_mode(at, UMACCESS_USER_MODE, &v) == STATUS_SUCCESS &&  \
          v == (value));                                                                      \
    v = 0;                                                                                    \
    CHECK(umaccess_read_u##bits##_from_mode(at, UMACCESS_KERNEL_MODE, &v) == STATUS_SUCCESS && \
          v == (value));                                                                      \
    CHECK(umaccess_write_u##bits##_to_user_release(at, (uint##bits##_t)~(value)) ==          \
          STATUS_SUCCESS);                                                                    \
    memcpy(&raw, at, sizeof raw);                                                             \
    CHECK(raw == (uint##bits##_t)~(value));                                                   \
    CHECK(umaccess_write_u##bits##_to_mode(at, (value), UMACCESS_KERNEL_MODE) == STATUS_SUCCESS); \
    memcpy(&raw, at, sizeof raw);                                                             \
    CHECK(raw == (value));                                                                    \
    CHECK(umaccess_write_u##bits##_to_mode(at, 3, (umaccess_processor_mode)5) == STATUS_SUCCESS); \
    memcpy(&raw, at, sizeof raw);                                                             \
    CHECK(raw == 3);                                                                          \
    /* Any alignment. */                                                                      \
    CHECK(umaccess_write_u##bits##_to_user(at + 1, (value)) == STATUS_SUCCESS);               \
    memcpy(&raw, at + 1, sizeof raw);                                                         \
    CHECK(raw == (value));                                                                    \
    CHECK(umaccess_read_u##bits##_from_user(at + 1, &v) == STATUS_SUCCESS && v == (value));   \
    /* Faults at the guard page: status, address, direction, name; *out untouched. */        \
    v = untouched;                                                                            \
    CHECK(umaccess_read_u##bits##_from_user(guard, &v) == STATUS_ACCESS_VIOLATION);           \
    CHECK(v == untouched);                                                                    \
    CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, 0, "Read" X "FromUser");               \
    CHECK(last_failure_was_fault(SIGSEGV));                                                   \
    CHECK(umaccess_read_u##bits##_from_user_acquire(guard, &v) == STATUS_ACCESS_VIOLATION);   \
    CHECK(v == untouched);                                                                    \
    CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, 0, "Read" X "FromUserAcquire");        \
    CHECK(umaccess_read_u##bits##_from_mode(guard, UMACCESS_USER_MODE, &v) ==                 \
          STATUS_ACCESS_VIOLATION);                                                           \
    CHECK(v == untouched);                                                                    \
    CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, 0, "Read" X "FromMode");               \
    CHECK(umaccess_write_u##bits##_to_user(guard, (value)) == STATUS_ACCESS_VIOLATION);       \
    CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, 1, "Write" X "ToUser");                \
    CHECK(umaccess_write_u##bits##_to_user_release(guard, (value)) == STATUS_ACCESS_VIOLATION); \
    CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, 1, "Write" X "ToUserRelease");         \
    CHECK(umaccess_write_u##bits##_to_mode(guard, (value), UMACCESS_USER_MODE) ==             \
          STATUS_ACCESS_VIOLATION);                                                           \
    CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, 1, "Write" X "ToMode");                \
    /* The last whole value before the guard is fine. */                                     \
    CHECK(umaccess_read_u##bits##_from_user(guard - (bits) / 8, &v) == STATUS_SUCCESS);       \
  } while (0)

/* wdm.h and wdfmemory.h from C: an MDL locked over user memory, copied through a WDF memory
 * object, and the status of a lock that runs into the guard page. */
static void test_mdl_and_wdf_memory(char *p, char *guard) {
  PMDL mdl = IoAllocateMdl(p, 64, FALSE, FALSE, NULL);
  WDFMEMORY memory;
  char reply[8] = "c-api";
  CHECK(mdl != NULL);
  if (mdl == NULL) return;
  CHECK(umaccess_mm_probe_and_lock_pages(mdl, UMACCESS_USER_MODE, IoWriteAccess) == STATUS_SUCCESS);
  CHECK(WdfMemoryCreatePreallocated(WDF_NO_OBJECT_ATTRIBUTES,
                                    MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority), 64,
                                    &memory) == STATUS_SUCCESS);
  CHECK(WdfMemoryCopyFromBuffer(memory, 8, reply, sizeof reply) == STATUS_SUCCESS);
  CHECK(memcmp(p + 8, "c-api", 6) == 0);
  CHECK(WdfMemoryCopyFromBuffer(memory, 60, reply, sizeof reply) == STATUS_INVALID_BUFFER_SIZE);
  WdfObjectDelete(memory);
  MmUnlockPages(mdl);
  IoFreeMdl(mdl);
  mdl = IoAllocateMdl(guard - 16, 64, FALSE, FALSE, NULL);
  CHECK(mdl != NULL);
  if (mdl == NULL) return;
  CHECK(umaccess_mm_probe_and_lock_pages(mdl, UMACCESS_USER_MODE, IoReadAccess) ==
        STATUS_ACCESS_VIOLATION);
  CHECK((MmGetMdlByteCount(mdl)) == 64);
  IoFreeMdl(mdl);
}

static void test_scalars(char *p, char *guard) {
  umaccess_range_scope scope;
  uint64_t v64 = 0x5A5A5A5A5A5A5A5Aull;
  uint32_t v32 = 0x5A5A5A5Au;
  CHECK_SCALAR_WIDTH(8, 0x81u, "UChar");
  CHECK_SCALAR_WIDTH(16, 0x8182u, "UShort");
  CHECK_SCALAR_WIDTH(32, 0x81828384u, "ULong");
  CHECK_SCALAR_WIDTH(64, 0x8182838485868788ull, "ULong64");

  /* A value straddling into the guard page: the first inaccessible byte. */
  CHECK(umaccess_read_u32_from_user(guard - 2, &v32) == STATUS_ACCESS_VIOLATION);
  CHECK(v32 == 0x5A5A5A5Au);
  CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, 0, "ReadULongFromUser");

  /* The user range: refused before touching, at the first byte outside it. */
  CHECK(umaccess_enter_user_range(&scope, (uintptr_t)p + 2048, (uintptr_t)p + 2048 + 16) ==
        STATUS_SUCCESS);
  CHECK(umaccess_read_u64_from_user(p + 2048 + 12, &v64) == STATUS_ACCESS_VIOLATION);
  CHECK(v64 == 0x5A5A5A5A5A5A5A5Aull);
  CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, p + 2048 + 16, 0, "ReadULong64FromUser");
  CHECK(last_failure_was_check());
  CHECK(umaccess_write_u32_to_user(p + 2048 + 16, 1) == STATUS_ACCESS_VIOLATION);
  CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, p + 2048 + 16, 1, "WriteULongToUser");
  CHECK(umaccess_read_u64_from_mode(p + 2048 + 12, UMACCESS_KERNEL_MODE, &v64) == STATUS_SUCCESS);
  CHECK(umaccess_read_u64_from_user(p + 2048 + 8, &v64) == STATUS_SUCCESS);
  umaccess_leave_user_range(&scope);
}

/* ---- UNICODE_STRING descriptors ------------------------------------------------------------ */
static void test_unicode_string(char *p, char *guard) {
  umaccess_wchar text[4] = {'a', 'b', 'c', 0};
  umaccess_unicode_string value, out, untouched;
  umaccess_unicode_string *u = (umaccess_unicode_string *)(void *)(p + 2304);
  umaccess_unicode_string *at_guard = (umaccess_unicode_string *)(void *)(guard - 8);
  const size_t pad = offsetof(umaccess_unicode_string, buffer) - 4;
  unsigned char padding[8];
  value.length = 6;
  value.maximum_length = 8;
  value.buffer = text;
  memset(u, 0xA5, sizeof *u);
  CHECK(umaccess_write_unicode_string_to_user(u, value) == STATUS_SUCCESS);
  memset(padding, 0xA5, sizeof padding);
  CHECK(memcmp((char *)u + 4, padding, pad) == 0); /* the padding is never written */
  memset(&out, 0, sizeof out);
  CHECK(umaccess_read_unicode_string_from_user(u, &out) == STATUS_SUCCESS);
  CHECK(out.length == 6 && out.maximum_length == 8 && out.buffer == text);
  value.length = 2;
  CHECK(umaccess_write_unicode_string_to_mode(u, value, UMACCESS_KERNEL_MODE) == STATUS_SUCCESS);
  CHECK(umaccess_read_unicode_string_from_mode(u, UMACCESS_KERNEL_MODE, &out) == STATUS_SUCCESS);
  CHECK(out.length == 2 && out.maximum_length == 8 && out.buffer == text);
  value.maximum_length = 0xFFFF;
  CHECK(umaccess_write_unicode_string_to_mode(u, value, UMACCESS_USER_MODE) == STATUS_SUCCESS);
  CHECK(umaccess_read_unicode_string_from_mode(u, UMACCESS_USER_MODE, &out) == STATUS_SUCCESS);
  CHECK(out.length == 2 && out.maximum_length == 0xFFFF && out.buffer == text);
  CHECK(memcmp((char *)u + 4, padding, pad) == 0);

  /* The lengths are readable, the buffer pointer lies in the guard page. */
  memset(&untouched, 0x5A, sizeof untouched);
  out = untouched;
  CHECK(umaccess_read_unicode_string_from_user(at_guard, &out) == STATUS_ACCESS_VIOLATION);
  CHECK(memcmp(&out, &untouched, sizeof out) == 0);
  CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, 0, "ReadUnicodeStringFromUser");
  CHECK(umaccess_read_unicode_string_from_mode(at_guard, UMACCESS_USER_MODE, &out) ==
        STATUS_ACCESS_VIOLATION);
  CHECK(memcmp(&out, &untouched, sizeof out) == 0);
  CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, 0, "ReadUnicodeStringFromMode");
  CHECK(umaccess_read_unicode_string_from_user((umaccess_unicode_string *)(void *)guard, &out) ==
        STATUS_ACCESS_VIOLATION);
  CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, 0, "ReadUnicodeStringFromUser");
  CHECK(umaccess_write_unicode_string_to_user(at_guard, value) == STATUS_ACCESS_VIOLATION);
  CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, 1, "WriteUnicodeStringToUser");
  CHECK(umaccess_write_unicode_string_to_mode(at_guard, value, UMACCESS_USER_MODE) ==
        STATUS_ACCESS_VIOLATION);
  CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, 1, "WriteUnicodeStringToMode");
}

/* ---- String lengths ------------------------------------------------------------------------ */
static void test_strings(char *p, char *guard) {
  static const umaccess_wchar wide[] = {0x68, 0x0100, 0x20AC, 0x0001, 0};
  umaccess_range_scope scope;
  char *s = p + 2560;
  char *odd = p + 2601;
  size_t len = 777;
  memcpy(s, "hello, world", 13);
  memcpy(odd, wide, sizeof wide);
  CHECK(umaccess_string_length_from_user(s, &len) == STATUS_SUCCESS && len == 12);
  len = 777;
  CHECK(umaccess_string_length_from_user(s + 12, &len) == STATUS_SUCCESS && len == 0);
  len = 777;
  CHECK(umaccess_string_length_from_mode(s, UMACCESS_USER_MODE, &len) == STATUS_SUCCESS &&
        len == 12);
  len = 777;
  CHECK(umaccess_string_length_from_mode(s + 1, UMACCESS_KERNEL_MODE, &len) == STATUS_SUCCESS &&
        len == 11);
  len = 777;
  CHECK(umaccess_wide_string_length_from_user(wide, &len) == STATUS_SUCCESS && len == 4);
  len = 777;
  CHECK(umaccess_wide_string_length_from_user((const umaccess_wchar *)(const void *)odd, &len) ==
            STATUS_SUCCESS &&
        len == 4);
  len = 777;
  CHECK(umaccess_wide_string_length_from_mode((const umaccess_wchar *)(const void *)odd,
                                              (umaccess_processor_mode)3, &len) ==
            STATUS_SUCCESS &&
        len == 4);
  len = 777;
  CHECK(umaccess_wide_string_length_from_mode(wide + 1, UMACCESS_KERNEL_MODE, &len) ==
            STATUS_SUCCESS &&
        len == 3);

  /* No NUL before the guard page: the fault is at its first byte; *length untouched. */
  memset(guard - 64, 'x', 64);
  len = 777;
  CHECK(umaccess_string_length_from_user(guard - 40, &len) == STATUS_ACCESS_VIOLATION);
  CHECK(len == 777);
  CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, 0, "StringLengthFromUser");
  CHECK(last_failure_was_fault(SIGSEGV));
  CHECK(umaccess_string_length_from_mode(guard - 1, UMACCESS_USER_MODE, &len) ==
        STATUS_ACCESS_VIOLATION);
  CHECK(len == 777);
  CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, 0, "StringLengthFromMode");
  CHECK(umaccess_wide_string_length_from_user((const umaccess_wchar *)(const void *)(guard - 40),
                                              &len) == STATUS_ACCESS_VIOLATION);
  CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, 0, "WideStringLengthFromUser");
  /* Odd start: the last unit straddles into the guard page. */
  CHECK(umaccess_wide_string_length_from_mode((const umaccess_wchar *)(const void *)(guard - 39),
                                              UMACCESS_USER_MODE, &len) ==
        STATUS_ACCESS_VIOLATION);
  CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, 0, "WideStringLengthFromMode");
  CHECK(len == 777);
  /* A NUL in the last byte: measured without a fault. */
  guard[-1] = 0;
  CHECK(umaccess_string_length_from_user(guard - 40, &len) == STATUS_SUCCESS && len == 39);
  guard[-2] = 0;
  CHECK(umaccess_wide_string_length_from_user((const umaccess_wchar *)(const void *)(guard - 40),
                                              &len) == STATUS_SUCCESS &&
        len == 19);

  /* The user range's end is the end of the string. */
  CHECK(umaccess_enter_user_range(&scope, (uintptr_t)s, (uintptr_t)s + 5) == STATUS_SUCCESS);
  len = 777;
  CHECK(umaccess_string_length_from_user(s, &len) == STATUS_ACCESS_VIOLATION && len == 777);
  CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, s + 5, 0, "StringLengthFromUser");
  CHECK(last_failure_was_check());
  CHECK(umaccess_string_length_from_user(s + 5, &len) == STATUS_ACCESS_VIOLATION);
  CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, s + 5, 0, "StringLengthFromUser");
  CHECK(umaccess_string_length_from_mode(s, UMACCESS_KERNEL_MODE, &len) == STATUS_SUCCESS &&
        len == 12);
  umaccess_leave_user_range(&scope);
}

/* ---- Interlocked: all twelve --------------------------------------------------------------- */
static void test_interlocked(char *p, char *guard, char *read_only) {
  int32_t *d = (int32_t *)(void *)(p + 3072);
  int64_t *q = (int64_t *)(void *)(p + 3080);
  int32_t o32 = 0;
  int64_t o64 = 0;
  const umaccess_processor_mode other = (umaccess_processor_mode)5;
  unsigned char canary[4];

  memset(p + 3076, 0xC3, 4); /* between d and q: never written */
  memset(canary, 0xC3, sizeof canary);
  *d = (int32_t)0x80000001u;
  CHECK(umaccess_interlocked_compare_exchange_to_user(d, 7, (int32_t)0x80000001u, &o32) ==
            STATUS_SUCCESS &&
        o32 == (int32_t)0x80000001u && *d == 7);
  CHECK(umaccess_interlocked_compare_exchange_to_user(d, 9, 8, &o32) == STATUS_SUCCESS &&
        o32 == 7 && *d == 7);
  CHECK(umaccess_interlocked_compare_exchange_to_mode(d, -2, 7, UMACCESS_USER_MODE, &o32) ==
            STATUS_SUCCESS &&
        o32 == 7 && *d == -2);
  CHECK(umaccess_interlocked_compare_exchange_to_mode(d, 0x10, -2, UMACCESS_KERNEL_MODE, &o32) ==
            STATUS_SUCCESS &&
        o32 == -2 && *d == 0x10);
  CHECK(umaccess_interlocked_or_to_user(d, (int32_t)0x80000001u, &o32) == STATUS_SUCCESS &&
        o32 == 0x10 && *d == (int32_t)0x80000011u);
  CHECK(umaccess_interlocked_or_to_mode(d, 0x100, other, &o32) == STATUS_SUCCESS &&
        o32 == (int32_t)0x80000011u && *d == (int32_t)0x80000111u);
  CHECK(umaccess_interlocked_and_to_user(d, 0x111, &o32) == STATUS_SUCCESS &&
        o32 == (int32_t)0x80000111u && *d == 0x111);
  CHECK(umaccess_interlocked_and_to_mode(d, 0x11, UMACCESS_KERNEL_MODE, &o32) == STATUS_SUCCESS &&
        o32 == 0x111 && *d == 0x11);
  CHECK(umaccess_interlocked_or_to_mode(d, 0x2, UMACCESS_KERNEL_MODE, &o32) == STATUS_SUCCESS &&
        o32 == 0x11 && *d == 0x13);
  CHECK(umaccess_interlocked_and_to_mode(d, -1, UMACCESS_USER_MODE, &o32) == STATUS_SUCCESS &&
        o32 == 0x13 && *d == 0x13);
  CHECK(memcmp(p + 3076, canary, 4) == 0);

  *q = (int64_t)0x8000000100000002ull;
  CHECK(umaccess_interlocked_compare_exchange64_to_user(q, 5, 2, &o64) == STATUS_SUCCESS &&
        o64 == (int64_t)0x8000000100000002ull && *q == (int64_t)0x8000000100000002ull);
  CHECK(umaccess_interlocked_compare_exchange64_to_user(q, 5, (int64_t)0x8000000100000002ull,
                                                        &o64) == STATUS_SUCCESS &&
        o64 == (int64_t)0x8000000100000002ull && *q == 5);
  CHECK(umaccess_interlocked_compare_exchange64_to_mode(q, -1, 5, other, &o64) == STATUS_SUCCESS &&
        o64 == 5 && *q == -1);
  CHECK(umaccess_interlocked_compare_exchange64_to_mode(q, 0x100000000ll, -1, UMACCESS_KERNEL_MODE,
                                                        &o64) == STATUS_SUCCESS &&
        o64 == -1 && *q == 0x100000000ll);
  CHECK(umaccess_interlocked_or64_to_user(q, INT64_MIN, &o64) == STATUS_SUCCESS &&
        o64 == 0x100000000ll && *q == (int64_t)0x8000000100000000ull);
  CHECK(umaccess_interlocked_or64_to_mode(q, 1, UMACCESS_KERNEL_MODE, &o64) == STATUS_SUCCESS &&
        o64 == (int64_t)0x8000000100000000ull && *q == (int64_t)0x8000000100000001ull);
  CHECK(umaccess_interlocked_and64_to_user(q, 0x1FFFFFFFFll, &o64) == STATUS_SUCCESS &&
        o64 == (int64_t)0x8000000100000001ull && *q == 0x100000001ll);
  CHECK(umaccess_interlocked_and64_to_mode(q, 1, UMACCESS_USER_MODE, &o64) == STATUS_SUCCESS &&
        o64 == 0x100000001ll && *q == 1);
  CHECK(memcmp(p + 3076, canary, 4) == 0);

  /* Misaligned: refused before touching, in every mode; *original untouched. */
  o32 = 99;
  o64 = 99;
  CHECK(umaccess_interlocked_compare_exchange_to_user((int32_t *)(void *)(p + 3073), 0, 0, &o32) ==
        STATUS_DATATYPE_MISALIGNMENT);
  CHECK_LAST_FAILURE(STATUS_DATATYPE_MISALIGNMENT, p + 3073, 1, "InterlockedCompareExchangeToUser");
  CHECK(last_failure_was_check());
  CHECK(umaccess_interlocked_or_to_mode((int32_t *)(void *)(p + 3074), 1, UMACCESS_KERNEL_MODE,
                                        &o32) == STATUS_DATATYPE_MISALIGNMENT);
  CHECK_LAST_FAILURE(STATUS_DATATYPE_MISALIGNMENT, p + 3074, 1, "InterlockedOrToMode");
  CHECK(umaccess_interlocked_and64_to_user((int64_t *)(void *)(p + 3084), 0, &o64) ==
        STATUS_DATATYPE_MISALIGNMENT);
  CHECK_LAST_FAILURE(STATUS_DATATYPE_MISALIGNMENT, p + 3084, 1, "InterlockedAnd64ToUser");
  CHECK(umaccess_interlocked_compare_exchange64_to_mode((int64_t *)(void *)(p + 3081), 0, 0,
                                                        UMACCESS_KERNEL_MODE, &o64) ==
        STATUS_DATATYPE_MISALIGNMENT);
  CHECK_LAST_FAILURE(STATUS_DATATYPE_MISALIGNMENT, p + 3081, 1,
                     "InterlockedCompareExchange64ToMode");
  CHECK(o32 == 99 && o64 == 99);
  CHECK(*d == 0x13 && *q == 1 && memcmp(p + 3076, canary, 4) == 0);

  /* The guard page: the fault is at the destination. */
  CHECK(umaccess_interlocked_or_to_user((int32_t *)(void *)guard, 1, &o32) ==
        STATUS_ACCESS_VIOLATION);
  CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, -1, "InterlockedOrToUser");
  CHECK(last_failure_was_fault(SIGSEGV));
  CHECK(umaccess_interlocked_or64_to_user((int64_t *)(void *)guard, 1, &o64) ==
        STATUS_ACCESS_VIOLATION);
  CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, 1, "InterlockedOr64ToUser");
  CHECK(umaccess_interlocked_or64_to_mode((int64_t *)(void *)guard, 1, UMACCESS_USER_MODE, &o64) ==
        STATUS_ACCESS_VIOLATION);
  CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, -1, "InterlockedOr64ToMode");
  CHECK(o32 == 99 && o64 == 99);

  /* A read-only page: a write violation, nothing stored. */
  CHECK(umaccess_interlocked_and_to_user((int32_t *)(void *)read_only, 0, &o32) ==
        STATUS_ACCESS_VIOLATION);
  CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, read_only, 1, "InterlockedAndToUser");
  CHECK(umaccess_interlocked_compare_exchange64_to_user((int64_t *)(void *)(read_only + 8), 0, 42,
                                                        &o64) == STATUS_ACCESS_VIOLATION);
  CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, read_only + 8, 1,
                     "InterlockedCompareExchange64ToUser");
  CHECK(umaccess_interlocked_and64_to_mode((int64_t *)(void *)(read_only + 8), 0, other, &o64) ==
        STATUS_ACCESS_VIOLATION);
  CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, read_only + 8, 1, "InterlockedAnd64ToMode");
  CHECK(umaccess_interlocked_compare_exchange_to_mode((int32_t *)(void *)read_only, 0, 42,
                                                      UMACCESS_USER_MODE, &o32) ==
        STATUS_ACCESS_VIOLATION);
  CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, read_only, 1, "InterlockedCompareExchangeToMode");
  CHECK(o32 == 99 && o64 == 99);
  CHECK(*(const int32_t *)(const void *)read_only == 42);
  CHECK(*(const int64_t *)(const void *)(read_only + 8) == 42);
}

/* The user-mode string lengths, inline (the macro) and exported ((name)(...)): the same
 * length, status and last failure, NULL accepted for the length, *length untouched on
 * failure. */
static void test_string_lengths_inline_and_exported_agree(char *p, char *guard) {
  static const umaccess_wchar wide[] = {'w', 'i', 'd', 'e', 0};
  size_t a = 777, b = 777, k;
  umaccess_failure fa, fb;
  memcpy(p + 3000, "inline or not", 14);
  memcpy(p + 3100, wide, sizeof wide);
  CHECK(umaccess_string_length_from_user(p + 3000, &a) == STATUS_SUCCESS && a == 13);
  CHECK((umaccess_string_length_from_user)(p + 3000, &b) == STATUS_SUCCESS && b == 13);
  CHECK(umaccess_string_length_from_user(p + 3000, NULL) == STATUS_SUCCESS);
  CHECK((umaccess_string_length_from_user)(p + 3000, NULL) == STATUS_SUCCESS);
  a = b = 777;
  CHECK(umaccess_wide_string_length_from_user((const umaccess_wchar *)(const void *)(p + 3100),
                                              &a) == STATUS_SUCCESS && a == 4);
  CHECK((umaccess_wide_string_length_from_user)((const umaccess_wchar *)(const void *)(p + 3100),
                                                &b) == STATUS_SUCCESS && b == 4);
  /* Into the guard page (a fault) and out of the user range (a refusal), both paths. */
  memset(guard - 64, 'x', 64);
  for (k = 0; k < 2; ++k) {
    const int exported = k == 1;
    a = 777;
    CHECK((exported ? (umaccess_string_length_from_user)(guard - 20, &a)
                    : umaccess_string_length_from_user(guard - 20, &a)) ==
          STATUS_ACCESS_VIOLATION);
    CHECK(a == 777);
    CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, 0, "StringLengthFromUser");
    CHECK(last_failure_was_fault(SIGSEGV));
    CHECK(umaccess_last_failure(exported ? &fb : &fa) == 1);
    CHECK((exported ? (umaccess_wide_string_length_from_user)(
                          (const umaccess_wchar *)(const void *)(guard - 20), &a)
                    : umaccess_wide_string_length_from_user(
                          (const umaccess_wchar *)(const void *)(guard - 20), &a)) ==
          STATUS_ACCESS_VIOLATION);
    CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, 0, "WideStringLengthFromUser");
    CHECK((exported ? (umaccess_string_length_from_user)((const char *)-64, &a)
                    : umaccess_string_length_from_user((const char *)-64, &a)) ==
          STATUS_ACCESS_VIOLATION);
    CHECK(a == 777);
    CHECK(last_failure_was_check());
  }
  CHECK(fa.address == fb.address && fa.is_write == fb.is_write && fa.status == fb.status);
}

/* The header's inline success path and the exported functions give the same status, count
 * and last failure: a call written (name)(...) or through a pointer reaches the export. */
typedef umaccess_ntstatus (*copy_status_fn)(void *, const void *, size_t, size_t *);
static void test_inline_and_exported_agree(char *p, char *guard) {
  copy_status_fn exported = umaccess_copy_to_user; /* no call: the exported function */
  char src[32];
  size_t done_inline = 99, done_exported = 99;
  umaccess_failure a, b;
  memset(src, 'q', sizeof src);
  CHECK(umaccess_copy_to_user(guard - 5, src, 12, &done_inline) == STATUS_ACCESS_VIOLATION);
  CHECK(umaccess_last_failure(&a) == 1);
  CHECK(exported(guard - 5, src, 12, &done_exported) == STATUS_ACCESS_VIOLATION);
  CHECK(umaccess_last_failure(&b) == 1);
  CHECK(done_inline == 5 && done_exported == 5);
  CHECK(a.address == b.address && a.is_write == b.is_write && a.bytes_done == b.bytes_done);
  CHECK(strcmp(a.operation, "CopyToUser") == 0 && strcmp(b.operation, "CopyToUser") == 0);
  CHECK((umaccess_copy_from_user)(src, p, 16, &done_exported) == STATUS_SUCCESS &&
        done_exported == 16);
  CHECK((umaccess_zero_user_memory)(guard - 2, 4, &done_exported) == STATUS_ACCESS_VIOLATION &&
        done_exported == 2);
  CHECK(umaccess_zero_user_memory(guard - 2, 4, &done_inline) == STATUS_ACCESS_VIOLATION &&
        done_inline == 2);
  CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, 1, "ZeroUserMemory");
  /* A bad range is refused before anything is touched, by both paths. */
  CHECK(umaccess_copy_from_user_nontemporal(src, (void *)-64, 8, &done_inline) ==
        STATUS_ACCESS_VIOLATION && done_inline == 0);
  CHECK((umaccess_copy_from_user_nontemporal)(src, (void *)-64, 8, &done_exported) ==
        STATUS_ACCESS_VIOLATION && done_exported == 0);
  test_string_lengths_inline_and_exported_agree(p, guard);
}

/* The copies' and fills' _mode forms: any mode but kernel mode is the user-mode operation
 * (its status, exact count and name in the last failure), kernel mode a plain copy or fill
 * with the whole length reported. Inline and exported alike (this file is built both ways). */
typedef umaccess_ntstatus (*mode_copy_fn)(void *, const void *, size_t, umaccess_processor_mode,
                                          size_t *);
static umaccess_ntstatus copy_from_mode(void *d, const void *s, size_t n,
                                        umaccess_processor_mode m, size_t *done) {
  return umaccess_copy_from_mode(d, s, n, m, done);
}
static umaccess_ntstatus copy_to_mode(void *d, const void *s, size_t n, umaccess_processor_mode m,
                                      size_t *done) {
  return umaccess_copy_to_mode(d, s, n, m, done);
}
static umaccess_ntstatus copy_from_mode_nt(void *d, const void *s, size_t n,
                                           umaccess_processor_mode m, size_t *done) {
  return umaccess_copy_from_mode_nontemporal(d, s, n, m, done);
}
static umaccess_ntstatus copy_to_mode_nt(void *d, const void *s, size_t n,
                                         umaccess_processor_mode m, size_t *done) {
  return umaccess_copy_to_mode_nontemporal(d, s, n, m, done);
}
static umaccess_ntstatus copy_from_user_to_mode(void *d, const void *s, size_t n,
                                                umaccess_processor_mode m, size_t *done) {
  return umaccess_copy_from_user_to_mode(d, s, n, m, done);
}

static void test_mode_forms(char *p, char *guard) {
  static const struct {
    const char *user_name; /* the name a user-mode failure reports */
    mode_copy_fn fn;
    int faulting_side_is_source;
  } copies[] = {{"CopyFromUser", copy_from_mode, 1},
                {"CopyToUser", copy_to_mode, 0},
                {"CopyFromUserNonTemporal", copy_from_mode_nt, 1},
                {"CopyToUserNonTemporal", copy_to_mode_nt, 0},
                {"CopyToUserFromUser", copy_from_user_to_mode, 0}};
  const umaccess_processor_mode other = (umaccess_processor_mode)5;
  char kernel_buffer[64];
  size_t i, done;
  for (i = 0; i < sizeof copies / sizeof copies[0]; ++i) {
    int m;
    for (m = 0; m < 2; ++m) {
      const umaccess_processor_mode mode = m == 0 ? UMACCESS_USER_MODE : other;
      char *user_side = guard - 24; /* 24 bytes before the guard page */
      void *d = copies[i].faulting_side_is_source ? (void *)kernel_buffer : (void *)user_side;
      const void *s = copies[i].faulting_side_is_source ? (const void *)user_side
                                                       : (const void *)kernel_buffer;
      memset(kernel_buffer, 'k', sizeof kernel_buffer);
      memset(user_side, 'u', 24);
      done = 999;
      CHECK(copies[i].fn(d, s, 40, mode, &done) == STATUS_ACCESS_VIOLATION);
      CHECK(done == 24);
      CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, !copies[i].faulting_side_is_source,
                         copies[i].user_name);
      CHECK(last_failure_was_fault(SIGSEGV));
      done = 999;
      CHECK(copies[i].fn(d, s, 24, mode, &done) == STATUS_SUCCESS && done == 24);
      CHECK(copies[i].fn(d, s, 24, mode, NULL) == STATUS_SUCCESS);
    }
    /* Kernel mode: both buffers the caller's (here both readable and writable). */
    memset(p + 1024, 'a', 64);
    memset(kernel_buffer, 0, sizeof kernel_buffer);
    done = 999;
    CHECK(copies[i].fn(kernel_buffer, p + 1024, 64, UMACCESS_KERNEL_MODE, &done) ==
              STATUS_SUCCESS &&
          done == 64);
    CHECK(kernel_buffer[0] == 'a' && kernel_buffer[63] == 'a');
  }
  /* The user range in user mode (a refusal), not in kernel mode. */
  {
    umaccess_range_scope scope;
    CHECK(umaccess_enter_user_range(&scope, (uintptr_t)p, (uintptr_t)p + 16) == STATUS_SUCCESS);
    done = 999;
    CHECK(umaccess_copy_from_mode(kernel_buffer, p + 8, 16, UMACCESS_USER_MODE, &done) ==
              STATUS_ACCESS_VIOLATION &&
          done == 0);
    CHECK(last_failure_was_check());
    CHECK(umaccess_copy_from_mode(kernel_buffer, p + 8, 16, UMACCESS_KERNEL_MODE, &done) ==
              STATUS_SUCCESS &&
          done == 16);
    CHECK(umaccess_fill_mode_memory(p + 8, 16, 1, other, &done) == STATUS_ACCESS_VIOLATION &&
          done == 0);
    umaccess_leave_user_range(&scope);
  }
  /* Fills: exact count at the guard page in user mode; kernel mode fills all. */
  done = 999;
  CHECK(umaccess_fill_mode_memory(guard - 5, 9, 0x21, UMACCESS_USER_MODE, &done) ==
            STATUS_ACCESS_VIOLATION &&
        done == 5 && guard[-1] == 0x21);
  CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, 1, "FillUserMemory");
  CHECK(umaccess_set_mode_memory(guard - 3, 0x22, 9, other, &done) == STATUS_ACCESS_VIOLATION &&
        done == 3 && guard[-1] == 0x22);
  CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, 1, "SetUserMemory");
  CHECK(umaccess_zero_mode_memory(guard - 2, 9, UMACCESS_USER_MODE, &done) ==
            STATUS_ACCESS_VIOLATION &&
        done == 2 && guard[-1] == 0);
  CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, 1, "ZeroUserMemory");
  CHECK(umaccess_fill_mode_memory(kernel_buffer, 64, 0x31, UMACCESS_KERNEL_MODE, &done) ==
            STATUS_SUCCESS &&
        done == 64 && kernel_buffer[63] == 0x31);
  CHECK(umaccess_set_mode_memory(kernel_buffer, 0x32, 64, UMACCESS_KERNEL_MODE, NULL) ==
            STATUS_SUCCESS &&
        kernel_buffer[0] == 0x32);
  CHECK(umaccess_zero_mode_memory(kernel_buffer, 64, UMACCESS_KERNEL_MODE, &done) ==
            STATUS_SUCCESS &&
        done == 64 && kernel_buffer[5] == 0);
  CHECK(umaccess_fill_mode_memory(p + 100, 8, 0x41, other, &done) == STATUS_SUCCESS && done == 8 &&
        p[107] == 0x41);
}

/* ---- Every bulk operation of the table (umaccess/bulk_operations.def), inline and exported:
 * success, a fault at a guard page with the exact count, a refused range. A new row of the
 * table is tested here with no edit. */
#define BULK_USER_User 1
#define BULK_USER_Kernel 0
#define BULK_FILL_CALL_LengthByte(f, d, n, b, done) f(d, n, b, done)
#define BULK_FILL_CALL_ByteLength(f, d, n, b, done) f(d, b, n, done)
#define BULK_FILL_CALL_Zero(f, d, n, b, done) ((void)(b), f(d, n, done))
#define BULK_ZERO_LengthByte 0
#define BULK_ZERO_ByteLength 0
#define BULK_ZERO_Zero 1

typedef umaccess_ntstatus (*fill_status_fn)(void *, size_t, unsigned char, size_t *);
struct bulk_copy {
  const char *name;
  int user_source, user_destination;
  copy_status_fn inline_fn, exported_fn;
};
struct bulk_fill {
  const char *name;
  int zero;
  fill_status_fn inline_fn, exported_fn;
};

/* The fills' status functions in one shape (len, byte). */
#define UMACCESS_COPY_OPERATION(OP, name, WindowsName, reads, writes, kernel)
#define UMACCESS_FILL_OPERATION(OP, name, WindowsName, args)                                 \
  static umaccess_ntstatus inline_##name(void *d, size_t n, unsigned char b, size_t *done) { \
    return BULK_FILL_CALL_##args(INLINE_TWIN(name), d, n, b, done);                         \
  }                                                                                          \
  static umaccess_ntstatus exported_##name(void *d, size_t n, unsigned char b, size_t *done) { \
    return BULK_FILL_CALL_##args((umaccess_##name), d, n, b, done);                          \
  }
#define UMACCESS_STRUCT_OPERATION(OP, WindowsName, reads, writes)
#include "umaccess/bulk_operations.def"
#undef UMACCESS_COPY_OPERATION
#undef UMACCESS_FILL_OPERATION
#undef UMACCESS_STRUCT_OPERATION

static const struct bulk_copy bulk_copies[] = {
#define UMACCESS_COPY_OPERATION(OP, name, WindowsName, reads, writes, kernel) \
  {#WindowsName, BULK_USER_##reads, BULK_USER_##writes, INLINE_TWIN(name), umaccess_##name},
#define UMACCESS_FILL_OPERATION(OP, name, WindowsName, args)
#define UMACCESS_STRUCT_OPERATION(OP, WindowsName, reads, writes)
#include "umaccess/bulk_operations.def"
#undef UMACCESS_COPY_OPERATION
#undef UMACCESS_FILL_OPERATION
#undef UMACCESS_STRUCT_OPERATION
};

static const struct bulk_fill bulk_fills[] = {
#define UMACCESS_COPY_OPERATION(OP, name, WindowsName, reads, writes, kernel)
#define UMACCESS_FILL_OPERATION(OP, name, WindowsName, args) \
  {#WindowsName, BULK_ZERO_##args, inline_##name, exported_##name},
#define UMACCESS_STRUCT_OPERATION(OP, WindowsName, reads, writes)
#include "umaccess/bulk_operations.def"
#undef UMACCESS_COPY_OPERATION
#undef UMACCESS_FILL_OPERATION
#undef UMACCESS_STRUCT_OPERATION
};

static void test_every_bulk_operation(char *p, char *guard) {
  size_t i, k;
  for (i = 0; i < sizeof bulk_copies / sizeof bulk_copies[0]; ++i) {
    const struct bulk_copy *op = &bulk_copies[i];
    for (k = 0; k < 2; ++k) {
      const copy_status_fn fn = k == 0 ? op->inline_fn : op->exported_fn;
      char kernel_side[32];
      /* The user side(s) in p: the source at p + 256, the destination at p + 512. */
      char *src = op->user_source ? p + 256 : kernel_side;
      char *dst = op->user_destination ? p + 512 : kernel_side;
      size_t done = 99;
      memset(kernel_side, 'k', sizeof kernel_side);
      memset(p + 256, (int)('a' + i), 32);
      memset(p + 512, 'd', 32);
      CHECK(fn(dst, src, 16, &done) == STATUS_SUCCESS && done == 16);
      CHECK(memcmp(dst, src, 16) == 0);
      /* A fault on the user side that comes first in copy order (the source if user). */
      if (op->user_source) {
        CHECK(fn(dst, guard - 5, 12, &done) == STATUS_ACCESS_VIOLATION && done == 5);
        CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, 0, op->name);
        CHECK(last_failure_was_fault(SIGSEGV));
        CHECK(fn(dst, (void *)-64, 8, &done) == STATUS_ACCESS_VIOLATION && done == 0);
        CHECK(last_failure_was_check());
      }
      if (op->user_destination) {
        CHECK(fn(guard - 5, src, 12, &done) == STATUS_ACCESS_VIOLATION && done == 5);
        CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, 1, op->name);
        CHECK(fn((void *)-64, src, 8, &done) == STATUS_ACCESS_VIOLATION && done == 0);
        CHECK(last_failure_was_check());
      }
    }
  }
  for (i = 0; i < sizeof bulk_fills / sizeof bulk_fills[0]; ++i) {
    const struct bulk_fill *op = &bulk_fills[i];
    for (k = 0; k < 2; ++k) {
      const fill_status_fn fn = k == 0 ? op->inline_fn : op->exported_fn;
      const unsigned char byte = op->zero ? 0 : (unsigned char)(0x40 + i);
      size_t done = 99;
      memset(p + 256, 'x', 32);
      CHECK(fn(p + 256, 16, 0x40 + (unsigned char)i, &done) == STATUS_SUCCESS && done == 16);
      CHECK((unsigned char)p[256] == byte && (unsigned char)p[271] == byte && p[272] == 'x');
      CHECK(fn(guard - 2, 4, 0x55, &done) == STATUS_ACCESS_VIOLATION && done == 2);
      CHECK_LAST_FAILURE(STATUS_ACCESS_VIOLATION, guard, 1, op->name);
      CHECK(last_failure_was_fault(SIGSEGV));
      CHECK(fn((void *)-64, 8, 0x55, &done) == STATUS_ACCESS_VIOLATION && done == 0);
      CHECK(last_failure_was_check());
    }
  }
}

int main(void) {
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  char *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *guard = p + page;
  char dst[64];
  size_t done = 123;
  umaccess_failure f;
  umaccess_range_scope scope;
  char *read_only;

  mprotect(guard, page, PROT_NONE);
  memset(p, 'x', page);

  CHECK(umaccess_copy_from_user(dst, p, sizeof dst, &done) == STATUS_SUCCESS);
  CHECK(done == sizeof dst);
  CHECK(umaccess_copy_from_user(dst, guard - 10, 20, &done) == STATUS_ACCESS_VIOLATION);
  CHECK(done == 10);
  CHECK(umaccess_last_failure(&f) == 1);
  CHECK(f.status == STATUS_ACCESS_VIOLATION);
  CHECK(f.address == (uintptr_t)guard);
  CHECK(!f.is_write);
  CHECK(f.bytes_done == 10);
  CHECK(f.signal == SIGSEGV);
  CHECK(strcmp(f.operation, "CopyFromUser") == 0);

  CHECK(umaccess_copy_to_user(guard - 3, dst, 8, &done) == STATUS_ACCESS_VIOLATION);
  CHECK(done == 3);
  CHECK(umaccess_last_failure(&f) == 1 && f.is_write);
  CHECK(umaccess_move_to_user_from_user(p + 1, p, 100, NULL) == STATUS_SUCCESS);
  CHECK(umaccess_set_user_memory(p, 0x11, 100, &done) == STATUS_SUCCESS && done == 100);
  CHECK(p[99] == 0x11 && p[100] == 'x');
  CHECK(umaccess_fill_user_memory(guard - 1, 2, 0x22, &done) == STATUS_ACCESS_VIOLATION);
  CHECK(done == 1 && guard[-1] == 0x22);
  CHECK(umaccess_zero_mode_memory(p, 10, UMACCESS_KERNEL_MODE, NULL) == STATUS_SUCCESS);

  CHECK(umaccess_probe_for_read(p + 1, 8, 4) == STATUS_DATATYPE_MISALIGNMENT);
  CHECK(umaccess_probe_for_write(guard - 8, 16, 8) == STATUS_ACCESS_VIOLATION);
  CHECK(umaccess_probe_alignment(p + 1, 0, 4) == STATUS_SUCCESS);

  CHECK(umaccess_enter_user_range(&scope, (uintptr_t)p, (uintptr_t)p + 16) == STATUS_SUCCESS);
  CHECK(umaccess_get_user_range().end == (uintptr_t)p + 16);
  CHECK(umaccess_copy_from_user(dst, p + 8, 16, &done) == STATUS_ACCESS_VIOLATION && done == 0);
  CHECK(umaccess_copy_from_mode(dst, p + 8, 16, UMACCESS_KERNEL_MODE, &done) == STATUS_SUCCESS);
  umaccess_leave_user_range(&scope);
  CHECK(umaccess_get_user_range().end == umaccess_default_user_range().end);

  CHECK(umaccess_copy_from_user(dst, (void *)0, 0, &done) == STATUS_SUCCESS && done == 0);
  CHECK(umaccess_install_fault_handler() == 0);

  /* The single-access operations. */
  memset(p + 2048, 0, page - 2048);
  read_only = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(read_only != MAP_FAILED);
  *(int32_t *)(void *)read_only = 42;
  *(int64_t *)(void *)(read_only + 8) = 42;
  mprotect(read_only, page, PROT_READ);
  test_scalars(p, guard);
  test_unicode_string(p, guard);
  test_strings(p, guard);
  test_interlocked(p, guard, read_only);
  test_mdl_and_wdf_memory(p, guard);
  test_inline_and_exported_agree(p, guard);
  test_mode_forms(p, guard);
  test_every_bulk_operation(p, guard);

  if (failures == 0) printf("C API (" API_FORM "): all checks passed\n");
  return failures == 0 ? 0 : 1;
}
