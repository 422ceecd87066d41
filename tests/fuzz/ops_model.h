// SPDX-License-Identifier: Apache-2.0
// tests/fuzz/ops_model.h - what the files of the fuzz_ops target share (fuzz_ops.cpp has the
// input format and what is checked): the state of one run (the arena, the kernel-side
// buffer and its model), the decoding of a record's positions, lengths, modes and
// alignments, the model helpers every operation family uses, and the operation numbering
// (the input's first record byte, modulo 40, counts through the families in this order:
// it is the corpus's format, keep it).
//
// The families, one file each:
//   ops_copy.cpp        copies between user memory and the kernel-side buffer, and
//                       user-to-user copies and moves (overlapping both ways)
//   ops_fill.cpp        fills (Fill/Set/Zero, user and mode forms)
//   ops_scalar.cpp      scalar reads and writes, UNICODE_STRING descriptors
//   ops_string.cpp      string lengths (narrow and wide)
//   ops_interlocked.cpp compare-exchange, or, and (32 and 64 bits)
// ops_table.h gives the copy and fill families the rows of the operation table
// (umaccess/bulk_operations.def): their plain variants run every operation of the table.
#pragma once

#include "harness.h"

namespace umafuzz::ops {

constexpr int kMaxRecords = 16;
constexpr std::size_t kKernelMargin = 4096;  // compared on every check: catches stray writes

struct State {
  Arena arena;
  KernelConfigs configs;
  Range default_range{};
  Range range{};
  unsigned config_key = 0;
  // The kernel-side buffer: always valid memory, compared with its model after each op.
  std::uint8_t* kbuf = nullptr;
  std::size_t kbuf_size = 0;
  std::vector<std::uint8_t> kmodel, kpristine;
  std::size_t kdirty_lo = SIZE_MAX, kdirty_hi = 0;
  // Scratch for snapshots (preallocated: no allocation while an input runs).
  std::vector<std::uint8_t> scratch_src, scratch_dst;
  bool injected_segv = false;
};

// ---- Decoding (the Record itself: harness.h) ------------------------------------------------

// A user position: a page of the arena (or a guard page next to it) and an offset in it.
inline std::uintptr_t user_position(const State& s, std::uint32_t v) {
  const std::size_t ps = s.arena.page_size();
  const auto page = static_cast<std::ptrdiff_t>((v & 0xff) % (Arena::kPages + 2)) - 1;
  return s.arena.begin_address() + page * static_cast<std::ptrdiff_t>(ps) + (v >> 8) % ps;
}

// A kernel-side pointer: anywhere in the first 64 bytes after the margin (misalignments).
inline std::uint8_t* kernel_position(const State& s, std::uint32_t v) {
  return s.kbuf + kKernelMargin + ((v >> 8) & 63);
}

// A length for an operation at `p` in the arena (harness.h's decoding).
inline std::size_t decode_length(const State& s, std::uint32_t v, std::uintptr_t p) {
  return umafuzz::decode_length(v, p, s.arena.max_length(), s.arena.page_size());
}

// Any mode but KernelMode takes the user path (as in the WDK's usermode_accessors.h; docs/api.md):
// try several. KernelMode has no
// recovery and so no fault resolver: not while lazy pages exist (the callers further demote
// it where the model says it would fault).
inline KPROCESSOR_MODE decode_mode(const State& s, std::uint8_t flags) {
  static const KPROCESSOR_MODE kModes[] = {UserMode, static_cast<KPROCESSOR_MODE>(2),
                                           static_cast<KPROCESSOR_MODE>(-1), KernelMode};
  const KPROCESSOR_MODE mode = kModes[(flags >> 2) & 3];
  return mode == KernelMode && s.arena.has_lazy_pages() ? UserMode : mode;
}

inline std::uint32_t decode_alignment(std::uint8_t flags) {
  static const std::uint32_t kAlignments[] = {1, 2, 4, 8, 16, 32, 64, 128,
                                              4096, 0, 3, 6, 12, 0x80000000u, 24, 2};
  return kAlignments[flags >> 4];
}

inline bool is_power_of_two(std::uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

// ---- Model helpers ------------------------------------------------------------------------------

inline std::size_t koffset(const State& s, const std::uint8_t* k) {
  return static_cast<std::size_t>(k - s.kbuf);
}

inline void kernel_written(State& s, const std::uint8_t* k, std::size_t n) {
  const std::size_t off = koffset(s, k);
  s.kdirty_lo = std::min(s.kdirty_lo, off);
  s.kdirty_hi = std::max(s.kdirty_hi, off + n);
}

// The kernel buffer around [k, k + n) (and everything written this input) equals its model.
UMAFUZZ_BULK inline void verify_kernel(const State& s, const std::uint8_t* k, std::size_t n) {
  const std::size_t off = koffset(s, k);
  const std::size_t lo = std::min(off > kKernelMargin ? off - kKernelMargin : 0, s.kdirty_lo);
  const std::size_t hi = std::min(std::max(off + n + kKernelMargin, s.kdirty_hi), s.kbuf_size);
  if (std::memcmp(s.kbuf + lo, s.kmodel.data() + lo, hi - lo) == 0) return;
  std::size_t i = lo;
  while (s.kbuf[i] == s.kmodel[i]) ++i;
  mismatch("kernel buffer byte at +%#zx (the operation's buffer is at +%#zx) is %#04x, the "
           "model says %#04x", i, off, s.kbuf[i], s.kmodel[i]);
}

// Where an operation's fault fell, for the extra coverage.
inline unsigned fault_class(const Expected& e, std::size_t len) {
  if (e.status == 0) return 0;
  if (e.signal == 0) return 1;
  if (e.bytes == 0) return 2;
  if (e.bytes < 64) return 3;
  if (len - e.bytes <= 64) return 4;
  return 5;
}

inline void note_feature(const State& s, unsigned family, unsigned variant, std::size_t len,
                  const Expected& e, std::uintptr_t p) {
  const unsigned fault = fault_class(e, len);
  std::uint64_t h = family * 64 + variant;
  h = h * 1024 + (s.config_key >> 8);  // the variant and preset, not the pinned thresholds
  h = h * 32 + log2_class(len);
  feature(h * 8 + fault);
  feature(((family * 64 + variant) * 8 + fault) * 64 + e.signal_code * 8 + log2_class(p & 63));
}

// The model's failure for an access of [p, p + n) that stopped at index i (i < n).
inline Expected fault_at(const State& s, std::uintptr_t p, std::size_t i, bool write,
                         std::size_t done, const char* name) {
  return s.arena.fault(p + i, write, done, name);
}

inline bool mode_is_kernel(KPROCESSOR_MODE m) { return m == KernelMode; }

// ---- Single accesses (scalars, descriptors, interlocked) ----------------------------------------

inline std::uint64_t model_load(const State& s, std::uintptr_t p, unsigned width) {
  std::uint64_t v = 0;
  for (unsigned k = 0; k < width; ++k)
    v |= static_cast<std::uint64_t>(s.arena.model_byte(p + k)) << (8 * k);
  return v;
}

inline void model_store(State& s, std::uintptr_t p, unsigned width, std::uint64_t v) {
  for (unsigned k = 0; k < width; ++k)
    *s.arena.model_at(p + k) = static_cast<std::uint8_t>(v >> (8 * k));
  s.arena.mark_dirty(p, width);
}

// A single access of [p, p + width): range, then the first inaccessible byte (no partial
// effect: one access is all or nothing).
inline Expected single_access(const State& s, std::uintptr_t p, std::size_t width, bool write,
                       const char* name) {
  if (!s.range.allows(p, width))
    return Expected::refused(STATUS_ACCESS_VIOLATION, s.range.first_outside(p), write, name);
  const std::size_t ok = write ? s.arena.first_unwritable(p, width)
                               : s.arena.first_unreadable(p, width);
  if (ok < width) return fault_at(s, p, ok, write, 0, name);
  return Expected::success();
}

// ---- The operations -----------------------------------------------------------------------------
// Operation numbers: copy-in variants first, then copy-out, user-to-user, fills, then 8 scalar
// accesses, 2 UNICODE_STRING descriptors, the string length and interlocked (run_operation in
// fuzz_ops.cpp; tests/fuzz/make_seeds.py names them).

enum CopyIn {
  kCopyFromUser, kCopyFromUserNonTemporal, kCopyFromMode, kCopyFromModeNonTemporal,
  kCopyFromUserAligned, kCopyFromModeAligned, kReadStructFromUser, kReadStructFromMode,
  kCopyFromUserToKernelMode, kCopyInVariants
};

enum CopyOut {
  kCopyToUser, kCopyToUserNonTemporal, kCopyToMode, kCopyToModeNonTemporal, kCopyToUserAligned,
  kCopyToModeAligned, kWriteStructToUser, kWriteStructToMode, kCopyOutVariants
};

enum UserToUser { kCopyToUserFromUser, kCopyFromUserToMode, kMove, kMoveNear, kUserToUserVariants };

enum Fill {
  kFillUserMemory, kSetUserMemory, kZeroUserMemory, kFillModeMemory, kSetModeMemory,
  kZeroModeMemory, kRtlSetUserMemory, kFillVariants
};

void copy_in(State& s, const Record& r, unsigned variant);        // ops_copy.cpp
void copy_out(State& s, const Record& r, unsigned variant);       // ops_copy.cpp
void user_to_user(State& s, const Record& r, unsigned variant);   // ops_copy.cpp
void fill(State& s, const Record& r, unsigned variant);           // ops_fill.cpp
// 0-3: reads of 1, 2, 4, 8 bytes; 4-7: writes.
void scalar_access(State& s, const Record& r, unsigned which);    // ops_scalar.cpp
void unicode_string(State& s, const Record& r, bool write);       // ops_scalar.cpp
void string_length(State& s, const Record& r);                    // ops_string.cpp
void interlocked(State& s, const Record& r);                      // ops_interlocked.cpp

}  // namespace umafuzz::ops
