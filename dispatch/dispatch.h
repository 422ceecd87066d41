// dispatch/dispatch.h - the registry of kernel variants and the active kernel set.
//
// A variant is a named, complete set of kernels with the CPU features it needs. The active
// set is a handful of function pointers read with one relaxed load on the hot path; it
// starts as the SSE2 baseline (constant-initialized, valid before any constructor runs)
// and is replaced by the automatic choice at load time or by select().
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "cpu.h"
#include "kernels.h"

namespace umaccess::detail {

struct KernelSet {
  uma_copy_kernel copy;     // forward, non-overlapping
  uma_copy_kernel move;     // overlap-safe
  uma_copy_kernel copy_nt;  // non-temporal stores
  uma_fill_kernel fill;
};

struct VariantDef {
  const char* name;
  const char* description;
  std::uint32_t required;  // Feature bits
  KernelSet kernels;
};

struct ActiveKernels {
  std::atomic<uma_copy_kernel> copy{uma_copy_sse2};
  std::atomic<uma_copy_kernel> move{uma_move_sse2};
  std::atomic<uma_copy_kernel> copy_nt{uma_copy_nt_sse2};
  std::atomic<uma_fill_kernel> fill{uma_fill_sse2};
};
extern ActiveKernels g_active;

inline uma_copy_kernel active_copy() { return g_active.copy.load(std::memory_order_relaxed); }
inline uma_copy_kernel active_move() { return g_active.move.load(std::memory_order_relaxed); }
inline uma_copy_kernel active_copy_nt() { return g_active.copy_nt.load(std::memory_order_relaxed); }
inline uma_fill_kernel active_fill() { return g_active.fill.load(std::memory_order_relaxed); }

// Every compiled-in variant.
const VariantDef* variant_registry(std::size_t* count);
const CpuDescription& host_cpu();

// Selects "auto" or a variant by name; false with a reason if unknown or unsupported.
bool select_variant(std::string_view name, std::string* error);
const VariantDef& active_variant();
std::string selection_reason();

}  // namespace umaccess::detail
