// SPDX-License-Identifier: Apache-2.0
// examples/guest_emulator.cpp - a tiny emulator that services its guest's system calls on
// guest pointers, with the guest's address space as the user range.
//
// Every pointer an emulator dereferences on its guest's behalf is chosen by the guest, so it
// is untrusted user memory. Here the guest address space is one host mapping, made the user
// range with umaccess::ScopedUserRange. The host translates a guest address by adding the
// mapping's base, checks nothing itself, and services each guest "system call" with
// CopyFromUser, CopyToUser, StringLengthFromUser, FillUserMemory and
// InterlockedCompareExchangeToUser. What a bad guest pointer does:
//   - into a hole (an inaccessible page) or the read-only ROM: the access faults, and the
//     guest gets EFAULT with the faulting guest address; a read or write that moved some
//     bytes first returns the short count, as Linux does;
//   - outside the guest, or wrapping around into the host's own memory: refused before any
//     byte is touched, because it lies outside the user range;
//   - a misaligned atomic: STATUS_DATATYPE_MISALIGNMENT, and the guest gets EINVAL.
// The guest heap is allocated lazily: its pages start inaccessible, and a fault resolver
// (umaccess::set_fault_resolver) makes each one accessible on its first touch, after which
// the interrupted copy simply goes on. An instruction fetch from the hole kills the guest,
// not the emulator.
//
// Self-checking: each instruction's outcome is compared with the expected one, and the
// program exits 0 only if all match (CI runs it).
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "umaccess/usermode_accessors.h"

namespace {

// ---- The guest machine ------------------------------------------------------------------

// One instruction: an opcode and up to three operands. The guest program lives in its ROM.
enum Opcode : std::uint32_t {
  kWrite = 1,      // write(buf, len): guest bytes to the console; returns the count
  kRead,           // read(buf, len): console input into the guest; returns the count
  kStrlen,         // strlen(str)
  kFill,           // fill(dst, byte, len): memset; returns 0
  kAtomicInc,      // atomic_inc(counter): a 32-bit counter; returns the new value
  kJump,           // jump(target)
  kExit,           // exit: the run ends
};
struct GuestInstruction {
  std::uint32_t opcode;
  std::uint32_t reserved;
  std::uint64_t operand[3];
};

constexpr std::int64_t kEfault = 14;  // Linux errno values, returned negated as by a syscall
constexpr std::int64_t kEinval = 22;
constexpr std::size_t kMaxTransfer = 256;  // the largest read or write the host services

// The guest address space: ROM (the program, read-only), data, a hole that is never mapped,
// and a two-page heap whose pages become accessible on first touch.
class GuestSpace {
 public:
  explicit GuestSpace(std::size_t page) : page_(page), size_(5 * page) {
    // Reserve everything inaccessible, then open up what the guest starts with.
    void* p = mmap(nullptr, size_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("mmap");
    base_ = reinterpret_cast<std::uintptr_t>(p);
    mprotect(host(rom()), 2 * page_, PROT_READ | PROT_WRITE);  // ROM (until loaded) + data
  }
  ~GuestSpace() { munmap(reinterpret_cast<void*>(base_), size_); }
  GuestSpace(const GuestSpace&) = delete;
  GuestSpace& operator=(const GuestSpace&) = delete;

  std::uint64_t rom() const { return 0; }
  std::uint64_t data() const { return page_; }
  std::uint64_t hole() const { return 2 * page_; }
  std::uint64_t heap() const { return 3 * page_; }
  std::uint64_t end() const { return size_; }
  std::size_t page() const { return page_; }
  umaccess::UserRange range() const { return {base_, base_ + size_}; }

  // Guest to host address: no bounds check on purpose (integer arithmetic, so a huge guest
  // address simply wraps). Refusing what lies outside the guest is the user range's job.
  void* host(std::uint64_t guest_address) const {
    return reinterpret_cast<void*>(base_ + guest_address);
  }
  std::uint64_t guest(std::uintptr_t host_address) const { return host_address - base_; }

  void seal_rom() { mprotect(host(rom()), page_, PROT_READ); }

  // The fault resolver: runs inside the signal handler for every fault of a user-mode
  // access. A heap page is made accessible ("allocated") and the access runs again; any
  // other address is a real fault. Async-signal-safe: mprotect and a lock-free atomic.
  static int AllocateHeapPage(void* address, int /*is_write*/, void* context) {
    auto* self = static_cast<GuestSpace*>(context);
    const std::uint64_t at = self->guest(reinterpret_cast<std::uintptr_t>(address));
    if (at < self->heap() || at >= self->end()) return 0;
    const std::uint64_t page_start = at - at % self->page_;
    if (mprotect(self->host(page_start), self->page_, PROT_READ | PROT_WRITE) != 0) return 0;
    self->heap_pages_allocated.fetch_add(1, std::memory_order_relaxed);
    return 1;
  }
  std::atomic<int> heap_pages_allocated{0};

 private:
  std::uintptr_t base_ = 0;
  std::size_t page_;
  std::size_t size_;
};

// What one instruction did: its return value, and the fault behind an error, if any.
struct Outcome {
  std::int64_t result = 0;
  NTSTATUS status = STATUS_SUCCESS;
  std::uint64_t fault_address = 0;  // guest address
  bool fault_is_write = false;
};

// ---- The emulator ------------------------------------------------------------------------

class Emulator {
 public:
  Emulator(GuestSpace& guest, std::string input) : guest_(guest), input_(std::move(input)) {}

