// SPDX-License-Identifier: Apache-2.0
// tests/threads_test.cpp - several threads copying, filling and faulting at once, each
// checking every byte and every status.
#include <atomic>
#include <random>
#include <thread>

#include "support.h"

namespace umatest {
namespace {

void worker(unsigned seed, std::atomic<int>* errors) {
  GuardedRegion src(64 * 1024);
  GuardedRegion dst(64 * 1024);
  fill_pattern(src.begin(), src.size(), seed);
  std::mt19937 rng(seed);
  for (int i = 0; i < 20000; ++i) {
    const std::size_t len = 1 + rng() % 5000;
    const bool fault = rng() % 2 == 0;
    const std::size_t avail = fault ? rng() % len : len;
    const char* s = fault ? src.ending_at_guard(avail) : src.begin() + rng() % 64;
    char* d = dst.begin() + rng() % 64;
    std::memset(d, kCanary, len);
    try {
      if (rng() % 2) CopyFromUser(d, s, len); else CopyToUserFromUser(d, s, len);
      if (fault) ++*errors;
    } catch (const umaccess::StructuredException& e) {
      if (!fault || e.bytes_copied() != avail ||
          e.address() != reinterpret_cast<std::uintptr_t>(src.guard()))
        ++*errors;
    }
    if (first_mismatch(d, s, avail) != avail) ++*errors;
    if (first_not(d + avail, kCanary, len - avail) != len - avail) ++*errors;
    // Faults on the destination side, too.
    if (i % 8 == 0) {
      const std::size_t room = rng() % 200;
      try {
        FillUserMemory(dst.ending_at_guard(room), room + 1 + rng() % 300, 0x5A);
        ++*errors;
      } catch (const umaccess::StructuredException& e) {
        if (!e.is_write() || e.bytes_copied() != room) ++*errors;
      }
    }
  }
}

TEST(Threads, ConcurrentCopiesAndFaultsAreIndependent) {
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < 4; ++t) threads.emplace_back(worker, 100 + t, &errors);
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
}

TEST(Threads, FirstUseFromManyThreadsAtOnceInitializesOnce) {
  // In a fresh process, many threads race to the first user-mode access.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        std::atomic<int> recovered{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t)
          threads.emplace_back([&] {
            char d[8];
            for (int i = 0; i < 100; ++i) {
              if (umaccess_copy_from_user(d, nullptr, 8, nullptr) == STATUS_ACCESS_VIOLATION)
                ++recovered;
            }
          });
        for (auto& t : threads) t.join();
        _exit(recovered.load() == 800 ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace umatest
