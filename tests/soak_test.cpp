// SPDX-License-Identifier: Apache-2.0
// tests/soak_test.cpp - a bounded multi-threaded soak of the whole engine, and checks that
// the fault path leaks neither memory, mappings, descriptors nor stack.
//
// Soak.EverythingAtOnce runs, for a time budget rather than a fixed count (so it ends in
// about the same wall time natively, under ASan and under qemu):
//   - copy workers: random-length copies, non-temporal copies, moves (overlapping too),
//     fills, string lengths, scalars, interlocked operations and probes, through the C++
//     and the C API, that succeed (every byte of the destination and of its surroundings
//     checked) or fault at the head, in the middle or at the tail of an inaccessible page,
//     on a read-only page, or with SIGBUS past the end of a truncated file (status,
//     address, direction, bytes done and the untouched rest of the destination checked);
//     each also narrows its own user range with nested ScopedUserRange scopes and checks
//     refusals, while the other workers copy outside it (scopes are per thread);
//   - a thread that keeps calling umaccess::install_fault_handler();
//   - a thread that keeps putting a foreign SIGSEGV/SIGBUS handler (one that calls
//     umaccess::try_handle_signal first, as docs/fault-model.md asks) in front of ours with sigaction,
//     then putting ours back in front: changing handlers while other threads fault is
//     legitimate (sigaction is process-wide and atomic; a fault is delivered to either
//     disposition), and every fault must be recovered whichever is in front;
//   - a thread that switches kernel variants and thresholds (dispatch::select is meant to
//     be called at any time: the kernels are published atomically).
// UMACCESS_SOAK_SECONDS sets the soak's duration (default 15 s) for longer runs.
//
// Soak.FaultPathLeaksNoResources compares RSS, VmSize, /proc/self/maps and open
// descriptors before and after tens of thousands of faults; Soak.FaultPathLeaksNoStack
// faults 100k+ times on a thread with a 64 KiB stack (128 KiB on AArch64, its minimum) and
// checks that the stack depth seen by the code after a recovered fault, and inside the
// signal handler, never changes.
// Under ASan, detect_leaks=1 covers the heap (the C++ exceptions).
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support.h"

namespace umatest {
namespace {

using Clock = std::chrono::steady_clock;
using umaccess::NtStatus;
using umaccess::StructuredException;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAsan = true;
#else
constexpr bool kAsan = false;
#endif

double soak_seconds() {
  const char* text = std::getenv("UMACCESS_SOAK_SECONDS");
  if (text != nullptr) {
    const double s = std::atof(text);
    if (s > 0) return s;
  }
  return 15.0;
}

std::uintptr_t addr(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

// ---- Failure collection: many threads, bounded output ----------------------------------

class Failures {
 public:
  void add(const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (++count_ <= 20) messages_.push_back(what);
  }
  long count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return count_;
  }
  std::string report() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string out;
    for (const auto& m : messages_) out += "  " + m + "\n";
    return out;
  }

 private:
  mutable std::mutex mutex_;
  long count_ = 0;
  std::vector<std::string> messages_;
};

// ---- What an operation did: from an exception or from the C API ------------------------

struct Outcome {
  NtStatus status = STATUS_SUCCESS;
  std::size_t done = 0;
  std::uintptr_t address = 0;
  bool is_write = false;
  bool faulted = false;  // a kernel faulted (false: success, or a check refused it)
};

template <typename F>
Outcome via_cxx(F&& f) {
  try {
    f();
    return {};
  } catch (const StructuredException& e) {
    return {e.code(), e.bytes_copied(), e.address(), e.is_write(), e.kernel() != nullptr};
  }
}

// From a C status function. `done` is what its bytes-done argument received (checked
// against umaccess_last_failure()), or nullptr for functions without one.
Outcome via_c(NtStatus status, const std::size_t* done) {
  Outcome o;
  o.status = status;
  if (status == STATUS_SUCCESS) return o;
  umaccess_failure f;
  if (umaccess_last_failure(&f) != 1) return o;
  o.done = done != nullptr ? *done : f.bytes_done;
  o.address = f.address;
  o.is_write = f.is_write != 0;
  o.faulted = f.kernel != nullptr;
  if (f.status != status || f.bytes_done != o.done) o.address = ~std::uintptr_t{0};  // mismatch
  return o;
}

std::string describe(const Outcome& o) {
  std::ostringstream s;
  s << "status 0x" << std::hex << o.status << std::dec << ", done " << o.done << ", address 0x"
    << std::hex << o.address << std::dec << (o.is_write ? ", write" : ", read")
    << (o.faulted ? ", faulted" : ", refused");
  return s.str();
}

// ---- The operations, each through both APIs ---------------------------------------------

using CStatusCopy = umaccess_ntstatus (*)(void*, const void*, std::size_t, std::size_t*);
using CxxCopy = void (*)(void*, const void*, std::size_t);

enum class UserSide { Source, Destination, Both };

struct CopyOp {
  const char* name;
  CStatusCopy c;
  CxxCopy cxx;
  UserSide user;
};

const CopyOp kCopyOps[] = {
    {"CopyFromUser", umaccess_copy_from_user,
     [](void* d, const void* s, std::size_t n) { CopyFromUser(d, s, n); }, UserSide::Source},
    {"CopyFromUserNonTemporal", umaccess_copy_from_user_nontemporal,
     [](void* d, const void* s, std::size_t n) { CopyFromUserNonTemporal(d, s, n); },
     UserSide::Source},
    {"CopyToUser", umaccess_copy_to_user,
     [](void* d, const void* s, std::size_t n) { CopyToUser(d, s, n); }, UserSide::Destination},
    {"CopyToUserNonTemporal", umaccess_copy_to_user_nontemporal,
     [](void* d, const void* s, std::size_t n) { CopyToUserNonTemporal(d, s, n); },
     UserSide::Destination},
    {"CopyToUserFromUser", umaccess_copy_to_user_from_user,
     [](void* d, const void* s, std::size_t n) { CopyToUserFromUser(d, s, n); }, UserSide::Both},
    {"MoveToUserFromUser", umaccess_move_to_user_from_user,
     [](void* d, const void* s, std::size_t n) { MoveToUserFromUser(d, s, n); }, UserSide::Both},
};

// Fills as (dst, len, byte): FillUserMemory, SetUserMemory and ZeroUserMemory.
struct FillOp {
  const char* name;
  umaccess_ntstatus (*c)(void*, std::size_t, unsigned char, std::size_t*);
  void (*cxx)(void*, std::size_t, unsigned char);
  bool zero;
};

const FillOp kFillOps[] = {
    {"FillUserMemory", umaccess_fill_user_memory,
     [](void* d, std::size_t n, unsigned char b) { FillUserMemory(d, n, b); }, false},
    {"SetUserMemory",
     [](void* d, std::size_t n, unsigned char b, std::size_t* done) {
       return umaccess_set_user_memory(d, b, n, done);
     },
     [](void* d, std::size_t n, unsigned char b) { SetUserMemory(d, b, n); }, false},
    {"ZeroUserMemory",
     [](void* d, std::size_t n, unsigned char, std::size_t* done) {
       return umaccess_zero_user_memory(d, n, done);
     },
     [](void* d, std::size_t n, unsigned char) { ZeroUserMemory(d, n); }, true},
};

// ---- A user region with holes ------------------------------------------------------------
//
//   [lead guard][A: 16 pages][hole: PROT_NONE][B: 7 pages][read-only page][C: 7 pages][guard]
//
// A holds every buffer that must succeed; a buffer faults by running into the hole, the
// read-only page (writes) or the trailing guard, or by starting inside one of them.
class Arena {
 public:
  static constexpr std::size_t kPages = 32;
  Arena() : region_(kPages * page_size()) {
    region_.protect(16 * page_size(), page_size(), PROT_NONE);
    region_.protect(24 * page_size(), page_size(), PROT_READ);
  }
  char* begin() const { return region_.begin(); }
  char* hole() const { return begin() + 16 * page_size(); }
  char* readonly() const { return begin() + 24 * page_size(); }
  char* guard() const { return region_.guard(); }
  std::size_t a_size() const { return 16 * page_size(); }

