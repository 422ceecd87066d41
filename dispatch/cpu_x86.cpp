// dispatch/cpu_x86.cpp - CPU detection on x86-64 with cpu_features.
#include <cpu_features/cpuinfo_x86.h>
#include <cpuid.h>

#include "cpu.h"

namespace umaccess::detail {

const char* feature_name(Feature f) {
  switch (f) {
    case kSse2: return "sse2";
    case kErms: return "erms";
    case kFsrm: return "fsrm";
    case kAvx2: return "avx2";
    case kAvx512f: return "avx512f";
    case kAvx512bw: return "avx512bw";
    case kAvx512vl: return "avx512vl";
  }
  return "?";
}

namespace {

// FSRM is CPUID.(EAX=7,ECX=0):EDX[4]; cpu_features only reports it from 0.8 on.
bool cpuid_fsrm() {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  return (edx >> 4) & 1;
}

}  // namespace

CpuDescription detect_cpu() {
  using namespace cpu_features;
  const X86Info info = GetX86Info();
  CpuDescription cpu;
  cpu.vendor = info.vendor;
  cpu.brand = info.brand_string;
  cpu.microarchitecture = GetX86MicroarchitectureName(GetX86Microarchitecture(&info));
  // cpu_features reports AVX bits only when the OS saves the YMM/ZMM state (XCR0).
  const X86Features& f = info.features;
  if (f.sse2) cpu.features |= kSse2;
  if (f.erms) cpu.features |= kErms;
  if (cpuid_fsrm()) cpu.features |= kFsrm;
  if (f.avx2) cpu.features |= kAvx2;
  if (f.avx512f) cpu.features |= kAvx512f;
  if (f.avx512bw) cpu.features |= kAvx512bw;
  if (f.avx512vl) cpu.features |= kAvx512vl;
  return cpu;
}

}  // namespace umaccess::detail
