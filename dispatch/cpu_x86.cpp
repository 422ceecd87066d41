// dispatch/cpu_x86.cpp - CPU detection on x86-64 with cpu_features, completed with raw
// CPUID where Debian's cpu_features 0.7 has no field: FSRM, and the L3's inclusiveness and
// sharing (deterministic cache parameters, leaf 4 on Intel, 0x8000001D on AMD).
#include <cpu_features/cpu_features_cache_info.h>
#include <cpu_features/cpuinfo_x86.h>
#include <cpuid.h>
#include <unistd.h>

#include <algorithm>

#include "cpu.h"

namespace umaccess::detail {

const char* feature_name(Feature f) {
  switch (f) {
    case kSse2: return "sse2";
    case kErms: return "erms";
    case kFsrm: return "fsrm";
    case kAvx2: return "avx2";
    case kAvx512f: return "avx512f";
    case kAvx512bw: return "avx512bw";
    case kAvx512vl: return "avx512vl";
    case kBmi2: return "bmi2";
  }
  return "?";
}

namespace {

// FSRM is CPUID.(EAX=7,ECX=0):EDX[4]; cpu_features reports it only from 0.8 on.
bool cpuid_fsrm() {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  return (edx >> 4) & 1;
}

// Walks the deterministic cache parameter leaf for the unified level-3 cache.
void read_l3_parameters(Vendor vendor, CacheSizes* cache) {
  const unsigned leaf = vendor == Vendor::Amd ? 0x8000001Du : 4u;
  const unsigned max = __get_cpuid_max(leaf & 0x80000000u, nullptr);
  if (max < leaf) return;
  for (unsigned sub = 0; sub < 16; ++sub) {
    unsigned eax, ebx, ecx, edx;
    __cpuid_count(leaf, sub, eax, ebx, ecx, edx);
    const unsigned type = eax & 0x1f, level = (eax >> 5) & 7;
    if (type == 0) break;
    if (level != 3 || type != 3) continue;
    const std::size_t size = std::size_t{(ebx >> 22) + 1} * (((ebx >> 12) & 0x3ff) + 1) *
                             ((ebx & 0xfff) + 1) * (std::size_t{ecx} + 1);
    if (cache->l3 == 0) cache->l3 = size;
    cache->l3_inclusive = (edx >> 1) & 1;
    // An upper bound on the IDs sharing it; a machine may have fewer CPUs online.
    const long online = sysconf(_SC_NPROCESSORS_ONLN);
    cache->l3_sharing_threads =
        std::max(1u, std::min(((eax >> 14) & 0xfff) + 1, static_cast<unsigned>(online > 0 ? online : 1)));
  }
}

}  // namespace

CpuDescription detect_cpu() {
  using namespace cpu_features;
  const X86Info info = GetX86Info();
  CpuDescription cpu;
  cpu.vendor = info.vendor;
  cpu.vendor_id = cpu.vendor == "GenuineIntel" ? Vendor::Intel
                  : (cpu.vendor == "AuthenticAMD" || cpu.vendor == "HygonGenuine") ? Vendor::Amd
                                                                                   : Vendor::Other;
  cpu.brand = info.brand_string;
  cpu.microarchitecture = GetX86MicroarchitectureName(GetX86Microarchitecture(&info));
  cpu.family = info.family;
  cpu.model = info.model;
  cpu.stepping = info.stepping;
  // cpu_features reports AVX bits only when the OS saves the YMM/ZMM state (XCR0).
  const X86Features& f = info.features;
  if (f.sse2) cpu.features |= kSse2;
  if (f.erms) cpu.features |= kErms;
  if (cpuid_fsrm()) cpu.features |= kFsrm;
  if (f.avx2) cpu.features |= kAvx2;
  if (f.avx512f) cpu.features |= kAvx512f;
  if (f.avx512bw) cpu.features |= kAvx512bw;
  if (f.avx512vl) cpu.features |= kAvx512vl;
  if (f.bmi2) cpu.features |= kBmi2;

  const CacheInfo caches = GetX86CacheInfo();  // sizes; Intel only in cpu_features 0.7
  for (int i = 0; i < caches.size; ++i) {
    const CacheLevelInfo& level = caches.levels[i];
    const auto bytes = static_cast<std::size_t>(level.cache_size);
    if (level.level == 1 && level.cache_type == CPU_FEATURE_CACHE_DATA) cpu.cache.l1d = bytes;
    if (level.level == 2 && level.cache_type == CPU_FEATURE_CACHE_UNIFIED) cpu.cache.l2 = bytes;
    if (level.level == 3 && level.cache_type == CPU_FEATURE_CACHE_UNIFIED) cpu.cache.l3 = bytes;
  }
  read_l3_parameters(cpu.vendor_id, &cpu.cache);
  return cpu;
}

}  // namespace umaccess::detail
