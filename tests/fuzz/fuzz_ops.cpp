// SPDX-License-Identifier: Apache-2.0
// tests/fuzz/fuzz_ops.cpp - libFuzzer target: every copy, move, fill, scalar, UNICODE_STRING,
// string-length, structure and interlocked operation, through the C status API and the C++
// (Windows-named, exception raising) API, under every kernel configuration this CPU runs,
// over an arena whose pages are read-write, read-only, PROT_NONE, unmapped, SIGBUS (an empty
// file mapped) or made accessible on demand by a fault resolver, as the input says, against
// a reference model that predicts from the page map alone (docs/fault-model.md,
// docs/api.md "Probing", "The user address range", and its operation tables):
//
//   - success, or the exact status (STATUS_ACCESS_VIOLATION, STATUS_IN_PAGE_ERROR,
//     STATUS_DATATYPE_MISALIGNMENT, STATUS_INVALID_PARAMETER), the address (the first
//     inaccessible byte, the first byte outside the user range, or the misaligned pointer),
//     the direction, the bytes done, the signal and si_code (C API), the operation's name and
//     whether a kernel is named;
//   - the destination: exactly the bytes done hold their final value, the rest is unmodified,
//     and nothing else in the arena or the kernel-side buffer changed (every read-write page
//     and the kernel buffer are compared with the model);
//   - the documented exception: a MoveToUserFromUser whose destination overlaps above its
//     source reports 0 bytes on a fault, and its destination may hold moved bytes (checked:
//     each byte old or moved, the moved ones a suffix; the address an inaccessible byte of
//     either buffer, in the reported direction).
//
// Kernel-side buffers are always valid (a fault there is a bug check: the callback turns one
// into a reported mismatch). KernelMode calls are made only where the model says nothing
// faults, since kernel mode neither checks nor recovers.
//
// Input: [config 2][range mode][range 4][content][zeros][page map 12][records of 12 bytes...]
// Record: [operation][flags][position A 3][position B 3][length 3][argument].
//
// This file: the input, the run's state and the dispatch of each record to its operation
// family. The models: ops_model.h (shared decoding and helpers, the operation numbering),
// ops_copy.cpp, ops_fill.cpp, ops_scalar.cpp, ops_string.cpp, ops_interlocked.cpp.
#include "ops_model.h"

namespace umafuzz::ops {
namespace {

State* g_state = nullptr;

void describe_state() {
  if (g_state == nullptr) return;
  g_state->arena.describe();
  std::fprintf(stderr, "  kernel configuration %s, user range [%#zx, %#zx), kernel buffer %p\n",
               g_state->configs.label(), g_state->range.begin, g_state->range.end,
               static_cast<void*>(g_state->kbuf));
}

// ---- The input ----------------------------------------------------------------------------------

void run_operation(State& s, const Record& r) {
  // Operation classes: 9 copy-in, 8 copy-out, 4 user-to-user, 7 fills, 8 scalar, 2
  // descriptor, string, interlocked.
  unsigned op = r.op % 40;
  if (op < kCopyInVariants) return copy_in(s, r, op);
  op -= kCopyInVariants;
  if (op < kCopyOutVariants) return copy_out(s, r, op);
  op -= kCopyOutVariants;
  if (op < kUserToUserVariants) return user_to_user(s, r, op);
  op -= kUserToUserVariants;
  if (op < kFillVariants) return fill(s, r, op);
  op -= kFillVariants;
  switch (op) {
    case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7:
      return scalar_access(s, r, op);
    case 8: return unicode_string(s, r, false);
    case 9: return unicode_string(s, r, true);
    case 10: return string_length(s, r);
    default: return interlocked(s, r);
  }
}

void run_record(State& s, const Record& r) {
  run_operation(s, r);
  const unsigned opened = s.arena.close_lazy_pages();  // compared with the model first
  feature(0xA11 * 64 + (r.op % 40) * 8 + std::min(opened, 7u));
}

// A bug check (a fault on a kernel-side buffer) is always a harness or library bug here.
void on_bug_check(const umaccess_bug_check_info* info, void*) {
  mismatch("bug check %#x from %s: %s", info->code, info->operation ? info->operation : "?",
           info->message ? info->message : "");
}

State& state() {
  static State* s = [] {
    ensure_fault_handler_in_front();
    umaccess::set_bug_check_callback(on_bug_check);
    auto* st = new State;
    umaccess::set_fault_resolver(&Arena::resolve, &st->arena);
    const umaccess::UserRange all = umaccess::default_user_range();
    st->default_range = {all.begin, all.end};
    const std::size_t max = st->arena.max_length();
    st->kbuf_size = kKernelMargin + 64 + max + kKernelMargin;
    void* k = mmap(nullptr, st->kbuf_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (k == MAP_FAILED) std::abort();
    st->kbuf = static_cast<std::uint8_t*>(k);
    st->kpristine.resize(st->kbuf_size);
    for (std::size_t i = 0; i < st->kbuf_size; ++i)
      st->kpristine[i] = Arena::pattern(static_cast<std::uint32_t>(i * 0x2545F491u + 0x77),
                                        0xC3, 0);
    st->kmodel = st->kpristine;
    std::memcpy(st->kbuf, st->kpristine.data(), st->kbuf_size);
    st->scratch_src.resize(max);
    st->scratch_dst.resize(max);
    g_state = st;
    g_describe_state = describe_state;
    return st;
  }();
  return *s;
}

}  // namespace
}  // namespace umafuzz::ops

using namespace umafuzz;
using namespace umafuzz::ops;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  State& s = state();
  Input in(data, size);
  set_context("input setup");