  // Runs from `pc` until the guest exits (true) or an instruction fetch faults (false, the
  // guest is killed with SIGSEGV at *fault_pc). `on_step` sees every executed instruction.
  template <class OnStep>
  bool run(std::uint64_t pc, std::uint64_t* fault_pc, OnStep on_step) {
    for (;;) {
      GuestInstruction insn;
      try {
        // Fetching is a guest access like any other: through the accessors.
        ReadStructFromUser(&insn, static_cast<const GuestInstruction*>(guest_.host(pc)));
      } catch (const umaccess::StructuredException& e) {
        *fault_pc = guest_.guest(e.address());
        return false;
      }
      if (insn.opcode == kExit) return true;
      current_ = Outcome{};
      current_.result = execute(insn);
      on_step(pc, insn, current_);
      pc = insn.opcode == kJump ? insn.operand[0] : pc + sizeof insn;
    }
  }

  const std::string& console() const { return console_; }

 private:
  std::int64_t execute(const GuestInstruction& insn) {
    const std::uint64_t* op = insn.operand;
    switch (insn.opcode) {
      case kWrite: return sys_write(op[0], op[1]);
      case kRead: return sys_read(op[0], op[1]);
      case kStrlen: return sys_strlen(op[0]);
      case kFill: return sys_fill(op[0], static_cast<UCHAR>(op[1]), op[2]);
      case kAtomicInc: return sys_atomic_inc(op[0]);
      case kJump: return 0;
      default: return -kEinval;
    }
  }

  // Records the fault behind an error, in guest terms, for the trace.
  void note(const umaccess::StructuredException& e) {
    current_.status = e.code();
    current_.fault_address = guest_.guest(e.address());
    current_.fault_is_write = e.is_write();
  }

  std::int64_t sys_write(std::uint64_t buf, std::uint64_t len) {
    if (len > kMaxTransfer) return -kEinval;
    char bytes[kMaxTransfer];
    std::size_t done = len;
    try {
      CopyFromUser(bytes, guest_.host(buf), len);
    } catch (const umaccess::StructuredException& e) {
      note(e);
      done = e.bytes_copied();  // exactly these leading bytes arrived: a short write
      if (done == 0) return -kEfault;
    }
    console_.append(bytes, done);
    return static_cast<std::int64_t>(done);
  }

  std::int64_t sys_read(std::uint64_t buf, std::uint64_t len) {
    if (len > kMaxTransfer) return -kEinval;
    const std::size_t available = std::min<std::size_t>(len, input_.size() - input_used_);
    std::size_t done = available;
    try {
      CopyToUser(guest_.host(buf), input_.data() + input_used_, available);
    } catch (const umaccess::StructuredException& e) {
      note(e);
      done = e.bytes_copied();  // the guest got exactly these; the rest stays unread
      if (done == 0) return -kEfault;
    }
    input_used_ += done;
    return static_cast<std::int64_t>(done);
  }

  std::int64_t sys_strlen(std::uint64_t str) {
    try {
      return static_cast<std::int64_t>(
          StringLengthFromUser(static_cast<const char*>(guest_.host(str))));
    } catch (const umaccess::StructuredException& e) {
      note(e);
      return -kEfault;
    }
  }

