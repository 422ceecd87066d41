// SPDX-License-Identifier: Apache-2.0
// src/failure.h - turning a refused or faulted access into a status, the thread's last
// failure record, or a bug check when the faulting side was the caller's own buffer.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels.h"
#include "umaccess/umaccess.h"

namespace umaccess::detail {

// Which side of an operation an access belongs to: user memory (untrusted, faults become
// statuses) or the caller's kernel-side buffer (a fault there is the caller's bug).
enum class Side : std::uint8_t { User, Kernel };

struct Operation {
  const char* name;  // the Windows name, for messages and umaccess_failure::operation
  Side reads;        // side of the source (for fills and probes: unused, User)
  Side writes;       // side of the destination
};

// A user range check refused [address, address + n): STATUS_ACCESS_VIOLATION at the first
// address outside the range.
umaccess_ntstatus fail_range(const Operation& op, const void* address, bool is_write,
                             std::size_t* bytes_done);

// A kernel returned with a fault after `done` bytes. Kernel-side faults bug-check.
umaccess_ntstatus fail_fault(const Operation& op, std::size_t done, const uma_fault_record& rec,
                             std::size_t* bytes_done);

// A parameter or alignment check failed before anything was touched.
umaccess_ntstatus fail_check(const Operation& op, umaccess_ntstatus status, const void* address,
                             bool is_write);

inline void report_done(std::size_t* bytes_done, std::size_t n) {
  if (bytes_done != nullptr) *bytes_done = n;
}

// Bug check raised by the library itself, naming the operation.
[[noreturn]] void bug_check_in(const char* operation, std::uint32_t code, std::uintptr_t p1,
                               std::uintptr_t p2, std::uintptr_t p3, std::uintptr_t p4,
                               const char* message);

}  // namespace umaccess::detail
