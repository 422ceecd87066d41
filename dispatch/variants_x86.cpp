// SPDX-License-Identifier: Apache-2.0
// dispatch/variants_x86.cpp - the x86-64 kernel variants and their kernels' names.
#include "cpu.h"
#include "variants.h"

namespace umaccess::detail {
namespace {

// `strings`: the string-length width (asm/x86_64/string_length.asm has sse2 and avx2; the
// AVX-512 variants run the avx2 one, so they require AVX2 too: a hypervisor may hide it
// while showing AVX-512).
#define UMA_VECTOR_VARIANT(isa, strings, required, vec, auto_needs, description)            \
  VariantDef {                                                                            \
    #isa, description, required, vec, uma_copy_##isa, uma_move_##isa, uma_copy_nt_##isa,  \
        uma_copy_##isa, uma_fill_##isa, uma_fill_nt_##isa, uma_copy_erms, uma_fill_erms,    \
        uma_strlen_##strings, uma_wcslen_##strings, auto_needs, true                       \
  }

// Widest first: `auto` takes the first one the CPU runs whose auto_needs facts it has.
constexpr VariantDef kVariants[] = {
    UMA_VECTOR_VARIANT(avx512, avx2, kAvx512f | kAvx512bw | kAvx512vl | kBmi2 | kAvx2, 64,
                       kZmmFullClock,
                       "64-byte zmm16-31 vectors, byte-masked moves below 64 bytes"),
    UMA_VECTOR_VARIANT(evex, avx2, kAvx512f | kAvx512vl | kAvx2, 32, 0,
                       "32-byte EVEX vectors in ymm16-31: no vzeroupper, no zmm frequency licence"),
    UMA_VECTOR_VARIANT(avx2, avx2, kAvx2, 32, 0,
                       "32-byte AVX2 vectors in ymm0-15, vzeroupper on exit"),
    UMA_VECTOR_VARIANT(sse2, sse2, kSse2, 16, 0,
                       "16-byte SSE2 vectors: the baseline of every x86-64"),
    {"erms", "rep movsb / rep stosb at every length (SSE2 for overlapping moves and streaming)",
     kSse2 | kErms, 0, uma_copy_erms, uma_move_sse2, uma_copy_nt_sse2, uma_copy_sse2,
     uma_fill_erms, uma_fill_nt_sse2, uma_copy_erms, uma_fill_erms, uma_strlen_sse2,
     uma_wcslen_sse2, 0,
     /*auto_eligible=*/false},  // rep strings crawl at short distances: by name only
};
#undef UMA_VECTOR_VARIANT

#define UMA_NAMES(isa)                                                                     \
  {reinterpret_cast<const void*>(uma_copy_##isa), "uma_copy_" #isa},                       \
      {reinterpret_cast<const void*>(uma_move_##isa), "uma_move_" #isa},                   \
      {reinterpret_cast<const void*>(uma_copy_nt_##isa), "uma_copy_nt_" #isa},             \
      {reinterpret_cast<const void*>(uma_fill_##isa), "uma_fill_" #isa},                   \
      {reinterpret_cast<const void*>(uma_fill_nt_##isa), "uma_fill_nt_" #isa}
const NamedKernel kKernelNames[] = {
    UMA_NAMES(avx512),
    UMA_NAMES(evex),
    UMA_NAMES(avx2),
    UMA_NAMES(sse2),
    {reinterpret_cast<const void*>(uma_copy_erms), "uma_copy_erms"},
    {reinterpret_cast<const void*>(uma_fill_erms), "uma_fill_erms"},
    {reinterpret_cast<const void*>(uma_strlen_avx2), "uma_strlen_avx2"},
    {reinterpret_cast<const void*>(uma_wcslen_avx2), "uma_wcslen_avx2"},
    {reinterpret_cast<const void*>(uma_strlen_sse2), "uma_strlen_sse2"},
    {reinterpret_cast<const void*>(uma_wcslen_sse2), "uma_wcslen_sse2"},
};
#undef UMA_NAMES

}  // namespace

const VariantDef* variant_registry(std::size_t* count) {
  *count = sizeof kVariants / sizeof kVariants[0];
  return kVariants;
}

const VariantDef& baseline_variant() { return *find_variant("sse2"); }

const NamedKernel* kernel_names(std::size_t* count) {
  *count = sizeof kKernelNames / sizeof kKernelNames[0];
  return kKernelNames;
}

}  // namespace umaccess::detail
