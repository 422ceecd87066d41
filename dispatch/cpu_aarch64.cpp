// dispatch/cpu_aarch64.cpp - CPU detection on AArch64: features from cpu_features (the
// kernel's HWCAPs), the core's identity from its MIDR fields, cache sizes from sysfs
// (cpu_features 0.7 has no AArch64 cache information).
#include <cpu_features/cpuinfo_aarch64.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "cpu.h"

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
};
// A few well-known cores, by MIDR implementer and part number (Linux asm/cputype.h).
constexpr Part kParts[] = {
    {0x41, 0xd03, "ARM_CORTEX_A53"},     {0x41, 0xd07, "ARM_CORTEX_A57"},
    {0x41, 0xd08, "ARM_CORTEX_A72"},     {0x41, 0xd0b, "ARM_CORTEX_A76"},
    {0x41, 0xd0c, "ARM_NEOVERSE_N1"},    {0x41, 0xd40, "ARM_NEOVERSE_V1"},
    {0x41, 0xd49, "ARM_NEOVERSE_N2"},    {0x41, 0xd4f, "ARM_NEOVERSE_V2"},
    {0x41, 0xd8e, "ARM_NEOVERSE_N3"},    {0x41, 0xd84, "ARM_NEOVERSE_V3"},
    {0xc0, 0xac3, "AMPERE_AMPEREONE"},   {0x48, 0xd01, "HISILICON_TSV110"},
};

std::string read_line(const std::string& path) {
  std::string out;
  if (FILE* f = std::fopen(path.c_str(), "r")) {
    char buf[256];
    if (std::fgets(buf, sizeof buf, f) != nullptr) out = buf;
    std::fclose(f);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// "32K", "1024K", "8M" as sysfs writes cache sizes.
std::size_t parse_size(const std::string& text) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (end == text.c_str()) return 0;
  if (*end == 'K') return static_cast<std::size_t>(v) << 10;
  if (*end == 'M') return static_cast<std::size_t>(v) << 20;
  return static_cast<std::size_t>(v);
}

// Logical CPUs in a sysfs list such as "0-3,8-11".
unsigned count_cpus(const std::string& list) {
  unsigned n = 0;
  const char* p = list.c_str();
  while (*p != '\0') {
    char* end;
    const unsigned long a = std::strtoul(p, &end, 10);
    if (end == p) break;
    unsigned long b = a;
    if (*end == '-') b = std::strtoul(end + 1, &end, 10);
    n += static_cast<unsigned>(b >= a ? b - a + 1 : 1);
    p = *end == ',' ? end + 1 : end;
    if (end[0] == '\0') break;
  }
  return n;
}

// /sys/devices/system/cpu/cpu0/cache/index*: filled by Linux from the firmware's cache
// description (ACPI PPTT or the device tree); absent on some systems, then sizes stay 0
// and the thresholds fall back as documented.
void read_caches(CacheSizes* cache) {
  for (int i = 0; i < 8; ++i) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    const std::string level = read_line(dir + "level");
    if (level.empty()) break;
    const std::string type = read_line(dir + "type");
    const std::size_t size = parse_size(read_line(dir + "size"));
    if (level == "1" && type == "Data") cache->l1d = size;
    if (level == "2" && type == "Unified") cache->l2 = size;
    if (level == "3" && type == "Unified") {
      cache->l3 = size;
      const unsigned sharing = count_cpus(read_line(dir + "shared_cpu_list"));
      cache->l3_sharing_threads = sharing > 0 ? sharing : 1;
    }
  }
}

}  // namespace

CpuDescription detect_cpu() {
  using namespace cpu_features;
  const Aarch64Info info = GetAarch64Info();
  CpuDescription cpu;
  // qemu-user and some virtual machines expose no MIDR: implementer and part read 0.
  char text[64];
  std::snprintf(text, sizeof text, "unknown implementer 0x%02x", info.implementer);
  cpu.vendor = text;
  for (const Implementer& i : kImplementers)
    if (i.id == info.implementer) cpu.vendor = i.name;
  cpu.vendor_id = info.implementer == 0x41 ? Vendor::Arm : Vendor::Other;
  std::snprintf(text, sizeof text, "AARCH64_%02X_%03X", info.implementer, info.part);
  cpu.microarchitecture = text;
  for (const Part& p : kParts)
    if (p.implementer == info.implementer && p.part == info.part) cpu.microarchitecture = p.name;
  cpu.brand = cpu.microarchitecture;  // AArch64 has no brand string
  cpu.family = info.implementer;
  cpu.model = info.part;
  cpu.stepping = (info.variant << 4) | info.revision;
  if (info.features.asimd) cpu.features |= kAsimd;
  if (info.features.atomics) cpu.features |= kAtomics;
  read_caches(&cpu.cache);
  return cpu;
}

}  // namespace umaccess::detail
