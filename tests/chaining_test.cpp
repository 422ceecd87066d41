// SPDX-License-Identifier: Apache-2.0
// tests/chaining_test.cpp - faults that are not ours reach whatever handled them before us,
// the way the kernel would have delivered them; umaccess faults are recovered whoever else
// is installed. Each scenario runs in a fresh child process (death test, "threadsafe"
// style: the child re-executes the binary), so it starts with no handler installed.
#include <errno.h>
#include <atomic>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "support.h"

namespace umatest {
namespace {

using ::testing::ExitedWithCode;
using ::testing::KilledBySignal;

void raw_fault() {
  volatile int* volatile bad = reinterpret_cast<int*>(16);
  *bad = 1;
}

// A umaccess fault is recovered (and reported) whatever else is installed.
void expect_recovered() {
  char dst[8];
  try {
    CopyFromUser(dst, nullptr, 8);
  } catch (const umaccess::StructuredException& e) {
    if (e.code() == STATUS_ACCESS_VIOLATION) return;
  }
  _exit(99);
}

class Chaining : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(Chaining, AppHandlerInstalledBeforeUsGetsForeignFaults) {
  EXPECT_EXIT(
      {
        install_siginfo(SIGSEGV, [](int, siginfo_t* info, void*) {
          _exit(info->si_addr == reinterpret_cast<void*>(16) ? 42 : 1);
        });
        umaccess::install_fault_handler();
        expect_recovered();
        raw_fault();
      },
      ExitedWithCode(42), "");
}

TEST_F(Chaining, WithoutAnyHandlerAForeignFaultKillsWithSigsegv) {
  EXPECT_EXIT(
      {
        signal(SIGSEGV, SIG_DFL);
        expect_recovered();  // installs ours automatically
        raw_fault();
      },
      KilledBySignal(SIGSEGV), "");
}

TEST_F(Chaining, IgnoredSigsegvStillKillsOnARealFault) {
  EXPECT_EXIT(
      {
        signal(SIGSEGV, SIG_IGN);
        expect_recovered();
        raw_fault();
      },
      KilledBySignal(SIGSEGV), "");
}

TEST_F(Chaining, PlainHandlerIsCalledWithTheSignalNumber) {
  EXPECT_EXIT(
      {
        signal(SIGSEGV, [](int sig) { _exit(sig == SIGSEGV ? 41 : 1); });
        expect_recovered();
        raw_fault();
      },
      ExitedWithCode(41), "");
}

TEST_F(Chaining, HandlerInstalledAfterUsCanPassFaultsToUsFirst) {
  EXPECT_EXIT(
      {
        umaccess::install_fault_handler();
        install_siginfo(SIGSEGV, [](int sig, siginfo_t* info, void* ctx) {
          if (umaccess::try_handle_signal(sig, info, ctx)) return;
          _exit(43);
        });
        expect_recovered();
        raw_fault();
      },
      ExitedWithCode(43), "");
}

TEST_F(Chaining, ReinstallingPutsUsInFrontOfAHandlerThatDisplacedUs) {
  EXPECT_EXIT(
      {
        umaccess::install_fault_handler();
        install_siginfo(SIGSEGV, [](int, siginfo_t*, void*) { _exit(44); });
        umaccess::install_fault_handler();
        umaccess::install_fault_handler();  // idempotent
        expect_recovered();
        raw_fault();
      },
      ExitedWithCode(44), "");
}

struct sigaction g_saved_by_app;

TEST_F(Chaining, AHandlerThatChainsBackToUsDoesNotLoopForever) {
  EXPECT_EXIT(
      {
        umaccess::install_fault_handler();
        struct sigaction app;
        std::memset(&app, 0, sizeof app);
        app.sa_flags = SA_SIGINFO;
        app.sa_sigaction = [](int sig, siginfo_t* info, void* ctx) {
          g_saved_by_app.sa_sigaction(sig, info, ctx);  // chains to us, who chain to it...
        };
        sigaction(SIGSEGV, &app, &g_saved_by_app);
        umaccess::install_fault_handler();
        expect_recovered();
        raw_fault();
      },
      KilledBySignal(SIGSEGV), "");
}

TEST_F(Chaining, PreviousHandlersSignalMaskIsApplied) {
  EXPECT_EXIT(
      {
        struct sigaction sa;
        std::memset(&sa, 0, sizeof sa);
        sa.sa_flags = SA_SIGINFO;
        sa.sa_sigaction = [](int, siginfo_t*, void*) {
          sigset_t now;
          pthread_sigmask(SIG_SETMASK, nullptr, &now);
          _exit(sigismember(&now, SIGUSR1) == 1 && sigismember(&now, SIGSEGV) == 1 ? 47 : 48);
        };
        sigemptyset(&sa.sa_mask);
        sigaddset(&sa.sa_mask, SIGUSR1);
        sigaction(SIGSEGV, &sa, nullptr);
        umaccess::install_fault_handler();
        raw_fault();
      },
      ExitedWithCode(47), "");
}

sigjmp_buf g_resume;

TEST_F(Chaining, ResetHandIsHonouredForTheNextFault) {
  EXPECT_EXIT(
      {
        install_siginfo(
            SIGSEGV,
            [](int, siginfo_t*, void*) {
              static const char msg[] = "one-shot handler ran\n";
              (void)!write(2, msg, sizeof msg - 1);
              siglongjmp(g_resume, 1);
            },
            SA_RESETHAND);
        umaccess::install_fault_handler();
        if (sigsetjmp(g_resume, 1) == 0) raw_fault();
        expect_recovered();  // we are still installed
        raw_fault();         // the one-shot handler is gone: default action
      },
      KilledBySignal(SIGSEGV), "one-shot handler ran");
}

TEST_F(Chaining, AHandlerThatLongjmpsOutIsReachedOnEveryFault) {
  // The sigsetjmp-guard pattern: the app's handler never returns to us. Repeated faults at
  // the same depth put their siginfo at the same address; none may look like a cycle.
  EXPECT_EXIT(
      {
        install_siginfo(SIGSEGV, [](int, siginfo_t*, void*) { siglongjmp(g_resume, 1); });
        umaccess::install_fault_handler();
        volatile int caught = 0;
        for (volatile int i = 0; i < 3; ++i) {
          if (sigsetjmp(g_resume, 1) == 0) raw_fault(); else caught = caught + 1;
        }
        expect_recovered();
        _exit(50 + caught);
      },
      ExitedWithCode(53), "");
}

TEST_F(Chaining, SentSigsegvWithDefaultDispositionKills) {
  EXPECT_EXIT(
      {
        expect_recovered();
        kill(getpid(), SIGSEGV);
        sleep(5);
        _exit(0);
      },
      KilledBySignal(SIGSEGV), "");
}

// A SIGSEGV with a kernel-looking siginfo that the process queues to itself, outside any
// copy, with no handler before ours: it must not change the process's dispositions (before,
// umaccess restored SIG_DFL and returned: the process ran on without our handler, and the
// next bad user pointer killed it). A real fault still kills (the test above).
// Queues this thread a SIGSEGV that looks like the kernel's: a fault's si_code, address 0x1000.
void forge_sigsegv(int code) {
  siginfo_t forged;
  std::memset(&forged, 0, sizeof forged);
  forged.si_signo = SIGSEGV;
  forged.si_code = code;
  forged.si_addr = reinterpret_cast<void*>(0x1000);
  syscall(SYS_rt_tgsigqueueinfo, getpid(), static_cast<pid_t>(syscall(SYS_gettid)), SIGSEGV,
          &forged);
}

TEST_F(Chaining, ForgedKernelLookingSigsegvLeavesOurHandlerInstalled) {
#ifdef UMACCESS_TESTS_UNDER_EMULATOR
  // qemu-user 7.2 takes a SIGSEGV queued with a fault's si_code for its own guest fault and
  // aborts (cpu-exec.c: assertion cpu == current_cpu). The logic is the same C++ everywhere.
  GTEST_SKIP() << "qemu-user cannot deliver a forged SIGSEGV";
#endif
  for (int code : {SEGV_MAPERR, SEGV_ACCERR}) {
    EXPECT_EXIT(
        {
          signal(SIGSEGV, SIG_DFL);
          expect_recovered();
          forge_sigsegv(code);
          struct sigaction now;
          sigaction(SIGSEGV, nullptr, &now);
          if (now.sa_handler == SIG_DFL) _exit(3);
          expect_recovered();
          raw_fault();  // and a real foreign fault still ends the process
          _exit(7);
        },
        KilledBySignal(SIGSEGV), "")
        << code;
  }
  // With a handler before ours, the forged signal goes to it and ours stays installed.
  EXPECT_EXIT(
      {
        install_siginfo(SIGSEGV, [](int, siginfo_t* info, void*) {
          if (info->si_addr != reinterpret_cast<void*>(0x1000)) _exit(1);
        });
        umaccess::install_fault_handler();
        forge_sigsegv(SEGV_MAPERR);
        expect_recovered();
        _exit(42);
      },
      ExitedWithCode(42), "");
}

TEST_F(Chaining, ForeignSigbusReachesTheAppHandler) {
  EXPECT_EXIT(
      {
        install_siginfo(SIGBUS, [](int, siginfo_t* info, void*) {
          _exit(info->si_code == BUS_ADRERR ? 45 : 1);
        });
        expect_recovered();
        const int fd = memfd_create("chaining", 0);
        (void)!ftruncate(fd, 4096);
        auto* p = static_cast<volatile char*>(
            mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
        p[4096] = 1;  // beyond end of file
      },
      ExitedWithCode(45), "");
}

TEST_F(Chaining, IgnoredWithSaSiginfoSetIsStillIgnoredForSentSignals) {
  // sa_handler and sa_sigaction share storage: SIG_IGN with SA_SIGINFO set must not be
  // called as a function.
  EXPECT_EXIT(
      {
        struct sigaction sa;
        std::memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_IGN;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGBUS, &sa, nullptr);
        umaccess::install_fault_handler();
        kill(getpid(), SIGBUS);
        _exit(0);
      },
      ExitedWithCode(0), "");
}

TEST_F(Chaining, DefaultLeftBySaResetHandWithSaSiginfoKillsWithTheRightSignal) {
  // After delivering an SA_SIGINFO|SA_RESETHAND handler the kernel leaves SIG_DFL with
  // SA_SIGINFO still set; chaining to it must act as SIG_DFL.
  EXPECT_EXIT(
      {
        install_siginfo(SIGBUS, [](int, siginfo_t*, void*) {}, SA_RESETHAND);
        raise(SIGBUS);  // delivered once: now {SIG_DFL, SA_SIGINFO|SA_RESETHAND}
        umaccess::install_fault_handler();
        raise(SIGBUS);
        _exit(0);
      },
      KilledBySignal(SIGBUS), "");
}

TEST(ChainingInProcess, ErrnoIsPreservedAcrossARecoveredFault) {
  char dst[8];
  errno = EDOM;
  EXPECT_EQ(umaccess_copy_from_user(dst, nullptr, 8, nullptr), STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(errno, EDOM);
}

TEST(ChainingInProcess, TryHandleSignalDeclinesWhatIsNotOurs) {
  siginfo_t info;
  std::memset(&info, 0, sizeof info);
  info.si_code = SEGV_MAPERR;
  ucontext_t uc;
  std::memset(&uc, 0, sizeof uc);  // PC 0: not in any kernel
  EXPECT_FALSE(umaccess::try_handle_signal(SIGSEGV, &info, &uc));
  EXPECT_FALSE(umaccess::try_handle_signal(SIGSEGV, nullptr, &uc));
  EXPECT_FALSE(umaccess::try_handle_signal(SIGILL, &info, &uc));
  info.si_code = SI_USER;  // sent by kill(): never treated as a fault of ours
  EXPECT_FALSE(umaccess::try_handle_signal(SIGSEGV, &info, &uc));
}

}  // namespace
}  // namespace umatest

namespace umatest {
namespace {

// A host that maps pages on demand: the resolver makes the page accessible and the copy
// goes through; a resolver that declines leaves the fault to become a status.
std::atomic<int> g_resolver_calls{0};

TEST(FaultResolver, MakesThePageAccessibleAndTheCopySucceeds) {
  GuardedRegion region(2 * page_size());
  fill_pattern(region.begin(), page_size(), 11);
  char* lazy = region.begin() + page_size();
  region.protect(page_size(), page_size(), PROT_NONE);
  struct Context {
    char* page;
    bool write_seen;
  } ctx{lazy, false};
  umaccess::set_fault_resolver(
      [](void* address, int is_write, void* c) -> int {
        auto* context = static_cast<Context*>(c);
        ++g_resolver_calls;
        if (static_cast<char*>(address) < context->page ||
            static_cast<char*>(address) >= context->page + page_size())
          return 0;
        context->write_seen |= is_write != 0;
        return mprotect(context->page, page_size(), PROT_READ | PROT_WRITE) == 0;
      },
      &ctx);
  char dst[512];
  CopyFromUser(dst, lazy - 100, 300);  // faults on the lazy page, resolved, completes
  EXPECT_EQ(first_mismatch(dst, lazy - 100, 300), 300u);
  EXPECT_GE(g_resolver_calls.load(), 1);
  region.protect(page_size(), page_size(), PROT_READ);
  CopyToUser(lazy, dst, 64);  // a write fault on a read-only page, resolved as well
  EXPECT_TRUE(ctx.write_seen);
  // Outside the lazy page the resolver declines: the usual status.
  const auto e = expect_raise([&] { CopyFromUser(dst, region.guard() - 8, 16); });
  EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(e.bytes_copied(), 8u);
  umaccess::set_fault_resolver(nullptr);
}

// A resolver with a bug of its own (it dereferences a bad pointer): the process dies of that
// fault, as it would without umaccess, but is told why first.
TEST_F(Chaining, AResolverThatFaultsIsNamedBeforeTheProcessDies) {
#if defined(__SANITIZE_THREAD__)
  // TSan runs our handler from its wrapper with SIGSEGV blocked and without SA_NODEFER, so
  // the resolver's own fault kills the process before our handler sees it.
  GTEST_SKIP() << "ThreadSanitizer delivers SIGSEGV with SIGSEGV blocked";
#endif
  EXPECT_EXIT(
      {
        signal(SIGSEGV, SIG_DFL);
        GuardedRegion region(page_size());
        umaccess::set_fault_resolver(
            [](void*, int, void*) -> int {
              raw_fault();  // the resolver's own bug
              return 0;
            },
            nullptr);
        char dst[16];
        CopyFromUser(dst, region.guard() - 8, 16);
        _exit(0);
      },
      KilledBySignal(SIGSEGV),
      "umaccess: the fault resolver itself raised SIGSEGV at 0x10 while resolving a fault at "
      "0x[0-9a-f]+; the fault is not recovered");
}

}  // namespace
}  // namespace umatest
