// SPDX-License-Identifier: Apache-2.0
// dispatch/cpu_x86.cpp - x86-64 CPU detection from raw CPUID, read through a CpuSource so
// recorded machines can stand in for the host (tests/fixtures/cpu/x86).
//
// Identity, features and caches are decoded here rather than by cpu_features: Debian 12's
// cpu_features 0.7 names no AMD family after 17h, reads no FSRM, and reads AMD caches only
// from leaf 0x8000001D, which some hypervisors zero (then every size is 0). Caches come
// from the first step that answers:
//   1. the deterministic cache leaf: 4 (Intel), 0x8000001D (AMD, when TOPOEXT is set and
//      the leaf is not zeroed);
//   2. AMD's legacy leaves 0x80000005/0x80000006 (glibc restored this fallback because
//      "hypervisors have the cpuid 0x8000_001D set to Zero", glibc commit dcad5c8578);
//      their L3 figure can be the whole package (508 MiB on a 2-vCPU Zen 5 VM), so it is
//      capped at the L3 one core complex shares on that family;
//   3. /sys/devices/system/cpu/cpu0/cache (Linux's own reading);
//   4. per-family defaults.
// CacheSizes::source says which step answered.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cpu.h"
#include "cpu_source.h"

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
    case kAvx512vbmi2: return "avx512vbmi2";
  }
  return "?";
}

