// SPDX-License-Identifier: Apache-2.0
// dispatch/policy.cpp - the automatic choices common to every architecture: the
// non-temporal threshold from the caches, and the thresholds' assembly. The variant choice
// and the rep-string gate are per architecture (policy_x86.cpp, policy_aarch64.cpp).
#include "policy.h"

#include <algorithm>
#include <cstdio>

namespace umaccess::detail {
namespace {

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
  const unsigned divisor = nt_cache_divisor(cpu);
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

}  // namespace

std::size_t derive_non_temporal_fill(const CpuDescription& cpu, std::size_t copy_from,
                                     std::string* why) {
  std::string beyond_l3;
  if (cpu.cache.l3 != 0 && cpu.cache.l3 > copy_from && fills_stream_beyond_l3(cpu, &beyond_l3)) {
    *why = "beyond the L3 (" + format_bytes(cpu.cache.l3) + "): " + beyond_l3;
    return cpu.cache.l3;
  }
  *why = "the copies' threshold (" + format_bytes(copy_from) + ")";
  return copy_from;
}

const char* core_fact_name(CoreFact f) {
  switch (f) {
    case kZmmFullClock: return "zmm-full-clock";
    case kZmmLicence: return "zmm-licence";
    case kMeshL3: return "mesh-l3";
    case kSmallL3Era: return "small-l3-era";
    case kRepStringsSlow: return "rep-strings-slow";
    case kRepStringsLong: return "rep-strings-long";
    case kPageAliasing: return "page-aliasing";
  }
  return "?";
}

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
  std::size_t count;
  const VariantDef* defs = variant_registry(&count);
  std::string passed_over;
  for (std::size_t i = 0; i < count; ++i) {
    const VariantDef& v = defs[i];
    if (!v.auto_eligible || !cpu.has(v.required)) continue;
    const std::uint32_t missing = v.auto_needs & ~cpu.facts;
    if (missing != 0) {
      passed_over += std::string("; ") + v.name + " passed over: " + missing_fact_reason(cpu, missing);
      continue;
    }
    *reason = std::string(v.name) + ": the widest variant this " + cpu.core + " runs" +
              (v.auto_needs & kZmmFullClock ? ", and it runs zmm code at full clock" : "") +
              passed_over;
    return v;
  }
  *reason = "no listed variant fits: the baseline" + passed_over;
  return baseline_variant();
}

Thresholds derive_thresholds(const CpuDescription& cpu, const VariantDef& variant,
                             ThresholdReasons* why) {
  Thresholds t;
  t.rep_movsb = derive_rep_threshold(cpu, variant, false, &why->rep_movsb);
  t.rep_stosb = derive_rep_threshold(cpu, variant, true, &why->rep_stosb);
  t.non_temporal = derive_non_temporal(cpu, &why->non_temporal);
  t.non_temporal_fill = derive_non_temporal_fill(cpu, t.non_temporal, &why->non_temporal_fill);
  return t;
}

}  // namespace umaccess::detail
