// SPDX-License-Identifier: Apache-2.0
// src/arch.h - what the fault handler and the user range need to know about the CPU:
// reading and redirecting an interrupted register set, and the host's user address span.
// One implementation per architecture; everything above this file is portable.
#pragma once

#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <cstdint>
#include <cstring>

#include "aarch64_fault.h"  // pure decoding, built everywhere (and tested on every host)

// ThreadSanitizer's runtime, if the process has one: it is linked into the program, so a
// library built without TSan sees it too. Weak: null in every other process.
extern "C" void __tsan_init() __attribute__((weak));

namespace umaccess::detail::arch {

// TSan's shadow layout covers only 47-bit application memory (48-bit on AArch64), and its
// mmap interceptor kills the process that asks for anything above.
inline bool under_thread_sanitizer() { return &__tsan_init != nullptr; }

#if defined(__x86_64__)

inline std::uintptr_t context_pc(const ucontext_t* uc) {
  return static_cast<std::uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
}

// The kernel's fault record pointer (REC = r9 in asm/x86_64/umaccess.inc).
inline std::uintptr_t context_fault_record(const ucontext_t* uc) {
  return static_cast<std::uintptr_t>(uc->uc_mcontext.gregs[REG_R9]);
}

enum class Direction { Read, Write, Unknown };

// Page faults (trap 14) carry the hardware error code; bit 1 is set for writes. A general
// protection fault (trap 13: a non-canonical address) says nothing about direction, and
// reports si_addr 0.
inline Direction fault_direction(const ucontext_t* uc) {
  constexpr greg_t kPageFault = 14, kErrorWrite = 2;
  if (uc->uc_mcontext.gregs[REG_TRAPNO] != kPageFault) return Direction::Unknown;
  return (uc->uc_mcontext.gregs[REG_ERR] & kErrorWrite) != 0 ? Direction::Write
                                                              : Direction::Read;
}

// Resume at `fixup` with FADDR (r10) and FINFO (r11) describing the fault.
inline void redirect_to_fixup(ucontext_t* uc, std::uintptr_t fixup, std::uintptr_t address,
                              std::uint64_t info) {
  uc->uc_mcontext.gregs[REG_R10] = static_cast<greg_t>(address);
  uc->uc_mcontext.gregs[REG_R11] = static_cast<greg_t>(info);
  uc->uc_mcontext.gregs[REG_RIP] = static_cast<greg_t>(fixup);
}

// One past the highest address the kernel can map for us: 2^47 - 4 KiB with 4-level
// paging, 2^56 - 4 KiB when the kernel runs 5-level paging (LA57). LA57 kernels only hand
// out addresses above 2^47 on request, so ask for one: success means the span is there.
// Under ThreadSanitizer the answer is known without asking (and asking would kill us).
inline std::uintptr_t host_user_end() {
  constexpr std::uintptr_t kEnd4Level = (std::uintptr_t{1} << 47) - 4096;
  [[maybe_unused]] constexpr std::uintptr_t kEnd5Level = (std::uintptr_t{1} << 56) - 4096;
  if (under_thread_sanitizer()) return kEnd4Level;
#if defined(MAP_FIXED_NOREPLACE)
  void* want = reinterpret_cast<void*>(std::uintptr_t{1} << 48);
  void* got = mmap(want, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                   -1, 0);
  if (got != MAP_FAILED) {
    munmap(got, 4096);
    if (got == want) return kEnd5Level;
  }
#endif
  return kEnd4Level;
}

#elif defined(__aarch64__)

inline std::uintptr_t context_pc(const ucontext_t* uc) {
  return static_cast<std::uintptr_t>(uc->uc_mcontext.pc);
}

// The kernel's fault record pointer (REC = x3 in asm/aarch64/umaccess.h).
inline std::uintptr_t context_fault_record(const ucontext_t* uc) {
  return static_cast<std::uintptr_t>(uc->uc_mcontext.regs[3]);
}

enum class Direction { Read, Write, Unknown };

// The ESR record's WnR bit when the kernel put one in the frame (Linux does for data
// aborts); otherwise the faulting instruction, which is always one of our kernels' own.
inline Direction fault_direction(const ucontext_t* uc) {
  aarch64::Access access = aarch64::Access::Unknown;
  std::uint64_t esr;
  if (aarch64::find_esr(uc->uc_mcontext.__reserved, sizeof uc->uc_mcontext.__reserved, &esr))
    access = aarch64::access_from_esr(esr);
  if (access == aarch64::Access::Unknown) {
    std::uint32_t insn;
    std::memcpy(&insn, reinterpret_cast<const void*>(context_pc(uc)), sizeof insn);
    access = aarch64::access_from_instruction(insn);
  }
  return access == aarch64::Access::Read    ? Direction::Read
         : access == aarch64::Access::Write ? Direction::Write
                                            : Direction::Unknown;
}

// Resume at `fixup` with FADDR (x14) and FINFO (x15) describing the fault.
inline void redirect_to_fixup(ucontext_t* uc, std::uintptr_t fixup, std::uintptr_t address,
                              std::uint64_t info) {
  uc->uc_mcontext.regs[14] = address;
  uc->uc_mcontext.regs[15] = info;
  uc->uc_mcontext.pc = fixup;
}

// One past the highest address the kernel can map for us: 2^48 with 48-bit virtual
// addresses (the stack lives just below it), 2^52 when the kernel runs 52-bit VAs, which it
// hands out above 2^48 only on request: so ask for one, as on x86-64.
inline std::uintptr_t host_user_end() {
  constexpr std::uintptr_t kEnd48 = std::uintptr_t{1} << 48;
  [[maybe_unused]] constexpr std::uintptr_t kEnd52 = std::uintptr_t{1} << 52;
  if (under_thread_sanitizer()) return kEnd48;  // as on x86-64
#if defined(MAP_FIXED_NOREPLACE)
  void* want = reinterpret_cast<void*>(kEnd48);
  void* got = mmap(want, 65536, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                   -1, 0);
  if (got != MAP_FAILED) {
    munmap(got, 65536);
    if (got == want) return kEnd52;
  }
#endif
  return kEnd48;
}

#else
#error "umaccess: unsupported architecture (x86-64 and AArch64)"
#endif

}  // namespace umaccess::detail::arch
