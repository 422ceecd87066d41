// SPDX-License-Identifier: Apache-2.0
// tests/fuzz/fuzz_probe.cpp - libFuzzer target: ProbeForRead, ProbeForWrite, ExProbeAlignment
// and umaccess_probe_alignment_as (C and C++ forms) with arbitrary addresses, lengths and
// alignments, under the default user range or ScopedUserRanges narrowed (and nested) as the
// input says, against a model written from the documented rules (docs/api.md "Probing", "The user
// address range"; https://learn.microsoft.com/en-us/windows-hardware/drivers/ddi/wdm/nf-wdm-probeforread):
//
//   length 0 checks nothing; an alignment that is not a power of two is
//   STATUS_INVALID_PARAMETER; a misaligned address STATUS_DATATYPE_MISALIGNMENT; then
//   [p, p + len) must lie in the thread's user range, end exclusive, without wrapping, else
//   STATUS_ACCESS_VIOLATION at the first address outside (p itself if p is outside);
//   ProbeForWrite then touches every page, and fails at the first byte of the first page
//   (or p) that is not writable (STATUS_IN_PAGE_ERROR for a SIGBUS page; a page the fault
//   resolver opens on demand is writable).
//
// ProbeForWrite really touches memory, so it is only called where the model knows every
// page: when the checks refuse, or when the range lies in the arena and its guards.
//
// Input: [range mode][range bytes 16][page map 12][records of 24 bytes...]. Each record:
// [flags][address mode][address 8][length mode][length 8][alignment mode][alignment 4].
#include <optional>
#include <stdexcept>

#include "harness.h"

