// dispatch/plan.h - the size plan the hot path reads: per operation, which kernel runs for
// which lengths. A copy picks one of three kernels with at most two well-predicted
// compares, then makes one indirect call.
//
// Every field is a relaxed atomic: select() may republish while other threads copy, and a
// reader mixing old and new fields still gets kernels that are valid for any length on
// this CPU. Constant-initialized to the SSE2 baseline, so the plan is usable before any
// constructor runs.
#pragma once

#include <atomic>
#include <cstddef>

#include "kernels.h"
#include "policy.h"

namespace umaccess::detail {

// Lengths below NT_MIN_BYTES (asm/x86_64/umaccess.inc) make the non-temporal kernels use
// their temporal sibling.
constexpr std::size_t kNonTemporalMinBytes = 256;

template <typename Kernel>
struct SizePlan {
  std::atomic<std::size_t> large_from;  // first length of the `large` class
  std::atomic<std::size_t> huge_from;   // first length of the `huge` class
  std::atomic<Kernel> small, large, huge;

  Kernel pick(std::size_t n) const {
    if (__builtin_expect(n < large_from.load(std::memory_order_relaxed), 1))
      return small.load(std::memory_order_relaxed);
    return n < huge_from.load(std::memory_order_relaxed) ? large.load(std::memory_order_relaxed)
                                                         : huge.load(std::memory_order_relaxed);
  }
};

struct ActivePlan {
  SizePlan<uma_copy_kernel> copy{{kNever}, {kNever}, {uma_copy_sse2}, {uma_copy_sse2},
                                 {uma_copy_nt_sse2}};
  SizePlan<uma_fill_kernel> fill{{kNever}, {kNever}, {uma_fill_sse2}, {uma_fill_sse2},
                                 {uma_fill_nt_sse2}};
  std::atomic<uma_copy_kernel> move{uma_move_sse2};        // overlapping moves
  std::atomic<uma_copy_kernel> copy_nt{uma_copy_nt_sse2};  // the ...NonTemporal operations
};
extern ActivePlan g_plan;

inline uma_copy_kernel copy_kernel_for(std::size_t n) { return g_plan.copy.pick(n); }
inline uma_fill_kernel fill_kernel_for(std::size_t n) { return g_plan.fill.pick(n); }
inline uma_copy_kernel move_kernel() { return g_plan.move.load(std::memory_order_relaxed); }
inline uma_copy_kernel copy_nt_kernel() { return g_plan.copy_nt.load(std::memory_order_relaxed); }

// Reads the environment and chooses, once (also done at load time).
void initialize_dispatch();

// The CPU the dispatcher decides for.
const CpuDescription& detected_cpu();

// Tests only: decide as if running on `cpu` (nullptr: the real one), then re-select auto.
// The fake must lack features rather than add them: its choices still run on this machine.
void set_cpu_for_testing(const CpuDescription* cpu);

}  // namespace umaccess::detail
