// SPDX-License-Identifier: Apache-2.0
// bench/headline.h - the report's headline figures, measured so that they can be trusted on a
// shared, noisy machine: CopyFromUser (C++), the C status API and glibc memcpy timed in
// interleaved rounds (every round times all three at one length and placement, in a
// rotating order), in several fresh processes (code and buffer placement differ between
// processes), and reported as medians of the per-round ratios with their spread. Beside the
// fixed lengths, a random-size mix drawn from a published distribution of real memcpy calls.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace umabench {

struct HeadlineOptions {
  int processes = 4;            // each with its timed loops at another offset in a cache line
  int rounds = 15;              // per process
  double sample_ns = 200000;    // each timed sample lasts about this long (or one call)
  std::size_t max_length = std::size_t{256} << 20;
  // 0, or the length of the two streaming pairs: CopyFromUserNonTemporal beside a plain
  // non-temporal copy loop, and FillUserMemory beside a plain non-temporal store loop
  // (baselines.h); per round, one call of each of a pair, in a rotating order.
  std::size_t streaming_bytes = 0;
};

// One measured point: the ratio of a series to memcpy (or of the C API to the C++ path),
// as the median of every round of every process, with its spread.
struct Ratio {
  double median = 0;
  double q1 = 0, q3 = 0;                     // quartiles of the per-round ratios
  double process_min = 0, process_max = 0;   // the per-process medians' range
  std::size_t samples = 0;
};

struct HeadlinePoint {
  double memcpy_ns = 0, cxx_ns = 0, c_ns = 0;  // medians over every round
  Ratio cxx;         // CopyFromUser / memcpy
  Ratio c;           // umaccess_copy_from_user / memcpy
  Ratio c_over_cxx;  // umaccess_copy_from_user / CopyFromUser
  Ratio streaming_share;  // the streaming pairs only: plain non-temporal loop / ours, in time
};

// Keyed by placement ("aligned", "misaligned", "mix"), then length (0 for the mix). The
// placements "string" (page-aligned) and "string_s7" (7 bytes past a 64-byte boundary) hold
// the string lengths up to 1 MiB in the same fields: memcpy_ns is glibc strlen's time, cxx
// StringLengthFromUser / strlen, c umaccess_string_length_from_user / strlen. With
// HeadlineOptions::streaming_bytes, two more placements at that length hold the streaming
// pairs: "streaming" the copy (memcpy_ns is the plain non-temporal copy loop's time, cxx_ns
// CopyFromUserNonTemporal's) and "streaming_fill" the fill (memcpy_ns the plain non-temporal
// store loop's, cxx_ns FillUserMemory's); streaming_share is their ratio (plain / ours per
// round: our share of the plain loop's bandwidth). The other fields are unused there. The
// single accesses (kSingleAccesses) are at placement single_placement(access), length = the
// access's size: memcpy_ns is the plain access's time, cxx the accessor's ratio to it, c the
// C status function's.
using Headline = std::map<std::string, std::map<std::size_t, HeadlinePoint>>;

// The single accesses timed beside the same access without fault safety.
enum class SingleAccess { kReadULong, kReadULong64Acquire, kWriteULong, kCompareExchange, kOr64 };
struct SingleAccessInfo {
  SingleAccess access;
  const char* accessor;  // the C++ accessor (Windows name)
  const char* c_api;     // the C status function
  const char* plain;     // the access without fault safety
  std::size_t size;
};
inline constexpr SingleAccessInfo kSingleAccesses[] = {
    {SingleAccess::kReadULong, "ReadULongFromUser", "umaccess_read_u32_from_user",
     "volatile load", 4},
    {SingleAccess::kReadULong64Acquire, "ReadULong64FromUserAcquire",
     "umaccess_read_u64_from_user_acquire", "__atomic_load_n (acquire)", 8},
    {SingleAccess::kWriteULong, "WriteULongToUser", "umaccess_write_u32_to_user",
     "volatile store", 4},
    {SingleAccess::kCompareExchange, "InterlockedCompareExchangeToUser",
     "umaccess_interlocked_compare_exchange_to_user", "__atomic_compare_exchange_n", 4},
    {SingleAccess::kOr64, "InterlockedOr64ToUser", "umaccess_interlocked_or64_to_user",
     "__atomic_fetch_or", 8},
};
inline std::string single_placement(const SingleAccessInfo& a) {
  return std::string("single:") + a.accessor;
}

// If argv asks for it, runs as one measuring child and exits; returns otherwise.
void headline_child_main_if_asked(int argc, char** argv);

// Runs `processes` children of this executable (/proc/self/exe) one after the other and
// pools what they measured. Shows a progress line on a terminal.
Headline measure_headline(const HeadlineOptions& options);

// The size distribution of the random mix, for the report's text.
std::string mix_description();

// The kernel FillUserMemory of n bytes runs under the plan in force, and whether it streams:
// the streaming fill pair is timed, and its target evaluated, only where it does.
std::string fill_kernel_at(std::size_t n);
bool fill_streams_at(std::size_t n);

}  // namespace umabench
