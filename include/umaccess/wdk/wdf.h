// SPDX-License-Identifier: Apache-2.0
// <wdf.h> for a KMDF driver ported unchanged: with include/umaccess/wdk on the include path
// (umaccess_wdk_driver() in cmake/umaccess_wdk.cmake adds it), the WDK's include line
// resolves to umaccess's KMDF subset. See docs/porting.md.
#pragma once
#include "umaccess/wdf.h"
