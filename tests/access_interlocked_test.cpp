// SPDX-License-Identifier: Apache-2.0
// tests/access_interlocked_test.cpp - InterlockedCompareExchange[64]ToUser,
// InterlockedOr[64]ToUser, InterlockedAnd[64]ToUser, their ...ToMode forms (UserMode,
// KernelMode, another non-zero mode) and the Rtl* primitives: the original value returned,
// the store (only on a match for compare-exchange, never beyond the destination),
// misalignment, read-only and inaccessible pages, the user range, atomicity under
// contention and the full barrier.
#include <atomic>
#include <chrono>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "support.h"

namespace umatest {
namespace {

using ::testing::KilledBySignal;
using umaccess::ScopedUserRange;
using umaccess::StructuredException;

constexpr KPROCESSOR_MODE kOtherMode = 7;  // any mode but KernelMode takes the user path

enum class Kind { CompareExchange, Or, And };

// One accessor form, all with the signature (Destination, Value, Comperand); Or and And
// ignore the comperand. `operation` is what StructuredException::operation() reports;
// the Rtl* primitives may report their own name or that of the accessor they implement.
template <class T>
struct Form {
  const char* label;
  Kind kind;
  bool kernel;  // KernelMode: no range check, no recovery (alignment is still checked)
  const char* operation;
  const char* alternative_operation;
  T (*op)(volatile T*, T value, T comperand);
};

std::vector<Form<LONG>> forms32() {
  using K = Kind;
  return {
      {"InterlockedCompareExchangeToUser", K::CompareExchange, false,
       "InterlockedCompareExchangeToUser", nullptr,
       [](volatile LONG* d, LONG v, LONG c) { return InterlockedCompareExchangeToUser(d, v, c); }},
      {"InterlockedCompareExchangeToMode(UserMode)", K::CompareExchange, false,
       "InterlockedCompareExchangeToMode", nullptr,
       [](volatile LONG* d, LONG v, LONG c) {
         return InterlockedCompareExchangeToMode(d, v, c, UserMode);
       }},
      {"InterlockedCompareExchangeToMode(7)", K::CompareExchange, false,
       "InterlockedCompareExchangeToMode", nullptr,
       [](volatile LONG* d, LONG v, LONG c) {
         return InterlockedCompareExchangeToMode(d, v, c, kOtherMode);
       }},
      {"InterlockedCompareExchangeToMode(KernelMode)", K::CompareExchange, true,
       "InterlockedCompareExchangeToMode", nullptr,
       [](volatile LONG* d, LONG v, LONG c) {
         return InterlockedCompareExchangeToMode(d, v, c, KernelMode);
       }},
      {"RtlInterlockedCompareExchange32ToUser", K::CompareExchange, false,
       "RtlInterlockedCompareExchange32ToUser", "InterlockedCompareExchangeToUser",
       [](volatile LONG* d, LONG v, LONG c) {
         return RtlInterlockedCompareExchange32ToUser(d, v, c);
       }},
      {"InterlockedOrToUser", K::Or, false, "InterlockedOrToUser", nullptr,
       [](volatile LONG* d, LONG v, LONG) { return InterlockedOrToUser(d, v); }},
      {"InterlockedOrToMode(UserMode)", K::Or, false, "InterlockedOrToMode", nullptr,
       [](volatile LONG* d, LONG v, LONG) { return InterlockedOrToMode(d, v, UserMode); }},
      {"InterlockedOrToMode(7)", K::Or, false, "InterlockedOrToMode", nullptr,
       [](volatile LONG* d, LONG v, LONG) { return InterlockedOrToMode(d, v, kOtherMode); }},
      {"InterlockedOrToMode(KernelMode)", K::Or, true, "InterlockedOrToMode", nullptr,
       [](volatile LONG* d, LONG v, LONG) { return InterlockedOrToMode(d, v, KernelMode); }},
      {"RtlInterlockedOr32ToUser", K::Or, false, "RtlInterlockedOr32ToUser",
       "InterlockedOrToUser",
       [](volatile LONG* d, LONG v, LONG) { return RtlInterlockedOr32ToUser(d, v); }},
      {"InterlockedAndToUser", K::And, false, "InterlockedAndToUser", nullptr,
       [](volatile LONG* d, LONG v, LONG) { return InterlockedAndToUser(d, v); }},
      {"InterlockedAndToMode(UserMode)", K::And, false, "InterlockedAndToMode", nullptr,
       [](volatile LONG* d, LONG v, LONG) { return InterlockedAndToMode(d, v, UserMode); }},
      {"InterlockedAndToMode(7)", K::And, false, "InterlockedAndToMode", nullptr,
       [](volatile LONG* d, LONG v, LONG) { return InterlockedAndToMode(d, v, kOtherMode); }},
      {"InterlockedAndToMode(KernelMode)", K::And, true, "InterlockedAndToMode", nullptr,
       [](volatile LONG* d, LONG v, LONG) { return InterlockedAndToMode(d, v, KernelMode); }},
      {"RtlInterlockedAnd32ToUser", K::And, false, "RtlInterlockedAnd32ToUser",
       "InterlockedAndToUser",
       [](volatile LONG* d, LONG v, LONG) { return RtlInterlockedAnd32ToUser(d, v); }},
  };
}

std::vector<Form<LONG64>> forms64() {
  using K = Kind;
  using T = LONG64;
  return {
      {"InterlockedCompareExchange64ToUser", K::CompareExchange, false,
       "InterlockedCompareExchange64ToUser", nullptr,
       [](volatile T* d, T v, T c) { return InterlockedCompareExchange64ToUser(d, v, c); }},
      {"InterlockedCompareExchange64ToMode(UserMode)", K::CompareExchange, false,
       "InterlockedCompareExchange64ToMode", nullptr,
       [](volatile T* d, T v, T c) { return InterlockedCompareExchange64ToMode(d, v, c, UserMode); }},
      {"InterlockedCompareExchange64ToMode(7)", K::CompareExchange, false,
       "InterlockedCompareExchange64ToMode", nullptr,
       [](volatile T* d, T v, T c) {
         return InterlockedCompareExchange64ToMode(d, v, c, kOtherMode);
       }},
      {"InterlockedCompareExchange64ToMode(KernelMode)", K::CompareExchange, true,
       "InterlockedCompareExchange64ToMode", nullptr,
       [](volatile T* d, T v, T c) {
         return InterlockedCompareExchange64ToMode(d, v, c, KernelMode);
       }},
      {"RtlInterlockedCompareExchange64ToUser", K::CompareExchange, false,
       "RtlInterlockedCompareExchange64ToUser", "InterlockedCompareExchange64ToUser",
       [](volatile T* d, T v, T c) { return RtlInterlockedCompareExchange64ToUser(d, v, c); }},
      {"InterlockedOr64ToUser", K::Or, false, "InterlockedOr64ToUser", nullptr,
       [](volatile T* d, T v, T) { return InterlockedOr64ToUser(d, v); }},
      {"InterlockedOr64ToMode(UserMode)", K::Or, false, "InterlockedOr64ToMode", nullptr,
       [](volatile T* d, T v, T) { return InterlockedOr64ToMode(d, v, UserMode); }},
      {"InterlockedOr64ToMode(7)", K::Or, false, "InterlockedOr64ToMode", nullptr,
       [](volatile T* d, T v, T) { return InterlockedOr64ToMode(d, v, kOtherMode); }},
      {"InterlockedOr64ToMode(KernelMode)", K::Or, true, "InterlockedOr64ToMode", nullptr,
       [](volatile T* d, T v, T) { return InterlockedOr64ToMode(d, v, KernelMode); }},
      {"RtlInterlockedOr64ToUser", K::Or, false, "RtlInterlockedOr64ToUser",
       "InterlockedOr64ToUser",
       [](volatile T* d, T v, T) { return RtlInterlockedOr64ToUser(d, v); }},
      {"InterlockedAnd64ToUser", K::And, false, "InterlockedAnd64ToUser", nullptr,
       [](volatile T* d, T v, T) { return InterlockedAnd64ToUser(d, v); }},
      {"InterlockedAnd64ToMode(UserMode)", K::And, false, "InterlockedAnd64ToMode", nullptr,
       [](volatile T* d, T v, T) { return InterlockedAnd64ToMode(d, v, UserMode); }},
      {"InterlockedAnd64ToMode(7)", K::And, false, "InterlockedAnd64ToMode", nullptr,
       [](volatile T* d, T v, T) { return InterlockedAnd64ToMode(d, v, kOtherMode); }},
      {"InterlockedAnd64ToMode(KernelMode)", K::And, true, "InterlockedAnd64ToMode", nullptr,
       [](volatile T* d, T v, T) { return InterlockedAnd64ToMode(d, v, KernelMode); }},
      {"RtlInterlockedAnd64ToUser", K::And, false, "RtlInterlockedAnd64ToUser",
       "InterlockedAnd64ToUser",
       [](volatile T* d, T v, T) { return RtlInterlockedAnd64ToUser(d, v); }},
  };
}

template <class T>
T expected_after(Kind kind, T old, T value, T comperand) {
  switch (kind) {
    case Kind::CompareExchange: return old == comperand ? value : old;
    case Kind::Or: return static_cast<T>(old | value);
    case Kind::And: return static_cast<T>(old & value);
  }
  return old;
}

std::uintptr_t addr(const volatile void* p) {
  return reinterpret_cast<std::uintptr_t>(const_cast<const void*>(p));
}

template <class T>
T load(const volatile T* p) {
  T v;
  std::memcpy(&v, const_cast<const T*>(p), sizeof v);
  return v;
}
template <class T>
void store(volatile T* p, T v) {
  std::memcpy(const_cast<T*>(p), &v, sizeof v);
}

template <class T>
void expect_operation(const StructuredException& e, const Form<T>& form) {
  ASSERT_NE(e.operation(), nullptr);
  if (form.alternative_operation != nullptr &&
      std::strcmp(e.operation(), form.alternative_operation) == 0)
    return;
  EXPECT_STREQ(e.operation(), form.operation);
}

// Values with the high bit set (negative LONG / LONG64), all bits, none, one half only.
const LONG kValues32[] = {0,
                          1,
                          -1,
                          INT32_MIN,
                          INT32_MAX,
                          0x12345678,
                          static_cast<LONG>(0xDEADBEEFu),
                          static_cast<LONG>(0x80000001u),
                          0x0000FFFF};
const LONG64 kValues64[] = {0,
                            1,
                            -1,
                            INT64_MIN,
                            INT64_MAX,
                            0x123456789ABCDEF0,
                            static_cast<LONG64>(0xDEADBEEF00000000u),
                            0x00000000FFFFFFFF,
                            0x0000000100000000,
                            static_cast<LONG64>(0x8000000080000001u)};

// The destination sits at offset 8 of a 24-byte window of canaries: nothing else in the
// window may change.
constexpr std::size_t kWindow = 24;
constexpr std::size_t kAt = 8;

template <class T, std::size_t N>
void check_results(const std::vector<Form<T>>& forms, const T (&values)[N]) {
  GuardedRegion region(page_size());
  char* window = region.begin() + 64;
  volatile T* d = reinterpret_cast<volatile T*>(window + kAt);
  for (const auto& form : forms) {
    SCOPED_TRACE(form.label);
    for (T old : values) {
      for (T value : values) {
        // Compare-exchange: a matching comperand, and mismatching ones (differing in the
        // low bit, the high bit, and for 64 bits in the upper half only).
        std::vector<T> comperands{old};
        if (form.kind == Kind::CompareExchange) {
          comperands.push_back(static_cast<T>(old ^ 1));
          comperands.push_back(static_cast<T>(old ^ std::numeric_limits<T>::min()));
          if (sizeof(T) == 8) comperands.push_back(static_cast<T>(old ^ (T{1} << (4 * sizeof(T)))));
        }
        for (T comperand : comperands) {
          std::memset(window, kCanary, kWindow);
          store(d, old);
          const T original = form.op(d, value, comperand);
          EXPECT_EQ(original, old) << "value " << value << ", comperand " << comperand;
          EXPECT_EQ(load(d), expected_after(form.kind, old, value, comperand))
              << "old " << old << ", value " << value << ", comperand " << comperand;
          EXPECT_EQ(first_not(window, kCanary, kAt), kAt) << "bytes before the destination";
          EXPECT_EQ(first_not(window + kAt + sizeof(T), kCanary, kWindow - kAt - sizeof(T)),
                    kWindow - kAt - sizeof(T))
              << "bytes after the destination";
        }
      }
    }
  }
}

TEST(AccessInterlocked, ReturnOriginalAndStoreResult32) { check_results(forms32(), kValues32); }
TEST(AccessInterlocked, ReturnOriginalAndStoreResult64) { check_results(forms64(), kValues64); }

TEST(AccessInterlocked, CompareExchangeStoresOnlyOnAMatch) {
  LONG x = -5;
  EXPECT_EQ(InterlockedCompareExchangeToUser(&x, 7, -4), -5);
  EXPECT_EQ(x, -5);
  EXPECT_EQ(InterlockedCompareExchangeToUser(&x, 7, -5), -5);
  EXPECT_EQ(x, 7);
  LONG64 y = 0x100000007;
  EXPECT_EQ(InterlockedCompareExchange64ToUser(&y, 1, 7), 0x100000007);  // low halves match
  EXPECT_EQ(y, 0x100000007);
  EXPECT_EQ(InterlockedCompareExchange64ToUser(&y, -1, 0x100000007), 0x100000007);
  EXPECT_EQ(y, -1);
}

// ---- Misalignment -------------------------------------------------------------------------

template <class T>
void check_misaligned(const std::vector<Form<T>>& forms) {
  GuardedRegion region(page_size());
  char* window = region.begin() + 64;
  for (const auto& form : forms) {
    for (std::size_t offset = 1; offset < sizeof(T); ++offset) {
      SCOPED_TRACE(std::string(form.label) + ", offset " + std::to_string(offset));
      volatile T* d = reinterpret_cast<volatile T*>(window + kAt + offset);
      fill_pattern(window, kWindow, static_cast<unsigned>(offset));
      unsigned char before[kWindow];
      std::memcpy(before, window, kWindow);
      const auto e = expect_raise([&] { form.op(d, T{-1}, load(d)); });
      EXPECT_EQ(e.code(), STATUS_DATATYPE_MISALIGNMENT) << umaccess::status_name(e.code());
      EXPECT_EQ(e.address(), addr(d));
      EXPECT_TRUE(e.is_write());
      EXPECT_EQ(e.kernel(), nullptr) << "refused before touching";
      expect_operation(e, form);
      EXPECT_EQ(first_mismatch(window, before, kWindow), kWindow) << "nothing written";
    }
    // Misaligned across the guard page: refused for the alignment, nothing touched.
    {
      volatile T* d = reinterpret_cast<volatile T*>(region.guard() - sizeof(T) / 2);
      const auto e = expect_raise([&] { form.op(d, 0, 0); });
      EXPECT_EQ(e.code(), STATUS_DATATYPE_MISALIGNMENT) << form.label;
      EXPECT_EQ(e.address(), addr(d)) << form.label;
    }
  }
}

TEST(AccessInterlocked, MisalignedDestinationRaisesInEveryMode32) { check_misaligned(forms32()); }
TEST(AccessInterlocked, MisalignedDestinationRaisesInEveryMode64) { check_misaligned(forms64()); }

// ---- Read-only and inaccessible pages -----------------------------------------------------

template <class T>
void check_read_only(const std::vector<Form<T>>& forms, T old) {
  GuardedRegion region(page_size());
  volatile T* d = reinterpret_cast<volatile T*>(region.begin() + 512);
  store(d, old);
  region.protect(0, page_size(), PROT_READ);
  for (const auto& form : forms) {
    if (form.kernel) continue;  // no recovery: see the death test
    SCOPED_TRACE(form.label);
    // A matching comperand, and values that would change the contents: must store.
    const auto e = expect_raise([&] { form.op(d, static_cast<T>(~old), old); });
    EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION) << umaccess::status_name(e.code());
    EXPECT_EQ(e.address(), addr(d));
    EXPECT_TRUE(e.is_write());
    EXPECT_NE(e.kernel(), nullptr);
    expect_operation(e, form);
    EXPECT_EQ(load(d), old) << "unchanged";
    // Values that would leave the contents as they are: still a write to a read-only page
    // (Or 0, And -1). A compare-exchange whose comparison fails needs no store: x86-64
    // writes all the same (lock cmpxchg always does), AArch64 does not store and so does
    // not fault, returning the original.
    const T unchanged = form.kind == Kind::And ? T{-1} : T{0};
    const T mismatch = static_cast<T>(old + 1);
    try {
      const T original = form.op(d, unchanged, mismatch);
#if defined(__aarch64__)
      EXPECT_EQ(form.kind, Kind::CompareExchange) << "Or/And stored to a read-only page";
      EXPECT_EQ(original, old);
#else
      ADD_FAILURE() << "no fault on a read-only page; returned " << original;
#endif
    } catch (const StructuredException& f) {
      EXPECT_EQ(f.code(), STATUS_ACCESS_VIOLATION);
      EXPECT_EQ(f.address(), addr(d));
      EXPECT_TRUE(f.is_write());
      expect_operation(f, form);
    }
    EXPECT_EQ(load(d), old);
  }
}

TEST(AccessInterlocked, ReadOnlyPageRaisesAWriteViolation32) {
  check_read_only(forms32(), static_cast<LONG>(0x80000123u));
}
TEST(AccessInterlocked, ReadOnlyPageRaisesAWriteViolation64) {
  check_read_only(forms64(), static_cast<LONG64>(0x8000000400000123u));
}

template <class T>
void check_inaccessible(const std::vector<Form<T>>& forms) {
  GuardedRegion region(2 * page_size());
  region.protect(0, page_size(), PROT_NONE);
  for (const auto& form : forms) {
    if (form.kernel) continue;
    for (char* where : {region.guard(), region.begin(), region.begin() + 256,
                        region.begin() + page_size() - sizeof(T)}) {
      SCOPED_TRACE(form.label);
      volatile T* d = reinterpret_cast<volatile T*>(where);
      const auto e = expect_raise([&] { form.op(d, 1, 0); });
      EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION) << umaccess::status_name(e.code());
      EXPECT_EQ(e.address(), addr(d));
      // An interlocked operation is a write, whichever of its accesses faulted (on AArch64
      // the exclusive load faults first; the fixup marks it a write).
      EXPECT_TRUE(e.is_write());
      EXPECT_NE(e.kernel(), nullptr);
      expect_operation(e, form);
    }
  }
}

