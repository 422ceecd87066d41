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
};
constexpr Feature kAllFeatures[] = {kSse2,    kErms,     kFsrm,     kAvx2,
                                    kAvx512f, kAvx512bw, kAvx512vl, kBmi2};
#elif defined(__aarch64__)
enum Feature : std::uint32_t {
  kAsimd = 1u << 0,    // Advanced SIMD (NEON), HWCAP_ASIMD
  kAtomics = 1u << 1,  // LSE atomics, HWCAP_ATOMICS (reported, not required)
};
constexpr Feature kAllFeatures[] = {kAsimd, kAtomics};
#endif
const char* feature_name(Feature f);

enum class Vendor { Intel, Amd, Arm, Other };

struct CacheSizes {
  std::size_t l1d = 0;  // bytes per core
  std::size_t l2 = 0;   // bytes per core
  std::size_t l3 = 0;   // bytes per L3 instance (0: none or unknown)
  bool l3_inclusive = false;
  unsigned l3_sharing_threads = 1;  // logical CPUs of this machine sharing one L3
};

struct CpuDescription {
  Vendor vendor_id = Vendor::Other;
  std::string vendor;             // "GenuineIntel", "AuthenticAMD", ...
  std::string brand;              // the brand string
  std::string microarchitecture;  // cpu_features' name, e.g. "INTEL_SKL"
  int family = 0, model = 0, stepping = 0;
  std::uint32_t features = 0;  // Feature bits usable here (OS register-state saving included)
  CacheSizes cache;
  bool has(std::uint32_t required) const { return (features & required) == required; }
};

// Reads CPUID through cpu_features (plus raw CPUID for what cpu_features 0.7 lacks).
CpuDescription detect_cpu();

}  // namespace umaccess::detail
