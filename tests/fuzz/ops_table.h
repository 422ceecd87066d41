// SPDX-License-Identifier: Apache-2.0
// tests/fuzz/ops_table.h - the rows of the operation table (umaccess/bulk_operations.def) as
// the fuzz_ops model calls them: each copy and fill through its C status function and its
// Windows name, in one shape per kind.
//
// The operation numbering of the input is the corpus's format (ops_model.h), so a row of the
// table gets no number of its own. Instead each plain variant of a family (kCopyFromUser,
// kCopyFromUserNonTemporal, kCopyToUser, ..., kFillUserMemory, ...) stands for the table's
// operations of its class (the same user sides, and for user-to-user copies the same overlap
// semantics): the record's alignment bits, which the plain variants do not use, rotate
// through them starting at the variant's own operation (a call by the Rtl name stays on the
// variant's own operation). A new row is fuzzed with no edit here.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "umaccess/usermode_accessors.h"

namespace umafuzz::ops {

enum class Side { User, Kernel };
enum class KernelFamily { Copy, CopyNonTemporal, MoveOrCopy };
enum class FillArgs { LengthByte, ByteLength, Zero };

struct TableCopy {
  const char* name;  // the Windows name, which a failure reports
  bool user_source, user_destination, move;
  umaccess_ntstatus (*c)(void* dst, const void* src, std::size_t n, std::size_t* done);
  void (*cxx)(void* dst, const void* src, std::size_t n);
};

struct TableFill {
  const char* name;
  bool zero;  // fills 0 whatever the byte
  umaccess_ntstatus (*c)(void* dst, std::size_t n, unsigned char byte, std::size_t* done);
  void (*cxx)(void* dst, std::size_t n, unsigned char byte);
};

// A fill called in its own argument order, from (d, n, b): the C status function (with done)
// and the Windows name.
#define UMAFUZZ_FILL_C_LengthByte(f, d, n, b, done) f(d, n, b, done)
#define UMAFUZZ_FILL_C_ByteLength(f, d, n, b, done) f(d, b, n, done)
#define UMAFUZZ_FILL_C_Zero(f, d, n, b, done) ((void)(b), f(d, n, done))
#define UMAFUZZ_FILL_CXX_LengthByte(f, d, n, b) f(d, n, b)
#define UMAFUZZ_FILL_CXX_ByteLength(f, d, n, b) f(d, b, n)
#define UMAFUZZ_FILL_CXX_Zero(f, d, n, b) ((void)(b), f(d, n))

inline constexpr TableCopy kTableCopies[] = {
#define UMACCESS_COPY_OPERATION(OP, name, WindowsName, reads, writes, kernel)                      \
  {#WindowsName, Side::reads == Side::User, Side::writes == Side::User,                            \
   KernelFamily::kernel == KernelFamily::MoveOrCopy,                                               \
   [](void* d, const void* s, std::size_t n, std::size_t* done) {                                  \
     return umaccess_##name(d, s, n, done);                                                        \
   },                                                                                              \
   [](void* d, const void* s, std::size_t n) { WindowsName(d, s, n); }},
#define UMACCESS_FILL_OPERATION(OP, name, WindowsName, args)
#define UMACCESS_STRUCT_OPERATION(OP, WindowsName, reads, writes)
#include "umaccess/bulk_operations.def"
#undef UMACCESS_COPY_OPERATION
#undef UMACCESS_FILL_OPERATION
#undef UMACCESS_STRUCT_OPERATION
};

inline constexpr TableFill kTableFills[] = {
#define UMACCESS_COPY_OPERATION(OP, name, WindowsName, reads, writes, kernel)
#define UMACCESS_FILL_OPERATION(OP, name, WindowsName, args)                                  \
  {#WindowsName, FillArgs::args == FillArgs::Zero,                                            \
   [](void* d, std::size_t n, unsigned char b, std::size_t* done) {                           \
     return UMAFUZZ_FILL_C_##args(umaccess_##name, d, n, b, done);                            \
   },                                                                                         \
   [](void* d, std::size_t n, unsigned char b) { UMAFUZZ_FILL_CXX_##args(WindowsName, d, n, b); }},
#define UMACCESS_STRUCT_OPERATION(OP, WindowsName, reads, writes)
#include "umaccess/bulk_operations.def"
#undef UMACCESS_COPY_OPERATION
#undef UMACCESS_FILL_OPERATION
#undef UMACCESS_STRUCT_OPERATION
};

// The table's copy that a plain variant runs: of the copies with the sides (and overlap
// semantics) of `own` (the variant's operation, by its Windows name), the one `rotate` places
// after it, cyclically.
inline const TableCopy& table_copy(const char* own, unsigned rotate) {
  const TableCopy* base = nullptr;
  for (const TableCopy& c : kTableCopies)
    if (std::strcmp(c.name, own) == 0) base = &c;
  if (base == nullptr) std::abort();  // the variant's operation left the table
  auto same_class = [&](const TableCopy& c) {
    return c.user_source == base->user_source && c.user_destination == base->user_destination &&
           c.move == base->move;
  };
  constexpr std::size_t kCount = sizeof kTableCopies / sizeof kTableCopies[0];
  std::size_t i = static_cast<std::size_t>(base - kTableCopies), steps = 0, members = 0;
  for (const TableCopy& c : kTableCopies) members += same_class(c);
  rotate %= members;
  while (steps < rotate) {
    i = (i + 1) % kCount;
    steps += same_class(kTableCopies[i]);
  }
  return kTableCopies[i];
}

// The table's fill a plain fill variant runs: every fill writes user memory, so all of them are
// one class.
inline const TableFill& table_fill(const char* own, unsigned rotate) {
  constexpr std::size_t kCount = sizeof kTableFills / sizeof kTableFills[0];
  for (std::size_t i = 0; i < kCount; ++i)
    if (std::strcmp(kTableFills[i].name, own) == 0) return kTableFills[(i + rotate) % kCount];
  std::abort();  // the variant's operation left the table
}

}  // namespace umafuzz::ops