namespace {

constexpr std::size_t KiB = 1024, MiB = KiB * 1024;

bool bit(std::uint32_t reg, unsigned n) { return (reg >> n) & 1u; }

// ---- Identity --------------------------------------------------------------------------------

struct IntelModel {
  int model;
  const char* uarch;
  const char* core;
  std::uint32_t facts;
};
constexpr std::uint32_t kOld = kSmallL3Era;
constexpr std::uint32_t kClient512 = kZmmFullClock;
constexpr std::uint32_t kServer512 = kZmmFullClock | kMeshL3;
// Family 6 display models (Intel SDM vol. 4, table 2-1; Intel's public model lists).
constexpr IntelModel kIntelModels[] = {
    {0x1A, "INTEL_NHM", "Nehalem", kOld},
    {0x1E, "INTEL_NHM", "Nehalem", kOld},
    {0x1F, "INTEL_NHM", "Nehalem", kOld},
    {0x2E, "INTEL_NHM", "Nehalem-EX", kOld},
    {0x25, "INTEL_WSM", "Westmere", kOld},
    {0x2C, "INTEL_WSM", "Westmere-EP", kOld},
    {0x2F, "INTEL_WSM", "Westmere-EX", kOld},
    {0x2A, "INTEL_SNB", "Sandy Bridge", kOld},
    {0x2D, "INTEL_SNB", "Sandy Bridge-EP", kOld},
    {0x3A, "INTEL_IVB", "Ivy Bridge", kOld},
    {0x3E, "INTEL_IVB", "Ivy Bridge-EP", kOld},
    {0x3C, "INTEL_HSW", "Haswell", kOld},
    {0x3F, "INTEL_HSW", "Haswell-EP", kOld},
    {0x45, "INTEL_HSW", "Haswell", kOld},
    {0x46, "INTEL_HSW", "Haswell", kOld},
    {0x3D, "INTEL_BDW", "Broadwell", kOld},
    {0x47, "INTEL_BDW", "Broadwell", kOld},
    {0x4F, "INTEL_BDW", "Broadwell-EP", kOld},
    {0x56, "INTEL_BDW", "Broadwell-DE", kOld},
    {0x4E, "INTEL_SKL", "Skylake", 0},
    {0x5E, "INTEL_SKL", "Skylake", 0},
    {0x55, "INTEL_SKL", "Skylake-SP", kZmmLicence | kMeshL3},
    {0x8E, "INTEL_KBL", "Kaby Lake", 0},
    {0x9E, "INTEL_KBL", "Coffee Lake", 0},
    {0xA5, "INTEL_CML", "Comet Lake", 0},
    {0xA6, "INTEL_CML", "Comet Lake", 0},
    {0x66, "INTEL_CNL", "Cannon Lake", 0},
    {0x6A, "INTEL_ICL", "Ice Lake-SP", kServer512},
    {0x6C, "INTEL_ICL", "Ice Lake-SP", kServer512},
    {0x7D, "INTEL_ICL", "Ice Lake", kClient512},
    {0x7E, "INTEL_ICL", "Ice Lake", kClient512},
    {0x8C, "INTEL_TGL", "Tiger Lake", kClient512},
    {0x8D, "INTEL_TGL", "Tiger Lake", kClient512},
    {0xA7, "INTEL_RCL", "Rocket Lake", kClient512},
    {0x8F, "INTEL_SPR", "Sapphire Rapids", kServer512},
    {0xCF, "INTEL_EMR", "Emerald Rapids", kServer512},
    {0xAD, "INTEL_GNR", "Granite Rapids", kServer512},
    {0xAE, "INTEL_GNR", "Granite Rapids", kServer512},
    {0x97, "INTEL_ADL", "Alder Lake", 0},
    {0x9A, "INTEL_ADL", "Alder Lake", 0},
    {0xB7, "INTEL_RPL", "Raptor Lake", 0},
    {0xBA, "INTEL_RPL", "Raptor Lake", 0},
    {0xBF, "INTEL_RPL", "Raptor Lake", 0},
    {0xAA, "INTEL_MTL", "Meteor Lake", 0},
    {0xAC, "INTEL_MTL", "Meteor Lake", 0},
    {0x5C, "INTEL_ATOM_GMT", "Goldmont", 0},
    {0x5F, "INTEL_ATOM_GMT", "Goldmont", 0},
    {0x7A, "INTEL_ATOM_GMT_PLUS", "Goldmont Plus", 0},
    {0x86, "INTEL_ATOM_TMT", "Tremont", 0},
    {0x96, "INTEL_ATOM_TMT", "Tremont", 0},
    {0x9C, "INTEL_ATOM_TMT", "Tremont", 0},
};

// AMD Zen generations by family and model (AMD's Processor Programming Reference for each
// family; the model ranges as Linux and cpu_features group them), with the L3 that one
// core complex shares (CCX on Zen 1-3, CCD on Zen 4/5), its logical CPUs, and the core's
// own L1d and L2: the legacy-leaf correction and the defaults of last resort.
struct ZenGeneration {
  const char* uarch;
  const char* core;
  std::size_t l1d, l2, ccx_l3;
  unsigned ccx_threads;
  std::uint32_t facts;
};
// Zen 1-4: glibc >= 2.40 never uses rep movsb on AMD (BZ 30994) nor rep stosb on Zen 3+
// (glibc 272708884cb7), and rep movsb collapses there when (dst - src) mod 4096 is small.
// Zen 5: AMD's AOCL-LibMem uses both on long copies and fills, and no placement collapses
// (measured on an EPYC Zen 5 VM, docs/dispatch.md "Short distance and page aliasing"), so
// no page-aliasing guard: it would send every page-aligned copy to the slower vector loop.
constexpr std::uint32_t kZenRep = kRepStringsSlow | kPageAliasing;
// clang-format off
constexpr ZenGeneration kZen     = {"AMD_ZEN",      "Zen",   32 * KiB, 512 * KiB,  8 * MiB,  8, kZenRep};
constexpr ZenGeneration kZenPlus = {"AMD_ZEN_PLUS", "Zen+",  32 * KiB, 512 * KiB,  8 * MiB,  8, kZenRep};
constexpr ZenGeneration kZen2    = {"AMD_ZEN2",     "Zen 2", 32 * KiB, 512 * KiB, 16 * MiB,  8, kZenRep};
constexpr ZenGeneration kZen3    = {"AMD_ZEN3",     "Zen 3", 32 * KiB, 512 * KiB, 32 * MiB, 16, kZenRep};
constexpr ZenGeneration kZen4    = {"AMD_ZEN4",     "Zen 4", 32 * KiB,   1 * MiB, 32 * MiB, 16,
                                    kZenRep | kZmmFullClock};
constexpr ZenGeneration kZen5    = {"AMD_ZEN5",     "Zen 5", 48 * KiB,   1 * MiB, 32 * MiB, 16,
                                    kRepStringsLong | kZmmFullClock};
// clang-format on

const ZenGeneration* zen_generation(int family, int model, bool avx512f) {
  switch (family) {
    case 0x17:
      if (model == 0x08 || model == 0x18) return &kZenPlus;
      return model < 0x30 ? &kZen : &kZen2;
    case 0x18: return &kZen;  // Hygon Dhyana: a Zen 1 core
    case 0x19:
      if ((model >= 0x10 && model <= 0x1F) || (model >= 0x60 && model <= 0x7F) ||
          (model >= 0xA0 && model <= 0xAF))
        return &kZen4;
      if (model <= 0x0F || (model >= 0x20 && model <= 0x5F)) return &kZen3;
      return avx512f ? &kZen4 : &kZen3;  // a model not yet listed: Zen 4 brought AVX-512
    case 0x1A:
      return &kZen5;  // models 0x00-0x7F: Turin, Granite Ridge, Strix; later ones until named
  }
  return nullptr;
}

std::string trimmed(std::string s) {
  s = s.c_str();  // stop at the first NUL
  const auto first = s.find_first_not_of(' ');
  if (first == std::string::npos) return "";
  s.erase(0, first);
  s.erase(s.find_last_not_of(' ') + 1);
  // Some parts pad inside the string too ("Intel(R) Xeon(R) CPU           E5-2680"): squeeze.
  std::string out;
  for (char c : s)
    if (c != ' ' || out.empty() || out.back() != ' ') out += c;
  return out;
}

// ---- Caches ----------------------------------------------------------------------------------

// Walks a deterministic cache parameter leaf (4 or 0x8000001D: the same layout).
bool read_deterministic(const CpuSource& src, std::uint32_t leaf, unsigned online,
                        CacheSizes* cache) {
  bool any = false;
  for (std::uint32_t sub = 0; sub < 16; ++sub) {
    const CpuidRegs r = src.cpuid(leaf, sub);
    const unsigned type = r.eax & 0x1f, level = (r.eax >> 5) & 7;
    if (type == 0) break;
    const std::size_t size = std::size_t{(r.ebx >> 22) + 1} * (((r.ebx >> 12) & 0x3ff) + 1) *
                             ((r.ebx & 0xfff) + 1) * (std::size_t{r.ecx} + 1);
    const bool data_or_unified = type == 1 || type == 3;
    if (level == 1 && type == 1) cache->l1d = size, any = true;
    if (level == 2 && data_or_unified) cache->l2 = size, any = true;
    if (level == 3 && data_or_unified) {
      cache->l3 = size;
      cache->l3_inclusive = bit(r.edx, 1);
      // An upper bound on the IDs sharing it; the machine may have fewer CPUs online.
      cache->l3_sharing_threads = std::max(1u, std::min(((r.eax >> 14) & 0xfff) + 1, online));
      any = true;
    }
  }
  return any;
}

// AMD's legacy leaves (AMD64 APM vol. 3, CPUID Fn8000_0005/Fn8000_0006).
bool read_amd_legacy(const CpuSource& src, std::uint32_t max_ext, const ZenGeneration* zen,
                     unsigned online, CacheSizes* cache) {
  if (max_ext < 0x80000006) return false;
  const CpuidRegs l1 = src.cpuid(0x80000005, 0), l23 = src.cpuid(0x80000006, 0);
  cache->l1d = std::size_t{l1.ecx >> 24} * KiB;
  cache->l2 = std::size_t{l23.ecx >> 16} * KiB;
  cache->l3 = std::size_t{l23.edx >> 18} * 512 * KiB;
  if (cache->l1d == 0 && cache->l2 == 0) return false;
  cache->l3_inclusive = false;  // AMD's L3 is a victim cache of the L2s
  cache->l3_sharing_threads =
      std::max(1u, std::min(zen != nullptr ? zen->ccx_threads : online, online));
  if (zen != nullptr && cache->l3 > zen->ccx_l3) {
    cache->note = "the legacy leaf's L3 (" + std::to_string(cache->l3 >> 20) +
                  " MiB) is package-wide; one " + zen->core + " core complex shares " +
                  std::to_string(zen->ccx_l3 >> 20) + " MiB";
    cache->l3 = zen->ccx_l3;
  }
  return true;
}

void read_caches(const CpuSource& src, const CpuDescription& cpu, std::uint32_t max_leaf,
                 std::uint32_t max_ext, const ZenGeneration* zen, CacheSizes* cache) {
  const unsigned online = std::max(1u, src.online_cpus());
  if (cpu.vendor_id == Vendor::Intel && max_leaf >= 4 &&
      read_deterministic(src, 4, online, cache)) {
    cache->source = "cpuid-leaf-4";
    return;
  }
  if (cpu.vendor_id == Vendor::Amd) {
    const bool topoext = max_ext >= 0x80000001 && bit(src.cpuid(0x80000001, 0).ecx, 22);
    if (topoext && max_ext >= 0x8000001D && read_deterministic(src, 0x8000001D, online, cache)) {
      cache->source = "cpuid-8000001d";
      return;
    }
    *cache = CacheSizes{};
    if (read_amd_legacy(src, max_ext, zen, online, cache)) {
      cache->source = "cpuid-legacy-amd";
      if (topoext)
        cache->note += std::string(cache->note.empty() ? "" : "; ") +
                       "leaf 0x8000001D reads zero (a hypervisor's doing)";
      return;
    }
  }
  *cache = CacheSizes{};
  if (read_sysfs_caches(src, cache)) {
    cache->source = "sysfs";
    return;
  }
  *cache = CacheSizes{};
  cache->source = "defaults";
  if (zen != nullptr) {
    *cache = {zen->l1d,
              zen->l2,
              zen->ccx_l3,
              false,
              std::min(zen->ccx_threads, online),
              "defaults",
              std::string("no cache leaf or sysfs answered: ") + zen->core + "'s sizes"};
  } else {
    cache->l1d = 32 * KiB;  // every x86-64 core since Core 2; L2 and L3 left unknown
    cache->note = "no cache leaf or sysfs answered: 32 KiB L1d assumed, L2 and L3 unknown";
  }
}

}  // namespace