  bool readable(const char* p) const {
    return p >= begin() && p < guard() && !(p >= hole() && p < hole() + page_size());
  }
  bool writable(const char* p) const {
    return readable(p) && !(p >= readonly() && p < readonly() + page_size());
  }

 private:
  GuardedRegion region_;
};

// A file mapping of 4 pages whose file was cut to 1.5 pages: [map, lost) is accessible,
// from `lost` on every access raises SIGBUS (STATUS_IN_PAGE_ERROR).
class TruncatedFile {
 public:
  TruncatedFile() {
    fd_ = memfd_create("umaccess-soak", 0);
    if (fd_ < 0 || ftruncate(fd_, static_cast<off_t>(4 * page_size())) != 0)
      throw std::runtime_error("memfd");
    void* p = mmap(nullptr, 4 * page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    if (p == MAP_FAILED) throw std::runtime_error("mmap");
    map_ = static_cast<char*>(p);
    if (ftruncate(fd_, static_cast<off_t>(page_size() + page_size() / 2)) != 0)
      throw std::runtime_error("ftruncate");
  }
  ~TruncatedFile() {
    munmap(map_, 4 * page_size());
    close(fd_);
  }
  char* begin() const { return map_; }
  char* lost() const { return map_ + 2 * page_size(); }

 private:
  int fd_ = -1;
  char* map_ = nullptr;
};

// ---- One copy worker -----------------------------------------------------------------------

constexpr std::size_t kMargin = 16;  // bytes checked on each side of a destination

class Worker {
 public:
  Worker(unsigned seed, Failures* failures) : rng_(seed), failures_(failures), kbuf_(80 * 1024) {}

  void run(Clock::time_point deadline) {
    while (Clock::now() < deadline) {
      for (int i = 0; i < 16; ++i) step();
    }
  }

  // How many of each kind of operation passed its checks.
  std::map<std::string, long> counts;

 private:
  using Step = void (Worker::*)();

  void step() {
    static constexpr Step kSteps[] = {
        &Worker::copy_success, &Worker::copy_success,   &Worker::copy_fault,
        &Worker::copy_fault,   &Worker::move_overlap,   &Worker::fill_success,
        &Worker::fill_fault,   &Worker::strings,        &Worker::scalars,
        &Worker::probes,       &Worker::in_page_errors, &Worker::user_ranges};
    (this->*kSteps[rng_() % (sizeof kSteps / sizeof kSteps[0])])();
  }

  // Lengths across every size class: mostly short, some past the vector loops and the rep
  // and streaming thresholds the variant switcher sets.
  std::size_t random_length() {
    const unsigned r = rng_() % 10;
    if (r < 5) return 1 + rng_() % 256;
    if (r < 8) return 257 + rng_() % 3840;
    return 4097 + rng_() % 36000;
  }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : rng_() % n; }
  bool coin() { return rng_() % 2 == 0; }

  void fail(const std::string& what) { failures_->add(what); }
  void count(const std::string& what) { ++counts[what]; }

  // Expects `o` to be a fault (or refusal) with these properties.
  bool expect(const Outcome& o, NtStatus status, std::size_t done, std::uintptr_t address,
              bool is_write, bool faulted, const std::string& context) {
    if (o.status == status && o.done == done && o.address == address &&
        o.is_write == is_write && o.faulted == faulted)
      return true;
    std::ostringstream want;
    want << "status 0x" << std::hex << status << std::dec << ", done " << done
         << ", address 0x" << std::hex << address << std::dec;
    fail(context + ": got " + describe(o) + "; want " + want.str() +
         (is_write ? ", write" : ", read") + (faulted ? ", faulted" : ", refused"));
    return false;
  }

  // Snapshot of the bytes around a destination that the operation may not change.
  struct Snapshot {
    const char* from;
    std::vector<char> bytes;
    std::vector<bool> valid;
  };
  Snapshot snapshot(const char* from, std::size_t n, const std::function<bool(const char*)>& ok) {
    Snapshot s{from, std::vector<char>(n), std::vector<bool>(n)};
    for (std::size_t i = 0; i < n; ++i) {
      s.valid[i] = ok(from + i);
      if (s.valid[i]) s.bytes[i] = from[i];
    }
    return s;
  }
  // Every readable byte of the snapshot outside [changed, changed + n) is as it was.
  bool unchanged_outside(const Snapshot& s, const char* changed, std::size_t n,
                         const std::string& context) {
    for (std::size_t i = 0; i < s.bytes.size(); ++i) {
      const char* p = s.from + i;
      if (!s.valid[i] || (p >= changed && p < changed + n)) continue;
      if (*p != s.bytes[i]) {
        fail(context + ": byte at offset " + std::to_string(p - changed) +
             " from the destination was modified");
        return false;
      }
    }
    return true;
  }

