// SPDX-License-Identifier: Apache-2.0
// src/fault_handler.cpp - the SIGSEGV/SIGBUS handler that turns faults inside umaccess
// kernels into a return through the kernel's fixup, and passes every other fault on.
//
// The handler keys on the faulting PC (never on the fault address): only an instruction in
// a covered range of an asm kernel, running with a non-NULL fault record, is recovered. It
// then writes the fault into two scratch registers of the interrupted context, points the
// PC at the range's fixup and returns; the kernel finishes in normal context and returns
// its result. No longjmp, no allocation, no locks, errno preserved.
//
// Everything else goes to the disposition that was installed before ours, the way the
// kernel would have delivered it: SA_SIGINFO or plain handler (with its signal mask and
// SA_NODEFER/SA_RESETHAND honoured), SIG_IGN, or SIG_DFL (once the same fault comes back,
// restore the default and let it happen again, so the process dies of the right signal with
// a core; a kernel-looking signal the process forged for itself never comes back and
// changes nothing).
#include <errno.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstring>
#include <mutex>

#include "arch.h"
#include "fault_table.h"
#include "kernels.h"
#include "plan.h"
#include "sealed.h"
#include "user_range.h"
#include "umaccess/umaccess.h"

namespace umaccess::detail {
namespace {

constexpr int kSignals[] = {SIGSEGV, SIGBUS};
constexpr int slot_of(int sig) { return sig == SIGSEGV ? 0 : 1; }

// Dispositions we chain to, one per signal, published as pointers so that a handler running
// on another thread always copies a complete sigaction (nullptr: SIG_DFL). Installs write a
// fresh slot of the pool (under g_install_mutex) before publishing it; a handler copies the
// struct right after loading the pointer, so a slot is not reused while read (the pool
// turns over only after 32 more installs). Sealed (sealed.h): a hostile "user" pointer must
// not be able to make us call an address of its choosing.
struct Dispositions {
  std::atomic<const struct sigaction*> previous[2];
  struct sigaction pool[32];
};
const struct sigaction kDefaultDisposition{};  // sa_handler == SIG_DFL
Sealed<Dispositions> g_dispositions;
unsigned g_previous_pool_next = 0;
// SA_RESETHAND emulation happens inside the handler, which cannot take the mutex a sealed
// write needs: it records here which published disposition the kernel would have reset to
// SIG_DFL. Outside the seal, but all a stray write can do is make us treat the previous
// handler as SIG_DFL.
std::atomic<const struct sigaction*> g_reset[2];
std::mutex g_install_mutex;
// Set once our handler has been installed (explicitly or by the first user-mode access).
// Guarded by g_install_mutex.
bool g_installed = false;

// The host's fault resolver (umaccess_set_fault_resolver), published from a sealed pool the
// same way (under g_resolver_mutex), so a handler never pairs one resolver with another's
// context.
struct Resolver {
  umaccess_fault_resolver function;
  void* context;
};
struct Resolvers {
  std::atomic<const Resolver*> current;
  Resolver pool[32];
};
Sealed<Resolvers> g_resolvers;
unsigned g_resolver_pool_next = 0;
std::mutex g_resolver_mutex;

// Both start read-only (zero: SIG_DFL before us, no resolver).
const bool g_sealed_at_load = (seal(g_dispositions), seal(g_resolvers), true);

// fork() in a multi-threaded program: a child must not inherit these mutexes locked by a
// thread that does not exist in it (its first install or resolver change would hang). Hold
// them across the fork; each is only ever taken alone, so the order cannot deadlock.
void lock_before_fork() {
  g_install_mutex.lock();
  g_resolver_mutex.lock();
}
void unlock_after_fork() {  // in the parent and in the child
  g_resolver_mutex.unlock();
  g_install_mutex.unlock();
}
const int g_fork_guard = pthread_atfork(lock_before_fork, unlock_after_fork, unlock_after_fork);

// The fault this thread is currently chaining, to detect a previous handler that calls back
// into ours for the same fault (a cycle after a re-install). A genuine cycle is a nested
// call: same siginfo, and a frame strictly deeper than the one that started chaining. The
// depth matters because a handler that siglongjmp'ed out leaves a stale record behind, and
// a later fault's siginfo may land at the very same address. initial-exec TLS lives in the
// static TLS block: never allocated lazily, safe to touch in a signal handler.
struct Chaining {
  const siginfo_t* info;
  std::uintptr_t frame;
};
__attribute__((tls_model("initial-exec"))) thread_local Chaining t_chaining = {nullptr, 0};

void on_fault_signal(int sig, siginfo_t* info, void* context);

// Set while this thread runs the host's fault resolver: a fault there is the resolver's own
// bug, and the process is told so before the fault takes its course.
__attribute__((tls_model("initial-exec"))) thread_local const void* t_resolving = nullptr;

// Async-signal-safe: write(2) of a fixed message with two addresses in hex.
void say_resolver_faulted(int sig, const void* at, const void* resolving) {
  char text[200];
  std::size_t n = 0;
  auto put = [&](const char* s) {
    while (*s != '\0' && n < sizeof text) text[n++] = *s++;
  };
  auto hex = [&](const void* p) {
    auto v = reinterpret_cast<std::uintptr_t>(p);
    char digits[2 + 16];
    int d = 0;
    do digits[d++] = "0123456789abcdef"[v & 15]; while ((v >>= 4) != 0);
    put("0x");
    while (d > 0 && n < sizeof text) text[n++] = digits[--d];
  };
  put("umaccess: the fault resolver itself raised ");
  put(sig == SIGBUS ? "SIGBUS" : "SIGSEGV");
  put(" at ");
  hex(at);
  put(" while resolving a fault at ");
  hex(resolving);
  put("; the fault is not recovered\n");
  const ssize_t ignored = write(2, text, n);
  (void)ignored;
}

bool is_ours(const struct sigaction& sa) {
  return (sa.sa_flags & SA_SIGINFO) != 0 && sa.sa_sigaction == on_fault_signal;
}

// The same handler (not a byte compare: glibc leaves parts of sa_mask and the padding
// uninitialized).
bool same_handler(const struct sigaction& a, const struct sigaction& b) {
  return ((a.sa_flags ^ b.sa_flags) & SA_SIGINFO) == 0 && a.sa_sigaction == b.sa_sigaction;
}

bool kernel_generated(const siginfo_t* info) { return info != nullptr && info->si_code > 0; }

// Faults raised by the instruction at the PC. BUS_MCEERR_AO reports poison found elsewhere,
// asynchronously: it is not about the interrupted instruction.
bool synchronous_fault(int sig, const siginfo_t* info) {
  if (!kernel_generated(info)) return false;
  return sig == SIGSEGV || (sig == SIGBUS && info->si_code != BUS_MCEERR_AO);
}

void restore_default(int sig) {
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, nullptr);
}

// A kernel-looking signal we let through once without acting on it: the instruction at `pc`
// runs again, and a real fault faults again at the same place.
struct PendingDefault {
  std::uintptr_t pc;
  const void* address;
  int sig, code;
};
__attribute__((tls_model("initial-exec"))) thread_local PendingDefault t_pending = {0, nullptr, 0, 0};

// Let the default action happen. A sent signal (si_code <= 0) is raised again with the
// default restored: it ends the process there and then. A kernel-looking one may still be
// forged (rt_tgsigqueueinfo lets a process queue itself any si_code): restoring the default
// and returning would then leave the process running without our handler. So the first
// time we change nothing and return; a real fault re-executes and faults again at the same
// PC with the same siginfo, and only then is the default restored, so that the third try
// ends the process of its own signal, with its own siginfo and a core. A forged signal
// never comes back: the process keeps its dispositions and our handler.
void take_default_action(int sig, const siginfo_t* info, void* context) {
  if (!kernel_generated(info) || context == nullptr) {
    restore_default(sig);
    raise(sig);
    return;
  }
  const std::uintptr_t pc = arch::context_pc(static_cast<ucontext_t*>(context));
  const PendingDefault seen = t_pending;
  if (seen.pc == pc && seen.address == info->si_addr && seen.sig == sig && seen.code == info->si_code) {
    t_pending = {0, nullptr, 0, 0};
    restore_default(sig);
    return;
  }
  t_pending = {pc, info->si_addr, sig, info->si_code};
}

void chain_to_previous(int sig, siginfo_t* info, void* context) {
  const struct sigaction* published =
      g_dispositions.value.previous[slot_of(sig)].load(std::memory_order_acquire);
  if (published == g_reset[slot_of(sig)].load(std::memory_order_acquire)) published = nullptr;
  const struct sigaction prev = published != nullptr ? *published : kDefaultDisposition;

  char marker;
  const auto frame = reinterpret_cast<std::uintptr_t>(&marker);
  if (t_chaining.info == info && frame < t_chaining.frame) {  // led back here: a cycle
    take_default_action(sig, info, context);
    return;
  }
  // SIG_DFL and SIG_IGN share storage with sa_sigaction: test them whatever the flags say
  // (the kernel itself leaves SA_SIGINFO set when SA_RESETHAND resets a handler).
  if (prev.sa_handler == SIG_DFL) {
    take_default_action(sig, info, context);
    return;
  }
  if (prev.sa_handler == SIG_IGN) {
    // The kernel never lets a synchronous fault be ignored: it forces the default action.
    if (synchronous_fault(sig, info)) restore_default(sig);
    return;
  }

  // Run the previous handler under the mask the kernel would have used for it: the
  // interrupted mask, plus its sa_mask, plus the signal itself unless SA_NODEFER.
  sigset_t mask = static_cast<ucontext_t*>(context)->uc_sigmask;
  for (int s = 1; s < NSIG; ++s)
    if (sigismember(&prev.sa_mask, s) == 1) sigaddset(&mask, s);
  if (!(prev.sa_flags & SA_NODEFER)) sigaddset(&mask, sig);
  if (prev.sa_flags & SA_RESETHAND) g_reset[slot_of(sig)].store(published, std::memory_order_release);
  const bool has_siginfo = (prev.sa_flags & SA_SIGINFO) != 0;
  sigset_t saved;
  pthread_sigmask(SIG_SETMASK, &mask, &saved);
  const Chaining outer = t_chaining;
  t_chaining = {info, frame};
  if (has_siginfo) prev.sa_sigaction(sig, info, context); else prev.sa_handler(sig);
  t_chaining = outer;
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
}

// Caller holds g_install_mutex.
void publish_previous(int sig, const struct sigaction& sa) {
  SealedWrite<Dispositions> dispositions(g_dispositions);
  struct sigaction* slot = &dispositions->pool[g_previous_pool_next++ % 32];
  *slot = sa;
  dispositions->previous[slot_of(sig)].store(slot, std::memory_order_release);
  g_reset[slot_of(sig)].store(nullptr, std::memory_order_release);
}

void on_fault_signal(int sig, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  if (!umaccess_try_handle_signal(sig, info, context)) {
    if (t_resolving != nullptr && synchronous_fault(sig, info))
      say_resolver_faulted(sig, info->si_addr, t_resolving);
    chain_to_previous(sig, info, context);
  }
  errno = saved_errno;
}

}  // namespace
}  // namespace umaccess::detail