CpuDescription detect_cpu(const CpuSource& src) {
  CpuDescription cpu;
  const CpuidRegs leaf0 = src.cpuid(0, 0);
  const std::uint32_t max_leaf = leaf0.eax;
  char vendor[13] = {};
  for (int i = 0; i < 4; ++i) {
    vendor[i] = static_cast<char>(leaf0.ebx >> (8 * i));
    vendor[4 + i] = static_cast<char>(leaf0.edx >> (8 * i));
    vendor[8 + i] = static_cast<char>(leaf0.ecx >> (8 * i));
  }
  cpu.vendor = vendor;
  cpu.vendor_id = cpu.vendor == "GenuineIntel"                                     ? Vendor::Intel
                  : (cpu.vendor == "AuthenticAMD" || cpu.vendor == "HygonGenuine") ? Vendor::Amd
                                                                                   : Vendor::Other;
  const CpuidRegs leaf1 = max_leaf >= 1 ? src.cpuid(1, 0) : CpuidRegs{};
  const int base_family = static_cast<int>((leaf1.eax >> 8) & 0xf);
  const int base_model = static_cast<int>((leaf1.eax >> 4) & 0xf);
  cpu.family = base_family + (base_family == 0xf ? static_cast<int>((leaf1.eax >> 20) & 0xff) : 0);
  cpu.model = base_model;
  if (base_family == 0x6 || base_family == 0xf)
    cpu.model += static_cast<int>((leaf1.eax >> 16) & 0xf) << 4;
  cpu.stepping = static_cast<int>(leaf1.eax & 0xf);

  // Features: the CPUID bit, and for AVX state the OS's consent in XCR0.
  const CpuidRegs leaf7 = max_leaf >= 7 ? src.cpuid(7, 0) : CpuidRegs{};
  const std::uint64_t xcr0 = bit(leaf1.ecx, 27) ? src.xcr0() : 0;  // OSXSAVE
  const bool os_avx = (xcr0 & 0x6) == 0x6;                         // XMM | YMM
  const bool os_avx512 = os_avx && (xcr0 & 0xe0) == 0xe0;          // opmask | ZMM_Hi256 | Hi16_ZMM
  if (bit(leaf1.edx, 26)) cpu.features |= kSse2;
  if (bit(leaf7.ebx, 9)) cpu.features |= kErms;
  if (bit(leaf7.edx, 4)) cpu.features |= kFsrm;
  if (bit(leaf7.ebx, 8)) cpu.features |= kBmi2;
  if (os_avx && bit(leaf1.ecx, 28) && bit(leaf7.ebx, 5)) cpu.features |= kAvx2;
  if (os_avx512 && bit(leaf7.ebx, 16)) {
    cpu.features |= kAvx512f;
    if (bit(leaf7.ebx, 30)) cpu.features |= kAvx512bw;
    if (bit(leaf7.ebx, 31)) cpu.features |= kAvx512vl;
    if (bit(leaf7.ecx, 6)) cpu.features |= kAvx512vbmi2;
  }

  const std::uint32_t max_ext = src.cpuid(0x80000000, 0).eax;
  if (max_ext >= 0x80000004 && max_ext < 0x8000ffff) {
    std::string brand(48, '\0');
    for (std::uint32_t i = 0; i < 3; ++i) {
      const CpuidRegs r = src.cpuid(0x80000002 + i, 0);
      const std::uint32_t regs[4] = {r.eax, r.ebx, r.ecx, r.edx};
      for (int j = 0; j < 16; ++j)
        brand[16 * i + j] = static_cast<char>(regs[j / 4] >> (8 * (j % 4)));
    }
    cpu.brand = trimmed(brand);
  }

  const ZenGeneration* zen = cpu.vendor_id == Vendor::Amd
                                 ? zen_generation(cpu.family, cpu.model, cpu.has(kAvx512f))
                                 : nullptr;
  cpu.microarchitecture = "X86_UNKNOWN";
  if (cpu.vendor_id == Vendor::Intel && cpu.family == 6) {
    for (const IntelModel& m : kIntelModels)
      if (m.model == cpu.model)
        cpu.microarchitecture = m.uarch, cpu.core = m.core, cpu.facts = m.facts;
    if (cpu.model == 0x55)  // one model number, three generations told apart by stepping
      cpu.core = cpu.stepping >= 10  ? "Cooper Lake"
                 : cpu.stepping >= 5 ? "Cascade Lake"
                                     : "Skylake-SP";
  } else if (zen != nullptr) {
    cpu.microarchitecture = cpu.family == 0x18 ? "HYGON_DHYANA" : zen->uarch;
    cpu.core = cpu.family == 0x18 ? "Dhyana" : zen->core;
    cpu.facts = zen->facts;
  } else if (cpu.vendor_id == Vendor::Amd) {
    char name[32];
    std::snprintf(name, sizeof name, "AMD_FAM%02XH", cpu.family);
    cpu.microarchitecture = name;
    cpu.core = std::string("AMD family ") + (name + 7);
    cpu.facts = kZenRep;  // as glibc: no rep strings on any AMD it does not know better
  }
  if (cpu.core.empty()) cpu.core = "unknown";
  // A model the tables do not list yet: AVX-512 VBMI2 came with Ice Lake, the first Intel
  // core to run zmm code without a frequency licence; before it, assume the licence.
  if (cpu.vendor_id == Vendor::Intel && cpu.has(kAvx512f) &&
      !(cpu.facts & (kZmmFullClock | kZmmLicence)))
    cpu.facts |= cpu.has(kAvx512vbmi2) ? kZmmFullClock : kZmmLicence;

  read_caches(src, cpu, max_leaf, max_ext, zen, &cpu.cache);
  return cpu;
}

CpuDescription detect_cpu() { return detect_cpu(host_cpu_source()); }

}  // namespace umaccess::detail
