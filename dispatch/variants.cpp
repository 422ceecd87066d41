// SPDX-License-Identifier: Apache-2.0
// dispatch/variants.cpp - lookups over the architecture's variant registry
// (variants_<arch>.cpp).
#include "variants.h"

namespace umaccess::detail {

const VariantDef* find_variant(std::string_view name) {
  std::size_t count;
  const VariantDef* defs = variant_registry(&count);
  for (std::size_t i = 0; i < count; ++i)
    if (name == defs[i].name) return &defs[i];
  return nullptr;
}

const char* kernel_name(const void* kernel) {
  std::size_t count;
  const NamedKernel* names = kernel_names(&count);
  for (std::size_t i = 0; i < count; ++i)
    if (names[i].kernel == kernel) return names[i].name;
  return "?";
}

}  // namespace umaccess::detail
