// SPDX-License-Identifier: Apache-2.0
// src/fatal.h - for misuse the library cannot recover from (not bug checks: those are the
// Windows-defined reaction to a faulting kernel-side buffer, see bug_check.cpp).
#pragma once

namespace umaccess::detail {

// Prints "umaccess: fatal: <message>" to stderr and aborts.
[[noreturn]] __attribute__((format(printf, 1, 2))) void fatal(const char* format, ...);

}  // namespace umaccess::detail
