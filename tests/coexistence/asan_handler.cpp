// SPDX-License-Identifier: Apache-2.0
// tests/coexistence/asan_handler.cpp - umaccess beside AddressSanitizer's own SIGSEGV/SIGBUS
// handler. Built and run only in a build with -DUMACCESS_SANITIZE containing "address";
// each ctest entry sets its own ASAN_OPTIONS (the rest of the ASan suite runs with ASan's
// handlers off), and names the mode:
//
//   recover, recover_lazy   handle_segv=1:handle_sigbus=1 (ASan's handler installed at start-up,
//                           user handlers allowed, the default of allow_user_segv_handler).
//                           umaccess installs its handler in front of ASan's (explicitly, or
//                           lazily on the first access) and recovers its own faults without an
//                           ASan report; a genuine wild access or SIGBUS is passed on to ASan's
//                           handler, which reports it ("AddressSanitizer: SEGV on unknown
//                           address ..."). If something puts ASan's handler back in front,
//                           umaccess faults become ASan reports until install_fault_handler()
//                           is called again.
//   exclusive               handle_segv=2:handle_sigbus=2, and
//   no_user_handler         handle_segv=1:handle_sigbus=1:allow_user_segv_handler=0: ASan
//                           intercepts sigaction() and silently ignores any new SIGSEGV/SIGBUS
//                           handler. umaccess's handler is never installed, so a umaccess fault
//                           is not recovered: ASan reports it and the process exits. This checks
//                           and documents that behaviour; such a process must not use these
//                           options.
//
// Scenarios that end the process run in a forked child whose stderr is captured and checked.
// Prints one line per check and exits non-zero if any failed.
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "support.h"

namespace {

using umatest::GuardedRegion;
using umatest::page_size;

int g_failed = 0;

void check(bool ok, const std::string& what) {
  std::printf("%s - %s\n", ok ? "ok" : "FAILED", what.c_str());
  std::fflush(stdout);
  if (!ok) ++g_failed;
}

struct sigaction current(int sig) {
  struct sigaction sa;
  sigaction(sig, nullptr, &sa);
  return sa;
}

bool is_handler(const struct sigaction& sa) {
  return sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN;
}

bool same_handler(const struct sigaction& a, const struct sigaction& b) {
  return a.sa_sigaction == b.sa_sigaction && (a.sa_flags & SA_SIGINFO) == (b.sa_flags & SA_SIGINFO);
}

// A file mapping whose second page lies past the end of the file: SIGBUS there.
char* truncated_end() {
  static char* end = [] {
    const int fd = memfd_create("asan-coexistence", 0);
    if (fd < 0 || ftruncate(fd, static_cast<off_t>(page_size())) != 0) return (char*)nullptr;
    auto* map = static_cast<char*>(
        mmap(nullptr, 2 * page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    return map == MAP_FAILED ? (char*)nullptr : map + page_size();
  }();
  return end;
}

// umaccess faults of both signals through both APIs, on this thread and three more; true if
// every one came back with the right status and progress.
bool umaccess_faults_recovered() {
  std::atomic<int> wrong{0};
  auto faults = [&wrong] {
    GuardedRegion region(page_size());
    char dst[128];
    for (int i = 0; i < 500; ++i) {
      std::size_t done = 0;
      const std::size_t avail = static_cast<std::size_t>(i % 64);
      wrong += umaccess_copy_from_user(dst, region.ending_at_guard(avail), 128, &done) !=
                   STATUS_ACCESS_VIOLATION ||
               done != avail;
      wrong += umaccess_copy_to_user(truncated_end() - avail, dst, 128, &done) !=
                   STATUS_IN_PAGE_ERROR ||
               done != avail;
      try {
        CopyFromUser(dst, region.ending_at_guard(avail), 128);
        ++wrong;
      } catch (const umaccess::StructuredException& e) {
        wrong += e.code() != STATUS_ACCESS_VIOLATION || e.bytes_copied() != avail;
      }
    }
  };
  faults();
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) threads.emplace_back(faults);
  for (auto& t : threads) t.join();
  return wrong.load() == 0;
}

struct ChildResult {
  int status = 0;
  std::string err;
};

// Runs `body` in a forked child with its stderr captured.
ChildResult in_child(const std::function<void()>& body) {
  int fds[2];
  if (pipe(fds) != 0) return {-1, "pipe failed"};
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], 2);
    body();
    _exit(0);
  }
  close(fds[1]);
  ChildResult r;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fds[0], buffer, sizeof buffer)) > 0) r.err.append(buffer, buffer + n);
  close(fds[0]);
  waitpid(pid, &r.status, 0);
  return r;
}

bool exited_with_failure(const ChildResult& r) {
  return WIFEXITED(r.status) && WEXITSTATUS(r.status) != 0;
}

