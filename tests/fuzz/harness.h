// SPDX-License-Identifier: Apache-2.0
// tests/fuzz/harness.h - what the libFuzzer targets share: an input reader, a page arena
// whose pages are read-write, read-only, PROT_NONE, unmapped, SIGBUS or resolved on demand as
// the input decides (with the reference copy of its contents the models predict), the kernel
// variant selection, the capture of a failure from the C API or the C++ exception, the
// mismatch report, and the self-test switches (UMACCESS_FUZZ_INJECT).
//
// Why an arena: the library's promises are stated in terms of pages (a fault names the
// first inaccessible byte, exactly the bytes before it are copied, nothing else is written),
// so the models need to know the protection of every page an operation can reach. The arena
// is one reservation [lead guard][kPages pages][trail guard]; the guards are PROT_NONE and
// longer than any operation, so no operation can reach memory the model does not know
// (a backward move starts at its top end, so the trailing guard must cover the longest one).
//
// Signal handlers: libFuzzer (and ASan, with handle_segv=1) install SIGSEGV/SIGBUS handlers.
// umaccess must see faults first; ensure_fault_handler_in_front() re-installs ours at the
// first input, after libFuzzer has installed its handlers, so faults that are not umaccess's
// chain to libFuzzer/ASan, which report them as crashes (the segv self-test proves that).
#pragma once

#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "umaccess/usermode_accessors.h"

