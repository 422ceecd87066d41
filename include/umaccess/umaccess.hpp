// SPDX-License-Identifier: Apache-2.0
// umaccess/umaccess.hpp - the C++ API: the exception user-mode accessors raise, the user
// address range, the fault handler, bug checks, kernel variant dispatch, and the porting
// aid for Windows __try/__except blocks. The Windows-named accessors themselves are in
// usermode_accessors.h.
#pragma once

#include <signal.h>

#include <cstddef>
#include <cstdint>
#include <utility>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "umaccess/umaccess.h"

namespace umaccess {

using NtStatus = umaccess_ntstatus;

// What a user-mode accessor raises instead of a Windows structured exception.
class UMACCESS_API StructuredException : public std::exception {
 public:
  StructuredException(NtStatus code, std::uintptr_t address, bool is_write,
                      std::size_t bytes_copied = 0, const char* operation = nullptr) noexcept;
  explicit StructuredException(const umaccess_failure& failure) noexcept;

  NtStatus code() const noexcept { return code_; }
  // The inaccessible, out-of-range or misaligned address.
  std::uintptr_t address() const noexcept { return address_; }
  bool is_write() const noexcept { return is_write_; }
  // Leading bytes the failed operation completed (the destination beyond is unmodified).
  std::size_t bytes_copied() const noexcept { return bytes_copied_; }
  // The Windows name of the operation that raised, e.g. "CopyFromUser".
  const char* operation() const noexcept { return operation_; }
  // The assembly kernel that faulted, e.g. "uma_copy_avx2"; nullptr if a check failed
  // before any memory was touched.
  const char* kernel() const noexcept { return kernel_; }
  const char* what() const noexcept override { return what_; }

 private:
  NtStatus code_;
  bool is_write_;
  std::uintptr_t address_;
  std::size_t bytes_copied_;
  const char* operation_;
  const char* kernel_ = nullptr;
  char what_[192];
};

// The name of a status, e.g. "STATUS_ACCESS_VIOLATION" (or "NTSTATUS" if unknown here).
UMACCESS_API const char* status_name(NtStatus status) noexcept;

// ---- The user address range -------------------------------------------------------------

struct UserRange {
  std::uintptr_t begin;
  std::uintptr_t end;  // exclusive; MmUserProbeAddress
};

// The range in effect on this thread, and the process default (every address the host
// kernel can give this process).
inline UserRange user_range() {
  const umaccess_user_range r = umaccess_get_user_range();
  return {r.begin, r.end};
}
inline UserRange default_user_range() {
  const umaccess_user_range r = umaccess_default_user_range();
  return {r.begin, r.end};
}

// Narrows (or switches) this thread's user range for the lifetime of the object, like
// attaching to a process: an emulator sets it to its guest region so that a guest pointer
// outside it raises STATUS_ACCESS_VIOLATION before any memory is touched. Scopes nest
// (the innermost wins) and are per thread. Throws std::invalid_argument if begin > end or
// the range reaches beyond the default range.
class UMACCESS_API ScopedUserRange {
 public:
  explicit ScopedUserRange(UserRange range);
  ~ScopedUserRange();
  ScopedUserRange(const ScopedUserRange&) = delete;
  ScopedUserRange& operator=(const ScopedUserRange&) = delete;

