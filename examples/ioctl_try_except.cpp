// SPDX-License-Identifier: Apache-2.0
// examples/ioctl_try_except.cpp - a METHOD_NEITHER IOCTL dispatch routine ported from Windows:
// ProbeForRead/ProbeForWrite + RtlCopyMemory inside __try/__except become the user-mode
// accessors inside UMA_TRY/UMA_EXCEPT. The Windows original is below, then the port with
// each change and its reason, then a main() that plays the I/O manager and the calling
// process: good buffers, a NULL or hostile input pointer, an output buffer on a read-only
// page or running into a guard page, short and misaligned buffers. It checks each status,
// the bytes returned, and that nothing outside the output buffer changed; it exits 0 only
// if every request ended as expected (CI runs it).
//
// ---- The Windows original (WDM, METHOD_NEITHER) -----------------------------------------
/*
  #define IOCTL_SAMPLE_COUNTERS \
      CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_NEITHER, FILE_ANY_ACCESS)

  NTSTATUS SampleDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
  {
      PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);
      PSAMPLE_EXTENSION ext = DeviceObject->DeviceExtension;
      ULONG inLength = irpSp->Parameters.DeviceIoControl.InputBufferLength;
      ULONG outLength = irpSp->Parameters.DeviceIoControl.OutputBufferLength;
      PVOID inBuf = irpSp->Parameters.DeviceIoControl.Type3InputBuffer;
      PVOID outBuf = Irp->UserBuffer;
      NTSTATUS status = STATUS_SUCCESS;
      SAMPLE_QUERY query;
      SAMPLE_COUNTERS counters;

      Irp->IoStatus.Information = 0;
      switch (irpSp->Parameters.DeviceIoControl.IoControlCode) {
      case IOCTL_SAMPLE_COUNTERS:
          if (inLength < sizeof(SAMPLE_QUERY) || outLength < sizeof(SAMPLE_COUNTERS)) {
              status = STATUS_BUFFER_TOO_SMALL;
              break;
          }
          __try {
              // METHOD_NEITHER: both buffers are raw pointers from the caller.
              ProbeForRead(inBuf, sizeof(SAMPLE_QUERY), TYPE_ALIGNMENT(SAMPLE_QUERY));
              RtlCopyMemory(&query, inBuf, sizeof(SAMPLE_QUERY));
              if (query.Version == SAMPLE_VERSION) {
                  SampleSnapshotCounters(ext, &counters);
                  ProbeForWrite(outBuf, sizeof(SAMPLE_COUNTERS),
                                TYPE_ALIGNMENT(SAMPLE_COUNTERS));
                  RtlCopyMemory(outBuf, &counters, sizeof(SAMPLE_COUNTERS));
                  Irp->IoStatus.Information = sizeof(SAMPLE_COUNTERS);
              } else {
                  status = STATUS_INVALID_PARAMETER;
              }
          } __except (EXCEPTION_EXECUTE_HANDLER) {
              status = GetExceptionCode();
          }
          break;
      default:
          status = STATUS_INVALID_DEVICE_REQUEST;
          break;
      }
      Irp->IoStatus.Status = status;
      IoCompleteRequest(Irp, IO_NO_INCREMENT);
      return status;
  }
*/
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "umaccess/usermode_accessors.h"

namespace {

// ---- The I/O manager's side, reduced to the fields this dispatch routine reads -----------
// (Not the Windows layouts; umaccess/wdm.h's IRP holds only MdlAddress, so this example
// does not include it.)

struct DEVICE_OBJECT {
  PVOID DeviceExtension;
};
using PDEVICE_OBJECT = DEVICE_OBJECT*;
struct IO_STATUS_BLOCK {
  NTSTATUS Status;
  ULONG_PTR Information;
};
struct IO_STACK_LOCATION {
  struct {
    struct {
      ULONG OutputBufferLength;
      ULONG InputBufferLength;
      ULONG IoControlCode;
      PVOID Type3InputBuffer;
    } DeviceIoControl;
  } Parameters;
};
using PIO_STACK_LOCATION = IO_STACK_LOCATION*;
struct IRP {
  KPROCESSOR_MODE RequestorMode;
  PVOID UserBuffer;
  IO_STATUS_BLOCK IoStatus;
  IO_STACK_LOCATION Stack;
};
using PIRP = IRP*;
PIO_STACK_LOCATION IoGetCurrentIrpStackLocation(PIRP Irp) { return &Irp->Stack; }
void IoCompleteRequest(PIRP, CCHAR) {}
constexpr CCHAR IO_NO_INCREMENT = 0;

constexpr ULONG CTL_CODE(ULONG DeviceType, ULONG Function, ULONG Method, ULONG Access) {
  return (DeviceType << 16) | (Access << 14) | (Function << 2) | Method;
}
constexpr ULONG FILE_DEVICE_UNKNOWN = 0x22, METHOD_NEITHER = 3, FILE_ANY_ACCESS = 0;
#define TYPE_ALIGNMENT(t) alignof(t)

// ---- The driver's types ------------------------------------------------------------------

constexpr ULONG IOCTL_SAMPLE_COUNTERS =
    CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_NEITHER, FILE_ANY_ACCESS);
