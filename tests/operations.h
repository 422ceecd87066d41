// SPDX-License-Identifier: Apache-2.0
// tests/operations.h - every bulk operation of usermode_accessors.h behind one shape, so the
// conformance and fault suites cover all of them with the same checks. The table's operations
// (umaccess/bulk_operations.def) come from the table; their Mode and Aligned forms are listed.
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "umaccess/usermode_accessors.h"

namespace umatest {

// The columns of umaccess/bulk_operations.def, whose rows are the first entries of
// copy_operations() and fill_operations(): a new row there is tested here with no edit.
enum class Side { User, Kernel };
enum class KernelFamily { Copy, CopyNonTemporal, MoveOrCopy };
enum class FillArgs { LengthByte, ByteLength, Zero };
#define UMATEST_FILL_CALL_LengthByte(f, d, n, b) f(d, n, b)
#define UMATEST_FILL_CALL_ByteLength(f, d, n, b) f(d, b, n)
#define UMATEST_FILL_CALL_Zero(f, d, n, b) ((void)(b), f(d, n))

struct CopyOperation {
  const char* name;
  void (*run)(void* dst, const void* src, std::size_t n);
  bool user_source;       // the source is user memory (faults there raise)
  bool user_destination;  // the destination is user memory
  bool overlap_safe;      // memmove semantics
};

inline const std::vector<CopyOperation>& copy_operations() {
  static const std::vector<CopyOperation> ops = {
#define UMACCESS_COPY_OPERATION(OP, name, WindowsName, reads, writes, kernel)        \
  {#WindowsName, [](void* d, const void* s, std::size_t n) { WindowsName(d, s, n); }, \
   Side::reads == Side::User, Side::writes == Side::User,                             \
   KernelFamily::kernel == KernelFamily::MoveOrCopy},
#define UMACCESS_FILL_OPERATION(OP, name, WindowsName, args)
#define UMACCESS_STRUCT_OPERATION(OP, WindowsName, reads, writes)
#include "umaccess/bulk_operations.def"
#undef UMACCESS_COPY_OPERATION
#undef UMACCESS_FILL_OPERATION
#undef UMACCESS_STRUCT_OPERATION
      // The forms over the table's operations: modes and alignment checks.
      {"CopyFromMode_User",
       [](void* d, const void* s, std::size_t n) { CopyFromMode(d, s, n, UserMode); }, true,
       false, false},
      {"CopyFromMode_Kernel",
       [](void* d, const void* s, std::size_t n) { CopyFromMode(d, s, n, KernelMode); }, false,
       false, false},
      {"CopyToMode_User",
       [](void* d, const void* s, std::size_t n) { CopyToMode(d, s, n, UserMode); }, false, true,
       false},
      {"CopyToMode_Kernel",
       [](void* d, const void* s, std::size_t n) { CopyToMode(d, s, n, KernelMode); }, false,
       false, false},
      {"CopyFromUserToMode_Kernel",
       [](void* d, const void* s, std::size_t n) { CopyFromUserToMode(d, s, n, KernelMode); },
       true, false, false},
      {"CopyFromUserToMode_User",
       [](void* d, const void* s, std::size_t n) { CopyFromUserToMode(d, s, n, UserMode); },
       true, true, false},
      {"CopyFromModeNonTemporal_User",
       [](void* d, const void* s, std::size_t n) { CopyFromModeNonTemporal(d, s, n, UserMode); },
       true, false, false},
      {"CopyFromModeNonTemporal_Kernel",
       [](void* d, const void* s, std::size_t n) {
         CopyFromModeNonTemporal(d, s, n, KernelMode);
       },
       false, false, false},
      {"CopyToModeNonTemporal_User",
       [](void* d, const void* s, std::size_t n) { CopyToModeNonTemporal(d, s, n, UserMode); },
       false, true, false},
      {"CopyToModeNonTemporal_Kernel",
       [](void* d, const void* s, std::size_t n) { CopyToModeNonTemporal(d, s, n, KernelMode); },
       false, false, false},
      {"CopyFromUserAligned",
       [](void* d, const void* s, std::size_t n) { CopyFromUserAligned(d, s, n, 1); }, true,
       false, false},
      {"CopyToUserAligned",
       [](void* d, const void* s, std::size_t n) { CopyToUserAligned(d, s, n, 1); }, false, true,
       false},
      {"CopyFromModeAligned_User",
       [](void* d, const void* s, std::size_t n) { CopyFromModeAligned(d, s, n, UserMode, 1); },
       true, false, false},
      {"CopyToModeAligned_User",
       [](void* d, const void* s, std::size_t n) { CopyToModeAligned(d, s, n, UserMode, 1); },
       false, true, false},
  };
  return ops;
}

struct FillOperation {
  const char* name;
  void (*run)(void* dst, std::size_t n, unsigned char byte);
  bool user_destination;
  bool zero_only;  // Zero...: the byte argument is ignored, the fill is 0
};

inline const std::vector<FillOperation>& fill_operations() {
  static const std::vector<FillOperation> ops = {
#define UMACCESS_COPY_OPERATION(OP, name, WindowsName, reads, writes, kernel)
#define UMACCESS_FILL_OPERATION(OP, name, WindowsName, args)                  \
  {#WindowsName,                                                             \
   [](void* d, std::size_t n, unsigned char b) {                             \
     UMATEST_FILL_CALL_##args(WindowsName, d, n, b);                         \
   },                                                                        \
   true, FillArgs::args == FillArgs::Zero},
#define UMACCESS_STRUCT_OPERATION(OP, WindowsName, reads, writes)
#include "umaccess/bulk_operations.def"
#undef UMACCESS_COPY_OPERATION
#undef UMACCESS_FILL_OPERATION
#undef UMACCESS_STRUCT_OPERATION
      // The Mode forms.
      {"FillModeMemory_User",
       [](void* d, std::size_t n, unsigned char b) { FillModeMemory(d, n, b, UserMode); }, true,
       false},
      {"FillModeMemory_Kernel",
       [](void* d, std::size_t n, unsigned char b) { FillModeMemory(d, n, b, KernelMode); },
       false, false},
      {"SetModeMemory_User",
       [](void* d, std::size_t n, unsigned char b) { SetModeMemory(d, b, n, UserMode); }, true,
       false},
      {"SetModeMemory_Kernel",
       [](void* d, std::size_t n, unsigned char b) { SetModeMemory(d, b, n, KernelMode); },
       false, false},
      {"ZeroModeMemory_User",
       [](void* d, std::size_t n, unsigned char) { ZeroModeMemory(d, n, UserMode); }, true, true},
      {"ZeroModeMemory_Kernel",
       [](void* d, std::size_t n, unsigned char) { ZeroModeMemory(d, n, KernelMode); }, false,
       true},
  };
  return ops;
}

inline std::ostream& operator<<(std::ostream& os, const CopyOperation& op) { return os << op.name; }
inline std::ostream& operator<<(std::ostream& os, const FillOperation& op) { return os << op.name; }

// Parameter for (variant x operation) suites, with a readable test name.
template <typename Op>
struct VariantOp {
  std::string variant;
  Op op;
};

template <typename Op>
std::ostream& operator<<(std::ostream& os, const VariantOp<Op>& p) {
  return os << p.variant << "/" << p.op.name;
}

template <typename Op>
std::vector<VariantOp<Op>> cross(const std::vector<std::string>& variants,
                                 const std::vector<Op>& ops) {
  std::vector<VariantOp<Op>> out;
  for (const auto& v : variants)
    for (const auto& op : ops) out.push_back({v, op});
  return out;
}

template <typename Op>
std::string variant_op_name(const ::testing::TestParamInfo<VariantOp<Op>>& info) {
  return info.param.variant + "_" + info.param.op.name;
}

}  // namespace umatest
