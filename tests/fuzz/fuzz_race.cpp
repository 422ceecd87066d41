// SPDX-License-Identifier: Apache-2.0
// tests/fuzz/fuzz_race.cpp - libFuzzer target: copies, moves, fills and string lengths over a
// region whose pages another thread takes away and gives back *while the operation runs*, as
// the input says: mprotect PROT_NONE or PROT_READ and back, munmap + mmap MAP_FIXED_NOREPLACE
// back, mremap to a parking page and back, MADV_DONTNEED, and for pages backed by a memfd,
// ftruncate to 0 and back (SIGBUS meanwhile). docs/fault-model.md, "When the mapping changes
// during a fault"; tests/mapping_race_test.cpp tests the same promise on fixed layouts.
//
// Under a race the exact outcome cannot be predicted, so the model is one of bounds. The
// region's pages are either raced (the racing thread may disturb them) or static (read-write,
// read-only or PROT_NONE for the whole input); a raced page that the racing thread did not
// touch during an operation (its generation counter unchanged, as RacedPage in
// mapping_race_test.cpp) counts as stable for that operation, like every static page, and
// the racing thread records what it did to each page it touched (write-protected it, made it
// unreadable, lost its contents). Each operation, every variant and both APIs (C status,
// C++ exception), is checked for:
//
//   - a status it can return: success only where the static pages allow the whole length,
//     else STATUS_ACCESS_VIOLATION, or STATUS_IN_PAGE_ERROR for a truncated memfd page, with
//     the matching signal, a kernel named and the operation's name;
//   - bytes_copied <= the count the static pages allow (a race only takes access away), and
//     when it is smaller, the byte at the count lies in a page raced during the operation;
//     when no page of the operation's buffers was raced, the exact outcome (count, address,
//     direction);
//   - the fault address inside the buffer of its direction, in a page raced or statically
//     inaccessible;
//   - memory: on every stable page, every page only write-protected meanwhile and in the
//     kernel-side buffer, the first bytes_copied bytes of the destination hold their final
//     values, every later byte and every byte outside [dst, dst + len) holds what it held
//     before, except the documented overhang when a user source page was made unreadable
//     (the operation's own bytes, fewer than 8 x VEC after the count); on a destination page
//     made unreadable but kept (PROT_NONE, moved away, a memfd page unmapped) the same, and
//     final values in fewer than 8 x VEC bytes after the count on it (documented too: the
//     retry could not read them back); on pages zero-filled meanwhile a byte holds zero, its
//     old value or (inside the destination) its final value, and only zero or its final
//     value before the count;
//   - string lengths: success at the model's length, or earlier only at a NUL in a raced page
//     (one zeroed meanwhile); a fault in a raced or unreadable page;
//   - no crash (a fault not recovered reaches ASan/libFuzzer), no hang (libFuzzer's timeout).
//
// The racing thread runs the input's script of disturbances in a loop during each operation,
// polls for the next one in between (a scheduler wake-up per operation would cost more than
// the operation) and sleeps on a condition variable when none comes for 2 ms; every check
// happens after it has put all pages back (contents aside) and stopped, so the harness
// itself never touches a page that may be missing. The region and its parking pages lie far below where mmap(NULL, ...)
// allocates (tests/support.h far_from_mmap_area()): a one-page hole near the top of the mmap
// area is soon taken by another mapping of the process, and ASan maps a lot. The racing
// thread touches nothing but the region's raced pages and their parking pages, all mapped
// by this file; mmap back uses MAP_FIXED_NOREPLACE, so a foreign mapping in a hole is
// reported (a harness failure, not a library bug) instead of being replaced.
//
// Input: [config 2][content][zeros][page map 6][actions n][8 actions of 4 bytes]
//        [records of 12 bytes...]
// Page map: one nibble per page (low first): 0-4 static read-write, 5-9 raced (anonymous),
//   10-11 raced (memfd, shared), 12-13 static read-only, 14-15 static PROT_NONE.
// Action: [page (among the raced ones)][kind][delay us][hold]: kind % 6 = PROT_NONE,
//   PROT_READ, munmap + mmap, mremap away and back, MADV_DONTNEED, ftruncate (memfd pages;
//   munmap + mmap on anonymous ones); hold: bits 0-5 microseconds, bit 6 times 8.
// Record: [operation][flags][position A 3][position B 3][length 3][argument]; operation % 10
//   (kOperations below), flags bit 0 the C++ API, bits 4-6 the rounds (1-8: each round
//   lays the region again and races the operation once more).
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "harness.h"

namespace umafuzz::race {
namespace {

constexpr std::size_t kPages = 12;               // the region's pages
constexpr std::size_t kTrailPages = kPages + 2;  // PROT_NONE after them: longer than any op
constexpr std::size_t kKernelMargin = 1024;      // checked around the kernel-side buffer
constexpr int kMaxRecords = 8;
constexpr int kMaxActions = 8;
#if defined(__x86_64__)
constexpr std::size_t kMaxOverhang = 8 * 64;  // 8 x VEC, VEC the widest (AVX-512)
#else
constexpr std::size_t kMaxOverhang = 8 * 16;  // 8 x VEC, NEON
#endif

std::size_t page_size() {
  static const std::size_t ps = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return ps;
}

[[noreturn]] void harness_failure(const char* what) {
  std::fprintf(stderr, "umaccess fuzz: harness failure (not a library bug): %s: %s\n", what,
               std::strerror(errno));
  std::abort();
}

// ---- The region ---------------------------------------------------------------------------------

enum class Kind : std::uint8_t { Static, Raced, RacedFile, ReadOnly, NoAccess };
inline Kind race_kind_from_nibble(unsigned v) {
  return v < 5 ? Kind::Static : v < 10 ? Kind::Raced : v < 12 ? Kind::RacedFile
         : v < 14 ? Kind::ReadOnly : Kind::NoAccess;
}
inline bool is_raced(Kind k) { return k == Kind::Raced || k == Kind::RacedFile; }

// [lead guard][kPages pages][kTrailPages guard][kPages parking pages], one reservation far
// below the mmap area. Every page of the region is mapped by this class (anonymous private,
// or a memfd of its own mapped shared); the guards stay PROT_NONE.
class Region {
 public:
  Region() {
    const std::size_t ps = page_size();
    const std::size_t total = (1 + kPages + kTrailPages + kPages) * ps;
    // As tests/support.h map_near(far_from_mmap_area(), ...): at or above 16 TiB where that is
    // free (under ASan, 16 TiB to 16 TiB + 2 GiB is its shadow), stepping up 1 GiB at a time.
    void* p = MAP_FAILED;
    for (int attempt = 0; attempt < 16 && p == MAP_FAILED; ++attempt) {
      char* at = reinterpret_cast<char*>(0x100000000000) + (std::size_t{1} << 30) * attempt;
      p = mmap(at, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
                                         MAP_FIXED_NOREPLACE, -1, 0);
      if (p != MAP_FAILED && p != at) {  // a kernel without MAP_FIXED_NOREPLACE: a hint only
        munmap(p, total);
        p = MAP_FAILED;
        break;
      }
    }
    // Else wherever mmap puts it: a foreign mapping in a hole is then more likely, but the
    // racing thread still detects one instead of replacing it.
    if (p == MAP_FAILED)
      p = mmap(nullptr, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) harness_failure("cannot reserve the region");
    base_ = static_cast<char*>(p) + ps;
    parking_ = base_ + (kPages + kTrailPages) * ps;
    for (std::size_t i = 0; i < kPages; ++i) {
      kinds_[i] = Kind::NoAccess;
      fds_[i] = -1;
      file_backed_[i] = false;
    }
    laid_.assign(kPages * ps, 0);
    hash_.resize(kPages * ps);
    for (std::size_t i = 0; i < hash_.size(); ++i) {
      std::uint32_t h = static_cast<std::uint32_t>(i) * 0x9E3779B1u + 0x1234567u;
      h ^= h >> 15;
      h *= 0x2C1B3C6Du;
      h ^= h >> 12;
      h *= 0x297A2D39u;
      h ^= h >> 15;
      hash_[i] = h;
    }
  }

