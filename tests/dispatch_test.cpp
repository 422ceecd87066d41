// tests/dispatch_test.cpp - the variant registry: checked selection and read-back.
#include "support.h"

namespace umatest {
namespace {

TEST(Dispatch, RegistryListsTheBaselineAndSelectionReadsBack) {
  const auto all = umaccess::dispatch::variants();
  ASSERT_FALSE(all.empty());
  bool has_sse2 = false;
  for (const auto& v : all) {
    EXPECT_FALSE(v.description.empty()) << v.name;
    if (v.name == "sse2") has_sse2 = v.supported;
  }
  EXPECT_TRUE(has_sse2) << "every x86-64 CPU runs sse2";
  for (const auto& name : supported_variants()) {
    umaccess::dispatch::select(name);
    EXPECT_EQ(umaccess::dispatch::active(), name);
  }
  umaccess::dispatch::select("auto");
  EXPECT_FALSE(umaccess::dispatch::reason().empty());
}

TEST(Dispatch, UnknownNamesAreRejectedWithTheKnownList) {
  const std::string before = umaccess::dispatch::active();
  try {
    umaccess::dispatch::select("avx9000");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("unknown umaccess variant 'avx9000'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("sse2"), std::string::npos);
  }
  EXPECT_EQ(umaccess::dispatch::active(), before);
}

TEST(Dispatch, UnsupportedVariantsAreRejectedNotRun) {
  for (const auto& v : umaccess::dispatch::variants()) {
    if (v.supported) continue;
    EXPECT_THROW(umaccess::dispatch::select(v.name), std::invalid_argument) << v.name;
  }
}

}  // namespace
}  // namespace umatest
