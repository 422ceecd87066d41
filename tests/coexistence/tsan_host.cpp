// SPDX-License-Identifier: Apache-2.0
// tests/coexistence/tsan_host.cpp - a program built with ThreadSanitizer that links a library
// built without it: the library must notice TSan's runtime at run time (its mmap interceptor
// kills a process that maps above 47 bits, which the 5-level-paging probe would do), and
// faults must still be recovered. Run with TSan's own SEGV handling on, as a user would.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "umaccess/umaccess.h"

int main() {
  const long page = sysconf(_SC_PAGESIZE);
  char* p = static_cast<char*>(mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE,
                                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (p == MAP_FAILED || mprotect(p + page, page, PROT_NONE) != 0) return 2;
  int failed = 0;
  std::thread worker([&] {  // a second thread, so TSan has something to watch
    char dst[64];
    size_t done = 0;
    if (umaccess_copy_from_user(dst, p + page - 16, 64, &done) != STATUS_ACCESS_VIOLATION ||
        done != 16)
      ++failed;
  });
  worker.join();
  const umaccess_user_range range = umaccess_get_user_range();
  if (range.end != (uintptr_t{1} << 47) - 4096 && range.end != uintptr_t{1} << 48) ++failed;
  char dst[8];
  if (umaccess_copy_from_user(dst, p, 8, nullptr) != STATUS_SUCCESS) ++failed;
  std::printf("%s\n", failed == 0 ? "ok" : "FAILED");
  return failed == 0 ? 0 : 1;
}