TEST(AccessInterlocked, InaccessiblePageRaisesAtTheDestination32) {
  check_inaccessible(forms32());
}
TEST(AccessInterlocked, InaccessiblePageRaisesAtTheDestination64) {
  check_inaccessible(forms64());
}

TEST(AccessInterlockedDeathTest, KernelModeFaultIsNotRecovered) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  GuardedRegion region(page_size());
  auto* d32 = reinterpret_cast<volatile LONG*>(region.guard());
  auto* d64 = reinterpret_cast<volatile LONG64*>(region.guard());
  EXPECT_EXIT(InterlockedOrToMode(d32, 1, KernelMode), KilledBySignal(SIGSEGV), "");
  EXPECT_EXIT(InterlockedCompareExchange64ToMode(d64, 1, 0, KernelMode), KilledBySignal(SIGSEGV),
              "");
  region.protect(0, page_size(), PROT_READ);
  auto* ro = reinterpret_cast<volatile LONG*>(region.begin());
  EXPECT_EXIT(InterlockedAndToMode(ro, 0, KernelMode), KilledBySignal(SIGSEGV), "");
}

// ---- The user range -------------------------------------------------------------------------

template <class T>
void check_user_range(const std::vector<Form<T>>& forms) {
  GuardedRegion region(page_size());
  char* begin = region.begin() + 64;
  char* end = region.begin() + 130;  // not a multiple of 4: the unit at 128 straddles it
  ScopedUserRange scope({addr(begin), addr(end)});
  for (const auto& form : forms) {
    SCOPED_TRACE(form.label);
    struct Case {
      char* where;
      char* refused_at;
    };
    for (const Case c : {Case{region.begin() + 32, region.begin() + 32},
                         Case{region.begin() + 128, end},
                         Case{region.begin() + 136, region.begin() + 136},
                         Case{region.begin(), region.begin()}}) {
      volatile T* d = reinterpret_cast<volatile T*>(c.where);
      const T old = static_cast<T>(0x5A5A5A5A5A5A5A5Au);
      store(d, old);
      if (form.kernel) {  // KernelMode ignores the range
        EXPECT_EQ(form.op(d, 0, old), old);
        continue;
      }
      const auto e = expect_raise([&] { form.op(d, 0, old); });
      EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION) << umaccess::status_name(e.code());
      EXPECT_EQ(e.address(), addr(c.refused_at));
      EXPECT_TRUE(e.is_write());
      EXPECT_EQ(e.kernel(), nullptr) << "refused before touching";
      expect_operation(e, form);
      EXPECT_EQ(load(d), old) << "untouched";
    }
    // Inside the range: fine.
    volatile T* d = reinterpret_cast<volatile T*>(begin);
    store(d, T{6});
    EXPECT_EQ(form.op(d, 3, 6), 6);
    EXPECT_EQ(load(d), expected_after<T>(form.kind, 6, 3, 6));
  }
}