using namespace umaccess::detail;

extern "C" int umaccess_try_handle_signal(int sig, void* siginfo, void* context) {
  const auto* info = static_cast<const siginfo_t*>(siginfo);
  if (!synchronous_fault(sig, info) || context == nullptr) return 0;
  auto* uc = static_cast<ucontext_t*>(context);
  const FaultRange* range = find_fault_range(arch::context_pc(uc));
  if (range == nullptr) return 0;
  if (arch::context_fault_record(uc) == 0) return 0;  // kernel-mode call: no recovery
  const arch::Direction direction = arch::fault_direction(uc);
  const bool is_write = direction == arch::Direction::Write;
  if (const Resolver* r = g_resolvers.value.current.load(std::memory_order_acquire)) {
    // The host may make the page accessible (demand paging, dirty tracking): then the
    // instruction simply runs again.
    const void* outer = t_resolving;
    t_resolving = info->si_addr;
    const int resolved = r->function(info->si_addr, is_write ? 1 : 0, r->context);
    t_resolving = outer;
    if (resolved != 0) return 1;
  }
  arch::redirect_to_fixup(uc, range->fixup, reinterpret_cast<std::uintptr_t>(info->si_addr),
                          FaultInfo::pack(sig, info->si_code, is_write,
                                          direction == arch::Direction::Unknown));
  return 1;
}

