// SPDX-License-Identifier: Apache-2.0
// dispatch/variants.h - the registry of kernel variants: each a named, complete kernel set
// with the CPU features it needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kernels.h"

namespace umaccess::detail {

struct VariantDef {
  const char* name;
  const char* description;
  std::uint32_t required;         // Feature bits (cpu.h)
  unsigned vector_bytes;          // VEC of its vector kernels; 0: rep strings, no thresholds
  uma_copy_kernel copy;           // forward, non-overlapping; routes long copies itself
  uma_copy_kernel move;           // overlap-safe
  uma_copy_kernel copy_nt;        // streaming stores
  uma_copy_kernel copy_nt_small;  // what copy_nt runs below NT_MIN_BYTES
  uma_fill_kernel fill;           // routes long fills itself
  uma_fill_kernel fill_nt;
  uma_copy_kernel copy_large;     // where long copies may go (rep movsb), or nullptr
  uma_fill_kernel fill_large;     // where long fills may go (rep stosb), or nullptr
  uma_string_kernel string_length, wide_string_length;  // its width's string lengths
  // The automatic choice walks the registry in order and takes the first variant this CPU
  // runs whose `auto_needs` CoreFacts (cpu.h) it has; a variant `auto` must never pick
  // (one that is only right for some lengths) says auto_eligible = false.
  std::uint32_t auto_needs = 0;
  bool auto_eligible = true;
};

// Per architecture (variants_<arch>.cpp): every compiled-in variant, widest first; the
// baseline every CPU of the architecture runs; every kernel with its symbol name.
const VariantDef* variant_registry(std::size_t* count);
const VariantDef& baseline_variant();
struct NamedKernel {
  const void* kernel;
  const char* name;
};
const NamedKernel* kernel_names(std::size_t* count);

const VariantDef* find_variant(std::string_view name);  // nullptr if unknown
// The symbol name of a kernel ("uma_copy_avx2"), for reports; "?" if not a kernel.
const char* kernel_name(const void* kernel);

}  // namespace umaccess::detail