  const std::uint8_t config_a = in.u8(), config_b = in.u8();
  s.config_key = s.configs.apply(config_a, config_b);

  // The user range: the default, or narrowed to a part of the arena (maybe empty).
  const std::uint8_t range_mode = in.u8();
  const std::uint16_t r1 = in.u16(), r2 = in.u16();
  RangeScope scope;
  s.range = s.default_range;
  if (range_mode % 3 == 2) {
    const std::size_t span = s.arena.size() + 2 * s.arena.page_size() + 1;
    std::uintptr_t b = s.arena.begin_address() - s.arena.page_size() + r1 * 7 % span;
    std::uintptr_t e = s.arena.begin_address() - s.arena.page_size() + r2 * 7 % span;
    if (b > e) std::swap(b, e);
    if (!scope.enter(b, e)) mismatch("the library refused the user range [%#zx, %#zx)", b, e);
    s.range = {b, e};
  }

  const std::uint8_t content = in.u8(), zeros = in.u8();
  PageKind kinds[Arena::kPages];
  for (std::size_t i = 0; i < Arena::kPages; i += 2) {
    const std::uint8_t b = in.u8();
    for (std::size_t j = 0; j < 2 && i + j < Arena::kPages; ++j) {
      kinds[i + j] = kind_from_nibble((b >> (4 * j)) & 15);
    }
  }
  s.arena.layout(kinds, content, zeros);

  // Self-test: a real bug outside umaccess (the harness touching an unmapped page) must be
  // reported by libFuzzer, not swallowed by umaccess's handler.
  if (injection() == Inject::Segv && !s.injected_segv) {
    for (std::size_t i = 0; i < Arena::kPages; ++i) {
      if (kinds[i] != kUnmapped) continue;
      s.injected_segv = true;
      std::fprintf(stderr, "umaccess fuzz: self-test: touching unmapped arena page %zu\n", i);
      (void)*reinterpret_cast<volatile char*>(s.arena.base() + i * s.arena.page_size());
    }
  }

  for (int n = 0; n < kMaxRecords && in.remaining() > 0; ++n) run_record(s, read_record(in));

  set_context("end of input");
  s.arena.verify();
  if (s.kdirty_lo < s.kdirty_hi) {  // back to the pristine pattern, checked on the way
    verify_kernel(s, s.kbuf + s.kdirty_lo, s.kdirty_hi - s.kdirty_lo);
    std::memcpy(s.kbuf + s.kdirty_lo, s.kpristine.data() + s.kdirty_lo, s.kdirty_hi - s.kdirty_lo);
    std::memcpy(s.kmodel.data() + s.kdirty_lo, s.kpristine.data() + s.kdirty_lo,
                s.kdirty_hi - s.kdirty_lo);
    s.kdirty_lo = SIZE_MAX;
    s.kdirty_hi = 0;
  }
  return 0;
}