extern "C" void umaccess_set_fault_resolver(umaccess_fault_resolver resolver, void* context) {
  std::lock_guard<std::mutex> lock(g_resolver_mutex);
  SealedWrite<Resolvers> resolvers(g_resolvers);
  if (resolver == nullptr) {
    resolvers->current.store(nullptr, std::memory_order_release);
    return;
  }
  Resolver* slot = &resolvers->pool[g_resolver_pool_next++ % 32];
  *slot = {resolver, context};
  resolvers->current.store(slot, std::memory_order_release);
}

namespace {

// Puts ours in front for `sig`: 1 done, 0 the read-back did not find it (try again), -1
// sigaction failed. Caller holds g_install_mutex.
int install_one(int sig) {
  struct sigaction current;
  if (sigaction(sig, nullptr, &current) != 0) return -1;
  if (is_ours(current)) return 1;
  publish_previous(sig, current);
  struct sigaction ours;
  std::memset(&ours, 0, sizeof ours);
  ours.sa_sigaction = on_fault_signal;
  // SA_NODEFER: the kernel may deliver another signal (a timer, a SIGUSR1) on the way out
  // of ours; its handler then runs with our mask, and a umaccess fault there must not find
  // SIGSEGV blocked (the kernel would kill the process). A previous handler we chain to
  // still runs under its own mask (chain_to_previous).
  ours.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&ours.sa_mask);
  struct sigaction replaced;
  if (sigaction(sig, &ours, &replaced) != 0) return -1;
  if (!is_ours(replaced) && !same_handler(replaced, current))
    publish_previous(sig, replaced);  // someone installed in between: chain to theirs
  struct sigaction now;
  if (sigaction(sig, nullptr, &now) != 0) return -1;
  return is_ours(now) ? 1 : 0;
}

