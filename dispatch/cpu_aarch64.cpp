// SPDX-License-Identifier: Apache-2.0
// dispatch/cpu_aarch64.cpp - AArch64 CPU detection, read only through a CpuSource so recorded
// machines can stand in for the host (tests/fixtures/cpu/aarch64). Nothing here calls
// getauxval, opens a file or asks cpu_features: the source answers.
//
//   features  the kernel's HWCAPs (AT_HWCAP; AT_HWCAP2 holds nothing we use yet);
//   identity  MIDR_EL1 (implementer, variant, part, revision): sysfs
//             cpu0/regs/identification/midr_el1, else the first "CPU implementer/variant/
//             part/revision" lines of /proc/cpuinfo, else 0 (qemu-user 7.2 passes the host's
//             /proc/cpuinfo through, and an x86 host has neither; some VMs hide both);
//   caches    /sys/devices/system/cpu/cpu0/cache/index* (Linux fills them from ACPI PPTT or
//             the device tree; a device tree without cache nodes, as the Raspberry Pi 4's
//             under Linux 5.10, gives none, and one without sizes gives levels but no size
//             files), completed or replaced by the core's defaults from the table below.
//
// The core is cpu0's: on a big.LITTLE SoC that may be a little core (an Apple M1's cpu0 is
// an Icestorm), as lscpu and hwloc also report it first.
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include "cpu.h"
#include "cpu_source.h"