TEST(AccessInterlocked, OutsideTheUserRangeRaisesBeforeTouching32) {
  check_user_range(forms32());
}
TEST(AccessInterlocked, OutsideTheUserRangeRaisesBeforeTouching64) {
  check_user_range(forms64());
}

// ---- Atomicity under contention -------------------------------------------------------------

constexpr int kThreads = 4;

// Holds the threads until all have started, so that they do contend (bounded: gives up
// after a deadline rather than hang).
class StartLine {
 public:
  void wait() {
    arrived_.fetch_add(1);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (arrived_.load() < kThreads && std::chrono::steady_clock::now() < deadline)
      std::this_thread::yield();
  }

 private:
  std::atomic<int> arrived_{0};
};

// Each thread increments the counter with compare-exchange loops through its own form.
template <class T>
void check_cas_counter(const std::vector<Form<T>>& forms, T start, T (*read)(const volatile T*),
                       int increments) {
  std::vector<Form<T>> cas;
  for (const auto& f : forms)
    if (f.kind == Kind::CompareExchange) cas.push_back(f);
  GuardedRegion region(page_size());
  volatile T* counter = reinterpret_cast<volatile T*>(region.begin() + 128);
  store(counter, start);
  std::atomic<long> retries{0}, errors{0};
  StartLine start_line;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start_line.wait();
      const Form<T>& form = cas[static_cast<std::size_t>(t) % cas.size()];
      T seen = read(counter);
      long lost = 0;
      for (int i = 0; i < increments; ++i) {
        for (;;) {
          const T next = static_cast<T>(static_cast<std::make_unsigned_t<T>>(seen) + 1);
          const T original = form.op(counter, next, seen);
          if (original == seen) {
            seen = next;
            break;
          }
          // Lost the race: the counter only grows, so what we saw must be behind.
          using U = std::make_unsigned_t<T>;
          if (static_cast<U>(static_cast<U>(original) - static_cast<U>(seen)) >
              static_cast<U>(kThreads * increments))
            ++errors;
          seen = original;
          ++lost;
        }
      }
      retries += lost;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(read(counter), static_cast<T>(start + kThreads * increments));
  ::testing::Test::RecordProperty("retries", static_cast<int>(retries.load()));
}