// Caller holds g_install_mutex.
int install_locked() {
  build_fault_table();
  for (int sig : kSignals) {
    // The read-back fails when a sanitizer's sigaction interceptor drops our handler while
    // reporting success (ASan with handle_segv=2 or allow_user_segv_handler=0): then it
    // fails every time. Another thread installing its own handler at the same moment makes
    // it fail once in a while: a few attempts tell the two apart.
    int done = 0;
    for (int attempt = 0; attempt < 8 && done == 0; ++attempt) done = install_one(sig);
    if (done < 0) return -1;
    if (done == 0) {
      errno = ENOTSUP;
      return -1;
    }
  }
  g_installed = true;
  return 0;
}

}  // namespace

extern "C" int umaccess_install_fault_handler(void) {
  std::lock_guard<std::mutex> lock(g_install_mutex);
  return install_locked();
}

int umaccess::detail::install_fault_handler_once() {
  std::lock_guard<std::mutex> lock(g_install_mutex);
  if (g_installed) return 0;  // an explicit install stands
  return install_locked();
}

std::vector<umaccess::detail::SealedRegion> umaccess::detail::sealed_regions() {
  return {{"fault table", fault_ranges(), sizeof(FaultRange)},
          {"published kernels and thresholds", &g_published, sizeof g_published},
          {"previous dispositions", &g_dispositions, sizeof g_dispositions},
          {"fault resolvers", &g_resolvers, sizeof g_resolvers}};
}
