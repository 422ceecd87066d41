// dispatch/cpu.h - the CPU facts that kernel selection depends on, detected once.
#pragma once

#include <cstdint>
#include <string>

namespace umaccess::detail {

// Features a kernel variant may require. A bit set; names in feature_name().
enum Feature : std::uint32_t {
  kSse2 = 1u << 0,
  kErms = 1u << 1,  // enhanced rep movsb/stosb
  kFsrm = 1u << 2,  // fast short rep mov (CPUID.7.EDX[4])
  kAvx2 = 1u << 3,
  kAvx512f = 1u << 4,
  kAvx512bw = 1u << 5,
  kAvx512vl = 1u << 6,
};
const char* feature_name(Feature f);

struct CpuDescription {
  std::string vendor;             // "GenuineIntel", "AuthenticAMD", ...
  std::string brand;              // the brand string
  std::string microarchitecture;  // cpu_features' name, e.g. "INTEL_SKL"
  std::uint32_t features = 0;     // Feature bits usable here (OS state saving included)
  bool has(std::uint32_t required) const { return (features & required) == required; }
};

// Reads CPUID through cpu_features (plus raw CPUID for bits cpu_features 0.7 lacks).
CpuDescription detect_cpu();

}  // namespace umaccess::detail
