// SPDX-License-Identifier: Apache-2.0
// src/wdf_memory.cpp - KMDF memory objects (umaccess/wdfmemory.h) behind a handle table.
//
// A WDFMEMORY is never a pointer: it encodes a slot index and that slot's generation
//   bits 63..32 generation | bits 31..4 slot index | bits 3..0 0xD (never an aligned pointer)
// and every call looks it up under g_mutex, so a garbage, deleted or stale handle (its slot
// reused by a newer object: the generation moved on) is detected without touching memory and
// raises WDF_VIOLATION. (A stale handle aliases again only after 2^32 reuses of its slot.)
//
// Lifetime: an object holds one reference for its live handle and one per call in progress.
// A call takes its reference under the mutex, then copies without it (a copy may be long, and
// a crash or a bug-check callback must not leave the mutex held); WdfObjectDelete kills the
// handle and drops the handle's reference; whoever drops the last one runs EvtDestroyCallback
// and frees the object. So a concurrent delete never frees a buffer that is being copied.
// No callback and no bug check runs with the mutex held.
#include "umaccess/wdfmemory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

#include "failure.h"

namespace umaccess::detail {

// Deletes a framework object of umaccess/wdf.h (src/wdf_request.cpp); false if the handle is
// not one that WdfObjectDelete may delete.
bool wdf_delete_framework_object(WDFOBJECT handle);

namespace {

static_assert(sizeof(void*) == 8, "handle layout assumes 64-bit pointers");

constexpr std::uintptr_t kHandleTag = 0xD;
constexpr std::uintptr_t kTagMask = 0xF;
constexpr unsigned kIndexShift = 4;
constexpr std::uintptr_t kIndexMask = 0x0FFFFFFF;  // 28 bits of slot index
constexpr std::size_t kWindowsPageSize = 4096;      // KMDF page-aligns buffers of >= PAGE_SIZE

enum class Kind : std::uint8_t { Pool, Preallocated, ReadOnly };

struct MemoryObject {
  void* buffer;
  std::size_t size;
  Kind kind;
  std::size_t mapped;  // Pool: bytes mmap()ed (0: malloc()ed)
  POOL_TYPE pool_type;
  ULONG pool_tag;
  PFN_WDF_OBJECT_CONTEXT_CLEANUP cleanup;
  PFN_WDF_OBJECT_CONTEXT_DESTROY destroy;
  std::uintptr_t handle;
  unsigned references;  // the live handle's + one per call in progress
};

struct Slot {
  std::uint32_t generation = 1;
  MemoryObject* object = nullptr;  // nullptr: free
  bool deleting = false;           // WdfObjectDelete has begun
};

std::mutex g_mutex;
std::vector<Slot> g_slots;
std::vector<std::uint32_t> g_free_slots;
std::size_t g_object_count = 0;  // objects not yet freed

// The slot a handle names, or nullptr if the handle is not a live object's. Mutex held.
Slot* find_slot(std::uintptr_t handle) {
  if ((handle & kTagMask) != kHandleTag) return nullptr;
  const std::size_t index = (handle >> kIndexShift) & kIndexMask;
  if (index >= g_slots.size()) return nullptr;
  Slot& slot = g_slots[index];
  if (slot.object == nullptr || slot.generation != static_cast<std::uint32_t>(handle >> 32))
    return nullptr;
  return &slot;
}

[[noreturn]] void invalid_handle(const char* operation, const char* type,
                                 std::uintptr_t handle) {
  // The message follows the operation's name in the report ("in <operation>: <message>").
  char message[128];
  if (handle == 0)
    std::snprintf(message, sizeof message, "the %s handle is NULL", type);
  else
    std::snprintf(message, sizeof message,
                  "%s 0x%" PRIxPTR " is not a live memory object (deleted, or never created)",
                  type, handle);
  bug_check_in(operation, WDF_VIOLATION, WDF_INVALID_HANDLE, handle, 0, 0, message);
}

[[noreturn]] void null_parameter(const char* operation, const char* parameter) {
  char message[128];
  std::snprintf(message, sizeof message, "required parameter %s is NULL", parameter);
  bug_check_in(operation, WDF_VIOLATION, WDF_REQUIRED_PARAMETER_IS_NULL, 0, 0, 0, message);
}

// Frees what WdfMemoryCreate allocated; a preallocated buffer stays the caller's.
void free_buffer(const MemoryObject* object) {
  if (object->kind != Kind::Pool) return;
  if (object->mapped != 0)
    munmap(object->buffer, object->mapped);
  else
    std::free(object->buffer);
}

// The last reference is gone: EvtDestroyCallback, then the memory.
void free_object(MemoryObject* object) {
  if (object->destroy != nullptr) object->destroy(reinterpret_cast<WDFOBJECT>(object->handle));
  free_buffer(object);
  delete object;
  std::lock_guard<std::mutex> lock(g_mutex);
  --g_object_count;
}

void release(MemoryObject* object) {
  bool last;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    last = --object->references == 0;
  }
  if (last) free_object(object);
}

// A reference to a live object for the duration of one call; bug-checks a bad handle.
class ObjectRef {
 public:
  ObjectRef(const char* operation, WDFMEMORY memory) {
    const auto handle = reinterpret_cast<std::uintptr_t>(memory);
    {
      std::lock_guard<std::mutex> lock(g_mutex);
      if (Slot* slot = find_slot(handle)) {
        object_ = slot->object;
        ++object_->references;
      }
    }
    if (object_ == nullptr) invalid_handle(operation, "WDFMEMORY", handle);
  }
  ~ObjectRef() { reset(); }
  ObjectRef(const ObjectRef&) = delete;
  ObjectRef& operator=(const ObjectRef&) = delete;