  Arena& region(bool second) { return second ? b_ : a_; }

  // A buffer of `len` bytes in A (which can hold any length this worker uses), with room
  // for the margins on both sides.
  char* in_a(Arena& r, std::size_t len) {
    return r.begin() + kMargin + below(r.a_size() - len - 2 * kMargin + 1);
  }

  // A buffer of `len` bytes whose first inaccessible byte (for this direction) is `*first`:
  // running into the hole, the read-only page (writes) or the trailing guard after `avail`
  // accessible bytes, or starting inside an inaccessible page (avail 0).
  char* faulting(Arena& r, std::size_t len, bool write, std::size_t* avail, char** first,
                 std::string* where) {
    const unsigned kind = rng_() % (write ? 5 : 4);
    if (kind == 0 || kind == 1) {  // head: the buffer starts inside an inaccessible page
      char* page = kind == 0 ? r.hole() : (coin() ? r.guard() : r.begin() - page_size());
      char* start = page + below(page_size());
      *avail = 0;
      *first = start;
      *where = "head";
      return start;
    }
    char* boundary = kind == 2 ? r.hole() : kind == 3 ? r.guard() : r.readonly();
    const std::size_t room = kind == 2 ? r.a_size() : 7 * page_size();
    *avail = below(std::min(len, room + 1));
    *first = boundary;
    *where = kind == 2 ? "middle (hole)" : kind == 3 ? "tail (guard)" : "read-only page";
    return boundary - *avail;
  }

  void refill(char* p, std::size_t n) { fill_pattern(p, n, static_cast<unsigned>(rng_())); }

  Outcome run_copy(const CopyOp& op, void* d, const void* s, std::size_t n, bool c_api) {
    if (!c_api) return via_cxx([&] { op.cxx(d, s, n); });
    std::size_t done = 12345;
    const NtStatus status = op.c(d, s, n, &done);
    return via_c(status, &done);
  }

  // The kernel-side buffer, with margins: returns a destination pointer inside kbuf_.
  char* kernel_buffer(std::size_t len) {
    return kbuf_.data() + kMargin + below(kbuf_.size() - len - 2 * kMargin);
  }

  void copy_success() {
    const CopyOp& op = kCopyOps[rng_() % 6];
    const std::size_t len = random_length();
    const bool c_api = coin();
    const bool swap = coin();
    char* src;
    char* dst;
    switch (op.user) {
      case UserSide::Source:
        src = in_a(region(swap), len);
        dst = kernel_buffer(len);
        break;
      case UserSide::Destination:
        src = kernel_buffer(len);
        dst = in_a(region(swap), len);
        break;
      default:  // two regions: never overlapping
        src = in_a(region(swap), len);
        dst = in_a(region(!swap), len);
    }
    refill(src, len);
    std::memset(dst - kMargin, kCanary, len + 2 * kMargin);
    const Outcome o = run_copy(op, dst, src, len, c_api);
    const std::string context = std::string(op.name) + (c_api ? " (C)" : "") + ", " +
                                std::to_string(len) + " bytes";
    if (o.status != STATUS_SUCCESS) return fail(context + ": failed, " + describe(o));
    if (first_mismatch(dst, src, len) != len) return fail(context + ": wrong bytes");
    if (first_not(dst - kMargin, kCanary, kMargin) != kMargin ||
        first_not(dst + len, kCanary, kMargin) != kMargin)
      return fail(context + ": wrote outside the destination");
    count(std::string(op.name) + " ok");
  }

  void copy_fault() {
    const CopyOp& op = kCopyOps[rng_() % 6];
    const std::size_t len = random_length();
    const bool c_api = coin();
    const bool swap = coin();
    // Which side faults: the user side (either one for user-to-user copies).
    const bool write = op.user == UserSide::Destination ||
                       (op.user == UserSide::Both && coin());
    std::size_t avail;
    char* first;
    std::string where;
    char* src;
    char* dst;
    if (write) {
      dst = faulting(region(swap), len, true, &avail, &first, &where);
      src = op.user == UserSide::Both ? in_a(region(!swap), len) : kernel_buffer(len);
      refill(src, len);
    } else {
      src = faulting(region(swap), len, false, &avail, &first, &where);
      dst = op.user == UserSide::Both ? in_a(region(!swap), len) : kernel_buffer(len);
    }
    Arena& dregion = region(write ? swap : !swap);
    const bool kernel_dst = op.user == UserSide::Source;
    auto dst_ok = [&](const char* p) {
      if (kernel_dst) return p >= kbuf_.data() && p < kbuf_.data() + kbuf_.size();
      return dregion.writable(p);
    };
    if (!write) {
      if (kernel_dst) std::memset(dst - kMargin, kCanary, len + 2 * kMargin);
      else refill(dst - kMargin, len + 2 * kMargin);
    }
    const Snapshot before = snapshot(dst - kMargin, len + 2 * kMargin, dst_ok);
    const Outcome o = run_copy(op, dst, src, len, c_api);
    const std::string context = std::string(op.name) + (c_api ? " (C)" : "") + ", " +
                                std::to_string(len) + " bytes, fault at " + where + " after " +
                                std::to_string(avail) + (write ? " (write)" : " (read)");
    if (!expect(o, STATUS_ACCESS_VIOLATION, avail, addr(first), write, true, context)) return;
    if (first_mismatch(dst, src, avail) != avail) return fail(context + ": wrong prefix");
    if (!unchanged_outside(before, dst, avail, context)) return;
    count(std::string(op.name) + " fault " + where);
  }

  void move_overlap() {
    // Overlapping moves in either direction; the result must be memmove's.
    Arena& r = region(coin());
    const std::size_t len = random_length();
    const std::size_t distance = 1 + below(std::min<std::size_t>(len, 300));
    char* low = r.begin() + kMargin + below(r.a_size() - len - distance - 2 * kMargin);
    const bool forward = coin();  // dst below src
    char* src = forward ? low + distance : low;
    char* dst = forward ? low : low + distance;
    char* window = low - kMargin;
    const std::size_t window_len = len + distance + 2 * kMargin;
    refill(window, window_len);
    std::vector<char> expected(window, window + window_len);
    std::memmove(expected.data() + (dst - window), expected.data() + (src - window), len);
    const bool c_api = coin();
    const Outcome o = run_copy(kCopyOps[5], dst, src, len, c_api);
    const std::string context = std::string("MoveToUserFromUser") + (c_api ? " (C)" : "") +
                                ", " + std::to_string(len) + " bytes, overlap " +
                                (forward ? "-" : "+") + std::to_string(distance);
    if (o.status != STATUS_SUCCESS) return fail(context + ": failed, " + describe(o));
    if (first_mismatch(window, expected.data(), window_len) != window_len)
      return fail(context + ": differs from memmove");
    count(std::string("MoveToUserFromUser overlap ") + (forward ? "forward" : "backward"));
  }

