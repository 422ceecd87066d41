// SPDX-License-Identifier: Apache-2.0
// tests/sigbus_test.cpp - a file mapping that shrinks under the reader: the pages beyond
// the new end of file raise SIGBUS, which must become STATUS_IN_PAGE_ERROR, with the same
// exact progress as an access violation.
#include <sys/mman.h>
#include <unistd.h>

#include <thread>

#include "support.h"

namespace umatest {
namespace {

class ShrunkMapping : public VariantFixture<std::string> {
 protected:
  void SetUp() override {
    select(GetParam());
    fd_ = memfd_create("umaccess-sigbus", 0);
    ASSERT_GE(fd_, 0);
    ASSERT_EQ(ftruncate(fd_, static_cast<off_t>(4 * page_size())), 0);
    void* p = mmap(nullptr, 4 * page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    ASSERT_NE(p, MAP_FAILED);
    map_ = static_cast<char*>(p);
    fill_pattern(map_, 4 * page_size(), 9);
    // Shrink to 1.5 pages: page 1 stays (zero-filled past EOF), pages 2 and 3 are gone.
    ASSERT_EQ(ftruncate(fd_, static_cast<off_t>(page_size() + page_size() / 2)), 0);
    lost_ = map_ + 2 * page_size();
  }
  void TearDown() override {
    munmap(map_, 4 * page_size());
    close(fd_);
    VariantFixture::TearDown();
  }
  int fd_ = -1;
  char* map_ = nullptr;
  char* lost_ = nullptr;  // first byte of the first page beyond end of file
};

TEST_P(ShrunkMapping, ReadsRaiseInPageErrorWithExactProgress) {
  for (std::size_t avail : {0, 1, 17, 50, 300}) {
    for (std::size_t len : {avail + 1, avail + 64, avail + 5000}) {
      std::vector<char> dst(len, 0);
      const auto e = expect_raise([&] { CopyFromUser(dst.data(), lost_ - avail, len); });
      EXPECT_EQ(e.code(), STATUS_IN_PAGE_ERROR);
      EXPECT_EQ(e.address(), reinterpret_cast<std::uintptr_t>(lost_));
      EXPECT_FALSE(e.is_write());
      EXPECT_EQ(e.bytes_copied(), avail);
      EXPECT_EQ(first_mismatch(dst.data(), lost_ - avail, avail), avail);
      const auto nt = expect_raise([&] { CopyFromUserNonTemporal(dst.data(), lost_ - avail, len); });
      EXPECT_EQ(nt.code(), STATUS_IN_PAGE_ERROR);
      EXPECT_EQ(nt.bytes_copied(), avail);
    }
  }
}

TEST_P(ShrunkMapping, WritesFillsAndProbesRaiseInPageError) {
  std::vector<char> src(8192, 7);
  auto w = expect_raise([&] { CopyToUser(lost_ - 30, src.data(), 64); });
  EXPECT_EQ(w.code(), STATUS_IN_PAGE_ERROR);
  EXPECT_TRUE(w.is_write());
  EXPECT_EQ(w.bytes_copied(), 30u);
  auto f = expect_raise([&] { FillUserMemory(lost_ - 10, 5000, 0x11); });
  EXPECT_EQ(f.code(), STATUS_IN_PAGE_ERROR);
  EXPECT_EQ(f.bytes_copied(), 10u);
  auto p = expect_raise([&] { ProbeForWrite(map_, 4 * page_size(), 1); });
  EXPECT_EQ(p.code(), STATUS_IN_PAGE_ERROR);
  EXPECT_EQ(p.address(), reinterpret_cast<std::uintptr_t>(lost_));
  EXPECT_TRUE(p.is_write());
  size_t done = 99;
  EXPECT_EQ(umaccess_copy_from_user(src.data(), lost_ - 3, 10, &done), STATUS_IN_PAGE_ERROR);
  EXPECT_EQ(done, 3u);
  umaccess_failure failure;
  ASSERT_EQ(umaccess_last_failure(&failure), 1);
  EXPECT_EQ(failure.signal, SIGBUS);
  EXPECT_EQ(failure.signal_code, BUS_ADRERR);
}

TEST_P(ShrunkMapping, FileShrinkingWhileAnotherThreadCopies) {
  ASSERT_EQ(ftruncate(fd_, static_cast<off_t>(4 * page_size())), 0);
  std::vector<char> dst(4 * page_size());
  std::thread shrinker([&] {
    for (int i = 0; i < 200; ++i) {
      (void)ftruncate(fd_, static_cast<off_t>(page_size()));
      (void)ftruncate(fd_, static_cast<off_t>(4 * page_size()));
    }
    (void)ftruncate(fd_, static_cast<off_t>(page_size()));
  });
  std::size_t failures = 0;
  for (int i = 0; i < 2000; ++i) {
    try {
      CopyFromUser(dst.data(), map_, 4 * page_size());
    } catch (const umaccess::StructuredException& e) {
      ASSERT_EQ(e.code(), STATUS_IN_PAGE_ERROR);
      ASSERT_GE(e.bytes_copied(), page_size());  // page 0 is always backed
      ++failures;
    }
  }
  shrinker.join();
  RecordProperty("faults_during_shrinking", static_cast<int>(failures));
  const auto e = expect_raise([&] { CopyFromUser(dst.data(), map_, 4 * page_size()); });
  EXPECT_EQ(e.bytes_copied(), page_size());
}

INSTANTIATE_TEST_SUITE_P(AllVariants, ShrunkMapping, ::testing::ValuesIn(supported_variants()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace umatest
