// dispatch/cpu_aarch64.cpp - CPU detection on AArch64, read through a CpuSource so recorded
// machines can stand in for the host (tests/fixtures/cpu/aarch64): features from the
// kernel's HWCAPs, the core's identity from its MIDR (sysfs midr_el1, else /proc/cpuinfo),
// cache sizes from sysfs.
#include <algorithm>
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

struct Implementer {
  int id;
  const char* name;
};
constexpr Implementer kImplementers[] = {
    {0x41, "ARM"},      {0x42, "Broadcom"}, {0x43, "Cavium"}, {0x46, "Fujitsu"},
    {0x48, "HiSilicon"}, {0x4e, "NVIDIA"},  {0x51, "Qualcomm"}, {0x61, "Apple"},
    {0x6d, "Microsoft"}, {0xc0, "Ampere"},
};

struct Part {
  int implementer, part;
  const char* name;
  const char* core;
};
// A few well-known cores, by MIDR implementer and part number (Linux asm/cputype.h).
constexpr Part kParts[] = {
    {0x41, 0xd03, "ARM_CORTEX_A53", "Cortex-A53"},
    {0x41, 0xd05, "ARM_CORTEX_A55", "Cortex-A55"},
    {0x41, 0xd07, "ARM_CORTEX_A57", "Cortex-A57"},
    {0x41, 0xd08, "ARM_CORTEX_A72", "Cortex-A72"},
    {0x41, 0xd09, "ARM_CORTEX_A73", "Cortex-A73"},
    {0x41, 0xd0b, "ARM_CORTEX_A76", "Cortex-A76"},
    {0x41, 0xd0c, "ARM_NEOVERSE_N1", "Neoverse N1"},
    {0x41, 0xd41, "ARM_CORTEX_A78", "Cortex-A78"},
    {0x41, 0xd44, "ARM_CORTEX_X1", "Cortex-X1"},
    {0x41, 0xd40, "ARM_NEOVERSE_V1", "Neoverse V1"},
    {0x41, 0xd47, "ARM_CORTEX_A710", "Cortex-A710"},
    {0x41, 0xd48, "ARM_CORTEX_X2", "Cortex-X2"},
    {0x41, 0xd49, "ARM_NEOVERSE_N2", "Neoverse N2"},
    {0x41, 0xd4f, "ARM_NEOVERSE_V2", "Neoverse V2"},
    {0x41, 0xd8e, "ARM_NEOVERSE_N3", "Neoverse N3"},
    {0x41, 0xd84, "ARM_NEOVERSE_V3", "Neoverse V3"},
    {0xc0, 0xac3, "AMPERE_AMPEREONE", "AmpereOne"},
    {0x48, 0xd01, "HISILICON_TSV110", "TaiShan v110"},
    {0x46, 0x001, "FUJITSU_A64FX", "A64FX"},
};

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

struct Midr {
  int implementer = 0, variant = 0, part = 0, revision = 0;
};

// MIDR_EL1 as Linux exposes it: sysfs (a hex word), else /proc/cpuinfo's first
// "CPU implementer/variant/part/revision" lines; all 0 when neither says (qemu-user, some VMs).
Midr read_midr(const CpuSource& src) {
  Midr m;
  const std::string word =
      first_line(src.read_file("/sys/devices/system/cpu/cpu0/regs/identification/midr_el1"));
  if (!word.empty()) {
    const unsigned long long v = std::strtoull(word.c_str(), nullptr, 16);
    m.implementer = static_cast<int>((v >> 24) & 0xff);
    m.variant = static_cast<int>((v >> 20) & 0xf);
    m.part = static_cast<int>((v >> 4) & 0xfff);
    m.revision = static_cast<int>(v & 0xf);
    return m;
  }
  std::istringstream lines(src.read_file("/proc/cpuinfo"));
  bool seen[4] = {};
  for (std::string line; std::getline(lines, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, line.find_last_not_of(" \t", colon - 1) + 1);
    const int value = static_cast<int>(std::strtol(line.c_str() + colon + 1, nullptr, 0));
    const char* const keys[4] = {"CPU implementer", "CPU variant", "CPU part", "CPU revision"};
    int* const fields[4] = {&m.implementer, &m.variant, &m.part, &m.revision};
    for (int k = 0; k < 4; ++k)
      if (key == keys[k] && !seen[k]) *fields[k] = value, seen[k] = true;
  }
  return m;
}

// Linux's uapi <asm/hwcap.h>.
constexpr std::uint64_t kHwcapAsimd = 1u << 1;
constexpr std::uint64_t kHwcapAtomics = 1u << 8;

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
  std::snprintf(text, sizeof text, "AARCH64_%02X_%03X", midr.implementer, midr.part);
  cpu.microarchitecture = text;
  cpu.core = "unknown";
  for (const Part& p : kParts)
    if (p.implementer == midr.implementer && p.part == midr.part)
      cpu.microarchitecture = p.name, cpu.core = p.core;
  cpu.brand = cpu.microarchitecture;  // AArch64 has no brand string
  cpu.family = midr.implementer;
  cpu.model = midr.part;
  cpu.stepping = (midr.variant << 4) | midr.revision;
  if (src.hwcap() & kHwcapAsimd) cpu.features |= kAsimd;
  if (src.hwcap() & kHwcapAtomics) cpu.features |= kAtomics;
  if (read_sysfs_caches(src, &cpu.cache)) {
    cpu.cache.source = "sysfs";
  } else {
    cpu.cache = CacheSizes{};
    cpu.cache.source = "defaults";
    cpu.cache.note = "no cache sizes in sysfs: unknown";
  }
  return cpu;
}

CpuDescription detect_cpu() { return detect_cpu(host_cpu_source()); }

}  // namespace umaccess::detail
