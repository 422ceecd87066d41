// SPDX-License-Identifier: Apache-2.0
// bench/baselines.h - what umaccess is measured against: glibc, the sigsetjmp guards users
// write today to survive faults, the process_vm_readv system call, and plain streaming
// loops that bound the bandwidth a copy can reach.
#pragma once

#include <cstddef>

namespace umabench {

// glibc, called through volatile pointers so the compiler can neither inline nor elide them.
extern void* (*volatile g_memcpy)(void*, const void*, std::size_t);
extern void* (*volatile g_memmove)(void*, const void*, std::size_t);
extern void* (*volatile g_memset)(void*, int, std::size_t);
extern std::size_t (*volatile g_strlen)(const char*);

// memcpy inside a sigsetjmp guard (savemask 0 or 1), with a SIGSEGV/SIGBUS handler that
// siglongjmps back: returns false if the copy faulted.
bool guarded_memcpy(void* dst, const void* src, std::size_t n, bool save_mask);
void install_guard_handler();

// The "syscall way": the kernel copies from our own address space.
bool process_vm_read(void* dst, const void* src, std::size_t n);

// Ceilings: the best vector width this CPU has, no checks, no fault coverage.
void plain_nt_copy(void* dst, const void* src, std::size_t n);  // streaming stores
void plain_nt_store(void* dst, std::size_t n);                  // streaming stores only
unsigned long long plain_load(const void* src, std::size_t n);  // loads only

}  // namespace umabench
