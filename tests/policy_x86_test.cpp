// tests/policy_x86_test.cpp - the x86-64 automatic choice on fabricated CPUs (glibc's
// thresholds, the vendor gate on rep strings), and stepping down when features are missing.
#include "cpu.h"
#include "plan.h"
#include "operations.h"
#include "policy.h"
#include "support.h"

namespace umatest {
namespace {

using namespace umaccess::detail;

constexpr std::size_t MiB = std::size_t{1} << 20;

CpuDescription intel(const char* uarch, std::uint32_t features, std::size_t l2, std::size_t l3,
                     unsigned sharing) {
  CpuDescription cpu;
  cpu.vendor_id = Vendor::Intel;
  cpu.vendor = "GenuineIntel";
  cpu.microarchitecture = uarch;
  cpu.features = features;
  cpu.cache = {32 * 1024, l2, l3, false, sharing};
  return cpu;
}

constexpr std::uint32_t kAvx512All = kSse2 | kAvx2 | kAvx512f | kAvx512bw | kAvx512vl | kBmi2;

TEST(Policy, CascadeLakeGetsEvexAndGlibcThresholds) {
  // Skylake-SP / Cascade Lake: AVX-512 with a frequency licence, ERMS without FSRM, a
  // non-inclusive 35.75 MiB L3.
  const CpuDescription clx = intel("INTEL_SKL", kAvx512All | kErms, MiB, 35 * MiB + 768 * 1024, 2);
  std::string why;
  EXPECT_STREQ(auto_variant(clx, &why).name, "evex") << why;
  ThresholdReasons reasons;
  const Thresholds t = derive_thresholds(clx, auto_variant(clx, &why), &reasons);
  EXPECT_EQ(t.rep_movsb, 8192u) << reasons.rep_movsb;  // 4096 x VEC/16, VEC = 32
  EXPECT_EQ(t.rep_stosb, 2048u);
  EXPECT_EQ(t.non_temporal, (36 * MiB + 768 * 1024) / 2) << reasons.non_temporal;  // divisor 2
  EXPECT_EQ(derive_thresholds(clx, *find_variant("avx512"), &reasons).rep_movsb, 16384u);
  EXPECT_EQ(derive_thresholds(clx, *find_variant("sse2"), &reasons).rep_movsb, 2048u);
}

TEST(Policy, IceLakeServerGetsZmmAndTheFsrmCrossover) {
  const CpuDescription icx = intel("INTEL_ICL", kAvx512All | kErms | kFsrm, MiB + MiB / 4, 48 * MiB, 2);
  std::string why;
  EXPECT_STREQ(auto_variant(icx, &why).name, "avx512") << why;
  ThresholdReasons reasons;
  EXPECT_EQ(derive_thresholds(icx, *find_variant("avx512"), &reasons).rep_movsb, 2112u);
}

TEST(Policy, HaswellWithoutAvx512GetsAvx2) {
  const CpuDescription hsw = intel("INTEL_HSW", kSse2 | kAvx2 | kErms | kBmi2, 256 * 1024, 8 * MiB, 8);
  std::string why;
  EXPECT_STREQ(auto_variant(hsw, &why).name, "avx2") << why;
  ThresholdReasons reasons;
  const Thresholds t = derive_thresholds(hsw, *find_variant("avx2"), &reasons);
  EXPECT_EQ(t.rep_movsb, 8192u);
  // Broadwell and older: divisor 8, but never below 3/4 of one thread's share.
  EXPECT_EQ(t.non_temporal, std::max((8 * MiB + 256 * 1024) / 8, (8 * MiB + 256 * 1024) / 8 * 3 / 4));
}

TEST(Policy, CpuWithoutAvx2OrErmsGetsSse2AndNoRepMovsb) {
  const CpuDescription wsm = intel("INTEL_WSM", kSse2, 256 * 1024, 12 * MiB, 12);
  std::string why;
  EXPECT_STREQ(auto_variant(wsm, &why).name, "sse2") << why;
  ThresholdReasons reasons;
  const Thresholds t = derive_thresholds(wsm, *find_variant("sse2"), &reasons);
  EXPECT_EQ(t.rep_movsb, kNever);
  EXPECT_NE(reasons.rep_movsb.find("no ERMS"), std::string::npos);
  EXPECT_FALSE(wsm.has(find_variant("avx2")->required));
  EXPECT_FALSE(wsm.has(find_variant("erms")->required));
}

TEST(Policy, AmdGetsVectorsAndNoRepStringsDespiteErms) {
  CpuDescription zen2 = intel("AMD_ZEN2", kSse2 | kAvx2 | kErms | kBmi2, 512 * 1024, 16 * MiB, 8);
  zen2.vendor_id = Vendor::Amd;
  zen2.vendor = "AuthenticAMD";
  std::string why;
  EXPECT_STREQ(auto_variant(zen2, &why).name, "avx2") << why;
  ThresholdReasons reasons;
  const Thresholds t = derive_thresholds(zen2, *find_variant("avx2"), &reasons);
  EXPECT_EQ(t.rep_movsb, kNever) << reasons.rep_movsb;
  EXPECT_EQ(t.rep_stosb, kNever);
  EXPECT_NE(reasons.rep_movsb.find("AMD"), std::string::npos);
  EXPECT_EQ(t.non_temporal, std::max((16 * MiB + 512 * 1024) / 4, (16 * MiB + 512 * 1024) / 8 * 3 / 4));
  // Asked for by name, the erms variant still uses rep movsb (everywhere): an explicit choice.
  EXPECT_EQ(derive_thresholds(zen2, *find_variant("erms"), &reasons).rep_movsb, 0u);
}

TEST(Policy, UnknownCachesFallBackTo64MiB) {
  const CpuDescription cpu = intel("X86_UNKNOWN", kSse2 | kErms | kFsrm, 0, 0, 1);
  ThresholdReasons reasons;
  const Thresholds t = derive_thresholds(cpu, *find_variant("erms"), &reasons);
  EXPECT_EQ(t.non_temporal, 64 * MiB);
  EXPECT_EQ(t.rep_movsb, 0u) << "erms with FSRM: rep movsb from the first byte";
}

TEST(Dispatch, VariantsTheCpuLacksAreRejectedAndAutoStepsDown) {
  CpuDescription without_avx512 = detected_cpu();
  without_avx512.features &= ~std::uint32_t{kAvx512f | kAvx512bw | kAvx512vl};
  set_cpu_for_testing(&without_avx512);
  try {
    umaccess::dispatch::select("avx512");
    ADD_FAILURE() << "an unsupported variant was selected";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'avx512' cannot run on this CPU (missing: avx512f, "
                                         "avx512bw, avx512vl)"),
              std::string::npos)
        << e.what();
  }
  for (const auto& v : umaccess::dispatch::variants()) {
    if (v.name == "avx512" || v.name == "evex") {
      EXPECT_FALSE(v.supported) << v.name;
    }
  }
  if (without_avx512.has(kAvx2)) {
    EXPECT_EQ(umaccess::dispatch::active(), "avx2");
  }
  char buf[64];
  CopyFromUser(buf, "still copies with the stepped-down kernels", 40);
  set_cpu_for_testing(nullptr);
}

}  // namespace
}  // namespace umatest