constexpr ULONG SAMPLE_VERSION = 2;

struct SAMPLE_QUERY {
  ULONG Version;
  ULONG Flags;
};
struct SAMPLE_COUNTERS {
  ULONG Version;
  ULONG OpenHandles;
  ULONG64 BytesRead;
  ULONG64 BytesWritten;
};
struct SAMPLE_EXTENSION {
  SAMPLE_COUNTERS Counters;
};
using PSAMPLE_EXTENSION = SAMPLE_EXTENSION*;

void SampleSnapshotCounters(PSAMPLE_EXTENSION Extension, SAMPLE_COUNTERS* Counters) {
  *Counters = Extension->Counters;
  Counters->Version = SAMPLE_VERSION;
}

// ---- The port ----------------------------------------------------------------------------

NTSTATUS SampleDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);
  // Change: a cast, as C++ wants one from PVOID (C converted implicitly).
  auto ext = static_cast<PSAMPLE_EXTENSION>(DeviceObject->DeviceExtension);
  ULONG inLength = irpSp->Parameters.DeviceIoControl.InputBufferLength;
  ULONG outLength = irpSp->Parameters.DeviceIoControl.OutputBufferLength;
  PVOID inBuf = irpSp->Parameters.DeviceIoControl.Type3InputBuffer;
  PVOID outBuf = Irp->UserBuffer;
  NTSTATUS status = STATUS_SUCCESS;
  SAMPLE_QUERY query;
  SAMPLE_COUNTERS counters;

  Irp->IoStatus.Information = 0;
  switch (irpSp->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_SAMPLE_COUNTERS:
      if (inLength < sizeof(SAMPLE_QUERY) || outLength < sizeof(SAMPLE_COUNTERS)) {
        status = STATUS_BUFFER_TOO_SMALL;
        break;
      }
      // Change: __try becomes UMA_TRY (a C++ try block; umaccess raises a C++ exception
      // where Windows raises a structured exception).
      UMA_TRY {
        // Change: ProbeForRead + RtlCopyMemory become one CopyFromUserAligned. The accessor
        // checks the alignment and the user range, as the probe did, and then copies in
        // fault-safe assembly: a plain memcpy from a bad user pointer would kill the
        // process on Linux, because no __except catches a SIGSEGV. In one call, the range
        // checked is always the range copied (probing one length and copying another is a
        // classic bug). Without the alignment requirement: plain CopyFromUser.
        CopyFromUserAligned(&query, inBuf, sizeof(SAMPLE_QUERY), TYPE_ALIGNMENT(SAMPLE_QUERY));
        if (query.Version == SAMPLE_VERSION) {
          SampleSnapshotCounters(ext, &counters);
          // Change: ProbeForWrite + RtlCopyMemory become one CopyToUserAligned, for the same
          // reasons. One difference shows: ProbeForWrite touched every page first, so a
          // buffer running into a guard page got nothing written; CopyToUserAligned writes
          // the bytes before the bad page, then raises. The caller sees the same failure
          // (the status, Information 0); the probe was never a guarantee anyway, since the
          // process can unmap the page between the probe and the copy.
          CopyToUserAligned(outBuf, &counters, sizeof(SAMPLE_COUNTERS),
                            TYPE_ALIGNMENT(SAMPLE_COUNTERS));
          Irp->IoStatus.Information = sizeof(SAMPLE_COUNTERS);
        } else {
          status = STATUS_INVALID_PARAMETER;
        }
        // Change: __except becomes UMA_EXCEPT, and its block ends with UMA_END_EXCEPT. The
        // filter and GetExceptionCode() stay. A routine that also serves kernel-mode callers
        // would use CopyFromModeAligned / CopyToModeAligned with Irp->RequestorMode and
        // filter with UmaExceptionFilter(Irp->RequestorMode).
      } UMA_EXCEPT (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
      } UMA_END_EXCEPT
      break;
    default:
      status = STATUS_INVALID_DEVICE_REQUEST;
      break;
  }
  Irp->IoStatus.Status = status;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

// ---- The I/O manager and the calling process ---------------------------------------------

struct Request {
  const char* what;
  void* input;
  ULONG input_length;
  void* output;
  ULONG output_length;
  ULONG code;
  NTSTATUS want_status;
  ULONG_PTR want_information;
  size_t bytes_written;  // of the reply, at the output buffer's start (a failed copy's prefix)
};

}  // namespace

