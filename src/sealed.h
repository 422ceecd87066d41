// SPDX-License-Identifier: Apache-2.0
// src/sealed.h - library state kept read-only between the library's own writes.
//
// The default user range admits every address the process can map, the library's own data
// included. State that decides which code runs (the fault table, the kernels and thresholds
// the dispatcher publishes, the dispositions and resolver the fault handler calls) lives in
// pages of its own that are read-only except while the library itself writes them, as RELRO
// does for the GOT: a hostile "user" pointer aimed there faults and is reported like any
// other bad pointer, and recovery keeps working.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <vector>

#include "fatal.h"

namespace umaccess::detail {

// 64 KiB: the largest page size Linux uses (AArch64), so that no other data shares a sealed
// object's pages whatever the page size.
constexpr std::size_t kSealedAlign = 65536;

// A T alone in whole pages (sizeof is a multiple of the alignment).
template <typename T>
struct alignas(kSealedAlign) Sealed {
  T value;
};

// Make `object` read-only. A failure (no such limit is known) leaves it writable: a
// hardening step, not a condition for working.
template <typename T>
void seal(const Sealed<T>& object) noexcept {
  mprotect(const_cast<Sealed<T>*>(&object), sizeof object, PROT_READ);
}

// Writable for the lifetime of the scope, sealed again at its end. Writers of one object
// must be serialised by its owner (each has one mutex); readers, signal handlers included,
// read at any time.
template <typename T>
class SealedWrite {
 public:
  explicit SealedWrite(Sealed<T>& object) noexcept : object_(object) {
    if (mprotect(&object_, sizeof object_, PROT_READ | PROT_WRITE) != 0)
      fatal("cannot make the library's protected state writable (mprotect failed)");
  }
  ~SealedWrite() { seal(object_); }
  SealedWrite(const SealedWrite&) = delete;
  SealedWrite& operator=(const SealedWrite&) = delete;

  T& operator*() const noexcept { return object_.value; }
  T* operator->() const noexcept { return &object_.value; }

 private:
  Sealed<T>& object_;
};

// For tests (tests/fault_table_test.cpp): every sealed object of the library, by name.
struct SealedRegion {
  const char* name;
  const void* at;
  std::size_t size;
};
std::vector<SealedRegion> sealed_regions();

}  // namespace umaccess::detail
