// SPDX-License-Identifier: Apache-2.0
// src/cxx_api.cpp - the out-of-line parts of the C++ API (umaccess.hpp).
#include <cerrno>
#include <cstdio>
#include <stdexcept>
#include <system_error>

#include "fatal.h"
#include "umaccess/nt_types.h"
#include "umaccess/umaccess.hpp"

namespace umaccess {

namespace {

// What the failure means, for the exception message.
const char* cause(const umaccess_failure& f) {
  if (f.signal == 0) {
    if (f.status == STATUS_DATATYPE_MISALIGNMENT) return "misaligned for the required alignment";
    if (f.status == STATUS_INVALID_PARAMETER) return "invalid alignment (not a power of two)";
    if (f.status == STATUS_WORKING_SET_QUOTA)
      return "the pages could not be locked: RLIMIT_MEMLOCK (raise `ulimit -l` or grant CAP_IPC_LOCK)";
    if (f.status == STATUS_INSUFFICIENT_RESOURCES) return "the pages could not be locked";
    return "outside the user address range";
  }
  if (f.status == STATUS_IN_PAGE_ERROR) return "its mapping cannot supply the page (SIGBUS)";
  return "unmapped or not accessible (SIGSEGV)";
}

}  // namespace

const char* status_name(NtStatus status) noexcept {
  // Every status the headers define, named by the header's own macros (one list to keep).
#define UMACCESS_STATUS_NAME(name) \
  case static_cast<std::uint32_t>(name): return #name;
  switch (static_cast<std::uint32_t>(status)) {
    UMACCESS_STATUS_NAME(STATUS_SUCCESS)
    UMACCESS_STATUS_NAME(STATUS_GUARD_PAGE_VIOLATION)
    UMACCESS_STATUS_NAME(STATUS_DATATYPE_MISALIGNMENT)
    UMACCESS_STATUS_NAME(STATUS_INFO_LENGTH_MISMATCH)
    UMACCESS_STATUS_NAME(STATUS_ACCESS_VIOLATION)
    UMACCESS_STATUS_NAME(STATUS_IN_PAGE_ERROR)
    UMACCESS_STATUS_NAME(STATUS_INVALID_HANDLE)
    UMACCESS_STATUS_NAME(STATUS_INVALID_PARAMETER)
    UMACCESS_STATUS_NAME(STATUS_INVALID_DEVICE_REQUEST)
    UMACCESS_STATUS_NAME(STATUS_NO_MEMORY)
    UMACCESS_STATUS_NAME(STATUS_BUFFER_TOO_SMALL)
    UMACCESS_STATUS_NAME(STATUS_INTEGER_OVERFLOW)
    UMACCESS_STATUS_NAME(STATUS_INSUFFICIENT_RESOURCES)
    UMACCESS_STATUS_NAME(STATUS_WORKING_SET_QUOTA)
    UMACCESS_STATUS_NAME(STATUS_INVALID_USER_BUFFER)
    UMACCESS_STATUS_NAME(STATUS_INVALID_BUFFER_SIZE)
    UMACCESS_STATUS_NAME(STATUS_PENDING)
    UMACCESS_STATUS_NAME(STATUS_BUFFER_OVERFLOW)
    UMACCESS_STATUS_NAME(STATUS_UNSUCCESSFUL)
    UMACCESS_STATUS_NAME(STATUS_NOT_IMPLEMENTED)
    UMACCESS_STATUS_NAME(STATUS_END_OF_FILE)
    UMACCESS_STATUS_NAME(STATUS_MORE_PROCESSING_REQUIRED)
    UMACCESS_STATUS_NAME(STATUS_ILLEGAL_INSTRUCTION)
    UMACCESS_STATUS_NAME(STATUS_ACCESS_DENIED)
    UMACCESS_STATUS_NAME(STATUS_OBJECT_NAME_INVALID)
    UMACCESS_STATUS_NAME(STATUS_OBJECT_NAME_NOT_FOUND)
    UMACCESS_STATUS_NAME(STATUS_OBJECT_NAME_COLLISION)
    UMACCESS_STATUS_NAME(STATUS_INSTRUCTION_MISALIGNMENT)
    UMACCESS_STATUS_NAME(STATUS_NOT_SUPPORTED)
    UMACCESS_STATUS_NAME(STATUS_INTERNAL_ERROR)
    UMACCESS_STATUS_NAME(STATUS_CANCELLED)
    UMACCESS_STATUS_NAME(STATUS_INVALID_DEVICE_STATE)
    UMACCESS_STATUS_NAME(STATUS_ASSERTION_FAILURE)
    UMACCESS_STATUS_NAME(STATUS_INVALID_INFO_CLASS)
    UMACCESS_STATUS_NAME(STATUS_OBJECT_PATH_NOT_FOUND)
    UMACCESS_STATUS_NAME(STATUS_OBJECT_PATH_SYNTAX_BAD)
    UMACCESS_STATUS_NAME(STATUS_DISK_FULL)
    UMACCESS_STATUS_NAME(STATUS_FILE_IS_A_DIRECTORY)
    UMACCESS_STATUS_NAME(STATUS_NOT_A_DIRECTORY)
    UMACCESS_STATUS_NAME(STATUS_TOO_MANY_OPENED_FILES)
    default: return "NTSTATUS";
  }
#undef UMACCESS_STATUS_NAME
}

StructuredException::StructuredException(NtStatus code, std::uintptr_t address, bool is_write,
                                         std::size_t bytes_copied, const char* operation) noexcept
    : code_(code),
      is_write_(is_write),
      address_(address),
      bytes_copied_(bytes_copied),
      operation_(operation != nullptr ? operation : "umaccess") {
  std::snprintf(what_, sizeof what_, "%s: %s (0x%08X) at user address %#lx (%s)", operation_,
                status_name(code), static_cast<unsigned>(code), static_cast<unsigned long>(address),
                is_write ? "write" : "read");
}

StructuredException::StructuredException(const umaccess_failure& f) noexcept
    : StructuredException(f.status, f.address, f.is_write != 0, f.bytes_done, f.operation) {
  kernel_ = f.kernel;
  std::snprintf(what_, sizeof what_, "%s: %s (0x%08X): %s of user address %#lx, %s; %zu bytes done",
                operation_, status_name(code_), static_cast<unsigned>(code_),
                is_write_ ? "write" : "read", static_cast<unsigned long>(address_), cause(f),
                bytes_copied_);
}

ScopedUserRange::ScopedUserRange(UserRange range) {
  if (umaccess_enter_user_range(&scope_, range.begin, range.end) != STATUS_SUCCESS) {
    char message[160];
    std::snprintf(message, sizeof message,
                  "umaccess::ScopedUserRange: invalid range [%#lx, %#lx): begin must not exceed "
                  "end, and end must not exceed the default end %#lx",
                  static_cast<unsigned long>(range.begin), static_cast<unsigned long>(range.end),
                  static_cast<unsigned long>(default_user_range().end));
    throw std::invalid_argument(message);
  }
}

ScopedUserRange::~ScopedUserRange() { umaccess_leave_user_range(&scope_); }

void install_fault_handler() {
  if (umaccess_install_fault_handler() != 0)
    throw std::system_error(errno, std::generic_category(),
                            "umaccess: cannot install the SIGSEGV/SIGBUS handler");
}

namespace detail {

void raise_last_failure(NtStatus status) {
  umaccess_failure f;
  if (umaccess_last_failure(&f) && f.status == status) throw StructuredException(f);
  throw StructuredException(status, 0, false);
}

void raise_raw_failure(umaccess_operation op, std::size_t len, std::size_t left,
                       const umaccess_fault_record& record) {
  raise_last_failure(umaccess_raw_status(op, len, left, &record, nullptr));
}

void raise_access_failure(const char* operation, const umaccess_fault_record& record) {
  raise_last_failure(umaccess_raw_access_status(operation, &record));
}

bool filter_accepts(long filter_result) {
  if (filter_result < 0)
    fatal("an exception filter returned EXCEPTION_CONTINUE_EXECUTION: resuming at the faulting "
          "instruction is not possible with C++ exceptions");
  return filter_result > 0;
}

}  // namespace detail

}  // namespace umaccess
