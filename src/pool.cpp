// SPDX-License-Identifier: Apache-2.0
// src/pool.cpp - executive pool for ported drivers (umaccess/wdm_io.h): ExAllocatePool2,
// ExAllocatePoolWithTag and its wrappers, ExFreePool[WithTag], with the rules Windows
// documents and a registry of live blocks, so that a host can check a driver for leaks
// (UmaPoolAllocationCount) and a bad free is a bug check instead of heap corruption.
//
// Blocks are ordinary heap memory (posix_memalign), so AddressSanitizer reports overflows
// of them. The registry maps each live block to its tag and size; ExFreePool looks the
// pointer up before freeing, so a double free, a free of the middle of a block or of memory
// that never came from the pool is reported (BAD_POOL_CALLER, with Windows' parameter 1
// codes) and nothing is freed.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "failure.h"
#include "umaccess/umaccess.hpp"
#include "umaccess/wdm.h"

namespace umaccess::detail {
namespace {

struct Block {
  SIZE_T size;
  ULONG tag;
  POOL_TYPE type;
};

struct Pool {
  std::mutex mutex;
  std::unordered_map<void*, Block> blocks;
  SIZE_T limit = SIZE_T{1} << 30;  // the largest single allocation granted
};

Pool& pool() {
  static Pool* p = new Pool;  // never destroyed: usable from static destructors
  return *p;
}

// BAD_POOL_CALLER parameter 1 values
// (https://learn.microsoft.com/en-us/windows-hardware/drivers/debugger/bug-check-0xc2--bad-pool-caller).
constexpr std::uintptr_t kFreeOfFreedPool = 0x07;
constexpr std::uintptr_t kFreeWithWrongTag = 0x0A;
constexpr std::uintptr_t kFreeOfBadAddress = 0x46;

[[noreturn]] void raise_no_memory(const char* operation) {
  throw StructuredException(STATUS_INSUFFICIENT_RESOURCES, 0, false, 0, operation);
}

void* allocate(SIZE_T bytes, ULONG tag, POOL_TYPE type, bool zero) {
  Pool& p = pool();
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    if (bytes > p.limit) return nullptr;
  }
  // Windows: 16-byte aligned below a page, page-aligned from PAGE_SIZE bytes.
  const std::size_t alignment = bytes >= PAGE_SIZE ? PAGE_SIZE : 16;
  void* block = nullptr;
  if (posix_memalign(&block, alignment, bytes == 0 ? 1 : bytes) != 0) return nullptr;
  if (zero) std::memset(block, 0, bytes);
  try {
    std::lock_guard<std::mutex> lock(p.mutex);
    p.blocks.emplace(block, Block{bytes, tag, type});
  } catch (...) {
    std::free(block);
    return nullptr;
  }
  return block;
}

void free_block(void* block, bool check_tag, ULONG tag, const char* operation) {
  Pool& p = pool();
  char message[192];
  std::uintptr_t code = 0;
  ULONG found_tag = 0;
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    const auto it = p.blocks.find(block);
    if (it != p.blocks.end() && (!check_tag || it->second.tag == tag)) {
      p.blocks.erase(it);
      std::free(block);
      return;
    }
    if (it != p.blocks.end()) {
      code = kFreeWithWrongTag;
      found_tag = it->second.tag;
    } else {
      code = block == nullptr ? kFreeOfBadAddress : kFreeOfFreedPool;
    }
  }
  if (code == kFreeWithWrongTag)
    std::snprintf(message, sizeof message,
                  "block %p has tag 0x%08X, not the 0x%08X given: freed with the wrong tag", block,
                  static_cast<unsigned>(found_tag), static_cast<unsigned>(tag));
  else if (block == nullptr)
    std::snprintf(message, sizeof message, "freeing a NULL pointer");
  else
    std::snprintf(message, sizeof message,
                  "%p is not a live pool block (freed already, not the start of a block, or "
                  "never allocated from the pool)",
                  block);
  bug_check_in(operation, BAD_POOL_CALLER, code, reinterpret_cast<std::uintptr_t>(block),
               code == kFreeWithWrongTag ? found_tag : 0, tag, message);
}

