// SPDX-License-Identifier: Apache-2.0
// examples/ioctl_direct_io.cpp - a driver-style IOCTL with direct I/O, ported from the usual
// Windows shape: the caller's output buffer is described by an MDL, probed and locked for
// writing, mapped to a "system" address, and filled through a WDF memory object; the input
// comes from a read-only WDF memory object over the caller's input buffer.
//
// The "process" is a guest region made the user range with ScopedUserRange, as an emulator
// would do. Three requests run: a good one, one whose output buffer runs into an inaccessible
// page, and one whose output pointer lies outside the guest. The program exits 0 only if
// each ends as it must (CI runs it).
#include <sys/mman.h>

#include <cstdio>
#include <cstring>

#include "umaccess/usermode_accessors.h"
#include "umaccess/wdfmemory.h"
#include "umaccess/wdm.h"

namespace {

// The driver side: handle one request, METHOD_OUT_DIRECT style.
NTSTATUS HandleEchoUpper(void* InputBuffer, size_t InputLength, void* OutputBuffer,
                         ULONG OutputLength, KPROCESSOR_MODE RequestorMode, size_t* Information) {
  *Information = 0;
  if (InputLength == 0 || InputLength > 256 || OutputLength < InputLength)
    return STATUS_INVALID_PARAMETER;

  // The input: captured once into kernel memory (never read twice from user memory).
  char request[256];
  NTSTATUS status = STATUS_SUCCESS;
  UMA_TRY {
    CopyFromMode(request, InputBuffer, InputLength, RequestorMode);
  } UMA_EXCEPT (UmaExceptionFilter(RequestorMode)) {
    status = GetExceptionCode();
  } UMA_END_EXCEPT
  if (!NT_SUCCESS(status)) return status;
  WDFMEMORY input;
  status = UmaWdfMemoryCreatePreallocatedReadOnly(WDF_NO_OBJECT_ATTRIBUTES, request, InputLength,
                                                  &input);
  if (!NT_SUCCESS(status)) return status;

  // The output: an MDL, probed and locked for writing, then mapped.
  PMDL mdl = IoAllocateMdl(OutputBuffer, OutputLength, FALSE, FALSE, nullptr);
  if (mdl == nullptr) {
    WdfObjectDelete(input);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  UMA_TRY {
    MmProbeAndLockPages(mdl, RequestorMode, IoWriteAccess);
  } UMA_EXCEPT (EXCEPTION_EXECUTE_HANDLER) {
    status = GetExceptionCode();
  } UMA_END_EXCEPT
  if (!NT_SUCCESS(status)) {
    IoFreeMdl(mdl);
    WdfObjectDelete(input);
    return status;
  }
  void* system = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority | MdlMappingNoExecute);
  WDFMEMORY output;
  if (system == nullptr) {
    status = STATUS_INSUFFICIENT_RESOURCES;
  } else {
    status = WdfMemoryCreatePreallocated(WDF_NO_OBJECT_ATTRIBUTES, system, OutputLength, &output);
  }
  if (NT_SUCCESS(status)) {
    char reply[256];
    status = WdfMemoryCopyToBuffer(input, 0, reply, InputLength);
    for (size_t i = 0; NT_SUCCESS(status) && i < InputLength; ++i)
      if (reply[i] >= 'a' && reply[i] <= 'z') reply[i] = static_cast<char>(reply[i] - 'a' + 'A');
    if (NT_SUCCESS(status)) status = WdfMemoryCopyFromBuffer(output, 0, reply, InputLength);
    if (NT_SUCCESS(status)) *Information = InputLength;
    WdfObjectDelete(output);
  }
  MmUnlockPages(mdl);
  IoFreeMdl(mdl);
  WdfObjectDelete(input);
  return status;
}

int g_failures = 0;

void expect(const char* what, NTSTATUS got, NTSTATUS want) {
  std::printf("%-48s %s (0x%08X)\n", what, umaccess::status_name(got), static_cast<unsigned>(got));
  if (got != want) {
    std::printf("  expected %s\n", umaccess::status_name(want));
    ++g_failures;
  }
}

}  // namespace

int main() {
  // The guest: four pages; the third is inaccessible.
  const size_t page = 4096;
  auto* guest = static_cast<char*>(
      mmap(nullptr, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (guest == MAP_FAILED) return 2;
  mprotect(guest + 2 * page, page, PROT_NONE);
  umaccess::ScopedUserRange process({reinterpret_cast<std::uintptr_t>(guest),
                                     reinterpret_cast<std::uintptr_t>(guest + 3 * page)});

  const char text[] = "hello from the guest";
  std::memcpy(guest, text, sizeof text);
  char* out = guest + page;
  size_t information = 0;

  expect("good request", HandleEchoUpper(guest, sizeof text, out, 64, UserMode, &information),
         STATUS_SUCCESS);
  std::printf("  reply: \"%s\" (%zu bytes)\n", out, information);
  if (std::strcmp(out, "HELLO FROM THE GUEST") != 0) ++g_failures;

  expect("output runs into an inaccessible page",
         HandleEchoUpper(guest, sizeof text, guest + 2 * page - 16, 64, UserMode, &information),
         STATUS_ACCESS_VIOLATION);
  expect("output outside the guest",
         HandleEchoUpper(guest, sizeof text, guest + 4 * page, 64, UserMode, &information),
         STATUS_ACCESS_VIOLATION);
  expect("input outside the guest",
         HandleEchoUpper(guest - page, 16, out, 64, UserMode, &information),
         STATUS_ACCESS_VIOLATION);
  std::printf(g_failures == 0 ? "all requests ended as expected\n" : "%d unexpected outcomes\n",
              g_failures);
  return g_failures == 0 ? 0 : 1;
}
