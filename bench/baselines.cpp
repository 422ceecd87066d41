// bench/baselines.cpp - see baselines.h.
#include "baselines.h"

#include <immintrin.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>

#include "arena.h"

namespace umabench {

void* (*volatile g_memcpy)(void*, const void*, std::size_t) = std::memcpy;
void* (*volatile g_memmove)(void*, const void*, std::size_t) = std::memmove;
void* (*volatile g_memset)(void*, int, std::size_t) = std::memset;

Arena& arena() {
  static Arena a;
  return a;
}

namespace {

thread_local sigjmp_buf* t_guard = nullptr;

void guard_handler(int sig, siginfo_t*, void*) {
  if (t_guard != nullptr) siglongjmp(*t_guard, 1);
  signal(sig, SIG_DFL);
}

}  // namespace

void install_guard_handler() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = guard_handler;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, nullptr);
  sigaction(SIGBUS, &sa, nullptr);
}

bool guarded_memcpy(void* dst, const void* src, std::size_t n, bool save_mask) {
  sigjmp_buf buf;
  if (sigsetjmp(buf, save_mask ? 1 : 0) != 0) {
    t_guard = nullptr;
    return false;
  }
  t_guard = &buf;
  g_memcpy(dst, src, n);
  t_guard = nullptr;
  return true;
}

bool process_vm_read(void* dst, const void* src, std::size_t n) {
  const struct iovec local{dst, n};
  const struct iovec remote{const_cast<void*>(src), n};
  return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == static_cast<ssize_t>(n);
}

namespace {

__attribute__((target("avx512f"))) void nt_copy_avx512(void* dst, const void* src, std::size_t n) {
  auto* d = static_cast<__m512i*>(dst);
  const auto* s = static_cast<const __m512i*>(src);
  for (std::size_t i = 0; i < n / 64; ++i) _mm512_stream_si512(d + i, _mm512_loadu_si512(s + i));
  _mm_sfence();
}
__attribute__((target("avx2"))) void nt_copy_avx2(void* dst, const void* src, std::size_t n) {
  auto* d = static_cast<__m256i*>(dst);
  const auto* s = static_cast<const __m256i*>(src);
  for (std::size_t i = 0; i < n / 32; ++i)
    _mm256_stream_si256(d + i, _mm256_loadu_si256(s + i));
  _mm_sfence();
}
__attribute__((target("avx512f"))) void nt_store_avx512(void* dst, std::size_t n) {
  auto* d = static_cast<__m512i*>(dst);
  const __m512i v = _mm512_set1_epi8(0x5A);
  for (std::size_t i = 0; i < n / 64; ++i) _mm512_stream_si512(d + i, v);
  _mm_sfence();
}
__attribute__((target("avx2"))) void nt_store_avx2(void* dst, std::size_t n) {
  auto* d = static_cast<__m256i*>(dst);
  const __m256i v = _mm256_set1_epi8(0x5A);
  for (std::size_t i = 0; i < n / 32; ++i) _mm256_stream_si256(d + i, v);
  _mm_sfence();
}
__attribute__((target("avx2"))) unsigned long long load_avx2(const void* src, std::size_t n) {
  const auto* s = static_cast<const __m256i*>(src);
  __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
  for (std::size_t i = 0; i + 4 <= n / 32; i += 4) {
    a = _mm256_xor_si256(a, _mm256_load_si256(s + i));
    b = _mm256_xor_si256(b, _mm256_load_si256(s + i + 1));
    c = _mm256_xor_si256(c, _mm256_load_si256(s + i + 2));
    d = _mm256_xor_si256(d, _mm256_load_si256(s + i + 3));
  }
  a = _mm256_xor_si256(_mm256_xor_si256(a, b), _mm256_xor_si256(c, d));
  return static_cast<unsigned long long>(_mm256_extract_epi64(a, 0));
}

}  // namespace

void plain_nt_copy(void* dst, const void* src, std::size_t n) {
  if (__builtin_cpu_supports("avx512f")) nt_copy_avx512(dst, src, n); else nt_copy_avx2(dst, src, n);
}

void plain_nt_store(void* dst, std::size_t n) {
  if (__builtin_cpu_supports("avx512f")) nt_store_avx512(dst, n); else nt_store_avx2(dst, n);
}

unsigned long long plain_load(const void* src, std::size_t n) { return load_avx2(src, n); }

void flush_from_caches(const void* p, std::size_t n) {
  const auto* b = static_cast<const char*>(p);
  for (std::size_t i = 0; i < n; i += 64) _mm_clflush(b + i);
  _mm_mfence();
}

}  // namespace umabench