  char* page(std::size_t i) const { return base_ + i * page_size(); }
  char* parking(std::size_t i) const { return parking_ + i * page_size(); }
  int fd(std::size_t i) const { return fds_[i]; }
  std::uintptr_t begin() const { return reinterpret_cast<std::uintptr_t>(base_); }
  std::uintptr_t end() const { return begin() + kPages * page_size(); }
  // The longest operation the trailing guard makes safe, from any start in the region.
  static std::size_t max_length() { return (kPages + 1) * page_size(); }

  // The page index of a, or kPages for the guards.
  std::size_t index(std::uintptr_t a) const {
    return a >= begin() && a < end() ? (a - begin()) / page_size() : kPages;
  }
  Kind kind_at(std::uintptr_t a) const {
    const std::size_t i = index(a);
    return i < kPages ? kinds_[i] : Kind::NoAccess;
  }
  Kind kind(std::size_t i) const { return kinds_[i]; }
  // What the static page map allows (a raced page is read-write when left alone).
  bool readable(std::uintptr_t a) const { return kind_at(a) != Kind::NoAccess; }
  bool writable(std::uintptr_t a) const {
    const Kind k = kind_at(a);
    return k == Kind::Static || is_raced(k);
  }
  // The index of the first byte of [p, p + n) that the static map does not allow, or n.
  std::size_t first_bad(std::uintptr_t p, std::size_t n, bool write) const {
    std::size_t i = 0;
    while (i < n) {
      const std::uintptr_t a = p + i;
      if (write ? !writable(a) : !readable(a)) return i;
      i += page_size() - a % page_size();
    }
    return n;
  }
  // What every byte held before the operation (the pattern laid).
  std::uint8_t laid(std::uintptr_t a) const { return laid_[a - begin()]; }
  const std::uint8_t* laid_page(std::size_t i) const { return &laid_[i * page_size()]; }

  // Maps each page as its kind wants and lays the pattern. Contents are laid again before
  // every operation by relay().
  void layout(const Kind* kinds, std::uint8_t content, std::uint8_t zeros) {
    const std::size_t ps = page_size();
    for (std::size_t i = 0; i < kPages * ps; ++i) {
      const std::uint32_t h = hash_[i];
      std::uint8_t v = static_cast<std::uint8_t>(h ^ content);
      if (v == 0) v = 0x5A;
      laid_[i] = (h >> 24) < zeros ? 0 : v;
    }
    for (std::size_t i = 0; i < kPages; ++i) {
      const bool file = kinds[i] == Kind::RacedFile;
      if (file && fds_[i] < 0) {
        fds_[i] = memfd_create("umaccess-fuzz-race", MFD_CLOEXEC);
        if (fds_[i] < 0) harness_failure("memfd_create");
      }
      if (file) {
        if (ftruncate(fds_[i], 0) != 0 || ftruncate(fds_[i], static_cast<off_t>(ps)) != 0)
          harness_failure("ftruncate");
      }
      if (file || file_backed_[i]) {  // a fresh mapping of the right backing (our own page)
        void* q = file ? mmap(page(i), ps, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
                              fds_[i], 0)
                       : mmap(page(i), ps, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (q != page(i)) harness_failure("mmap of a region page");
        file_backed_[i] = file;
      } else if (mprotect(page(i), ps, PROT_READ | PROT_WRITE) != 0) {
        harness_failure("mprotect");
      }
      kinds_[i] = kinds[i];
      if (kinds[i] != Kind::NoAccess) std::memcpy(page(i), &laid_[i * ps], ps);
      const int prot = kinds[i] == Kind::ReadOnly ? PROT_READ
                       : kinds[i] == Kind::NoAccess ? PROT_NONE : PROT_READ | PROT_WRITE;
      if (prot != (PROT_READ | PROT_WRITE) && mprotect(page(i), ps, prot) != 0)
        harness_failure("mprotect");
    }
  }

  // The pattern again on every writable page (the racing thread is idle: all are mapped).
  UMAFUZZ_BULK void relay() {
    const std::size_t ps = page_size();
    for (std::size_t i = 0; i < kPages; ++i)
      if (kinds_[i] == Kind::Static || is_raced(kinds_[i]))
        std::memcpy(page(i), &laid_[i * ps], ps);
  }

  char letter(std::size_t i) const { return "srfon"[static_cast<int>(kinds_[i])]; }

 private:
  char* base_;
  char* parking_;
  Kind kinds_[kPages];
  int fds_[kPages];
  bool file_backed_[kPages];
  std::vector<std::uint8_t> laid_;
  std::vector<std::uint32_t> hash_;
};

// ---- The racing thread --------------------------------------------------------------------------

enum ActionKind { kProtNone, kProtRead, kUnmap, kMremap, kDontNeed, kTruncate, kActionKinds };
// What a disturbance does to the page, as the model sees it: not writable for a while
// (PROT_READ), not readable either (PROT_NONE, unmapped, moved away, truncated), its
// contents lost (an anonymous page unmapped or zapped, a truncated file: zero-filled after).
// munmap + mmap and MADV_DONTNEED of a memfd page mapped shared keep its contents.
enum Effect : unsigned { kEffectUnwritable = 1, kEffectUnreadable = 2, kEffectZeroed = 4 };
const char* const kActionNames[] = {"PROT_NONE", "PROT_READ", "munmap+mmap", "mremap",
                                    "MADV_DONTNEED", "ftruncate"};

struct Action {
  std::uint8_t page;  // an index into the raced pages
  std::uint8_t kind, delay, hold;
  unsigned hold_us() const { return (hold & 63u) * ((hold & 64u) ? 8u : 1u); }
  unsigned delay_us() const { return delay % 64u; }
};

// Waits for the other thread: spins (it answers within microseconds), then yields. Yielding
// at once would hand a loaded machine's CPU to another process for a whole time slice.
template <class Done>
void wait_for(Done done) {
  for (unsigned n = 0; !done(); ++n) {
    if (n < 2000) {
#if defined(__x86_64__)
      __builtin_ia32_pause();
#elif defined(__aarch64__)
      asm volatile("yield");
#endif
    } else {
      sched_yield();
    }
  }
}

void spin_us(unsigned us, const std::atomic<bool>& stop) {
  if (us == 0) return;
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(us);
  while (std::chrono::steady_clock::now() < until && !stop.load(std::memory_order_relaxed)) {
  }
}

// Runs the script in a loop from start() until finish(). Each disturbance takes a page away
// (or zaps it) and puts it back, after its hold or as soon as finish() is called, before the
// next one, so after finish() every raced page is mapped read-write again. generation(i)
// changes with every disturbance of page i (odd while it is away).
class Racer {
 public:
  explicit Racer(const Region& region) : region_(region) {
    for (auto& g : generation_) g = 0;
    for (auto& e : effects_) e = 0;
    thread_ = std::thread([this] { run(); });
  }

