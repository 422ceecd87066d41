// SPDX-License-Identifier: Apache-2.0
// tests/sanitizer_test.cpp - in a sanitizer build, the assembly kernels' accesses to the
// caller's own buffers are visible to the sanitizer (src/sanitizer_checks.h): an overflow of
// a kernel-side heap buffer is an AddressSanitizer report, a race on one is a ThreadSanitizer
// report. User-side buffers stay untrusted: whatever they point at, the result is a status.
// Outside sanitizer builds this file has no tests.
#include <thread>

#include "support.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace umatest {
namespace {

#if defined(__SANITIZE_ADDRESS__)

// Heap buffers the compiler cannot see through (no instrumented access of ours touches them
// out of bounds: only the kernels do).
struct HeapBuffers {
  std::vector<char>* user = new std::vector<char>(64, 'u');
  char* kernel = new char[16];
  ~HeapBuffers() {
    delete user;
    delete[] kernel;
  }
};

TEST(AsanDeathTest, CopyFromUserPastTheEndOfAHeapDestinationIsReported) {
  EXPECT_DEATH(
      {
        HeapBuffers b;
        CopyFromUser(b.kernel, b.user->data(), 32);
      },
      "AddressSanitizer: heap-buffer-overflow.*\n.*WRITE of size 32");
}

TEST(AsanDeathTest, CopyToUserPastTheEndOfAHeapSourceIsReported) {
  EXPECT_DEATH(
      {
        HeapBuffers b;
        CopyToUser(b.user->data(), b.kernel, 17);
      },
      "AddressSanitizer: heap-buffer-overflow.*\n.*READ of size 17");
}

TEST(AsanDeathTest, KernelModeCopyAndFillCheckBothBuffers) {
  EXPECT_DEATH(
      {
        HeapBuffers b;
        CopyFromMode(b.user->data(), b.kernel, 20, KernelMode);
      },
      "AddressSanitizer: heap-buffer-overflow.*\n.*READ of size 20");
  EXPECT_DEATH(
      {
        HeapBuffers b;
        FillModeMemory(b.kernel, 24, 0, KernelMode);
      },
      "AddressSanitizer: heap-buffer-overflow.*\n.*WRITE of size 24");
}

TEST(AsanDeathTest, UseAfterFreeOfTheKernelSideBufferIsReported) {
  EXPECT_DEATH(
      {
        char user[8] = {};
        char* freed = new char[8];
        delete[] freed;
        CopyFromUser(freed, user, sizeof user);
      },
      "AddressSanitizer: heap-use-after-free");
}

TEST(Asan, ThePoisonOfAUserSideBufferIsNotOurBusiness) {
  // A guest's memory is what it is: poisoned (here by hand) or not, the copy is a copy.
  std::vector<char> user(64, 'u');
  char kernel[64];
  ASAN_POISON_MEMORY_REGION(user.data(), user.size());
  CopyFromUser(kernel, user.data(), sizeof kernel);
  FillUserMemory(user.data(), user.size(), 'f');
  ASAN_UNPOISON_MEMORY_REGION(user.data(), user.size());
  EXPECT_EQ(kernel[63], 'u');
  EXPECT_EQ(user[0], 'f');
}

TEST(Asan, ExactFitIsNotReported) {
  HeapBuffers b;
  CopyFromUser(b.kernel, b.user->data(), 16);
  CopyToUser(b.user->data(), b.kernel, 16);
  EXPECT_EQ(b.kernel[15], 'u');
}

#endif  // __SANITIZE_ADDRESS__

#if defined(__SANITIZE_THREAD__)

// A kernel's write to the caller's buffer races with a plain write from another thread; TSan
// sees it only because the library declares the kernel-side range. The child process exits
// with TSan's exit code (66) when it reported the race.
TEST(TsanDeathTest, ARaceOnAKernelSideBufferIsReported) {
  EXPECT_EXIT(
      {
        static char user[64];
        static char kernel[64];
        std::thread writer([] { kernel[10] = 1; });
        CopyFromUser(kernel, user, sizeof kernel);
        writer.join();
        std::exit(0);
      },
      testing::ExitedWithCode(66), "WARNING: ThreadSanitizer: data race");
}

TEST(Tsan, CopiesOrderedByAJoinAreNotARace) {
  static char user[64];
  static char kernel[64];
  std::thread writer([] { kernel[10] = 1; });
  writer.join();
  CopyFromUser(kernel, user, sizeof kernel);
  EXPECT_EQ(kernel[10], 0);
}

#endif  // __SANITIZE_THREAD__

}  // namespace
}  // namespace umatest
