// SPDX-License-Identifier: Apache-2.0
// src/kernels.h - the C ABI of the assembly kernels (asm/x86_64/umaccess.inc and
// asm/aarch64/umaccess.h have the full contract). Internal to the library.
#pragma once

#include <cstddef>
#include <cstdint>

#include "abi.h"
#include "umaccess/umaccess.h"

extern "C" {

// Filled by a kernel's recovery path only when it returns non-zero: address (si_addr),
// info (packed by the signal handler, see FaultInfo), kernel (the faulting kernel's name).
// The layout is public (umaccess.h); the kernels write it at the REC_* offsets of asm/abi.h.
using uma_fault_record = umaccess_fault_record;
static_assert(offsetof(umaccess_fault_record, address) == REC_ADDRESS &&
              offsetof(umaccess_fault_record, info) == REC_INFO &&
              offsetof(umaccess_fault_record, kernel) == REC_KERNEL);

// The exported hot entries (the copy and fill raw entries and status functions, and the
// string-length raw entry) start a 64-byte line, as the
// kernels do (KERNEL in asm/x86_64/umaccess.inc): a handful of instructions and a jump,
// whose cost in cycles otherwise moved with wherever unrelated changes put them (Zen 4 VM:
// CopyFromUser of 64 bytes 0.90 x memcpy with its entry at a line start, 1.00 at +48; the
// aligned geometric mean 0.83-0.85 against 0.86-0.89, alternating headline runs).
#define UMA_HOT_ENTRY __attribute__((aligned(64)))

// Return: bytes NOT done. A NULL record means "do not recover" (kernel-mode calls).
using uma_copy_kernel = std::size_t (*)(void* dst, const void* src, std::size_t n,
                                        uma_fault_record* rec);
using uma_fill_kernel = std::size_t (*)(void* dst, int byte, std::size_t n,
                                        uma_fault_record* rec);

#if defined(__x86_64__)
// Every vector variant instantiates the same five routine families (asm/x86_64/*.inc).
#define UMA_VECTOR_KERNELS(isa)                                                        \
  std::size_t uma_copy_##isa(void*, const void*, std::size_t, uma_fault_record*);     \
  std::size_t uma_move_##isa(void*, const void*, std::size_t, uma_fault_record*);     \
  std::size_t uma_copy_nt_##isa(void*, const void*, std::size_t, uma_fault_record*);  \
  std::size_t uma_fill_##isa(void*, int, std::size_t, uma_fault_record*);             \
  std::size_t uma_fill_nt_##isa(void*, int, std::size_t, uma_fault_record*);
UMA_VECTOR_KERNELS(sse2)
UMA_VECTOR_KERNELS(avx2)
UMA_VECTOR_KERNELS(evex)
UMA_VECTOR_KERNELS(avx512)
#undef UMA_VECTOR_KERNELS

std::size_t uma_copy_erms(void*, const void*, std::size_t, uma_fault_record*);
std::size_t uma_fill_erms(void*, int, std::size_t, uma_fault_record*);
#define UMA_BASELINE_KERNELS uma_copy_sse2, uma_move_sse2, uma_copy_nt_sse2, uma_fill_sse2
#elif defined(__aarch64__)
// One object per routine family and variant (asm/aarch64/*.S; the copies and fills from
// the templates copy.inc and fill.inc): general-register and NEON copies and fills, the NEON
// move and the streaming (ldnp/stnp) copy and fill.
std::size_t uma_copy_gpr(void*, const void*, std::size_t, uma_fault_record*);
std::size_t uma_copy_neon(void*, const void*, std::size_t, uma_fault_record*);
std::size_t uma_move_neon(void*, const void*, std::size_t, uma_fault_record*);
std::size_t uma_copy_nt_neon(void*, const void*, std::size_t, uma_fault_record*);
std::size_t uma_fill_gpr(void*, int, std::size_t, uma_fault_record*);
std::size_t uma_fill_neon(void*, int, std::size_t, uma_fault_record*);
std::size_t uma_fill_nt_neon(void*, int, std::size_t, uma_fault_record*);
#define UMA_BASELINE_KERNELS uma_copy_gpr, uma_move_neon, uma_copy_nt_neon, uma_fill_gpr
#endif
// Returns 0, or the bytes from the faulting page touch to p + n.
std::size_t uma_probe_write(void* p, std::size_t n, uma_fault_record* rec);

// ---- Single-access primitives (asm/*/scalar.*, interlocked.*, string_length.*) ----------
// Each returns two registers (rax:rdx on x86-64, x0:x1 on AArch64): the value and a failed
// flag. failed == 0: done. failed == 1: a fault stopped it; *rec holds it (address, info,
// kernel) and value is 0. A NULL rec means no recovery (kernel mode), as for the copies.
using uma_value = umaccess_value;

// One access of 1, 2, 4 or 8 bytes at any alignment (natural alignment: single-copy
// atomic). Reads zero-extend. Acquire/release: plain moves on x86-64 (separate entries, so a
// fault names the routine that ran); ldar/stlr on AArch64 when aligned, else a plain access
// with a barrier.
#define UMA_SCALAR_PRIMITIVES(bits)                                          \
  uma_value uma_read_##bits(const void* p, uma_fault_record* rec);          \
  uma_value uma_read_acquire_##bits(const void* p, uma_fault_record* rec);  \
  uma_value uma_write_##bits(void* p, std::uint64_t v, uma_fault_record* rec); \
  uma_value uma_write_release_##bits(void* p, std::uint64_t v, uma_fault_record* rec);
UMA_SCALAR_PRIMITIVES(8)
UMA_SCALAR_PRIMITIVES(16)
UMA_SCALAR_PRIMITIVES(32)
UMA_SCALAR_PRIMITIVES(64)
#undef UMA_SCALAR_PRIMITIVES

// Atomic read-modify-writes on a naturally aligned p (the caller checks), full barrier;
// value = the original contents. Only the low 32 bits of the operands count for _32.
uma_value uma_cmpxchg_32(void* p, std::uint64_t exchange, std::uint64_t comperand,
                         uma_fault_record* rec);
uma_value uma_cmpxchg_64(void* p, std::uint64_t exchange, std::uint64_t comperand,
                         uma_fault_record* rec);
uma_value uma_or_32(void* p, std::uint64_t v, uma_fault_record* rec);
uma_value uma_or_64(void* p, std::uint64_t v, uma_fault_record* rec);
uma_value uma_and_32(void* p, std::uint64_t v, uma_fault_record* rec);
uma_value uma_and_64(void* p, std::uint64_t v, uma_fault_record* rec);

// String lengths in [s, limit) (limit >= s): value = the units before the first NUL unit.
// If no whole unit in [s, limit) is NUL the string ran out of the range: {0, 1}, the record
// written as a range check's refusal (address = the first unit not wholly inside, signal 0,
// no kernel). Never reads below s or at/above limit, and never touches a page the string
// does not reach. The wide forms take any s (2-byte units at odd addresses too). The
// variants choose a width (dispatch/variants_*.cpp).
using uma_string_kernel = uma_value (*)(const void* s, const void* limit, uma_fault_record* rec);
#if defined(__x86_64__)
uma_value uma_strlen_sse2(const void* s, const void* limit, uma_fault_record* rec);
uma_value uma_wcslen_sse2(const void* s, const void* limit, uma_fault_record* rec);
uma_value uma_strlen_avx2(const void* s, const void* limit, uma_fault_record* rec);
uma_value uma_wcslen_avx2(const void* s, const void* limit, uma_fault_record* rec);
#define UMA_BASELINE_STRING_KERNELS uma_strlen_sse2, uma_wcslen_sse2
#elif defined(__aarch64__)
uma_value uma_strlen_neon(const void* s, const void* limit, uma_fault_record* rec);
uma_value uma_wcslen_neon(const void* s, const void* limit, uma_fault_record* rec);
#define UMA_BASELINE_STRING_KERNELS uma_strlen_neon, uma_wcslen_neon
#endif

}  // extern "C"

