/* tests/c_api_test.c - the C API from strict C11 (no POSIX feature macros needed by the
 * header): statuses, exact progress, failure details, scopes, kernel mode. */
#define _DEFAULT_SOURCE 1 /* for MAP_ANONYMOUS in this test; umaccess.h itself needs none */
#include "umaccess/umaccess.h"

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

int main(void) {
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  char *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *guard = p + page;
  char dst[64];
  size_t done = 123;
  umaccess_failure f;
  umaccess_range_scope scope;

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

  if (failures == 0) printf("C API: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
