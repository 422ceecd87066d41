// SPDX-License-Identifier: Apache-2.0
// dispatch/policy_x86.cpp - the x86-64 choices as functions of features and CoreFacts
// (cpu.h), never of names: why a variant is passed over, where rep movsb/stosb start, the
// non-temporal divisor, where fills stream, and the rep movsb distance guard.
//
//   facts                 rep movsb from             rep stosb from      source
//   Intel, FSRM           2112                       2048                glibc's crossovers
//   Intel, ERMS only      4096 x VEC/16 (SSE2: 2048) 2048                glibc
//   rep-strings-long      L1d/2 + 2 KiB              the L2 size         AMD AOCL-LibMem, Zen 5
//   rep-strings-slow      never                      never               glibc >= 2.40 (BZ 30994)
//   other vendors         never                      never               unmeasured
// page-aliasing (AMD Zen 1-4): rep movsb, when a profile or the environment turns it on
// there, is skipped when (dst - src) mod 4096 is within 63 of 0, where it collapses 10-20x
// (BZ 30994); elsewhere (Zen 5 included: measured) the guard is modulo 2^32 (short
// distances, glibc BZ 27130).
#include <algorithm>

#include "policy.h"

namespace umaccess::detail {

std::string missing_fact_reason(const CpuDescription& cpu, std::uint32_t missing) {
  if (missing & kZmmFullClock) {
    return cpu.is(kZmmLicence)
               ? "zmm code costs " + cpu.core + " a frequency licence (glibc's Prefer_No_AVX512)"
               : cpu.core + " is not known to run zmm code at full clock";
  }
  return "the CPU lacks a fact it needs";
}

// glibc's non-temporal divisor (sysdeps/x86/dl-cacheinfo.h): 2 for the large
// non-inclusive L3 of Skylake-SP and later server cores, 8 for Broadwell and older, 4
// otherwise (AMD included).
unsigned nt_cache_divisor(const CpuDescription& cpu) {
  if (cpu.vendor_id == Vendor::Intel && cpu.is(kMeshL3) && cpu.has(kAvx512f)) return 2;
  if (cpu.vendor_id == Vendor::Intel && cpu.is(kSmallL3Era)) return 8;
  return 4;
}

// Fills stream from the copies' threshold except on AMD, where they stream only beyond the
// L3 a core complex shares, as AMD's own memset does (https://github.com/amd/aocl-libmem,
// src/isa/avx512/optimized/memset_avx512_erms.c: "non-temporal stores for sizes above L3
// cache per CCX"). A fill's footprint is its length, a copy's twice its length, so the
// copies' threshold (a quarter of the L3 or more) streams fills that the L3 would hold: on
// the three AMD reports (Zen 4 with and without AVX-512, Zen 5; 32 MiB L3, threshold
// 12.4 MiB) a 16 MiB fill took 1.4-2.2 x glibc's temporal memset (1.1-1.3 x with the
// caches flushed before each fill, Zen 4), and was level with it from the L3 size on. On
// Intel streaming wins below the L3 too (0.66 x glibc's rep stosb at 64 MiB with a 105 MiB
// L3), so the copies' threshold stays there (derive_non_temporal_fill in policy.cpp).
bool fills_stream_beyond_l3(const CpuDescription& cpu, std::string* why) {
  if (cpu.vendor_id != Vendor::Amd) return false;
  *why = "AMD, as AMD's AOCL-LibMem memset; a fill the L3 holds runs faster temporal";
  return true;
}

std::uint32_t rep_distance_mask(const CpuDescription& cpu) {
  return cpu.is(kPageAliasing) ? 0xfffu : 0xffffffffu;
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
  const std::string guard = cpu.is(kPageAliasing) && !stos
                                ? "; not where (dst - src) mod 4096 is within 63 bytes of 0 "
                                  "(page aliasing, glibc BZ 30994)"
                                : "";
  if (cpu.is(kRepStringsLong)) {
    if (stos) {
      if (cpu.cache.l2 == 0) {
        *why = cpu.core + ": rep stosb from the L2 size, which is unknown here";
        return kNever;
      }
      *why = cpu.core + ": rep stosb from the L2 size (" + format_bytes(cpu.cache.l2) +
             "), as AMD's AOCL-LibMem memset";
      return cpu.cache.l2;
    }
    const std::size_t l1d = cpu.cache.l1d != 0 ? cpu.cache.l1d : 32 * 1024;
    *why = cpu.core + ": rep movsb from L1d/2 + 2 KiB (" + format_bytes(l1d / 2 + 2048) +
           "), as AMD's AOCL-LibMem memcpy" + guard;
    return l1d / 2 + 2048;
  }
  if (cpu.is(kRepStringsSlow)) {
    *why = cpu.core + ": " + insn + " collapses for some alignments and distances " +
           "(glibc BZ 30994): vector loops up to the " + (stos ? "fills'" : "copies'") +
           " non-temporal threshold";
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
    *why = "Intel with FSRM: glibc's measured crossover" + guard;
    return 2112;
  }
  const std::size_t t = v.vector_bytes >= 32 ? 4096 * (v.vector_bytes / 16) : 2048;
  *why = "Intel with ERMS, no FSRM: glibc's 4096 x VEC/16 for " +
         std::to_string(v.vector_bytes) + "-byte vectors (2048 for SSE2)";
  return t;
}

}  // namespace umaccess::detail