 private:
  umaccess_range_scope scope_;
};

// ---- The fault handler -------------------------------------------------------------------

// Installs the SIGSEGV/SIGBUS handler now (otherwise done before the first user-mode
// access). Idempotent; re-installs in front of a handler that replaced ours. Throws
// std::system_error if sigaction fails.
UMACCESS_API void install_fault_handler();

// First-chance entry for hosts whose crash reporter or runtime owns the signal handlers:
// call it first from your SIGSEGV/SIGBUS handler; if it returns true the fault belonged to
// a umaccess kernel, the context now resumes in its recovery code, and your handler must
// return immediately.
inline bool try_handle_signal(int sig, siginfo_t* info, void* ucontext) noexcept {
  return umaccess_try_handle_signal(sig, info, ucontext) != 0;
}

// Demand paging: `resolver(address, is_write, context)` runs inside the signal handler for
// each fault of a user-mode operation; returning nonzero says the page is now accessible and
// the faulting instruction runs again. See umaccess_set_fault_resolver in umaccess.h.
inline void set_fault_resolver(umaccess_fault_resolver resolver, void* context = nullptr) {
  umaccess_set_fault_resolver(resolver, context);
}

// ---- Bug checks -------------------------------------------------------------------------

using BugCheckCallback = umaccess_bug_check_callback;
using BugCheckInfo = umaccess_bug_check_info;

// The host's reaction to a bug check (a fault on a kernel-side buffer). The callback may
// throw; if it returns, the process aborts after printing the bug check.
inline void set_bug_check_callback(BugCheckCallback callback, void* context = nullptr) {
  umaccess_set_bug_check_callback(callback, context);
}
[[noreturn]] inline void bug_check(std::uint32_t code, std::uintptr_t p1 = 0,
                                   std::uintptr_t p2 = 0, std::uintptr_t p3 = 0,
                                   std::uintptr_t p4 = 0) {
  umaccess_bug_check(code, p1, p2, p3, p4);
}

// ---- Kernel variants ----------------------------------------------------------------------
//
// Copies run in assembly kernels grouped in named variants (avx512, evex, avx2, sse2, erms).
// `auto` picks the widest variant this CPU runs without penalty; thresholds then choose,
// per operation and length, between the variant's vector kernels, rep movsb/stosb and
// non-temporal stores. Each choice comes from the highest of four sources: these calls,
// the environment (UMACCESS_VARIANT, UMACCESS_REP_MOVSB_THRESHOLD,
// UMACCESS_REP_STOSB_THRESHOLD, UMACCESS_NT_THRESHOLD for copies and
// UMACCESS_NT_FILL_THRESHOLD for fills, read at load time), a profile
// measured on this machine by umaccess-calibrate (UMACCESS_PROFILE, else
// $XDG_CONFIG_HOME/umaccess/profile or ~/.config/umaccess/profile, else
// /etc/umaccess/profile; UMACCESS_PROFILE= with no value turns profiles off), then the
// built-in policy. A setuid (AT_SECURE) process ignores the environment and the per-user
// profile.

namespace dispatch {

inline constexpr std::size_t kNever = SIZE_MAX;  // a size class that is never used

// Where a choice came from, highest precedence last.
enum class Source { Policy, Profile, Environment, Api };
UMACCESS_API const char* source_name(Source s);  // "policy", "profile", "environment", "api"

struct Variant {
  std::string name;
  std::string description;
  bool supported;       // this CPU can run it
  std::string missing;  // the CPU features it lacks, if not supported
};

// set_thresholds() only: the fills' streaming threshold gets no pin from this call; the
// environment's or the profile's applies, else it follows the copies' threshold in force
// (on AMD never below the L3 size; docs/dispatch.md). thresholds() never reads it back.
inline constexpr std::size_t kFromCopies = kNever - 1;

// Every field is a length in bytes from which a size class starts (kNever: not used).
struct Thresholds {
  std::size_t rep_movsb;     // copies use rep movsb from this length (below non_temporal)
  std::size_t rep_stosb;     // fills use rep stosb from this length (below non_temporal_fill)
  std::size_t non_temporal;  // copies use streaming stores from this length
  // Fills use streaming stores from this length. Left out of a braced initializer it is
  // kFromCopies, so with {movsb, stosb, nt} fills keep following the copies' threshold.
  std::size_t non_temporal_fill = kFromCopies;
};

enum class Operation {
  Copy,             // CopyFromUser, CopyToUser, CopyToUserFromUser, non-overlapping moves
  Move,             // MoveToUserFromUser with overlapping buffers
  CopyNonTemporal,  // the ...NonTemporal copies
  Fill,             // FillUserMemory, SetUserMemory, ZeroUserMemory and Mode forms
  StringLength,     // StringLengthFromUser and the Mode forms, one class at every length
                    // (kernel_for ignores the length); the wide forms run the sibling
                    // kernel of the same width, uma_wcslen_*
};
UMACCESS_API const char* operation_name(Operation op);

// One size class of the plan: lengths [from, to) of `operation` run `kernel`.
struct SizeClass {
  Operation operation;
  std::size_t from;
  std::size_t to;  // kNever: no upper bound
  std::string kernel;
};

struct CpuReport {
  std::string vendor, brand, microarchitecture;
  std::string core;                // the core's common name, e.g. "Zen 5"
  std::vector<std::string> facts;  // what the policy knows of the core beyond its features
  int family, model, stepping;  // x86-64: CPUID; AArch64: MIDR implementer, part, variant<<4 | revision
  std::vector<std::pair<std::string, bool>> features;  // the ones kernel choice looks at
  std::size_t l1d_bytes, l2_bytes, l3_bytes;
  bool l3_inclusive;
  unsigned l3_sharing_threads;
  std::string cache_source;  // cpuid-leaf-4, cpuid-8000001d, cpuid-legacy-amd, sysfs, defaults
  std::string cache_note;    // a correction detection made, if any
};

struct ProfileReport {
  std::string path;    // the profile considered ("" if none)
  std::string status;  // "loaded", "none" or "ignored: <why>"
};

struct Report {
  CpuReport cpu;
  std::vector<Variant> variants;
  std::string active;  // the active variant
  std::string reason;  // why it is active
  Source active_source;
  Thresholds thresholds;
  std::string rep_movsb_reason, rep_stosb_reason, non_temporal_reason, non_temporal_fill_reason;
  Source rep_movsb_source, rep_stosb_source, non_temporal_source, non_temporal_fill_source;
  ProfileReport profile;
  std::vector<SizeClass> plan;
};

// Every compiled-in variant, supported or not, widest first (the order of umaccess-info).
UMACCESS_API std::vector<Variant> variants();
// The active variant's name, and why it was chosen.
UMACCESS_API std::string active();
UMACCESS_API std::string reason();
// A variant name, or "auto" to drop this API's choice (the environment's, the profile's
// or the policy's applies again). Throws std::invalid_argument for an unknown name or a
// variant this CPU cannot run (never executes an unsupported instruction). Thresholds that
// were not set explicitly are derived again for the new variant.
UMACCESS_API void select(std::string_view name);

UMACCESS_API Thresholds thresholds();
// Pins the thresholds (until reset_thresholds()), whatever the variant: all four, or three
// with non_temporal_fill = kFromCopies. A rep-string
// threshold has no effect where the variant has no rep-string class (AArch64): thresholds()
// then reads back kNever and the reason says the pin is unused.
UMACCESS_API void set_thresholds(const Thresholds& t);
// Drops the pins set_thresholds made: back to the environment's, the profile's or the
// policy's values.
UMACCESS_API void reset_thresholds();

// The kernel that runs `operation` on `length` bytes under the current plan. One exception:
// on AMD Zen 1-4 a copy in the rep movsb class whose dst - src is within 63 bytes of 0
// modulo 4096 runs the vector loop instead (page aliasing, docs/dispatch.md).
UMACCESS_API std::string kernel_for(Operation operation, std::size_t length);
// Everything above in one report, and that report as umaccess-info prints it.
UMACCESS_API Report describe();
enum class ReportFormat { Text, Json };
UMACCESS_API std::string format(const Report& report, ReportFormat as = ReportFormat::Text);

}  // namespace dispatch

// ---- Internals used by the inline layer --------------------------------------------------

namespace detail {

// Throws the StructuredException for this thread's last failure (status as returned).
[[noreturn]] UMACCESS_API void raise_last_failure(NtStatus status);

inline void raise_on_failure(NtStatus status) {
  if (__builtin_expect(status != 0, 0)) raise_last_failure(status);
}

// Throws for a raw entry's non-zero result (or bug-checks a kernel-side fault).
[[noreturn]] UMACCESS_API void raise_raw_failure(umaccess_operation op, std::size_t len,
                                                 std::size_t left,
                                                 const umaccess_fault_record& record);

inline void check_raw(umaccess_operation op, std::size_t len, std::size_t left,
                      const umaccess_fault_record& record) {
  if (__builtin_expect(left != 0, 0)) raise_raw_failure(op, len, left, record);
}

// Throws for a raw single-access entry's failure (umaccess_raw_read, ...) of `operation`.
[[noreturn]] UMACCESS_API void raise_access_failure(const char* operation,
                                                    const umaccess_fault_record& record);

// The exception record of a caught StructuredException, as GetExceptionInformation() gives
// it inside UMA_EXCEPT's filter and block (see nt_types.h for the fields). Lives as long as
// the catch block that declares it.
class ExceptionPointers {
 public:
  explicit ExceptionPointers(const StructuredException& e) noexcept : record_(), pointers_() {
    record_.ExceptionCode = e.code();
    record_.ExceptionFlags = 0;
    const std::uint32_t code = static_cast<std::uint32_t>(e.code());
    if (code == 0xC0000005u || code == 0xC0000006u) {  // access violation, in-page error
      record_.NumberParameters = 2;
      record_.ExceptionInformation[0] = e.is_write() ? 1 : 0;
      record_.ExceptionInformation[1] = e.address();
    }
    pointers_.ExceptionRecord = &record_;
  }
  ExceptionPointers(const ExceptionPointers&) = delete;
  ExceptionPointers& operator=(const ExceptionPointers&) = delete;
  umaccess_exception_pointers* get() noexcept { return &pointers_; }

