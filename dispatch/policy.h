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
  std::string rep_movsb, rep_stosb, non_temporal;
};

// The variant `auto` picks for this CPU (the widest vectors it runs without penalty).
const VariantDef& auto_variant(const CpuDescription& cpu, std::string* reason);

// The thresholds for this CPU and variant, derived as glibc derives its tunables
// (perf-anchors §1.5), with the vendor gate on rep movsb/stosb.
Thresholds derive_thresholds(const CpuDescription& cpu, const VariantDef& variant,
                             ThresholdReasons* why);

// "16 KiB", "180.75 MiB", "never", for reasons and reports.
std::string format_bytes(std::size_t bytes);

// Per architecture (policy_<arch>.cpp): where rep movsb (stos = false) or rep stosb
// (stos = true) start, and the divisor of the last-level cache for the non-temporal
// threshold.
std::size_t derive_rep_threshold(const CpuDescription& cpu, const VariantDef& variant, bool stos,
                                 std::string* why);
unsigned nt_cache_divisor(const CpuDescription& cpu);

}  // namespace umaccess::detail
