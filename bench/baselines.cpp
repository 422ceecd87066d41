// SPDX-License-Identifier: Apache-2.0
// bench/baselines.cpp - see baselines.h.
#include "baselines.h"

#include <setjmp.h>
#include <signal.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>

#include "arena.h"

namespace umabench {

void* (*volatile g_memcpy)(void*, const void*, std::size_t) = std::memcpy;
void* (*volatile g_memmove)(void*, const void*, std::size_t) = std::memmove;
void* (*volatile g_memset)(void*, int, std::size_t) = std::memset;
std::size_t (*volatile g_strlen)(const char*) = std::strlen;

Arena& arena() {
  static Arena a;
  return a;
}

namespace {

thread_local sigjmp_buf* t_guard = nullptr;

void guard_handler(int sig, siginfo_t*, void*) {
  if (t_guard != nullptr) siglongjmp(*t_guard, 1);
  signal(sig, SIG_DFL);
}

}  // namespace

void install_guard_handler() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = guard_handler;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, nullptr);
  sigaction(SIGBUS, &sa, nullptr);
}

bool guarded_memcpy(void* dst, const void* src, std::size_t n, bool save_mask) {
  sigjmp_buf buf;
  if (sigsetjmp(buf, save_mask ? 1 : 0) != 0) {
    t_guard = nullptr;
    return false;
  }
  t_guard = &buf;
  g_memcpy(dst, src, n);
  t_guard = nullptr;
  return true;
}

bool process_vm_read(void* dst, const void* src, std::size_t n) {
  const struct iovec local{dst, n};
  const struct iovec remote{const_cast<void*>(src), n};
  return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == static_cast<ssize_t>(n);
}

}  // namespace umabench