namespace umafuzz {

// For loops over every byte of a buffer (patterns, snapshots, scans): their comparisons
// would otherwise be traced for libFuzzer on every byte, which costs most of the run time
// and tells it nothing (the decisions that matter are outside these loops).
#define UMAFUZZ_BULK __attribute__((no_sanitize("coverage")))

// ---- Input --------------------------------------------------------------------------------------

// Reads the fuzzer's bytes front to back; past the end every read is 0, so every input
// decodes to something valid and short inputs mean "all defaults".
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t u8() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(u8() | u8() << 8); }
  std::uint32_t u24() { return u16() | static_cast<std::uint32_t>(u8()) << 16; }
  std::uint32_t u32() { return u16() | static_cast<std::uint32_t>(u16()) << 16; }
  std::uint64_t u64() { return u32() | static_cast<std::uint64_t>(u32()) << 32; }
  std::size_t remaining() const { return pos_ < size_ ? size_ - pos_ : 0; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// One operation of an input, as fuzz_ops and fuzz_race both encode it:
// [operation][flags][position A 3][position B 3][length 3][argument] (12 bytes).
struct Record {
  std::uint8_t op, flags;
  std::uint32_t a, b, len;
  std::uint8_t arg;
};

inline Record read_record(Input& in) {
  Record r;
  r.op = in.u8();
  r.flags = in.u8();
  r.a = in.u24();
  r.b = in.u24();
  r.len = in.u24();
  r.arg = in.u8();
  return r;
}

// A length from 24 input bits: short (every head class), medium, anything up to `max`, or
// "to the end of the page of `p`, plus whole pages, plus a few bytes either side" (tail
// faults at exact bytes). Shared by fuzz_ops and fuzz_race, so their corpora mean the same.
inline std::size_t decode_length(std::uint32_t v, std::uintptr_t p, std::size_t max,
                                 std::size_t page) {
  const std::uint32_t n = (v >> 8) | (v & 0x3f) << 16;
  switch ((v & 0xff) >> 6) {
    case 0: return n % 257;
    case 1: return n % 8193;
    case 2: return n % (max + 1);
    default: {
      const auto len = static_cast<std::int64_t>(page - p % page + ((n >> 8) % 8) * page) +
                       static_cast<std::int8_t>(n & 0xff);
      return static_cast<std::size_t>(std::clamp<std::int64_t>(len, 0, max));
    }
  }
}

// ---- Self-test injection ------------------------------------------------------------------------
// UMACCESS_FUZZ_INJECT=mismatch makes the harness simulate a library bug (an off-by-one in
// a fault tail) so that the model must catch it; =segv makes the harness itself touch an
// unmapped page, a real bug outside umaccess that libFuzzer must report as a crash. Both
// exist so that CI proves the harness can fail.
enum class Inject { None, Mismatch, Segv };
inline Inject injection() {
  static const Inject value = [] {
    const char* v = std::getenv("UMACCESS_FUZZ_INJECT");
    if (v == nullptr) return Inject::None;
    if (std::strcmp(v, "mismatch") == 0) return Inject::Mismatch;
    if (std::strcmp(v, "segv") == 0) return Inject::Segv;
    return Inject::None;
  }();
  return value;
}

// ---- Reporting ----------------------------------------------------------------------------------

// UMACCESS_FUZZ_TRACE=1 prints every operation and its outcome (for reading a reproducer).
inline bool tracing() {
  static const bool on = std::getenv("UMACCESS_FUZZ_TRACE") != nullptr;
  return on;
}

// What the current operation is, for the report (set before each call).
inline char g_context[512];
inline void set_context(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
inline void set_context(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(g_context, sizeof g_context, fmt, ap);
  va_end(ap);
}

// Extra lines for the report (the page map), provided by the target.
inline void (*g_describe_state)() = nullptr;

// A model mismatch: print what was expected and seen, then abort so that libFuzzer saves the
// input as a crash.
[[noreturn]] inline void mismatch(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
[[noreturn]] inline void mismatch(const char* fmt, ...) {
  std::fprintf(stderr, "\numaccess fuzz: MODEL MISMATCH in %s\n  ", g_context);
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  std::fprintf(stderr, "\n");
  if (g_describe_state != nullptr) g_describe_state();
  std::fflush(stderr);
  std::abort();
}

// ---- Extra coverage -----------------------------------------------------------------------------
// The assembly kernels are not instrumented, so libFuzzer cannot see which size class or
// fault path ran. Each operation bumps a counter named by (operation, kernel configuration,
// length class, where the fault fell, misalignment): libFuzzer's extra counters make each a
// feature, so inputs reaching a new combination are kept.
constexpr std::size_t kExtraCounters = 1 << 16;
// One array per fuzzer (an inline variable: fuzz_ops is several files), found by libFuzzer
// through the section.
__attribute__((used, section("__libfuzzer_extra_counters")))
inline std::uint8_t umafuzz_extra_counters[kExtraCounters];
// UMACCESS_FUZZ_EDGES_ONLY=1 turns them off: the corpus merge for the repository uses it (with
// -use_counters=0) to keep one input per covered edge rather than per combination.
inline bool extra_features() {
  static const bool on = std::getenv("UMACCESS_FUZZ_EDGES_ONLY") == nullptr;
  return on;
}
// Set, not counted: how often an input reaches a combination is noise (libFuzzer would make
// each count bucket a feature of its own and keep inputs for them).
inline void feature(std::uint64_t h) {
  if (!extra_features()) return;
  h ^= h >> 31;
  h *= 0x9e3779b97f4a7c15ull;
  h ^= h >> 29;
  umafuzz_extra_counters[h % kExtraCounters] = 1;
}
inline unsigned log2_class(std::size_t n) {
  return n == 0 ? 0 : 64 - static_cast<unsigned>(__builtin_clzll(n));
}

// ---- Signal handlers ----------------------------------------------------------------------------

inline void ensure_fault_handler_in_front() {
  static bool done = false;
  if (done) return;
  umaccess::install_fault_handler();  // in front of libFuzzer's and ASan's
  done = true;
}

// ---- Kernel configurations ----------------------------------------------------------------------
// The variant and the four thresholds, chosen by two input bytes: every variant this CPU
// supports, with the rep-string and streaming size classes off, from the first byte, at
// boundary lengths, or as derived (auto). Like tests/support.h kernel_configs(), plus
// thresholds at arbitrary boundaries so the plan's edges get fuzzed too.
class KernelConfigs {
 public:
  KernelConfigs() {
    for (const auto& v : umaccess::dispatch::variants())
      if (v.supported) variants_.push_back(v.name);
  }

  // Applies the configuration named by (a, b) if it is not the current one. Returns a key
  // naming it (variant, preset, pinned thresholds) for the extra coverage; label() names it
  // for reports.
  unsigned apply(std::uint8_t a, std::uint8_t b) {
    constexpr std::size_t never = umaccess::dispatch::kNever;
    static const std::size_t kBoundaries[] = {0,    1,    64,   255,  256,  257,
                                              512,  1024, 2048, 2112, 4096, never};
    constexpr std::size_t kNb = sizeof kBoundaries / sizeof kBoundaries[0];
    const unsigned variant = a % (variants_.size() + 1);  // the last one: "auto"
    const unsigned preset = (a >> 4) % 5;
    umaccess::dispatch::Thresholds t{never, never, never, never};
    bool derived = false;
    switch (preset) {
      case 0: break;                                  // the variant's vector kernels alone
      case 1: t = {never, never, 0, 0}; break;        // streaming stores everywhere
      case 2: t = {0, 0, never, never}; break;        // rep movsb / rep stosb everywhere
      case 3: derived = true; break;                  // the real plan
      default:
        t = {kBoundaries[b % kNb], kBoundaries[(b / kNb) % kNb], kBoundaries[(b / 3) % kNb],
             kBoundaries[(b / 7) % kNb]};
    }
    const unsigned key = variant * 4096 + preset * 256 + (preset == 4 ? b : 0);
    if (key == current_) return key;
    const std::string name = variant < variants_.size() ? variants_[variant] : "auto";
    umaccess::dispatch::select(name);
    if (derived)
      umaccess::dispatch::reset_thresholds();
    else
      umaccess::dispatch::set_thresholds(t);
    current_ = key;
    std::snprintf(label_, sizeof label_, "%s/%s", name.c_str(),
                  derived ? "derived" : preset == 0 ? "vector" : preset == 1 ? "nt" :
                  preset == 2 ? "rep" : "pinned");
    return key;
  }
  const char* label() const { return label_; }

 private:
  std::vector<std::string> variants_;
  unsigned current_ = ~0u;
  char label_[64] = "";
};

// ---- The page arena -----------------------------------------------------------------------------

// kBusError: a shared mapping of an empty file, so every access raises SIGBUS (BUS_ADRERR),
// which umaccess reports as STATUS_IN_PAGE_ERROR, like a mapped file that shrank.
// kLazy: PROT_NONE until an operation faults on it; the fault resolver (docs/fault-model.md,
// "The resolver hook", set_fault_resolver) then makes it read-write and the faulting instruction runs
// again, so for the model it is a read-write page (demand-paged guest memory).
enum PageKind : std::uint8_t { kReadWrite, kReadOnly, kNoAccess, kUnmapped, kBusError, kLazy };
inline char kind_letter(PageKind k) { return "wrnubl"[k]; }
// One nibble of the input's page map: read-write is the most common.
inline PageKind kind_from_nibble(unsigned nibble) {
  return nibble < 8 ? kReadWrite : nibble < 9 ? kLazy : nibble < 11 ? kReadOnly
         : nibble < 13 ? kNoAccess : nibble < 15 ? kUnmapped : kBusError;
}

struct Expected;

class Arena {
 public:
  static constexpr std::size_t kPages = 24;
  static constexpr std::size_t kLeadPages = 16;
  static constexpr std::size_t kTrailPages = kPages + 16;

  Arena() : ps_(static_cast<std::size_t>(sysconf(_SC_PAGESIZE))) {
    const std::size_t total = (kLeadPages + kPages + kTrailPages) * ps_;
    void* p = mmap(nullptr, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) fatal("cannot reserve the arena");
    base_ = static_cast<char*>(p) + kLeadPages * ps_;
    if (mprotect(base_, kPages * ps_, PROT_READ | PROT_WRITE) != 0) fatal("mprotect");
    empty_file_ = memfd_create("umaccess-fuzz-empty", MFD_CLOEXEC);
    if (empty_file_ < 0) fatal("memfd_create");
    for (auto& k : kinds_) k = kReadWrite;
    for (auto& o : lazy_open_) o = false;
    for (auto& s : stamps_) s = -1;
    for (auto& d : dirty_) d = true;
    model_.assign(kPages * ps_, 0);
    hash_.resize(kPages * ps_);
    for (std::size_t i = 0; i < hash_.size(); ++i) {
      std::uint32_t h = static_cast<std::uint32_t>(i) * 0x9E3779B1u;
      h ^= h >> 15;
      h *= 0x2C1B3C6Du;
      h ^= h >> 12;
      h *= 0x297A2D39u;
      h ^= h >> 15;
      hash_[i] = h;
    }
  }

  std::size_t page_size() const { return ps_; }
  char* base() const { return base_; }
  std::size_t size() const { return kPages * ps_; }
  std::uintptr_t begin_address() const { return reinterpret_cast<std::uintptr_t>(base_); }
  std::uintptr_t end_address() const { return begin_address() + size(); }
  // The longest operation the guards make safe.
  std::size_t max_length() const { return (kPages + 2) * ps_; }

  // Lays out the pages and their contents. `content` seeds the byte pattern; `zeros` is
  // the density of NULs (zeros/256), for the string operations. Only pages whose contents
  // may differ from the pattern (written since, or a new pattern) are rewritten.
  void layout(const PageKind* kinds, std::uint8_t content, std::uint8_t zeros) {
    const int stamp = content << 8 | zeros;
    for (std::size_t i = 0; i < kPages; ++i) {
      char* page = base_ + i * ps_;
      const PageKind want = kinds[i];
      if (kinds_[i] == kBusError && want != kBusError) {
        if (munmap(page, ps_) != 0) fatal("munmap");
        kinds_[i] = kUnmapped;
      }
      if (want == kUnmapped || want == kBusError) {
        if (kinds_[i] == want) continue;
        if (kinds_[i] != kUnmapped && munmap(page, ps_) != 0) fatal("munmap");
        kinds_[i] = kUnmapped;
        stamps_[i] = -1;
        if (want == kBusError) {
          void* q = mmap(page, ps_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE,
                         empty_file_, 0);
          if (q != page) fatal("a foreign mapping took an unmapped arena page");
          kinds_[i] = kBusError;
        }
        continue;
      }
      if (kinds_[i] == kUnmapped) {
        // MAP_FIXED_NOREPLACE: never clobber a mapping someone else placed in our hole.
        void* q = mmap(page, ps_, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (q != page) fatal("a foreign mapping took an unmapped arena page");
        kinds_[i] = kReadWrite;
      }
      const bool contents_matter = want == kReadWrite || want == kReadOnly || want == kLazy;
      if (contents_matter && (stamps_[i] != stamp || dirty_[i])) {
        if (kinds_[i] != kReadWrite && mprotect(page, ps_, PROT_READ | PROT_WRITE) != 0)
          fatal("mprotect");
        kinds_[i] = kReadWrite;
        std::uint8_t* m = model_.data() + i * ps_;
        fill_pattern(m, hash_.data() + i * ps_, ps_, content, zeros);
        std::memcpy(page, m, ps_);
        stamps_[i] = stamp;
        dirty_[i] = false;
      }
      if (want != kinds_[i]) {
        const int prot = want == kReadWrite ? PROT_READ | PROT_WRITE
                         : want == kReadOnly ? PROT_READ : PROT_NONE;  // kLazy too
        if (mprotect(page, ps_, prot) != 0) fatal("mprotect");
        kinds_[i] = want;
      }
    }
  }

  // The model (and so the page) of [p, p + n) may have changed: rewrite it at the next layout.
  void mark_dirty(std::uintptr_t p, std::size_t n) {
    if (n == 0) return;
    const std::uintptr_t lo = std::max(p, begin_address());
    const std::uintptr_t hi = std::min(p + n, end_address());
    for (std::uintptr_t a = lo; a < hi; a = a - a % ps_ + ps_)
      dirty_[(a - begin_address()) / ps_] = true;
  }

  // Protection of the page holding address a (the guards are PROT_NONE).
  PageKind kind_at(std::uintptr_t a) const {
    if (a < begin_address() || a >= end_address()) return kNoAccess;
    return kinds_[(a - begin_address()) / ps_];
  }
  PageKind page_kind(std::size_t i) const { return kinds_[i]; }
  bool readable(std::uintptr_t a) const {
    const PageKind k = kind_at(a);
    return k == kReadWrite || k == kReadOnly || k == kLazy;
  }
  bool writable(std::uintptr_t a) const {
    const PageKind k = kind_at(a);
    return k == kReadWrite || k == kLazy;
  }
  // Whether the harness itself may read a at this moment (a lazy page only while open).
  bool accessible_now(std::uintptr_t a) const {
    const PageKind k = kind_at(a);
    return k == kReadWrite || k == kReadOnly ||
           (k == kLazy && lazy_open_[(a - begin_address()) / ps_]);
  }
  // Kernel mode has no recovery, so no resolver either: a lazy page would crash it.
  bool has_lazy_pages() const {
    for (PageKind k : kinds_)
      if (k == kLazy) return true;
    return false;
  }

  // The fault resolver (runs in the signal handler: only async-signal-safe calls). Opens a
  // lazy page that is still closed; every other fault stands.
  static int resolve(void* address, int /*is_write*/, void* context) {
    auto* self = static_cast<Arena*>(context);
    const auto a = reinterpret_cast<std::uintptr_t>(address);
    if (a < self->begin_address() || a >= self->end_address()) return 0;
    const std::size_t i = (a - self->begin_address()) / self->ps_;
    if (self->kinds_[i] != kLazy || self->lazy_open_[i]) return 0;
    if (mprotect(self->base_ + i * self->ps_, self->ps_, PROT_READ | PROT_WRITE) != 0) return 0;
    self->lazy_open_[i] = true;
    ++self->resolved_;
    return 1;
  }
  // After an operation: the lazy pages it opened must equal the model; close them again so
  // that the next operation faults on them too. Returns how many were opened.
  unsigned close_lazy_pages() {
    const unsigned n = resolved_;
    for (std::size_t i = 0; i < kPages; ++i) {
      if (!lazy_open_[i]) continue;
      compare_page(i);
      if (mprotect(base_ + i * ps_, ps_, PROT_NONE) != 0) fatal("mprotect");
      lazy_open_[i] = false;
    }
    resolved_ = 0;
    return n;
  }
  // The signal and si_code the kernel raises for an access that faults at a.
  int signal_at(std::uintptr_t a) const { return kind_at(a) == kBusError ? SIGBUS : SIGSEGV; }
  int si_code_at(std::uintptr_t a) const {
    const PageKind k = kind_at(a);
    return k == kBusError ? BUS_ADRERR : k == kUnmapped ? SEGV_MAPERR : SEGV_ACCERR;
  }
  // What umaccess reports for an access that faults at a (docs/fault-model.md).
  Expected fault(std::uintptr_t a, bool write, std::size_t done, const char* op) const;
  // The index of the first byte of [p, p + n) that cannot be read (written), or n.
  std::size_t first_unreadable(std::uintptr_t p, std::size_t n) const {
    return first_bad(p, n, false);
  }
  std::size_t first_unwritable(std::uintptr_t p, std::size_t n) const {
    return first_bad(p, n, true);
  }
  bool contains(std::uintptr_t p, std::size_t n) const {
    return p >= begin_address() && p <= end_address() && n <= end_address() - p;
  }

  // The model's bytes (meaningful on read-write and read-only pages).
  std::uint8_t* model_at(std::uintptr_t a) { return model_.data() + (a - begin_address()); }
  const std::uint8_t* model_at(std::uintptr_t a) const {
    return model_.data() + (a - begin_address());
  }
  std::uint8_t model_byte(std::uintptr_t a) const { return model_[a - begin_address()]; }

  // The model's bytes of [p, p + n) into out (0 where the model has none).
  UMAFUZZ_BULK void snapshot(std::uintptr_t p, std::size_t n, std::uint8_t* out) const {
    std::size_t i = 0;
    while (i < n) {
      const std::uintptr_t a = p + i;
      const std::size_t run = std::min(n - i, ps_ - a % ps_);
      if (readable(a))
        std::memcpy(out + i, model_.data() + (a - begin_address()), run);
      else
        std::memset(out + i, 0, run);
      i += run;
    }
  }

  // Every read-write page must equal the model (read-only ones cannot change).
  void verify() const {
    for (std::size_t i = 0; i < kPages; ++i)
      if (kinds_[i] == kReadWrite || lazy_open_[i]) compare_page(i);
  }
  UMAFUZZ_BULK void compare_page(std::size_t i) const {
    const std::uint8_t* real = reinterpret_cast<const std::uint8_t*>(base_ + i * ps_);
    const std::uint8_t* want = model_.data() + i * ps_;
    if (std::memcmp(real, want, ps_) == 0) return;
    std::size_t j = 0;
    while (real[j] == want[j]) ++j;
    std::size_t last = ps_ - 1;
    while (real[last] == want[last]) --last;
    mismatch("arena byte at arena+%#zx (page %zu, %c) is %#04x, the model says %#04x "
             "(differences up to arena+%#zx)",
             i * ps_ + j, i, kind_letter(kinds_[i]), real[j], want[j], i * ps_ + last);
  }

  // The unmapped pages are still unmapped (nothing else mapped into them meanwhile).
  bool holes_intact() const {
    for (std::size_t i = 0; i < kPages; ++i) {
      if (kinds_[i] != kUnmapped) continue;
      unsigned char v;
      if (mincore(base_ + i * ps_, ps_, &v) == 0 || errno != ENOMEM) return false;
    }
    return true;
  }

  void describe() const {
    std::fprintf(stderr, "  arena %p, %zu pages of %zu bytes: ", static_cast<void*>(base_),
                 kPages, ps_);
    for (std::size_t i = 0; i < kPages; ++i) std::fputc(kind_letter(kinds_[i]), stderr);
    std::fprintf(stderr, "  (w rw, r ro, n PROT_NONE, u unmapped, b SIGBUS, l resolved on fault; "
                         "guards PROT_NONE)\n");
    if (!holes_intact())
      std::fprintf(stderr, "  NOTE: a foreign mapping appeared in an unmapped arena page: the "
                           "model's page map is wrong, this is not a library bug\n");
  }

  // Neighbouring bytes differ, so shifted, dropped or duplicated bytes show up; NULs come
  // only from `zeros`.
  static std::uint8_t pattern(std::uint32_t hash, std::uint8_t content, std::uint8_t zeros) {
    if ((hash >> 24) < zeros) return 0;
    const auto v = static_cast<std::uint8_t>(hash ^ content);
    return v == 0 ? 0x5A : v;
  }
  UMAFUZZ_BULK static void fill_pattern(std::uint8_t* out, const std::uint32_t* hash,
                                        std::size_t n, std::uint8_t content, std::uint8_t zeros) {
    for (std::size_t j = 0; j < n; ++j) out[j] = pattern(hash[j], content, zeros);
  }

 private:
  [[noreturn]] static void fatal(const char* what) {
    std::fprintf(stderr, "umaccess fuzz: harness failure: %s: %s\n", what, std::strerror(errno));
    std::abort();
  }

  std::size_t first_bad(std::uintptr_t p, std::size_t n, bool write) const {
    std::size_t i = 0;
    while (i < n) {
      const std::uintptr_t a = p + i;
      if (write ? !writable(a) : !readable(a)) return i;
      const std::size_t to_page_end = ps_ - (a % ps_);
      i += to_page_end;
    }
    return n;
  }

  std::size_t ps_;
  int empty_file_;  // mapped for kBusError pages
  char* base_;
  PageKind kinds_[kPages];
  volatile bool lazy_open_[kPages];  // a lazy page the resolver opened (signal handler writes)
  volatile unsigned resolved_ = 0;
  int stamps_[kPages];   // the pattern a page holds, or -1
  bool dirty_[kPages];   // written since the pattern was laid
  std::vector<std::uint8_t> model_;
  std::vector<std::uint32_t> hash_;  // per byte, fixed: the pattern's source
};

// ---- Failures -----------------------------------------------------------------------------------

// What an operation reported, from either API.
struct Outcome {
  umaccess_ntstatus status = 0;
  std::uintptr_t address = 0;
  bool is_write = false;
  std::size_t bytes = 0;
  bool have_signal = false;  // the C record has signal and si_code; the exception has not
  int signal = 0;
  int signal_code = 0;
  const char* operation = nullptr;
  const char* kernel = nullptr;
};

// What the model predicts.
struct Expected {
  umaccess_ntstatus status = 0;
  std::uintptr_t address = 0;
  bool is_write = false;
  std::size_t bytes = 0;
  int signal = 0;       // 0: a check refused (no kernel named); SIGSEGV: a fault
  int signal_code = 0;
  const char* operation = nullptr;
  const char* alt_operation = nullptr;  // also accepted (nullptr: none)
  bool check_address = true;            // false: the caller checks it (backward moves)

  static Expected success() { return {}; }
  static Expected refused(umaccess_ntstatus s, std::uintptr_t a, bool w, const char* op) {
    Expected e;
    e.status = s;
    e.address = a;
    e.is_write = w;
    e.operation = op;
    return e;
  }
};

inline Expected Arena::fault(std::uintptr_t a, bool write, std::size_t done,
                             const char* op) const {
  Expected e;
  e.signal = signal_at(a);
  e.status = e.signal == SIGBUS ? STATUS_IN_PAGE_ERROR : STATUS_ACCESS_VIOLATION;
  e.address = a;
  e.is_write = write;
  e.bytes = done;
  e.signal_code = si_code_at(a);
  e.operation = op;
  return e;
}

inline const char* status_text(umaccess_ntstatus s) {
  return s == 0 ? "STATUS_SUCCESS" : umaccess::status_name(s);
}

// Marks the thread's failure record, so that a failing C call that forgot to record its
// failure is caught (successful calls do not clear the record, by design).
constexpr std::uintptr_t kStaleAddress = 0x5717e;
inline void poison_last_failure() {
  (void)umaccess_probe_alignment_as("<stale record>", reinterpret_cast<void*>(kStaleAddress), 1,
                                    3, 0);
}

// After a C call returned `status`: the outcome, with the thread's failure record.
inline Outcome c_outcome(umaccess_ntstatus status, std::size_t bytes) {
  Outcome o;
  o.status = status;
  o.bytes = bytes;
  if (status == 0) return o;
  umaccess_failure f;
  if (umaccess_last_failure(&f) == 0) mismatch("failed with %s but no failure was recorded",
                                               status_text(status));
  if (f.status != status)
    mismatch("returned %s but the failure record says %s", status_text(status),
             status_text(f.status));
  o.address = f.address;
  o.is_write = f.is_write != 0;
  if (f.bytes_done != bytes)
    mismatch("returned %zu bytes done but the failure record says %zu", bytes, f.bytes_done);
  o.have_signal = true;
  o.signal = f.signal;
  o.signal_code = f.signal_code;
  o.operation = f.operation;
  o.kernel = f.kernel;
  return o;
}

inline Outcome cxx_outcome(const umaccess::StructuredException& e) {
  Outcome o;
  o.status = e.code();
  o.address = e.address();
  o.is_write = e.is_write();
  o.bytes = e.bytes_copied();
  o.operation = e.operation();
  o.kernel = e.kernel();
  if (o.status == 0) mismatch("a StructuredException carries STATUS_SUCCESS");
  return o;
}

// Runs f (C++ API); the outcome is success, or the StructuredException it threw.
template <class F>
Outcome run_cxx(F&& f) {
  try {
    f();
  } catch (const umaccess::StructuredException& e) {
    return cxx_outcome(e);
  }
  return Outcome{};
}

inline bool same_name(const char* a, const char* b) {
  return a != nullptr && b != nullptr && std::strcmp(a, b) == 0;
}

// Compares everything the library reports with the model's prediction.
inline void check(const Expected& want, const Outcome& got) {
  if (tracing())
    std::fprintf(stderr, "%s -> %s at %#zx, %s, %zu bytes, signal %d/%d, %s\n", g_context,
                 status_text(got.status), got.address, got.is_write ? "write" : "read", got.bytes,
                 got.signal, got.signal_code, got.kernel ? got.kernel : "-");
  if (got.status != want.status)
    mismatch("status %s, the model says %s (reported address %#zx, %s, %zu bytes done; model "
             "address %#zx, %s, %zu bytes)",
             status_text(got.status), status_text(want.status), got.address,
             got.is_write ? "write" : "read", got.bytes, want.address,
             want.is_write ? "write" : "read", want.bytes);
  if (want.status == 0) return;
  if (want.check_address && got.address != want.address)
    mismatch("%s at address %#zx, the model says %#zx", status_text(got.status), got.address,
             want.address);
  if (got.is_write != want.is_write)
    mismatch("reported as a %s, the model says a %s", got.is_write ? "write" : "read",
             want.is_write ? "write" : "read");
  if (got.bytes != want.bytes)
    mismatch("%zu bytes done, the model says %zu", got.bytes, want.bytes);
  if (!same_name(got.operation, want.operation) && !same_name(got.operation, want.alt_operation))
    mismatch("operation name \"%s\", the model says \"%s\"",
             got.operation ? got.operation : "(null)", want.operation);
  const bool is_fault = want.signal != 0;
  if (is_fault != (got.kernel != nullptr))
    mismatch("kernel name %s for a %s", got.kernel ? got.kernel : "(null)",
             is_fault ? "fault" : "check that touches nothing");
  if (got.have_signal) {
    if (got.signal != want.signal)
      mismatch("signal %d, the model says %d", got.signal, want.signal);
    if (is_fault && got.signal_code != want.signal_code)
      mismatch("si_code %d, the model says %d", got.signal_code, want.signal_code);
  }
}

// ---- The user range -----------------------------------------------------------------------------

// A user range the model knows, entered for the duration of one input (or not at all).
class RangeScope {
 public:
  RangeScope() = default;
  ~RangeScope() { leave(); }
  RangeScope(const RangeScope&) = delete;
  RangeScope& operator=(const RangeScope&) = delete;

  // Returns false if the library refused the range (begin > end, or beyond the default).
  bool enter(std::uintptr_t begin, std::uintptr_t end) {
    leave();
    if (umaccess_enter_user_range(&scope_, begin, end) != STATUS_SUCCESS) return false;
    entered_ = true;
    return true;
  }
  void leave() {
    if (entered_) umaccess_leave_user_range(&scope_);
    entered_ = false;
  }

 private:
  umaccess_range_scope scope_{};
  bool entered_ = false;
};

struct Range {
  std::uintptr_t begin, end;
  // [p, p + n) inside, end exclusive, without wrapping.
  bool allows(std::uintptr_t p, std::size_t n) const {
    return p >= begin && p <= end && n <= end - p;
  }
  // The first address of [p, p + n) outside the range (p itself if p is outside).
  std::uintptr_t first_outside(std::uintptr_t p) const {
    return (p < begin || p >= end) ? p : end;
  }
};

}  // namespace umafuzz