 private:
  umaccess_exception_record record_;
  umaccess_exception_pointers pointers_;
};

// Exception filter result: > 0 handle, 0 keep searching (rethrow). Resuming at the faulting
// instruction (EXCEPTION_CONTINUE_EXECUTION, -1) has no C++ equivalent: fatal.
UMACCESS_API bool filter_accepts(long filter_result);

}  // namespace detail
}  // namespace umaccess

// ---- Porting aid: Windows __try/__except ------------------------------------------------
//
//   __try {                                   UMA_TRY {
//       CopyFromUser(&k, UserPtr, sizeof k);      CopyFromUser(&k, UserPtr, sizeof k);
//   } __except (UmaExceptionFilter(Mode)) {   } UMA_EXCEPT (UmaExceptionFilter(Mode)) {
//       Status = GetExceptionCode();              Status = GetExceptionCode();
//   }                                         } UMA_END_EXCEPT
//
// The filter is evaluated with the exception in scope (GetExceptionCode() works in it, as on
// Windows); a filter returning EXCEPTION_CONTINUE_SEARCH rethrows to the next handler. Unlike
// SEH, the filter runs after the stack unwound: it cannot inspect the faulting frame.
#define UMA_TRY try
#define UMA_EXCEPT(filter)                                                      \
  catch (const ::umaccess::StructuredException& uma_exception_) {               \
    ::umaccess::detail::ExceptionPointers uma_exception_pointers_(uma_exception_); \
    (void)uma_exception_pointers_;                                              \
    if (::umaccess::detail::filter_accepts(static_cast<long>(filter))) {
#define UMA_END_EXCEPT \
  }                    \
  else throw;          \
  }
// The code of the exception being handled, inside UMA_EXCEPT's filter or block.
#define UMA_EXCEPTION_CODE() (uma_exception_.code())
// The exception object itself (address(), is_write(), bytes_copied()).
#define UMA_EXCEPTION() (uma_exception_)
// The exception record (EXCEPTION_POINTERS*), inside UMA_EXCEPT's filter or block: what
// GetExceptionInformation() names in usermode_accessors.h.
#define UMA_EXCEPTION_INFORMATION() (uma_exception_pointers_.get())
