// SPDX-License-Identifier: Apache-2.0
// tests/compile_fail/types_compatible.cpp - code that must not compile: the compile-time
// checks of the structure macros (RtlTypesCompatible, the KPROCESSOR_MODE size check).
// check.cmake compiles it once per case with -DCASE=N (-fsyntax-only): case 0 uses every
// macro correctly and must compile; every other case must fail with the static_assert named
// on its `#elif CASE == N  // expect: TEXT` line (TEXT on the same diagnostic line as
// "static assertion failed"), so that an unrelated error cannot make it pass.
//
// CASES: 15
#include "umaccess/usermode_accessors.h"

struct A { ULONG x, y; };
struct B { ULONG x, y; };  // A's layout, but another type: not assignable
struct Small { USHORT x; };

#ifndef CASE
#error "compile with -DCASE=N"
#endif

void cases(A* kernel_a, A* user_a, const A* const_a, B* user_b, Small* user_small,
           const volatile A* volatile_user_a, volatile A* volatile_dst_a, ULONG* kernel_ulong,
           LONG* user_long, KPROCESSOR_MODE mode, PVOID* kernel_pointer, ULONG_PTR* user_ulong_ptr,
           int int_mode) {
  (void)kernel_a, (void)user_a, (void)const_a, (void)user_b, (void)user_small;
  (void)volatile_user_a, (void)volatile_dst_a, (void)kernel_ulong, (void)user_long;
  (void)mode, (void)kernel_pointer, (void)user_ulong_ptr, (void)int_mode;
#if CASE == 0
  // Every macro, used correctly: same types, LONG into ULONG (assignable, same size),
  // volatile user pointers, a KPROCESSOR_MODE variable.
  ReadStructFromUser(kernel_a, user_a);
  ReadStructFromUser(kernel_a, volatile_user_a);
  ReadStructFromUser(kernel_ulong, user_long);
  ReadStructFromUserAligned(kernel_a, volatile_user_a, 4);
  ReadStructFromMode(kernel_a, user_a, mode);
  ReadStructFromModeAligned(kernel_ulong, user_long, mode, 4);
  WriteStructToUser(user_a, const_a);
  WriteStructToUser(volatile_dst_a, kernel_a);
  WriteStructToUserAligned(user_long, kernel_ulong, 4);
  WriteStructToMode(volatile_dst_a, const_a, mode);
  WriteStructToModeAligned(user_a, kernel_a, mode, 8);
  RtlTypesCompatible(kernel_ulong, user_long);
  const KPROCESSOR_MODE constant_mode = UserMode;
  ReadStructFromMode(kernel_a, user_a, constant_mode);
  // The MODE enumerators, as drivers write them (issue 15), and a const MODE.
  ReadStructFromMode(kernel_a, user_a, UserMode);
  WriteStructToModeAligned(user_a, kernel_a, KernelMode, 4);
  const MODE enum_mode = UserMode;
  WriteStructToMode(user_a, kernel_a, enum_mode);
#elif CASE == 1  // expect: RtlTypesCompatible:
  ReadStructFromUser(kernel_a, user_small);  // sizes differ
#elif CASE == 2  // expect: RtlTypesCompatible:
  ReadStructFromUser(kernel_a, user_b);  // same size, not assignable
#elif CASE == 3  // expect: RtlTypesCompatible:
  ReadStructFromUser(const_a, user_a);  // const destination
#elif CASE == 4  // expect: RtlTypesCompatible:
  ReadStructFromUser(kernel_pointer, user_ulong_ptr);  // same size, integer to pointer
#elif CASE == 5  // expect: RtlTypesCompatible:
  WriteStructToUser(user_small, kernel_a);  // sizes differ
#elif CASE == 6  // expect: RtlTypesCompatible:
  WriteStructToUser(user_b, kernel_a);  // same size, not assignable
#elif CASE == 7  // expect: RtlTypesCompatible:
  const volatile A* const_user = user_a;
  WriteStructToUser(const_user, kernel_a);  // const destination
#elif CASE == 8  // expect: RtlTypesCompatible:
  ReadStructFromUserAligned(kernel_a, user_b, 4);
#elif CASE == 9  // expect: RtlTypesCompatible:
  WriteStructToModeAligned(user_b, kernel_a, mode, 4);
#elif CASE == 10  // expect: Mode must be a KPROCESSOR_MODE
  ReadStructFromMode(kernel_a, user_a, int_mode);  // an int, not a KPROCESSOR_MODE
#elif CASE == 11  // expect: Mode must be a KPROCESSOR_MODE
  WriteStructToMode(user_a, kernel_a, int_mode);
#elif CASE == 12  // expect: Mode must be a KPROCESSOR_MODE
  ReadStructFromModeAligned(kernel_a, user_a, int_mode, 4);
#elif CASE == 13  // expect: Mode must be a KPROCESSOR_MODE
  // A BOOLEAN has KPROCESSOR_MODE's size but is not a mode.
  const BOOLEAN flag = 1;
  WriteStructToModeAligned(user_a, kernel_a, flag, 4);
#elif CASE == 14  // expect: RtlTypesCompatible:
  RtlTypesCompatible(user_long, kernel_pointer);  // the check alone
#elif CASE == 15  // expect: Mode must be a KPROCESSOR_MODE
  ReadStructFromMode(kernel_a, user_a, 1);  // a literal int
#else
#error "no such CASE"
#endif
}
