// dispatch/policy.cpp - the automatic choices.
#include "policy.h"

#include <algorithm>
#include <cstdio>
#include <initializer_list>

namespace umaccess::detail {
namespace {

bool uarch_is(const CpuDescription& cpu, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (cpu.microarchitecture == n) return true;
  return false;
}

// Cores that run 512-bit code without lowering their clock (Ice Lake and later; on
// Skylake-SP/Cascade Lake zmm code costs a frequency licence, glibc's Prefer_No_AVX512).
bool zmm_without_penalty(const CpuDescription& cpu) {
  return cpu.vendor_id == Vendor::Intel &&
         uarch_is(cpu, {"INTEL_ICL", "INTEL_TGL", "INTEL_RCL", "INTEL_SPR"});
}

// glibc's non-temporal divisor: 2 for the large non-inclusive L3 of Skylake-SP and later
// server cores, 8 for Broadwell and older, 4 otherwise (dl-cacheinfo.h).
unsigned nt_divisor(const CpuDescription& cpu) {
  if (cpu.vendor_id != Vendor::Intel) return 4;
  if (uarch_is(cpu, {"INTEL_SKL", "INTEL_ICL", "INTEL_SPR"}) && cpu.has(kAvx512f)) return 2;
  if (uarch_is(cpu, {"INTEL_BDW", "INTEL_HSW", "INTEL_IVB", "INTEL_SNB", "INTEL_WSM",
                     "INTEL_NHM"}))
    return 8;
  return 4;
}

std::size_t derive_non_temporal(const CpuDescription& cpu, std::string* why) {
  constexpr std::size_t kFallback = std::size_t{64} << 20;  // glibc, when caches are unknown
  const CacheSizes& c = cpu.cache;
  if (c.l3 == 0) {
    *why = "no L3 size known: glibc's fallback";
    return kFallback;
  }
  std::size_t shared = c.l3;
  std::string what = "L3 " + format_bytes(c.l3);
  if (!c.l3_inclusive && c.l2 != 0) {
    shared += c.l2;
    what += " + the core's L2 " + format_bytes(c.l2) + " (non-inclusive L3)";
  }
  const unsigned threads = std::max(1u, c.l3_sharing_threads);
  const unsigned divisor = nt_divisor(cpu);
  const std::size_t by_divisor = shared / divisor;
  const std::size_t floor = shared / threads * 3 / 4;
  std::size_t nt = std::max(by_divisor, floor);
  *why = what + ", shared by " + std::to_string(threads) + " thread(s): max(shared / " +
         std::to_string(divisor) + " = " + format_bytes(by_divisor) +
         ", 3/4 of one thread's share = " + format_bytes(floor) + ")";
  if (nt < 0x4040) {
    *why += "; below 16 KiB, so glibc's fallback";
    nt = kFallback;
  }
  return std::min(nt, SIZE_MAX >> 4);
}

// rep movsb (copies) and rep stosb (fills): the same gate, different crossovers.
std::size_t derive_rep(const CpuDescription& cpu, const VariantDef& v, bool stos,
                       std::string* why) {
  const char* insn = stos ? "rep stosb" : "rep movsb";
  if (!cpu.has(kErms)) {
    *why = "no ERMS: fast-string microcode absent";
    return kNever;
  }
  if (v.vector_bytes == 0) {
    *why = std::string("the erms variant: ") + insn + " at every length";
    return 0;
  }
  if (cpu.vendor_id == Vendor::Amd) {
    *why = std::string("AMD: ") + insn +
           " collapses for some alignments and distances (glibc BZ 30994): vector loops up "
           "to the non-temporal threshold";
    return kNever;
  }
  if (cpu.vendor_id != Vendor::Intel) {
    *why = std::string("not an Intel CPU: ") + insn + " speed unknown, vector loops instead";
    return kNever;
  }
  if (stos) {
    *why = "Intel with ERMS: glibc's rep_stosb_threshold";
    return 2048;
  }
  if (cpu.has(kFsrm)) {
    *why = "Intel with FSRM: glibc's measured crossover";
    return 2112;
  }
  const std::size_t t = v.vector_bytes >= 32 ? 4096 * (v.vector_bytes / 16) : 2048;
  *why = "Intel with ERMS, no FSRM: glibc's 4096 x VEC/16 for " +
         std::to_string(v.vector_bytes) + "-byte vectors (2048 for SSE2)";
  return t;
}

}  // namespace

std::string format_bytes(std::size_t bytes) {
  if (bytes == kNever) return "never";
  char buf[32];
  if (bytes >= (std::size_t{1} << 20) && bytes % (std::size_t{1} << 20) == 0)
    std::snprintf(buf, sizeof buf, "%zu MiB", bytes >> 20);
  else if (bytes >= (std::size_t{1} << 20))
    std::snprintf(buf, sizeof buf, "%.2f MiB", static_cast<double>(bytes) / (1 << 20));
  else if (bytes >= 1024 && bytes % 1024 == 0)
    std::snprintf(buf, sizeof buf, "%zu KiB", bytes >> 10);
  else
    std::snprintf(buf, sizeof buf, "%zu bytes", bytes);
  return buf;
}

const VariantDef& auto_variant(const CpuDescription& cpu, std::string* reason) {
  const VariantDef& avx512 = *find_variant("avx512");
  const VariantDef& evex = *find_variant("evex");
  const VariantDef& avx2 = *find_variant("avx2");
  if (cpu.has(avx512.required) && zmm_without_penalty(cpu)) {
    *reason = "AVX-512 on " + cpu.microarchitecture + ", which runs zmm code at full clock";
    return avx512;
  }
  if (cpu.has(evex.required)) {
    *reason = cpu.has(avx512.required)
                  ? "AVX-512 on " + cpu.microarchitecture +
                        ": 32-byte EVEX vectors avoid the zmm frequency licence"
                  : "AVX-512VL: 32-byte EVEX vectors need no vzeroupper";
    return evex;
  }
  if (cpu.has(avx2.required)) {
    *reason = "AVX2 without AVX-512VL";
    return avx2;
  }
  *reason = "no AVX2: the SSE2 baseline";
  return baseline_variant();
}

Thresholds derive_thresholds(const CpuDescription& cpu, const VariantDef& variant,
                             ThresholdReasons* why) {
  Thresholds t;
  t.rep_movsb = derive_rep(cpu, variant, false, &why->rep_movsb);
  t.rep_stosb = derive_rep(cpu, variant, true, &why->rep_stosb);
  t.non_temporal = derive_non_temporal(cpu, &why->non_temporal);
  return t;
}

}  // namespace umaccess::detail
