// dispatch/policy_aarch64.cpp - the AArch64 choices: NEON wherever Advanced SIMD is there
// (every Linux AArch64 core in practice), no rep-string classes, and the non-temporal
// divisor.
#include "policy.h"

namespace umaccess::detail {

// glibc does not stream on AArch64; bionic's Oryon memcpy streams above 48 KiB. We keep the
// cache-derived threshold (policy.cpp) with glibc's generic divisor: streaming only for
// copies several times larger than a core's share of the last-level cache.
unsigned nt_cache_divisor(const CpuDescription&) { return 4; }

std::size_t derive_rep_threshold(const CpuDescription&, const VariantDef&, bool stos,
                                 std::string* why) {
  *why = std::string("AArch64 has no ") + (stos ? "rep stosb" : "rep movsb") +
         ": the variant's loop up to the non-temporal threshold";
  return kNever;
}

const VariantDef& auto_variant(const CpuDescription& cpu, std::string* reason) {
  const VariantDef& neon = *find_variant("neon");
  if (cpu.has(neon.required)) {
    *reason = "Advanced SIMD: 16-byte q registers, two per load and store pair";
    return neon;
  }
  *reason = "no Advanced SIMD: general-register pairs";
  return baseline_variant();
}

}  // namespace umaccess::detail