  // Drops the reference early (before a bug check, which may not return).
  void reset() {
    if (object_ != nullptr) release(object_);
    object_ = nullptr;
  }
  MemoryObject* operator->() const { return object_; }

 private:
  MemoryObject* object_ = nullptr;
};

// FxValidateObjectAttributes, the part that matters here.
NTSTATUS validate_attributes(const WDF_OBJECT_ATTRIBUTES* attributes) {
  if (attributes != nullptr && attributes->Size != sizeof(WDF_OBJECT_ATTRIBUTES))
    return STATUS_INFO_LENGTH_MISMATCH;
  return STATUS_SUCCESS;
}

// Enters `object` in the table and returns its handle, or nullptr if the table cannot grow
// (2^28 live objects, or no memory).
WDFMEMORY insert(MemoryObject* object, const WDF_OBJECT_ATTRIBUTES* attributes) {
  object->cleanup = attributes != nullptr ? attributes->EvtCleanupCallback : nullptr;
  object->destroy = attributes != nullptr ? attributes->EvtDestroyCallback : nullptr;
  object->references = 1;
  std::lock_guard<std::mutex> lock(g_mutex);
  std::uint32_t index;
  if (!g_free_slots.empty()) {
    index = g_free_slots.back();
    g_free_slots.pop_back();
  } else {
    if (g_slots.size() > kIndexMask) return nullptr;
    try {
      g_slots.emplace_back();
      g_free_slots.reserve(g_slots.size());  // so that a delete never has to allocate
    } catch (const std::bad_alloc&) {
      return nullptr;
    }
    index = static_cast<std::uint32_t>(g_slots.size() - 1);
  }
  Slot& slot = g_slots[index];
  slot.object = object;
  slot.deleting = false;
  object->handle = (std::uintptr_t{slot.generation} << 32) |
                   (std::uintptr_t{index} << kIndexShift) | kHandleTag;
  ++g_object_count;
  return reinterpret_cast<WDFMEMORY>(object->handle);
}

// A buffer for WdfMemoryCreate: whole pages from mmap() from 4096 bytes on (page-aligned;
// a huge size fails with ENOMEM rather than aborting under a sanitizer allocator), malloc()
// below. Contents unspecified, as in KMDF. nullptr on failure.
void* allocate(std::size_t size, std::size_t* mapped) {
  *mapped = 0;
  if (size < kWindowsPageSize) return std::malloc(size);
  const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  if (size > SIZE_MAX - page) return nullptr;
  const std::size_t length = (size + page - 1) / page * page;
  void* p = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  *mapped = length;
  return p;
}

NTSTATUS create_preallocated(const char* operation, PWDF_OBJECT_ATTRIBUTES attributes,
                             const void* buffer, std::size_t size, WDFMEMORY* memory,
                             Kind kind) {
  if (buffer == nullptr) null_parameter(operation, "Buffer");
  if (memory == nullptr) null_parameter(operation, "Memory");
  *memory = nullptr;
  if (size == 0) return STATUS_INVALID_PARAMETER;
  const NTSTATUS status = validate_attributes(attributes);
  if (!NT_SUCCESS(status)) return status;
  auto* object = new (std::nothrow) MemoryObject{};
  if (object == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  object->buffer = const_cast<void*>(buffer);
  object->size = size;
  object->kind = kind;
  *memory = insert(object, attributes);
  if (*memory == nullptr) {
    delete object;
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  return STATUS_SUCCESS;
}

}  // namespace
}  // namespace umaccess::detail

using namespace umaccess::detail;

extern "C" NTSTATUS WdfMemoryCreate(PWDF_OBJECT_ATTRIBUTES Attributes, POOL_TYPE PoolType,
                                    ULONG PoolTag, size_t BufferSize, WDFMEMORY* Memory,
                                    PVOID* Buffer) {
  if (Memory == nullptr) null_parameter("WdfMemoryCreate", "Memory");
  if (BufferSize == 0) return STATUS_INVALID_PARAMETER;  // before *Memory = NULL, as in KMDF
  *Memory = nullptr;
  const NTSTATUS status = validate_attributes(Attributes);
  if (!NT_SUCCESS(status)) return status;
  auto* object = new (std::nothrow) MemoryObject{};
  if (object == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  object->buffer = allocate(BufferSize, &object->mapped);
  if (object->buffer == nullptr) {
    delete object;
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  object->size = BufferSize;
  object->kind = Kind::Pool;
  object->pool_type = PoolType;
  object->pool_tag = PoolTag != 0 ? PoolTag : UMA_WDF_DEFAULT_POOL_TAG;
  void* buffer = object->buffer;
  *Memory = insert(object, Attributes);
  if (*Memory == nullptr) {
    free_buffer(object);
    delete object;
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  if (Buffer != nullptr) *Buffer = buffer;
  return STATUS_SUCCESS;
}

extern "C" NTSTATUS WdfMemoryCreatePreallocated(PWDF_OBJECT_ATTRIBUTES Attributes, PVOID Buffer,
                                                size_t BufferSize, WDFMEMORY* Memory) {
  return create_preallocated("WdfMemoryCreatePreallocated", Attributes, Buffer, BufferSize,
                             Memory, Kind::Preallocated);
}

extern "C" NTSTATUS UmaWdfMemoryCreatePreallocatedReadOnly(PWDF_OBJECT_ATTRIBUTES Attributes,
                                                           const VOID* Buffer,
                                                           size_t BufferSize,
                                                           WDFMEMORY* Memory) {
  return create_preallocated("UmaWdfMemoryCreatePreallocatedReadOnly", Attributes, Buffer,
                             BufferSize, Memory, Kind::ReadOnly);
}

extern "C" PVOID WdfMemoryGetBuffer(WDFMEMORY Memory, size_t* BufferSize) {
  ObjectRef object("WdfMemoryGetBuffer", Memory);
  if (BufferSize != nullptr) *BufferSize = object->size;
  return object->buffer;
}

extern "C" NTSTATUS WdfMemoryCopyToBuffer(WDFMEMORY SourceMemory, size_t SourceOffset,
                                          PVOID Buffer, size_t NumBytesToCopyTo) {
  ObjectRef source("WdfMemoryCopyToBuffer", SourceMemory);
  if (Buffer == nullptr) {
    source.reset();
    null_parameter("WdfMemoryCopyToBuffer", "Buffer");
  }
  if (NumBytesToCopyTo == 0) return STATUS_INVALID_PARAMETER;
  const std::size_t size = source->size;
  if (SourceOffset != 0 && SourceOffset >= size) return STATUS_BUFFER_TOO_SMALL;
  if (NumBytesToCopyTo > size - SourceOffset) return STATUS_BUFFER_TOO_SMALL;
  umaccess_kernel_copy(Buffer, static_cast<const char*>(source->buffer) + SourceOffset,
                       NumBytesToCopyTo);
  return STATUS_SUCCESS;
}

extern "C" NTSTATUS WdfMemoryCopyFromBuffer(WDFMEMORY DestinationMemory,
                                            size_t DestinationOffset, PVOID Buffer,
                                            size_t NumBytesToCopyFrom) {
  ObjectRef destination("WdfMemoryCopyFromBuffer", DestinationMemory);
  if (Buffer == nullptr) {
    destination.reset();
    null_parameter("WdfMemoryCopyFromBuffer", "Buffer");
  }
  if (NumBytesToCopyFrom == 0) return STATUS_INVALID_PARAMETER;
  if (destination->kind == Kind::ReadOnly) return STATUS_ACCESS_VIOLATION;
  const std::size_t size = destination->size;
  if (DestinationOffset != 0 && DestinationOffset >= size) return STATUS_INVALID_BUFFER_SIZE;
  if (NumBytesToCopyFrom > size - DestinationOffset) return STATUS_INVALID_BUFFER_SIZE;
  umaccess_kernel_copy(static_cast<char*>(destination->buffer) + DestinationOffset, Buffer,
                       NumBytesToCopyFrom);
  return STATUS_SUCCESS;
}

extern "C" VOID WdfObjectDelete(WDFOBJECT Object) {
  const auto handle = reinterpret_cast<std::uintptr_t>(Object);
  MemoryObject* object = nullptr;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    Slot* slot = find_slot(handle);
    if (slot != nullptr && !slot->deleting) {
      slot->deleting = true;
      object = slot->object;
      ++object->references;  // this call's
    }
  }
  if (object == nullptr) {
    // Not a memory object: a framework device or queue (umaccess/wdf.h), or a bad handle.
    if (wdf_delete_framework_object(Object)) return;
    invalid_handle("WdfObjectDelete", "WDFOBJECT", handle);
  }
  // The deletion completes however the cleanup callback leaves: a bug check raised in it
  // (an exception, where a bug-check callback throws) must not leave the object half
  // deleted, its handle neither alive nor reusable and its memory never freed.
  auto retire = [&] {
    {
      std::lock_guard<std::mutex> lock(g_mutex);
      const auto index = static_cast<std::uint32_t>((handle >> kIndexShift) & kIndexMask);
      Slot& slot = g_slots[index];  // still ours: `deleting` kept other deletes out
      slot.object = nullptr;
      slot.deleting = false;
      ++slot.generation;  // every copy of the handle is dead from here on
      g_free_slots.push_back(index);
      --object->references;  // the handle's (this call's is still held: not the last)
    }
    release(object);
  };
  try {
    if (object->cleanup != nullptr) object->cleanup(Object);  // the handle still works here
  } catch (...) {
    retire();
    throw;
  }
  retire();
}

extern "C" BOOLEAN UmaWdfMemoryGetPoolInfo(WDFMEMORY Memory, POOL_TYPE* PoolType,
                                           ULONG* PoolTag) {
  ObjectRef object("UmaWdfMemoryGetPoolInfo", Memory);
  if (object->kind != Kind::Pool) return 0;
  if (PoolType != nullptr) *PoolType = object->pool_type;
  if (PoolTag != nullptr) *PoolTag = object->pool_tag;
  return 1;
}

extern "C" size_t UmaWdfObjectCount(void) {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_object_count;
}
