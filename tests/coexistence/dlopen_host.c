/* SPDX-License-Identifier: Apache-2.0 */
/* tests/coexistence/dlopen_host.c - a C program that is not linked to umaccess and loads the
 * shared library at run time, as a plug-in host would:
 *
 *   dlopen_host <path to libumaccess.so> local|global
 *
 * It dlopen()s the library (RTLD_LOCAL or RTLD_GLOBAL), takes the C API from dlsym(), and
 * checks: a good copy (every byte), a faulting copy (status, bytes done, the failure
 * record), SIGBUS past the end of a truncated file, the same from a thread that existed
 * before the library was loaded (its thread-local state is in the static TLS block), that
 * the installed handler lies in the library, and which symbols the global scope sees. Then
 * dlclose(): the library is linked -z nodelete, so it stays mapped (RTLD_NOLOAD still finds
 * it) and the process-wide handler never dangles: copies through the pointers taken before
 * still recover, a foreign SIGBUS still reaches the application's handler installed before
 * the library, and a foreign SIGSEGV still kills with SIGSEGV (checked in forked children).
 * Prints one line per check and exits non-zero if any failed. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "umaccess/umaccess.h" /* types and constants only: nothing here is linked */

typedef umaccess_ntstatus (*copy_fn)(void *, const void *, size_t, size_t *);
typedef int (*last_failure_fn)(umaccess_failure *);
typedef int (*install_fn)(void);

static int failed;
static copy_fn copy_from_user;
static last_failure_fn last_failure;

static void check(int ok, const char *what) {
  printf("%s - %s\n", ok ? "ok" : "FAILED", what);
  fflush(stdout);
  if (!ok) ++failed;
}

static size_t page;
static char *guarded;       /* one accessible page, then an inaccessible one */
static char *truncated_end; /* first byte past the end of a truncated file mapping */

static void set_up_memory(void) {
  page = (size_t)sysconf(_SC_PAGESIZE);
  guarded = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mprotect(guarded + page, page, PROT_NONE);
  for (size_t i = 0; i < page; ++i) guarded[i] = (char)(i * 7 + 1);
  int fd = memfd_create("dlopen-host", 0);
  if (fd < 0 || ftruncate(fd, (off_t)page) != 0) abort();
  char *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  truncated_end = map + page;
}

/* A good copy, a SIGSEGV fault and a SIGBUS fault through the library; 1 if all right. */
static int copies_work(void) {
  char dst[256];
  size_t done = 99;
  if (copy_from_user(dst, guarded + 100, 200, &done) != STATUS_SUCCESS ||
      memcmp(dst, guarded + 100, 200) != 0)
    return 0;
  memset(dst, 0x5A, sizeof dst);
  if (copy_from_user(dst, guarded + page - 33, 200, &done) != STATUS_ACCESS_VIOLATION ||
      done != 33 || memcmp(dst, guarded + page - 33, 33) != 0 || dst[33] != 0x5A)
    return 0;
  umaccess_failure f;
  if (last_failure(&f) != 1 || f.address != (uintptr_t)(guarded + page) || f.is_write ||
      f.kernel == NULL || f.signal != SIGSEGV)
    return 0;
  if (copy_from_user(dst, truncated_end - 5, 64, &done) != STATUS_IN_PAGE_ERROR || done != 5)
    return 0;
  return 1;
}

/* A thread created before dlopen, released to copy once the library is loaded. */
static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t opened = PTHREAD_COND_INITIALIZER;
static int library_loaded;
static void *early_thread(void *arg) {
  (void)arg;
  pthread_mutex_lock(&gate);
  while (!library_loaded) pthread_cond_wait(&opened, &gate);
  pthread_mutex_unlock(&gate);
  return (void *)(intptr_t)copies_work();
}

/* The application's SIGBUS handler, installed before the library was loaded. */
static void app_sigbus(int sig, siginfo_t *info, void *context) {
  (void)context;
  _exit(sig == SIGBUS && (char *)info->si_addr == truncated_end + 1 ? 77 : 78);
}

static int child_status(void (*body)(void)) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    body();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}
static void foreign_sigbus(void) { ((volatile char *)truncated_end)[1] = 1; }
static void foreign_sigsegv(void) {
  volatile int *volatile wild = (int *)(uintptr_t)16;
  *wild = 1;
}

int main(int argc, char **argv) {
  if (argc != 3 || (strcmp(argv[2], "local") != 0 && strcmp(argv[2], "global") != 0)) {
    fprintf(stderr, "usage: %s <libumaccess.so> local|global\n", argv[0]);
    return 2;
  }
  const int global = strcmp(argv[2], "global") == 0;
  set_up_memory();
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = app_sigbus;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGBUS, &sa, NULL);
  pthread_t early;
  pthread_create(&early, NULL, early_thread, NULL);

  check(dlsym(RTLD_DEFAULT, "umaccess_copy_from_user") == NULL,
        "the host is not linked to umaccess");
  void *lib = dlopen(argv[1], RTLD_NOW | (global ? RTLD_GLOBAL : RTLD_LOCAL));
  if (lib == NULL) {
    printf("FAILED - dlopen: %s\n", dlerror());
    return 1;
  }
  copy_from_user = (copy_fn)dlsym(lib, "umaccess_copy_from_user");
  last_failure = (last_failure_fn)dlsym(lib, "umaccess_last_failure");
  install_fn install = (install_fn)dlsym(lib, "umaccess_install_fault_handler");
  check(copy_from_user != NULL && last_failure != NULL && install != NULL,
        "dlsym finds the C API");
  if (copy_from_user == NULL || last_failure == NULL || install == NULL) return 1;
  check((dlsym(RTLD_DEFAULT, "umaccess_copy_from_user") != NULL) == global,
        global ? "RTLD_GLOBAL: the global scope sees the C API"
               : "RTLD_LOCAL: the global scope does not see the C API");

  check(copies_work(), "good, SIGSEGV and SIGBUS copies on the loading thread");
  pthread_mutex_lock(&gate);
  library_loaded = 1;
  pthread_cond_signal(&opened);
  pthread_mutex_unlock(&gate);
  void *early_ok = NULL;
  pthread_join(early, &early_ok);
  check(early_ok != NULL, "the same on a thread that existed before dlopen");
  check(install() == 0, "umaccess_install_fault_handler() through dlsym");

  struct sigaction now;
  sigaction(SIGSEGV, NULL, &now);
  Dl_info where;
  check(dladdr((void *)now.sa_sigaction, &where) != 0 && where.dli_fname != NULL &&
            strstr(where.dli_fname, "libumaccess") != NULL,
        "the installed SIGSEGV handler lies in the library");

  check(dlclose(lib) == 0, "dlclose");
  void *again = dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD);
  check(again != NULL, "-z nodelete: the library stays loaded after dlclose");
  if (again != NULL) dlclose(again);
  check(copies_work(), "after dlclose: copies through the saved pointers still recover");

  int status = child_status(foreign_sigbus);
  check(WIFEXITED(status) && WEXITSTATUS(status) == 77,
        "after dlclose: a foreign SIGBUS reaches the application's handler");
  status = child_status(foreign_sigsegv);
  check(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
        "after dlclose: a foreign SIGSEGV kills with SIGSEGV");
  printf("%d failed\n", failed);
  return failed == 0 ? 0 : 1;
}
