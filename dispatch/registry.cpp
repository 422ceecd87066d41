// dispatch/registry.cpp - the named kernel variants and the choice among them.
#include <mutex>
#include <string>

#include "dispatch.h"

namespace umaccess::detail {

ActiveKernels g_active;

namespace {

constexpr VariantDef kVariants[] = {
    {"sse2", "16-byte SSE2 vectors: the baseline every x86-64 CPU runs",
     kSse2, {uma_copy_sse2, uma_move_sse2, uma_copy_nt_sse2, uma_fill_sse2}},
    {"erms", "rep movsb / rep stosb for copies and fills (fast-string microcode)",
     kSse2 | kErms, {uma_copy_erms, uma_move_sse2, uma_copy_nt_sse2, uma_fill_erms}},
};

// The automatic choice. The erms variant is rep movsb at every length, whose start-up cost
// (tens of cycles) loses to vectors on the short copies that dominate real workloads.
const VariantDef& auto_choice(const CpuDescription&, const char** reason) {
  *reason = "auto: sse2, the baseline (erms is rep movsb at every length, slow when short)";
  return kVariants[0];
}

std::mutex g_select_mutex;
const VariantDef* g_selected = &kVariants[0];
// Static text only: constant-initialized, so valid before and during static construction.
const char* g_reason = "baseline before initialization";

void activate(const VariantDef& v) {
  g_active.copy.store(v.kernels.copy, std::memory_order_relaxed);
  g_active.move.store(v.kernels.move, std::memory_order_relaxed);
  g_active.copy_nt.store(v.kernels.copy_nt, std::memory_order_relaxed);
  g_active.fill.store(v.kernels.fill, std::memory_order_relaxed);
  g_selected = &v;
}

std::string missing_features(const VariantDef& v, const CpuDescription& cpu) {
  std::string out;
  for (std::uint32_t bit = 1; bit != 0; bit <<= 1) {
    if ((v.required & bit) && !(cpu.features & bit)) {
      if (!out.empty()) out += ", ";
      out += feature_name(static_cast<Feature>(bit));
    }
  }
  return out;
}

}  // namespace

const CpuDescription& host_cpu() {
  static const CpuDescription cpu = detect_cpu();
  return cpu;
}

const VariantDef* variant_registry(std::size_t* count) {
  *count = sizeof kVariants / sizeof kVariants[0];
  return kVariants;
}

bool select_variant(std::string_view name, std::string* error) {
  const CpuDescription& cpu = host_cpu();
  std::lock_guard<std::mutex> lock(g_select_mutex);
  if (name == "auto") {
    activate(auto_choice(cpu, &g_reason));
    return true;
  }
  for (const VariantDef& v : kVariants) {
    if (name != v.name) continue;
    if (!cpu.has(v.required)) {
      if (error)
        *error = "umaccess variant '" + std::string(name) +
                 "' cannot run on this CPU (missing: " + missing_features(v, cpu) + ")";
      return false;
    }
    activate(v);
    g_reason = "selected by name";
    return true;
  }
  if (error) {
    *error = "unknown umaccess variant '" + std::string(name) + "' (known: auto";
    for (const VariantDef& v : kVariants) *error += std::string(", ") + v.name;
    *error += ")";
  }
  return false;
}

const VariantDef& active_variant() {
  std::lock_guard<std::mutex> lock(g_select_mutex);
  return *g_selected;
}

std::string selection_reason() {
  std::lock_guard<std::mutex> lock(g_select_mutex);
  return g_reason;
}

// Choose at load time, so kernel-mode copies made before the first user-mode access
// already use the best kernels.
__attribute__((constructor)) void select_at_load() { select_variant("auto", nullptr); }

}  // namespace umaccess::detail