int main() {
  // The calling process: four pages made the user range. Page 0 holds the input, page 1
  // the output; page 2 is an inaccessible guard page and page 3 is read-only.
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  auto* process = static_cast<unsigned char*>(
      mmap(nullptr, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (process == MAP_FAILED) return 2;
  unsigned char* guard = process + 2 * page;
  unsigned char* read_only = process + 3 * page;
  std::memset(process, 0xCD, 4 * page);  // a canary everywhere nothing may be written
  mprotect(guard, page, PROT_NONE);
  mprotect(read_only, page, PROT_READ);
  umaccess::ScopedUserRange user({reinterpret_cast<std::uintptr_t>(process),
                                  reinterpret_cast<std::uintptr_t>(process + 4 * page)});
  // The readable pages, where the check below looks for stray writes.
  const std::pair<unsigned char*, size_t> readable[] = {{process, 2 * page}, {read_only, page}};

  SAMPLE_EXTENSION extension{{0, 3, 1u << 20, 4096}};
  DEVICE_OBJECT device{&extension};
  SAMPLE_COUNTERS reply;
  SampleSnapshotCounters(&extension, &reply);

  const SAMPLE_QUERY good_query{SAMPLE_VERSION, 0}, old_query{1, 0};
  unsigned char* query = process;
  unsigned char* misaligned_query = process + 0x101;
  unsigned char* stale_query = process + 0x200;
  std::memcpy(query, &good_query, sizeof good_query);
  std::memcpy(misaligned_query, &good_query, sizeof good_query);
  std::memcpy(stale_query, &old_query, sizeof old_query);
  unsigned char* out = process + page;
  const ULONG in_len = sizeof(SAMPLE_QUERY), out_len = sizeof(SAMPLE_COUNTERS);
  const ULONG ioctl = IOCTL_SAMPLE_COUNTERS;
  const NTSTATUS av = STATUS_ACCESS_VIOLATION;

  const std::vector<Request> requests = {
      {"good buffers (output larger than needed)", query, in_len, out, 64, ioctl,
       STATUS_SUCCESS, out_len, out_len},
      {"NULL input buffer", nullptr, in_len, out, out_len, ioctl, av, 0, 0},
      {"input pointing into the driver's own memory", &extension, in_len, out, out_len, ioctl,
       av, 0, 0},
      {"input on the guard page", guard, in_len, out, out_len, ioctl, av, 0, 0},
      {"misaligned input", misaligned_query, in_len, out, out_len, ioctl,
       STATUS_DATATYPE_MISALIGNMENT, 0, 0},
      {"unsupported query version", stale_query, in_len, out, out_len, ioctl,
       STATUS_INVALID_PARAMETER, 0, 0},
      {"output on a read-only page", query, in_len, read_only, out_len, ioctl, av, 0, 0},
      {"output running into the guard page", query, in_len, guard - 8, out_len, ioctl, av, 0,
       8},
      {"output beyond the process", query, in_len, process + 4 * page, out_len, ioctl, av, 0,
       0},
      {"output too small", query, in_len, out, out_len - 1, ioctl, STATUS_BUFFER_TOO_SMALL,
       0, 0},
      {"input too small", query, in_len - 1, out, out_len, ioctl, STATUS_BUFFER_TOO_SMALL, 0,
       0},
      {"unknown control code", query, in_len, out, out_len, ioctl + 4,
       STATUS_INVALID_DEVICE_REQUEST, 0, 0},
  };

  int failures = 0;
  for (const Request& r : requests) {
    // The process's memory before the request: afterwards only the reply's first
    // r.bytes_written bytes at r.output may differ.
    std::vector<unsigned char> before;
    for (const auto& [begin, length] : readable) before.insert(before.end(), begin, begin + length);

    IRP irp{};
    irp.RequestorMode = UserMode;
    irp.UserBuffer = r.output;
    irp.Stack.Parameters.DeviceIoControl = {r.output_length, r.input_length, r.code, r.input};
    const NTSTATUS status = SampleDeviceControl(&device, &irp);

    size_t stray = 0, reply_mismatch = 0, index = 0;
    const auto* output = static_cast<const unsigned char*>(r.output);
    const auto* reply_bytes = reinterpret_cast<const unsigned char*>(&reply);
    for (const auto& [begin, length] : readable) {
      for (const unsigned char* at = begin; at < begin + length; ++at, ++index) {
        if (at >= output && at < output + r.bytes_written)
          reply_mismatch += *at != reply_bytes[at - output];
        else
          stray += *at != before[index];
      }
    }
    const bool ok = status == r.want_status && irp.IoStatus.Status == status &&
                    irp.IoStatus.Information == r.want_information && stray == 0 &&
                    reply_mismatch == 0;
    std::printf("%-44s 0x%08X %-28s Information %2zu%s\n", r.what,
                static_cast<unsigned>(status), umaccess::status_name(status),
                static_cast<size_t>(irp.IoStatus.Information), ok ? "" : "  <- unexpected");
    if (!ok) {
      std::printf("  expected %s, Information %zu; %zu bytes changed outside the reply, %zu "
                  "reply bytes wrong\n", umaccess::status_name(r.want_status),
                  static_cast<size_t>(r.want_information), stray, reply_mismatch);
      ++failures;
    }
  }
  std::printf(failures == 0 ? "all requests ended as expected\n" : "%d unexpected outcomes\n",
              failures);
  munmap(process, 4 * page);
  return failures == 0 ? 0 : 1;
}
