// SPDX-License-Identifier: Apache-2.0
// src/failure.cpp - status mapping and the per-thread record of the last failure.
#include "failure.h"

#include <signal.h>

#include <cstdio>

#include "user_range.h"

namespace umaccess::detail {
namespace {

// Written only on failure paths, never on a successful access.
__thread umaccess_failure t_last_failure;
__thread bool t_has_failure = false;

umaccess_ntstatus record(const Operation& op, umaccess_ntstatus status, std::uintptr_t address,
                         bool is_write, std::size_t done, int signo, int si_code,
                         const char* kernel) {
  t_last_failure = umaccess_failure{status, is_write ? 1 : 0, address, done,
                                    signo,  si_code,          op.name, kernel};
  t_has_failure = true;
  return status;
}

// SIGSEGV: the page is unmapped or forbids the access. SIGBUS: the mapping exists but its
// backing (a file, shared memory) cannot supply the page, or hardware reported poison;
// Windows raises STATUS_IN_PAGE_ERROR for the same mapped-file failures. BUS_ADRALN is
// an alignment-check trap.
umaccess_ntstatus status_from_signal(int signo, int si_code) {
  if (signo == SIGBUS)
    return si_code == BUS_ADRALN ? STATUS_DATATYPE_MISALIGNMENT : STATUS_IN_PAGE_ERROR;
  return STATUS_ACCESS_VIOLATION;
}

const char* signal_name(int signo) { return signo == SIGBUS ? "SIGBUS" : "SIGSEGV"; }

}  // namespace

umaccess_ntstatus fail_range(const Operation& op, const void* address, bool is_write,
                             std::size_t* bytes_done) {
  report_done(bytes_done, 0);
  const auto p = reinterpret_cast<std::uintptr_t>(address);
  return record(op, STATUS_ACCESS_VIOLATION, first_address_outside(current_user_range(), p),
                is_write, 0, 0, 0, nullptr);
}

umaccess_ntstatus fail_fault(const Operation& op, std::size_t done, const uma_fault_record& rec,
                             std::size_t* bytes_done) {
  const bool is_write = FaultInfo::is_write(rec.info);
  const int signo = FaultInfo::signo(rec.info);
  const int si_code = FaultInfo::si_code(rec.info);
  if (FaultInfo::direction_unknown(rec.info) &&
      (op.reads == Side::Kernel || op.writes == Side::Kernel)) {
    // Not a page fault: a general-protection fault on a non-canonical address. User
    // pointers passed the range check, so it was the caller's own buffer.
    char message[160];
    std::snprintf(message, sizeof message,
                  "a kernel-side buffer pointer is not a canonical address (general-protection "
                  "fault, %s) after %zu bytes: the caller passed a bad buffer of its own",
                  signal_name(signo), done);
    bug_check_in(op.name, PAGE_FAULT_IN_NONPAGED_AREA, rec.address, 0, 0, 0, message);
  }
  if ((is_write ? op.writes : op.reads) == Side::Kernel) {
    char message[192];
    std::snprintf(message, sizeof message,
                  "%s of the kernel-side %s buffer at %#lx faulted (%s, si_code %d) after %zu "
                  "bytes: the caller passed a bad buffer of its own",
                  is_write ? "write" : "read", is_write ? "destination" : "source",
                  static_cast<unsigned long>(rec.address), signal_name(signo), si_code, done);
    bug_check_in(op.name, PAGE_FAULT_IN_NONPAGED_AREA, rec.address, is_write ? 1 : 0, 0, 0,
                 message);
  }
  report_done(bytes_done, done);
  return record(op, status_from_signal(signo, si_code), rec.address, is_write, done, signo,
                si_code, rec.kernel);
}

umaccess_ntstatus fail_check(const Operation& op, umaccess_ntstatus status, const void* address,
                             bool is_write) {
  return record(op, status, reinterpret_cast<std::uintptr_t>(address), is_write, 0, 0, 0, nullptr);
}

}  // namespace umaccess::detail

extern "C" int umaccess_last_failure(umaccess_failure* out) {
  using namespace umaccess::detail;
  if (!t_has_failure) return 0;
  if (out != nullptr) *out = t_last_failure;
  return 1;
}