constexpr POOL_FLAGS kPoolTypeFlags =
    POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED;
constexpr POOL_FLAGS kKnownFlags = kPoolTypeFlags | POOL_FLAG_USE_QUOTA | POOL_FLAG_UNINITIALIZED |
                                   POOL_FLAG_SESSION | POOL_FLAG_CACHE_ALIGNED |
                                   POOL_FLAG_RAISE_ON_FAILURE;

POOL_TYPE type_of(POOL_FLAGS flags) {
  return (flags & POOL_FLAG_PAGED) != 0 ? PagedPool : NonPagedPoolNx;
}

// A POOL_TYPE with its modifier bits removed.
POOL_TYPE base_type(POOL_TYPE type) {
  return static_cast<POOL_TYPE>(static_cast<int>(type) &
                                ~(POOL_RAISE_IF_ALLOCATION_FAILURE | POOL_COLD_ALLOCATION));
}

PVOID allocate_typed(POOL_TYPE type, SIZE_T bytes, ULONG tag, bool zero, bool raise,
                     const char* operation) {
  raise = raise || (static_cast<int>(type) & POOL_RAISE_IF_ALLOCATION_FAILURE) != 0;
  void* block = allocate(bytes, tag, base_type(type), zero);
  if (block == nullptr && raise) raise_no_memory(operation);
  return block;
}

}  // namespace
}  // namespace umaccess::detail

using namespace umaccess::detail;

extern "C" {

PVOID ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag) {
  const bool raise = (Flags & POOL_FLAG_RAISE_ON_FAILURE) != 0;
  // NULL (or a raise) for a zero tag, unknown flags, or not exactly one pool type.
  const POOL_FLAGS types = Flags & kPoolTypeFlags;
  const bool valid =
      Tag != 0 && (Flags & ~kKnownFlags) == 0 && types != 0 && (types & (types - 1)) == 0;
  void* block =
      valid ? allocate(NumberOfBytes, Tag, type_of(Flags), (Flags & POOL_FLAG_UNINITIALIZED) == 0)
            : nullptr;
  if (block == nullptr && raise) raise_no_memory("ExAllocatePool2");
  return block;
}

PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag) {
  return allocate_typed(PoolType, NumberOfBytes, Tag, false, false, "ExAllocatePoolWithTag");
}

PVOID ExAllocatePoolZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag) {
  return allocate_typed(PoolType, NumberOfBytes, Tag, true, false, "ExAllocatePoolZero");
}

PVOID ExAllocatePoolUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag) {
  return allocate_typed(PoolType, NumberOfBytes, Tag, false, false, "ExAllocatePoolUninitialized");
}

// Raises on failure, as Windows documents for the quota allocation.
PVOID ExAllocatePoolWithQuotaTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag) {
  return allocate_typed(PoolType, NumberOfBytes, Tag, false, true, "ExAllocatePoolWithQuotaTag");
}

VOID ExFreePoolWithTag(PVOID P, ULONG Tag) { free_block(P, true, Tag, "ExFreePoolWithTag"); }

VOID ExFreePool(PVOID P) { free_block(P, false, 0, "ExFreePool"); }

SIZE_T UmaPoolAllocationCount(ULONG Tag) {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  if (Tag == 0) return p.blocks.size();
  SIZE_T n = 0;
  for (const auto& entry : p.blocks) n += entry.second.tag == Tag;
  return n;
}

SIZE_T UmaPoolBytesAllocated(ULONG Tag) {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  SIZE_T n = 0;
  for (const auto& entry : p.blocks)
    if (Tag == 0 || entry.second.tag == Tag) n += entry.second.size;
  return n;
}

SIZE_T UmaPoolSetAllocationLimit(SIZE_T Bytes) {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  const SIZE_T old = p.limit;
  p.limit = Bytes;
  return old;
}

}  // extern "C"
