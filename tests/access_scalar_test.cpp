// SPDX-License-Identifier: Apache-2.0
// tests/access_scalar_test.cpp - the typed scalar accessors (docs/api.md;
// https://learn.microsoft.com/en-us/windows-hardware/drivers/kernel/user-mode-accessors):
// Read<X>FromUser, Read<X>FromUserAcquire, Read<X>FromMode, Write<X>ToUser,
// Write<X>ToUserRelease and Write<X>ToMode for the 29 types of UMACCESS_SCALAR_TYPES, the
// LARGE_INTEGER / ULARGE_INTEGER and UNICODE_STRING forms, the ReadFromUser / WriteToUser /
// ReadFromMode / WriteToMode overloads and the Rtl* scalar primitives. Each accessor is checked
// for a round trip, its exact width at every misalignment, faults on an object straddling a
// guard page, and refusal of a pointer outside the user range; then no tearing and
// acquire/release message passing between threads. (UmaExceptionFilter: tests/mode_test.cpp.)
#include <atomic>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "support.h"

namespace umatest {
namespace {

using umaccess::StructuredException;

// Every mode other than KernelMode takes the user path, not only UserMode.
constexpr KPROCESSOR_MODE kOtherMode = 7;

// Values whose bytes all differ (88 97 A6 B5 C4 D3 E2 F1), with the sign bit set at every
// width, and their bytewise complement. Neither contains kCanary.
constexpr std::uint64_t kBitsA = 0xF1E2D3C4B5A69788ull;
constexpr std::uint64_t kBitsB = ~kBitsA;

template <class T>
T value_from(std::uint64_t bits) {
  static_assert(sizeof(T) <= sizeof bits && std::is_trivially_copyable_v<T>);
  T v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

template <class T>
std::uint64_t bits_of(const T& v) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof v);
  return bits;
}

// Byte equality: works alike for integers, pointers, char16_t and the LARGE_INTEGER unions.
template <class T>
bool same(const T& a, const T& b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

template <class T>
std::string hex(const T& v) {
  char s[32];
  std::snprintf(s, sizeof s, "%#llx", static_cast<unsigned long long>(bits_of(v)));
  return s;
}

std::uintptr_t addr(const volatile void* p) { return reinterpret_cast<std::uintptr_t>(p); }

// The accessors of one <X>. Absent forms are nullptr (LARGE_INTEGER has no Acquire/Release
// forms; the Rtl* primitives have no Mode forms).
template <class T>
struct Accessors {
  std::string prefix;  // "" or "Rtl"
  std::string x;       // <X>, e.g. "ULong"
  T (*read_user)(const volatile T*);
  T (*read_acquire)(const volatile T*);
  T (*read_mode)(const volatile T*, KPROCESSOR_MODE);
  void (*write_user)(volatile T*, T);
  void (*write_release)(volatile T*, T);
  void (*write_mode)(volatile T*, T, KPROCESSOR_MODE);
};

template <class T>
struct Reader {
  std::string label;      // for failure messages
  std::string operation;  // what a raised exception's operation() must say
  bool user;              // false: the KernelMode path (no check, no recovery)
  std::function<T(const volatile T*)> read;
};

template <class T>
struct Writer {
  std::string label;
  std::string operation;
  bool user;
  std::function<void(volatile T*, T)> write;
};

template <class T>
std::vector<Reader<T>> readers(const Accessors<T>& a) {
  const std::string name = a.prefix + "Read" + a.x;
  std::vector<Reader<T>> out;
  out.push_back({name + "FromUser", name + "FromUser", true, a.read_user});
  if (a.read_acquire != nullptr)
    out.push_back({name + "FromUserAcquire", name + "FromUserAcquire", true, a.read_acquire});
  if (auto m = a.read_mode) {
    const std::string op = name + "FromMode";
    out.push_back({op + "(UserMode)", op, true, [m](const volatile T* p) { return m(p, UserMode); }});
    out.push_back({op + "(7)", op, true, [m](const volatile T* p) { return m(p, kOtherMode); }});
    out.push_back({op + "(KernelMode)", op, false,
                   [m](const volatile T* p) { return m(p, KernelMode); }});
  }
  return out;
}

template <class T>
std::vector<Writer<T>> writers(const Accessors<T>& a) {
  const std::string name = a.prefix + "Write" + a.x;
  std::vector<Writer<T>> out;
  out.push_back({name + "ToUser", name + "ToUser", true, a.write_user});
  if (a.write_release != nullptr)
    out.push_back({name + "ToUserRelease", name + "ToUserRelease", true, a.write_release});
  if (auto m = a.write_mode) {
    const std::string op = name + "ToMode";
    out.push_back({op + "(UserMode)", op, true, [m](volatile T* p, T v) { m(p, v, UserMode); }});
    out.push_back({op + "(7)", op, true, [m](volatile T* p, T v) { m(p, v, kOtherMode); }});
    out.push_back({op + "(KernelMode)", op, false,
                   [m](volatile T* p, T v) { m(p, v, KernelMode); }});
  }
  return out;
}

// Each writer stores a distinctive value (A and B alternately) into a canary-filled buffer:
// exactly its bytes land, and every reader returns it.
template <class T>
void round_trip(const Accessors<T>& a) {
  alignas(16) unsigned char buffer[32];
  auto* p = reinterpret_cast<volatile T*>(buffer + 8);
  int i = 0;
  for (const auto& w : writers(a)) {
    SCOPED_TRACE(w.label);
    const T v = value_from<T>(i++ % 2 ? kBitsB : kBitsA);
    std::memset(buffer, kCanary, sizeof buffer);
    w.write(p, v);
    ASSERT_EQ(first_not(buffer, kCanary, 8), 8u) << "written before the object";
    ASSERT_EQ(first_mismatch(buffer + 8, &v, sizeof(T)), sizeof(T)) << "value bytes differ";
    const std::size_t rest = sizeof buffer - 8 - sizeof(T);
    ASSERT_EQ(first_not(buffer + 8 + sizeof(T), kCanary, rest), rest) << "written past the object";
    for (const auto& r : readers(a)) {
      const T got = r.read(p);
      EXPECT_TRUE(same(got, v)) << r.label << " read " << hex(got) << ", expected " << hex(v);
    }
  }
}

// No alignment is enforced: at every offset 0..7 a write changes exactly sizeof(T) bytes
// and a read returns exactly the bytes there.
template <class T>
void exact_width(const Accessors<T>& a) {
  alignas(16) unsigned char buffer[32], expected[32];
  for (std::size_t offset = 0; offset < 8; ++offset) {
    SCOPED_TRACE("offset " + std::to_string(offset));
    auto* p = reinterpret_cast<volatile T*>(buffer + 8 + offset);
    int i = 0;
    for (const auto& w : writers(a)) {
      SCOPED_TRACE(w.label);
      const T v = value_from<T>(i++ % 2 ? kBitsB : kBitsA);
      fill_pattern(buffer, sizeof buffer, static_cast<unsigned>(offset));
      std::memcpy(expected, buffer, sizeof buffer);
      std::memcpy(expected + 8 + offset, &v, sizeof(T));
      w.write(p, v);
      ASSERT_EQ(first_mismatch(buffer, expected, sizeof buffer), sizeof buffer);
    }
    fill_pattern(buffer, sizeof buffer, static_cast<unsigned>(offset) + 100);
    T there;
    std::memcpy(&there, buffer + 8 + offset, sizeof(T));
    for (const auto& r : readers(a)) {
      const T got = r.read(p);
      EXPECT_TRUE(same(got, there)) << r.label << " read " << hex(got) << ", expected " << hex(there);
    }
  }
}

// The faulting address of an access that starts at p: the first inaccessible byte. On
// AArch64 a misaligned access that crosses into the inaccessible page reports whatever the
// hardware puts in FAR (asm/aarch64/scalar.S): only that it lies within the access is certain.
void expect_fault_address(const StructuredException& e, const volatile void* p, std::size_t size,
                          const char* guard) {
#if defined(__aarch64__)
  if (addr(p) != addr(guard)) {
    EXPECT_GE(e.address(), addr(p));
    EXPECT_LT(e.address(), addr(p) + size);
    return;
  }
#else
  (void)p;
  (void)size;
#endif
  EXPECT_EQ(e.address(), addr(guard));
}

// An object whose last `size - accessible` bytes lie in the guard page (accessible = 0: all
// of it): every user-path accessor raises STATUS_ACCESS_VIOLATION at the guard, in the right
// direction, under its own name, and a failed write leaves the accessible bytes unmodified.
template <class T>
void straddling_guard(const Accessors<T>& a) {
  GuardedRegion region(page_size());
  for (std::size_t accessible = 0; accessible < sizeof(T); ++accessible) {
    SCOPED_TRACE(std::to_string(accessible) + " accessible bytes");
    auto* p = reinterpret_cast<volatile T*>(region.ending_at_guard(accessible));
    for (const auto& r : readers(a)) {
      if (!r.user) continue;  // a kernel-side fault is a bug check, not an exception
      SCOPED_TRACE(r.label);
      const auto e = expect_raise([&] { r.read(p); });
      EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
      expect_fault_address(e, p, sizeof(T), region.guard());
      EXPECT_FALSE(e.is_write());
      EXPECT_STREQ(e.operation(), r.operation.c_str());
      EXPECT_NE(e.kernel(), nullptr) << "the access itself faulted";
    }
    for (const auto& w : writers(a)) {
      if (!w.user) continue;
      SCOPED_TRACE(w.label);
      std::memset(region.ending_at_guard(16), kCanary, 16);
      const auto e = expect_raise([&] { w.write(p, value_from<T>(kBitsA)); });
      EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
      expect_fault_address(e, p, sizeof(T), region.guard());
      EXPECT_TRUE(e.is_write());
      EXPECT_STREQ(e.operation(), w.operation.c_str());
      EXPECT_EQ(e.bytes_copied(), 0u);
#if defined(__x86_64__)
      // One store, all or nothing. (An AArch64 store that faults crossing into the page may
      // already have written the bytes before it: asm/aarch64/scalar.S.)
      EXPECT_EQ(first_not(region.ending_at_guard(16), kCanary, 16), 16u)
          << "a failed write modified the accessible bytes";
#endif
    }
  }
}

// With the user range narrowed to [lo, hi), an object outside it (or straddling either end)
// is refused before memory is touched, although the memory is accessible; the KernelMode
// paths do not check the range.
template <class T>
void outside_range(const Accessors<T>& a) {
  GuardedRegion region(page_size());
  unsigned char* const base = reinterpret_cast<unsigned char*>(region.begin());
  std::memset(base, kCanary, region.size());
  unsigned char* const lo = base + 256;
  unsigned char* const hi = base + 512;
  struct Case {
    unsigned char* p;
    unsigned char* address;  // the first address outside the range that the object covers
  };
  std::vector<Case> cases = {{hi, hi}, {hi + 64, hi + 64}, {lo - sizeof(T), lo - sizeof(T)}};
  if (sizeof(T) > 1) {
    cases.push_back({hi - sizeof(T) + 1, hi});  // last byte outside
    cases.push_back({lo - 1, lo - 1});          // first byte outside
  }
  umaccess::ScopedUserRange scope({addr(lo), addr(hi)});
  for (const Case& c : cases) {
    SCOPED_TRACE("object at range begin " + std::to_string(c.p - lo));
    auto* p = reinterpret_cast<volatile T*>(c.p);
    for (const auto& r : readers(a)) {
      SCOPED_TRACE(r.label);
      if (!r.user) {
        EXPECT_TRUE(same(r.read(p), value_from<T>(0xA5A5A5A5A5A5A5A5ull)));
        continue;
      }
      const auto e = expect_raise([&] { r.read(p); });
      EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
      EXPECT_EQ(e.address(), addr(c.address));
      EXPECT_FALSE(e.is_write());
      EXPECT_STREQ(e.operation(), r.operation.c_str());
      EXPECT_EQ(e.kernel(), nullptr) << "memory was touched";
    }
    for (const auto& w : writers(a)) {
      if (!w.user) continue;
      SCOPED_TRACE(w.label);
      const auto e = expect_raise([&] { w.write(p, value_from<T>(kBitsA)); });
      EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
      EXPECT_EQ(e.address(), addr(c.address));
      EXPECT_TRUE(e.is_write());
      EXPECT_STREQ(e.operation(), w.operation.c_str());
      EXPECT_EQ(e.kernel(), nullptr) << "memory was touched";
      ASSERT_EQ(first_not(base, kCanary, region.size()), region.size()) << "a refused write wrote";
    }
  }
  // Inside the range every form works; outside it the KernelMode write does too.
  auto* inside = reinterpret_cast<volatile T*>(hi - sizeof(T));
  for (const auto& w : writers(a)) {
    SCOPED_TRACE(w.label);
    const T v = value_from<T>(kBitsB);
    w.write(w.user ? inside : reinterpret_cast<volatile T*>(hi), v);
    EXPECT_EQ(first_mismatch(w.user ? hi - sizeof(T) : hi, &v, sizeof(T)), sizeof(T));
  }
}

#define UMATEST_ACCESSOR_TESTS(Suite, accessors)                                        \
  TEST(Suite, RoundTripsEveryForm) { round_trip(accessors); }                           \
  TEST(Suite, WritesExactlyItsWidthAtEveryOffset) { exact_width(accessors); }           \
  TEST(Suite, StraddlingTheGuardPageRaises) { straddling_guard(accessors); }            \
  TEST(Suite, OutsideTheUserRangeRaisesBeforeTouchingMemory) { outside_range(accessors); }

// The 29 types x 6 forms: suites AccessScalarBoolean ... AccessScalarHandle.
#define UMATEST_SCALAR_TESTS(X, T)                                                          \
  UMATEST_ACCESSOR_TESTS(AccessScalar##X,                                                   \
                         (Accessors<T>{"", #X, &Read##X##FromUser, &Read##X##FromUserAcquire, \
                                       &Read##X##FromMode, &Write##X##ToUser,               \
                                       &Write##X##ToUserRelease, &Write##X##ToMode}))
UMACCESS_SCALAR_TYPES(UMATEST_SCALAR_TESTS)
#undef UMATEST_SCALAR_TESTS

// LARGE_INTEGER / ULARGE_INTEGER: four forms each (no Acquire/Release).
UMATEST_ACCESSOR_TESTS(AccessScalarLargeInteger,
                       (Accessors<LARGE_INTEGER>{"", "LargeInteger", &ReadLargeIntegerFromUser,
                                                 nullptr, &ReadLargeIntegerFromMode,
                                                 &WriteLargeIntegerToUser, nullptr,
                                                 &WriteLargeIntegerToMode}))
UMATEST_ACCESSOR_TESTS(AccessScalarULargeInteger,
                       (Accessors<ULARGE_INTEGER>{"", "ULargeInteger", &ReadULargeIntegerFromUser,
                                                  nullptr, &ReadULargeIntegerFromMode,
                                                  &WriteULargeIntegerToUser, nullptr,
                                                  &WriteULargeIntegerToMode}))

// The Rtl* primitives: four forms each (no Mode forms), named Rtl... in exceptions.
#define UMATEST_RTL_TESTS(X, T)                                                             \
  UMATEST_ACCESSOR_TESTS(AccessScalarRtl##X,                                                \
                         (Accessors<T>{"Rtl", #X, &RtlRead##X##FromUser,                    \
                                       &RtlRead##X##FromUserAcquire, nullptr,               \
                                       &RtlWrite##X##ToUser, &RtlWrite##X##ToUserRelease,   \
                                       nullptr}))
UMATEST_RTL_TESTS(UChar, UCHAR)
UMATEST_RTL_TESTS(UShort, USHORT)
UMATEST_RTL_TESTS(ULong, ULONG)
UMATEST_RTL_TESTS(ULong64, ULONG64)
UMATEST_RTL_TESTS(ULongPtr, ULONG_PTR)
#undef UMATEST_RTL_TESTS
#undef UMATEST_ACCESSOR_TESTS

// ---- LARGE_INTEGER / ULARGE_INTEGER: the value is QuadPart, halves little-endian ----------

TEST(AccessScalar, LargeIntegersRoundTripQuadPart) {
  alignas(8) LARGE_INTEGER user;
  LARGE_INTEGER v;
  v.QuadPart = static_cast<LONGLONG>(kBitsA);
  WriteLargeIntegerToUser(&user, v);
  EXPECT_EQ(user.QuadPart, static_cast<LONGLONG>(kBitsA));
  EXPECT_EQ(user.LowPart, 0xB5A69788u);
  EXPECT_EQ(user.HighPart, static_cast<LONG>(0xF1E2D3C4u));
  EXPECT_EQ(ReadLargeIntegerFromUser(&user).QuadPart, static_cast<LONGLONG>(kBitsA));
  EXPECT_EQ(ReadLargeIntegerFromMode(&user, KernelMode).u.HighPart, static_cast<LONG>(0xF1E2D3C4u));
  v.QuadPart = -2;
  WriteLargeIntegerToMode(&user, v, kOtherMode);
  EXPECT_EQ(ReadLargeIntegerFromMode(&user, UserMode).QuadPart, -2);

  alignas(8) ULARGE_INTEGER uuser;
  ULARGE_INTEGER u;
  u.QuadPart = kBitsB;
  WriteULargeIntegerToMode(&uuser, u, KernelMode);
  EXPECT_EQ(ReadULargeIntegerFromUser(&uuser).QuadPart, kBitsB);
  EXPECT_EQ(ReadULargeIntegerFromMode(&uuser, kOtherMode).HighPart, static_cast<ULONG>(kBitsB >> 32));
  u.LowPart = 1;
  u.HighPart = 0x80000000u;
  WriteULargeIntegerToUser(&uuser, u);
  EXPECT_EQ(uuser.QuadPart, 0x8000000000000001ull);
}

// ---- UNICODE_STRING: lengths as one ULONG, Buffer as one pointer, padding untouched ----------

static_assert(sizeof(UNICODE_STRING) == 16 && offsetof(UNICODE_STRING, Buffer) == 8);

PWSTR fake_buffer() { return reinterpret_cast<PWSTR>(static_cast<std::uintptr_t>(kBitsA)); }

UNICODE_STRING make_string(USHORT length, USHORT maximum, PWSTR buffer) {
  UNICODE_STRING s;
  std::memset(&s, 0x55, sizeof s);  // the padding of the value passed is not what lands
  s.Length = length;
  s.MaximumLength = maximum;
  s.Buffer = buffer;
  return s;
}

void expect_string_bytes(const unsigned char* b, USHORT length, USHORT maximum, PWSTR buffer) {
  const unsigned char lengths[4] = {static_cast<unsigned char>(length),
                                    static_cast<unsigned char>(length >> 8),
                                    static_cast<unsigned char>(maximum),
                                    static_cast<unsigned char>(maximum >> 8)};
  EXPECT_EQ(first_mismatch(b, lengths, 4), 4u) << "Length / MaximumLength";
  EXPECT_EQ(first_not(b + 4, 0xAA, 4), 4u) << "the padding was written";
  EXPECT_EQ(first_mismatch(b + 8, &buffer, 8), 8u) << "Buffer";
}

TEST(AccessScalar, WriteUnicodeStringLeavesThePaddingUntouched) {
  alignas(8) unsigned char user[16];
  auto* us = reinterpret_cast<UNICODE_STRING*>(user);
  std::memset(user, 0xAA, sizeof user);
  WriteUnicodeStringToUser(us, make_string(0x1234, 0x5678, fake_buffer()));
  expect_string_bytes(user, 0x1234, 0x5678, fake_buffer());
  for (KPROCESSOR_MODE mode : {KPROCESSOR_MODE{KernelMode}, KPROCESSOR_MODE{UserMode}, kOtherMode}) {
    SCOPED_TRACE("mode " + std::to_string(mode));
    std::memset(user, 0xAA, sizeof user);
    const auto buffer = reinterpret_cast<PWSTR>(user + mode);
    WriteUnicodeStringToMode(us, make_string(static_cast<USHORT>(2 * mode + 2), 0xFFFE, buffer),
                             mode);
    expect_string_bytes(user, static_cast<USHORT>(2 * mode + 2), 0xFFFE, buffer);
  }
  std::memset(user, 0xAA, sizeof user);
  WriteToUser(us, make_string(0, 0x8001, nullptr));  // the overload
  expect_string_bytes(user, 0, 0x8001, nullptr);
  std::memset(user, 0xAA, sizeof user);
  WriteToMode(us, make_string(0x10, 0x20, fake_buffer()), KernelMode);
  expect_string_bytes(user, 0x10, 0x20, fake_buffer());
}

TEST(AccessScalar, ReadUnicodeStringReadsTheThreeFields) {
  alignas(8) unsigned char user[16];
  std::memset(user, 0xAA, sizeof user);
  const UNICODE_STRING written = make_string(0xBEEF, 0xCAFE, fake_buffer());
  std::memcpy(user, &written.Length, 2);
  std::memcpy(user + 2, &written.MaximumLength, 2);
  std::memcpy(user + 8, &written.Buffer, 8);
  const auto* us = reinterpret_cast<const UNICODE_STRING*>(user);
  std::vector<std::pair<std::string, std::function<UNICODE_STRING()>>> forms = {
      {"ReadUnicodeStringFromUser", [&] { return ReadUnicodeStringFromUser(us); }},
      {"ReadUnicodeStringFromMode(KernelMode)", [&] { return ReadUnicodeStringFromMode(us, KernelMode); }},
      {"ReadUnicodeStringFromMode(UserMode)", [&] { return ReadUnicodeStringFromMode(us, UserMode); }},
      {"ReadUnicodeStringFromMode(7)", [&] { return ReadUnicodeStringFromMode(us, kOtherMode); }},
      {"ReadFromUser", [&] { return ReadFromUser(us); }},
      {"ReadFromMode", [&] { return ReadFromMode(us, UserMode); }},
  };
  for (const auto& [label, read] : forms) {
    SCOPED_TRACE(label);
    const UNICODE_STRING s = read();
    EXPECT_EQ(s.Length, 0xBEEF);
    EXPECT_EQ(s.MaximumLength, 0xCAFE);
    EXPECT_EQ(s.Buffer, fake_buffer());
  }
}

TEST(AccessScalar, UnicodeStringWithItsBufferFieldInTheGuardPageRaises) {
  GuardedRegion region(page_size());
  // Length and MaximumLength (and the padding) are accessible; Buffer is the guard page.
  auto* us = reinterpret_cast<UNICODE_STRING*>(region.ending_at_guard(8));
  const auto guard = addr(region.guard());
  std::memset(us, 0xAA, 8);
  const auto r = expect_raise([&] { ReadUnicodeStringFromUser(us); });
  EXPECT_EQ(r.code(), STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(r.address(), guard);
  EXPECT_FALSE(r.is_write());
  EXPECT_STREQ(r.operation(), "ReadUnicodeStringFromUser");
  for (KPROCESSOR_MODE mode : {KPROCESSOR_MODE{UserMode}, kOtherMode}) {
    const auto m = expect_raise([&] { ReadUnicodeStringFromMode(us, mode); });
    EXPECT_EQ(m.address(), guard);
    EXPECT_STREQ(m.operation(), "ReadUnicodeStringFromMode");
    const auto w = expect_raise([&] { WriteUnicodeStringToMode(us, make_string(2, 4, nullptr), mode); });
    EXPECT_EQ(w.code(), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(w.address(), guard);
    EXPECT_TRUE(w.is_write());
    EXPECT_STREQ(w.operation(), "WriteUnicodeStringToMode");
  }
  const auto w = expect_raise([&] { WriteUnicodeStringToUser(us, make_string(2, 4, nullptr)); });
  EXPECT_EQ(w.code(), STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(w.address(), guard);
  EXPECT_TRUE(w.is_write());
  EXPECT_STREQ(w.operation(), "WriteUnicodeStringToUser");
  EXPECT_EQ(first_not(region.ending_at_guard(4), 0xAA, 4), 4u) << "the padding was written";
  // Entirely in the guard page: the lengths fault first, at the guard.
  auto* gone = reinterpret_cast<UNICODE_STRING*>(region.guard());
  EXPECT_EQ(expect_raise([&] { ReadUnicodeStringFromUser(gone); }).address(), guard);
  EXPECT_EQ(expect_raise([&] { WriteUnicodeStringToUser(gone, make_string(0, 0, nullptr)); }).address(),
            guard);
}

// ---- The _Generic-style overloads ------------------------------------------------------------

// ReadFromUser / WriteToUser / ReadFromMode / WriteToMode on a T pick Read<x>FromUser etc.:
// the result type, the value, and (from a fault) the name of the accessor that ran.
template <class T>
void check_overloads(const char* x, T value) {
  SCOPED_TRACE(x);
  static_assert(std::is_same_v<decltype(ReadFromUser(std::declval<T*>())), T>);
  static_assert(std::is_same_v<decltype(ReadFromMode(std::declval<const volatile T*>(), UserMode)), T>);
  static_assert(std::is_void_v<decltype(WriteToUser(std::declval<volatile T*>(), value))>);
  alignas(8) unsigned char buffer[16];
  std::memset(buffer, kCanary, sizeof buffer);
  auto* p = reinterpret_cast<T*>(buffer + 8);
  WriteToUser(p, value);
  EXPECT_EQ(first_mismatch(p, &value, sizeof(T)), sizeof(T));
  EXPECT_EQ(first_not(buffer, kCanary, 8), 8u);
  EXPECT_TRUE(same(ReadFromUser(p), value));
  for (KPROCESSOR_MODE mode : {KPROCESSOR_MODE{KernelMode}, KPROCESSOR_MODE{UserMode}, kOtherMode}) {
    std::memset(buffer, kCanary, sizeof buffer);
    WriteToMode(static_cast<volatile T*>(p), value, mode);
    EXPECT_EQ(first_mismatch(p, &value, sizeof(T)), sizeof(T));
    EXPECT_TRUE(same(ReadFromMode(static_cast<const volatile T*>(p), mode), value));
  }
  GuardedRegion region(page_size());
  auto* q = reinterpret_cast<T*>(region.ending_at_guard(sizeof(T) / 2));
  const std::string X = x;
  EXPECT_EQ(expect_raise([&] { ReadFromUser(q); }).operation(), "Read" + X + "FromUser");
  EXPECT_EQ(expect_raise([&] { ReadFromMode(q, kOtherMode); }).operation(), "Read" + X + "FromMode");
  EXPECT_EQ(expect_raise([&] { WriteToUser(q, value); }).operation(), "Write" + X + "ToUser");
  EXPECT_EQ(expect_raise([&] { WriteToMode(q, value, UserMode); }).operation(), "Write" + X + "ToMode");
}

TEST(AccessScalar, GenericOverloadsPickTheTypedAccessor) {
  check_overloads<UINT8>("UInt8", 0xF1);
  check_overloads<INT8>("Int8", -100);
  check_overloads<UINT16>("UInt16", 0xF1E2);
  check_overloads<INT16>("Int16", -12345);
  check_overloads<UINT32>("UInt32", 0xF1E2D3C4u);
  check_overloads<INT32>("Int32", -123456789);
  check_overloads<UINT64>("UInt64", kBitsA);
  check_overloads<INT64>("Int64", -1234567890123456789ll);
  static int object;
  check_overloads<PVOID>("Pointer", &object);
  LARGE_INTEGER large;
  large.QuadPart = -9876543210ll;
  check_overloads<LARGE_INTEGER>("LargeInteger", large);
  ULARGE_INTEGER ularge;
  ularge.QuadPart = kBitsB;
  check_overloads<ULARGE_INTEGER>("ULargeInteger", ularge);
  // ULONG and LONG are UINT32 and INT32 here: the same overloads.
  ULONG ul = 0;
  WriteToUser(&ul, ULONG{0xDEADBEEF});
  EXPECT_EQ(ReadFromUser(&ul), 0xDEADBEEFu);
}

// ---- Concurrency ---------------------------------------------------------------------------

// A naturally aligned location that a writer flips between all-zero and all-one bytes (with
// the plain and the Release store alternately) is never seen torn by the plain and Acquire
// loads. The reader starts once the writer runs, and reads until it has seen both values
// (yielding now and then, so that one CPU is enough), within a bound.
template <class T>
void no_tearing(T (*read)(const volatile T*), T (*read_acquire)(const volatile T*),
                void (*write)(volatile T*, T), void (*write_release)(volatile T*, T)) {
  GuardedRegion region(page_size());
  auto* p = reinterpret_cast<volatile T*>(region.begin() + 64);
  const T zero = 0, ones = static_cast<T>(~T{0});
  write(p, zero);
  std::atomic<bool> started{false}, stop{false};
  std::thread writer([&] {
    for (unsigned i = 0; !stop.load(std::memory_order_relaxed); ++i) {
      (i & 2 ? write_release : write)(p, i & 1 ? ones : zero);
      if (i == 64) started = true;
    }
  });
  while (!started) std::this_thread::yield();
  constexpr long kReads = 200000, kMaxReads = 4000000;
  long torn = 0, zeros_seen = 0, ones_seen = 0, reads = 0;
  T first_torn = 0;
  for (; reads < kMaxReads && (reads < kReads || zeros_seen == 0 || ones_seen == 0); ++reads) {
    const T v = (reads & 1 ? read_acquire : read)(p);
    if (v == ones) {
      ++ones_seen;
    } else if (v == zero) {
      ++zeros_seen;
    } else if (torn++ == 0) {
      first_torn = v;
    }
    if (reads % 4096 == 4095) std::this_thread::yield();
  }
  stop = true;
  writer.join();
  EXPECT_EQ(torn, 0) << "first torn value " << hex(first_torn);
  EXPECT_GT(zeros_seen, 0) << "the writer never overlapped the reader";
  EXPECT_GT(ones_seen, 0) << "the writer never overlapped the reader";
  ::testing::Test::RecordProperty("reads", std::to_string(reads));
  ::testing::Test::RecordProperty("ones_seen", std::to_string(ones_seen));
}

TEST(AccessScalar, NoTearingAt16Bits) {
  no_tearing<USHORT>(&ReadUShortFromUser, &ReadUShortFromUserAcquire, &WriteUShortToUser,
                     &WriteUShortToUserRelease);
}
TEST(AccessScalar, NoTearingAt32Bits) {
  no_tearing<ULONG>(&ReadULongFromUser, &ReadULongFromUserAcquire, &WriteULongToUser,
                    &WriteULongToUserRelease);
}
TEST(AccessScalar, NoTearingAt64Bits) {
  no_tearing<ULONG64>(&ReadULong64FromUser, &ReadULong64FromUserAcquire, &WriteULong64ToUser,
                      &WriteULong64ToUserRelease);
}

// ---- The raw entries (umaccess.h) -----------------------------------------------------------
// umaccess_raw_read(p, size, ...) and its family take the size at run time; the per-width
// entries (umaccess_raw_read_u32, ...), which the C++ accessors and the C inline twins call,
// fix it. Both give the same value, the same failure and the same record: in range, at a
// guard page, outside the user range.

struct RawWidth {
  unsigned size;
  umaccess_value (*read)(const void*, umaccess_fault_record*);
  umaccess_value (*read_acquire)(const void*, umaccess_fault_record*);
  umaccess_value (*write)(void*, std::uint64_t, umaccess_fault_record*);
  umaccess_value (*write_release)(void*, std::uint64_t, umaccess_fault_record*);
};
const RawWidth kRawWidths[] = {
    {1, umaccess_raw_read_u8, umaccess_raw_read_acquire_u8, umaccess_raw_write_u8,
     umaccess_raw_write_release_u8},
    {2, umaccess_raw_read_u16, umaccess_raw_read_acquire_u16, umaccess_raw_write_u16,
     umaccess_raw_write_release_u16},
    {4, umaccess_raw_read_u32, umaccess_raw_read_acquire_u32, umaccess_raw_write_u32,
     umaccess_raw_write_release_u32},
    {8, umaccess_raw_read_u64, umaccess_raw_read_acquire_u64, umaccess_raw_write_u64,
     umaccess_raw_write_release_u64},
};

bool same_record(const umaccess_fault_record& a, const umaccess_fault_record& b) {
  return a.address == b.address && a.info == b.info && a.kernel == b.kernel;
}

TEST(AccessScalarRaw, SizedAndPerWidthEntriesAgree) {
  GuardedRegion region(page_size());
  char* const at = region.begin() + 64;
  for (const RawWidth& w : kRawWidths) {
    SCOPED_TRACE("size " + std::to_string(w.size));
    const std::uint64_t mask = w.size == 8 ? ~0ull : (1ull << (8 * w.size)) - 1;
    // Success: the width's bytes, zero-extended; a write stores exactly the width.
    std::memset(at, 0xEE, 16);
    const umaccess_value a = w.write(at + 1, kBitsA, nullptr);
    EXPECT_EQ(a.failed, 0u);
    std::uint64_t stored;
    std::memcpy(&stored, at + 1, sizeof stored);  // at + 1: no aligned load in the test itself
    EXPECT_EQ(stored & mask, kBitsA & mask);
    EXPECT_EQ(static_cast<unsigned char>(at[1 + w.size]), 0xEE) << "nothing past the width";
    const umaccess_value b = umaccess_raw_write_release(at + 1, w.size, kBitsB, nullptr);
    EXPECT_EQ(b.failed, 0u);
    umaccess_fault_record r1{}, r2{};
    const umaccess_value v1 = w.read(at + 1, &r1);
    const umaccess_value v2 = umaccess_raw_read(at + 1, w.size, &r2);
    const umaccess_value v3 = w.read_acquire(at + 1, &r1);
    const umaccess_value v4 = umaccess_raw_read_acquire(at + 1, w.size, &r2);
    for (const umaccess_value& v : {v1, v2, v3, v4}) {
      EXPECT_EQ(v.failed, 0u);
      EXPECT_EQ(v.value, kBitsB & mask);
    }
    const auto stored_at = [&] {
      std::uint64_t v = 0;
      std::memcpy(&v, at + 1, w.size);
      return v;
    };
    EXPECT_EQ(w.write_release(at + 1, kBitsA, nullptr).failed, 0u);
    EXPECT_EQ(stored_at(), kBitsA & mask);
    EXPECT_EQ(umaccess_raw_write(at + 1, w.size, kBitsB, nullptr).failed, 0u);
    EXPECT_EQ(stored_at(), kBitsB & mask);
    // Straddling the guard page, then outside the user range: the same failure.
    char* const straddling = region.guard() - (w.size - 1);  // its last byte in the guard
    const auto both_fail = [&](auto per_width, auto sized, bool is_write, const char* what) {
      umaccess_fault_record x{}, y{};
      const umaccess_value f1 = per_width(&x);
      const umaccess_value f2 = sized(&y);
      EXPECT_EQ(f1.failed, 1u) << what;
      EXPECT_EQ(f2.failed, 1u) << what;
      EXPECT_TRUE(same_record(x, y)) << what;
      EXPECT_EQ(umaccess_raw_access_status("ReadULongFromUser", &x), STATUS_ACCESS_VIOLATION)
          << what;
      umaccess_failure f{};
      EXPECT_EQ(umaccess_last_failure(&f), 1);
      EXPECT_EQ(f.is_write != 0, is_write) << what;
      return x;
    };
    const auto fault = both_fail([&](auto* r) { return w.read(straddling, r); },
                                 [&](auto* r) { return umaccess_raw_read(straddling, w.size, r); },
                                 false, "read at the guard");
#if defined(__aarch64__)
    // A misaligned access across the page boundary reports what the hardware puts in FAR:
    // an address within the access (see expect_fault_address).
    EXPECT_GE(fault.address, addr(straddling));
    EXPECT_LT(fault.address, addr(straddling) + w.size);
#else
    EXPECT_EQ(fault.address, addr(region.guard()));
#endif
    EXPECT_NE(fault.kernel, nullptr);
    both_fail([&](auto* r) { return w.write(straddling, 1, r); },
              [&](auto* r) { return umaccess_raw_write(straddling, w.size, 1, r); }, true,
              "write at the guard");
    both_fail([&](auto* r) { return w.read_acquire(straddling, r); },
              [&](auto* r) { return umaccess_raw_read_acquire(straddling, w.size, r); }, false,
              "acquire at the guard");
    both_fail([&](auto* r) { return w.write_release(straddling, 1, r); },
              [&](auto* r) { return umaccess_raw_write_release(straddling, w.size, 1, r); },
              true, "release at the guard");
    umaccess::ScopedUserRange scope({addr(at), addr(at + 8)});
    const auto refused = both_fail([&](auto* r) { return w.read(at + 8 - w.size + 1, r); },
                                   [&](auto* r) {
                                     return umaccess_raw_read(at + 8 - w.size + 1, w.size, r);
                                   },
                                   false, "read past the range");
    EXPECT_EQ(refused.address, addr(at + 8));
    EXPECT_EQ(refused.kernel, nullptr) << "refused before touching";
    both_fail([&](auto* r) { return w.write_release(at - 1, 0, r); },
              [&](auto* r) { return umaccess_raw_write_release(at - 1, w.size, 0, r); }, true,
              "write below the range");
  }
}

TEST(AccessScalarRawDeathTest, ASizeOtherThan1248IsACallerBug) {
  GuardedRegion region(page_size());
  umaccess_fault_record r{};
  EXPECT_DEATH(umaccess_raw_read(region.begin(), 3, &r),
               "BUG CHECK .* in umaccess_raw_read/write: an access size other than 1, 2, 4 or 8");
  EXPECT_DEATH(umaccess_raw_write(region.begin(), 16, 0, &r),
               "BUG CHECK .* in umaccess_raw_read/write: an access size other than 1, 2, 4 or 8");
}

// Message passing: the writer stores round i's payload (relaxed), then the flag i with
// release; a reader that sees flag i with acquire must then see round i's payload.
TEST(AccessScalar, AcquireReleaseMessagePassing) {
  GuardedRegion region(page_size());
  auto* payload = reinterpret_cast<volatile ULONG64*>(region.begin());
  auto* flag = reinterpret_cast<volatile ULONG*>(region.begin() + 256);  // another cache line
  WriteULong64ToUser(payload, 0);
  WriteULongToUser(flag, 0);
  constexpr ULONG kRounds = 2000;
  constexpr long kSpinCap = 20000000;  // per wait; never reached unless something is wrong
  const auto payload_for = [](ULONG i) { return kBitsA * i ^ (ULONG64{i} << 32 | i); };
  std::atomic<ULONG> ack{0};
  std::atomic<bool> abandon{false};
  // Spins until done() or abandon; yields after a while so one CPU is enough.
  const auto wait = [&](auto done) {
    for (long spins = 0; !done(); ++spins) {
      if (abandon.load(std::memory_order_relaxed) || spins > kSpinCap) return false;
      if (spins > 64) std::this_thread::yield();
    }
    return true;
  };
  std::thread writer([&] {
    for (ULONG i = 1; i <= kRounds; ++i) {
      WriteULong64ToUser(payload, payload_for(i));
      WriteULongToUserRelease(flag, i);
      if (!wait([&] { return ack.load(std::memory_order_acquire) == i; })) break;
    }
  });
  ULONG stale = 0, timed_out = 0, first_stale_round = 0;
  ULONG64 first_stale = 0;
  for (ULONG i = 1; i <= kRounds; ++i) {
    if (!wait([&] { return ReadULongFromUserAcquire(flag) == i; })) {
      timed_out = i;
      break;
    }
    const ULONG64 got = ReadULong64FromUser(payload);
    if (got != payload_for(i) && stale++ == 0) {
      first_stale_round = i;
      first_stale = got;
    }
    ack.store(i, std::memory_order_release);
  }
  abandon = true;
  writer.join();
  EXPECT_EQ(timed_out, 0u) << "gave up waiting for round " << timed_out;
  EXPECT_EQ(stale, 0u) << "round " << first_stale_round << " read payload " << hex(first_stale)
                       << ", expected " << hex(payload_for(first_stale_round));
}

}  // namespace
}  // namespace umatest
