// SPDX-License-Identifier: Apache-2.0
// <wdmsec.h> for a driver ported unchanged (include/umaccess/wdk on the include path: see
// cmake/umaccess_wdk.cmake): the SDDL_DEVOBJ_* strings, declared (accepted and ignored) by
// umaccess/wdf.h. IoCreateDeviceSecure is not modelled. See docs/porting.md.
#pragma once
#include "umaccess/wdf.h"
