// SPDX-License-Identifier: Apache-2.0
// dispatch/cpu_source.cpp - the host CpuSource and the recorded machines tests feed in.
#include "cpu_source.h"

#include <sys/auxv.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "cpu.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace umaccess::detail {
namespace {

class HostCpu final : public CpuSource {
 public:
  CpuidRegs cpuid(std::uint32_t leaf, std::uint32_t subleaf) const override {
    CpuidRegs r;
#if defined(__x86_64__)
    __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
#else
    (void)leaf;
    (void)subleaf;
#endif
    return r;
  }
  std::uint64_t xcr0() const override {
#if defined(__x86_64__)
    if (!((cpuid(1, 0).ecx >> 27) & 1)) return 0;  // OSXSAVE: xgetbv would fault
    std::uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (std::uint64_t{hi} << 32) | lo;
#else
    return 0;
#endif
  }
  std::uint64_t hwcap() const override { return getauxval(AT_HWCAP); }
  std::uint64_t hwcap2() const override {
#ifdef AT_HWCAP2
    return getauxval(AT_HWCAP2);
#else
    return 0;
#endif
  }
  std::string read_file(const std::string& path) const override {
    std::string out;
    if (FILE* f = std::fopen(path.c_str(), "r")) {
      char buf[4096];
      std::size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, f)) > 0 && out.size() < (1u << 20))
        out.append(buf, n);
      std::fclose(f);
    }
    return out;
  }
  unsigned online_cpus() const override {
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? static_cast<unsigned>(n) : 1u;
  }
};

