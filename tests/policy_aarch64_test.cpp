// SPDX-License-Identifier: Apache-2.0
// tests/policy_aarch64_test.cpp - the AArch64 automatic choice on fabricated CPUs: NEON
// wherever Advanced SIMD is there, never a rep-string class, the streaming threshold from the
// caches; and stepping down when features are missing.
#include "cpu.h"
#include "plan.h"
#include "operations.h"
#include "policy.h"
#include "support.h"

namespace umatest {
namespace {

using namespace umaccess::detail;

constexpr std::size_t MiB = std::size_t{1} << 20;

CpuDescription neoverse_n1(std::uint32_t features, std::size_t l3, unsigned sharing) {
  CpuDescription cpu;
  cpu.vendor_id = Vendor::Arm;
  cpu.vendor = "ARM";
  cpu.microarchitecture = "ARM_NEOVERSE_N1";
  cpu.core = "Neoverse N1";
  cpu.features = features;
  cpu.cache.l1d = 64 * 1024;
  cpu.cache.l2 = MiB;
  cpu.cache.l3 = l3;
  cpu.cache.l3_sharing_threads = sharing;
  return cpu;
}

TEST(Policy, AdvancedSimdGetsNeonAndNoRepStringClasses) {
  const CpuDescription n1 = neoverse_n1(kAsimd | kAtomics, 32 * MiB, 16);
  std::string why;
  EXPECT_STREQ(auto_variant(n1, &why).name, "neon") << why;
  ThresholdReasons reasons;
  for (const char* v : {"neon", "gpr"}) {
    const Thresholds t = derive_thresholds(n1, *find_variant(v), &reasons);
    EXPECT_EQ(t.rep_movsb, kNever) << v;
    EXPECT_EQ(t.rep_stosb, kNever) << v;
    EXPECT_NE(reasons.rep_movsb.find("AArch64 has no rep movsb"), std::string::npos)
        << reasons.rep_movsb;
    // A non-inclusive 32 MiB L3 plus the core's 1 MiB L2, divided by 4.
    EXPECT_EQ(t.non_temporal, 33 * MiB / 4) << reasons.non_temporal;
    EXPECT_EQ(t.non_temporal_fill, t.non_temporal) << reasons.non_temporal_fill;
  }
}

TEST(Policy, WithoutAdvancedSimdTheGeneralRegisterBaseline) {
  const CpuDescription bare = neoverse_n1(0, 0, 1);
  std::string why;
  EXPECT_STREQ(auto_variant(bare, &why).name, "gpr") << why;
  EXPECT_STREQ(baseline_variant().name, "gpr");
  EXPECT_EQ(find_variant("gpr")->required, 0u) << "the baseline must run everywhere";
  ThresholdReasons reasons;
  EXPECT_EQ(derive_thresholds(bare, *find_variant("gpr"), &reasons).non_temporal, 64 * MiB)
      << "unknown caches: glibc's fallback";
}

TEST(Dispatch, VariantsTheCpuLacksAreRejectedAndAutoStepsDown) {
  CpuDescription without_asimd = detected_cpu();
  ASSERT_TRUE(without_asimd.has(kAsimd)) << "every AArch64 Linux core has Advanced SIMD";
  without_asimd.features &= ~std::uint32_t{kAsimd};
  set_cpu_for_testing(&without_asimd);
  try {
    umaccess::dispatch::select("neon");
    ADD_FAILURE() << "an unsupported variant was selected";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'neon' cannot run on this CPU (missing: asimd)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(umaccess::dispatch::active(), "gpr");
  char buf[64];
  CopyFromUser(buf, "still copies with the stepped-down kernels", 40);
  EXPECT_EQ(std::string(buf, 40), std::string("still copies with the stepped-down kernels", 40));
  set_cpu_for_testing(nullptr);
  EXPECT_EQ(umaccess::dispatch::active(), "neon");
}

}  // namespace
}  // namespace umatest
