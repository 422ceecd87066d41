// SPDX-License-Identifier: Apache-2.0
// dispatch/policy_aarch64.cpp - the AArch64 choices: no rep-string classes, glibc's generic
// non-temporal divisor; `auto` takes NEON wherever Advanced SIMD is there (the registry
// walk in policy.cpp: no variant needs a CoreFact here).
#include "policy.h"

namespace umaccess::detail {

// glibc does not stream on AArch64; bionic's Oryon memcpy streams above 48 KiB. We keep the
// cache-derived threshold (policy.cpp) with glibc's generic divisor: streaming only for
// copies several times larger than a core's share of the last-level cache.
unsigned nt_cache_divisor(const CpuDescription&) { return 4; }

std::size_t derive_rep_threshold(const CpuDescription&, const VariantDef&, bool stos,
                                 std::string* why) {
  *why = std::string("AArch64 has no ") + (stos ? "rep stosb" : "rep movsb") +
         ": the variant's loop up to the " + (stos ? "fills'" : "copies'") +
         " non-temporal threshold";
  return kNever;
}

// No AArch64 measurement sets fills apart from copies yet: the copies' threshold.
bool fills_stream_beyond_l3(const CpuDescription&, std::string*) { return false; }

std::string missing_fact_reason(const CpuDescription&, std::uint32_t) {
  return "the CPU lacks a fact it needs";
}

std::uint32_t rep_distance_mask(const CpuDescription&) { return 0xffffffffu; }

}  // namespace umaccess::detail
