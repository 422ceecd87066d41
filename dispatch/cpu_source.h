// SPDX-License-Identifier: Apache-2.0
// dispatch/cpu_source.h - everything CPU detection reads from the machine, behind one seam.
//
// Detection (cpu_<arch>.cpp) never executes CPUID or reads sysfs itself: it asks a
// CpuSource. The host source asks the machine; a RecordedCpu answers from a text file
// holding a machine's raw CPUID leaves, XCR0, HWCAPs and the files detection reads (sysfs,
// /proc/cpuinfo). Tests feed recorded machines (tests/fixtures/cpu/) to the same detector
// and assert the description and the plan it leads to, the way cpu_features' tests fake
// CPUs (https://github.com/google/cpu_features/tree/main/test).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace umaccess::detail {

struct CpuidRegs {
  std::uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

class CpuSource {
 public:
  virtual ~CpuSource() = default;
  // x86-64: CPUID leaf and subleaf. Callers check the maximum leaf first (leaf 0 and
  // 0x80000000); a recorded machine answers zeros for a leaf it does not hold.
  virtual CpuidRegs cpuid(std::uint32_t leaf, std::uint32_t subleaf) const = 0;
  // x86-64: XCR0 (which register states the OS saves); 0 when OSXSAVE is off.
  virtual std::uint64_t xcr0() const = 0;
  // AArch64: getauxval(AT_HWCAP) and getauxval(AT_HWCAP2).
  virtual std::uint64_t hwcap() const = 0;
  virtual std::uint64_t hwcap2() const = 0;
  // A file's contents (sysfs, /proc/cpuinfo); "" if it does not exist or cannot be read.
  virtual std::string read_file(const std::string& path) const = 0;
  // Logical CPUs online (sysconf(_SC_NPROCESSORS_ONLN)); at least 1.
  virtual unsigned online_cpus() const = 0;
};

// The machine this process runs on.
const CpuSource& host_cpu_source();

struct CacheSizes;
// Cache sizes from /sys/devices/system/cpu/cpu0/cache/index* as `source` reads them (Linux
// fills them from CPUID, ACPI PPTT or the device tree): L1d, L2, L3 and the CPUs sharing
// the L3 (capped at the online ones). False if sysfs gave no size at all.
bool read_sysfs_caches(const CpuSource& source, CacheSizes* cache);

// This machine as a RecordedCpu text (what `umaccess-info --record-cpu` prints): every
// CPUID leaf detection may read, XCR0, HWCAPs, the online CPU count, and the sysfs and
// /proc files it reads. `expect` lines are for the person who adds it as a fixture.
std::string record_host_cpu();

// A machine recorded as text, one item per line ('#' starts a comment line):
//
//   cpuid LEAF SUBLEAF EAX EBX ECX EDX   all hexadecimal, e.g. "cpuid 80000006 0 0 0 02006140 0"
//   xcr0 HEX
//   hwcap HEX / hwcap2 HEX
//   online_cpus N
//   file PATH TEXT                       the file holds TEXT and a newline
//   file PATH <<END ... END              a multi-line file, the lines in between
//   expect KEY VALUE...                  kept for the test that reads the fixture
//
// Anything else is an error naming the line: a fixture with a typo must not pass silently.
class RecordedCpu final : public CpuSource {
 public:
  // nullptr and *error set (with the line number) when the text is malformed.
  static std::unique_ptr<RecordedCpu> parse(const std::string& text, std::string* error);

  CpuidRegs cpuid(std::uint32_t leaf, std::uint32_t subleaf) const override;
  std::uint64_t xcr0() const override { return xcr0_; }
  std::uint64_t hwcap() const override { return hwcap_; }
  std::uint64_t hwcap2() const override { return hwcap2_; }
  std::string read_file(const std::string& path) const override;
  unsigned online_cpus() const override { return online_cpus_; }

  // The `expect` lines in file order: key, then the rest of the line.
  const std::vector<std::pair<std::string, std::string>>& expectations() const { return expect_; }

 private:
  std::map<std::pair<std::uint32_t, std::uint32_t>, CpuidRegs> leaves_;
  std::map<std::string, std::string> files_;
  std::uint64_t xcr0_ = 0, hwcap_ = 0, hwcap2_ = 0;
  unsigned online_cpus_ = 1;
  std::vector<std::pair<std::string, std::string>> expect_;
};

}  // namespace umaccess::detail
