// SPDX-License-Identifier: Apache-2.0
// src/bug_check.cpp - umaccess's analogue of a Windows bug check: a host callback, or a
// clear message on stderr and abort().
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "failure.h"
#include "fatal.h"

namespace umaccess::detail {
namespace {

std::mutex g_callback_mutex;
umaccess_bug_check_callback g_callback = nullptr;
void* g_callback_context = nullptr;

const char* bug_check_name(std::uint32_t code) {
  switch (code) {
    case PAGE_FAULT_IN_NONPAGED_AREA: return "PAGE_FAULT_IN_NONPAGED_AREA";
    case KERNEL_SECURITY_CHECK_FAILURE: return "KERNEL_SECURITY_CHECK_FAILURE";
    case WDF_VIOLATION: return "WDF_VIOLATION";
    case 0x76: return "PROCESS_HAS_LOCKED_PAGES";
    case 0xCB: return "DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS";
    case 0xD9: return "LOCKED_PAGES_TRACKER_CORRUPTION";
    default: return "host-defined";
  }
}

}  // namespace

void bug_check_in(const char* operation, std::uint32_t code, std::uintptr_t p1,
                  std::uintptr_t p2, std::uintptr_t p3, std::uintptr_t p4, const char* message) {
  umaccess_bug_check_callback callback;
  void* context;
  {
    std::lock_guard<std::mutex> lock(g_callback_mutex);
    callback = g_callback;
    context = g_callback_context;
  }
  if (callback != nullptr) {
    const umaccess_bug_check_info info{code, p1, p2, p3, p4, operation, message};
    callback(&info, context);  // may throw or longjmp; returning means "stop"
  }
  std::fprintf(stderr,
               "umaccess: *** BUG CHECK 0x%08X (%s) in %s: %s\n"
               "umaccess: parameters %#lx, %#lx, %#lx, %#lx\n",
               code, bug_check_name(code), operation != nullptr ? operation : "(host)",
               message != nullptr ? message : "", static_cast<unsigned long>(p1),
               static_cast<unsigned long>(p2), static_cast<unsigned long>(p3),
               static_cast<unsigned long>(p4));
  std::fflush(stderr);
  std::abort();
}

void fatal(const char* format, ...) {
  std::fputs("umaccess: fatal: ", stderr);
  va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
  std::fputc('\n', stderr);
  std::fflush(stderr);
  std::abort();
}

}  // namespace umaccess::detail

extern "C" void umaccess_set_bug_check_callback(umaccess_bug_check_callback callback,
                                                void* context) {
  using namespace umaccess::detail;
  std::lock_guard<std::mutex> lock(g_callback_mutex);
  g_callback = callback;
  g_callback_context = context;
}

extern "C" void umaccess_bug_check(std::uint32_t code, std::uintptr_t p1, std::uintptr_t p2,
                                   std::uintptr_t p3, std::uintptr_t p4) {
  umaccess::detail::bug_check_in(nullptr, code, p1, p2, p3, p4, "bug check raised by the host");
}
