// SPDX-License-Identifier: Apache-2.0
// dispatch/policy.h - what `auto` chooses for a CPU, and the size thresholds derived from
// its caches. Pure functions of a CpuDescription, so tests can feed in fabricated CPUs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "cpu.h"
#include "umaccess/umaccess.hpp"
#include "variants.h"

namespace umaccess::detail {

// Lengths from which a size class starts (kNever: the class is not used); the public type.
using Thresholds = ::umaccess::dispatch::Thresholds;
constexpr std::size_t kNever = ::umaccess::dispatch::kNever;

struct ThresholdReasons {
  std::string rep_movsb, rep_stosb, non_temporal, non_temporal_fill;
};

// The variant `auto` picks for this CPU: the first in the registry (widest first) that the
// CPU runs and whose auto_needs CoreFacts it has (variants.h). The same walk on every
// architecture; `reason` names the variants passed over and why.
const VariantDef& auto_variant(const CpuDescription& cpu, std::string* reason);

// The thresholds for this CPU and variant: the non-temporal copy one from the L3 this core
// shares, as glibc derives its tunables (sysdeps/x86/dl-cacheinfo.h), the non-temporal fill
// and rep-string ones from the CPU's facts (policy_<arch>.cpp).
Thresholds derive_thresholds(const CpuDescription& cpu, const VariantDef& variant,
                             ThresholdReasons* why);

// "16 KiB", "180.75 MiB", "never", for reasons and reports.
std::string format_bytes(std::size_t bytes);

// Where fills start streaming, given where copies do (`copy_from`: the copies' threshold in
// force, whichever layer set it): from copy_from, or from the L3 size where
// fills_stream_beyond_l3(); never below copy_from, so a copy pin of `never` stops both.
std::size_t derive_non_temporal_fill(const CpuDescription& cpu, std::size_t copy_from,
                                     std::string* why);

// Per architecture (policy_<arch>.cpp): where rep movsb (stos = false) or rep stosb
// (stos = true) start, whether fills stream only beyond the L3 (with the evidence, for the
// reason), the divisor of the last-level cache for the non-temporal threshold, why `auto`
// passed over a variant whose auto_needs facts the CPU lacks, and the distance modulus below
// which the vector kernels keep a copy away from rep movsb (the published
// rep_distance_mask: dst - src within 63 bytes of 0 modulo mask + 1).
std::size_t derive_rep_threshold(const CpuDescription& cpu, const VariantDef& variant, bool stos,
                                 std::string* why);
bool fills_stream_beyond_l3(const CpuDescription& cpu, std::string* why);
unsigned nt_cache_divisor(const CpuDescription& cpu);
std::string missing_fact_reason(const CpuDescription& cpu, std::uint32_t missing_facts);
std::uint32_t rep_distance_mask(const CpuDescription& cpu);

}  // namespace umaccess::detail