std::string hex(std::uintptr_t a) {
  char text[32];
  std::snprintf(text, sizeof text, "0x%012lx", static_cast<unsigned long>(a));
  return text;
}

void wild_write(std::uintptr_t address) {
  volatile int* volatile wild = reinterpret_cast<int*>(address);
  *wild = 1;
}

// A foreign fault after umaccess's handler was installed reaches ASan's, which reports it.
void foreign_faults_reach_asan() {
  const ChildResult segv = in_child([] {
    char dst[8];
    (void)umaccess_copy_from_user(dst, nullptr, 8, nullptr);  // ours first: recovered
    wild_write(0x28);
  });
  check(exited_with_failure(segv) &&
            segv.err.find("AddressSanitizer: SEGV on unknown address " + hex(0x28)) !=
                std::string::npos,
        "a wild write is reported by ASan's handler, with its address");
  const ChildResult bus = in_child([] {
    volatile char* eof = truncated_end() + 3;
    *eof = 1;
  });
  check(exited_with_failure(bus) &&
            bus.err.find("AddressSanitizer: BUS on unknown address") != std::string::npos,
        "a foreign SIGBUS is reported by ASan's handler");
}

int run_recover(bool lazy) {
  const struct sigaction asan = current(SIGSEGV);
  const struct sigaction asan_bus = current(SIGBUS);
  check(is_handler(asan) && is_handler(asan_bus),
        "ASan's SIGSEGV and SIGBUS handlers are installed at start-up");
  if (!lazy) {
    umaccess::install_fault_handler();
    check(!same_handler(current(SIGSEGV), asan) && !same_handler(current(SIGBUS), asan_bus),
          "install_fault_handler() puts umaccess's handler in front of ASan's");
  }
  check(umaccess_faults_recovered(),
        "umaccess faults (SIGSEGV and SIGBUS, 4 threads, status API and exceptions) are "
        "recovered, with no ASan report");
  check(!same_handler(current(SIGSEGV), asan), "umaccess's handler is in front");
  foreign_faults_reach_asan();

  // Something (a library restoring what it saved) puts ASan's handler back in front: a
  // umaccess fault then goes to ASan, which reports it as a crash ...
  sigaction(SIGSEGV, &asan, nullptr);
  const ChildResult displaced = in_child([] {
    char dst[8];
    (void)umaccess_copy_from_user(dst, reinterpret_cast<void*>(0x30), 8, nullptr);
  });
  check(exited_with_failure(displaced) &&
            displaced.err.find("AddressSanitizer: SEGV on unknown address " + hex(0x30)) !=
                std::string::npos,
        "with ASan's handler back in front, a umaccess fault is an ASan report");
  // ... until install_fault_handler() puts ours in front again.
  umaccess::install_fault_handler();
  check(umaccess_faults_recovered(), "install_fault_handler() again: faults recovered");
  foreign_faults_reach_asan();
  return g_failed == 0 ? 0 : 1;
}

int run_refused() {
  const struct sigaction asan = current(SIGSEGV);
  check(is_handler(asan), "ASan's SIGSEGV handler is installed at start-up");
  errno = 0;
  const int installed = umaccess_install_fault_handler();
  const int error = errno;
  std::printf("umaccess_install_fault_handler() returned %d (errno %d)\n", installed, error);
  check(same_handler(current(SIGSEGV), asan),
        "ASan ignored the sigaction() that would install umaccess's handler");
  check(installed == -1 && error == ENOTSUP,
        "the install says so: -1 with ENOTSUP, not a silent success");
  // The first user-mode access cannot go on without the handler: it stops the process with
  // a message naming the ASan options, before touching the bad pointer.
  const ChildResult fault = in_child([] {
    char dst[8];
    (void)umaccess_copy_from_user(dst, reinterpret_cast<void*>(0x38), 8, nullptr);
    static const char msg[] = "the umaccess fault returned\n";
    (void)!write(2, msg, sizeof msg - 1);
  });
  check(!(WIFEXITED(fault.status) && WEXITSTATUS(fault.status) == 0) &&
            fault.err.find("cannot install the SIGSEGV/SIGBUS handler") != std::string::npos &&
            fault.err.find("allow_user_segv_handler=1") != std::string::npos &&
            fault.err.find("the umaccess fault returned") == std::string::npos,
        "the first access stops the process with a message naming the ASan options");
  return g_failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  int rc = 2;
  if (mode == "recover") rc = run_recover(false);
  else if (mode == "recover_lazy") rc = run_recover(true);
  else if (mode == "refused") rc = run_refused();
  else std::fprintf(stderr, "usage: %s recover|recover_lazy|refused\n", argv[0]);
  std::printf("%d failed\n", g_failed);
  return rc;
}
