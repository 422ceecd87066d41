// SPDX-License-Identifier: Apache-2.0
// bench/arena.h - the memory every benchmark works on: large page-aligned source and
// destination buffers, pre-faulted, and a way to push them out of the caches.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace umabench {

// An anonymous mapping, faulted in up front so page faults never land in a timed region.
class Mapping {
 public:
  Mapping() = default;
  explicit Mapping(std::size_t bytes) : size_(bytes) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("benchmark buffer: mmap failed");
    base_ = static_cast<unsigned char*>(p);
    madvise(base_, bytes, MADV_HUGEPAGE);  // fewer TLB misses on the large copies, if allowed
    for (std::size_t i = 0; i < bytes; i += 4096) base_[i] = static_cast<unsigned char>(i >> 12);
  }
  ~Mapping() { if (base_ != nullptr) munmap(base_, size_); }
  Mapping(Mapping&& o) noexcept : base_(o.base_), size_(o.size_) { o.base_ = nullptr; }
  Mapping& operator=(Mapping&& o) noexcept {
    std::swap(base_, o.base_);
    std::swap(size_, o.size_);
    return *this;
  }
  unsigned char* data() const { return base_; }
  std::size_t size() const { return size_; }

 private:
  unsigned char* base_ = nullptr;
  std::size_t size_ = 0;
};

// Source and destination, each `capacity` bytes plus slack for misalignment and moves.
struct Arena {
  static constexpr std::size_t kSlack = 8192;
  Mapping src, dst;
  void ensure(std::size_t capacity) {
    if (src.size() >= capacity + kSlack) return;
    src = Mapping(capacity + kSlack);
    dst = Mapping(capacity + kSlack);
    std::memset(src.data(), 0x3C, src.size());
  }
};
Arena& arena();

// Evicts [p, p + n) from every cache level (clflushopt, then a fence).
void flush_from_caches(const void* p, std::size_t n);

}  // namespace umabench
