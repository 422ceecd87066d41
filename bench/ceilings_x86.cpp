// SPDX-License-Identifier: Apache-2.0
// bench/ceilings_x86.cpp - the x86-64 ceilings of baselines.h: AVX-512 or AVX2 streaming
// loops and loads, and clflush for cold runs. Compiler intrinsics: these bound what a copy
// can reach; they are not kernels.
#include <immintrin.h>

#include <cstddef>

#include "arena.h"
#include "baselines.h"

namespace umabench {

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
