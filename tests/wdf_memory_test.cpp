// SPDX-License-Identifier: Apache-2.0
// tests/wdf_memory_test.cpp - KMDF memory objects (umaccess/wdfmemory.h): the KMDF source's
// checks, their order and statuses (src/framework/shared/core/fxmemoryobject.cpp in
// https://github.com/microsoft/Windows-Driver-Frameworks; docs/api.md), buffers and pool
// fidelity, preallocated and
// read-only objects, the handle table (deleted, stale, NULL and garbage handles are bug
// checks, never dereferenced), callbacks, and create/copy/delete from several threads.
#include "umaccess/wdfmemory.h"

#include <signal.h>
#include <time.h>

#include <atomic>
#include <cinttypes>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support.h"

namespace umatest {
namespace {

// ---- Helpers ---------------------------------------------------------------------------------

// A bug check turned into a C++ exception by a callback, so a test can catch it and go on.
struct BugCheckCaught {
  umaccess_bug_check_info info{};
  std::string operation;
  std::string message;
};

class ThrowingBugChecks {
 public:
  ThrowingBugChecks() {
    umaccess_set_bug_check_callback(
        [](const umaccess_bug_check_info* info, void*) {
          throw BugCheckCaught{*info, info->operation ? info->operation : "",
                               info->message ? info->message : ""};
        },
        nullptr);
  }
  ~ThrowingBugChecks() { umaccess_set_bug_check_callback(nullptr, nullptr); }
};

template <typename F>
BugCheckCaught expect_bug_check(F&& f) {
  try {
    f();
  } catch (const BugCheckCaught& caught) {
    return caught;
  }
  ADD_FAILURE() << "expected a bug check";
  return {};
}

// Expects an invalid-handle bug check from `operation` naming `handle`.
template <typename F>
void expect_invalid_handle(const char* operation, const void* handle, F&& f) {
  const BugCheckCaught c = expect_bug_check(f);
  EXPECT_EQ(c.info.code, WDF_VIOLATION) << operation;
  EXPECT_EQ(c.info.parameter1, static_cast<std::uintptr_t>(WDF_INVALID_HANDLE)) << operation;
  EXPECT_EQ(c.info.parameter2, reinterpret_cast<std::uintptr_t>(handle)) << operation;
  EXPECT_EQ(c.operation, operation);
  const char* expected = handle == nullptr ? "handle is NULL" : "is not a live memory object";
  EXPECT_NE(c.message.find(expected), std::string::npos) << c.message;
}

WDFMEMORY create(std::size_t size, POOL_TYPE pool = NonPagedPoolNx, ULONG tag = 0x74736554) {
  WDFMEMORY memory = nullptr;
  EXPECT_EQ(WdfMemoryCreate(WDF_NO_OBJECT_ATTRIBUTES, pool, tag, size, &memory, nullptr),
            STATUS_SUCCESS);
  return memory;
}

// Every WDFMEMORY entry point, on `memory`, for the invalid-handle tests.
void expect_every_call_refuses(WDFMEMORY memory) {
  char buffer[8] = {};
  expect_invalid_handle("WdfMemoryGetBuffer", memory, [&] { WdfMemoryGetBuffer(memory, nullptr); });
  expect_invalid_handle("WdfMemoryCopyToBuffer", memory,
                        [&] { (void)WdfMemoryCopyToBuffer(memory, 0, buffer, 1); });
  expect_invalid_handle("WdfMemoryCopyFromBuffer", memory,
                        [&] { (void)WdfMemoryCopyFromBuffer(memory, 0, buffer, 1); });
  expect_invalid_handle("UmaWdfMemoryGetPoolInfo", memory,
                        [&] { UmaWdfMemoryGetPoolInfo(memory, nullptr, nullptr); });
  expect_invalid_handle("WdfObjectDelete", memory, [&] { WdfObjectDelete(memory); });
  EXPECT_EQ(first_not(buffer, 0, sizeof buffer), sizeof buffer);
}

// ---- WdfMemoryCreate -----------------------------------------------------------------------

TEST(WdfMemory, CreateGivesAHandleAndItsBuffer) {
  const std::size_t baseline = UmaWdfObjectCount();
  WDFMEMORY memory = nullptr;
  PVOID buffer = nullptr;
  ASSERT_EQ(WdfMemoryCreate(WDF_NO_OBJECT_ATTRIBUTES, NonPagedPoolNx, 0x74736554u, 100, &memory,
                            &buffer),
            STATUS_SUCCESS);
  ASSERT_NE(memory, nullptr);
  ASSERT_NE(buffer, nullptr);
  EXPECT_EQ(UmaWdfObjectCount(), baseline + 1);
  std::size_t size = 0;
  EXPECT_EQ(WdfMemoryGetBuffer(memory, &size), buffer);
  EXPECT_EQ(size, 100u);
  EXPECT_EQ(WdfMemoryGetBuffer(memory, nullptr), buffer);
  fill_pattern(buffer, 100, 1);  // the whole buffer is ours
  WdfObjectDelete(memory);
  EXPECT_EQ(UmaWdfObjectCount(), baseline);

  // Buffer is optional.
  memory = nullptr;
  ASSERT_EQ(WdfMemoryCreate(nullptr, PagedPool, 0, 1, &memory, nullptr), STATUS_SUCCESS);
  EXPECT_NE(WdfMemoryGetBuffer(memory, nullptr), nullptr);
  WdfObjectDelete(memory);
}

TEST(WdfMemory, CreateOfZeroBytesIsInvalidParameterBeforeMemoryIsCleared) {
  // KMDF source order: the BufferSize check returns before *Memory = NULL.
  auto* const sentinel = reinterpret_cast<WDFMEMORY>(std::uintptr_t{0x1234});
  WDFMEMORY memory = sentinel;
  PVOID buffer = &memory;
  EXPECT_EQ(WdfMemoryCreate(nullptr, NonPagedPoolNx, 0, 0, &memory, &buffer),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(memory, sentinel);
  EXPECT_EQ(buffer, &memory);
}

TEST(WdfMemory, AHugeSizeFailsCleanly) {
  const std::size_t baseline = UmaWdfObjectCount();
  for (std::size_t size : {SIZE_MAX / 2, SIZE_MAX, SIZE_MAX - 4095}) {
    auto* const sentinel = reinterpret_cast<WDFMEMORY>(std::uintptr_t{0x1234});
    WDFMEMORY memory = sentinel;
    PVOID buffer = &memory;
    EXPECT_EQ(WdfMemoryCreate(nullptr, NonPagedPoolNx, 0, size, &memory, &buffer),
              STATUS_INSUFFICIENT_RESOURCES)
        << size;
    EXPECT_EQ(memory, nullptr);   // cleared before the allocation
    EXPECT_EQ(buffer, &memory);   // not written on failure
  }
  EXPECT_EQ(UmaWdfObjectCount(), baseline);
}

TEST(WdfMemory, BuffersOfAPageOrMoreArePageAligned) {
  for (std::size_t size : {4096u, 4097u, 8192u, 12345u, 1u << 20}) {
    WDFMEMORY memory = nullptr;
    PVOID buffer = nullptr;
    ASSERT_EQ(WdfMemoryCreate(nullptr, PagedPool, 0, size, &memory, &buffer), STATUS_SUCCESS);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(buffer) % 4096, 0u) << size;
    auto* bytes = static_cast<unsigned char*>(buffer);
    bytes[0] = 1;
    bytes[size - 1] = 2;  // the whole size is usable
    WdfObjectDelete(memory);
  }
}

TEST(WdfMemory, PoolTypeAndTagAreKept) {
  for (POOL_TYPE pool : {NonPagedPool, PagedPool, NonPagedPoolNx, NonPagedPoolCacheAligned,
                         NonPagedPoolNxCacheAligned}) {
    for (std::size_t size : {16u, 8192u}) {
      WDFMEMORY memory = create(size, pool, 0x31546167u);
      POOL_TYPE kept = MaxPoolType;
      ULONG tag = 0;
      EXPECT_TRUE(UmaWdfMemoryGetPoolInfo(memory, &kept, &tag));
      EXPECT_EQ(kept, pool);
      EXPECT_EQ(tag, 0x31546167u);
      EXPECT_TRUE(UmaWdfMemoryGetPoolInfo(memory, nullptr, nullptr));
      WdfObjectDelete(memory);
    }
  }
  // Tag 0 means the framework's default tag.
  WDFMEMORY memory = create(8, PagedPool, 0);
  ULONG tag = 0;
  EXPECT_TRUE(UmaWdfMemoryGetPoolInfo(memory, nullptr, &tag));
  EXPECT_EQ(tag, UMA_WDF_DEFAULT_POOL_TAG);
  WdfObjectDelete(memory);
}

TEST(WdfMemory, AttributesSizeIsCheckedAfterMemoryIsCleared) {
  const std::size_t baseline = UmaWdfObjectCount();
  WDF_OBJECT_ATTRIBUTES attributes;
  WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
  attributes.Size = sizeof(attributes) - 8;
  auto* const sentinel = reinterpret_cast<WDFMEMORY>(std::uintptr_t{0x1234});
  WDFMEMORY memory = sentinel;
  EXPECT_EQ(WdfMemoryCreate(&attributes, NonPagedPoolNx, 0, 64, &memory, nullptr),
            STATUS_INFO_LENGTH_MISMATCH);
  EXPECT_EQ(memory, nullptr);
  char buffer[8];
  memory = sentinel;
  EXPECT_EQ(WdfMemoryCreatePreallocated(&attributes, buffer, sizeof buffer, &memory),
            STATUS_INFO_LENGTH_MISMATCH);
  EXPECT_EQ(memory, nullptr);
  EXPECT_EQ(UmaWdfObjectCount(), baseline);
}

TEST(WdfMemory, AttributesInitSetsTheDefaults) {
  WDF_OBJECT_ATTRIBUTES attributes;
  std::memset(&attributes, 0xA5, sizeof attributes);
  WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
  EXPECT_EQ(attributes.Size, sizeof(WDF_OBJECT_ATTRIBUTES));
  EXPECT_EQ(attributes.EvtCleanupCallback, nullptr);
  EXPECT_EQ(attributes.EvtDestroyCallback, nullptr);
  EXPECT_EQ(attributes.ExecutionLevel, WdfExecutionLevelInheritFromParent);
  EXPECT_EQ(attributes.SynchronizationScope, WdfSynchronizationScopeInheritFromParent);
  EXPECT_EQ(attributes.ParentObject, nullptr);
  EXPECT_EQ(attributes.ContextSizeOverride, 0u);
  EXPECT_EQ(attributes.ContextTypeInfo, nullptr);
}

// ---- Callbacks -------------------------------------------------------------------------------

std::vector<std::string> g_events;
WDFMEMORY g_expected_handle;

// A bug check raised inside EvtCleanupCallback (here an exception, as a host's bug-check
// callback may throw) still completes the deletion: the handle dies, the memory is freed,
// EvtDestroyCallback runs, and the object count goes back.
TEST(WdfMemory, ABugCheckInCleanupStillCompletesTheDeletion) {
  ThrowingBugChecks throwing;
  g_events.clear();
  const std::size_t before = UmaWdfObjectCount();
  WDF_OBJECT_ATTRIBUTES attributes;
  WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
  attributes.EvtCleanupCallback = [](WDFOBJECT object) {
    WdfMemoryGetBuffer(reinterpret_cast<WDFMEMORY>(reinterpret_cast<std::uintptr_t>(object) ^ 0x100),
                       nullptr);  // a stale handle: bug check
  };
  attributes.EvtDestroyCallback = [](WDFOBJECT) { g_events.push_back("destroy"); };
  WDFMEMORY memory = nullptr;
  ASSERT_EQ(WdfMemoryCreate(&attributes, NonPagedPoolNx, 0, 24, &memory, nullptr), STATUS_SUCCESS);
  EXPECT_EQ(UmaWdfObjectCount(), before + 1);
  const BugCheckCaught caught = expect_bug_check([&] { WdfObjectDelete(memory); });
  EXPECT_EQ(caught.operation, "WdfMemoryGetBuffer");
  EXPECT_EQ(g_events, std::vector<std::string>{"destroy"});
  EXPECT_EQ(UmaWdfObjectCount(), before);
  // The handle is dead, not half alive: using or deleting it again is the usual bug check.
  EXPECT_EQ(expect_bug_check([&] { WdfObjectDelete(memory); }).operation, "WdfObjectDelete");
}

TEST(WdfMemory, DeleteCallsCleanupWithALiveHandleThenDestroy) {
  g_events.clear();
  WDF_OBJECT_ATTRIBUTES attributes;
  WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
  attributes.EvtCleanupCallback = [](WDFOBJECT object) {
    // The handle still works during cleanup.
    std::size_t size = 0;
    WdfMemoryGetBuffer(static_cast<WDFMEMORY>(object), &size);
    g_events.push_back("cleanup " + std::to_string(size) + (object == g_expected_handle ? " same" : ""));
  };
  attributes.EvtDestroyCallback = [](WDFOBJECT object) {
    g_events.push_back(std::string("destroy") + (object == g_expected_handle ? " same" : ""));
  };
  WDFMEMORY memory = nullptr;
  ASSERT_EQ(WdfMemoryCreate(&attributes, NonPagedPoolNx, 0, 24, &memory, nullptr),
            STATUS_SUCCESS);
  g_expected_handle = memory;
  EXPECT_TRUE(g_events.empty());
  WdfObjectDelete(memory);
  EXPECT_EQ(g_events, (std::vector<std::string>{"cleanup 24 same", "destroy same"}));

  // Preallocated objects run them too.
  g_events.clear();
  char buffer[4];
  ASSERT_EQ(WdfMemoryCreatePreallocated(&attributes, buffer, sizeof buffer, &memory),
            STATUS_SUCCESS);
  g_expected_handle = memory;
  WdfObjectDelete(memory);
  EXPECT_EQ(g_events, (std::vector<std::string>{"cleanup 4 same", "destroy same"}));
}

// ---- WdfMemoryCopyToBuffer -------------------------------------------------------------------

TEST(WdfMemory, CopyToBufferCopiesExactFits) {
  constexpr std::size_t kSize = 300;
  WDFMEMORY memory = create(kSize);
  auto* source = static_cast<unsigned char*>(WdfMemoryGetBuffer(memory, nullptr));
  fill_pattern(source, kSize, 3);
  for (std::size_t offset : {std::size_t{0}, std::size_t{1}, std::size_t{77}, kSize - 1}) {
    for (std::size_t count : {std::size_t{1}, kSize - offset}) {  // one byte, and exact fit
      std::vector<unsigned char> dst(kSize + 16, kCanary);
      ASSERT_EQ(WdfMemoryCopyToBuffer(memory, offset, dst.data(), count), STATUS_SUCCESS)
          << offset << " " << count;
      EXPECT_EQ(first_mismatch(dst.data(), source + offset, count), count);
      EXPECT_EQ(first_not(dst.data() + count, kCanary, dst.size() - count), dst.size() - count);
    }
  }
  WdfObjectDelete(memory);
}

TEST(WdfMemory, CopyToBufferErrorsWriteNothing) {
  constexpr std::size_t kSize = 64;
  WDFMEMORY memory = create(kSize);
  fill_pattern(WdfMemoryGetBuffer(memory, nullptr), kSize, 4);
  struct Case {
    std::size_t offset, count;
    NTSTATUS status;
  };
  const Case cases[] = {
      {0, 0, STATUS_INVALID_PARAMETER},
      {kSize, 0, STATUS_INVALID_PARAMETER},          // the count is checked first
      {SIZE_MAX, 0, STATUS_INVALID_PARAMETER},
      {kSize, 1, STATUS_BUFFER_TOO_SMALL},           // offset == size, non-zero
      {kSize + 1, 1, STATUS_BUFFER_TOO_SMALL},
      {SIZE_MAX, 1, STATUS_BUFFER_TOO_SMALL},
      {0, kSize + 1, STATUS_BUFFER_TOO_SMALL},       // offset 0 skips the offset check only
      {1, kSize, STATUS_BUFFER_TOO_SMALL},
      {kSize - 1, 2, STATUS_BUFFER_TOO_SMALL},
      {0, SIZE_MAX, STATUS_BUFFER_TOO_SMALL},
      {kSize - 1, SIZE_MAX, STATUS_BUFFER_TOO_SMALL},
  };
  for (const Case& c : cases) {
    unsigned char dst[2 * kSize];
    std::memset(dst, kCanary, sizeof dst);
    EXPECT_EQ(WdfMemoryCopyToBuffer(memory, c.offset, dst, c.count), c.status)
        << c.offset << " " << c.count;
    EXPECT_EQ(first_not(dst, kCanary, sizeof dst), sizeof dst);
  }
  WdfObjectDelete(memory);
}

// ---- WdfMemoryCopyFromBuffer -----------------------------------------------------------------

TEST(WdfMemory, CopyFromBufferCopiesExactFits) {
  constexpr std::size_t kSize = 300;
  WDFMEMORY memory = create(kSize);
  auto* dst = static_cast<unsigned char*>(WdfMemoryGetBuffer(memory, nullptr));
  std::vector<unsigned char> src(kSize);
  fill_pattern(src.data(), kSize, 5);
  for (std::size_t offset : {std::size_t{0}, std::size_t{1}, std::size_t{77}, kSize - 1}) {
    for (std::size_t count : {std::size_t{1}, kSize - offset}) {
      std::memset(dst, kCanary, kSize);
      ASSERT_EQ(WdfMemoryCopyFromBuffer(memory, offset, src.data(), count), STATUS_SUCCESS)
          << offset << " " << count;
      EXPECT_EQ(first_not(dst, kCanary, offset), offset);
      EXPECT_EQ(first_mismatch(dst + offset, src.data(), count), count);
      EXPECT_EQ(first_not(dst + offset + count, kCanary, kSize - offset - count),
                kSize - offset - count);
    }
  }
  WdfObjectDelete(memory);
}

TEST(WdfMemory, CopyFromBufferErrorsAreInvalidBufferSizeAndWriteNothing) {
  // The KMDF source returns STATUS_INVALID_BUFFER_SIZE (its documentation says
  // STATUS_BUFFER_TOO_SMALL).
  constexpr std::size_t kSize = 64;
  WDFMEMORY memory = create(kSize);
  auto* dst = static_cast<unsigned char*>(WdfMemoryGetBuffer(memory, nullptr));
  std::memset(dst, kCanary, kSize);
  struct Case {
    std::size_t offset, count;
    NTSTATUS status;
  };
  const Case cases[] = {
      {0, 0, STATUS_INVALID_PARAMETER},
      {kSize, 0, STATUS_INVALID_PARAMETER},
      {kSize, 1, STATUS_INVALID_BUFFER_SIZE},
      {kSize + 1, 1, STATUS_INVALID_BUFFER_SIZE},
      {SIZE_MAX, 1, STATUS_INVALID_BUFFER_SIZE},
      {0, kSize + 1, STATUS_INVALID_BUFFER_SIZE},
      {1, kSize, STATUS_INVALID_BUFFER_SIZE},
      {kSize - 1, 2, STATUS_INVALID_BUFFER_SIZE},
      {0, SIZE_MAX, STATUS_INVALID_BUFFER_SIZE},
  };
  std::vector<unsigned char> src(2 * kSize, 0x11);
  for (const Case& c : cases) {
    EXPECT_EQ(WdfMemoryCopyFromBuffer(memory, c.offset, src.data(), c.count), c.status)
        << c.offset << " " << c.count;
    EXPECT_EQ(first_not(dst, kCanary, kSize), kSize);
  }
  WdfObjectDelete(memory);
}

// ---- Preallocated and read-only objects ------------------------------------------------------

TEST(WdfMemory, PreallocatedDescribesTheCallersBufferAndDeleteLeavesItAlone) {
  const std::size_t baseline = UmaWdfObjectCount();
  GuardedRegion region(page_size());
  char* buffer = region.begin();
  fill_pattern(buffer, 40, 6);
  auto* const sentinel = reinterpret_cast<WDFMEMORY>(std::uintptr_t{0x1234});
  WDFMEMORY memory = sentinel;
  ASSERT_EQ(WdfMemoryCreatePreallocated(nullptr, buffer, 40, &memory), STATUS_SUCCESS);
  ASSERT_NE(memory, sentinel);
  std::size_t size = 0;
  EXPECT_EQ(WdfMemoryGetBuffer(memory, &size), buffer);
  EXPECT_EQ(size, 40u);
  EXPECT_FALSE(UmaWdfMemoryGetPoolInfo(memory, nullptr, nullptr));
  POOL_TYPE pool = MaxPoolType;
  ULONG tag = 7;
  EXPECT_FALSE(UmaWdfMemoryGetPoolInfo(memory, &pool, &tag));
  EXPECT_EQ(pool, MaxPoolType);
  EXPECT_EQ(tag, 7u);

  char src[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  ASSERT_EQ(WdfMemoryCopyFromBuffer(memory, 32, src, 8), STATUS_SUCCESS);
  EXPECT_EQ(first_mismatch(buffer + 32, src, 8), 8u);
  char dst[40];
  ASSERT_EQ(WdfMemoryCopyToBuffer(memory, 0, dst, 40), STATUS_SUCCESS);
  EXPECT_EQ(first_mismatch(dst, buffer, 40), 40u);

  WdfObjectDelete(memory);
  EXPECT_EQ(UmaWdfObjectCount(), baseline);
  // Still mapped, still holding what it held (a free or unmap would show here).
  EXPECT_EQ(first_mismatch(buffer, dst, 40), 40u);
  buffer[0] = 9;
}

TEST(WdfMemory, PreallocatedOfZeroBytesClearsMemoryThenFails) {
  char buffer[4];
  auto* const sentinel = reinterpret_cast<WDFMEMORY>(std::uintptr_t{0x1234});
  WDFMEMORY memory = sentinel;
  EXPECT_EQ(WdfMemoryCreatePreallocated(nullptr, buffer, 0, &memory), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(memory, nullptr);
  memory = sentinel;
  EXPECT_EQ(UmaWdfMemoryCreatePreallocatedReadOnly(nullptr, buffer, 0, &memory),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(memory, nullptr);
}

TEST(WdfMemory, ReadOnlyObjectsRefuseCopyFromBuffer) {
  unsigned char input[32];
  fill_pattern(input, sizeof input, 7);
  const unsigned char saved0 = input[0];
  WDFMEMORY memory = nullptr;
  ASSERT_EQ(UmaWdfMemoryCreatePreallocatedReadOnly(nullptr, input, sizeof input, &memory),
            STATUS_SUCCESS);
  unsigned char src[32];
  std::memset(src, 0x11, sizeof src);
  EXPECT_EQ(WdfMemoryCopyFromBuffer(memory, 0, src, 1), STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(WdfMemoryCopyFromBuffer(memory, 0, src, sizeof src), STATUS_ACCESS_VIOLATION);
  // Order: the count check comes first, the read-only check before the offset checks.
  EXPECT_EQ(WdfMemoryCopyFromBuffer(memory, 0, src, 0), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(WdfMemoryCopyFromBuffer(memory, 1000, src, 1), STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(input[0], saved0);
  // Reading works as for any object.
  unsigned char dst[32];
  ASSERT_EQ(WdfMemoryCopyToBuffer(memory, 0, dst, sizeof dst), STATUS_SUCCESS);
  EXPECT_EQ(first_mismatch(dst, input, sizeof dst), sizeof dst);
  std::size_t size = 0;
  EXPECT_EQ(WdfMemoryGetBuffer(memory, &size), static_cast<void*>(input));
  EXPECT_EQ(size, sizeof input);
  EXPECT_FALSE(UmaWdfMemoryGetPoolInfo(memory, nullptr, nullptr));
  WdfObjectDelete(memory);
}

// ---- Handles ---------------------------------------------------------------------------------

TEST(WdfMemoryHandles, DeletedHandlesAreBugChecks) {
  ThrowingBugChecks bug_checks;
  WDFMEMORY memory = create(16);
  WdfObjectDelete(memory);
  expect_every_call_refuses(memory);
}

TEST(WdfMemoryHandles, AStaleHandleIsDetectedAfterItsSlotIsReused) {
  ThrowingBugChecks bug_checks;
  WDFMEMORY old_memory = create(16);
  WdfObjectDelete(old_memory);
  WDFMEMORY new_memory = create(16);
  // The new object took the old one's slot (the low half of a handle names the slot), so
  // only the generation tells them apart.
  const auto old_value = reinterpret_cast<std::uintptr_t>(old_memory);
  const auto new_value = reinterpret_cast<std::uintptr_t>(new_memory);
  ASSERT_EQ(old_value & 0xFFFFFFFFu, new_value & 0xFFFFFFFFu);
  ASSERT_NE(old_value, new_value);
  expect_every_call_refuses(old_memory);
  // The new object is unaffected.
  char data[16] = {};
  EXPECT_EQ(WdfMemoryCopyFromBuffer(new_memory, 0, data, sizeof data), STATUS_SUCCESS);
  WdfObjectDelete(new_memory);
}

TEST(WdfMemoryHandles, NullAndGarbageHandlesAreBugChecks) {
  ThrowingBugChecks bug_checks;
  WDFMEMORY live = create(16);
  const auto live_value = reinterpret_cast<std::uintptr_t>(live);
  int local = 0;
  const std::uintptr_t garbage[] = {
      0,
      1,
      0xD,                                       // the tag alone: slot 0, generation 0
      0xDEADBEEF,
      reinterpret_cast<std::uintptr_t>(&local),  // a real pointer
      ~std::uintptr_t{0},
      (std::uintptr_t{1} << 32) | (std::uintptr_t{0x0FFFFFFF} << 4) | 0xD,  // no such slot
      live_value + (std::uintptr_t{1} << 32),    // a generation that does not exist yet
      live_value ^ 0x1,                          // the right slot, a wrong tag
  };
  for (std::uintptr_t value : garbage) {
    SCOPED_TRACE(value);
    expect_every_call_refuses(reinterpret_cast<WDFMEMORY>(value));
  }
  // Deleting through a WDFOBJECT works like any other call.
  WDFOBJECT object = live;
  WdfObjectDelete(object);
  expect_invalid_handle("WdfObjectDelete", object, [&] { WdfObjectDelete(object); });
}

TEST(WdfMemoryHandles, TheBugCheckNamesTheCallAndTheHandle) {
  ThrowingBugChecks bug_checks;
  WDFMEMORY memory = create(16);
  WdfObjectDelete(memory);
  char buffer[4];
  const BugCheckCaught c =
      expect_bug_check([&] { (void)WdfMemoryCopyToBuffer(memory, 0, buffer, 4); });
  char expected[160];
  std::snprintf(expected, sizeof expected,
                "WDFMEMORY 0x%" PRIxPTR
                " is not a live memory object (deleted, or never created)",
                reinterpret_cast<std::uintptr_t>(memory));
  EXPECT_EQ(c.message, expected);
  EXPECT_EQ(c.info.parameter3, 0u);
  const BugCheckCaught n = expect_bug_check([&] { WdfMemoryGetBuffer(nullptr, nullptr); });
  EXPECT_EQ(n.message, "the WDFMEMORY handle is NULL");
  EXPECT_EQ(n.info.parameter1, static_cast<std::uintptr_t>(WDF_INVALID_HANDLE));
}

TEST(WdfMemoryHandles, NullRequiredParametersAreBugChecks) {
  ThrowingBugChecks bug_checks;
  const std::size_t baseline = UmaWdfObjectCount();
  WDFMEMORY memory = create(16);
  char buffer[16];
  struct {
    const char* operation;
    const char* message;
    std::function<void()> call;
  } const cases[] = {
      {"WdfMemoryCreate", "required parameter Memory is NULL",
       [] { (void)WdfMemoryCreate(nullptr, PagedPool, 0, 16, nullptr, nullptr); }},
      {"WdfMemoryCreatePreallocated", "required parameter Buffer is NULL",
       [&] { (void)WdfMemoryCreatePreallocated(nullptr, nullptr, 16, &memory); }},
      {"WdfMemoryCreatePreallocated", "required parameter Memory is NULL",
       [&] { (void)WdfMemoryCreatePreallocated(nullptr, buffer, 16, nullptr); }},
      {"UmaWdfMemoryCreatePreallocatedReadOnly",
       "required parameter Buffer is NULL",
       [&] { (void)UmaWdfMemoryCreatePreallocatedReadOnly(nullptr, nullptr, 16, &memory); }},
      {"WdfMemoryCopyToBuffer", "required parameter Buffer is NULL",
       [&] { (void)WdfMemoryCopyToBuffer(memory, 0, nullptr, 16); }},
      {"WdfMemoryCopyFromBuffer", "required parameter Buffer is NULL",
       [&] { (void)WdfMemoryCopyFromBuffer(memory, 0, nullptr, 16); }},
      // Buffer is checked before the count and the offsets.
      {"WdfMemoryCopyToBuffer", "required parameter Buffer is NULL",
       [&] { (void)WdfMemoryCopyToBuffer(memory, 1000, nullptr, 0); }},
  };
  for (const auto& c : cases) {
    const BugCheckCaught caught = expect_bug_check(c.call);
    EXPECT_EQ(caught.info.code, WDF_VIOLATION);
    EXPECT_EQ(caught.info.parameter1, static_cast<std::uintptr_t>(WDF_REQUIRED_PARAMETER_IS_NULL));
    EXPECT_EQ(caught.operation, c.operation);
    EXPECT_EQ(caught.message, c.message);
  }
  // The handle still works and the calls above left no reference behind: delete frees it.
  EXPECT_EQ(UmaWdfObjectCount(), baseline + 1);
  WdfObjectDelete(memory);
  EXPECT_EQ(UmaWdfObjectCount(), baseline);
}

// ---- Threads ---------------------------------------------------------------------------------

TEST(WdfMemoryThreads, CreateCopyDeleteOnSeveralThreads) {
  const std::size_t baseline = UmaWdfObjectCount();
  constexpr int kThreads = 4, kIterations = 300;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &failures] {
      for (int i = 0; i < kIterations; ++i) {
        const std::size_t size = 1 + static_cast<std::size_t>((i * 37 + t * 11) % 5000);
        WDFMEMORY memory = nullptr;
        PVOID buffer = nullptr;
        if (WdfMemoryCreate(nullptr, NonPagedPoolNx, 0, size, &memory, &buffer) != STATUS_SUCCESS) {
          ++failures;
          continue;
        }
        std::vector<unsigned char> in(size), out(size);
        fill_pattern(in.data(), size, static_cast<unsigned>(t * 1000 + i));
        if (WdfMemoryCopyFromBuffer(memory, 0, in.data(), size) != STATUS_SUCCESS ||
            WdfMemoryCopyToBuffer(memory, 0, out.data(), size) != STATUS_SUCCESS ||
            first_mismatch(out.data(), in.data(), size) != size)
          ++failures;
        WdfObjectDelete(memory);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(UmaWdfObjectCount(), baseline);
}

std::atomic<int> g_destroyed{0};

TEST(WdfMemoryThreads, CopiesRacingDeletesSeeTheirObjectOrABugCheck) {
  // Readers copy from handles that a writer keeps deleting and replacing (reusing their
  // slots). A copy either succeeds with the content of the object its handle named, or is
  // an invalid-handle bug check naming that handle: never another object's bytes, never
  // freed memory. The readers do a fixed amount of work; the writer runs until they finish.
  ThrowingBugChecks bug_checks;
  const std::size_t baseline = UmaWdfObjectCount();
  g_destroyed = 0;
  WDF_OBJECT_ATTRIBUTES attributes;
  WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
  attributes.EvtDestroyCallback = [](WDFOBJECT) { ++g_destroyed; };

  constexpr unsigned kSlots = 8, kReaders = 2, kBatches = 2000, kCopiesPerBatch = 8;
  constexpr std::size_t kSize = 512;
  struct Entry {
    WDFMEMORY memory;
    unsigned char value;
  };
  std::mutex entries_mutex;
  std::vector<Entry> entries;
  unsigned char next_value = 0;
  int created = 0;
  auto make = [&] {
    WDFMEMORY memory = nullptr;
    PVOID buffer = nullptr;
    EXPECT_EQ(WdfMemoryCreate(&attributes, NonPagedPoolNx, 0, kSize, &memory, &buffer),
              STATUS_SUCCESS);
    const unsigned char value = ++next_value;  // neighbours in time differ
    std::memset(buffer, value, kSize);
    ++created;
    return Entry{memory, value};
  };
  for (unsigned i = 0; i < kSlots; ++i) entries.push_back(make());

  std::atomic<unsigned> victim{0};             // the slot the writer replaces next
  std::atomic<WDFMEMORY> in_use{nullptr};      // a victim handle a reader is copying from
  std::atomic<unsigned> running{kReaders};
  std::atomic<int> wrong{0}, copies{0}, bug_checks_seen{0};
  std::vector<std::thread> readers;
  for (unsigned r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      unsigned char dst[kSize];
      for (unsigned i = r; i < r + kBatches; ++i) {
        const bool on_victim = i % 2 == 0;  // every other batch: the next to be deleted
        Entry e;
        {
          std::lock_guard<std::mutex> lock(entries_mutex);
          e = entries[(on_victim ? victim.load() : i) % kSlots];
        }
        try {
          for (unsigned k = 0; k < kCopiesPerBatch; ++k) {  // the writer may delete it now
            if (WdfMemoryCopyToBuffer(e.memory, 0, dst, kSize) != STATUS_SUCCESS) ++wrong;
            if (first_not(dst, e.value, kSize) != kSize) ++wrong;
            ++copies;
            if (on_victim) in_use = e.memory;
          }
        } catch (const BugCheckCaught& c) {
          ++bug_checks_seen;
          if (c.info.parameter2 != reinterpret_cast<std::uintptr_t>(e.memory)) ++wrong;
        }
      }
      --running;
    });
  }
  for (unsigned round = 0; running.load() > 0; ++round) {
    Entry old;
    {
      std::lock_guard<std::mutex> lock(entries_mutex);
      old = entries[round % kSlots];
    }
    // Give a reader a moment to be copying from it.
    for (int spin = 0; spin < 200 && in_use.load() != old.memory; ++spin)
      std::this_thread::yield();
    WdfObjectDelete(old.memory);
    const Entry fresh = make();
    std::lock_guard<std::mutex> lock(entries_mutex);
    entries[round % kSlots] = fresh;
    victim = round + 1;
  }
  for (auto& reader : readers) reader.join();
  for (const Entry& e : entries) WdfObjectDelete(e.memory);

  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(g_destroyed.load(), created);
  EXPECT_EQ(UmaWdfObjectCount(), baseline);
  RecordProperty("copies", copies.load());
  RecordProperty("bug_checks", bug_checks_seen.load());
  RecordProperty("objects", created);
}

// A copy that faults on a protected destination page waits in this handler until the test
// lets it go, then unprotects the page and resumes: a copy held in mid-flight.
std::atomic<int> g_copy_stage{0};  // 1: the copy is held, 2: let it go
char* g_held_page = nullptr;
std::size_t g_held_length = 0;

void hold_copy_handler(int, siginfo_t* info, void*) {
  char* address = static_cast<char*>(info->si_addr);
  if (address < g_held_page || address >= g_held_page + g_held_length) std::abort();
  g_copy_stage = 1;
  while (g_copy_stage.load() != 2) {
    const timespec pause{0, 1000000};
    nanosleep(&pause, nullptr);
  }
  mprotect(g_held_page, g_held_length, PROT_READ | PROT_WRITE);
}

TEST(WdfMemoryThreads, DeleteDuringACopyFreesTheObjectOnlyAfterTheCopy) {
  ASSERT_EQ(umaccess_install_fault_handler(), 0);  // then ours goes in front of it
  const std::size_t baseline = UmaWdfObjectCount();
  g_destroyed = 0;
  WDF_OBJECT_ATTRIBUTES attributes;
  WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
  attributes.EvtDestroyCallback = [](WDFOBJECT) { ++g_destroyed; };
  // Page-sized and up, so the buffer is mmap()ed: freeing it early would unmap the source
  // under the copy, which would then crash rather than read stale bytes.
  const std::size_t size = 16 * page_size();
  WDFMEMORY memory = nullptr;
  PVOID buffer = nullptr;
  ASSERT_EQ(WdfMemoryCreate(&attributes, NonPagedPoolNx, 0, size, &memory, &buffer),
            STATUS_SUCCESS);
  fill_pattern(buffer, size, 9);
  std::vector<unsigned char> expected(static_cast<unsigned char*>(buffer),
                                      static_cast<unsigned char*>(buffer) + size);

  GuardedRegion destination(size);
  g_held_page = destination.begin() + size / 2;
  g_held_length = size / 2;
  destination.protect(size / 2, size / 2, PROT_NONE);
  g_copy_stage = 0;
  struct sigaction hold {}, saved {};
  hold.sa_sigaction = hold_copy_handler;
  hold.sa_flags = SA_SIGINFO;
  ASSERT_EQ(sigaction(SIGSEGV, &hold, &saved), 0);

  NTSTATUS status = STATUS_INVALID_PARAMETER;
  std::thread copier([&] { status = WdfMemoryCopyToBuffer(memory, 0, destination.begin(), size); });
  while (g_copy_stage.load() != 1) std::this_thread::yield();
  WdfObjectDelete(memory);  // returns at once: the handle is dead, the object lives on
  EXPECT_EQ(g_destroyed.load(), 0);
  EXPECT_EQ(UmaWdfObjectCount(), baseline + 1);
  {
    ThrowingBugChecks bug_checks;
    expect_invalid_handle("WdfMemoryGetBuffer", memory, [&] { WdfMemoryGetBuffer(memory, nullptr); });
  }
  g_copy_stage = 2;
  copier.join();
  sigaction(SIGSEGV, &saved, nullptr);

  EXPECT_EQ(status, STATUS_SUCCESS);
  EXPECT_EQ(first_mismatch(destination.begin(), expected.data(), size), size);
  EXPECT_EQ(g_destroyed.load(), 1);  // by the copier, on releasing the last reference
  EXPECT_EQ(UmaWdfObjectCount(), baseline);
}

// ---- Death tests: without a callback a bug check stops the process --------------------------

TEST(WdfMemoryDeathTest, AnInvalidHandleStopsWithWdfViolation) {
  WDFMEMORY memory = create(16);
  WdfObjectDelete(memory);
  char buffer[4];
  EXPECT_DEATH((void)WdfMemoryCopyToBuffer(memory, 0, buffer, 4),
               "BUG CHECK 0x0000010D .* in WdfMemoryCopyToBuffer: WDFMEMORY 0x[0-9a-f]+ is not a "
               "live memory object \\(deleted, or never created\\)");
  EXPECT_DEATH(WdfObjectDelete(memory),
               "in WdfObjectDelete: WDFOBJECT 0x[0-9a-f]+ is not a live memory object");
  EXPECT_DEATH(WdfMemoryGetBuffer(nullptr, nullptr),
               "in WdfMemoryGetBuffer: the WDFMEMORY handle is NULL");
}

TEST(WdfMemoryDeathTest, NullRequiredParametersStopWithWdfViolation) {
  EXPECT_DEATH((void)WdfMemoryCreate(nullptr, PagedPool, 0, 16, nullptr, nullptr),
               "BUG CHECK 0x0000010D .* in WdfMemoryCreate: required parameter Memory is NULL");
  WDFMEMORY memory = create(16);
  EXPECT_DEATH((void)WdfMemoryCopyFromBuffer(memory, 0, nullptr, 16),
               "in WdfMemoryCopyFromBuffer: required parameter Buffer is NULL");
  EXPECT_DEATH((void)WdfMemoryCreatePreallocated(nullptr, nullptr, 16, &memory),
               "in WdfMemoryCreatePreallocated: required parameter Buffer is NULL");
  WdfObjectDelete(memory);
}

TEST(WdfMemoryDeathTest, ABadPreallocatedBufferCrashesLikeKernelCode) {
  // Copies are kernel-mode copies: no check, no recovery.
  WDFMEMORY memory = nullptr;
  ASSERT_EQ(WdfMemoryCreatePreallocated(nullptr, reinterpret_cast<void*>(64), 16, &memory),
            STATUS_SUCCESS);
  char buffer[16];
  EXPECT_EXIT((void)WdfMemoryCopyToBuffer(memory, 0, buffer, 16),
              ::testing::KilledBySignal(SIGSEGV), "");
  WdfObjectDelete(memory);
}

}  // namespace
}  // namespace umatest
