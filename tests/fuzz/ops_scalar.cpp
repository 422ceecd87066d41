// SPDX-License-Identifier: Apache-2.0
// tests/fuzz/ops_scalar.cpp - the fuzz_ops model of the single accesses: scalar reads and
// writes of 1, 2, 4 and 8 bytes (plain, acquire/release, mode and Rtl forms) and
// UNICODE_STRING descriptors. One access is all or nothing (single_access in ops_model.h).
#include "ops_model.h"

namespace umafuzz::ops {

// ---- Scalars ------------------------------------------------------------------------------------

namespace {

const char* scalar_name(unsigned width, bool write, unsigned form, bool rtl) {
  // [width index][form: plain, acquire/release, mode], read then write; and the Rtl forms.
  static const char* const kRead[4][3] = {
      {"ReadUCharFromUser", "ReadUCharFromUserAcquire", "ReadUCharFromMode"},
      {"ReadUShortFromUser", "ReadUShortFromUserAcquire", "ReadUShortFromMode"},
      {"ReadULongFromUser", "ReadULongFromUserAcquire", "ReadULongFromMode"},
      {"ReadULong64FromUser", "ReadULong64FromUserAcquire", "ReadULong64FromMode"}};
  static const char* const kWrite[4][3] = {
      {"WriteUCharToUser", "WriteUCharToUserRelease", "WriteUCharToMode"},
      {"WriteUShortToUser", "WriteUShortToUserRelease", "WriteUShortToMode"},
      {"WriteULongToUser", "WriteULongToUserRelease", "WriteULongToMode"},
      {"WriteULong64ToUser", "WriteULong64ToUserRelease", "WriteULong64ToMode"}};
  static const char* const kRtlRead[4][2] = {
      {"RtlReadUCharFromUser", "RtlReadUCharFromUserAcquire"},
      {"RtlReadUShortFromUser", "RtlReadUShortFromUserAcquire"},
      {"RtlReadULongFromUser", "RtlReadULongFromUserAcquire"},
      {"RtlReadULong64FromUser", "RtlReadULong64FromUserAcquire"}};
  static const char* const kRtlWrite[4][2] = {
      {"RtlWriteUCharToUser", "RtlWriteUCharToUserRelease"},
      {"RtlWriteUShortToUser", "RtlWriteUShortToUserRelease"},
      {"RtlWriteULongToUser", "RtlWriteULongToUserRelease"},
      {"RtlWriteULong64ToUser", "RtlWriteULong64ToUserRelease"}};
  const unsigned w = width == 1 ? 0 : width == 2 ? 1 : width == 4 ? 2 : 3;
  if (rtl) return write ? kRtlWrite[w][form] : kRtlRead[w][form];
  return write ? kWrite[w][form] : kRead[w][form];
}

template <class T>
T cxx_read(unsigned form, bool rtl, const void* p, KPROCESSOR_MODE mode) {
  const auto* q = static_cast<const T*>(p);
  if constexpr (sizeof(T) == 1) {
    if (rtl) return form == 0 ? RtlReadUCharFromUser(q) : RtlReadUCharFromUserAcquire(q);
    return form == 0 ? ReadUCharFromUser(q) : form == 1 ? ReadUCharFromUserAcquire(q)
                                                        : ReadUCharFromMode(q, mode);
  } else if constexpr (sizeof(T) == 2) {
    if (rtl) return form == 0 ? RtlReadUShortFromUser(q) : RtlReadUShortFromUserAcquire(q);
    return form == 0 ? ReadUShortFromUser(q) : form == 1 ? ReadUShortFromUserAcquire(q)
                                                         : ReadUShortFromMode(q, mode);
  } else if constexpr (sizeof(T) == 4) {
    if (rtl) return form == 0 ? RtlReadULongFromUser(q) : RtlReadULongFromUserAcquire(q);
    return form == 0 ? ReadULongFromUser(q) : form == 1 ? ReadULongFromUserAcquire(q)
                                                        : ReadULongFromMode(q, mode);
  } else {
    if (rtl) return form == 0 ? RtlReadULong64FromUser(q) : RtlReadULong64FromUserAcquire(q);
    return form == 0 ? ReadULong64FromUser(q) : form == 1 ? ReadULong64FromUserAcquire(q)
                                                          : ReadULong64FromMode(q, mode);
  }
}

template <class T>
void cxx_write(unsigned form, bool rtl, void* p, T v, KPROCESSOR_MODE mode) {
  auto* q = static_cast<T*>(p);
  if constexpr (sizeof(T) == 1) {
    if (rtl) return form == 0 ? RtlWriteUCharToUser(q, v) : RtlWriteUCharToUserRelease(q, v);
    return form == 0 ? WriteUCharToUser(q, v) : form == 1 ? WriteUCharToUserRelease(q, v)
                                                          : WriteUCharToMode(q, v, mode);
  } else if constexpr (sizeof(T) == 2) {
    if (rtl) return form == 0 ? RtlWriteUShortToUser(q, v) : RtlWriteUShortToUserRelease(q, v);
    return form == 0 ? WriteUShortToUser(q, v) : form == 1 ? WriteUShortToUserRelease(q, v)
                                                           : WriteUShortToMode(q, v, mode);
  } else if constexpr (sizeof(T) == 4) {
    if (rtl) return form == 0 ? RtlWriteULongToUser(q, v) : RtlWriteULongToUserRelease(q, v);
    return form == 0 ? WriteULongToUser(q, v) : form == 1 ? WriteULongToUserRelease(q, v)
                                                          : WriteULongToMode(q, v, mode);
  } else {
    if (rtl) return form == 0 ? RtlWriteULong64ToUser(q, v) : RtlWriteULong64ToUserRelease(q, v);
    return form == 0 ? WriteULong64ToUser(q, v) : form == 1 ? WriteULong64ToUserRelease(q, v)
                                                            : WriteULong64ToMode(q, v, mode);
  }
}

template <class T>
umaccess_ntstatus c_read(unsigned form, const void* p, KPROCESSOR_MODE mode, std::uint64_t* out) {
  T v = static_cast<T>(0xA5A5A5A5A5A5A5A5ull);  // must stay unless the read succeeds
  umaccess_ntstatus st;
  if constexpr (sizeof(T) == 1)
    st = form == 0 ? umaccess_read_u8_from_user(p, &v) : form == 1
         ? umaccess_read_u8_from_user_acquire(p, &v) : umaccess_read_u8_from_mode(p, mode, &v);
  else if constexpr (sizeof(T) == 2)
    st = form == 0 ? umaccess_read_u16_from_user(p, &v) : form == 1
         ? umaccess_read_u16_from_user_acquire(p, &v) : umaccess_read_u16_from_mode(p, mode, &v);
  else if constexpr (sizeof(T) == 4)
    st = form == 0 ? umaccess_read_u32_from_user(p, &v) : form == 1
         ? umaccess_read_u32_from_user_acquire(p, &v) : umaccess_read_u32_from_mode(p, mode, &v);
  else
    st = form == 0 ? umaccess_read_u64_from_user(p, &v) : form == 1
         ? umaccess_read_u64_from_user_acquire(p, &v) : umaccess_read_u64_from_mode(p, mode, &v);
  if (st != 0 && v != static_cast<T>(0xA5A5A5A5A5A5A5A5ull))
    mismatch("a failed read stored to *out");
  *out = v;
  return st;
}

template <class T>
umaccess_ntstatus c_write(unsigned form, void* p, T v, KPROCESSOR_MODE mode) {
  if constexpr (sizeof(T) == 1)
    return form == 0 ? umaccess_write_u8_to_user(p, v) : form == 1
           ? umaccess_write_u8_to_user_release(p, v) : umaccess_write_u8_to_mode(p, v, mode);
  else if constexpr (sizeof(T) == 2)
    return form == 0 ? umaccess_write_u16_to_user(p, v) : form == 1
           ? umaccess_write_u16_to_user_release(p, v) : umaccess_write_u16_to_mode(p, v, mode);
  else if constexpr (sizeof(T) == 4)
    return form == 0 ? umaccess_write_u32_to_user(p, v) : form == 1
           ? umaccess_write_u32_to_user_release(p, v) : umaccess_write_u32_to_mode(p, v, mode);
  else
    return form == 0 ? umaccess_write_u64_to_user(p, v) : form == 1
           ? umaccess_write_u64_to_user_release(p, v) : umaccess_write_u64_to_mode(p, v, mode);
}

template <class T>
void scalar(State& s, const Record& r, bool write) {
  const std::uintptr_t p = user_position(s, r.a);
  constexpr unsigned width = sizeof(T);
  const bool use_cxx = (r.flags & 1) != 0;
  unsigned form = (r.flags >> 6) % 3;  // plain, acquire/release, mode
  const bool rtl = use_cxx && (r.flags & 2) != 0 && form != 2;
  KPROCESSOR_MODE mode = form == 2 ? decode_mode(s, r.flags) : UserMode;
  const std::size_t ok = write ? s.arena.first_unwritable(p, width)
                               : s.arena.first_unreadable(p, width);
  if (mode_is_kernel(mode) && ok < width) mode = UserMode;
  const char* name = scalar_name(width, write, form, rtl);
  const Expected want = mode_is_kernel(mode) ? Expected::success()
                                             : single_access(s, p, width, write, name);
  const std::uint64_t value = (static_cast<std::uint64_t>(r.b) << 40 | r.len << 8 | r.arg) *
                              0x9E3779B97F4A7C15ull;
  set_context("%s%s(%#zx%s) form %u, mode %d", use_cxx ? "" : "C ", name, p,
              write ? ", value" : "", form, mode);
  note_feature(s, write ? 6 : 5, width * 4 + form, width, want, p);

  void* const ptr = reinterpret_cast<void*>(p);
  Outcome got;
  std::uint64_t read_value = 0;
  if (use_cxx) {
    got = run_cxx([&] {
      if (write)
        cxx_write<T>(form, rtl, ptr, static_cast<T>(value), mode);
      else
        read_value = cxx_read<T>(form, rtl, ptr, mode);
    });
  } else {
    poison_last_failure();
    const umaccess_ntstatus st = write ? c_write<T>(form, ptr, static_cast<T>(value), mode)
                                       : c_read<T>(form, ptr, mode, &read_value);
    got = c_outcome(st, 0);
  }
  check(want, got);
  if (want.status == 0) {
    if (write)
      model_store(s, p, width, value);
    else if (read_value != model_load(s, p, width))
      mismatch("read %#llx, the model says %#llx", static_cast<unsigned long long>(read_value),
               static_cast<unsigned long long>(model_load(s, p, width)));
  }
  if (write) s.arena.verify();
}
}  // namespace

void scalar_access(State& s, const Record& r, unsigned which) {
  switch (which) {
    case 0: return scalar<std::uint8_t>(s, r, false);
    case 1: return scalar<std::uint16_t>(s, r, false);
    case 2: return scalar<std::uint32_t>(s, r, false);
    case 3: return scalar<std::uint64_t>(s, r, false);
    case 4: return scalar<std::uint8_t>(s, r, true);
    case 5: return scalar<std::uint16_t>(s, r, true);
    case 6: return scalar<std::uint32_t>(s, r, true);
    default: return scalar<std::uint64_t>(s, r, true);
  }
}

// ---- UNICODE_STRING descriptors -----------------------------------------------------------------
// Length and MaximumLength as one 32-bit access at p, then Buffer as one 64-bit access at
// p + 8; the padding at p + 4 is neither read nor written.

void unicode_string(State& s, const Record& r, bool write) {
  const std::uintptr_t p = user_position(s, r.a);
  const bool use_cxx = (r.flags & 1) != 0;
  const bool from_mode = (r.flags & 0x40) != 0;
  KPROCESSOR_MODE mode = from_mode ? decode_mode(s, r.flags) : UserMode;
  const std::size_t ok = write ? s.arena.first_unwritable(p, 16) : s.arena.first_unreadable(p, 16);
  if (mode_is_kernel(mode) && ok < 16) mode = UserMode;
  static const char* const kNames[2][2] = {
      {"ReadUnicodeStringFromUser", "ReadUnicodeStringFromMode"},
      {"WriteUnicodeStringToUser", "WriteUnicodeStringToMode"}};
  const char* name = kNames[write][from_mode];
  Expected want;
  bool lengths_done = true;
  if (!mode_is_kernel(mode)) {
    want = single_access(s, p, 4, write, name);
    lengths_done = want.status == 0;
    if (want.status == 0) want = single_access(s, p + 8, 8, write, name);
  }
  const UNICODE_STRING value{static_cast<USHORT>(r.b), static_cast<USHORT>(r.b >> 16),
                             reinterpret_cast<PWSTR>(static_cast<std::uintptr_t>(r.len) << 24 |
                                                     r.arg)};
  set_context("%s%s(%#zx) mode %d", use_cxx ? "" : "C ", name, p, mode);
  note_feature(s, 7, write * 2 + from_mode, 16, want, p);

  auto* const up = reinterpret_cast<UNICODE_STRING*>(p);
  auto* const cp = reinterpret_cast<umaccess_unicode_string*>(p);
  Outcome got;
  UNICODE_STRING read{0x1111, 0x2222, reinterpret_cast<PWSTR>(0x3333)};
  if (use_cxx) {
    got = run_cxx([&] {
      if (write && from_mode) WriteUnicodeStringToMode(up, value, mode);
      else if (write) WriteUnicodeStringToUser(up, value);
      else if (from_mode) read = ReadUnicodeStringFromMode(up, mode);
      else read = ReadUnicodeStringFromUser(up);
    });
  } else {
    poison_last_failure();
    umaccess_unicode_string cvalue{value.Length, value.MaximumLength, value.Buffer};
    umaccess_unicode_string cread{0x1111, 0x2222, reinterpret_cast<umaccess_wchar*>(0x3333)};
    umaccess_ntstatus st;
    if (write && from_mode) st = umaccess_write_unicode_string_to_mode(cp, cvalue, mode);
    else if (write) st = umaccess_write_unicode_string_to_user(cp, cvalue);
    else if (from_mode) st = umaccess_read_unicode_string_from_mode(cp, mode, &cread);
    else st = umaccess_read_unicode_string_from_user(cp, &cread);
    if (st != 0 && !write &&
        (cread.length != 0x1111 || cread.buffer != reinterpret_cast<umaccess_wchar*>(0x3333)))
      mismatch("a failed read stored to *out");
    read = {cread.length, cread.maximum_length, cread.buffer};
    got = c_outcome(st, 0);
  }
  check(want, got);
  if (write) {
    if (lengths_done)
      model_store(s, p, 4, value.Length | static_cast<std::uint32_t>(value.MaximumLength) << 16);
    if (want.status == 0)
      model_store(s, p + 8, 8, reinterpret_cast<std::uintptr_t>(value.Buffer));
    s.arena.verify();
  } else if (want.status == 0) {
    const std::uint64_t lengths = model_load(s, p, 4);
    const std::uint64_t buffer = model_load(s, p + 8, 8);
    if (read.Length != static_cast<USHORT>(lengths) ||
        read.MaximumLength != static_cast<USHORT>(lengths >> 16) ||
        reinterpret_cast<std::uintptr_t>(read.Buffer) != buffer)
      mismatch("read {%u, %u, %p}, the model says {%u, %u, %#llx}", read.Length,
               read.MaximumLength, static_cast<void*>(read.Buffer),
               static_cast<unsigned>(lengths & 0xffff), static_cast<unsigned>(lengths >> 16),
               static_cast<unsigned long long>(buffer));
  }
}

}  // namespace umafuzz::ops