  // Called while idle only.
  void set_script(const Action* actions, int n, const std::size_t* raced, std::size_t n_raced) {
    n_ = 0;
    for (int k = 0; k < n && n_raced > 0; ++k) {
      Action a = actions[k];
      a.page = static_cast<std::uint8_t>(raced[a.page % n_raced]);  // now a region index
      script_[n_++] = a;
    }
  }
  bool has_script() const { return n_ > 0; }
  std::uint64_t generation(std::size_t i) const { return generation_[i].load(); }
  // What the disturbances of page i since the last clear_effects() did (kEffect* bits).
  unsigned effects(std::size_t i) const { return effects_[i].load(); }
  void clear_effects() {  // while idle
    for (auto& e : effects_) e = 0;
  }
  long disturbances() const { return disturbances_.load(); }

  // Starts the script and returns once the racing thread runs it.
  void start() {
    stop_ = false;
    const unsigned r = round_.load() + 1;
    round_ = r;
    {
      std::lock_guard<std::mutex> lock(mutex_);  // in case it sleeps
    }
    cv_.notify_all();
    wait_for([&] { return acked_.load() == r; });
  }
  // Stops it and returns once every page it took away is back.
  void finish() {
    stop_ = true;
    wait_for([&] { return done_.load() == round_.load(); });
    if (error_.load() != nullptr) {
      std::fprintf(stderr, "umaccess fuzz: harness failure (not a library bug): the racing "
                           "thread: %s\n", error_.load());
      std::abort();
    }
  }

  void describe() const {
    std::fprintf(stderr, "  racing script:");
    for (int k = 0; k < n_; ++k)
      std::fprintf(stderr, " [page %u %s after %u us, %u us]", script_[k].page,
                   kActionNames[script_[k].kind % kActionKinds], script_[k].delay_us(),
                   script_[k].hold_us());
    std::fprintf(stderr, "%s\n", n_ == 0 ? " none" : "");
  }

 private:
  // Between rounds the thread polls for the next one (a wake-up through the scheduler can
  // take milliseconds on a loaded machine, longer than the round); after 2 ms without one
  // (the fuzzer is between inputs, or done) it sleeps on the condition variable.
  void run() {
    unsigned last = 0;
    for (;;) {
      const auto idle_since = std::chrono::steady_clock::now();
      for (unsigned n = 0; round_.load() == last; ++n) {
        if ((n & 1023) == 0 &&
            std::chrono::steady_clock::now() - idle_since > std::chrono::milliseconds(2)) {
          std::unique_lock<std::mutex> lock(mutex_);
          cv_.wait(lock, [&] { return round_.load() != last; });
          break;
        }
#if defined(__x86_64__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        asm volatile("yield");
#endif
      }
      last = round_.load();
      acked_ = last;
      for (int k = 0; n_ > 0 && !stop_.load(std::memory_order_relaxed); k = (k + 1) % n_) {
        const Action& a = script_[k];
        spin_us(a.delay_us(), stop_);
        if (stop_.load(std::memory_order_relaxed)) break;
        if (!disturb(a)) break;
        ++disturbances_;
      }
      done_ = last;
    }
  }

  bool disturb(const Action& a) {
    const std::size_t i = a.page;
    char* const p = region_.page(i);
    const std::size_t ps = page_size();
    const int fd = region_.kind(i) == Kind::RacedFile ? region_.fd(i) : -1;
    int kind = a.kind % kActionKinds;
    if (kind == kTruncate && fd < 0) kind = kUnmap;
    const unsigned hold = a.hold_us();
    static const unsigned kEffects[] = {kEffectUnreadable, kEffectUnwritable,
                                        kEffectUnreadable | kEffectZeroed, kEffectUnreadable,
                                        kEffectZeroed, kEffectUnreadable | kEffectZeroed};
    unsigned effect = kEffects[kind];
    if (fd >= 0 && (kind == kUnmap || kind == kDontNeed)) effect &= ~kEffectZeroed;  // shared
    effects_[i] |= effect;
    ++generation_[i];
    switch (kind) {
      case kProtNone:
      case kProtRead:
        if (mprotect(p, ps, kind == kProtNone ? PROT_NONE : PROT_READ) != 0)
          return fail("mprotect of a raced page");
        spin_us(hold, stop_);
        if (mprotect(p, ps, PROT_READ | PROT_WRITE) != 0) return fail("mprotect back");
        break;
      case kUnmap: {
        if (munmap(p, ps) != 0) return fail("munmap of a raced page");
        spin_us(hold, stop_);
        // MAP_FIXED_NOREPLACE: never clobber a mapping someone else placed in the hole.
        void* q = fd < 0 ? mmap(p, ps, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0)
                         : mmap(p, ps, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE,
                                fd, 0);
        if (q != p) {
          if (q != MAP_FAILED) munmap(q, ps);  // MAP_FIXED_NOREPLACE taken as a hint
          return fail("mapping a raced page back failed (a foreign mapping in the hole?)");
        }
        break;
      }
      case kMremap: {
        char* const park = region_.parking(i);
        if (mremap(p, ps, ps, MREMAP_MAYMOVE | MREMAP_FIXED, park) != park)
          return fail("mremap of a raced page to its parking page");
        spin_us(hold, stop_);
        if (mremap(park, ps, ps, MREMAP_MAYMOVE | MREMAP_FIXED, p) != p)
          return fail("mremap of a raced page back (a foreign mapping in the hole?)");
        if (mmap(park, ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
                 0) != park)
          return fail("a foreign mapping took the parking page's place");
        break;
      }
      case kDontNeed:
        if (madvise(p, ps, MADV_DONTNEED) != 0) return fail("madvise");
        break;
      default:  // kTruncate: SIGBUS while the file is shorter than the page
        if (ftruncate(fd, 0) != 0) return fail("ftruncate to 0");
        spin_us(hold, stop_);
        if (ftruncate(fd, static_cast<off_t>(ps)) != 0) return fail("ftruncate back");
        break;
    }
    ++generation_[i];
    return true;
  }
  bool fail(const char* why) {
    error_ = why;
    return false;
  }

