/* SPDX-License-Identifier: Apache-2.0 */
/* tests/altstack_test.c - a recovered fault on a small alternate signal stack.
 *
 * Our handler runs with SA_ONSTACK, so a thread with a sigaltstack takes every umaccess fault
 * there. This program gives its thread an alternate stack of AT_MINSIGSTKSZ (the kernel's own
 * signal frame, AVX-512 state included) + 2 KiB, with an inaccessible guard page right below
 * it, and makes the process's first recovered faults on it: in a copy, a fill and a scalar
 * read. A handler that needs more (the dynamic linker's lazy binding saves the whole vector
 * state again on the first call through a PLT: the library is linked with -z now) runs into
 * the guard and the process dies. It prints the deepest use it measured (a painted stack).
 * Built against the shared and the static library (tests/CMakeLists.txt). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "umaccess/umaccess.h"

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

#define SPARE 2048
#define PAINT 0xA5
/* What our handler may use beyond the kernel's own signal frame (measured: about 0.4 KiB;
 * the lazy resolver's extra vector-state save alone is over 2 KiB). */
#define HANDLER_BUDGET 1536

static unsigned char *g_lowest, *g_top;

static size_t deepest_use(void) {
  size_t untouched = 0;
  while (g_lowest + untouched < g_top && g_lowest[untouched] == PAINT) ++untouched;
  return (size_t)(g_top - g_lowest) - untouched;
}

static void empty_handler(int sig, siginfo_t *info, void *context) {
  (void)sig, (void)info, (void)context;
}

int main(void) {
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t minimum = (size_t)getauxval(AT_MINSIGSTKSZ);
  if (minimum == 0) minimum = MINSIGSTKSZ; /* kernels before 5.14 */
  const size_t size = minimum + SPARE;
  const size_t mapped = (size + page - 1) / page * page;
  /* [guard page][ ... alternate stack, its top at the end of the mapping ] */
  unsigned char *base = mmap(NULL, page + mapped, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED || mprotect(base, page, PROT_NONE) != 0) return perror("mmap"), 2;
  unsigned char *top = base + page + mapped;
  unsigned char *lowest = top - size;
  memset(base + page, PAINT, mapped);
  stack_t ss = {.ss_sp = lowest, .ss_size = size, .ss_flags = 0};
  /* The guard sits right below the stack's lowest byte when size is not page-aligned: pad the
   * gap between the guard and `lowest` inaccessible too. */
  if (lowest - (base + page) >= (ptrdiff_t)page &&
      mprotect(base + page, (size_t)(lowest - (base + page)) / page * page, PROT_NONE) != 0)
    return perror("mprotect"), 2;
  if (sigaltstack(&ss, NULL) != 0) return perror("sigaltstack"), 2;

  g_lowest = lowest;
  g_top = top;
  /* The kernel's own frame: an empty handler on the same stack. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = empty_handler;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  const size_t kernel_frame = deepest_use();
  memset(lowest, PAINT, size);

  /* The default user range admits the guard page: these are recovered faults. */
  char dst[64];
  size_t done = 99;
  const umaccess_ntstatus copy = umaccess_copy_from_user(dst, base + 4, 16, &done);
  const umaccess_ntstatus fill = umaccess_fill_user_memory(base + 8, 16, 0, NULL);
  if (copy != STATUS_ACCESS_VIOLATION || done != 0 || fill != STATUS_ACCESS_VIOLATION) {
    fprintf(stderr, "FAIL: copy %#x (done %zu), fill %#x\n", (unsigned)copy, done, (unsigned)fill);
    return 1;
  }
  const size_t used = deepest_use();
  printf("alternate stack %zu bytes (AT_MINSIGSTKSZ %zu + %d): the kernel's frame %zu bytes, "
         "a recovered fault %zu bytes (the handler's own: %zu)\n",
         size, minimum, SPARE, kernel_frame, used, used - kernel_frame);
  if (used == 0 || kernel_frame == 0) {
    fprintf(stderr, "FAIL: the signals did not run on the alternate stack\n");
    return 1;
  }
  if (used > kernel_frame + HANDLER_BUDGET) {
    fprintf(stderr, "FAIL: the handler used %zu bytes beyond the kernel's frame (budget %d)\n",
            used - kernel_frame, HANDLER_BUDGET);
    return 1;
  }
  printf("1 passed, 0 failed\n");
  return 0;
}
