// SPDX-License-Identifier: Apache-2.0
// <ntstrsafe.h> for a driver ported unchanged (include/umaccess/wdk on the include path: see
// cmake/umaccess_wdk.cmake). The RtlString* functions are not modelled: this header only lets
// a driver that includes it without using them compile. See docs/porting.md.
#pragma once
#include "umaccess/ntddk.h"