bool parse_hex(const std::string& word, std::uint64_t* out) {
  if (word.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(word.c_str(), &end, 16);
  if (errno != 0 || *end != '\0') return false;
  *out = v;
  return true;
}

// "32K", "1024K", "8M" as sysfs writes cache sizes.
std::size_t parse_sysfs_size(const std::string& text) {
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
  while (*p >= '0' && *p <= '9') {
    char* end;
    const unsigned long a = std::strtoul(p, &end, 10);
    unsigned long b = a;
    if (*end == '-') b = std::strtoul(end + 1, &end, 10);
    n += static_cast<unsigned>(b >= a ? b - a + 1 : 1);
    if (*end != ',') break;
    p = end + 1;
  }
  return n;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

bool read_sysfs_caches(const CpuSource& src, CacheSizes* cache) {
  bool any = false;
  const unsigned online = std::max(1u, src.online_cpus());
  for (int i = 0; i < 8; ++i) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    const std::string level = first_line(src.read_file(dir + "level"));
    if (level.empty()) break;
    const std::string type = first_line(src.read_file(dir + "type"));
    const std::size_t size = parse_sysfs_size(first_line(src.read_file(dir + "size")));
    if (size == 0) continue;
    if (level == "1" && type == "Data") cache->l1d = size, any = true;
    if (level == "2" && type != "Instruction") cache->l2 = size, any = true;
    if (level == "3" && type != "Instruction") {
      cache->l3 = size;
      const unsigned sharing = count_cpus(first_line(src.read_file(dir + "shared_cpu_list")));
      cache->l3_sharing_threads = std::max(1u, std::min(sharing > 0 ? sharing : 1u, online));
      any = true;
    }
  }
  return any;
}

const CpuSource& host_cpu_source() {
  static const HostCpu host;
  return host;
}

std::string record_host_cpu() {
  const CpuSource& host = host_cpu_source();
  std::string out =
      "# Recorded by umaccess-info --record-cpu. Add `expect` lines (see\n"
      "# tests/cpu_fixture_test.cpp) and save it under tests/fixtures/cpu/<arch>/.\n";
  char line[160];
#if defined(__x86_64__)
  auto leaf = [&](std::uint32_t l, std::uint32_t sub) {
    const CpuidRegs r = host.cpuid(l, sub);
    std::snprintf(line, sizeof line, "cpuid %08x %x %08x %08x %08x %08x\n", l, sub, r.eax, r.ebx,
                  r.ecx, r.edx);
    out += line;
    return r;
  };
  // Leaves with subleaves: 4 and 0x8000001D (caches, until type 0), 7 (EAX subleaves),
  // 0xB and 0x1F (topology, until a level type 0), 0xD (XSAVE state components).
  auto range = [&](std::uint32_t first) {
    const std::uint32_t max = host.cpuid(first, 0).eax;
    for (std::uint32_t l = first; l <= max && l - first < 0x40; ++l) {
      if (l == 4 || l == 0x8000001D) {
        for (std::uint32_t sub = 0; sub < 16; ++sub)
          if ((leaf(l, sub).eax & 0x1f) == 0) break;
      } else if (l == 7) {
        const std::uint32_t subs = leaf(l, 0).eax;
        for (std::uint32_t sub = 1; sub <= subs && sub < 8; ++sub) leaf(l, sub);
      } else if (l == 0xB || l == 0x1F) {
        for (std::uint32_t sub = 0; sub < 8; ++sub)
          if (((leaf(l, sub).ecx >> 8) & 0xff) == 0) break;
      } else if (l == 0xD) {
        for (std::uint32_t sub = 0; sub < 20; ++sub) leaf(l, sub);
      } else {
        leaf(l, 0);
      }
    }
  };
  range(0);
  range(0x80000000);
  std::snprintf(line, sizeof line, "xcr0 %llx\n", static_cast<unsigned long long>(host.xcr0()));
  out += line;
#else
  std::snprintf(line, sizeof line, "hwcap %llx\nhwcap2 %llx\n",
                static_cast<unsigned long long>(host.hwcap()),
                static_cast<unsigned long long>(host.hwcap2()));
  out += line;
#endif
  out += "online_cpus " + std::to_string(host.online_cpus()) + "\n";
  std::vector<std::string> paths;
  for (int i = 0; i < 8; ++i)
    for (const char* f : {"level", "type", "size", "shared_cpu_list"})
      paths.push_back("/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/" + f);
#if defined(__aarch64__)
  paths.push_back("/sys/devices/system/cpu/cpu0/regs/identification/midr_el1");
#endif
  for (const std::string& path : paths) {
    std::string text = host.read_file(path);
    if (text.empty()) continue;
    text = text.substr(0, text.find('\n'));
    out += "file " + path + " " + text + "\n";
  }
#if defined(__aarch64__)
  // The identification lines of the first processor in /proc/cpuinfo.
  const std::string cpuinfo = host.read_file("/proc/cpuinfo");
  std::string head;
  std::istringstream lines(cpuinfo);
  for (std::string l; std::getline(lines, l) && !l.empty();) head += l + "\n";
  if (!head.empty()) out += "file /proc/cpuinfo <<EOF\n" + head + "EOF\n";
#endif
  return out;
}

std::unique_ptr<RecordedCpu> RecordedCpu::parse(const std::string& text, std::string* error) {
  auto cpu = std::make_unique<RecordedCpu>();
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  auto fail = [&](const std::string& why) {
    *error = "line " + std::to_string(number) + ": " + why;
    return nullptr;
  };
  while (std::getline(lines, line)) {
    ++number;
    std::istringstream words(line);
    std::string item;
    if (!(words >> item) || item[0] == '#') continue;
    if (item == "cpuid") {
      std::string w[6];
      std::uint64_t v[6];
      for (int i = 0; i < 6; ++i)
        if (!(words >> w[i]) || !parse_hex(w[i], &v[i]) || v[i] > 0xffffffffu)
          return fail("cpuid wants LEAF SUBLEAF EAX EBX ECX EDX in hexadecimal");
      const auto key =
          std::make_pair(static_cast<std::uint32_t>(v[0]), static_cast<std::uint32_t>(v[1]));
      if (cpu->leaves_.count(key))
        return fail("leaf " + w[0] + " subleaf " + w[1] + " given twice");
      cpu->leaves_[key] = {static_cast<std::uint32_t>(v[2]), static_cast<std::uint32_t>(v[3]),
                           static_cast<std::uint32_t>(v[4]), static_cast<std::uint32_t>(v[5])};
    } else if (item == "xcr0" || item == "hwcap" || item == "hwcap2") {
      std::string w;
      std::uint64_t v;
      if (!(words >> w) || !parse_hex(w, &v)) return fail(item + " wants one hexadecimal value");
      (item == "xcr0" ? cpu->xcr0_ : item == "hwcap" ? cpu->hwcap_ : cpu->hwcap2_) = v;
    } else if (item == "online_cpus") {
      long n = 0;
      if (!(words >> n) || n < 1 || n > 65536) return fail("online_cpus wants a count from 1");
      cpu->online_cpus_ = static_cast<unsigned>(n);
    } else if (item == "file") {
      std::string path, rest;
      if (!(words >> path)) return fail("file wants PATH and its text");
      std::getline(words >> std::ws, rest);
      if (rest.rfind("<<", 0) == 0) {
        const std::string end = rest.substr(2);
        std::string body, next;
        bool closed = false;
        while (std::getline(lines, next)) {
          ++number;
          if (next == end) {
            closed = true;
            break;
          }
          body += next + "\n";
        }
        if (!closed) return fail("file " + path + ": no closing " + end);
        cpu->files_[path] = body;
      } else {
        cpu->files_[path] = rest + "\n";
      }
    } else if (item == "expect") {
      std::string key, rest;
      if (!(words >> key)) return fail("expect wants KEY VALUE");
      std::getline(words >> std::ws, rest);
      cpu->expect_.emplace_back(key, rest);
    } else {
      return fail("unknown item '" + item + "'");
    }
  }
  return cpu;
}

CpuidRegs RecordedCpu::cpuid(std::uint32_t leaf, std::uint32_t subleaf) const {
  const auto it = leaves_.find({leaf, subleaf});
  return it == leaves_.end() ? CpuidRegs{} : it->second;
}

std::string RecordedCpu::read_file(const std::string& path) const {
  const auto it = files_.find(path);
  return it == files_.end() ? std::string() : it->second;
}

}  // namespace umaccess::detail
