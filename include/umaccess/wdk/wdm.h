// SPDX-License-Identifier: Apache-2.0
// <wdm.h> for a WDM driver ported unchanged: with include/umaccess/wdk on the include path
// (umaccess_wdk_driver() in cmake/umaccess_wdk.cmake adds it), the WDK's include line
// resolves to umaccess's WDM vocabulary. See docs/porting.md.
#pragma once
#include "umaccess/ntddk.h"
