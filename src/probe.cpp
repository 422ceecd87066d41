// SPDX-License-Identifier: Apache-2.0
// src/probe.cpp - ProbeForRead, ProbeForWrite and ExProbeAlignment.
#include "probe.h"

#include "kernels.h"
#include "user_range.h"

namespace umaccess::detail {
namespace {

constexpr Operation kProbeForRead{"ProbeForRead", Side::User, Side::User};
constexpr Operation kProbeForWrite{"ProbeForWrite", Side::User, Side::User};
constexpr Operation kExProbeAlignment{"ExProbeAlignment", Side::User, Side::User};

bool is_power_of_two(std::uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

}  // namespace

umaccess_ntstatus check_probe(const Operation& op, const void* p, std::size_t len,
                              std::uint32_t alignment, bool is_write) {
  if (len == 0) return STATUS_SUCCESS;
  if (!is_power_of_two(alignment)) return fail_check(op, STATUS_INVALID_PARAMETER, p, is_write);
  if ((reinterpret_cast<std::uintptr_t>(p) & (alignment - 1)) != 0)
    return fail_check(op, STATUS_DATATYPE_MISALIGNMENT, p, is_write);
  if (!user_range_allows(p, len)) return fail_range(op, p, is_write, nullptr);
  return STATUS_SUCCESS;
}

}  // namespace umaccess::detail

using namespace umaccess::detail;

extern "C" {

umaccess_ntstatus umaccess_probe_for_read(const void* address, size_t len, uint32_t alignment) {
  return check_probe(kProbeForRead, address, len, alignment, false);
}

// After the checks, every page is touched with an atomic no-op write, so read-only and
// unmapped pages fail now, and a concurrent writer's data is never lost.
umaccess_ntstatus umaccess_probe_for_write(void* address, size_t len, uint32_t alignment) {
  const umaccess_ntstatus s = check_probe(kProbeForWrite, address, len, alignment, true);
  if (s != STATUS_SUCCESS || len == 0) return s;
  uma_fault_record rec;
  const std::size_t left = uma_probe_write(address, len, &rec);
  if (left == 0) return STATUS_SUCCESS;
  return fail_fault(kProbeForWrite, len - left, rec, nullptr);
}

umaccess_ntstatus umaccess_probe_alignment(const void* address, size_t len, uint32_t alignment) {
  return check_probe(kExProbeAlignment, address, len, alignment, false);
}

umaccess_ntstatus umaccess_probe_alignment_as(const char* operation, const void* address,
                                              size_t len, uint32_t alignment, int is_write) {
  return check_probe(Operation{operation, Side::User, Side::User}, address, len, alignment,
                     is_write != 0);
}

}  // extern "C"