  Outcome run_fill(const FillOp& op, char* d, std::size_t n, unsigned char b, bool c_api) {
    if (!c_api) return via_cxx([&] { op.cxx(d, n, b); });
    std::size_t done = 12345;
    const NtStatus status = op.c(d, n, b, &done);
    return via_c(status, &done);
  }

  void fill_success() {
    const FillOp& op = kFillOps[rng_() % 3];
    const std::size_t len = random_length();
    char* dst = in_a(region(coin()), len);
    const unsigned char byte = static_cast<unsigned char>(rng_() | 1);
    std::memset(dst - kMargin, kCanary, len + 2 * kMargin);
    const bool c_api = coin();
    const Outcome o = run_fill(op, dst, len, byte, c_api);
    const std::string context =
        std::string(op.name) + (c_api ? " (C)" : "") + ", " + std::to_string(len) + " bytes";
    if (o.status != STATUS_SUCCESS) return fail(context + ": failed, " + describe(o));
    if (first_not(dst, op.zero ? 0 : byte, len) != len) return fail(context + ": wrong bytes");
    if (first_not(dst - kMargin, kCanary, kMargin) != kMargin ||
        first_not(dst + len, kCanary, kMargin) != kMargin)
      return fail(context + ": wrote outside the destination");
    count(std::string(op.name) + " ok");
  }

  void fill_fault() {
    const FillOp& op = kFillOps[rng_() % 3];
    const std::size_t len = random_length();
    Arena& r = region(coin());
    std::size_t avail;
    char* first;
    std::string where;
    char* dst = faulting(r, len, true, &avail, &first, &where);
    const unsigned char byte = static_cast<unsigned char>(rng_() | 1);
    const Snapshot before =
        snapshot(dst - kMargin, len + 2 * kMargin, [&](const char* p) { return r.writable(p); });
    const bool c_api = coin();
    const Outcome o = run_fill(op, dst, len, byte, c_api);
    const std::string context = std::string(op.name) + (c_api ? " (C)" : "") + ", " +
                                std::to_string(len) + " bytes, fault at " + where + " after " +
                                std::to_string(avail);
    if (!expect(o, STATUS_ACCESS_VIOLATION, avail, addr(first), true, true, context)) return;
    if (first_not(dst, op.zero ? 0 : byte, avail) != avail) return fail(context + ": prefix");
    if (!unchanged_outside(before, dst, avail, context)) return;
    count(std::string(op.name) + " fault " + where);
  }

  void strings() {
    Arena& r = region(coin());
    const std::size_t n = below(3000);
    const bool wide = coin();
    const bool fault = coin();
    const std::size_t unit = wide ? 2 : 1;
    const std::size_t bytes = n * unit;
    // Wide strings may start at odd addresses.
    char* s = fault ? r.guard() - bytes : in_a(r, bytes + 2 + 1) + (wide ? below(2) : 0);
    for (std::size_t i = 0; i < bytes; ++i) {
      const unsigned char b = pattern_byte(i, static_cast<unsigned>(n));
      s[i] = static_cast<char>(b == 0 ? 0x5A : b);
    }
    if (!fault) std::memset(s + bytes, 0, unit);
    const bool c_api = coin();
    Outcome o;
    std::size_t length = 0;
    if (c_api) {
      const NtStatus status =
          wide ? umaccess_wide_string_length_from_user(reinterpret_cast<const WCHAR*>(s), &length)
               : umaccess_string_length_from_user(s, &length);
      o = via_c(status, nullptr);
    } else {
      o = via_cxx([&] {
        length = wide ? WideStringLengthFromUser(reinterpret_cast<const WCHAR*>(s))
                      : StringLengthFromUser(s);
      });
    }
    const std::string context = std::string(wide ? "WideStringLengthFromUser" :
                                                   "StringLengthFromUser") +
                                (c_api ? " (C)" : "") + ", " + std::to_string(n) + " units" +
                                (fault ? " into the guard" : "");
    if (fault) {
      if (!expect(o, STATUS_ACCESS_VIOLATION, 0, addr(r.guard()), false, true, context)) return;
    } else if (o.status != STATUS_SUCCESS || length != n) {
      return fail(context + ": length " + std::to_string(length) + ", " + describe(o));
    }
    count(std::string(wide ? "wide " : "") + "string " + (fault ? "fault" : "ok"));
  }

  void scalars() {
    Arena& r = region(coin());
    // A 64-bit value, misaligned at random, in A: read back what was written.
    char* p = in_a(r, 8);
    const std::uint64_t value = (std::uint64_t{rng_()} << 32) | rng_();
    if (coin()) {
      WriteULong64ToUser(reinterpret_cast<volatile ULONG64*>(p), value);
    } else if (umaccess_write_u64_to_user(p, value) != STATUS_SUCCESS) {
      return fail("umaccess_write_u64_to_user failed");
    }
    std::uint64_t back = 0;
    if (umaccess_read_u64_from_user_acquire(p, &back) != STATUS_SUCCESS || back != value ||
        ReadULong64FromUser(reinterpret_cast<const volatile ULONG64*>(p)) != value)
      return fail("scalar round trip");
    // Interlocked on an aligned word.
    auto* word = reinterpret_cast<LONG*>(r.begin() + (below(r.a_size() - 4) & ~std::size_t{3}));
    *word = 0x0F0;
    if (InterlockedOrToUser(word, 0x00F) != 0x0F0 || *word != 0x0FF) return fail("InterlockedOr");
    // Straddling the guard: 1..7 of the 8 bytes accessible.
    const std::size_t accessible = 1 + below(7);
    char* q = r.guard() - accessible;
    std::memset(r.guard() - 8, kCanary, 8);
    const bool write = coin();
    const Outcome o = via_cxx([&] {
      if (write) WriteULong64ToUser(reinterpret_cast<volatile ULONG64*>(q), value);
      else (void)ReadULong64FromUser(reinterpret_cast<const volatile ULONG64*>(q));
    });
    const std::string context = std::string(write ? "WriteULong64ToUser" : "ReadULong64FromUser") +
                                " straddling the guard by " + std::to_string(8 - accessible);
#if defined(__aarch64__)
    // AArch64 may report any address of the access that crosses into the page (see
    // access_scalar_test.cpp), and a store may have written the bytes before it.
    if (o.status != STATUS_ACCESS_VIOLATION || o.is_write != write || !o.faulted ||
        o.address < addr(q) || o.address >= addr(q) + 8)
      return fail(context + ": " + describe(o));
#else
    if (!expect(o, STATUS_ACCESS_VIOLATION, 0, addr(r.guard()), write, true, context)) return;
    if (first_not(r.guard() - 8, kCanary, 8) != 8) return fail(context + ": modified bytes");
#endif
    count(std::string("scalar straddle ") + (write ? "write" : "read"));
  }