TEST(AccessInterlocked, ConcurrentCompareExchangeIncrementsAreExact32) {
  check_cas_counter<LONG>(forms32(), -7000, [](const volatile LONG* p) { return ReadLongFromUser(p); },
                          5000);
}

TEST(AccessInterlocked, ConcurrentCompareExchangeIncrementsAreExact64) {
  // Crosses the 32-bit boundary: the upper half must take part in the comparison.
  check_cas_counter<LONG64>(forms64(), 0xFFFFFFFFll - 9000,
                            [](const volatile LONG64* p) { return ReadLong64FromUser(p); }, 5000);
}

// Each thread owns disjoint bits: it sets them with an Or and clears them with an And,
// through its own forms, and checks every original it gets back. Bits nobody owns stay set.
template <class T>
void check_or_and(const std::vector<Form<T>>& forms, const T (&owned)[kThreads], T fixed,
                  int rounds) {
  std::vector<Form<T>> ors, ands;
  for (const auto& f : forms) {
    if (f.kind == Kind::Or) ors.push_back(f);
    if (f.kind == Kind::And) ands.push_back(f);
  }
  GuardedRegion region(page_size());
  volatile T* mask = reinterpret_cast<volatile T*>(region.begin() + 256);
  store(mask, fixed);
  std::atomic<long> errors{0};
  StartLine start_line;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start_line.wait();
      const T mine = owned[t];
      long bad = 0;
      for (int i = 0; i < rounds; ++i) {
        const auto& or_form = ors[static_cast<std::size_t>(t + i) % ors.size()];
        const auto& and_form = ands[static_cast<std::size_t>(t + 2 * i) % ands.size()];
        const T before_or = or_form.op(mask, mine, 0);
        if ((before_or & mine) != 0 || (before_or & fixed) != fixed) ++bad;
        const T before_and = and_form.op(mask, static_cast<T>(~mine), 0);
        if ((before_and & mine) != mine || (before_and & fixed) != fixed) ++bad;
      }
      // End with the bits set.
      const T last = ors[0].op(mask, mine, 0);
      if ((last & mine) != 0) ++bad;
      errors += bad;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  T all = fixed;
  for (T b : owned) all = static_cast<T>(all | b);
  EXPECT_EQ(load(mask), all);
}

