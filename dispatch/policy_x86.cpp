// dispatch/policy_x86.cpp - the x86-64 choices: the widest vector variant the CPU runs
// without penalty, glibc's non-temporal divisor per microarchitecture, and the vendor gate
// on rep movsb/stosb.
#include <initializer_list>

#include "policy.h"

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

}  // namespace

// glibc's non-temporal divisor: 2 for the large non-inclusive L3 of Skylake-SP and later
// server cores, 8 for Broadwell and older, 4 otherwise (dl-cacheinfo.h).
unsigned nt_cache_divisor(const CpuDescription& cpu) {
  if (cpu.vendor_id != Vendor::Intel) return 4;
  if (uarch_is(cpu, {"INTEL_SKL", "INTEL_ICL", "INTEL_SPR"}) && cpu.has(kAvx512f)) return 2;
  if (uarch_is(cpu, {"INTEL_BDW", "INTEL_HSW", "INTEL_IVB", "INTEL_SNB", "INTEL_WSM",
                     "INTEL_NHM"}))
    return 8;
  return 4;
}

// rep movsb (copies) and rep stosb (fills): the same gate, different crossovers.
std::size_t derive_rep_threshold(const CpuDescription& cpu, const VariantDef& v, bool stos,
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

}  // namespace umaccess::detail