namespace umaccess::detail {

const char* feature_name(Feature f) {
  switch (f) {
    case kAsimd: return "asimd";
    case kAtomics: return "atomics";
  }
  return "?";
}

namespace {

constexpr std::size_t KiB = 1024, MiB = KiB * 1024;

// Linux uapi <asm/hwcap.h> (arch/arm64/include/uapi/asm/hwcap.h), AT_HWCAP bits.
constexpr std::uint64_t kHwcapAsimd = std::uint64_t{1} << 1;    // HWCAP_ASIMD
constexpr std::uint64_t kHwcapAtomics = std::uint64_t{1} << 8;  // HWCAP_ATOMICS (LSE)

// ---- Identity --------------------------------------------------------------------------------

// MIDR_EL1 implementer codes (Arm Architecture Reference Manual, MIDR_EL1; the names lscpu
// prints).
struct Implementer {
  int id;
  const char* name;
};
constexpr Implementer kImplementers[] = {
    {0x41, "ARM"},       {0x42, "Broadcom"}, {0x43, "Cavium"},    {0x46, "Fujitsu"},
    {0x48, "HiSilicon"}, {0x4e, "NVIDIA"},   {0x50, "APM"},       {0x51, "Qualcomm"},
    {0x56, "Marvell"},   {0x61, "Apple"},    {0x6d, "Microsoft"}, {0x70, "Phytium"},
    {0xc0, "Ampere"},
};

// A core by MIDR implementer and part number, with the per-core cache sizes used when sysfs
// gives none (`l1d`, `l2`: bytes; 0 = no default). Part numbers: each core's Technical
// Reference Manual (TRM), section "MIDR_EL1, Main ID Register", as Linux's asm/cputype.h
// also lists them; Apple's and Ampere's as Linux reports them (asm/cputype.h).
//
// Cache defaults, and where they come from:
//  - L1d fixed by the TRM ("L1 memory system"): that size.
//  - A size the TRM leaves to the SoC designer (e.g. 32 or 64 KiB): the smallest option, a
//    lower bound every implementation meets (pytorch/cpuinfo's choice too), except for
//    the Neoverse server cores, whose few implementations publish their configuration: the
//    figure of the parts named.
//  - An L2 the TRM makes optional (Cortex-A53, Cortex-A55): 0, since it may be absent.
//  - L3 / system-level cache: never defaulted. It belongs to the SoC's interconnect (CMN
//    mesh, DSU), not to the core: 32 MiB on Graviton2, 36 MiB on Graviton4, 114 MiB per
//    Grace. Without it the non-temporal threshold takes glibc's 64 MiB fallback (policy.cpp).
// Vendor cores: the vendor's published figures (AmpereOne: 64 KiB L1d, 2 MiB private L2;
// Apple M1/M2: 64/128 KiB L1d on efficiency/performance cores, L2 shared per cluster;
// Fujitsu A64FX: 8 MiB L2 per 12-core CMG; HiSilicon Kunpeng 920: 512 KiB private L2).
struct Part {
  int implementer, part;
  const char* name;  // cpu_features' naming style
  const char* core;  // the common name
  std::size_t l1d, l2;
  const char* why;  // where l1d and l2 come from (the TRM's options), for the report's note
};
constexpr Part kParts[] = {
    // Arm Cortex-A: TRM "L1 memory system" / "L2 memory system".
    {0x41, 0xd03, "ARM_CORTEX_A53", "Cortex-A53", 8 * KiB, 0, "L1d 8-64K; L2 optional"},
    {0x41, 0xd05, "ARM_CORTEX_A55", "Cortex-A55", 16 * KiB, 0, "L1d 16-64K; L2 optional"},
    {0x41, 0xd07, "ARM_CORTEX_A57", "Cortex-A57", 32 * KiB, 512 * KiB, "L2 512K-2M, shared"},
    {0x41, 0xd08, "ARM_CORTEX_A72", "Cortex-A72", 32 * KiB, 512 * KiB, "L2 512K-4M, shared"},
    {0x41, 0xd09, "ARM_CORTEX_A73", "Cortex-A73", 32 * KiB, 256 * KiB, "L1d 32/64K; L2 256K-8M"},
    {0x41, 0xd0b, "ARM_CORTEX_A76", "Cortex-A76", 64 * KiB, 128 * KiB, "L2 128-512K"},
    {0x41, 0xd41, "ARM_CORTEX_A78", "Cortex-A78", 32 * KiB, 256 * KiB, "L1d 32/64K; L2 256/512K"},
    {0x41, 0xd44, "ARM_CORTEX_X1", "Cortex-X1", 64 * KiB, 512 * KiB, "L2 512K/1M"},
    {0x41, 0xd47, "ARM_CORTEX_A710", "Cortex-A710", 32 * KiB, 256 * KiB, "L1d 32/64K; L2 256/512K"},
    {0x41, 0xd48, "ARM_CORTEX_X2", "Cortex-X2", 64 * KiB, 512 * KiB, "L2 512K/1M"},
    {0x41, 0xd4d, "ARM_CORTEX_A715", "Cortex-A715", 32 * KiB, 256 * KiB, "L1d 32/64K; L2 256/512K"},
    {0x41, 0xd4e, "ARM_CORTEX_X3", "Cortex-X3", 64 * KiB, 512 * KiB, "L2 512K-2M"},
    {0x41, 0xd81, "ARM_CORTEX_A720", "Cortex-A720", 32 * KiB, 128 * KiB, "L1d 32/64K; L2 128-512K"},
    {0x41, 0xd82, "ARM_CORTEX_X4", "Cortex-X4", 64 * KiB, 512 * KiB, "L2 512K-2M"},
    // Arm Neoverse: L1d 64 KiB fixed in every TRM (N1: Arm doc 100616, V1: 101427,
    // N2: 102099, V2: 102375); the L2 of the server parts named.
    {0x41, 0xd0c, "ARM_NEOVERSE_N1", "Neoverse N1", 64 * KiB, 1 * MiB,
     "L2 256K-1M; 1M in Graviton2 and Altra"},
    {0x41, 0xd40, "ARM_NEOVERSE_V1", "Neoverse V1", 64 * KiB, 1 * MiB,
     "L2 up to 1M; 1M in Graviton3"},
    {0x41, 0xd49, "ARM_NEOVERSE_N2", "Neoverse N2", 64 * KiB, 1 * MiB,
     "L2 512K/1M; 1M in Azure Cobalt 100"},
    {0x41, 0xd4f, "ARM_NEOVERSE_V2", "Neoverse V2", 64 * KiB, 1 * MiB,
     "L2 1M/2M; 1M in Grace, 2M in Graviton4"},
    {0x41, 0xd84, "ARM_NEOVERSE_V3", "Neoverse V3", 64 * KiB, 2 * MiB, "L2 2M/3M"},
    {0x41, 0xd8e, "ARM_NEOVERSE_N3", "Neoverse N3", 64 * KiB, 0, "L2 differs by SoC"},
    // Vendors' own cores.
    {0x46, 0x001, "FUJITSU_A64FX", "A64FX", 64 * KiB, 8 * MiB, "L2 8M per 12-core CMG"},
    {0x48, 0xd01, "HISILICON_TSV110", "TaiShan v110", 64 * KiB, 512 * KiB, "Kunpeng 920"},
    {0x6d, 0xd49, "MICROSOFT_AZURE_COBALT_100", "Azure Cobalt 100 (Neoverse N2)", 64 * KiB, 1 * MiB,
     "Neoverse N2 r0p0"},
    {0xc0, 0xac3, "AMPERE_AMPERE1", "AmpereOne", 64 * KiB, 2 * MiB, "private 2M L2"},
    {0xc0, 0xac4, "AMPERE_AMPERE1A", "AmpereOne (A1A)", 64 * KiB, 2 * MiB, "private 2M L2"},
    // Apple (Asahi Linux): L2 shared per cluster.
    {0x61, 0x022, "APPLE_M1_ICESTORM", "Apple M1 Icestorm", 64 * KiB, 4 * MiB, "cluster L2"},
    {0x61, 0x023, "APPLE_M1_FIRESTORM", "Apple M1 Firestorm", 128 * KiB, 12 * MiB, "cluster L2"},
    {0x61, 0x024, "APPLE_M1_ICESTORM_PRO", "Apple M1 Pro Icestorm", 64 * KiB, 4 * MiB,
     "cluster L2"},
    {0x61, 0x025, "APPLE_M1_FIRESTORM_PRO", "Apple M1 Pro Firestorm", 128 * KiB, 12 * MiB,
     "cluster L2"},
    {0x61, 0x028, "APPLE_M1_ICESTORM_MAX", "Apple M1 Max Icestorm", 64 * KiB, 4 * MiB,
     "cluster L2"},
    {0x61, 0x029, "APPLE_M1_FIRESTORM_MAX", "Apple M1 Max Firestorm", 128 * KiB, 12 * MiB,
     "cluster L2"},
    {0x61, 0x032, "APPLE_M2_BLIZZARD", "Apple M2 Blizzard", 64 * KiB, 4 * MiB, "cluster L2"},
    {0x61, 0x033, "APPLE_M2_AVALANCHE", "Apple M2 Avalanche", 128 * KiB, 16 * MiB, "cluster L2"},
    {0x61, 0x034, "APPLE_M2_BLIZZARD_PRO", "Apple M2 Pro Blizzard", 64 * KiB, 4 * MiB,
     "cluster L2"},
    {0x61, 0x035, "APPLE_M2_AVALANCHE_PRO", "Apple M2 Pro Avalanche", 128 * KiB, 16 * MiB,
     "cluster L2"},
    {0x61, 0x038, "APPLE_M2_BLIZZARD_MAX", "Apple M2 Max Blizzard", 64 * KiB, 4 * MiB,
     "cluster L2"},
    {0x61, 0x039, "APPLE_M2_AVALANCHE_MAX", "Apple M2 Max Avalanche", 128 * KiB, 16 * MiB,
     "cluster L2"},
};

struct Midr {
  int implementer = 0, variant = 0, part = 0, revision = 0;
};

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string trim(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t\r") - begin + 1);
}

bool midr_from_sysfs(const CpuSource& src, Midr* m) {
  const std::string word =
      trim(first_line(src.read_file("/sys/devices/system/cpu/cpu0/regs/identification/midr_el1")));
  if (word.empty()) return false;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(word.c_str(), &end, 16);
  if (end == word.c_str() || *end != '\0') return false;
  m->implementer = static_cast<int>((v >> 24) & 0xff);
  m->variant = static_cast<int>((v >> 20) & 0xf);
  m->part = static_cast<int>((v >> 4) & 0xfff);
  m->revision = static_cast<int>(v & 0xf);
  return true;
}

// The first "CPU implementer", "CPU variant", "CPU part" and "CPU revision" lines (those of
// processor 0); the implementer and part must both be there.
bool midr_from_cpuinfo(const CpuSource& src, Midr* m) {
  static const char* const kKeys[4] = {"CPU implementer", "CPU variant", "CPU part",
                                       "CPU revision"};
  int value[4] = {};
  bool seen[4] = {};
  std::istringstream lines(src.read_file("/proc/cpuinfo"));
  for (std::string line; std::getline(lines, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = trim(line.substr(0, colon));
    const std::string text = trim(line.substr(colon + 1));
    for (int k = 0; k < 4; ++k) {
      if (seen[k] || key != kKeys[k]) continue;
      char* end = nullptr;
      const long v = std::strtol(text.c_str(), &end, 0);  // "0x41", "0xd0c", "1"
      if (end != text.c_str()) value[k] = static_cast<int>(v), seen[k] = true;
    }
  }
  if (!seen[0] || !seen[2]) return false;
  m->implementer = value[0] & 0xff;
  m->variant = value[1] & 0xf;
  m->part = value[2] & 0xfff;
  m->revision = value[3] & 0xf;
  return true;
}

Midr read_midr(const CpuSource& src) {
  Midr m;
  if (!midr_from_sysfs(src, &m)) midr_from_cpuinfo(src, &m);
  return m;
}

// ---- Caches ----------------------------------------------------------------------------------

// sysfs when it gives any size; the core's defaults (kParts) fill what it leaves out (all of
// it when there is no cache directory, or a level whose size file the kernel hid because the
// firmware gave no size). The L3 is never filled in: see kParts.
void detect_caches(const CpuSource& src, const Part* part, const std::string& core,
                   CacheSizes* cache) {
  const std::size_t default_l1d = part != nullptr ? part->l1d : 0;
  const std::size_t default_l2 = part != nullptr ? part->l2 : 0;
  CacheSizes sysfs;
  if (read_sysfs_caches(src, &sysfs)) {
    *cache = sysfs;
    cache->source = "sysfs";
    std::string filled;
    auto fill = [&](std::size_t* size, std::size_t fallback, const char* level) {
      if (*size != 0 || fallback == 0) return;
      *size = fallback;
      filled += std::string(filled.empty() ? "" : " and ") + level + " " +
                std::to_string(fallback / KiB) + " KiB";
    };
    fill(&cache->l1d, default_l1d, "L1d");
    fill(&cache->l2, default_l2, "L2");
    if (!filled.empty())
      cache->note =
          filled + " from the " + core + " defaults (" + part->why + "): sysfs gave no size for it";
    return;
  }
  *cache = CacheSizes{};
  cache->source = "defaults";
  cache->l1d = default_l1d;
  cache->l2 = default_l2;
  if (default_l1d != 0 || default_l2 != 0)
    cache->note =
        "no cache sizes in sysfs: the " + core + " defaults (" + part->why + "; no L3 default)";
  else
    cache->note = "no cache sizes in sysfs and no defaults for this core: unknown";
}

}  // namespace

CpuDescription detect_cpu(const CpuSource& src) {
  CpuDescription cpu;
  const Midr midr = read_midr(src);

  char text[64];
  std::snprintf(text, sizeof text, "unknown implementer 0x%02x", midr.implementer);
  cpu.vendor = text;
  for (const Implementer& i : kImplementers)
    if (i.id == midr.implementer) cpu.vendor = i.name;
  cpu.vendor_id = midr.implementer == 0x41 ? Vendor::Arm : Vendor::Other;

  const Part* part = nullptr;
  for (const Part& p : kParts)
    if (p.implementer == midr.implementer && p.part == midr.part) part = &p;
  if (part != nullptr) {
    cpu.microarchitecture = part->name;
    cpu.core = part->core;
  } else {
    std::snprintf(text, sizeof text, "AARCH64_%02X_%03X", midr.implementer, midr.part);
    cpu.microarchitecture = text;
    cpu.core = "unknown";
  }
  cpu.brand = cpu.microarchitecture;  // AArch64 has no brand string
  cpu.family = midr.implementer;
  cpu.model = midr.part;
  cpu.stepping = (midr.variant << 4) | midr.revision;

  const std::uint64_t hwcap = src.hwcap();
  if (hwcap & kHwcapAsimd) cpu.features |= kAsimd;
  if (hwcap & kHwcapAtomics) cpu.features |= kAtomics;

  detect_caches(src, part, cpu.core, &cpu.cache);
  return cpu;
}

CpuDescription detect_cpu() { return detect_cpu(host_cpu_source()); }

}  // namespace umaccess::detail
