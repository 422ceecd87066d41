// SPDX-License-Identifier: Apache-2.0
// dispatch/cpu.h - the CPU facts that kernel selection depends on. Detection fills one
// CpuDescription; every decision after that is a pure function of it, so tests can hand in
// fabricated CPUs (a Haswell, an AMD Zen 2, an SSE2-only part...).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace umaccess::detail {

// Features a kernel variant may require. A bit set; kAllFeatures lists them in order.
#if defined(__x86_64__)
enum Feature : std::uint32_t {
  kSse2 = 1u << 0,
  kErms = 1u << 1,  // enhanced rep movsb/stosb
  kFsrm = 1u << 2,  // fast short rep mov (CPUID.7.EDX[4])
  kAvx2 = 1u << 3,
  kAvx512f = 1u << 4,
  kAvx512bw = 1u << 5,
  kAvx512vl = 1u << 6,
  kBmi2 = 1u << 7,
  kAvx512vbmi2 = 1u << 8,  // reported, not required: marks Ice Lake and later Intel cores
};
constexpr Feature kAllFeatures[] = {kSse2,    kErms,     kFsrm,     kAvx2,  kAvx512f,
                                    kAvx512bw, kAvx512vl, kBmi2, kAvx512vbmi2};
#elif defined(__aarch64__)
enum Feature : std::uint32_t {
  kAsimd = 1u << 0,    // Advanced SIMD (NEON), HWCAP_ASIMD
  kAtomics = 1u << 1,  // LSE atomics, HWCAP_ATOMICS (reported, not required)
};
constexpr Feature kAllFeatures[] = {kAsimd, kAtomics};
#endif
const char* feature_name(Feature f);

enum class Vendor { Intel, Amd, Arm, Other };

// What no feature bit tells about a core: facts the detector's model tables hold (or infers
// from features for a model they do not list yet), computed once; the policy is a function
// of features and facts, never of names.
enum CoreFact : std::uint32_t {
  kZmmFullClock = 1u << 0,     // 512-bit code runs at full clock (Intel Ice Lake and later, AMD Zen 4/5)
  kZmmLicence = 1u << 1,       // 512-bit code lowers the clock (Skylake-SP, Cascade/Cooper Lake)
  kMeshL3 = 1u << 2,           // Intel server mesh with a large non-inclusive L3 (NT divisor 2)
  kSmallL3Era = 1u << 3,       // Intel Broadwell and older (NT divisor 8)
  kRepStringsSlow = 1u << 4,   // AMD Zen 1-4: rep movsb/stosb collapse or lag (glibc BZ 30994)
  kRepStringsLong = 1u << 5,   // AMD Zen 5: rep movsb from L1d/2 + 2 KiB, rep stosb from L2 (AOCL)
  kPageAliasing = 1u << 6,     // rep movsb collapses when (dst - src) mod 4096 is small (AMD)
};
const char* core_fact_name(CoreFact f);

struct CacheSizes {
  std::size_t l1d = 0;  // bytes per core
  std::size_t l2 = 0;   // bytes per core
  std::size_t l3 = 0;   // bytes of the L3 instance this core shares (0: none or unknown)
  bool l3_inclusive = false;
  unsigned l3_sharing_threads = 1;  // logical CPUs of this machine sharing one L3
  // Which detection step found the sizes: "cpuid-leaf-4", "cpuid-8000001d",
  // "cpuid-legacy-amd", "sysfs" or "defaults"; and a note when a figure was corrected
  // (e.g. a package-wide L3 replaced by the per-CCX one).
  std::string source = "defaults";
  std::string note;
};

struct CpuDescription {
  Vendor vendor_id = Vendor::Other;
  std::string vendor;             // "GenuineIntel", "AuthenticAMD", ...
  std::string brand;              // the brand string
  std::string microarchitecture;  // cpu_features' naming style, e.g. "INTEL_SKL", "AMD_ZEN5"
  std::string core;               // the core's common name, e.g. "Cascade Lake", "Zen 5"
  int family = 0, model = 0, stepping = 0;
  std::uint32_t features = 0;  // Feature bits usable here (OS register-state saving included)
  std::uint32_t facts = 0;     // CoreFact bits
  CacheSizes cache;
  bool has(std::uint32_t required) const { return (features & required) == required; }
  bool is(CoreFact fact) const { return (facts & fact) != 0; }
};

class CpuSource;
// Describes the machine `source` answers for (cpu_<arch>.cpp): the host, or a recorded one.
CpuDescription detect_cpu(const CpuSource& source);
// The host: detect_cpu(host_cpu_source()).
CpuDescription detect_cpu();

}  // namespace umaccess::detail