  void probes() {
    Arena& r = region(coin());
    // ProbeForWrite over B and into the read-only page: fails there, changes nothing.
    const std::size_t before_ro = 1 + below(7 * page_size() - 1);
    char* start = r.readonly() - before_ro;
    const std::size_t len = before_ro + 1 + below(page_size());
    refill(start, before_ro);
    const std::vector<char> saved(start, start + before_ro);
    const Outcome o = via_c(umaccess_probe_for_write(start, len, 1), nullptr);
    if (o.status != STATUS_ACCESS_VIOLATION || o.address != addr(r.readonly()) || !o.is_write ||
        !o.faulted)
      return fail("ProbeForWrite into the read-only page: " + describe(o));
    if (first_mismatch(start, saved.data(), before_ro) != before_ro)
      return fail("ProbeForWrite changed the bytes it probed");
    // Over A: succeeds, changes nothing.
    char* a = in_a(r, 3 * page_size());
    refill(a, 3 * page_size());
    const std::vector<char> a_saved(a, a + 3 * page_size());
    const Outcome ok = via_cxx([&] { ProbeForWrite(a, 3 * page_size(), 1); });
    if (ok.status != STATUS_SUCCESS || first_mismatch(a, a_saved.data(), a_saved.size()) !=
                                           a_saved.size())
      return fail("ProbeForWrite over accessible pages: " + describe(ok));
    count("ProbeForWrite");
  }

  void in_page_errors() {
    const std::size_t len = random_length();
    const std::size_t avail = below(std::min(len, 2 * page_size() - kMargin));
    char* user = file_.lost() - avail;
    const unsigned which = rng_() % 3;  // read, write, fill
    const bool c_api = coin();
    const std::string name = which == 0 ? "CopyFromUser" : which == 1 ? "CopyToUser" : "Fill";
    const std::string context = name + (c_api ? " (C)" : "") + " past the end of file, " +
                                std::to_string(len) + " bytes after " + std::to_string(avail);
    if (which == 0) {
      char* dst = kernel_buffer(len);
      std::memset(dst - kMargin, kCanary, len + 2 * kMargin);
      const Outcome o = run_copy(kCopyOps[coin() ? 0 : 1], dst, user, len, c_api);
      if (!expect(o, STATUS_IN_PAGE_ERROR, avail, addr(file_.lost()), false, true, context))
        return;
      if (first_mismatch(dst, user, avail) != avail ||
          first_not(dst + avail, kCanary, len - avail + kMargin) != len - avail + kMargin)
        return fail(context + ": destination");
    } else {
      refill(user - kMargin, avail + kMargin);
      const char before_margin = user[-1];
      char* src = kernel_buffer(len);
      refill(src, len);
      const unsigned char byte = static_cast<unsigned char>(rng_() | 1);
      const Outcome o = which == 1 ? run_copy(kCopyOps[coin() ? 2 : 3], user, src, len, c_api)
                                   : run_fill(kFillOps[0], user, len, byte, c_api);
      if (!expect(o, STATUS_IN_PAGE_ERROR, avail, addr(file_.lost()), true, true, context))
        return;
      const bool prefix = which == 1 ? first_mismatch(user, src, avail) == avail
                                     : first_not(user, byte, avail) == avail;
      if (!prefix || user[-1] != before_margin) return fail(context + ": destination");
    }
    count("in-page error " + name);
  }

  void user_ranges() {
    // This thread's range narrowed to part of A in region a; the other workers meanwhile
    // copy anywhere (scopes are per thread).
    Arena& r = a_;
    const umaccess::UserRange outside = umaccess::user_range();
    const std::size_t outer_len = page_size() + below(r.a_size() - page_size());
    const std::uintptr_t lo = addr(r.begin()), hi = lo + outer_len;
    char* dst = kernel_buffer(256);
    std::memset(dst - kMargin, kCanary, 256 + 2 * kMargin);
    auto refused = [&](const void* src, std::size_t len, std::uintptr_t at,
                       const std::string& context) {
      const Outcome o = coin() ? via_cxx([&] { CopyFromUser(dst, src, len); })
                               : run_copy(kCopyOps[0], dst, src, len, true);
      if (!expect(o, STATUS_ACCESS_VIOLATION, 0, at, false, false, context)) return false;
      if (first_not(dst - kMargin, kCanary, 256 + 2 * kMargin) != 256 + 2 * kMargin) {
        fail(context + ": the destination was touched");
        return false;
      }
      return true;
    };
    {
      umaccess::ScopedUserRange outer({lo, hi});
      if (umaccess::user_range().begin != lo || MmUserProbeAddress != hi)
        return fail("ScopedUserRange: user_range() does not read the scope");
      char ok[64];
      if (via_cxx([&] { CopyFromUser(ok, r.begin(), 64); }).status != STATUS_SUCCESS)
        return fail("copy inside the user range failed");
      // Accessible memory outside the range is refused before it is touched.
      if (!refused(b_.begin(), 256, addr(b_.begin()), "a buffer outside the range")) return;
      const std::size_t k = 1 + below(200);
      if (!refused(reinterpret_cast<char*>(hi) - k, 256, hi, "a buffer across the range's end"))
        return;
      // A write outside the range is refused as a write.
      std::memset(b_.begin(), kCanary, 64);
      const Outcome w = via_cxx([&] { CopyToUser(b_.begin(), ok, 64); });
      if (!expect(w, STATUS_ACCESS_VIOLATION, 0, addr(b_.begin()), true, false,
                  "CopyToUser outside the range") ||
          first_not(b_.begin(), kCanary, 64) != 64)
        return;
      {
        // Nested: the innermost wins; A's start is now outside.
        const std::uintptr_t inner_lo = lo + 64 + below(outer_len / 2);
        umaccess::ScopedUserRange inner({inner_lo, hi});
        if (umaccess::user_range().begin != inner_lo) return fail("nested scope not in effect");
        if (!refused(r.begin(), 16, lo, "a buffer below the inner range")) return;
      }
      if (umaccess::user_range().begin != lo || umaccess::user_range().end != hi)
        return fail("leaving the inner scope did not restore the outer one");
    }
    const umaccess::UserRange after = umaccess::user_range();
    if (after.begin != outside.begin || after.end != outside.end)
      return fail("leaving the outer scope did not restore the thread's range");
    count("ScopedUserRange");
  }