TEST(AccessInterlocked, ConcurrentOrAndOfDisjointBitsAreExact32) {
  const LONG owned[kThreads] = {0x0000000F, 0x00F00F00, 0x0F000000, static_cast<LONG>(0x70000000)};
  check_or_and<LONG>(forms32(), owned, static_cast<LONG>(0x80000030u), 3000);
}

TEST(AccessInterlocked, ConcurrentOrAndOfDisjointBitsAreExact64) {
  const LONG64 owned[kThreads] = {0x000000000000000F, 0x00000001F0000000,
                                  0x0F00000000000000, 0x7000000000F00000};
  check_or_and<LONG64>(forms64(), owned, static_cast<LONG64>(0x8000000800000030u), 3000);
}

// ---- Full barrier: store buffering (Dekker) -------------------------------------------------
//
//   A: Or(x, 1); r1 = Read(y)        B: Or(y, 1); r2 = Read(x)
//
// Without a full barrier each read may pass the thread's own earlier store (x86-64 store
// buffers do exactly that), and r1 == r2 == 0 becomes possible. With one it is forbidden.

// Two threads meet at the start of every round. Gives up (for both) after a deadline
// instead of hanging if the other thread never comes.
class RoundGate {
 public:
  explicit RoundGate(std::chrono::steady_clock::time_point deadline) : deadline_(deadline) {}
  bool arrive(int who, unsigned round) {
    arrived_[who].store(round + 1, std::memory_order_release);
    unsigned spins = 0;
    while (arrived_[1 - who].load(std::memory_order_acquire) < round + 1) {
      if (gave_up_.load(std::memory_order_relaxed)) return false;
      if (++spins % 256 == 0) {
        if (std::chrono::steady_clock::now() > deadline_) {
          gave_up_ = true;
          return false;
        }
        std::this_thread::yield();
      }
    }
    return true;
  }
  bool gave_up() const { return gave_up_.load(); }