  std::int64_t sys_fill(std::uint64_t dst, UCHAR byte, std::uint64_t len) {
    try {
      FillUserMemory(guest_.host(dst), len, byte);
      return 0;
    } catch (const umaccess::StructuredException& e) {
      note(e);
      return -kEfault;
    }
  }

  // A compare-exchange loop on the guest's counter: atomic against other guest CPUs.
  std::int64_t sys_atomic_inc(std::uint64_t counter) {
    auto* target = static_cast<volatile LONG*>(guest_.host(counter));
    try {
      LONG seen = ReadLongFromUser(target);
      for (;;) {
        const LONG next = static_cast<LONG>(static_cast<ULONG>(seen) + 1);
        const LONG was = InterlockedCompareExchangeToUser(target, next, seen);
        if (was == seen) return next;
        seen = was;
      }
    } catch (const umaccess::StructuredException& e) {
      note(e);
      return e.code() == STATUS_DATATYPE_MISALIGNMENT ? -kEinval : -kEfault;
    }
  }

  GuestSpace& guest_;
  std::string console_;
  std::string input_;
  std::size_t input_used_ = 0;
  Outcome current_;
};

// ---- The guest program and what each instruction must do --------------------------------

struct Step {
  const char* intent;
  GuestInstruction insn;
  Outcome expected;
};

GuestInstruction instruction(Opcode opcode, std::uint64_t a = 0, std::uint64_t b = 0,
                             std::uint64_t c = 0) {
  return {opcode, 0, {a, b, c}};
}
Outcome returns(std::int64_t result) { return {result, STATUS_SUCCESS, 0, false}; }
Outcome faults(std::int64_t result, NTSTATUS status, std::uint64_t at, bool is_write) {
  return {result, status, at, is_write};
}

std::string describe(const GuestInstruction& insn) {
  static const char* const names[] = {"?", "write", "read", "strlen", "fill", "atomic_inc",
                                      "jump", "exit"};
  const char* name = insn.opcode < sizeof names / sizeof *names ? names[insn.opcode] : "?";
  const int operands = insn.opcode == kFill ? 3 : insn.opcode <= kRead ? 2 : 1;
  std::string text = std::string(name) + "(";
  char number[32];
  for (int i = 0; i < operands; ++i) {
    std::snprintf(number, sizeof number, i == 0 ? "0x%" PRIx64 : ", 0x%" PRIx64,
                  insn.operand[i]);
    text += number;
  }
  return text + ")";
}

std::string describe(std::int64_t result) {
  if (result == -kEfault) return "-EFAULT";
  if (result == -kEinval) return "-EINVAL";
  return std::to_string(result);
}

std::string escaped(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '\n' ? std::string("\\n") : std::string(1, c);
  return out;
}

// The host's own secret, which the guest tries to read and overwrite.
char g_host_secret[16] = "host-only key";

}  // namespace

int main() {
  const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  GuestSpace guest(page);
  umaccess::ScopedUserRange guest_is_user_memory(guest.range());
  umaccess::set_fault_resolver(&GuestSpace::AllocateHeapPage, &guest);

  const std::uint64_t data = guest.data(), hole = guest.hole(), heap = guest.heap();
  const std::uint64_t rom = guest.rom(), end = guest.end();
  // A guest address that wraps around onto the host's secret.
  const std::uint64_t secret = guest.guest(reinterpret_cast<std::uintptr_t>(g_host_secret));
  const NTSTATUS av = STATUS_ACCESS_VIOLATION;

  // The loader: initial data, then the program into ROM, which is then made read-only.
  std::memcpy(guest.host(data), "hello, guest\n", 13);
  std::memcpy(guest.host(data + page - 6), "tail!\n", 6);  // the hole follows this page
  const std::vector<Step> program = {
      {"greet", instruction(kWrite, data, 13), returns(13)},
      {"measure the greeting", instruction(kStrlen, data), returns(13)},
      {"write running into the hole", instruction(kWrite, data + page - 6, 12),
       faults(6, av, hole, false)},
      {"strlen in the hole", instruction(kStrlen, hole), faults(-kEfault, av, hole, false)},
      {"overwrite its own code", instruction(kRead, rom + 0x40, 4),
       faults(-kEfault, av, rom + 0x40, true)},
      {"read into the lazy heap", instruction(kRead, heap, 5), returns(5)},
      {"echo it back", instruction(kWrite, heap, 5), returns(5)},
      {"count", instruction(kAtomicInc, heap + 64), returns(1)},
      {"count again", instruction(kAtomicInc, heap + 64), returns(2)},
      {"misaligned counter", instruction(kAtomicInc, data + 2),
       faults(-kEinval, STATUS_DATATYPE_MISALIGNMENT, data + 2, true)},
      {"counter in ROM", instruction(kAtomicInc, rom), faults(-kEfault, av, rom, true)},
      {"fill across both heap pages", instruction(kFill, heap + page - 16, 0xAA, 32),
       returns(0)},
      {"write from beyond the guest", instruction(kWrite, end + 0x100, 8),
       faults(-kEfault, av, end + 0x100, false)},
      {"read straddling the guest's end", instruction(kRead, end - 4, 8),
       faults(-kEfault, av, end, true)},
      {"leak the host's secret", instruction(kWrite, secret, 16),
       faults(-kEfault, av, secret, false)},
      {"overwrite the host's secret", instruction(kRead, secret, 4),
       faults(-kEfault, av, secret, true)},
      // The last step runs from a second entry point, after the first run exited.
      {"jump into the hole", instruction(kJump, hole), returns(0)},
  };
  const std::size_t first_run = program.size() - 1;
  const std::uint64_t crash_entry = rom + 64 * sizeof(GuestInstruction);
  {
    auto* code = static_cast<GuestInstruction*>(guest.host(rom));
    for (std::size_t i = 0; i < first_run; ++i) code[i] = program[i].insn;
    code[first_run] = instruction(kExit);
    code[crash_entry / sizeof(GuestInstruction)] = program.back().insn;
  }
  guest.seal_rom();

  Emulator emulator(guest, "world, and more input");
  int failures = 0;
  std::size_t index = 0;
  auto check = [&](std::uint64_t pc, const GuestInstruction& insn, const Outcome& got) {
    std::printf("0x%04" PRIx64 "  %-34s = %-8s", pc, describe(insn).c_str(),
                describe(got.result).c_str());
    const Step* step = index < program.size() ? &program[index] : nullptr;
    ++index;
    if (got.status != STATUS_SUCCESS)
      std::printf("%s %s guest 0x%" PRIx64 " ", umaccess::status_name(got.status),
                  got.fault_is_write ? "writing" : "reading", got.fault_address);
    std::printf("[%s]\n", step ? step->intent : "?");
    if (step == nullptr || got.result != step->expected.result ||
        got.status != step->expected.status ||
        got.fault_address != step->expected.fault_address ||
        got.fault_is_write != step->expected.fault_is_write) {
      std::printf("        ^ unexpected\n");
      ++failures;
    }
  };

  std::printf("guest at host %#" PRIxPTR ", %zu pages; the host's secret is guest 0x%" PRIx64
              "\n", guest.range().begin, static_cast<std::size_t>(end / page), secret);
  std::uint64_t fault_pc = 0;
  if (!emulator.run(rom, &fault_pc, check)) {
    std::printf("guest killed: instruction fetch at 0x%" PRIx64 "\n", fault_pc);
    ++failures;
  }
  std::printf("guest exited\n");
  if (index != first_run) ++failures;

  // The second run: the fetch from the hole kills the guest, and the emulator carries on.
  const bool exited = emulator.run(crash_entry, &fault_pc, check);
  std::printf("guest killed by SIGSEGV: instruction fetch at guest 0x%" PRIx64 "\n", fault_pc);
  if (exited || fault_pc != hole || index != program.size()) ++failures;

  // What the guest's memory and console must hold now.
  const std::string want_console = "hello, guest\ntail!\nworld";
  if (emulator.console() != want_console) {
    std::printf("console holds \"%s\"\n", escaped(emulator.console()).c_str());
    ++failures;
  }
  LONG counter;
  std::memcpy(&counter, guest.host(heap + 64), sizeof counter);
  const auto* filled = static_cast<const unsigned char*>(guest.host(heap + page - 16));
  for (int i = 0; i < 32; ++i) failures += filled[i] != 0xAA;
  failures += counter != 2;
  failures += guest.heap_pages_allocated.load() != 2;
  failures += std::strcmp(g_host_secret, "host-only key") != 0;
  umaccess::set_fault_resolver(nullptr);

  std::printf("console: \"%s\"; heap pages allocated on demand: %d\n",
              escaped(emulator.console()).c_str(), guest.heap_pages_allocated.load());
  std::printf(failures == 0 ? "every guest access ended as expected\n"
                            : "%d unexpected outcomes\n", failures);
  return failures == 0 ? 0 : 1;
}
