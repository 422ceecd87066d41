// SPDX-License-Identifier: Apache-2.0
// tests/user_range_test.cpp - the user address range: the default, MmUserProbeAddress, and
// ScopedUserRange narrowing it per thread, nested.
#include <cstdlib>
#include <thread>

#include "support.h"

namespace umatest {
namespace {

using umaccess::ScopedUserRange;
using umaccess::UserRange;

TEST(UserRange, DefaultCoversEveryAddressTheKernelCanGiveUs) {
  const UserRange r = umaccess::default_user_range();
  EXPECT_EQ(r.begin, 0u);
#if defined(__x86_64__)
  // 4-level paging: 2^47 - 4 KiB; 5-level (LA57): 2^56 - 4 KiB.
  EXPECT_TRUE(r.end == (std::uintptr_t{1} << 47) - 4096 || r.end == (std::uintptr_t{1} << 56) - 4096)
      << std::hex << r.end;
#elif defined(__aarch64__)
  // 48-bit virtual addresses: 2^48; 52-bit: 2^52.
  EXPECT_TRUE(r.end == std::uintptr_t{1} << 48 || r.end == std::uintptr_t{1} << 52)
      << std::hex << r.end;
#endif
  int local = 0;
  EXPECT_LT(reinterpret_cast<std::uintptr_t>(&local), r.end) << "the stack must be user memory";
  // The top of the stack too (the auxiliary vector's strings lie just below it).
  EXPECT_LT(reinterpret_cast<std::uintptr_t>(getenv("PATH")), r.end);
  EXPECT_EQ(MmUserProbeAddress, r.end);
  EXPECT_EQ(MM_USER_PROBE_ADDRESS, r.end);
}

TEST(UserRange, ScopedRangeRefusesOutsideBeforeTouching) {
  GuardedRegion guest(4 * page_size());
  GuardedRegion host(page_size());
  fill_pattern(guest.begin(), guest.size(), 1);
  std::memset(host.begin(), 0x77, host.size());
  const auto g = reinterpret_cast<std::uintptr_t>(guest.begin());
  char dst[256];
  {
    ScopedUserRange scope({g, g + guest.size()});
    EXPECT_EQ(umaccess::user_range().begin, g);
    EXPECT_EQ(MmUserProbeAddress, g + guest.size());
    CopyFromUser(dst, guest.begin(), sizeof dst);                       // inside: fine
    auto e = expect_raise([&] { CopyFromUser(dst, host.begin(), 16); });  // outside
    EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(e.address(), reinterpret_cast<std::uintptr_t>(host.begin()));
    // Crossing the end: refused as a whole, the address is the range end, nothing copied.
    std::memset(dst, kCanary, sizeof dst);
    e = expect_raise([&] { CopyFromUser(dst, guest.guard() - 16, 32); });
    EXPECT_EQ(e.address(), g + guest.size());
    EXPECT_EQ(e.bytes_copied(), 0u);
    EXPECT_EQ(first_not(dst, kCanary, sizeof dst), sizeof dst);
    // Writes outside: the host buffer is not modified.
    e = expect_raise([&] { CopyToUser(host.begin(), dst, 16); });
    EXPECT_TRUE(e.is_write());
    EXPECT_EQ(first_not(host.begin(), 0x77, host.size()), host.size());
    // Kernel mode is not subject to the user range.
    CopyFromMode(dst, host.begin(), 16, KernelMode);
  }
  CopyFromUser(dst, host.begin(), 16);  // scope left: the default range again
}

// Every edge of a range, for every bulk check (source side, destination side, both, fill):
// [p, p + n) is refused, untouched and with signal 0, exactly when it does not lie inside;
// pointers below the range and lengths that wrap the address space included. The memory
// around the range is mapped, so a check that let one of these through would succeed (or
// fault with a signal) rather than be refused.
TEST(UserRange, RefusesExactlyWhatDoesNotLieInside) {
  const std::size_t page = page_size();
  GuardedRegion memory(3 * page);
  GuardedRegion kernel_side(4 * page);
  const auto b = reinterpret_cast<std::uintptr_t>(memory.begin()) + page;
  const std::uintptr_t e = b + page;
  const std::uintptr_t pointers[] = {b - 64, b - 1, b, b + 1, e - 64, e - 1, e, e + 1};
  ScopedUserRange scope({b, e});
  int cases = 0;
  for (const std::uintptr_t p : pointers) {
    const std::size_t wraps_to_begin = std::uintptr_t{0} - (p - b);  // (p - b) + n wraps to 0
    const std::size_t lengths[] = {0,        1,    63,       64,       65,
                                   page - 1, page, page + 1, SIZE_MAX, wraps_to_begin};
    for (const std::size_t n : lengths) {
      const bool inside = p >= b && p <= e && n <= e - p;
      auto* user = reinterpret_cast<void*>(p);
      // The other side of a user-to-user copy: always inside, where the length allows.
      auto* other = reinterpret_cast<void*>(n <= page ? e - n : b);
      const umaccess_ntstatus got[] = {
          umaccess_copy_from_user(kernel_side.begin(), user, n, nullptr),
          umaccess_copy_to_user(user, kernel_side.begin(), n, nullptr),
          umaccess_copy_to_user_from_user(other, user, n, nullptr),
          umaccess_copy_to_user_from_user(user, other, n, nullptr),
          umaccess_fill_user_memory(user, n, 0x5A, nullptr)};
      for (std::size_t op = 0; op < sizeof got / sizeof got[0]; ++op) {
        ++cases;
        SCOPED_TRACE(::testing::Message() << "operation " << op << ", p = range begin + "
                                          << static_cast<std::intptr_t>(p - b) << ", n = " << n);
        // Length 0 is never refused; a user-to-user copy whose other side lies outside is.
        const bool other_inside = op < 2 || op == 4 || n <= page;
        if ((inside && other_inside) || n == 0) {
          EXPECT_EQ(got[op], STATUS_SUCCESS);
          continue;
        }
        EXPECT_EQ(got[op], STATUS_ACCESS_VIOLATION);
        umaccess_failure f;
        ASSERT_EQ(umaccess_last_failure(&f), 1);
        EXPECT_EQ(f.signal, 0) << "refused by the check, not by a fault";
        EXPECT_EQ(f.bytes_done, 0u);
      }
    }
  }
  EXPECT_EQ(cases, 8 * 10 * 5);
}

TEST(UserRange, ScopesNestAndUnwindInOrder) {
  GuardedRegion outer_mem(2 * page_size());
  GuardedRegion inner_mem(page_size());
  const auto o = reinterpret_cast<std::uintptr_t>(outer_mem.begin());
  const auto i = reinterpret_cast<std::uintptr_t>(inner_mem.begin());
  char dst[8];
  ScopedUserRange outer({o, o + outer_mem.size()});
  {
    ScopedUserRange inner({i, i + inner_mem.size()});
    CopyFromUser(dst, inner_mem.begin(), 8);
    EXPECT_EQ(expect_raise([&] { CopyFromUser(dst, outer_mem.begin(), 8); }).code(),
              STATUS_ACCESS_VIOLATION);
  }
  CopyFromUser(dst, outer_mem.begin(), 8);
  EXPECT_EQ(expect_raise([&] { CopyFromUser(dst, inner_mem.begin(), 8); }).code(),
            STATUS_ACCESS_VIOLATION);
}

TEST(UserRange, ScopesArePerThread) {
  GuardedRegion mem(page_size());
  const auto m = reinterpret_cast<std::uintptr_t>(mem.begin());
  ScopedUserRange empty({m, m});  // nothing is user memory on this thread
  char dst[8];
  EXPECT_EQ(expect_raise([&] { CopyFromUser(dst, mem.begin(), 8); }).code(), STATUS_ACCESS_VIOLATION);
  std::thread other([&] {
    char d[8];
    CopyFromUser(d, mem.begin(), 8);  // the default range on this thread
    EXPECT_EQ(umaccess::user_range().end, umaccess::default_user_range().end);
  });
  other.join();
}

TEST(UserRange, InvalidScopesAreRejected) {
  const std::uintptr_t end = umaccess::default_user_range().end;
  EXPECT_THROW(ScopedUserRange({0x2000, 0x1000}), std::invalid_argument);
  EXPECT_THROW(ScopedUserRange({0, end + 1}), std::invalid_argument);
  EXPECT_THROW(ScopedUserRange({0, UINTPTR_MAX}), std::invalid_argument);
  umaccess_range_scope scope;
  EXPECT_EQ(umaccess_enter_user_range(&scope, 10, 5), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(umaccess::user_range().end, end) << "a rejected scope must not be entered";
}

TEST(UserRangeDeathTest, LeavingScopesOutOfOrderIsFatal) {
  EXPECT_DEATH(
      {
        umaccess_range_scope a;
        umaccess_range_scope b;
        umaccess_enter_user_range(&a, 0, 4096);
        umaccess_enter_user_range(&b, 0, 8192);
        umaccess_leave_user_range(&a);
      },
      "not this thread's innermost user range scope");
}

}  // namespace
}  // namespace umatest