 private:
  alignas(64) std::atomic<unsigned> arrived_[2] = {};
  alignas(64) std::atomic<bool> gave_up_{false};
  std::chrono::steady_clock::time_point deadline_;
};

struct alignas(64) Slot {
  LONG64 value;
};

// ---- The raw entries (umaccess.h) -----------------------------------------------------------
// umaccess_raw_interlocked(op, p, size, ...) takes the operation and size at run time; the
// per-operation entries (umaccess_raw_interlocked_or64, ...), which the C++ accessors and
// the C inline twins call, fix them. Both give the same original value, the same store and
// the same failure and record: misaligned, at a guard page, outside the user range.
struct RawInterlocked {
  const char* label;
  umaccess_interlocked_op op;
  unsigned size;
  umaccess_value (*entry)(void*, std::uint64_t value, std::uint64_t comperand,
                          umaccess_fault_record*);
};
// The entries of or/and in the compare-exchange shape (the comperand ignored).
#define UMATEST_RMW(name) \
  [](void* p, std::uint64_t v, std::uint64_t, umaccess_fault_record* r) { \
    return umaccess_raw_interlocked_##name(p, v, r);                       \
  }
const RawInterlocked kRawInterlocked[] = {
    {"compare_exchange", UMACCESS_INTERLOCKED_COMPARE_EXCHANGE, 4,
     umaccess_raw_interlocked_compare_exchange},
    {"compare_exchange64", UMACCESS_INTERLOCKED_COMPARE_EXCHANGE, 8,
     umaccess_raw_interlocked_compare_exchange64},
    {"or", UMACCESS_INTERLOCKED_OR, 4, UMATEST_RMW(or)},
    {"or64", UMACCESS_INTERLOCKED_OR, 8, UMATEST_RMW(or64)},
    {"and", UMACCESS_INTERLOCKED_AND, 4, UMATEST_RMW(and)},
    {"and64", UMACCESS_INTERLOCKED_AND, 8, UMATEST_RMW(and64)},
};
#undef UMATEST_RMW