  std::mt19937 rng_;
  Failures* failures_;
  std::vector<char> kbuf_;
  Arena a_, b_;
  TruncatedFile file_;
};

// ---- Handler churn: re-installs, and a foreign handler in front of ours ------------------

// Calls to the foreign handler, on this thread (the churner's deterministic checks) and in
// total. A signal handler runs on the faulting thread, so a __thread counter is exact.
__thread long t_foreign_calls = 0;
std::atomic<long> g_foreign_calls{0};

// A well-behaved handler installed after umaccess (a crash reporter, a runtime): it offers
// every fault to umaccess first, as docs/fault-model.md asks. No other fault is expected here; one
// would get the default action, as without any handler.
void foreign_handler(int sig, siginfo_t* info, void* context) {
  ++t_foreign_calls;
  g_foreign_calls.fetch_add(1, std::memory_order_relaxed);
  if (umaccess::try_handle_signal(sig, info, context)) return;
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigaction(sig, &dfl, nullptr);
}

void install_foreign() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = foreign_handler;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, nullptr);
  sigaction(SIGBUS, &sa, nullptr);
}

bool foreign_in_front() {
  struct sigaction segv, bus;
  sigaction(SIGSEGV, nullptr, &segv);
  sigaction(SIGBUS, nullptr, &bus);
  return (segv.sa_flags & SA_SIGINFO) && segv.sa_sigaction == foreign_handler &&
         (bus.sa_flags & SA_SIGINFO) && bus.sa_sigaction == foreign_handler;
}

// One faulting read from an unmapped page and one past the end of a truncated file, both
// recovered; returns false (and reports) otherwise.
bool two_recovered_faults(const GuardedRegion& region, const TruncatedFile& file,
                          Failures* failures, const char* when) {
  char dst[64];
  std::size_t done = 99;
  NtStatus s = umaccess_copy_from_user(dst, region.ending_at_guard(10), 64, &done);
  if (s != STATUS_ACCESS_VIOLATION || done != 10) {
    failures->add(std::string("churner, ") + when + ": SIGSEGV fault not recovered");
    return false;
  }
  s = umaccess_copy_from_user(dst, file.lost() - 7, 64, &done);
  if (s != STATUS_IN_PAGE_ERROR || done != 7) {
    failures->add(std::string("churner, ") + when + ": SIGBUS fault not recovered");
    return false;
  }
  return true;
}

// Runs two kinds of cycles. Checked cycles (one in 8) hold `order`, which the re-installer
// also takes, and verify exactly who saw this thread's own faults: the foreign handler
// while it is in front, and nobody but umaccess once install_fault_handler() has put ours
// back in front (the foreign one is then our previous handler, which umaccess faults never
// reach). Racing cycles change handlers while the re-installer runs too, and check only
// that every fault is recovered.
void churn_handlers(Clock::time_point deadline, std::mutex* order, Failures* failures,
                    long* cycles) {
  GuardedRegion region(page_size());
  TruncatedFile file;
  for (long cycle = 0; Clock::now() < deadline; ++cycle) {
    if (cycle % 8 == 0) {  // mostly racing cycles: the re-installer rarely waits
      std::lock_guard<std::mutex> lock(*order);
      install_foreign();
      long before = t_foreign_calls;
      if (!two_recovered_faults(region, file, failures, "foreign handler in front")) return;
      if (t_foreign_calls < before + 2)
        return failures->add("churner: the foreign handler in front did not see the faults");
      umaccess::install_fault_handler();
      if (foreign_in_front()) return failures->add("churner: re-install did not take effect");
      before = t_foreign_calls;
      if (!two_recovered_faults(region, file, failures, "ours back in front")) return;
      if (t_foreign_calls != before)
        return failures->add("churner: a umaccess fault reached the handler behind ours");
    }
    install_foreign();
    if (!two_recovered_faults(region, file, failures, "racing the re-installer")) return;
    umaccess::install_fault_handler();
    if (!two_recovered_faults(region, file, failures, "racing the re-installer")) return;
    ++*cycles;
  }
}

// Each call holds `order` only against the churner's checked cycles: it races with the
// churner's sigaction calls in the racing ones.
void reinstall_handlers(Clock::time_point deadline, std::mutex* order, long* reinstalls) {
  while (Clock::now() < deadline) {
    {
      std::lock_guard<std::mutex> lock(*order);
      umaccess::install_fault_handler();
    }
    if (++*reinstalls % 64 == 0) std::this_thread::yield();  // leave the workers some time
  }
}

// Cycles through every kernel configuration while the workers copy; between switches,
// faults of its own.
void switch_variants(Clock::time_point deadline, Failures* failures, long* switches) {
  const std::vector<std::string> configs = kernel_configs();
  GuardedRegion region(8 * page_size());
  std::vector<char> dst(8 * page_size());
  std::mt19937 rng(7);
  for (std::size_t i = 0; Clock::now() < deadline; ++i) {
    apply_kernel_config(configs[i % configs.size()]);
    ++*switches;
    for (int k = 0; k < 32; ++k) {
      const std::size_t len = 1 + rng() % (8 * page_size() - 1);
      const std::size_t avail = rng() % len;
      std::size_t done = 0;
      const NtStatus s =
          umaccess_copy_from_user(dst.data(), region.ending_at_guard(avail), len, &done);
      if (s != STATUS_ACCESS_VIOLATION || done != avail)
        return failures->add("variant switcher: under " + configs[i % configs.size()] +
                             ", a fault after " + std::to_string(avail) + " of " +
                             std::to_string(len) + " bytes gave done " + std::to_string(done));
    }
  }
  apply_kernel_config("auto");
}