namespace umafuzz {
namespace {

struct State {
  Arena arena;
  Range default_range{};
};

State* g_state = nullptr;

void describe_state() {
  if (g_state != nullptr) g_state->arena.describe();
}

bool is_power_of_two(std::uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

enum class Probe { Read, Write, Alignment, AlignmentAs };

// The model: what the probe must report, from the documented rules alone.
Expected model(const Arena& arena, const Range& range, Probe kind, std::uintptr_t p,
               std::size_t len, std::uint32_t alignment, bool as_write, const char* name) {
  const bool is_write = kind == Probe::Write || (kind == Probe::AlignmentAs && as_write);
  if (len == 0) return Expected::success();
  if (!is_power_of_two(alignment))
    return Expected::refused(STATUS_INVALID_PARAMETER, p, is_write, name);
  if ((p & (alignment - 1)) != 0)
    return Expected::refused(STATUS_DATATYPE_MISALIGNMENT, p, is_write, name);
  if (!range.allows(p, len))
    return Expected::refused(STATUS_ACCESS_VIOLATION, range.first_outside(p), is_write, name);
  if (kind != Probe::Write) return Expected::success();
  // Every page [p, p + len) reaches, in order; the first that is not writable fails, at its
  // first byte (or at p, for the first page).
  const std::size_t ps = arena.page_size();
  for (std::uintptr_t page = p - p % ps; page < p + len; page += ps) {
    const std::uintptr_t at = page < p ? p : page;
    if (!arena.writable(at))
      return arena.fault(at, true, at - p, name);
  }
  return Expected::success();
}

// Where the model knows every page, so ProbeForWrite may touch it.
bool known_to_model(const Arena& arena, std::uintptr_t p, std::size_t len) {
  const std::uintptr_t lo = arena.begin_address() - Arena::kLeadPages * arena.page_size();
  const std::uintptr_t hi = arena.end_address() + Arena::kTrailPages * arena.page_size();
  return p >= lo && p <= hi && len <= hi - p;
}

std::int64_t signed16(std::uint64_t v) { return static_cast<std::int16_t>(v & 0xffff); }
std::int64_t signed8(std::uint64_t v) { return static_cast<std::int8_t>(v & 0xff); }

std::uintptr_t decode_address(std::uint8_t mode, std::uint64_t raw, const Arena& arena,
                              const Range& range, const Range& all) {
  const std::size_t ps = arena.page_size();
  switch (mode % 8) {
    case 0: return raw;
    case 1: return raw & 0xffff;                                     // around NULL
    case 2: return all.end + signed16(raw);                          // around the default end
    case 3: return UINTPTR_MAX - (raw & 0xffff);                     // wrap-around territory
    case 4: {                                                        // the arena and its guards
      const std::size_t span = (Arena::kLeadPages + Arena::kPages + 2) * ps;
      return arena.begin_address() - Arena::kLeadPages * ps + raw % span;
    }
    case 5: return range.begin + signed16(raw);                      // around the range begin
    case 6: return range.end + signed16(raw);                        // around the range end
    default:                                                         // non-canonical, kernel half
      return ((raw >> 16) & 1 ? 0xffff800000000000ull : 0x0000800000000000ull) + signed16(raw);
  }
}

std::size_t decode_length(std::uint8_t mode, std::uint64_t raw, std::uintptr_t p,
                          const Arena& arena, const Range& range) {
  switch (mode % 6) {
    case 0: return raw;
    case 1: return raw & (mode & 0x80 ? 0xffff : 0xff);              // short
    case 2: return range.end - p + signed8(raw);                     // ends around the range end
    case 3: return SIZE_MAX - (raw & 0xffff);                        // huge, wraps
    case 4: return (UINTPTR_MAX - p + 1) + signed8(raw);             // ends around 2^64
    default: return (raw & 0x3f) * arena.page_size() + signed8(raw >> 8);  // about whole pages
  }
}

std::uint32_t decode_alignment(std::uint8_t mode, std::uint32_t raw) {
  const unsigned shift = mode & 31;
  switch (mode >> 5) {
    case 0: case 1: case 2: case 3: return 1u << shift;
    case 4: return mode & 31;                          // 0..31: zero and non-powers of two
    case 5: return raw;
    case 6: return (1u << shift) + 1;
    default: return (1u << shift) - 1;
  }
}

// The user range for this input. Returns the range the model must use.
Range enter_range(Input& in, const State& s, RangeScope& outer, RangeScope& inner,
                  std::optional<umaccess::ScopedUserRange>& cxx_scope) {
  const std::uint8_t mode = in.u8();
  const std::uint64_t a = in.u64(), b = in.u64();
  const Range all = s.default_range;
  const std::size_t ps = s.arena.page_size();
  const std::uintptr_t lo = s.arena.begin_address() - Arena::kLeadPages * ps;
  const std::size_t span = (Arena::kLeadPages + Arena::kPages + Arena::kTrailPages) * ps + 1;
  Range want = all;
  switch (mode % 5) {
    case 0: return all;
    case 1: want = {lo + a % span, lo + b % span}; break;           // inside the arena area
    case 2: want = {a % (all.end + 1), b % (all.end + 1)}; break;    // anywhere in the default
    case 3: want = {a, b}; break;                                    // anything, maybe refused
    default: {                                                       // two nested scopes
      const Range first{lo + (a & 0xffffffff) % span, lo + (a >> 32) % span};
      if (outer.enter(first.begin, first.end) != (first.begin <= first.end))
        mismatch("entering [%#zx, %#zx): the library and the model disagree", first.begin,
                 first.end);
      want = {lo + (b & 0xffffffff) % span, lo + (b >> 32) % span};
      const bool ok = want.begin <= want.end;
      if (inner.enter(want.begin, want.end) != ok)
        mismatch("entering nested [%#zx, %#zx): the library and the model disagree", want.begin,
                 want.end);
      return ok ? want : first.begin <= first.end ? first : all;
    }
  }
  // A scope is refused if begin > end or it reaches beyond the default range.
  const bool valid = want.begin <= want.end && want.end <= all.end;
  if (mode & 0x80) {  // the C++ scope
    bool entered = true;
    try {
      cxx_scope.emplace(umaccess::UserRange{want.begin, want.end});
    } catch (const std::invalid_argument&) {
      entered = false;
    }
    if (entered != valid)
      mismatch("ScopedUserRange([%#zx, %#zx)) %s, the model says it is %s", want.begin, want.end,
               entered ? "was entered" : "threw", valid ? "valid" : "invalid");
  } else if (outer.enter(want.begin, want.end) != valid) {
    mismatch("umaccess_enter_user_range(%#zx, %#zx) disagrees with the model (%s)", want.begin,
             want.end, valid ? "valid" : "invalid");
  }
  return valid ? want : all;
}

void run_record(Input& in, State& s, const Range& range) {
  const std::uint8_t flags = in.u8();
  const std::uint8_t address_mode = in.u8();
  const std::uint64_t address_raw = in.u64();
  const std::uint8_t length_mode = in.u8();
  const std::uint64_t length_raw = in.u64();
  const std::uint8_t alignment_mode = in.u8();
  const std::uint32_t alignment_raw = in.u32();

  const std::uintptr_t p = decode_address(address_mode, address_raw, s.arena, range,
                                          s.default_range);
  const std::size_t len = decode_length(length_mode, length_raw, p, s.arena, range);
  const std::uint32_t alignment = decode_alignment(alignment_mode, alignment_raw);
  Probe kind = static_cast<Probe>(flags & 3);
  const bool use_cxx = (flags & 4) != 0;
  const bool as_write = (flags & 8) != 0;
  static const char* const kNames[] = {"ProbeForRead", "ProbeForWrite", "ExProbeAlignment",
                                       "ReadStructFromUserAligned"};
  const char* name = kNames[static_cast<int>(kind)];
  if (kind == Probe::AlignmentAs && as_write) name = "WriteStructToUserAligned";

  // ProbeForWrite writes (no-op) to every page it reaches: only where the model knows them.
  // Elsewhere, when the checks would let it touch memory, probe for reading instead.
  if (kind == Probe::Write && len != 0 && !known_to_model(s.arena, p, len) &&
      model(s.arena, range, Probe::Alignment, p, len, alignment, false, name).status == 0) {
    kind = Probe::Read;
    name = kNames[0];
  }
  const Expected want = model(s.arena, range, kind, p, len, alignment, as_write, name);
  std::uint64_t h = static_cast<unsigned>(kind);
  h = h * 977 + static_cast<std::uint32_t>(want.status);
  h = h * 8 + address_mode % 8;
  h = h * 6 + length_mode % 6;
  h = h * 2 + use_cxx;
  h = h * 16 + static_cast<unsigned>(want.signal_code) * 2 + (want.bytes != 0);
  feature(h);
  set_context("%s%s(%#zx, %#zx, %u) in range [%#zx, %#zx)", use_cxx ? "" : "C ", name, p, len,
              alignment, range.begin, range.end);

  void* const ptr = reinterpret_cast<void*>(p);
  Outcome got;
  if (use_cxx && kind != Probe::AlignmentAs) {
    got = run_cxx([&] {
      switch (kind) {
        case Probe::Read: ProbeForRead(ptr, len, alignment); break;
        case Probe::Write: ProbeForWrite(ptr, len, alignment); break;
        default: ExProbeAlignment(ptr, len, alignment); break;
      }
    });
  } else {
    poison_last_failure();
    umaccess_ntstatus st;
    switch (kind) {
      case Probe::Read: st = umaccess_probe_for_read(ptr, len, alignment); break;
      case Probe::Write: st = umaccess_probe_for_write(ptr, len, alignment); break;
      case Probe::Alignment: st = umaccess_probe_alignment(ptr, len, alignment); break;
      default: st = umaccess_probe_alignment_as(name, ptr, len, alignment, as_write); break;
    }
    std::size_t done = 0;
    if (st != 0) {
      umaccess_failure f;
      if (umaccess_last_failure(&f) != 0) done = f.bytes_done;
    }
    got = c_outcome(st, done);
  }
  if (injection() == Inject::Mismatch && kind == Probe::Write && got.status != 0 &&
      got.bytes > 0)
    got.address += 1;  // a simulated off-by-one in the reported page
  check(want, got);
  if (kind == Probe::Write) s.arena.verify();  // the touch changes no data
}

}  // namespace
}  // namespace umafuzz

using namespace umafuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static State* state = [] {
    ensure_fault_handler_in_front();
    auto* s = new State;
    umaccess::set_fault_resolver(&Arena::resolve, &s->arena);
    const umaccess::UserRange all = umaccess::default_user_range();
    s->default_range = {all.begin, all.end};
    g_state = s;
    g_describe_state = describe_state;
    return s;
  }();
  State& s = *state;
  Input in(data, size);

  RangeScope outer, inner;
  std::optional<umaccess::ScopedUserRange> cxx_scope;
  const Range range = enter_range(in, s, outer, inner, cxx_scope);
  const umaccess::UserRange seen = umaccess::user_range();
  if (seen.begin != range.begin || seen.end != range.end || MmUserProbeAddress != range.end)
    mismatch("user_range() is [%#zx, %#zx), the model says [%#zx, %#zx)", seen.begin, seen.end,
             range.begin, range.end);

  PageKind kinds[Arena::kPages];
  for (std::size_t i = 0; i < Arena::kPages; i += 2) {
    const std::uint8_t b = in.u8();
    for (std::size_t j = 0; j < 2 && i + j < Arena::kPages; ++j) {
      kinds[i + j] = kind_from_nibble((b >> (4 * j)) & 15);
    }
  }
  s.arena.layout(kinds, 0x33, 0);

  for (int records = 0; records < 32 && in.remaining() > 0; ++records) {
    run_record(in, s, range);
    s.arena.close_lazy_pages();
  }
  return 0;
}