  const Region& region_;
  Action script_[kMaxActions];
  int n_ = 0;
  std::atomic<std::uint64_t> generation_[kPages];
  std::atomic<unsigned> effects_[kPages];
  std::atomic<long> disturbances_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::atomic<unsigned> round_{0}, acked_{0}, done_{0};  // the round started, begun, over
  std::atomic<bool> stop_{false};
  std::atomic<const char*> error_{nullptr};
  std::thread thread_;  // runs for the life of the process (the state is never destroyed)
};

// ---- State --------------------------------------------------------------------------------------

struct State {
  Region region;
  Racer racer{region};
  KernelConfigs configs;
  unsigned config_key = 0;
  // The kernel-side buffer: never raced; its pattern is laid again before each round.
  std::uint8_t* kbuf = nullptr;
  std::size_t kbuf_size = 0;
  std::vector<std::uint8_t> kpristine;
  std::size_t kdirty_lo = SIZE_MAX, kdirty_hi = 0;
  // Per round: which pages the racing thread touched.
  bool raced[kPages] = {};
  unsigned effects[kPages] = {};  // Effect bits of the racing thread's disturbances
  std::uint64_t gen0[kPages] = {};
  // For the line printed at exit: how often the race changed an outcome.
  long rounds = 0, raced_rounds = 0, cut_short = 0, in_page_errors = 0;
  long src_overhangs = 0, dst_overhangs = 0;
  std::size_t max_src_overhang = 0, max_dst_overhang = 0;
};

State* g_state = nullptr;

void describe_state() {
  if (g_state == nullptr) return;
  const State& s = *g_state;
  std::fprintf(stderr, "  region %#zx, %zu pages of %zu bytes: ", s.region.begin(), kPages,
               page_size());
  for (std::size_t i = 0; i < kPages; ++i) {
    const char c = s.region.letter(i);
    std::fputc(s.raced[i] ? c - 'a' + 'A' : c, stderr);
  }
  std::fprintf(stderr, "  (s static rw, r raced, f raced memfd, o read-only, n PROT_NONE; "
                       "upper case: raced during this operation; guards PROT_NONE)\n");
  s.racer.describe();
  std::fprintf(stderr, "  kernel configuration %s, kernel buffer %p\n", s.configs.label(),
               static_cast<void*>(s.kbuf));
}

UMAFUZZ_BULK bool raced_at(const State& s, std::uintptr_t a) {
  const std::size_t i = s.region.index(a);
  return i < kPages && s.raced[i];
}
UMAFUZZ_BULK bool zeroed_at(const State& s, std::uintptr_t a) {
  const std::size_t i = s.region.index(a);
  return i < kPages && (s.effects[i] & kEffectZeroed) != 0;
}
// Whether a page of [p, p + n) was made unreadable for a while.
bool any_unreadable(const State& s, std::uintptr_t p, std::size_t n) {
  if (n == 0) return false;
  const std::size_t lo = s.region.index(p), hi = s.region.index(p + n - 1);
  for (std::size_t i = lo; i <= hi && i < kPages; ++i)
    if (s.effects[i] & kEffectUnreadable) return true;
  return false;
}
bool any_raced(const State& s, std::uintptr_t p, std::size_t n) {
  if (n == 0) return false;
  const std::size_t lo = s.region.index(p), hi = s.region.index(p + n - 1);
  for (std::size_t i = lo; i <= hi && i < kPages; ++i)
    if (s.raced[i]) return true;
  return false;
}

// ---- Decoding (the Record itself: harness.h) ------------------------------------------------

std::uintptr_t user_position(const State& s, std::uint32_t v) {
  return s.region.begin() + ((v & 0xff) % kPages) * page_size() + (v >> 8) % page_size();
}
std::uint8_t* kernel_position(const State& s, std::uint32_t v) {
  return s.kbuf + kKernelMargin + ((v >> 8) & 63);
}

// ---- One round: lay, race, run, stop ------------------------------------------------------------

template <class F>
Outcome race_round(State& s, F&& run) {
  s.region.relay();
  if (s.kdirty_lo < s.kdirty_hi) {
    std::memcpy(s.kbuf + s.kdirty_lo, s.kpristine.data() + s.kdirty_lo,
                s.kdirty_hi - s.kdirty_lo);
    s.kdirty_lo = SIZE_MAX;
    s.kdirty_hi = 0;
  }
  for (std::size_t i = 0; i < kPages; ++i) s.gen0[i] = s.racer.generation(i);
  s.racer.clear_effects();
  const bool racing = s.racer.has_script();
  if (racing) s.racer.start();
  const Outcome got = run();
  if (racing) s.racer.finish();
  bool any = false;
  for (std::size_t i = 0; i < kPages; ++i) {
    s.raced[i] = s.racer.generation(i) != s.gen0[i];
    s.effects[i] = s.racer.effects(i);
    any |= s.raced[i];
  }
  ++s.rounds;
  s.raced_rounds += any;
  return got;
}

// ---- Bulk operations ----------------------------------------------------------------------------

enum Operation {
  kCopyFromUser, kCopyFromUserNonTemporal, kCopyToUser, kCopyToUserNonTemporal,
  kCopyToUserFromUser, kMoveToUserFromUser, kMoveNear, kFillUserMemory, kZeroUserMemory,
  kStringLength, kOperations
};

// One copy, move or fill, described for the checks.
struct Bulk {
  unsigned op;
  const char* name;
  bool user_src, user_dst, fill;
  std::uintptr_t src, dst;  // user or kernel-side addresses (src unused by fills)
  std::size_t len;
  std::uint8_t value;  // fills
};

// What byte i of the destination holds once done: the source's byte before the operation
// (or zero, where a raced source page was zero-filled meanwhile), or the fill byte.
UMAFUZZ_BULK bool is_final(const State& s, const Bulk& b, std::size_t i, std::uint8_t v) {
  if (b.fill) return v == b.value;
  if (!b.user_src) return v == s.kpristine[b.src - reinterpret_cast<std::uintptr_t>(s.kbuf) + i];
  const std::uintptr_t a = b.src + i;
  if (a >= s.region.end()) return false;  // the trailing guard: never read
  return v == s.region.laid(a) || (v == 0 && zeroed_at(s, a));
}

// What the byte at a held before the operation.
UMAFUZZ_BULK std::uint8_t before(const State& s, std::uintptr_t a) {
  if (a >= s.region.begin() && a < s.region.end()) return s.region.laid(a);
  return s.kpristine[a - reinterpret_cast<std::uintptr_t>(s.kbuf)];
}

// Found by this fuzzer and fixed (issue 16): a copy of more than 8 x VEC stores one whole
// unaligned head vector before its loop starts at dst's next VEC boundary; when its first
// fault was a read in the first loop iteration and the destination page was write-protected
// before the byte retry, the count stopped at that boundary while the rest of the head
// vector held copied data. The kernels now pass the tail how far their stores reached
// (STORED, asm/x86_64/umaccess.inc): no allowance for it remains here, and the seed
// head-vector-read-fault keeps the case in the corpus.

// How far past the count final values were found: the two documented overhangs.
struct Overhang {
  std::size_t src = 0;  // a user source page was unreadable for a while
  std::size_t dst = 0;  // this destination page was
};

// Checks the bytes [lo, hi), all of one page of the region or of the kernel-side buffer,
// whose disturbances during the operation did `effects` (0: none, a stable page):
//   - a stable page, or one only write-protected meanwhile, holds exactly the count: the
//     first `count` destination bytes final, every other byte as it was, except, when a
//     user source page was unreadable for a while (`src_unreadable`), final values in
//     fewer than 8 x VEC bytes after the count (docs/fault-model.md);
//   - a page made unreadable meanwhile but kept (PROT_NONE, moved away, a memfd page
//     unmapped: its contents come back) likewise, except final values in fewer than
//     8 x VEC bytes after the count on it: the vector stores wrote them before the first
//     fault, and the retry, which faulted on this page, could not read them back;
//   - a page whose contents may have been lost (zero-filled) may also hold zeros anywhere,
//     and final values anywhere in the destination.
UMAFUZZ_BULK void check_bytes(const State& s, const Bulk& b, std::uintptr_t lo,
                              std::uintptr_t hi, unsigned effects, std::size_t count,
                              bool src_unreadable, Overhang* overhang) {
  const auto* mem = reinterpret_cast<const std::uint8_t*>(lo);
  const bool zeroed = (effects & kEffectZeroed) != 0;
  const bool away = !zeroed && (effects & kEffectUnreadable) != 0;
  const char* what = zeroed ? "a page zero-filled meanwhile"
                     : (effects & kEffectUnreadable) ? "a page made unreadable meanwhile, "
                                                       "contents kept"
                     : effects != 0 ? "a page write-protected meanwhile" : "a stable page";
  for (std::uintptr_t a = lo; a < hi; ++a) {
    const std::uint8_t v = mem[a - lo];
    const std::uint8_t old = before(s, a);
    const std::size_t i = a - b.dst;
    const bool inside = b.len != 0 && i < b.len;
    if (inside && i < count) {
      if (is_final(s, b, i, v) || (zeroed && v == 0)) continue;
      mismatch("destination byte %zu of the count %zu is %#04x, not its final value (%s)", i,
               count, v, what);
    }
    if (v == old || (zeroed && v == 0)) continue;
    if (!inside)
      mismatch("byte at %#zx outside the destination [%#zx, +%zu) was written: %#04x, was %#04x "
               "(%s)", a, b.dst, b.len, v, old, what);
    if (zeroed && is_final(s, b, i, v)) continue;
    if (i < count + kMaxOverhang && is_final(s, b, i, v)) {  // the overhangs
      if (src_unreadable) {
        overhang->src = std::max(overhang->src, i + 1 - count);
        continue;
      }
      if (away) {
        overhang->dst = std::max(overhang->dst, i + 1 - count);
        continue;
      }
    }
    mismatch("destination byte %zu written past the count %zu of %zu: %#04x, was %#04x (%s%s)",
             i, count, b.len, v, old, what,
             src_unreadable || away ? "; beyond the overhang allowed" : "");
  }
}

// Every writable page of the region and the kernel-side buffer around the operation.
Overhang check_memory(const State& s, const Bulk& b, std::size_t count, bool src_unreadable) {
  const std::size_t ps = page_size();
  Overhang overhang;
  for (std::size_t i = 0; i < kPages; ++i) {
    const Kind k = s.region.kind(i);
    if (k == Kind::ReadOnly || k == Kind::NoAccess) continue;  // cannot change
    const auto lo = reinterpret_cast<std::uintptr_t>(s.region.page(i));
    const bool in_dst = b.user_dst && b.len != 0 && b.dst < lo + ps && b.dst + b.len > lo;
    if (!in_dst && std::memcmp(s.region.page(i), s.region.laid_page(i), ps) == 0) continue;
    check_bytes(s, b, lo, lo + ps, s.effects[i], count, src_unreadable, &overhang);
  }
  // The kernel-side buffer around the operation's part of it.
  if (b.user_src && b.user_dst) return overhang;
  const auto kb = reinterpret_cast<std::uintptr_t>(s.kbuf);
  const std::uintptr_t k = b.user_dst ? b.src : b.dst;
  const std::uintptr_t klo = std::max(kb, k - kKernelMargin);
  const std::uintptr_t khi = std::min(kb + s.kbuf_size, k + b.len + kKernelMargin);
  check_bytes(s, b, klo, khi, 0, count, src_unreadable, &overhang);
  return overhang;
}

void note(const State& s, unsigned op, std::size_t len, const Outcome& got, std::size_t count,
          std::size_t static_count, bool src_raced, bool dst_raced) {
  std::uint64_t h = op * 1024 + (s.config_key >> 8);
  h = h * 32 + log2_class(len);
  h = h * 4 + (got.status == 0 ? 0 : got.status == STATUS_ACCESS_VIOLATION ? 1 : 2);
  h = h * 4 + src_raced * 2 + dst_raced;
  h = h * 4 + (count == static_count ? 0 : count == 0 ? 1 : static_count - count < 64 ? 2 : 3);
  feature(h);
}

// The self-test's planted bug (UMACCESS_FUZZ_INJECT=mismatch): after a fault that a race made
// come early, a byte of a stable page past the count holds its final value - what issue 16
// saw before the fault tail read the destination back. The model must catch it.
void plant_bug(const State& s, const Bulk& b, std::size_t count, std::size_t static_count,
               bool src_raced) {
  if (!b.user_dst || count >= static_count) return;
  for (std::size_t i = count + 1; i < b.len; ++i) {
    const std::uintptr_t a = b.dst + i;
    const bool near = i < count + kMaxOverhang;  // where an overhang is allowed
    if (!s.region.writable(a) || zeroed_at(s, a) || (src_raced && near) ||
        (near && (s.effects[s.region.index(a)] & kEffectUnreadable) != 0))
      continue;
    if (b.user_src && (b.src + i >= s.region.end() || zeroed_at(s, b.src + i))) continue;
    const std::uint8_t v =
        b.fill ? b.value
        : b.user_src ? s.region.laid(b.src + i)
                     : s.kpristine[b.src - reinterpret_cast<std::uintptr_t>(s.kbuf) + i];
    if (v == before(s, a)) continue;
    *reinterpret_cast<volatile std::uint8_t*>(a) = v;
    return;
  }
}

Outcome run_bulk_op(const Bulk& b, bool use_cxx) {
  void* const dp = reinterpret_cast<void*>(b.dst);
  const void* const sp = reinterpret_cast<const void*>(b.src);
  const std::size_t len = b.len;
  if (use_cxx) {
    return run_cxx([&] {
      switch (b.op) {
        case kCopyFromUser: CopyFromUser(dp, sp, len); break;
        case kCopyFromUserNonTemporal: CopyFromUserNonTemporal(dp, sp, len); break;
        case kCopyToUser: CopyToUser(dp, sp, len); break;
        case kCopyToUserNonTemporal: CopyToUserNonTemporal(dp, sp, len); break;
        case kCopyToUserFromUser: CopyToUserFromUser(dp, sp, len); break;
        case kFillUserMemory: FillUserMemory(dp, len, b.value); break;
        case kZeroUserMemory: ZeroUserMemory(dp, len); break;
        default: MoveToUserFromUser(dp, sp, len); break;
      }
    });
  }
  poison_last_failure();
  std::size_t done = 0x5eed;
  umaccess_ntstatus st;
  switch (b.op) {
    case kCopyFromUser: st = umaccess_copy_from_user(dp, sp, len, &done); break;
    case kCopyFromUserNonTemporal:
      st = umaccess_copy_from_user_nontemporal(dp, sp, len, &done);
      break;
    case kCopyToUser: st = umaccess_copy_to_user(dp, sp, len, &done); break;
    case kCopyToUserNonTemporal: st = umaccess_copy_to_user_nontemporal(dp, sp, len, &done); break;
    case kCopyToUserFromUser: st = umaccess_copy_to_user_from_user(dp, sp, len, &done); break;
    case kFillUserMemory: st = umaccess_fill_user_memory(dp, len, b.value, &done); break;
    case kZeroUserMemory: st = umaccess_zero_user_memory(dp, len, &done); break;
    default: st = umaccess_move_to_user_from_user(dp, sp, len, &done); break;
  }
  if (st == 0 && done != len) mismatch("succeeded with %zu bytes done of %zu", done, len);
  return c_outcome(st, done);
}

void bulk(State& s, const Record& r, unsigned op, int rounds) {
  static const char* const kNames[] = {
      "CopyFromUser", "CopyFromUserNonTemporal", "CopyToUser", "CopyToUserNonTemporal",
      "CopyToUserFromUser", "MoveToUserFromUser", "MoveToUserFromUser", "FillUserMemory",
      "ZeroUserMemory"};
  Bulk b{};
  b.op = op;
  b.name = kNames[op];
  b.user_src = op != kCopyToUser && op != kCopyToUserNonTemporal &&
               op != kFillUserMemory && op != kZeroUserMemory;
  b.user_dst = op != kCopyFromUser && op != kCopyFromUserNonTemporal;
  b.fill = op == kFillUserMemory || op == kZeroUserMemory;
  b.value = op == kZeroUserMemory ? 0 : r.arg;
  const std::uintptr_t p = user_position(s, r.a);
  b.len = decode_length(r.len, p, Region::max_length(), page_size());
  if (op == kCopyFromUser || op == kCopyFromUserNonTemporal) {
    b.src = p;
    b.dst = reinterpret_cast<std::uintptr_t>(kernel_position(s, r.b));
  } else if (op == kCopyToUser || op == kCopyToUserNonTemporal) {
    b.dst = p;
    b.src = reinterpret_cast<std::uintptr_t>(kernel_position(s, r.b));
  } else if (b.fill) {
    b.dst = p;
  } else if (op == kMoveNear) {
    // A forward overlapping move: dst below src, closer than the length (the move kernel's
    // own loop; a backward move reports 0 bytes by design and is not raced here).
    b.src = p;
    b.dst = p - (1 + r.arg % 255);
    if (b.dst < s.region.begin()) b.dst = s.region.begin(), b.src = b.dst + 1 + r.arg % 255;
  } else {
    b.src = p;
    b.dst = user_position(s, r.b);
    const std::uintptr_t gap = b.dst > b.src ? b.dst - b.src : b.src - b.dst;
    b.len = std::min<std::size_t>(b.len, gap);  // not overlapping (unspecified for copies)
  }
  const bool use_cxx = (r.flags & 1) != 0;

  // The static model: the first byte the page map does not allow, in copy order.
  const std::size_t readable = b.user_src ? s.region.first_bad(b.src, b.len, false) : b.len;
  const std::size_t writable = b.user_dst ? s.region.first_bad(b.dst, b.len, true) : b.len;
  const std::size_t static_count = std::min(readable, writable);
  const bool static_read_fault = readable <= writable;
  if (b.fill)
    set_context("%s%s(%#zx, %zu, %#04x)", use_cxx ? "" : "C ", b.name, b.dst, b.len, b.value);
  else
    set_context("%s%s(%#zx, %#zx, %zu)%s", use_cxx ? "" : "C ", b.name, b.dst, b.src, b.len,
                op == kMoveNear ? ", overlapping" : "");

  for (int round = 0; round < rounds; ++round) {
    const Outcome got = race_round(s, [&] { return run_bulk_op(b, use_cxx); });
    const bool src_raced = b.user_src && any_raced(s, b.src, b.len);
    const bool dst_raced = b.user_dst && any_raced(s, b.dst, b.len);
    const std::size_t count = got.status == 0 ? b.len : got.bytes;
    if (tracing())
      std::fprintf(stderr, "%s round %d -> %s at %#zx, %s, %zu bytes (static %zu)%s%s\n",
                   g_context, round, status_text(got.status), got.address,
                   got.is_write ? "write" : "read", count, static_count,
                   src_raced ? ", source raced" : "", dst_raced ? ", destination raced" : "");
    note(s, op, b.len, got, count, static_count, src_raced, dst_raced);
    if (injection() == Inject::Mismatch) plant_bug(s, b, count, static_count, src_raced);

    if (got.status == 0) {
      if (static_count != b.len)
        mismatch("succeeded, but the static page map stops it at byte %zu of %zu", static_count,
                 b.len);
    } else {
      if (got.status != STATUS_ACCESS_VIOLATION && got.status != STATUS_IN_PAGE_ERROR)
        mismatch("status %s: not one a copy or fill returns for a fault", status_text(got.status));
      if (got.kernel == nullptr) mismatch("a fault with no kernel named");
      if (!same_name(got.operation, b.name))
        mismatch("operation name \"%s\", not \"%s\"", got.operation ? got.operation : "(null)",
                 b.name);
      if (got.bytes > static_count)
        mismatch("%zu bytes done, but the static page map stops it at %zu", got.bytes,
                 static_count);
      // The address: in the buffer of its direction, in a page raced or statically bad.
      const std::uintptr_t a = got.address;
      const bool ok_side = got.is_write ? b.user_dst && a - b.dst < b.len
                                        : b.user_src && a - b.src < b.len;
      if (!ok_side)
        mismatch("%s fault at %#zx, outside the %s", got.is_write ? "write" : "read", a,
                 got.is_write ? "user destination" : "user source");
      const bool bad_page = got.is_write ? !s.region.writable(a) : !s.region.readable(a);
      if (!raced_at(s, a) && !bad_page)
        mismatch("fault at %#zx, in a page that was neither raced nor inaccessible", a);
      const bool bus = got.status == STATUS_IN_PAGE_ERROR;
      if (bus && (s.region.kind_at(a) != Kind::RacedFile || !raced_at(s, a)))
        mismatch("STATUS_IN_PAGE_ERROR at %#zx, not a raced memfd page", a);
      if (got.have_signal && got.signal != (bus ? SIGBUS : SIGSEGV))
        mismatch("signal %d for %s", got.signal, status_text(got.status));
      if (!src_raced && !dst_raced) {  // nothing raced: the exact outcome
        const std::uintptr_t want = (static_read_fault ? b.src : b.dst) + static_count;
        if (got.bytes != static_count || a != want || got.is_write == static_read_fault || bus)
          mismatch("nothing was raced, but %s at %#zx (%s), %zu bytes; the page map says "
                   "STATUS_ACCESS_VIOLATION at %#zx (%s), %zu bytes", status_text(got.status), a,
                   got.is_write ? "write" : "read", got.bytes, want,
                   static_read_fault ? "read" : "write", static_count);
      } else if (got.bytes < static_count) {
        // A race cut it short: at a byte of a raced page, on one side or the other.
        const bool src_cut = b.user_src && raced_at(s, b.src + got.bytes);
        const bool dst_cut = b.user_dst && raced_at(s, b.dst + got.bytes);
        if (!src_cut && !dst_cut)
          mismatch("%zu bytes done of the %zu the page map allows, but byte %zu lies in no "
                   "page raced during the operation", got.bytes, static_count, got.bytes);
      }
    }
    const bool src_unreadable = b.user_src && any_unreadable(s, b.src, b.len);
    const Overhang overhang = check_memory(s, b, count, src_unreadable);
    s.cut_short += got.status != 0 && got.bytes < static_count;
    s.in_page_errors += got.status == STATUS_IN_PAGE_ERROR;
    s.src_overhangs += overhang.src != 0;
    s.max_src_overhang = std::max(s.max_src_overhang, overhang.src);
    s.dst_overhangs += overhang.dst != 0;
    s.max_dst_overhang = std::max(s.max_dst_overhang, overhang.dst);
    if (!b.user_dst) {
      const std::size_t off = b.dst - reinterpret_cast<std::uintptr_t>(s.kbuf);
      s.kdirty_lo = std::min(s.kdirty_lo, off);
      s.kdirty_hi = std::max(s.kdirty_hi, off + b.len);
    }
  }
}

// ---- String lengths -----------------------------------------------------------------------------

// The length from the laid pattern and the static map: units in order, a NUL unit ends it,
// a byte the map does not allow faults. Returns the unit index where it ends and whether it
// found a NUL; *fault_at is the first unreadable byte otherwise.
std::size_t model_string(const State& s, std::uintptr_t p, unsigned unit, bool* found,
                         std::uintptr_t* fault_at) {
  for (std::uintptr_t a = p;; a += unit) {
    for (unsigned k = 0; k < unit; ++k)
      if (!s.region.readable(a + k)) {
        *found = false;
        *fault_at = a + k;
        return (a - p) / unit;
      }
    if (s.region.laid(a) == 0 && (unit == 1 || s.region.laid(a + 1) == 0)) {
      *found = true;
      return (a - p) / unit;
    }
  }
}

void string_length(State& s, const Record& r, int rounds) {
  const std::uintptr_t p = user_position(s, r.a);
  const bool use_cxx = (r.flags & 1) != 0;
  const unsigned unit = (r.flags & 2) ? 2 : 1;
  const char* name = unit == 1 ? "StringLengthFromUser" : "WideStringLengthFromUser";
  bool found = false;
  std::uintptr_t fault_at = 0;
  const std::size_t length = model_string(s, p, unit, &found, &fault_at);
  const std::uintptr_t span_end = found ? p + (length + 1) * unit : fault_at + 1;
  set_context("%s%s(%#zx)", use_cxx ? "" : "C ", name, p);
  for (int round = 0; round < rounds; ++round) {
    std::size_t result = 0x5eed;
    const Outcome got = race_round(s, [&]() -> Outcome {
      if (use_cxx) {
        return run_cxx([&] {
          result = unit == 1 ? StringLengthFromUser(reinterpret_cast<const char*>(p))
                             : WideStringLengthFromUser(reinterpret_cast<const WCHAR*>(p));
        });
      }
      poison_last_failure();
      const umaccess_ntstatus st =
          unit == 1 ? umaccess_string_length_from_user(reinterpret_cast<const char*>(p), &result)
                    : umaccess_wide_string_length_from_user(
                          reinterpret_cast<const umaccess_wchar*>(p), &result);
      if (st != 0 && result != 0x5eed) mismatch("a failed string length stored to *length");
      return c_outcome(st, 0);
    });
    const bool raced = any_raced(s, p, span_end - p);
    if (tracing())
      std::fprintf(stderr, "%s round %d -> %s at %#zx, length %zu (model %zu%s)%s\n", g_context,
                   round, status_text(got.status), got.address, result, length,
                   found ? "" : ", then a fault", raced ? ", raced" : "");
    feature((0x5700 + unit * 16 + (got.status != 0) * 4 + raced * 2 + found) * 1024 +
            (s.config_key >> 8));
    s.in_page_errors += got.status == STATUS_IN_PAGE_ERROR;
    s.cut_short += raced && (got.status != 0 || result != length) &&
                   (found || got.status == 0 || got.address != fault_at);
    if (got.status == 0) {
      if (result == length && found) continue;
      // Earlier: only at a NUL of a page zeroed meanwhile.
      const std::uintptr_t at = p + result * unit;
      if (result > length || !(raced_at(s, at) || raced_at(s, at + unit - 1)))
        mismatch("length %zu, the model says %zu%s, and no page raced there", result, length,
                 found ? "" : " then a fault");
      continue;
    }
    if (got.status != STATUS_ACCESS_VIOLATION && got.status != STATUS_IN_PAGE_ERROR)
      mismatch("status %s: not one a string length returns for a fault", status_text(got.status));
    if (got.is_write || got.kernel == nullptr || !same_name(got.operation, name))
      mismatch("fault reported as %s, kernel %s, operation %s", got.is_write ? "a write" : "a read",
               got.kernel ? got.kernel : "(null)", got.operation ? got.operation : "(null)");
    const std::uintptr_t a = got.address;
    if (a < p || a >= span_end || (!raced_at(s, a) && s.region.readable(a)))
      mismatch("fault at %#zx: not in a raced or unreadable page of the string [%#zx, %#zx)", a,
               p, span_end);
    if (!raced && (found || a != fault_at || got.status != STATUS_ACCESS_VIOLATION))
      mismatch("nothing was raced, but %s at %#zx; the model says %s", status_text(got.status), a,
               found ? "success" : "a fault");
  }
}

// ---- The input ----------------------------------------------------------------------------------

void run_record(State& s, const Record& r) {
  const unsigned op = r.op % kOperations;
  const int rounds = 1 + ((r.flags >> 4) & 7);
  if (op == kStringLength) return string_length(s, r, rounds);
  bulk(s, r, op, rounds);
}

// At exit: evidence that the races happen and change outcomes (a run where they do not tests
// nothing more than fuzz_ops).
void print_tally() {
  if (g_state == nullptr) return;
  const State& s = *g_state;
  std::fprintf(stderr, "umaccess fuzz_race: %ld operations, %ld with a page of the region raced "
                       "during them, %ld cut short by the race, %ld STATUS_IN_PAGE_ERROR; "
                       "copied bytes past the count: %ld times with a source page unreadable "
                       "(at most %zu bytes), %ld on a destination page made unreadable (at most "
                       "%zu bytes); %ld disturbances\n",
               s.rounds, s.raced_rounds, s.cut_short, s.in_page_errors, s.src_overhangs,
               s.max_src_overhang, s.dst_overhangs, s.max_dst_overhang,
               s.racer.disturbances());
}

void on_bug_check(const umaccess_bug_check_info* info, void*) {
  mismatch("bug check %#x from %s: %s", info->code, info->operation ? info->operation : "?",
           info->message ? info->message : "");
}

State& state() {
  static State* s = [] {
    ensure_fault_handler_in_front();
    umaccess::set_bug_check_callback(on_bug_check);
    auto* st = new State;
    st->kbuf_size = kKernelMargin + 64 + Region::max_length() + kKernelMargin;
    void* k = mmap(nullptr, st->kbuf_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (k == MAP_FAILED) harness_failure("mmap of the kernel-side buffer");
    st->kbuf = static_cast<std::uint8_t*>(k);
    st->kpristine.resize(st->kbuf_size);
    for (std::size_t i = 0; i < st->kbuf_size; ++i) {
      std::uint32_t h = static_cast<std::uint32_t>(i) * 0x2545F491u + 0x77;
      h ^= h >> 13;
      h *= 0x5bd1e995u;
      h ^= h >> 15;
      st->kpristine[i] = static_cast<std::uint8_t>(h) | 1;  // never zero
    }
    std::memcpy(st->kbuf, st->kpristine.data(), st->kbuf_size);
    g_state = st;
    g_describe_state = describe_state;
    std::atexit(print_tally);
    return st;
  }();
  return *s;
}

}  // namespace
}  // namespace umafuzz::race

using namespace umafuzz;
using namespace umafuzz::race;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  State& s = state();
  Input in(data, size);
  set_context("input setup");

  const std::uint8_t config_a = in.u8(), config_b = in.u8();
  s.config_key = s.configs.apply(config_a, config_b);
  const std::uint8_t content = in.u8(), zeros = in.u8();
  Kind kinds[kPages];
  for (std::size_t i = 0; i < kPages; i += 2) {
    const std::uint8_t b = in.u8();
    kinds[i] = race_kind_from_nibble(b & 15);
    kinds[i + 1] = race_kind_from_nibble(b >> 4);
  }
  for (auto& r : s.raced) r = false;
  s.region.layout(kinds, content, zeros);

  const int n_actions = in.u8() % (kMaxActions + 1);
  Action actions[kMaxActions];
  for (auto& a : actions) {
    a.page = in.u8();
    a.kind = in.u8();
    a.delay = in.u8();
    a.hold = in.u8();
  }
  std::size_t raced[kPages];
  std::size_t n_raced = 0;
  for (std::size_t i = 0; i < kPages; ++i)
    if (is_raced(kinds[i])) raced[n_raced++] = i;
  s.racer.set_script(actions, n_actions, raced, n_raced);

  for (int n = 0; n < kMaxRecords && in.remaining() > 0; ++n) run_record(s, read_record(in));
  set_context("end of input");
  return 0;
}