TEST(Soak, EverythingAtOnce) {
  const double seconds = soak_seconds();
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(seconds));
  // Install and initialize before the churner starts putting handlers in front of ours.
  umaccess::install_fault_handler();
  (void)umaccess::user_range();
  Failures failures;
  constexpr unsigned kWorkers = 4;
  std::vector<std::unique_ptr<Worker>> workers;
  for (unsigned i = 0; i < kWorkers; ++i)
    workers.push_back(std::make_unique<Worker>(1000 + i, &failures));
  std::mutex order;
  long cycles = 0, reinstalls = 0, switches = 0;
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&, w = w.get()] { w->run(deadline); });
  threads.emplace_back(churn_handlers, deadline, &order, &failures, &cycles);
  threads.emplace_back(reinstall_handlers, deadline, &order, &reinstalls);
  threads.emplace_back(switch_variants, deadline, &failures, &switches);
  for (auto& t : threads) t.join();

  umaccess::install_fault_handler();
  EXPECT_FALSE(foreign_in_front());
  std::map<std::string, long> counts;
  long total = 0;
  for (const auto& w : workers)
    for (const auto& [what, n] : w->counts) {
      counts[what] += n;
      total += n;
    }
  std::printf("soak: %.0f s, %ld checked operations by %u workers; %ld handler churn cycles "
              "(%ld faults seen by the foreign handler), %ld re-installs, %ld variant "
              "switches\n",
              seconds, total, kWorkers, cycles, g_foreign_calls.load(), reinstalls, switches);
  for (const auto& [what, n] : counts) std::printf("  %-48s %ld\n", what.c_str(), n);
  EXPECT_EQ(failures.count(), 0) << failures.report();
  // Every kind of operation ran, and the churn threads did their work.
  for (const char* kind :
       {"CopyFromUser ok", "CopyFromUser fault", "CopyFromUserNonTemporal ok",
        "CopyFromUserNonTemporal fault", "CopyToUser ok", "CopyToUser fault",
        "CopyToUserNonTemporal ok", "CopyToUserNonTemporal fault", "CopyToUserFromUser ok",
        "CopyToUserFromUser fault", "MoveToUserFromUser ok", "MoveToUserFromUser fault",
        "MoveToUserFromUser overlap", "FillUserMemory ok", "FillUserMemory fault",
        "SetUserMemory", "ZeroUserMemory", "string ok", "string fault", "wide string",
        "scalar straddle", "ProbeForWrite", "in-page error CopyFromUser",
        "in-page error CopyToUser", "in-page error Fill", "ScopedUserRange"}) {
    long n = 0;
    for (const auto& [what, c] : counts)
      if (what.compare(0, std::strlen(kind), kind) == 0) n += c;
    EXPECT_GT(n, 0) << "no \"" << kind << "\" operation ran";
  }
  EXPECT_GT(cycles, 0);
  EXPECT_GT(reinstalls, 0);
  EXPECT_GT(switches, 0);
}

// ---- Leaks on the fault path ---------------------------------------------------------------

struct Resources {
  long rss_kib = -1, vm_kib = -1, maps = 0, fds = 0;
};

long status_field_kib(const std::string& name) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.compare(0, name.size() + 1, name + ":") == 0)
      return std::atol(line.c_str() + name.size() + 1);
  return -1;
}

Resources sample() {
  Resources r;
  r.rss_kib = status_field_kib("VmRSS");
  r.vm_kib = status_field_kib("VmSize");
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) ++r.maps;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d) != nullptr) ++r.fds;
    closedir(d);
  }
  return r;
}

std::string show(const Resources& r) {
  return "RSS " + std::to_string(r.rss_kib) + " KiB, VmSize " + std::to_string(r.vm_kib) +
         " KiB, " + std::to_string(r.maps) + " mappings, " + std::to_string(r.fds) + " fds";
}

// The faults of every kind the engine recovers, `n` of them, through the C status API
// (which allocates nothing) or as C++ exceptions. Returns how many were recovered right.
struct FaultTargets {
  GuardedRegion region{4 * page_size()};
  TruncatedFile file;
  FaultTargets() { region.protect(2 * page_size(), page_size(), PROT_READ); }
};

__attribute__((noinline)) bool one_fault(const FaultTargets& t, unsigned kind, bool exceptions) {
  char buffer[128];
  const char* guard = t.region.guard();
  std::size_t done = 0;
  NtStatus want = STATUS_ACCESS_VIOLATION;
  NtStatus got = STATUS_SUCCESS;
  std::size_t want_done = 0;
  switch (kind % 5) {
    case 0:
      want_done = 40;
      if (exceptions) {
        try {
          CopyFromUser(buffer, guard - 40, 128);
        } catch (const StructuredException& e) {
          got = e.code();
          done = e.bytes_copied();
        }
      } else {
        got = umaccess_copy_from_user(buffer, guard - 40, 128, &done);
      }
      break;
    case 1: {
      char* readonly = t.region.begin() + 2 * page_size();
      want_done = 24;
      if (exceptions) {
        try {
          FillUserMemory(readonly - 24, 100, 0x3C);
        } catch (const StructuredException& e) {
          got = e.code();
          done = e.bytes_copied();
        }
      } else {
        got = umaccess_fill_user_memory(readonly - 24, 100, 0x3C, &done);
      }
      break;
    }
    case 2:
      want = STATUS_IN_PAGE_ERROR;
      want_done = 9;
      if (exceptions) {
        try {
          CopyToUser(t.file.lost() - 9, buffer, 128);
        } catch (const StructuredException& e) {
          got = e.code();
          done = e.bytes_copied();
        }
      } else {
        got = umaccess_copy_to_user(t.file.lost() - 9, buffer, 128, &done);
      }
      break;
    case 3: {
      std::memset(const_cast<char*>(guard) - 30, 'x', 30);
      std::size_t length = 0;
      if (exceptions) {
        try {
          length = StringLengthFromUser(guard - 30);
        } catch (const StructuredException& e) {
          got = e.code();
        }
      } else {
        got = umaccess_string_length_from_user(guard - 30, &length);
      }
      break;
    }
    default: {
      std::uint32_t value = 0;
      if (exceptions) {
        try {
          value = ReadULongFromUser(reinterpret_cast<const volatile ULONG*>(guard - 2));
        } catch (const StructuredException& e) {
          got = e.code();
        }
      } else {
        got = umaccess_read_u32_from_user(guard - 2, &value);
      }
    }
  }
  return got == want && done == want_done;
}

