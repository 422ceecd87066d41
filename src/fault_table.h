// SPDX-License-Identifier: Apache-2.0
// src/fault_table.h - the process-wide table of covered code ranges and their fixups.
#pragma once

#include <cstddef>
#include <cstdint>

namespace umaccess::detail {

struct FaultRange {
  std::uintptr_t begin;  // first covered instruction byte
  std::uintptr_t end;    // one past the last covered byte
  std::uintptr_t fixup;  // where execution resumes after a fault in [begin, end)
};

// Decodes every registered asm table into one sorted array. Called once, under the
// installation lock, before the signal handler is installed; the array is sealed after
// (sealed.h), so no write through a user pointer can change it.
void build_fault_table();

// Async-signal-safe: binary search, no locks, no allocation. nullptr if pc is not covered.
const FaultRange* find_fault_range(std::uintptr_t pc) noexcept;

// For tests (tests/fault_table_test.cpp): the decoded ranges.
std::size_t fault_range_count() noexcept;
const FaultRange* fault_ranges() noexcept;

}  // namespace umaccess::detail
