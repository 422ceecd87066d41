// SPDX-License-Identifier: Apache-2.0
// src/user_range.cpp - the default user range, per-thread scopes and initialization.
#include "user_range.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "arch.h"
#include "fatal.h"

namespace umaccess::detail {

std::atomic<std::uintptr_t> g_default_begin{0};
std::atomic<std::uintptr_t> g_default_end{0};
__thread ThreadRange t_range __attribute__((tls_model("initial-exec"))) = {0, 0};

namespace {
// Whether t_range has been filled in on this thread, and its innermost scope (for the
// reverse-order check). Read only on cold paths.
__thread bool t_range_ready = false;
__thread const umaccess_range_scope* t_innermost_scope = nullptr;
}  // namespace

void ensure_thread_range() {
  if (t_range_ready) return;
  ensure_initialized();
  set_current_user_range({g_default_begin.load(std::memory_order_relaxed),
                          g_default_end.load(std::memory_order_acquire)});
  t_range_ready = true;
}

void ensure_initialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    const int saved_errno = errno;  // a successful call must leave errno alone
    // Not again if the host installed it already: a handler it put in front of ours since
    // (one that calls umaccess_try_handle_signal first) must stay in front.
    if (install_fault_handler_once() != 0)
      fatal("cannot install the SIGSEGV/SIGBUS handler: %s%s", std::strerror(errno),
            errno == ENOTSUP ? " (under AddressSanitizer, run with handle_segv=1 or 0, "
                               "handle_sigbus=1 or 0, and allow_user_segv_handler=1)"
                             : "");
    // Every address the host kernel can give this process. Address 0 is included: the
    // kernel decides whether page 0 is mapped, and an access there faults like any other.
    g_default_begin.store(0, std::memory_order_relaxed);
    g_default_end.store(arch::host_user_end(), std::memory_order_release);
    errno = saved_errno;
  });
}

bool initialize_then_contains(std::uintptr_t p, std::size_t n) {
  if (t_range_ready) return false;  // a real refusal
  ensure_thread_range();
  return in_current_user_range(p, n);
}

}  // namespace umaccess::detail

using namespace umaccess::detail;

extern "C" umaccess_user_range umaccess_default_user_range(void) {
  ensure_initialized();
  return {g_default_begin.load(std::memory_order_relaxed),
          g_default_end.load(std::memory_order_acquire)};
}

extern "C" umaccess_user_range umaccess_get_user_range(void) {
  ensure_thread_range();
  return current_user_range();
}

extern "C" umaccess_ntstatus umaccess_enter_user_range(umaccess_range_scope* scope,
                                                       std::uintptr_t begin, std::uintptr_t end) {
  ensure_thread_range();
  if (scope == nullptr || begin > end || end > g_default_end.load(std::memory_order_acquire))
    return STATUS_INVALID_PARAMETER;
  scope->range = {begin, end};
  scope->saved = current_user_range();
  scope->outer = t_innermost_scope;
  t_innermost_scope = scope;
  set_current_user_range({begin, end});
  return STATUS_SUCCESS;
}

extern "C" void umaccess_leave_user_range(umaccess_range_scope* scope) {
  if (scope == nullptr || t_innermost_scope != scope)
    fatal("umaccess_leave_user_range: %p is not this thread's innermost user range scope "
          "(scopes must be left in reverse order, on the thread that entered them)",
          static_cast<void*>(scope));
  set_current_user_range(scope->saved);
  t_innermost_scope = static_cast<const umaccess_range_scope*>(scope->outer);
}