TEST(AccessInterlockedRaw, SizedAndPerOperationEntriesAgree) {
  GuardedRegion region(page_size());
  const auto record_equal = [](const umaccess_fault_record& a, const umaccess_fault_record& b) {
    return a.address == b.address && a.info == b.info && a.kernel == b.kernel;
  };
  for (const RawInterlocked& e : kRawInterlocked) {
    SCOPED_TRACE(e.label);
    const std::uint64_t mask = e.size == 8 ? ~0ull : 0xFFFFFFFFull;
    constexpr std::uint64_t kStart = 0x8000000180000001ull, kValue = 0x00000003C0000010ull;
    char* const per_op = region.begin() + 64;
    char* const sized = region.begin() + 128;
    std::memcpy(per_op, &kStart, 8);
    std::memcpy(sized, &kStart, 8);
    // The comperand matches: compare-exchange stores kValue; or/and combine.
    const umaccess_value a = e.entry(per_op, kValue, kStart & mask, nullptr);
    const umaccess_value b =
        umaccess_raw_interlocked(e.op, sized, e.size, kValue, kStart & mask, nullptr);
    EXPECT_EQ(a.failed, 0u);
    EXPECT_EQ(b.failed, 0u);
    EXPECT_EQ(a.value, kStart & mask) << "the original value";
    EXPECT_EQ(b.value, kStart & mask);
    EXPECT_EQ(std::memcmp(per_op, sized, 8), 0) << "the same store, nothing beyond the width";
    std::uint64_t stored;
    std::memcpy(&stored, per_op, 8);
    EXPECT_NE(stored, kStart) << "something was stored";
    // Refusals and a fault: the same record from both.
    const auto both_fail = [&](char* p, const char* what) {
      umaccess_fault_record x{}, y{};
      EXPECT_EQ(e.entry(p, 1, 0, &x).failed, 1u) << what;
      EXPECT_EQ(umaccess_raw_interlocked(e.op, p, e.size, 1, 0, &y).failed, 1u) << what;
      EXPECT_TRUE(record_equal(x, y)) << what;
      return x;
    };
    const umaccess_fault_record misaligned = both_fail(per_op + e.size / 2, "misaligned");
    EXPECT_EQ(umaccess_raw_access_status("InterlockedOrToUser", &misaligned),
              STATUS_DATATYPE_MISALIGNMENT);
    const umaccess_fault_record fault = both_fail(region.guard(), "at the guard");
    EXPECT_EQ(fault.address, addr(region.guard()));
    EXPECT_NE(fault.kernel, nullptr);
    ScopedUserRange scope({addr(per_op), addr(per_op + 8)});
    const umaccess_fault_record refused = both_fail(per_op + 8, "past the range");
    EXPECT_EQ(refused.address, addr(per_op + 8));
    EXPECT_EQ(refused.kernel, nullptr) << "refused before touching";
    // Misalignment is refused first, outside the range too.
    const umaccess_fault_record both = both_fail(sized + 1, "misaligned and out of range");
    EXPECT_EQ(umaccess_raw_access_status("InterlockedOrToUser", &both),
              STATUS_DATATYPE_MISALIGNMENT);
  }
}

