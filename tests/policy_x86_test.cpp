// SPDX-License-Identifier: Apache-2.0
// tests/policy_x86_test.cpp - the x86-64 automatic choice on fabricated CPUs (glibc's
// thresholds, the vendor gate on rep strings), and stepping down when features are missing.
#include <cpu_features/cpu_features_cache_info.h>
#include <cpu_features/cpuinfo_x86.h>

#include "cpu.h"
#include "cpu_source.h"
#include "plan.h"
#include "operations.h"
#include "policy.h"
#include "support.h"

namespace umatest {
namespace {

using namespace umaccess::detail;

constexpr std::size_t MiB = std::size_t{1} << 20;

// The facts each fabricated core has, as the detector's tables give them (cpu_x86.cpp).
std::uint32_t facts_of(const std::string& uarch) {
  if (uarch == "INTEL_SKL") return kZmmLicence | kMeshL3;
  if (uarch == "INTEL_ICL") return kZmmFullClock | kMeshL3;
  if (uarch == "INTEL_HSW" || uarch == "INTEL_WSM") return kSmallL3Era;
  if (uarch == "AMD_ZEN2") return kRepStringsSlow | kPageAliasing;
  if (uarch == "AMD_ZEN5") return kRepStringsLong | kZmmFullClock;
  return 0;
}

CpuDescription intel(const char* uarch, std::uint32_t features, std::size_t l2, std::size_t l3,
                     unsigned sharing) {
  CpuDescription cpu;
  cpu.vendor_id = Vendor::Intel;
  cpu.vendor = "GenuineIntel";
  cpu.microarchitecture = uarch;
  cpu.core = uarch;
  cpu.facts = facts_of(uarch);
  cpu.features = features;
  cpu.cache.l1d = 32 * 1024;
  cpu.cache.l2 = l2;
  cpu.cache.l3 = l3;
  cpu.cache.l3_sharing_threads = sharing;
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
  EXPECT_EQ(t.non_temporal_fill, t.non_temporal) << reasons.non_temporal_fill;  // Intel: the same
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

// A hypervisor may show AVX-512 and hide AVX2 (CPUID bits are masked one by one). The
// AVX-512 variants run the AVX2 string-length kernels, so neither may run there: auto steps
// down to sse2 instead of raising SIGILL in StringLengthFromUser.
// Which string-length width each variant runs (the fault tests compare a fault's kernel with
// the plan, which reads the same registry field, so they cannot tell a wrong one).
TEST(Policy, EachVariantRunsItsStringLengthWidth) {
  const std::pair<const char*, uma_string_kernel> expected[] = {
      {"avx512", uma_strlen_avx2}, {"evex", uma_strlen_avx2}, {"avx2", uma_strlen_avx2},
      {"sse2", uma_strlen_sse2},   {"erms", uma_strlen_sse2}};
  for (const auto& [name, narrow] : expected) {
    const VariantDef* v = find_variant(name);
    ASSERT_NE(v, nullptr) << name;
    EXPECT_EQ(v->string_length, narrow) << name;
    EXPECT_EQ(v->wide_string_length, narrow == uma_strlen_avx2 ? uma_wcslen_avx2 : uma_wcslen_sse2)
        << name;
    if (narrow == uma_strlen_avx2) {
      EXPECT_NE(v->required & kAvx2, 0u) << name;
    }
  }
}

TEST(Policy, Avx512WithoutAvx2GetsSse2) {
  const CpuDescription masked =
      intel("INTEL_ICL", kAvx512All & ~std::uint32_t{kAvx2}, MiB + MiB / 4, 48 * MiB, 2);
  std::string why;
  EXPECT_STREQ(auto_variant(masked, &why).name, "sse2") << why;
  for (const char* name : {"avx512", "evex", "avx2"})
    EXPECT_FALSE(masked.has(find_variant(name)->required)) << name;
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
  // Fills stream only beyond the L3, as AMD's own memset: a fill the L3 holds is faster
  // temporal there.
  EXPECT_EQ(t.non_temporal_fill, 16 * MiB) << reasons.non_temporal_fill;
  EXPECT_NE(reasons.non_temporal_fill.find("AOCL-LibMem"), std::string::npos);
  // Never before copies stream: a later or absent copy threshold holds fills back too.
  std::string fill_why;
  EXPECT_EQ(derive_non_temporal_fill(zen2, 64 * MiB, &fill_why), 64 * MiB);
  EXPECT_EQ(derive_non_temporal_fill(zen2, kNever, &fill_why), kNever);
  // Asked for by name, the erms variant still uses rep movsb (everywhere): an explicit choice.
  EXPECT_EQ(derive_thresholds(zen2, *find_variant("erms"), &reasons).rep_movsb, 0u);
}

TEST(Policy, Zen5GetsZmmAndRepStringsInAmdsWindowWithoutThePageAliasingGuard) {
  CpuDescription zen5 = intel("AMD_ZEN5", kAvx512All | kErms | kFsrm, MiB, 32 * MiB, 16);
  zen5.vendor_id = Vendor::Amd;
  zen5.vendor = "AuthenticAMD";
  zen5.cache.l1d = 48 * 1024;
  std::string why;
  EXPECT_STREQ(auto_variant(zen5, &why).name, "avx512") << why;
  ThresholdReasons reasons;
  const Thresholds t = derive_thresholds(zen5, *find_variant("avx512"), &reasons);
  EXPECT_EQ(t.rep_movsb, 26u * 1024) << reasons.rep_movsb;  // L1d/2 + 2 KiB
  EXPECT_EQ(reasons.rep_movsb.find("page aliasing"), std::string::npos) << reasons.rep_movsb;
  EXPECT_EQ(t.rep_stosb, MiB) << reasons.rep_stosb;  // from L2
  // rep stosb from the L2 up to the L3, streaming beyond: AMD's AOCL-LibMem memset.
  EXPECT_EQ(t.non_temporal_fill, 32 * MiB) << reasons.non_temporal_fill;
  const auto plan = plan_for(*find_variant("avx512"), t);
  auto fill_kernel = [&](std::size_t n) {
    for (const auto& c : plan)
      if (c.operation == umaccess::dispatch::Operation::Fill && n >= c.from && n < c.to) return c.kernel;
    return std::string("?");
  };
  EXPECT_EQ(fill_kernel(16 * MiB), "uma_fill_erms");
  EXPECT_EQ(fill_kernel(32 * MiB), "uma_fill_nt_avx512");
  // Zen 5 runs rep movsb at page-aliased distances as fast as elsewhere (measured): only the
  // short-distance guard every CPU has. Zen 1-4, where it collapses, keep the 4 KiB guard
  // for when a profile or the environment turns rep movsb on.
  EXPECT_EQ(rep_distance_mask(zen5), 0xffffffffu);
  CpuDescription zen2 = intel("AMD_ZEN2", kAvx2 | kErms, 512 * 1024, 16 * MiB, 8);
  zen2.vendor_id = Vendor::Amd;
  EXPECT_EQ(rep_distance_mask(zen2), 0xfffu);
  EXPECT_EQ(rep_distance_mask(intel("INTEL_ICL", kAvx512All | kErms | kFsrm, MiB, 48 * MiB, 2)),
            0xffffffffu);
}

TEST(Policy, AutoSaysWhichWiderVariantItPassedOverAndWhy) {
  const CpuDescription clx = intel("INTEL_SKL", kAvx512All | kErms, MiB, 35 * MiB, 2);
  std::string why;
  EXPECT_STREQ(auto_variant(clx, &why).name, "evex");
  EXPECT_NE(why.find("avx512 passed over: zmm code costs INTEL_SKL a frequency licence"),
            std::string::npos)
      << why;
}

TEST(Policy, UnknownCachesFallBackTo64MiB) {
  const CpuDescription cpu = intel("X86_UNKNOWN", kSse2 | kErms | kFsrm, 0, 0, 1);
  ThresholdReasons reasons;
  const Thresholds t = derive_thresholds(cpu, *find_variant("erms"), &reasons);
  EXPECT_EQ(t.non_temporal, 64 * MiB);
  EXPECT_EQ(t.non_temporal_fill, 64 * MiB);
  EXPECT_EQ(t.rep_movsb, 0u) << "erms with FSRM: rep movsb from the first byte";
}

// Our own CPUID decoding against cpu_features' on the host, for everything both read.
TEST(Detection, HostFeaturesAndIdentityAgreeWithCpuFeatures) {
  const cpu_features::X86Info info = cpu_features::GetX86Info();
  const CpuDescription cpu = detect_cpu();
  EXPECT_EQ(cpu.vendor, info.vendor);
  EXPECT_EQ(cpu.family, info.family);
  EXPECT_EQ(cpu.model, info.model);
  EXPECT_EQ(cpu.stepping, info.stepping);
  const cpu_features::X86Features& f = info.features;
  const std::pair<Feature, int> both[] = {{kSse2, f.sse2},         {kErms, f.erms},
                                          {kAvx2, f.avx2},         {kAvx512f, f.avx512f},
                                          {kAvx512bw, f.avx512bw}, {kAvx512vl, f.avx512vl},
                                          {kBmi2, f.bmi2},         {kAvx512vbmi2, f.avx512vbmi2}};
  for (const auto& [feature, theirs] : both)
    EXPECT_EQ(cpu.has(feature), theirs != 0) << feature_name(feature);
  if (cpu.vendor_id == Vendor::Intel) {  // cpu_features 0.7 reads caches on Intel only
    const cpu_features::CacheInfo caches = cpu_features::GetX86CacheInfo();
    for (int i = 0; i < caches.size; ++i) {
      const auto& level = caches.levels[i];
      const auto bytes = static_cast<std::size_t>(level.cache_size);
      if (level.level == 1 && level.cache_type == cpu_features::CPU_FEATURE_CACHE_DATA) {
        EXPECT_EQ(cpu.cache.l1d, bytes);
      } else if (level.level == 2) {
        EXPECT_EQ(cpu.cache.l2, bytes);
      } else if (level.level == 3) {
        EXPECT_EQ(cpu.cache.l3, bytes);
      }
    }
  }
}

TEST(Detection, BrandStringsAreTrimmedAndSqueezed) {
  // Padded before and inside, as some parts report it, in leaves 0x80000002-4 (48 bytes).
  std::string brand = "  Intel(R) Xeon(R) CPU      E5-2680 @ 2.70GHz ";
  ASSERT_LE(brand.size(), 48u);
  brand.resize(48, '\0');
  std::string text = "cpuid 0 0 d 756e6547 6c65746e 49656e69\ncpuid 80000000 0 80000008 0 0 0\n";
  for (int leaf = 0; leaf < 3; ++leaf) {
    char line[96];
    std::uint32_t r[4];
    std::memcpy(r, brand.data() + 16 * leaf, 16);
    std::snprintf(line, sizeof line, "cpuid %x 0 %x %x %x %x\n", 0x80000002 + leaf, r[0], r[1], r[2], r[3]);
    text += line;
  }
  std::string error;
  const auto source = RecordedCpu::parse(text, &error);
  ASSERT_NE(source, nullptr) << error;
  EXPECT_EQ(detect_cpu(*source).brand, "Intel(R) Xeon(R) CPU E5-2680 @ 2.70GHz");
  EXPECT_EQ(detect_cpu(*source).cache.source, "defaults");
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
