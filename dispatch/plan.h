// SPDX-License-Identifier: Apache-2.0
// dispatch/plan.h - what the dispatcher publishes for the hot paths: the active kernels
// (one pointer per operation, two for string lengths, read with a relaxed load and jumped
// through by the raw entries and the kernel-mode calls), and the thresholds that the vector kernels read to
// route long copies and fills to rep movsb/stosb or streaming stores (asm/x86_64/copy.inc,
// fill.inc; AArch64 reads only the streaming ones). All constant-initialized to the
// architecture's baseline (kernels.h), valid before any constructor runs, republished with
// relaxed atomic stores (a reader mixing old and new values still gets kernels and
// thresholds valid for any length on this CPU), and kept read-only in between (sealed.h):
// the kernels read the thresholds at the offsets asm/abi.h defines.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "abi.h"
#include "cpu.h"
#include "kernels.h"
#include "policy.h"
#include "sealed.h"

namespace umaccess::detail {

// Lengths below NT_MIN_BYTES (asm/abi.h) make the non-temporal kernels use
// their temporal sibling; the huge threshold never goes below it, so the two kernels
// never hand a copy back and forth.
constexpr std::size_t kNonTemporalMinBytes = NT_MIN_BYTES;

// The baseline's kernels (kernels.h) until the dispatcher chooses.
struct BaselineKernels {
  uma_copy_kernel copy, move, copy_nt;
  uma_fill_kernel fill;
  uma_string_kernel string_length, wide_string_length;
};
constexpr BaselineKernels kBaseline{UMA_BASELINE_KERNELS, UMA_BASELINE_STRING_KERNELS};

struct ActiveKernels {
  std::atomic<uma_copy_kernel> copy{kBaseline.copy};        // routes long copies itself
  std::atomic<uma_copy_kernel> move{kBaseline.move};        // overlapping moves
  std::atomic<uma_copy_kernel> copy_nt{kBaseline.copy_nt};  // the ...NonTemporal copies
  std::atomic<uma_fill_kernel> fill{kBaseline.fill};        // routes long fills itself
  // StringLength... by unit size - 1: [0] for chars, [1] for WCHARs (an index, not a
  // branch, on the raw entry's way to the kernel).
  std::atomic<uma_string_kernel> string_length[2]{{kBaseline.string_length},
                                                  {kBaseline.wide_string_length}};
};

// The layout the kernels read (PUBLISHED_* in asm/abi.h, checked in dispatcher.cpp): the
// size-class thresholds (SIZE_MAX until the dispatcher chooses), the x86-64 short-distance
// mask (copy.inc keeps a copy off rep movsb when dst - src is within 63 bytes of 0 modulo
// rep_distance_mask + 1, policy.h), then the kernels.
struct Published {
  std::size_t copy_large_from = SIZE_MAX, copy_huge_from = SIZE_MAX;
  std::size_t fill_large_from = SIZE_MAX, fill_huge_from = SIZE_MAX;
  std::uint32_t rep_distance_mask = 0xffffffffu;
  ActiveKernels kernels;
};
// Named uma_published for the kernels (hidden: resolved at link time, no GOT).
extern Sealed<Published> g_published __asm__("uma_published");

inline const ActiveKernels& active_kernels() { return g_published.value.kernels; }
inline uma_copy_kernel active_copy() { return active_kernels().copy.load(std::memory_order_relaxed); }
inline uma_copy_kernel active_move() { return active_kernels().move.load(std::memory_order_relaxed); }
inline uma_copy_kernel active_copy_nt() { return active_kernels().copy_nt.load(std::memory_order_relaxed); }
inline uma_fill_kernel active_fill() { return active_kernels().fill.load(std::memory_order_relaxed); }
// The string kernel for units of 1 (char) or 2 (WCHAR) bytes (the callers check the unit).
inline uma_string_kernel active_string_length(unsigned unit) {
  return active_kernels().string_length[unit - 1].load(std::memory_order_relaxed);
}

// The kernel per operation and length that `variant` with `thresholds` runs: what
// describe() reports and the kernels do (a pure function, for fixtures and reports).
std::vector<::umaccess::dispatch::SizeClass> plan_for(const VariantDef& variant,
                                                      const Thresholds& thresholds);

// Reads the environment and chooses, once (also done at load time).
void initialize_dispatch();

// The CPU the dispatcher decides for.
const CpuDescription& detected_cpu();

// Tests only: decide as if running on `cpu` (nullptr: the real one), then re-select auto.
// The fake must lack features rather than add them: its choices still run on this machine.
void set_cpu_for_testing(const CpuDescription* cpu);

}  // namespace umaccess::detail