namespace umaccess::detail {

// FINFO as the handler packs it (r11 on x86-64, x15 on AArch64). The move kernel's fixup
// and the fault tail test the write and unknown-direction bits (asm/abi.h).
struct FaultInfo {
  static constexpr unsigned kWriteBit = FINFO_WRITE_BIT;
  static constexpr unsigned kUnknownDirectionBit = FINFO_UNKNOWN_DIRECTION_BIT;  // e.g. #GP
  // Set with signal 0 (a check refused the access): misaligned rather than out of range.
  static constexpr unsigned kMisalignedBit = 18;

  static std::uint64_t pack(int signo, int si_code, bool is_write, bool direction_unknown) {
    return static_cast<std::uint64_t>(signo & 0xff) |
           (static_cast<std::uint64_t>(si_code & 0xff) << 8) |
           (static_cast<std::uint64_t>(is_write) << kWriteBit) |
           (static_cast<std::uint64_t>(direction_unknown) << kUnknownDirectionBit);
  }
  static int signo(std::uint64_t info) { return static_cast<int>(info & 0xff); }
  static int si_code(std::uint64_t info) { return static_cast<int>((info >> 8) & 0xff); }
  static bool is_write(std::uint64_t info) { return (info >> kWriteBit) & 1; }
  static bool direction_unknown(std::uint64_t info) { return (info >> kUnknownDirectionBit) & 1; }
  static bool misaligned(std::uint64_t info) { return (info >> kMisalignedBit) & 1; }
};

}  // namespace umaccess::detail
