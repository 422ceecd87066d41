// SPDX-License-Identifier: Apache-2.0
// src/aarch64_fault.h - reading an AArch64 fault's direction: from the ESR record the Linux
// kernel puts in the signal frame, or, when the frame has none (older kernels, qemu-user),
// from the faulting instruction itself. Pure functions of bytes and words, so they build
// and are tested on every architecture (tests/aarch64_fault_test.cpp); src/arch.h uses
// them on AArch64.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace umaccess::detail::aarch64 {

enum class Access { Read, Write, Unknown };

// The records of the signal frame's __reserved area (Linux uapi asm/sigcontext.h): each
// starts with a 32-bit magic and a 32-bit size (header included); magic 0 ends the list.
constexpr std::uint32_t kEsrMagic = 0x45535201;    // struct esr_context: header, u64 esr
constexpr std::uint32_t kExtraMagic = 0x45585401;  // the list continues elsewhere: stop

// Finds the ESR record in a __reserved area of `size` bytes. Never reads past it.
inline bool find_esr(const unsigned char* reserved, std::size_t size, std::uint64_t* esr) {
  std::size_t at = 0;
  while (size - at >= 8) {
    std::uint32_t magic, length;
    std::memcpy(&magic, reserved + at, 4);
    std::memcpy(&length, reserved + at + 4, 4);
    if (magic == 0 || magic == kExtraMagic) return false;
    if (length < 8 || length > size - at) return false;  // malformed: trust nothing further
    if (magic == kEsrMagic && length >= 16) {
      std::memcpy(esr, reserved + at + 8, 8);
      return true;
    }
    at += length;
  }
  return false;
}

// A data abort's ESR: exception class 0x24 (from EL0) or 0x25, WnR in bit 6. Cache
// maintenance (CM, bit 8) also reports WnR = 1; none of our instructions is one.
inline Access access_from_esr(std::uint64_t esr) {
  const unsigned ec = static_cast<unsigned>(esr >> 26) & 0x3f;
  if (ec != 0x24 && ec != 0x25) return Access::Unknown;
  if ((esr >> 8) & 1) return Access::Unknown;
  return ((esr >> 6) & 1) ? Access::Write : Access::Read;
}

// Decodes the load/store instruction classes our kernels use (A64 "Loads and Stores"):
// pairs (LDP/STP/LDNP/STNP, x, w and SIMD registers), single registers in every addressing
// form (LDR/STR, the byte and half-word forms, SIMD), and exclusives (LDXR/STXR...). Bit 22
// is L (load) in each, except that integer single-register loads also include the
// sign-extending opc = 1x forms. Anything else is Unknown.
inline Access access_from_instruction(std::uint32_t insn) {
  if ((insn & 0x3f000000u) == 0x08000000u)  // load/store exclusive: L = bit 22
    return ((insn >> 22) & 1) ? Access::Read : Access::Write;
  if ((insn & 0x3a000000u) == 0x28000000u)  // load/store pair, all forms: L = bit 22
    return ((insn >> 22) & 1) ? Access::Read : Access::Write;
  if ((insn & 0x3b000000u) == 0x39000000u ||   // single register, unsigned offset
      (insn & 0x3b200000u) == 0x38000000u ||   // unscaled, pre/post-indexed, unprivileged
      (insn & 0x3b200c00u) == 0x38200800u) {   // register offset
    const unsigned opc = (insn >> 22) & 3;
    const bool simd = (insn >> 26) & 1;
    if (simd) return (opc & 1) ? Access::Read : Access::Write;  // 01/11 load, 00/10 store
    return opc == 0 ? Access::Write : Access::Read;             // 01 load, 1x signed load
  }
  return Access::Unknown;
}

}  // namespace umaccess::detail::aarch64
