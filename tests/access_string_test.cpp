// SPDX-License-Identifier: Apache-2.0
// tests/access_string_test.cpp - StringLengthFromUser, WideStringLengthFromUser, the
// ...FromMode forms and the Rtl* primitives: lengths against a reference at every start
// alignment (odd addresses too for the wide forms), strings that end exactly at an
// inaccessible page, strings that run into one, the user range as the end of the world,
// KernelMode, and a mapped file that shrank under the string.
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "support.h"

namespace umatest {
namespace {

using ::testing::KilledBySignal;
using umaccess::ScopedUserRange;
using umaccess::StructuredException;
using umaccess::UserRange;

constexpr KPROCESSOR_MODE kOtherMode = 7;  // any mode but KernelMode takes the user path

// One accessor form. `operation` is what StructuredException::operation() must report, or
// nullptr for the KernelMode forms (no check, no recovery: never called where they would
// fault).
struct NarrowForm {
  const char* label;
  const char* operation;
  SIZE_T (*length)(const char*);
};
struct WideForm {
  const char* label;
  const char* operation;
  SIZE_T (*length)(const WCHAR*);
};

const NarrowForm kNarrowForms[] = {
    {"StringLengthFromUser", "StringLengthFromUser",
     [](const char* s) { return StringLengthFromUser(s); }},
    {"StringLengthFromMode(UserMode)", "StringLengthFromMode",
     [](const char* s) { return StringLengthFromMode(s, UserMode); }},
    {"StringLengthFromMode(7)", "StringLengthFromMode",
     [](const char* s) { return StringLengthFromMode(s, kOtherMode); }},
    {"RtlStringLengthFromUser", "RtlStringLengthFromUser",
     [](const char* s) { return RtlStringLengthFromUser(s); }},
    {"StringLengthFromMode(KernelMode)", nullptr,
     [](const char* s) { return StringLengthFromMode(s, KernelMode); }},
};

const WideForm kWideForms[] = {
    {"WideStringLengthFromUser", "WideStringLengthFromUser",
     [](const WCHAR* s) { return WideStringLengthFromUser(s); }},
    {"WideStringLengthFromMode(UserMode)", "WideStringLengthFromMode",
     [](const WCHAR* s) { return WideStringLengthFromMode(s, UserMode); }},
    {"WideStringLengthFromMode(7)", "WideStringLengthFromMode",
     [](const WCHAR* s) { return WideStringLengthFromMode(s, kOtherMode); }},
    {"RtlWideStringLengthFromUser", "RtlWideStringLengthFromUser",
     [](const WCHAR* s) { return RtlWideStringLengthFromUser(s); }},
    {"WideStringLengthFromMode(KernelMode)", nullptr,
     [](const WCHAR* s) { return WideStringLengthFromMode(s, KernelMode); }},
};

// Wide strings may start at odd addresses: build and inspect them bytewise.
const WCHAR* wide_at(const char* p) { return reinterpret_cast<const WCHAR*>(p); }
void put_unit(char* p, std::size_t i, WCHAR unit) { std::memcpy(p + 2 * i, &unit, 2); }
WCHAR get_unit(const char* p, std::size_t i) {
  WCHAR unit;
  std::memcpy(&unit, p + 2 * i, 2);
  return unit;
}

// The references.
std::size_t reference_strlen(const char* s) { return std::strlen(s); }
std::size_t reference_wcslen(const char* s) {
  std::size_t n = 0;
  while (get_unit(s, n) != 0) ++n;
  return n;
}

// Non-zero bytes, every value 1..255 among them.
char nonzero_byte(std::size_t i, unsigned seed) {
  const unsigned char b = pattern_byte(i, seed);
  return static_cast<char>(b == 0 ? 0x80 : b);
}
void fill_nonzero(char* p, std::size_t n, unsigned seed) {
  for (std::size_t i = 0; i < n; ++i) p[i] = nonzero_byte(i, seed);
}

// Non-zero units, half of them with a zero byte, arranged so that the odd-aligned byte
// pairs include 0x0000: a scanner that looks at bytes, or at words at the wrong
// alignment, finds a terminator that is not there.
//   bytes: 00 01 | 01 00 | 00 AB | CD 00 | 34 12 | FF FF | 00 80 | 80 00
constexpr WCHAR kTrickyUnits[] = {0x0100, 0x0001, 0xAB00, 0x00CD, 0x1234, 0xFFFF, 0x8000, 0x0080};
WCHAR nonzero_unit(std::size_t i, unsigned seed) { return kTrickyUnits[(i + seed) % 8]; }
void fill_nonzero_units(char* p, std::size_t units, unsigned seed) {
  for (std::size_t i = 0; i < units; ++i) put_unit(p, i, nonzero_unit(i, seed));
}

std::uintptr_t addr(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

// Asserts that `e` is the read fault (or refusal) of `operation` at `at`.
void expect_read_violation(const StructuredException& e, const char* operation, const void* at,
                           NTSTATUS code = STATUS_ACCESS_VIOLATION) {
  EXPECT_EQ(e.code(), code) << umaccess::status_name(e.code());
  EXPECT_EQ(e.address(), addr(at)) << "off by " << static_cast<long>(e.address() - addr(at));
  EXPECT_FALSE(e.is_write());
  ASSERT_NE(e.operation(), nullptr);
  EXPECT_STREQ(e.operation(), operation);
}

// Stops a sweep after a handful of failures instead of reporting thousands.
class FailureBudget {
 public:
  bool exhausted() const { return failures_ >= 10; }
  void count() { ++failures_; }
  ~FailureBudget() {
    if (failures_ >= 10) ADD_FAILURE() << "further mismatches not reported";
  }

 private:
  int failures_ = 0;
};

// Every test runs under each variant this CPU supports: each picks its string-length
// kernels (their width), which the fault tests check by name.
class AccessString : public VariantFixture<std::string> {
 protected:
  void SetUp() override { select(GetParam()); }
};
// Named EveryVariant, not AllVariants: the sanitizer stages of cmake/dev.sh skip the
// AllVariants suites (long per-variant sweeps) in part or whole, and these are short, and
// worth running under ASan and TSan with every variant (the racing writer especially).
INSTANTIATE_TEST_SUITE_P(EveryVariant, AccessString, ::testing::ValuesIn(supported_variants()),
                         [](const auto& info) { return info.param; });

// The kernel a fault in a string of `unit`-byte units must name under the current variant.
std::string string_kernel(unsigned unit) {
  std::string name =
      umaccess::dispatch::kernel_for(umaccess::dispatch::Operation::StringLength, 0);
  if (unit == 2) name.replace(name.find("strlen"), 6, "wcslen");
  return name;
}

// ---- Lengths against the reference --------------------------------------------------------

TEST_P(AccessString, NarrowLengthsAtEveryStartOffset) {
  constexpr std::size_t kMaxLength = 300;
  GuardedRegion region(page_size());
  FailureBudget budget;
  for (std::size_t offset = 0; offset < 64 && !budget.exhausted(); ++offset) {
    char* s = region.begin() + offset;
    // Zeros before the string (a scanner reading below s would stop there) and non-zero
    // bytes after it, up to the end of the region.
    std::memset(region.begin(), 0, offset);
    fill_nonzero(s, region.size() - offset, static_cast<unsigned>(offset));
    for (std::size_t n = 0; n <= kMaxLength && !budget.exhausted(); ++n) {
      const char saved = s[n];
      s[n] = 0;
      const std::size_t expected = reference_strlen(s);
      ASSERT_EQ(expected, n);
      for (const auto& form : kNarrowForms) {
        const SIZE_T got = form.length(s);
        if (got != expected) {
          ADD_FAILURE() << form.label << ": offset " << offset << ", length " << expected
                        << ": got " << got;
          budget.count();
        }
      }
      s[n] = saved;
    }
  }
}

TEST_P(AccessString, WideLengthsAtEveryStartOffsetEvenAndOdd) {
  constexpr std::size_t kMaxLength = 300;
  GuardedRegion region(page_size());
  FailureBudget budget;
  for (std::size_t offset = 0; offset < 64 && !budget.exhausted(); ++offset) {
    char* s = region.begin() + offset;
    std::memset(region.begin(), 0, offset);
    fill_nonzero_units(s, (region.size() - offset) / 2, static_cast<unsigned>(offset));
    for (std::size_t n = 0; n <= kMaxLength && !budget.exhausted(); ++n) {
      const WCHAR saved = get_unit(s, n);
      put_unit(s, n, 0);
      const std::size_t expected = reference_wcslen(s);
      ASSERT_EQ(expected, n);
      for (const auto& form : kWideForms) {
        const SIZE_T got = form.length(wide_at(s));
        if (got != expected) {
          ADD_FAILURE() << form.label << ": offset " << offset << ", length " << expected
                        << ": got " << got;
          budget.count();
        }
      }
      put_unit(s, n, saved);
    }
  }
}

TEST_P(AccessString, EmptyAndOrdinaryStrings) {
  const char empty[] = "";
  const char hello[] = "hello, world";
  const WCHAR wide_empty[] = u"";
  const WCHAR wide_hello[] = u"h\u00e9llo, w\u00f6rld \u20ac";
  for (const auto& form : kNarrowForms) {
    SCOPED_TRACE(form.label);
    EXPECT_EQ(form.length(empty), 0u);
    EXPECT_EQ(form.length(hello), 12u);
  }
  for (const auto& form : kWideForms) {
    SCOPED_TRACE(form.label);
    EXPECT_EQ(form.length(wide_empty), 0u);
    EXPECT_EQ(form.length(wide_hello), 14u);
  }
}

// Strings that cross pages, from starts that take the vector walk (aligned, unaligned) and
// from the last bytes of a page (the unit-by-unit head where the first vector would span
// the boundary), with the NUL anywhere in a two-group step of the walk.
TEST_P(AccessString, LongStringsAcrossPagesAtEveryPositionInAStep) {
  GuardedRegion region(3 * page_size());
  const std::size_t page = page_size();
  FailureBudget budget;
  for (std::size_t offset : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{16},
                             std::size_t{33}, std::size_t{63}, page - 16, page - 15, page - 1}) {
    char* s = region.begin() + offset;
    std::memset(region.begin(), 0, offset);
    fill_nonzero(s, region.size() - offset, static_cast<unsigned>(offset));
    const std::size_t room = region.size() - offset - 1;
    for (std::size_t base : {page, 2 * page - 300, room - 300}) {
      for (std::size_t n = base; n < base + 300 && n <= room && !budget.exhausted(); ++n) {
        const char saved = s[n];
        s[n] = 0;
        for (const auto& form : kNarrowForms) {
          const SIZE_T got = form.length(s);
          if (got != n) {
            ADD_FAILURE() << form.label << ": offset " << offset << ", length " << n << ": got "
                          << got;
            budget.count();
          }
        }
        s[n] = saved;
      }
    }
    // Wide, even starts only (odd ones take the unit loop, covered above).
    if (offset % 2 != 0) continue;
    fill_nonzero_units(s, (region.size() - offset) / 2, static_cast<unsigned>(offset));
    for (std::size_t n = page / 2; n < page / 2 + 150 && !budget.exhausted(); ++n) {
      const WCHAR saved = get_unit(s, n);
      put_unit(s, n, 0);
      for (const auto& form : kWideForms) {
        const SIZE_T got = form.length(wide_at(s));
        if (got != n) {
          ADD_FAILURE() << form.label << ": offset " << offset << ", length " << n << ": got "
                        << got;
          budget.count();
        }
      }
      put_unit(s, n, saved);
    }
  }
}

// Memory shared with another process can change while it is measured. With another thread
// setting and clearing the one NUL of a string (at places that fall in the walk's head, its
// vectors and both groups of a step), every answer is one of the two lengths the string ever
// had: the NUL's position, or running out at the range's end, refused there with nothing
// past it read.
TEST_P(AccessString, RacingWriterOnlyChoosesBetweenRealLengths) {
  GuardedRegion region(page_size());
  char* begin = region.begin();
  // The range's end (the string's other length) is the guard page: reading past it faults,
  // which the check below reports (a refusal names no kernel).
  char* end = region.guard();
  fill_nonzero(begin, region.size(), 9);
  ScopedUserRange scope({addr(begin), addr(end)});
  for (std::size_t offset : {0, 5, 40}) {
    for (std::size_t nul : {3, 30, 70, 150, 230, 700}) {
      char* s = end - 1000 + offset;
      char* toggled = s + nul;
      std::atomic<bool> stop{false};
      std::thread writer([&] {
        for (unsigned i = 0; !stop.load(std::memory_order_relaxed); ++i)
          __atomic_store_n(toggled, static_cast<char>(i & 1 ? 0 : 'x'), __ATOMIC_RELAXED);
      });
      FailureBudget budget;
      for (int i = 0; i < 3000 && !budget.exhausted(); ++i) {
        try {
          const SIZE_T got = StringLengthFromUser(s);
          if (got != nul) {
            ADD_FAILURE() << "offset " << offset << ", NUL at " << nul << ": got " << got;
            budget.count();
          }
        } catch (const StructuredException& e) {
          if (e.address() != addr(end) || e.kernel() != nullptr) {
            ADD_FAILURE() << "offset " << offset << ", NUL at " << nul << ": " << e.what();
            budget.count();
          }
        }
      }
      stop.store(true);
      writer.join();
      *toggled = 'x';
    }
  }
}

// ---- Strings that end exactly at an inaccessible page -------------------------------------

// Every string length up to this many bytes, the NUL in the last byte before the inaccessible
// page (each length with its own start alignment): the string then ends in the head, each
// straight-line vector, each pair and both groups of a loop step, for 16- and 32-byte
// vectors and with room for 64-byte ones (9 x 64 + 2 x 4 x 64). A read of the vector (or
// pair, or group) after the one that holds the NUL would reach the inaccessible page.
constexpr std::size_t kLengthsPastEveryStage = 9 * 64 + 2 * 4 * 64;

TEST_P(AccessString, NarrowNulInTheLastAccessibleByteIsMeasuredWithoutFault) {
  GuardedRegion region(page_size());
  char* guard = region.guard();
  fill_nonzero(guard - kLengthsPastEveryStage - 1, kLengthsPastEveryStage, 3);
  guard[-1] = 0;
  for (std::size_t n = 0; n <= kLengthsPastEveryStage; ++n) {
    const char* s = guard - 1 - n;
    for (const auto& form : kNarrowForms) {
      SCOPED_TRACE(form.label);
      SIZE_T got = 0;
      try {
        got = form.length(s);
      } catch (const StructuredException& e) {
        ADD_FAILURE() << "length " << n << ": raised " << e.what();
        continue;
      }
      EXPECT_EQ(got, n) << "start " << static_cast<const void*>(s);
    }
  }
}

TEST_P(AccessString, WideNulInTheLastAccessibleUnitIsMeasuredWithoutFault) {
  GuardedRegion region(page_size());
  char* guard = region.guard();
  constexpr std::size_t kUnits = kLengthsPastEveryStage / 2;
  for (std::size_t n = 0; n <= kUnits; ++n) {
    // Even start: the NUL unit is guard[-2..-1]. Odd start: it is guard[-3..-2], and the
    // one byte left before the guard is no whole unit, so it must not matter.
    for (std::size_t trailing : {0, 1}) {
      char* s = guard - trailing - 2 * (n + 1);
      std::memset(s - 64, 0, guard - (s - 64));  // zeros before the string
      fill_nonzero_units(s, n, static_cast<unsigned>(n));
      put_unit(s, n, 0);
      if (trailing) guard[-1] = 0x41;
      for (const auto& form : kWideForms) {
        SCOPED_TRACE(form.label);
        SIZE_T got = 0;
        try {
          got = form.length(wide_at(s));
        } catch (const StructuredException& e) {
          ADD_FAILURE() << "length " << n << ", start " << static_cast<void*>(s) << ": raised "
                        << e.what();
          continue;
        }
        EXPECT_EQ(got, n) << "start " << static_cast<void*>(s);
      }
    }
  }
}

// A start in the last 63 bytes of a page (the general walk's unit-by-unit head, then its
// lines until the fast walk's groups take over at a group boundary), the NUL in any of the
// last 300 bytes before an inaccessible page a page later.
TEST_P(AccessString, StartJustBelowAPageEndThenTheNulJustBeforeTheGuard) {
  GuardedRegion region(2 * page_size());
  char* guard = region.guard();
  FailureBudget budget;
  for (std::size_t back = 1; back < 64 && !budget.exhausted(); ++back) {
    char* s = region.begin() + page_size() - back;
    fill_nonzero(s, static_cast<std::size_t>(guard - s), static_cast<unsigned>(back));
    for (std::size_t before_guard = 1; before_guard <= 300 && !budget.exhausted();
         ++before_guard) {
      char* nul = guard - before_guard;
      const char saved = *nul;
      *nul = 0;
      for (const auto& form : kNarrowForms) {
        SIZE_T got = 0;
        try {
          got = form.length(s);
        } catch (const StructuredException& e) {
          ADD_FAILURE() << form.label << ": start " << back << " below a page end, NUL "
                        << before_guard << " before the guard: raised " << e.what();
          budget.count();
          continue;
        }
        if (got != static_cast<SIZE_T>(nul - s)) {
          ADD_FAILURE() << form.label << ": start " << back << " below a page end, NUL "
                        << before_guard << " before the guard: got " << got;
          budget.count();
        }
      }
      *nul = saved;
    }
  }
}

// ---- Strings that run into an inaccessible page -------------------------------------------

TEST_P(AccessString, NarrowStringRunningIntoTheGuardPageRaisesThere) {
  GuardedRegion region(page_size());
  char* guard = region.guard();
  fill_nonzero(guard - kLengthsPastEveryStage, kLengthsPastEveryStage, 5);
  // n accessible bytes, none of them NUL: the fault comes in every stage of the walk.
  for (std::size_t n = 0; n <= kLengthsPastEveryStage; ++n) {
    const char* s = guard - n;
    for (const auto& form : kNarrowForms) {
      if (form.operation == nullptr) continue;
      SCOPED_TRACE(std::string(form.label) + ", " + std::to_string(n) + " bytes");
      const auto e = expect_raise([&] { form.length(s); });
      expect_read_violation(e, form.operation, guard);
      ASSERT_NE(e.kernel(), nullptr) << "a fault, not a check";
      EXPECT_EQ(e.kernel(), string_kernel(1));
    }
  }
}

TEST_P(AccessString, WideStringRunningIntoTheGuardPageRaisesThere) {
  GuardedRegion region(page_size());
  char* guard = region.guard();
  // n whole accessible units, none of them NUL: the fault comes in every stage of the walk.
  for (std::size_t n = 0; n <= kLengthsPastEveryStage / 2; ++n) {
    // straddle 0: the units end at the guard; 1: odd start, and the last unit has one byte
    // before the guard and one in it (that byte being 0 must not matter).
    for (std::size_t straddle : {0, 1}) {
      char* s = guard - straddle - 2 * n;
      fill_nonzero_units(s, n, static_cast<unsigned>(n));
      if (straddle) guard[-1] = 0;
      for (const auto& form : kWideForms) {
        if (form.operation == nullptr) continue;
        SCOPED_TRACE(std::string(form.label) + ", " + std::to_string(n) + " units, start " +
                     (straddle ? "odd" : "even"));
        const auto e = expect_raise([&] { form.length(wide_at(s)); });
        expect_read_violation(e, form.operation, guard);
        ASSERT_NE(e.kernel(), nullptr);
        EXPECT_EQ(e.kernel(), string_kernel(2));
      }
    }
  }
}

TEST_P(AccessString, StringOnAnInaccessiblePageInsideTheRegionRaisesAtItsStart) {
  GuardedRegion region(3 * page_size());
  char* hole = region.begin() + page_size();
  fill_nonzero(region.begin(), page_size(), 1);
  fill_nonzero(hole + page_size(), page_size(), 2);  // a NUL-free page after the hole too
  region.protect(page_size(), page_size(), PROT_NONE);
  // Starting inside the hole, and running into it from the page before.
  for (char* s : {hole, hole + 1, hole + 77, hole - 1, hole - 33}) {
    const auto e = expect_raise([&] { StringLengthFromUser(s); });
    expect_read_violation(e, "StringLengthFromUser", s < hole ? hole : s);
    const auto w = expect_raise([&] { WideStringLengthFromUser(wide_at(s)); });
    expect_read_violation(w, "WideStringLengthFromUser", s < hole ? hole : s);
  }
}

// ---- The user range -------------------------------------------------------------------------

// With the range [begin, end): every start in it, the NUL just before end (measured), at
// end (raises at end: nothing at or past the range's end exists) or further on.
void check_narrow_range_end(char* begin, char* end) {
  fill_nonzero(begin, static_cast<std::size_t>(end - begin) + 64, 11);
  ScopedUserRange scope({addr(begin), addr(end)});
  FailureBudget budget;
  for (char* s = begin; s < end && !budget.exhausted(); ++s) {
    for (const auto& form : kNarrowForms) {
      if (form.operation == nullptr) continue;
      // The NUL in the last byte of the range.
      end[-1] = 0;
      const SIZE_T got = form.length(s);
      if (got != static_cast<std::size_t>(end - 1 - s)) {
        ADD_FAILURE() << form.label << ": start end-" << (end - s) << ": got " << got;
        budget.count();
      }
      end[-1] = 'a';
      // The NUL exactly at the range's end, then further past it.
      for (std::size_t past : {0, 1, 17}) {
        end[past] = 0;
        try {
          const SIZE_T length = form.length(s);
          ADD_FAILURE() << form.label << ": start end-" << (end - s) << ", NUL at end+" << past
                        << ": returned " << length << " instead of raising";
          budget.count();
        } catch (const StructuredException& e) {
          if (e.code() != STATUS_ACCESS_VIOLATION || e.address() != addr(end) || e.is_write() ||
              std::strcmp(e.operation(), form.operation) != 0 || e.kernel() != nullptr) {
            ADD_FAILURE() << form.label << ": start end-" << (end - s) << ": " << e.what()
                          << " (kernel " << (e.kernel() ? e.kernel() : "none") << ")";
            budget.count();
          }
        }
        end[past] = 'b';
      }
    }
  }
}

TEST_P(AccessString, NarrowStringEndsAtAUserRangeEndThatIsNotAligned) {
  GuardedRegion region(2 * page_size());
  check_narrow_range_end(region.begin() + 16, region.begin() + 16 + 115);  // odd
  check_narrow_range_end(region.begin() + 16, region.begin() + 16 + 200);  // 8, not 16
  // Starts in the last bytes of a page (the unit-by-unit walk, which rejoins the vector
  // groups after the page boundary) with the end several groups further on.
  check_narrow_range_end(region.begin() + page_size() - 40, region.begin() + page_size() + 563);
}

TEST_P(AccessString, NarrowStringEndsAtAPageAlignedUserRangeEnd) {
  GuardedRegion region(2 * page_size());
  // The page after the range's end is accessible; its NULs do not count.
  check_narrow_range_end(region.begin() + page_size() - 300, region.begin() + page_size());
}

// The range's end a little past an inaccessible page, the NUL in the last byte before that
// page: a start close to the end takes the general walk, whose lines go back to the vector
// groups once two lie below the end, only at a group boundary (a group placed by the line
// alone could span the page boundary and fault, with the NUL before it). Every start in the
// last 300 bytes, every end up to 12 x 32 + 64 bytes past the page boundary.
TEST_P(AccessString, NarrowNulBeforeAGuardPageWithTheRangeEndJustPastIt) {
  GuardedRegion region(page_size());
  char* guard = region.guard();
  fill_nonzero(guard - 301, 300, 13);
  guard[-1] = 0;
  FailureBudget budget;
  for (std::size_t past = 1; past <= 12 * 32 + 64 && !budget.exhausted(); ++past) {
    ScopedUserRange scope({addr(region.begin()), addr(guard) + past});
    for (std::size_t back = 1; back <= 300 && !budget.exhausted(); ++back) {
      const char* s = guard - back;
      for (const auto& form : kNarrowForms) {
        if (form.operation == nullptr) continue;  // kernel mode: no range end
        SIZE_T got = 0;
        try {
          got = form.length(s);
        } catch (const StructuredException& e) {
          ADD_FAILURE() << form.label << ": start guard-" << back << ", end guard+" << past
                        << ": raised " << e.what();
          budget.count();
          continue;
        }
        if (got != back - 1) {
          ADD_FAILURE() << form.label << ": start guard-" << back << ", end guard+" << past
                        << ": got " << got;
          budget.count();
        }
      }
    }
  }
}

// Wide: with the range's end at an odd distance from the start, the unit straddling it is
// not wholly in the range: the string raises at that unit even if both its bytes are 0.
void check_wide_range_end(char* begin, char* end) {
  ScopedUserRange scope({addr(begin), addr(end)});
  FailureBudget budget;
  for (char* s = begin; s < end && !budget.exhausted(); ++s) {
    const std::size_t whole = static_cast<std::size_t>(end - s) / 2;
    char* first_out = s + 2 * whole;  // the first unit not wholly in the range
    std::memset(begin, 0, s - begin);
    fill_nonzero_units(s, whole + 16, 3);
    for (const auto& form : kWideForms) {
      if (form.operation == nullptr) continue;
      if (whole > 0) {
        put_unit(s, whole - 1, 0);
        const SIZE_T got = form.length(wide_at(s));
        if (got != whole - 1) {
          ADD_FAILURE() << form.label << ": start end-" << (end - s) << ": got " << got
                        << ", expected " << whole - 1;
          budget.count();
        }
        put_unit(s, whole - 1, 0x0100);
      }
      for (std::size_t past : {0, 1, 5}) {
        put_unit(s, whole + past, 0);
        try {
          const SIZE_T length = form.length(wide_at(s));
          ADD_FAILURE() << form.label << ": start end-" << (end - s) << ", NUL unit at +"
                        << past << ": returned " << length << " instead of raising";
          budget.count();
        } catch (const StructuredException& e) {
          if (e.code() != STATUS_ACCESS_VIOLATION || e.address() != addr(first_out) ||
              e.is_write() || std::strcmp(e.operation(), form.operation) != 0) {
            ADD_FAILURE() << form.label << ": start end-" << (end - s) << ": " << e.what()
                          << ", expected the address end-" << (end - first_out);
            budget.count();
          }
        }
        put_unit(s, whole + past, 0x0001);
      }
    }
  }
}

TEST_P(AccessString, WideStringEndsAtAUserRangeEndThatIsNotAligned) {
  GuardedRegion region(2 * page_size());
  check_wide_range_end(region.begin() + 16, region.begin() + 16 + 115);
  check_wide_range_end(region.begin() + 16, region.begin() + 16 + 200);
  check_wide_range_end(region.begin() + page_size() - 40, region.begin() + page_size() + 563);
}

TEST_P(AccessString, WideStringEndsAtAPageAlignedUserRangeEnd) {
  GuardedRegion region(2 * page_size());
  check_wide_range_end(region.begin() + page_size() - 300, region.begin() + page_size());
}

// The range's end just before an inaccessible page: a string running out of the range is
// refused at the end without the page being touched (kernel() is null: no fault), and the
// last failure is a check (signal 0), not a SIGSEGV.
TEST_P(AccessString, RunningOutOfTheRangeNeverReadsPastItsEnd) {
  GuardedRegion region(page_size());
  char* guard = region.guard();
  fill_nonzero(region.begin(), region.size(), 2);
  for (std::size_t gap : {0, 1, 5, 16, 100}) {
    char* end = guard - gap;
    ScopedUserRange scope({addr(region.begin()), addr(end)});
    for (std::size_t n : {0, 1, 15, 16, 17, 64, 333}) {
      SCOPED_TRACE("gap " + std::to_string(gap) + ", " + std::to_string(n) + " bytes");
      char* s = end - n;
      if (n == 0) continue;  // starting at the end: below
      const auto e = expect_raise([&] { StringLengthFromUser(s); });
      expect_read_violation(e, "StringLengthFromUser", end);
      EXPECT_EQ(e.kernel(), nullptr);
      umaccess_failure failure;
      ASSERT_EQ(umaccess_last_failure(&failure), 1);
      EXPECT_EQ(failure.signal, 0) << "a fault: something at or past the range's end was read";
      const std::size_t whole = n / 2;
      const auto w = expect_raise([&] { WideStringLengthFromUser(wide_at(s)); });
      expect_read_violation(w, "WideStringLengthFromUser", s + 2 * whole);
      EXPECT_EQ(w.kernel(), nullptr);
      ASSERT_EQ(umaccess_last_failure(&failure), 1);
      EXPECT_EQ(failure.signal, 0);
    }
  }
}

TEST_P(AccessString, StartOutsideTheRangeOrAtItsEndRaisesBeforeReading) {
  GuardedRegion region(2 * page_size());
  std::memset(region.begin(), 0, region.size());  // every string here would be empty
  char* begin = region.begin() + 64;
  char* end = region.begin() + 64 + 131;
  ScopedUserRange scope({addr(begin), addr(end)});
  for (char* s : {end, end + 1, end + 2, end + 1000, begin - 1, begin - 2, region.begin()}) {
    SCOPED_TRACE("start " + std::to_string(s - begin) + " bytes from the range's begin");
    for (const auto& form : kNarrowForms) {
      if (form.operation == nullptr) continue;
      const auto e = expect_raise([&] { form.length(s); });
      expect_read_violation(e, form.operation, s);
      EXPECT_EQ(e.kernel(), nullptr) << "refused before reading";
    }
    for (const auto& form : kWideForms) {
      if (form.operation == nullptr) continue;
      const auto e = expect_raise([&] { form.length(wide_at(s)); });
      expect_read_violation(e, form.operation, s);
      EXPECT_EQ(e.kernel(), nullptr);
    }
  }
  // A wide string starting one byte before the end has no whole unit in the range.
  const auto e = expect_raise([&] { WideStringLengthFromUser(wide_at(end - 1)); });
  expect_read_violation(e, "WideStringLengthFromUser", end - 1);
  // Inside the range, the empty strings are fine.
  EXPECT_EQ(StringLengthFromUser(begin), 0u);
  EXPECT_EQ(StringLengthFromUser(end - 1), 0u);
  EXPECT_EQ(WideStringLengthFromUser(wide_at(end - 2)), 0u);
  EXPECT_EQ(WideStringLengthFromUser(wide_at(begin + 1)), 0u);
}

// The raw entries: umaccess_raw_string_length(s, unit) and the per-unit entries the inline
// paths call (umaccess_raw_string_length_u8, _u16) give the same value, and on failure the
// same record: a string measured, one that runs into an inaccessible page, one that starts
// outside the user range.
TEST_P(AccessString, PerUnitRawEntriesAgreeWithTheUnitArgumentEntry) {
  GuardedRegion region(2 * page_size());
  char* base = region.begin();
  fill_nonzero(base, region.size(), 5);
  base[777] = base[778] = base[779] = 0;  // a NUL unit at 777 for odd starts, 778 for even
  ScopedUserRange scope({addr(base), addr(region.guard())});
  struct Case {
    const char* what;
    const void* s;
  };
  const Case cases[] = {{"measured", base + 1},
                        {"measured, even", base + 2},
                        {"into the guard page", region.guard() - 40},
                        {"outside the range", base - 1}};
  for (const Case& c : cases) {
    for (unsigned unit : {1u, 2u}) {
      SCOPED_TRACE(std::string(c.what) + ", unit " + std::to_string(unit));
      umaccess_fault_record by_arg{}, per_unit{};
      const umaccess_value a = umaccess_raw_string_length(c.s, unit, &by_arg);
      const umaccess_value b = unit == 1 ? umaccess_raw_string_length_u8(c.s, &per_unit)
                                         : umaccess_raw_string_length_u16(c.s, &per_unit);
      EXPECT_EQ(a.value, b.value);
      EXPECT_EQ(a.failed, b.failed);
      if (a.failed == 0) continue;
      EXPECT_EQ(by_arg.address, per_unit.address);
      EXPECT_EQ(by_arg.info, per_unit.info);
    }
  }
  umaccess_fault_record rec{};
  EXPECT_EQ(umaccess_raw_string_length_u8(base + 1, &rec).value, 776u);
  EXPECT_EQ(umaccess_raw_string_length_u16(base + 2, &rec).value, 388u);
  EXPECT_EQ(umaccess_raw_string_length_u16(base + 1, &rec).value, 388u);
  EXPECT_EQ(umaccess_raw_string_length_u8(region.guard() - 40, &rec).failed, 1u);
  EXPECT_EQ(rec.address, addr(region.guard()));
}

TEST_P(AccessString, KernelModeIgnoresTheUserRange) {
  GuardedRegion region(page_size());
  char* s = region.begin() + 100;
  fill_nonzero(s, 250, 4);
  s[250] = 0;
  fill_nonzero_units(s + 300, 99, 1);
  put_unit(s + 300, 99, 0);
  fill_nonzero_units(s + 501, 33, 2);  // odd address
  put_unit(s + 501, 33, 0);
  ScopedUserRange scope({addr(region.begin()), addr(region.begin() + 120)});
  EXPECT_EQ(StringLengthFromMode(s, KernelMode), 250u);
  EXPECT_EQ(WideStringLengthFromMode(wide_at(s + 300), KernelMode), 99u);
  EXPECT_EQ(WideStringLengthFromMode(wide_at(s + 501), KernelMode), 33u);
  const auto e = expect_raise([&] { StringLengthFromMode(s, UserMode); });
  expect_read_violation(e, "StringLengthFromMode", region.begin() + 120);
}

// ---- KernelMode neither checks nor recovers -------------------------------------------------

TEST(AccessStringDeathTest, KernelModeFaultIsNotRecovered) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  GuardedRegion region(page_size());
  fill_nonzero(region.ending_at_guard(40), 40, 6);
  EXPECT_EXIT(StringLengthFromMode(region.ending_at_guard(40), KernelMode),
              KilledBySignal(SIGSEGV), "");
  EXPECT_EXIT(WideStringLengthFromMode(wide_at(region.ending_at_guard(41)), KernelMode),
              KilledBySignal(SIGSEGV), "");
}

// ---- A mapped file that shrank under the string (SIGBUS) ------------------------------------

TEST_P(AccessString, StringInAShrunkFileMappingRaisesInPageError) {
  const int fd = memfd_create("umaccess-string", 0);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, static_cast<off_t>(2 * page_size())), 0);
  void* p = mmap(nullptr, 2 * page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ASSERT_NE(p, MAP_FAILED);
  char* map = static_cast<char*>(p);
  fill_nonzero(map, 2 * page_size(), 8);
  ASSERT_EQ(ftruncate(fd, static_cast<off_t>(page_size())), 0);  // page 1 is gone
  char* lost = map + page_size();
  for (std::size_t n : {0, 1, 2, 15, 16, 17, 63, 64, 200}) {
    SCOPED_TRACE(std::to_string(n) + " bytes before the lost page");
    const auto e = expect_raise([&] { StringLengthFromUser(lost - n); });
    expect_read_violation(e, "StringLengthFromUser", lost, STATUS_IN_PAGE_ERROR);
    const auto w = expect_raise([&] { WideStringLengthFromUser(wide_at(lost - n)); });
    expect_read_violation(w, "WideStringLengthFromUser", lost, STATUS_IN_PAGE_ERROR);
    umaccess_failure failure;
    ASSERT_EQ(umaccess_last_failure(&failure), 1);
    EXPECT_EQ(failure.signal, SIGBUS);
  }
  // A string that ends before the lost page is fine.
  lost[-1] = 0;
  EXPECT_EQ(StringLengthFromUser(lost - 10), 9u);
  lost[-2] = 0;
  EXPECT_EQ(WideStringLengthFromUser(wide_at(lost - 12)), 5u);
  munmap(map, 2 * page_size());
  close(fd);
}

}  // namespace
}  // namespace umatest