TEST(AccessInterlocked, OperationsAreFullBarriersStoreBuffering) {
  constexpr unsigned kRounds = 2000;
  // Fresh zeroed slots every round: no reset between rounds.
  std::vector<Slot> xs(kRounds), ys(kRounds);
  std::vector<LONG64> r1(kRounds, -1), r2(kRounds, -1);
  RoundGate gate(std::chrono::steady_clock::now() + std::chrono::seconds(30));
  // The operation that publishes a thread's flag, by round: Or, Or64, compare-exchange.
  auto publish = [](unsigned round, Slot& s) {
    switch (round % 4) {
      case 0: InterlockedOrToUser(reinterpret_cast<volatile LONG*>(&s.value), 1); break;
      case 1: InterlockedOr64ToUser(&s.value, 1); break;
      case 2: InterlockedCompareExchangeToUser(reinterpret_cast<volatile LONG*>(&s.value), 1, 0);
        break;
      default: InterlockedCompareExchange64ToMode(&s.value, 1, 0, UserMode); break;
    }
  };
  auto observe = [](unsigned round, const Slot& s) -> LONG64 {
    if (round % 2 == 0) return ReadLongFromUser(reinterpret_cast<const volatile LONG*>(&s.value));
    return ReadLong64FromUser(&s.value);
  };
  std::thread a([&] {
    for (unsigned r = 0; r < kRounds && gate.arrive(0, r); ++r) {
      publish(r, xs[r]);
      r1[r] = observe(r, ys[r]);
    }
  });
  std::thread b([&] {
    for (unsigned r = 0; r < kRounds && gate.arrive(1, r); ++r) {
      publish(r, ys[r]);
      r2[r] = observe(r, xs[r]);
    }
  });
  a.join();
  b.join();
  ASSERT_FALSE(gate.gave_up()) << "the threads did not meet within the deadline";
  int both_zero = 0, both_one = 0;
  for (unsigned r = 0; r < kRounds; ++r) {
    ASSERT_TRUE((r1[r] == 0 || r1[r] == 1) && (r2[r] == 0 || r2[r] == 1)) << "round " << r;
    if (r1[r] == 0 && r2[r] == 0) ++both_zero;
    if (r1[r] == 1 && r2[r] == 1) ++both_one;
  }
  EXPECT_EQ(both_zero, 0) << "rounds in which both reads passed their own thread's interlocked "
                             "operation";
  RecordProperty("rounds_both_saw_each_other", both_one);
}

}  // namespace
}  // namespace umatest
