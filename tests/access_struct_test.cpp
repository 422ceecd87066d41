// SPDX-License-Identifier: Apache-2.0
// tests/access_struct_test.cpp - the structure macros and helpers (docs/api.md;
// https://learn.microsoft.com/en-us/windows-hardware/drivers/ddi/usermode_accessors/nf-usermode_accessors-readstructfromuser
// and the pages beside it):
// ReadStructFromUser / WriteStructToUser, their ...Aligned, ...FromMode / ...ToMode and
// ...ModeAligned forms, and the four *Helper functions, for structures of 1, 2, 4 and 8
// bytes (one scalar access) and of 3, 12, 24 and 4096+ bytes (a copy): exact bytes, faults,
// alignment checks, the user range, single evaluation of the macro arguments and
// RtlTypesCompatible. What must not compile: tests/compile_fail/types_compatible.cpp.
#include <algorithm>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "support.h"

namespace umatest {
namespace {

using umaccess::StructuredException;

constexpr KPROCESSOR_MODE kOtherMode = 7;  // any non-zero mode takes the user path

struct S1 { UCHAR a; };
struct S2 { UCHAR a, b; };
struct S4 { USHORT a, b; };
struct S8 { ULONG a; USHORT b; UCHAR c, d; };
struct S3 { UCHAR a[3]; };
struct S12 { ULONG a[3]; };
struct S24 { ULONG64 a; ULONG b; USHORT c; UCHAR d[10]; };
struct SPage { UCHAR a[4096 + 13]; };
struct S4Other { USHORT a, b; };  // S4's layout, another type
static_assert(sizeof(S1) == 1 && sizeof(S2) == 2 && sizeof(S4) == 4 && sizeof(S8) == 8 &&
              sizeof(S3) == 3 && sizeof(S12) == 12 && sizeof(S24) == 24 && sizeof(SPage) == 4109);

std::uintptr_t addr(const volatile void* p) { return reinterpret_cast<std::uintptr_t>(p); }

// 1, 2, 4 and 8 bytes travel as one scalar access, everything else as a copy.
template <class T>
constexpr bool kScalar = sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8;

// One way to read a T from user memory into a kernel buffer (or write one back).
template <class T>
struct ReadForm {
  std::string label;
  std::string operation;  // operation() of a fault in the access (scalar sizes)
  bool user;              // false: the KernelMode path
  std::function<void(T*, const volatile T*)> run;
};
template <class T>
struct WriteForm {
  std::string label;
  std::string operation;
  bool user;
  std::function<void(volatile T*, const T*)> run;
};

const KPROCESSOR_MODE kModes[] = {UserMode, kOtherMode, KernelMode};
std::string mode_name(KPROCESSOR_MODE m) {
  return m == KernelMode ? "KernelMode" : m == UserMode ? "UserMode" : std::to_string(m);
}

// Every read form; `alignment` is what the ...Aligned forms demand.
template <class T>
std::vector<ReadForm<T>> read_forms(ULONG alignment) {
  std::vector<ReadForm<T>> out = {
      {"ReadStructFromUser", "ReadStructFromUser", true,
       [](T* d, const volatile T* s) { ReadStructFromUser(d, s); }},
      {"ReadStructFromUserAligned", "ReadStructFromUser", true,
       [=](T* d, const volatile T* s) { ReadStructFromUserAligned(d, s, alignment); }},
      {"ReadStructFromUserHelper", "ReadStructFromUser", true,
       [](T* d, const volatile T* s) { ReadStructFromUserHelper(d, s, sizeof(T)); }},
  };
  for (const KPROCESSOR_MODE mode : kModes) {
    const std::string m = "(" + mode_name(mode) + ")";
    const bool user = mode != KernelMode;
    out.push_back({"ReadStructFromMode" + m, "ReadStructFromMode", user,
                   [=](T* d, const volatile T* s) { ReadStructFromMode(d, s, mode); }});
    out.push_back({"ReadStructFromModeAligned" + m, "ReadStructFromMode", user,
                   [=](T* d, const volatile T* s) {
                     ReadStructFromModeAligned(d, s, mode, alignment);
                   }});
    out.push_back({"ReadStructFromModeHelper" + m, "ReadStructFromMode", user,
                   [=](T* d, const volatile T* s) {
                     ReadStructFromModeHelper(d, s, sizeof(T), mode);
                   }});
  }
  return out;
}

template <class T>
std::vector<WriteForm<T>> write_forms(ULONG alignment) {
  std::vector<WriteForm<T>> out = {
      {"WriteStructToUser", "WriteStructToUser", true,
       [](volatile T* d, const T* s) { WriteStructToUser(d, s); }},
      {"WriteStructToUserAligned", "WriteStructToUser", true,
       [=](volatile T* d, const T* s) { WriteStructToUserAligned(d, s, alignment); }},
      {"WriteStructToUserHelper", "WriteStructToUser", true,
       [](volatile T* d, const T* s) { WriteStructToUserHelper(d, s, sizeof(T)); }},
  };
  for (const KPROCESSOR_MODE mode : kModes) {
    const std::string m = "(" + mode_name(mode) + ")";
    const bool user = mode != KernelMode;
    out.push_back({"WriteStructToMode" + m, "WriteStructToMode", user,
                   [=](volatile T* d, const T* s) { WriteStructToMode(d, s, mode); }});
    out.push_back({"WriteStructToModeAligned" + m, "WriteStructToMode", user,
                   [=](volatile T* d, const T* s) {
                     WriteStructToModeAligned(d, s, mode, alignment);
                   }});
    out.push_back({"WriteStructToModeHelper" + m, "WriteStructToMode", user,
                   [=](volatile T* d, const T* s) {
                     WriteStructToModeHelper(d, s, sizeof(T), mode);
                   }});
  }
  return out;
}

// A kernel-side T with kMargin canary bytes on either side.
constexpr std::size_t kMargin = 16;
template <class T>
struct Framed {
  alignas(16) unsigned char bytes[kMargin + sizeof(T) + kMargin];
  Framed() { std::memset(bytes, kCanary, sizeof bytes); }
  T* object() { return reinterpret_cast<T*>(bytes + kMargin); }
  unsigned char* raw() { return bytes + kMargin; }
  bool margins_intact() const {
    return first_not(bytes, kCanary, kMargin) == kMargin &&
           first_not(bytes + kMargin + sizeof(T), kCanary, kMargin) == kMargin;
  }
};

template <class T>
class AccessStruct : public ::testing::Test {};
using StructTypes = ::testing::Types<S1, S2, S4, S8, S3, S12, S24, SPage>;
TYPED_TEST_SUITE(AccessStruct, StructTypes);

// Every read form copies exactly sizeof(T) bytes from the user object, at an aligned and at
// a misaligned address (only the ...Aligned forms check alignment, and alignment 1 passes).
TYPED_TEST(AccessStruct, ReadFormsCopyExactlyTheObject) {
  using T = TypeParam;
  GuardedRegion region(2 * sizeof(T) + 256);
  unsigned seed = 1;
  for (const std::size_t offset : {std::size_t{64}, std::size_t{64 + 3}}) {
    auto* user = region.begin() + offset;
    for (const auto& form : read_forms<T>(offset == 64 ? 64 : 1)) {
      SCOPED_TRACE(form.label + " at +" + std::to_string(offset));
      fill_pattern(user, sizeof(T), ++seed);
      Framed<T> kernel;
      form.run(kernel.object(), reinterpret_cast<const volatile T*>(user));
      ASSERT_EQ(first_mismatch(kernel.raw(), user, sizeof(T)), sizeof(T));
      ASSERT_TRUE(kernel.margins_intact());
    }
  }
}

TYPED_TEST(AccessStruct, WriteFormsCopyExactlyTheObject) {
  using T = TypeParam;
  GuardedRegion region(2 * sizeof(T) + 256);
  unsigned seed = 1;
  for (const std::size_t offset : {std::size_t{64}, std::size_t{64 + 5}}) {
    unsigned char* const user = reinterpret_cast<unsigned char*>(region.begin()) + offset;
    for (const auto& form : write_forms<T>(offset == 64 ? 64 : 1)) {
      SCOPED_TRACE(form.label + " at +" + std::to_string(offset));
      std::memset(user - kMargin, kCanary, sizeof(T) + 2 * kMargin);
      Framed<T> kernel;
      fill_pattern(kernel.raw(), sizeof(T), ++seed);
      form.run(reinterpret_cast<volatile T*>(user), kernel.object());
      ASSERT_EQ(first_mismatch(user, kernel.raw(), sizeof(T)), sizeof(T));
      ASSERT_EQ(first_not(user - kMargin, kCanary, kMargin), kMargin) << "written before";
      ASSERT_EQ(first_not(user + sizeof(T), kCanary, kMargin), kMargin) << "written after";
    }
  }
}

// The kernel that faulted: the single access of the size, or a copy kernel.
template <class T>
void expect_kernel(const StructuredException& e, const char* direction) {
  ASSERT_NE(e.kernel(), nullptr);
  const std::string scalar = std::string("uma_") + direction + "_" + std::to_string(8 * sizeof(T));
  if (kScalar<T>)
    EXPECT_EQ(e.kernel(), scalar) << "not one scalar access";
  else
    EXPECT_NE(std::string(e.kernel()).rfind(std::string("uma_") + direction, 0), 0u)
        << e.kernel() << ": a copy was expected";
}

// See expect_fault_address in access_scalar_test.cpp: a misaligned single access that
// crosses into the page reports FAR on AArch64; the copy kernels report the page exactly.
template <class T>
void expect_fault_address(const StructuredException& e, const volatile void* p, const char* guard) {
#if defined(__aarch64__)
  if (kScalar<T> && addr(p) != addr(guard)) {
    EXPECT_GE(e.address(), addr(p));
    EXPECT_LT(e.address(), addr(p) + sizeof(T));
    return;
  }
#else
  (void)p;
#endif
  EXPECT_EQ(e.address(), addr(guard));
}

// A user object whose tail lies in the guard page: STATUS_ACCESS_VIOLATION at the guard, in
// the right direction. A scalar-sized one is one access (nothing transferred; on x86-64 a
// failed store writes nothing); a larger one is a copy that transferred exactly the
// accessible prefix.
TYPED_TEST(AccessStruct, ObjectEndingInTheGuardPageRaises) {
  using T = TypeParam;
  GuardedRegion region(sizeof(T) + page_size());
  std::vector<std::size_t> prefixes = {0, sizeof(T) / 2, sizeof(T) - 1};
  if (sizeof(T) > 64) prefixes.push_back(sizeof(T) - 64);
  for (const std::size_t accessible : prefixes) {
    auto* user = region.ending_at_guard(accessible);
    fill_pattern(region.begin(), region.size(), static_cast<unsigned>(accessible));
    for (const auto& form : read_forms<T>(1)) {
      if (!form.user) continue;  // a kernel-side fault is a bug check
      SCOPED_TRACE(form.label + ", " + std::to_string(accessible) + " bytes accessible");
      Framed<T> kernel;
      const auto e = expect_raise([&] {
        form.run(kernel.object(), reinterpret_cast<const volatile T*>(user));
      });
      EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
      expect_fault_address<T>(e, user, region.guard());
      EXPECT_FALSE(e.is_write());
      expect_kernel<T>(e, "read");
      EXPECT_TRUE(kernel.margins_intact());
      if (kScalar<T>) {
        EXPECT_STREQ(e.operation(), form.operation.c_str());
        EXPECT_EQ(e.bytes_copied(), 0u);
        EXPECT_EQ(first_not(kernel.raw(), kCanary, sizeof(T)), sizeof(T)) << "a failed read stored";
      } else {
        EXPECT_EQ(e.bytes_copied(), accessible);
        EXPECT_EQ(first_mismatch(kernel.raw(), user, accessible), accessible);
      }
    }
    for (const auto& form : write_forms<T>(1)) {
      if (!form.user) continue;
      SCOPED_TRACE(form.label + ", " + std::to_string(accessible) + " bytes accessible");
      std::memset(region.begin(), kCanary, region.size());
      Framed<T> kernel;
      fill_pattern(kernel.raw(), sizeof(T), 4);
      const auto e = expect_raise([&] {
        form.run(reinterpret_cast<volatile T*>(user), kernel.object());
      });
      EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
      expect_fault_address<T>(e, user, region.guard());
      EXPECT_TRUE(e.is_write());
      expect_kernel<T>(e, "write");
      if (kScalar<T>) {
        EXPECT_STREQ(e.operation(), form.operation.c_str());
        EXPECT_EQ(e.bytes_copied(), 0u);
#if defined(__x86_64__)  // an AArch64 store may write the bytes before the page: scalar.S
        EXPECT_EQ(first_not(region.begin(), kCanary, region.size()), region.size())
            << "a failed single store wrote";
#endif
      } else {
        EXPECT_EQ(e.bytes_copied(), accessible);
        EXPECT_EQ(first_mismatch(user, kernel.raw(), accessible), accessible);
        const std::size_t before = region.size() - accessible;
        EXPECT_EQ(first_not(region.begin(), kCanary, before), before);
      }
    }
  }
}

// The ...Aligned forms: a user pointer misaligned for `Alignment` raises
// STATUS_DATATYPE_MISALIGNMENT at that pointer before anything is touched; KernelMode does
// not check alignment.
TYPED_TEST(AccessStruct, AlignedFormsCheckTheUserPointer) {
  using T = TypeParam;
  GuardedRegion region(sizeof(T) + 256);
  unsigned char* const base = reinterpret_cast<unsigned char*>(region.begin()) + 64;
  for (const std::size_t misalignment : {1, 2, 4}) {
    unsigned char* const user = base + misalignment;
    const auto* src = reinterpret_cast<const volatile T*>(user);
    auto* dst = reinterpret_cast<volatile T*>(user);
    SCOPED_TRACE("user pointer +" + std::to_string(misalignment) + " for alignment 8");
    std::memset(region.begin(), kCanary, region.size());
    Framed<T> kernel;
    const std::vector<std::pair<std::string, std::function<void()>>> reads = {
        {"ReadStructFromUserAligned", [&] { ReadStructFromUserAligned(kernel.object(), src, 8); }},
        {"ReadStructFromModeAligned(UserMode)",
         [&] { ReadStructFromModeAligned(kernel.object(), src, kModes[0], 8); }},
        {"ReadStructFromModeAligned(7)",
         [&] { ReadStructFromModeAligned(kernel.object(), src, kModes[1], 8); }},
    };
    for (const auto& [label, run] : reads) {
      SCOPED_TRACE(label);
      const auto e = expect_raise(run);
      EXPECT_EQ(e.code(), STATUS_DATATYPE_MISALIGNMENT);
      EXPECT_EQ(e.address(), addr(user));
      EXPECT_FALSE(e.is_write());
      EXPECT_EQ(e.kernel(), nullptr);
      EXPECT_EQ(first_not(kernel.bytes, kCanary, sizeof kernel.bytes), sizeof kernel.bytes);
    }
    fill_pattern(kernel.raw(), sizeof(T), 5);
    const std::vector<std::pair<std::string, std::function<void()>>> writes = {
        {"WriteStructToUserAligned", [&] { WriteStructToUserAligned(dst, kernel.object(), 8); }},
        {"WriteStructToModeAligned(UserMode)",
         [&] { WriteStructToModeAligned(dst, kernel.object(), kModes[0], 8); }},
        {"WriteStructToModeAligned(7)",
         [&] { WriteStructToModeAligned(dst, kernel.object(), kModes[1], 8); }},
    };
    for (const auto& [label, run] : writes) {
      SCOPED_TRACE(label);
      const auto e = expect_raise(run);
      EXPECT_EQ(e.code(), STATUS_DATATYPE_MISALIGNMENT);
      EXPECT_EQ(e.address(), addr(user));
      EXPECT_EQ(e.kernel(), nullptr);
      EXPECT_EQ(first_not(region.begin(), kCanary, region.size()), region.size());
    }
    // KernelMode: no alignment check, the object is copied.
    const KPROCESSOR_MODE kernel_mode = KernelMode;
    WriteStructToModeAligned(dst, kernel.object(), kernel_mode, 8);
    EXPECT_EQ(first_mismatch(user, kernel.raw(), sizeof(T)), sizeof(T));
    Framed<T> back;
    ReadStructFromModeAligned(back.object(), src, kernel_mode, 8);
    EXPECT_EQ(first_mismatch(back.raw(), user, sizeof(T)), sizeof(T));
    EXPECT_TRUE(back.margins_intact());
  }
}

// With the user range narrowed, an object that reaches outside it is refused before any
// memory is touched; KernelMode does not look at the range.
TYPED_TEST(AccessStruct, OutsideTheUserRangeRaisesBeforeTouchingMemory) {
  using T = TypeParam;
  GuardedRegion region(2 * sizeof(T) + 1024);
  unsigned char* const base = reinterpret_cast<unsigned char*>(region.begin());
  std::memset(base, kCanary, region.size());
  unsigned char* const lo = base + 256;
  unsigned char* const hi = lo + sizeof(T) + 64;
  umaccess::ScopedUserRange scope({addr(lo), addr(hi)});
  for (unsigned char* user : {hi - sizeof(T) + 1, hi, lo - 1}) {
    SCOPED_TRACE("object at range begin " + std::to_string(user - lo));
    const std::uintptr_t expected = user < lo ? addr(user) : std::max(addr(user), addr(hi));
    for (const auto& form : read_forms<T>(1)) {
      if (!form.user) continue;
      SCOPED_TRACE(form.label);
      Framed<T> kernel;
      const auto e = expect_raise([&] {
        form.run(kernel.object(), reinterpret_cast<const volatile T*>(user));
      });
      EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
      EXPECT_EQ(e.address(), expected);
      EXPECT_FALSE(e.is_write());
      EXPECT_EQ(e.kernel(), nullptr) << "memory was touched";
      EXPECT_EQ(first_not(kernel.bytes, kCanary, sizeof kernel.bytes), sizeof kernel.bytes);
    }
    for (const auto& form : write_forms<T>(1)) {
      if (!form.user) continue;
      SCOPED_TRACE(form.label);
      Framed<T> kernel;
      std::memset(kernel.raw(), 0x3C, sizeof(T));
      const auto e = expect_raise([&] {
        form.run(reinterpret_cast<volatile T*>(user), kernel.object());
      });
      EXPECT_EQ(e.code(), STATUS_ACCESS_VIOLATION);
      EXPECT_EQ(e.address(), expected);
      EXPECT_TRUE(e.is_write());
      EXPECT_EQ(e.kernel(), nullptr) << "memory was touched";
      ASSERT_EQ(first_not(base, kCanary, region.size()), region.size()) << "a refused write wrote";
    }
    Framed<T> kernel;
    ReadStructFromModeHelper(kernel.object(), user, sizeof(T), KernelMode);
    EXPECT_EQ(first_not(kernel.raw(), kCanary, sizeof(T)), sizeof(T));
  }
}

// Each macro argument is evaluated exactly once (the Alignment of a ...ModeAligned form in
// KernelMode at most once: the WDK does not evaluate it there).
TYPED_TEST(AccessStruct, MacrosEvaluateEachArgumentOnce) {
  using T = TypeParam;
  GuardedRegion region(sizeof(T) + 256);
  auto* user = reinterpret_cast<T*>(region.begin() + 64);
  Framed<T> kernel;
  int d = 0, s = 0, m = 0, a = 0;
  const auto reset = [&] { d = s = m = a = 0; };
  KPROCESSOR_MODE mode = UserMode;

  ReadStructFromUser((++d, kernel.object()), (++s, user));
  EXPECT_EQ(d * 10 + s, 11);
  reset();
  ReadStructFromUserAligned((++d, kernel.object()), (++s, user), (++a, 8));
  EXPECT_EQ(d * 100 + s * 10 + a, 111);
  reset();
  WriteStructToUser((++d, user), (++s, kernel.object()));
  EXPECT_EQ(d * 10 + s, 11);
  reset();
  WriteStructToUserAligned((++d, user), (++s, kernel.object()), (++a, 8));
  EXPECT_EQ(d * 100 + s * 10 + a, 111);
  for (const KPROCESSOR_MODE each : kModes) {
    SCOPED_TRACE(mode_name(each));
    mode = each;
    reset();
    ReadStructFromMode((++d, kernel.object()), (++s, user), (++m, mode));
    EXPECT_EQ(d * 100 + s * 10 + m, 111);
    reset();
    WriteStructToMode((++d, user), (++s, kernel.object()), (++m, mode));
    EXPECT_EQ(d * 100 + s * 10 + m, 111);
    reset();
    ReadStructFromModeAligned((++d, kernel.object()), (++s, user), (++m, mode), (++a, 8));
    EXPECT_EQ(d * 100 + s * 10 + m, 111);
    if (each == KernelMode) {
      EXPECT_LE(a, 1);
    } else {
      EXPECT_EQ(a, 1);
    }
    reset();
    WriteStructToModeAligned((++d, user), (++s, kernel.object()), (++m, mode), (++a, 8));
    EXPECT_EQ(d * 100 + s * 10 + m, 111);
    if (each == KernelMode) {
      EXPECT_LE(a, 1);
    } else {
      EXPECT_EQ(a, 1);
    }
  }
  // A failing form evaluates its arguments once too.
  reset();
  auto* misaligned = reinterpret_cast<T*>(region.begin() + 65);
  expect_raise([&] { ReadStructFromUserAligned((++d, kernel.object()), (++s, misaligned), (++a, 8)); });
  EXPECT_EQ(d * 100 + s * 10 + a, 111);
}

// ---- Non-typed checks ----------------------------------------------------------------------

TEST(AccessStructTypes, RtlTypesCompatibleFollowsAssignability) {
  using umaccess::detail::types_compatible;
  // As in the WDK (sizeof(*(D) = *(S)) plus a size check): assignable and the same size.
  static_assert(types_compatible<ULONG&, const LONG&>::value);
  static_assert(types_compatible<LONG&, const volatile ULONG&>::value);
  static_assert(types_compatible<volatile S12&, const S12&>::value);
  static_assert(types_compatible<S12&, const volatile S12&>::value);
  static_assert(types_compatible<USHORT&, WCHAR&>::value);
  static_assert(!types_compatible<ULONG64&, const ULONG&>::value);      // sizes differ
  static_assert(!types_compatible<S4&, const ULONG&>::value);           // not assignable
  static_assert(!types_compatible<S8&, const S12&>::value);
  static_assert(!types_compatible<S4&, const S4Other&>::value);      // same size, other type
  static_assert(!types_compatible<const S12&, const S12&>::value);      // const destination
  static_assert(!types_compatible<PVOID&, const ULONG_PTR&>::value);    // integer to pointer
  ULONG d = 0;
  const LONG s = -2;
  RtlTypesCompatible(&d, &s);  // a statement that compiles
  SUCCEED();
}

TEST(AccessStructTypes, LongIntoULongAndSameStruct) {
  GuardedRegion region(page_size());
  auto* user_long = reinterpret_cast<LONG*>(region.begin());
  *user_long = -2;
  ULONG kernel_ulong = 0;
  ReadStructFromUser(&kernel_ulong, user_long);
  EXPECT_EQ(kernel_ulong, 0xFFFFFFFEu);
  const KPROCESSOR_MODE mode = kOtherMode;
  kernel_ulong = 0;
  ReadStructFromMode(&kernel_ulong, user_long, mode);
  EXPECT_EQ(kernel_ulong, 0xFFFFFFFEu);

  auto* user_ulong = reinterpret_cast<ULONG*>(region.begin() + 8);
  const LONG kernel_long = -3;
  WriteStructToUser(user_ulong, &kernel_long);
  EXPECT_EQ(*user_ulong, 0xFFFFFFFDu);

  auto* user_s24 = reinterpret_cast<S24*>(region.begin() + 64);
  S24 k{0x0102030405060708ull, 0x11223344u, 0x5566, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}};
  WriteStructToUser(user_s24, &k);
  S24 back{};
  ReadStructFromUser(&back, user_s24);
  EXPECT_EQ(std::memcmp(&back, &k, sizeof k), 0);
}

TEST(AccessStructTypes, VolatilePointersWork) {
  GuardedRegion region(page_size());
  volatile S12* const user = reinterpret_cast<volatile S12*>(region.begin() + 32);
  const volatile S12* const user_source = user;
  const S12 out{{0xA1A2A3A4u, 0xB1B2B3B4u, 0xC1C2C3C4u}};
  const KPROCESSOR_MODE mode = UserMode;
  WriteStructToUser(user, &out);
  S12 in{};
  ReadStructFromUser(&in, user_source);
  EXPECT_EQ(std::memcmp(&in, &out, sizeof in), 0);
  in = {};
  ReadStructFromModeAligned(&in, user_source, mode, 4);
  EXPECT_EQ(in.a[2], 0xC1C2C3C4u);
  volatile ULONG* const scalar = reinterpret_cast<volatile ULONG*>(region.begin());
  const ULONG v = 0x01020304u;
  WriteStructToModeAligned(scalar, &v, mode, 4);
  const volatile ULONG* const scalar_source = scalar;
  ULONG w = 0;
  ReadStructFromUserAligned(&w, scalar_source, 4);
  EXPECT_EQ(w, v);
}

TEST(AccessStructTypes, HelpersWithSizeZeroDoNothing) {
  GuardedRegion region(page_size());
  unsigned char kernel[8];
  std::memset(kernel, kCanary, sizeof kernel);
  const KPROCESSOR_MODE mode = UserMode;
  // Not even an inaccessible or out-of-range pointer raises.
  ReadStructFromUserHelper(kernel, region.guard(), 0);
  ReadStructFromModeHelper(kernel, region.guard(), 0, mode);
  WriteStructToUserHelper(region.guard(), kernel, 0);
  WriteStructToModeHelper(region.guard(), kernel, 0, mode);
  {
    umaccess::ScopedUserRange scope({addr(region.begin()), addr(region.begin() + 8)});
    WriteStructToUserHelper(region.begin() + 64, kernel, 0);
    ReadStructFromUserHelper(kernel, region.begin() + 64, 0);
  }
  EXPECT_EQ(first_not(kernel, kCanary, sizeof kernel), sizeof kernel);
}

TEST(AccessStructTypes, AlignmentThatIsNotAPowerOfTwoIsAnInvalidParameter) {
  alignas(16) S12 user{};
  S12 kernel{};
  const auto e = expect_raise([&] { ReadStructFromUserAligned(&kernel, &user, 3); });
  EXPECT_EQ(e.code(), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(expect_raise([&] { WriteStructToUserAligned(&user, &kernel, 12); }).code(),
            STATUS_INVALID_PARAMETER);
}

// operation() of a fault names the struct macro whatever the size (a single access for
// 1/2/4/8 bytes, a copy otherwise).
TEST(AccessStructTypes, CopySizedFaultsNameTheStructOperation) {
  GuardedRegion region(page_size());
  auto* user = reinterpret_cast<S12*>(region.ending_at_guard(5));
  S12 kernel{};
  const KPROCESSOR_MODE mode = UserMode;
  EXPECT_STREQ(expect_raise([&] { ReadStructFromUser(&kernel, user); }).operation(),
               "ReadStructFromUser");
  EXPECT_STREQ(expect_raise([&] { ReadStructFromMode(&kernel, user, mode); }).operation(),
               "ReadStructFromMode");
  EXPECT_STREQ(expect_raise([&] { WriteStructToUser(user, &kernel); }).operation(),
               "WriteStructToUser");
  EXPECT_STREQ(expect_raise([&] { WriteStructToMode(user, &kernel, mode); }).operation(),
               "WriteStructToMode");
}

// The destination checks of WriteStructToUserAligned / WriteStructToModeAligned (alignment,
// then the user range) are reported as writes, as CopyToUserAligned's are.
TEST(AccessStructTypes, WriteDestinationChecksAreReportedAsWrites) {
  GuardedRegion region(page_size());
  unsigned char* const user = reinterpret_cast<unsigned char*>(region.begin());
  S12 kernel{};
  const KPROCESSOR_MODE mode = UserMode;
  auto* misaligned = reinterpret_cast<S12*>(user + 1);
  EXPECT_TRUE(expect_raise([&] { CopyToUserAligned(misaligned, &kernel, sizeof kernel, 4); }).is_write());
  EXPECT_TRUE(expect_raise([&] { WriteStructToUserAligned(misaligned, &kernel, 4); }).is_write());
  EXPECT_TRUE(expect_raise([&] { WriteStructToModeAligned(misaligned, &kernel, mode, 4); }).is_write());
  umaccess::ScopedUserRange scope({addr(user), addr(user + 64)});
  auto* outside = reinterpret_cast<S12*>(user + 64);
  EXPECT_TRUE(expect_raise([&] { CopyToUserAligned(outside, &kernel, sizeof kernel, 4); }).is_write());
  EXPECT_TRUE(expect_raise([&] { WriteStructToUserAligned(outside, &kernel, 4); }).is_write());
  EXPECT_TRUE(expect_raise([&] { WriteStructToModeAligned(outside, &kernel, mode, 4); }).is_write());
}

}  // namespace
}  // namespace umatest