long run_faults(const FaultTargets& t, long n, bool exceptions) {
  long right = 0;
  for (long i = 0; i < n; ++i) right += one_fault(t, static_cast<unsigned>(i), exceptions);
  return right;
}

void expect_no_growth(const Resources& a, const Resources& b, const char* phase,
                      bool check_memory) {
  SCOPED_TRACE(std::string(phase) + ": before " + show(a) + "; after " + show(b));
  EXPECT_EQ(b.fds, a.fds) << "descriptors leaked";
  EXPECT_LE(b.maps, a.maps + 2) << "mappings leaked";
  if (!check_memory) return;
  EXPECT_LE(b.vm_kib, a.vm_kib + 1024) << "address space grew";
  EXPECT_LE(b.rss_kib, a.rss_kib + 1024) << "resident memory grew";
}

TEST(Soak, FaultPathLeaksNoResources) {
  FaultTargets targets;
  for (bool exceptions : {false, true}) {
    SCOPED_TRACE(exceptions ? "C++ exceptions" : "C status API");
    // Warm up (first-use allocations: exception buffers, TLS, the unwinder's caches), and
    // size the run so that it takes about two seconds, with at least 20k faults per half.
    const auto t0 = Clock::now();
    ASSERT_EQ(run_faults(targets, 2000, exceptions), 2000);
    const double per_fault = std::chrono::duration<double>(Clock::now() - t0).count() / 2000;
    const long n = std::max(20000L, std::min(100000L, static_cast<long>(1.0 / per_fault)));
    const Resources r0 = sample();
    EXPECT_EQ(run_faults(targets, n, exceptions), n);
    const Resources r1 = sample();
    EXPECT_EQ(run_faults(targets, n, exceptions), n);
    const Resources r2 = sample();
    std::printf("%s: %ld + %ld faults: %s -> %s -> %s\n",
                exceptions ? "exceptions" : "status API", n, n, show(r0).c_str(),
                show(r1).c_str(), show(r2).c_str());
    // ASan keeps freed blocks (the exceptions) in its quarantine, so memory is checked only
    // for the status API there; detect_leaks covers the heap.
    const bool check_memory = !(kAsan && exceptions);
    expect_no_growth(r0, r1, "first half", check_memory);
    expect_no_growth(r1, r2, "second half", check_memory);
  }
}

// ---- Stack on the fault path ---------------------------------------------------------------

// The frame depth seen inside the signal handler, through the fault resolver (which runs
// there, and declines): for a given kind of fault and API it must be the same every time.
constexpr unsigned kFaultShapes = 10;  // one_fault's 5 kinds x 2 APIs
struct Depths {
  unsigned shape = 0;  // of the fault in progress
  std::uintptr_t handler[kFaultShapes] = {};
  long handler_changes = 0;
};

int record_handler_depth(void*, int, void* context) {
  auto* d = static_cast<Depths*>(context);
  const auto here = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
  std::uintptr_t& first = d->handler[d->shape];
  if (first == 0) first = here;
  else if (here != first) ++d->handler_changes;
  return 0;  // decline: the fault becomes a status as usual
}

__attribute__((noinline)) std::uintptr_t fault_and_report_depth(const FaultTargets& t,
                                                                unsigned kind, bool* right) {
  *right = one_fault(t, kind, kind % 2 == 1);
  return reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
}

struct StackRun {
  const FaultTargets* targets;
  Depths* depths;
  long iterations;
  double seconds;
  long done = 0, wrong = 0, depth_changes = 0, mask_changes = 0;
};

void* small_stack_thread(void* arg) {
  auto* run = static_cast<StackRun*>(arg);
  sigset_t initial, now;
  pthread_sigmask(SIG_SETMASK, nullptr, &initial);
  std::uintptr_t depth = 0;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(run->seconds));
  for (long i = 0; i < run->iterations; ++i) {
    bool right = false;
    run->depths->shape = static_cast<unsigned>(i % kFaultShapes);
    const std::uintptr_t here =
        fault_and_report_depth(*run->targets, static_cast<unsigned>(i), &right);
    if (depth == 0) depth = here;
    run->depth_changes += here != depth;
    run->wrong += !right;
    ++run->done;
    if ((i & 1023) == 0) {
      pthread_sigmask(SIG_SETMASK, nullptr, &now);
      for (int s : {SIGSEGV, SIGBUS, SIGUSR1})
        run->mask_changes += sigismember(&now, s) != sigismember(&initial, s);
      if (Clock::now() > deadline) break;
    }
  }
  return nullptr;
}

TEST(Soak, FaultPathLeaksNoStack) {
  // 64 KiB of stack (or the platform minimum where larger: 128 KiB on AArch64): a fault path
  // that kept a few bytes per fault would run off it long before the end (and crash), and
  // the depth checks catch any change at all.
  FaultTargets targets;
  Depths depths;
  umaccess::set_fault_resolver(record_handler_depth, &depths);
  StackRun run{&targets, &depths, 120000, 60.0};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  const long minimum = sysconf(_SC_THREAD_STACK_MIN);
  const std::size_t stack_size = std::max<std::size_t>(64 * 1024, minimum > 0 ? minimum : 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attr, stack_size), 0);
  pthread_t thread;
  ASSERT_EQ(pthread_create(&thread, &attr, small_stack_thread, &run), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  umaccess::set_fault_resolver(nullptr);
  std::printf("%ld faults on a %zu KiB stack\n", run.done, stack_size / 1024);
  EXPECT_GE(run.done, 100000) << "the time cap cut the run short";
  EXPECT_EQ(run.wrong, 0);
  EXPECT_EQ(run.depth_changes, 0) << "the stack depth after a recovered fault changed";
  for (std::uintptr_t d : depths.handler) EXPECT_NE(d, 0u) << "the resolver never ran";
#if !defined(__SANITIZE_THREAD__)  // TSan's signal wrapper calls our handler at varying depths
  EXPECT_EQ(depths.handler_changes, 0) << "the signal handler ran at a changing depth";
#endif
  EXPECT_EQ(run.mask_changes, 0) << "the signal mask changed";
}

}  // namespace
}  // namespace umatest
