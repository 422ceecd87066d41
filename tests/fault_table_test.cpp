// SPDX-License-Identifier: Apache-2.0
// tests/fault_table_test.cpp - the decoded fault table (src/fault_table.*), white-box: the
// handler's lookup must find exactly the covered bytes, and every recovery address must be
// code of the same object as the range it recovers.
#include <dlfcn.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "fault_table.h"
#include "sealed.h"
#include "support.h"

namespace umatest {
namespace {

using umaccess::detail::fault_range_count;
using umaccess::detail::fault_ranges;
using umaccess::detail::find_fault_range;

// The object (executable or shared library) that holds the code at `address`.
const void* object_of(std::uintptr_t address) {
  Dl_info info{};
  if (dladdr(reinterpret_cast<const void*>(address), &info) == 0) return nullptr;
  return info.dli_fbase;
}

TEST(FaultTable, LookupFindsExactlyTheCoveredBytes) {
  umaccess::install_fault_handler();  // builds the table
  const std::size_t n = fault_range_count();
  ASSERT_GT(n, 10u) << "every kernel family registers its ranges";
  const umaccess::detail::FaultRange* ranges = fault_ranges();
  for (std::size_t i = 0; i < n; ++i) {
    const auto& r = ranges[i];
    ASSERT_LT(r.begin, r.end) << i;
    if (i > 0) {
      ASSERT_LE(ranges[i - 1].end, r.begin) << "sorted, not overlapping: " << i;
    }
    EXPECT_EQ(find_fault_range(r.begin), &r) << i;
    EXPECT_EQ(find_fault_range(r.end - 1), &r) << i;
    const bool next_starts_at_end = i + 1 < n && ranges[i + 1].begin == r.end;
    if (!next_starts_at_end) {
      EXPECT_EQ(find_fault_range(r.end), nullptr) << i;
    }
    if (i == 0 || ranges[i - 1].end != r.begin) {
      EXPECT_EQ(find_fault_range(r.begin - 1), nullptr) << i;
    }
    EXPECT_NE(r.fixup, 0u) << i;
    EXPECT_EQ(object_of(r.fixup), object_of(r.begin)) << "the fixup of range " << i;
  }
  // Code that is not a kernel is not covered.
  EXPECT_EQ(find_fault_range(reinterpret_cast<std::uintptr_t>(&object_of)), nullptr);
  EXPECT_EQ(find_fault_range(0), nullptr);
}

#ifndef UMACCESS_OBJDUMP
#error "the build passes the toolchain's objdump (CMAKE_OBJDUMP)"
#endif

// A kernel every build of the architecture holds, to relate objdump's addresses to ours.
#if defined(__x86_64__)
extern "C" void uma_copy_sse2();  // hidden in the library, linked statically into this test
#define UMATEST_ANCHOR uma_copy_sse2
#else
extern "C" void uma_copy_gpr();
#define UMATEST_ANCHOR uma_copy_gpr
#endif
#define UMATEST_STRING_(x) #x
#define UMATEST_STRING(x) UMATEST_STRING_(x)

// The disassembly of this program's kernels, from the toolchain's objdump (binutils, which
// the compiler needs anyway): for each instruction, its link-time address, symbol and text.
struct Instruction {
  std::uintptr_t address;
  std::string symbol, text;
};

// A line of objdump's output that starts with a hexadecimal address (after any spaces): the
// address, and what follows it. (Plain string handling: GCC 12's <regex> trips its own
// -Wmaybe-uninitialized in the sanitizer builds, which treat warnings as errors.)
bool split_address(const std::string& text, std::uintptr_t& address, std::string& rest) {
  const std::size_t begin = text.find_first_not_of(' ');
  if (begin == std::string::npos) return false;
  std::size_t end = begin;
  while (end < text.size() && std::isxdigit(static_cast<unsigned char>(text[end]))) ++end;
  if (end == begin || end == text.size()) return false;
  address = static_cast<std::uintptr_t>(std::stoull(text.substr(begin, end - begin), nullptr, 16));
  rest = text.substr(end);
  if (rest.front() == ' ') rest.erase(0, 1);  // a header: "addr <name>:"
  return true;
}

// The instruction's mnemonic, after any prefixes objdump prints as words of their own
// ("cs nopw", "data16 cs nopw": padding); rep and lock are kept (they are the mnemonic's
// first word, and the instructions they prefix touch memory).
std::string mnemonic_of(const std::string& text) {
  std::size_t at = 0;
  for (;;) {
    const std::size_t end = text.find_first_of(" \t", at);
    const std::string word = text.substr(at, end == std::string::npos ? end : end - at);
    if ((word == "cs" || word == "ds" || word == "data16" || word == "addr32") &&
        end != std::string::npos) {
      at = text.find_first_not_of(" \t", end);
      if (at == std::string::npos) return word;
      continue;
    }
    return word;
  }
}

std::vector<Instruction> kernel_instructions(std::map<std::string, std::uintptr_t>& symbols) {
  std::vector<Instruction> out;
  // readlink, not the path in popen's command: its shell would read /proc/self/exe as its
  // own program (and under qemu-user, only this process sees the ARM64 program there).
  char self[4096];
  const ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
  if (length <= 0) return out;
  self[length] = '\0';
  std::string quoted = "'";  // the path in single quotes, a quote in it as '\''
  for (const char* c = self; *c != '\0'; ++c)
    quoted += *c == '\'' ? std::string("'\\''") : std::string(1, *c);
  quoted += "'";
  const std::string command =
      std::string(UMACCESS_OBJDUMP) + " -d -w --no-show-raw-insn " + quoted + " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  std::string symbol;
  bool in_kernels = false;
  char* buffer = nullptr;  // getline: a long mangled name must not split a line in two
  std::size_t capacity = 0;
  while (getline(&buffer, &capacity, pipe) != -1) {
    std::string text(buffer);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    std::uintptr_t address = 0;
    std::string rest;
    if (!split_address(text, address, rest)) continue;
    if (rest.size() > 3 && rest.front() == '<' && rest.compare(rest.size() - 2, 2, ">:") == 0) {
      // "0000000000401000 <name>:". The kernels' labels (uma_copy_avx2, uma_copy_avx2.more_32)
      // and NASM's macro-local ones (..@19.begin) are the asm/ code; a compiled function
      // ends the run.
      const std::string name = rest.substr(1, rest.size() - 3);
      if (name.rfind("..@", 0) == 0) continue;
      in_kernels = name.rfind("uma_", 0) == 0;
      if (in_kernels) {
        symbol = name;
        symbols[name] = address;
      }
    } else if (in_kernels && rest.size() > 1 && rest.front() == ':') {
      // GNU objdump writes "  401000:\tinsn", llvm-objdump (a Clang build's) "  401000:   \tinsn".
      const std::size_t insn = rest.find_first_not_of(" \t", 1);
      if (insn != std::string::npos) out.push_back({address, symbol, rest.substr(insn)});
    }
  }
  std::free(buffer);
  pclose(pipe);
  return out;
}

// Does the instruction read or write memory through a register the caller's pointers may be
// in? Not: address arithmetic (lea, adr) and padding (nop), prefetches (cannot fault), the
// dispatcher's published thresholds and the kernel's name (rip-relative; on AArch64 based on
// the register the previous instruction's adrp set), the caller's fault record (REC: r9, x3;
// written only by fixups) and the stack.
bool touches_caller_memory(const std::string& text, const std::string& previous) {
  const std::string mnemonic = mnemonic_of(text);
#if defined(__x86_64__)
  if (text.find('(') == std::string::npos) return false;
  static const char* const kExempt[] = {"lea",  "leaw", "leal", "leaq", "nop",
                                        "nopw", "nopl", "nopq", "prefetchnta", "prefetcht0",
                                        "prefetcht1", "prefetcht2", "prefetchw"};
  if (!mnemonic.empty() && mnemonic.front() == 'j') return false;  // jumps: through no table
  static const char* const kExemptBases[] = {"(%rip)", "(%r9)", "(%r9,", "(%rsp)", "(%rsp,"};
  (void)previous;
#else
  if (text.find('[') == std::string::npos) return false;
  static const char* const kExempt[] = {"prfm", "prfum", "adr", "adrp"};
  static const char* const kExemptBases[] = {"[x3]", "[x3,", "[sp]", "[sp,"};
  if (mnemonic_of(previous) == "adrp") {  // "adrp x6, 550000 <uma_published>"
    const std::size_t reg = previous.find_first_not_of(" \t", 4);
    const std::size_t comma = previous.find(',', reg);
    if (reg != std::string::npos && comma != std::string::npos) {
      const std::string page = previous.substr(reg, comma - reg);
      if (text.find("[" + page + ",") != std::string::npos ||
          text.find("[" + page + "]") != std::string::npos)
        return false;
    }
  }
#endif
  for (const char* exempt : kExempt)
    if (mnemonic == exempt) return false;
  for (const char* base : kExemptBases)
    if (text.find(base) != std::string::npos) return false;
  return true;
}

// "Every instruction in asm/ that touches caller memory is covered by the fault table",
// checked from the binary for every kernel assembled in, including the variants this CPU
// cannot run (their conformance and fault suites skip here): an uncovered access would
// crash the process on a bad user pointer instead of raising.
TEST(FaultTable, EveryKernelAccessToCallerMemoryIsCovered) {
  umaccess::install_fault_handler();  // builds the table
  std::map<std::string, std::uintptr_t> symbols;
  const std::vector<Instruction> code = kernel_instructions(symbols);
  ASSERT_GT(code.size(), 500u) << "`" UMACCESS_OBJDUMP " -d` of this program found no kernels";
  const char* const anchor = UMATEST_STRING(UMATEST_ANCHOR);
  ASSERT_EQ(symbols.count(anchor), 1u);
  const std::uintptr_t bias =
      reinterpret_cast<std::uintptr_t>(&UMATEST_ANCHOR) - symbols[anchor];
#if defined(__x86_64__)
  const char* const expected[] = {"uma_copy_avx512", "uma_copy_evex", "uma_copy_avx2",
                                  "uma_copy_erms",   "uma_move_avx512", "uma_fill_nt_evex",
                                  "uma_strlen_avx2", "uma_tail_copy", "uma_cmpxchg_64"};
#else
  const char* const expected[] = {"uma_copy_neon", "uma_copy_nt_neon", "uma_move_neon",
                                  "uma_fill_gpr",  "uma_tail_copy",    "uma_cmpxchg_64"};
#endif
  for (const char* kernel : expected)
    EXPECT_EQ(symbols.count(kernel), 1u) << kernel << " not found in the disassembly";
  std::size_t checked = 0;
  std::string previous;
  for (const Instruction& i : code) {
    const bool touches = touches_caller_memory(i.text, previous);
    previous = i.text;
    if (!touches) continue;
    ++checked;
    EXPECT_NE(find_fault_range(i.address + bias), nullptr)
        << "not covered by the fault table: " << i.symbol << "+0x" << std::hex
        << (i.address - symbols[i.symbol]) << ": " << i.text;
  }
  EXPECT_GT(checked, 200u) << "too few memory accesses recognised to mean anything";
}


// The default user range admits every address the process can map, the library's own data
// included. A "user" pointer aimed at the fault table must fault and be reported, and the
// table must keep recovering the next bad pointer.
TEST(FaultTable, CannotBeWrittenThroughAUserPointer) {
  using namespace umaccess::detail;
  char probe[8];
  EXPECT_EQ(umaccess_copy_from_user(probe, nullptr, 8, nullptr), STATUS_ACCESS_VIOLATION);  // built
  const FaultRange* ranges = fault_ranges();
  const FaultRange first = ranges[0];
  const FaultRange zeros[4] = {};
  std::size_t done = 99;
  EXPECT_EQ(umaccess_copy_to_user(const_cast<FaultRange*>(ranges), zeros, sizeof zeros, &done),
            STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(done, 0u);
  EXPECT_EQ(umaccess_fill_user_memory(const_cast<FaultRange*>(ranges), 64, 0, nullptr),
            STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(ranges[0].begin, first.begin);
  EXPECT_EQ(ranges[0].fixup, first.fixup);
  EXPECT_EQ(umaccess_copy_from_user(probe, nullptr, 8, nullptr), STATUS_ACCESS_VIOLATION);
}

// The same for everything else that decides which code runs: the kernels and thresholds
// the dispatcher published, the dispositions the handler chains to and the host's fault
// resolver. Sealed at load and after every write the library makes (a variant selected, a
// resolver set, the handler re-installed).
int NeverResolves(void*, int, void*) { return 0; }

void ExpectSealed(const char* when) {
  using umaccess::detail::sealed_regions;
  for (const auto& region : sealed_regions()) {
    SCOPED_TRACE(std::string(region.name) + ", " + when);
    const auto* at = static_cast<const unsigned char*>(region.at);
    const std::size_t n = std::min<std::size_t>(region.size, 64);
    const std::vector<unsigned char> before(at, at + n);
    const std::vector<unsigned char> zeros(n, 0);
    std::size_t done = 99;
    EXPECT_EQ(umaccess_copy_to_user(const_cast<unsigned char*>(at), zeros.data(), n, &done),
              STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(done, 0u);
    EXPECT_EQ(umaccess_fill_user_memory(const_cast<unsigned char*>(at), n, 0xA5, nullptr),
              STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(std::memcmp(before.data(), at, n), 0) << "changed through a user pointer";
    char probe[8];
    EXPECT_EQ(umaccess_copy_from_user(probe, nullptr, 8, nullptr), STATUS_ACCESS_VIOLATION)
        << "recovery keeps working";
  }
}

TEST(SealedState, CannotBeWrittenThroughAUserPointer) {
  umaccess::install_fault_handler();
  ASSERT_EQ(umaccess::detail::sealed_regions().size(), 4u);
  ExpectSealed("at start-up");
  umaccess_set_fault_resolver(NeverResolves, nullptr);
  umaccess_set_fault_resolver(nullptr, nullptr);
  ASSERT_EQ(umaccess_install_fault_handler(), 0);
  for (const auto& v : umaccess::dispatch::variants())
    if (v.supported) umaccess::dispatch::select(v.name);
  umaccess::dispatch::select("auto");
  ExpectSealed("after the library's own writes");
}

}  // namespace
}  // namespace umatest
