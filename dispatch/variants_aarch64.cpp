// SPDX-License-Identifier: Apache-2.0
// dispatch/variants_aarch64.cpp - the AArch64 kernel variants and their kernels' names.
#include "cpu.h"
#include "variants.h"

namespace umaccess::detail {
namespace {

// Both variants share the NEON move, streaming and string-length kernels; they differ in the copy and fill
// that every other length runs. No rep strings on AArch64: copy_large/fill_large are unset
// and the policy never routes to them.
constexpr VariantDef kVariants[] = {
    {"neon", "16-byte NEON q registers, ldp/stp q pairs, 64 bytes per iteration", kAsimd, 16,
     uma_copy_neon, uma_move_neon, uma_copy_nt_neon, uma_copy_neon, uma_fill_neon,
     uma_fill_nt_neon, nullptr, nullptr, uma_strlen_neon, uma_wcslen_neon, 0, true},
    {"gpr", "general registers, ldp/stp x pairs (NEON for overlapping moves and streaming)", 0,
     16, uma_copy_gpr, uma_move_neon, uma_copy_nt_neon, uma_copy_neon, uma_fill_gpr,
     uma_fill_nt_neon, nullptr, nullptr, uma_strlen_neon, uma_wcslen_neon, 0, true},
};

template <typename F>
constexpr NamedKernel named(F f, const char* name) {
  return {reinterpret_cast<const void*>(f), name};
}
const NamedKernel kKernelNames[] = {
    named(uma_copy_neon, "uma_copy_neon"),       named(uma_copy_gpr, "uma_copy_gpr"),
    named(uma_move_neon, "uma_move_neon"),       named(uma_copy_nt_neon, "uma_copy_nt_neon"),
    named(uma_fill_neon, "uma_fill_neon"),       named(uma_fill_gpr, "uma_fill_gpr"),
    named(uma_fill_nt_neon, "uma_fill_nt_neon"),
    named(uma_strlen_neon, "uma_strlen_neon"),   named(uma_wcslen_neon, "uma_wcslen_neon"),
};

}  // namespace

const VariantDef* variant_registry(std::size_t* count) {
  *count = sizeof kVariants / sizeof kVariants[0];
  return kVariants;
}

const VariantDef& baseline_variant() { return *find_variant("gpr"); }

const NamedKernel* kernel_names(std::size_t* count) {
  *count = sizeof kKernelNames / sizeof kKernelNames[0];
  return kKernelNames;
}

}  // namespace umaccess::detail
