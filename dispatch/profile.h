// SPDX-License-Identifier: Apache-2.0
// dispatch/profile.h - a machine's measured plan: what umaccess-calibrate writes and the
// dispatcher loads at start-up.
//
// A profile is a small text file. '#' starts a comment (whole line or trailing); every
// other line is "KEY VALUE". The key lines say which machine and library it was measured
// on; the choice lines are each optional, and a trailing comment on a choice line is the
// measurement that chose it (the read-back quotes it):
//
//   umaccess-profile 1                  format version (first non-comment line)
//   library 0.2.0                       the umaccess version that measured it
//   cpu.vendor AuthenticAMD
//   cpu.family 26
//   cpu.model 2
//   cpu.stepping 1
//   cpu.features sse2 erms fsrm avx2 avx512f avx512bw avx512vl bmi2
//   cpu.l1d 49152                       bytes, as detection reports them
//   cpu.l2 1048576
//   cpu.l3 33554432
//   variant avx512                      # 0.78 x the policy's evex, 16 B .. 16 KiB
//   rep_movsb 26624                     bytes, or "never"
//   rep_stosb never
//   non_temporal 12582912               copies stream from here
//   non_temporal_fill 33554432          fills stream from here
//
// The dispatcher applies a profile only if every key matches this CPU and this library,
// every value is in bounds and the variant runs here; otherwise it ignores the whole file
// with one warning (never half-applied).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "cpu.h"

namespace umaccess::detail {

constexpr int kProfileFormat = 1;
// The version profiles are keyed by (CMake's project version, passed by the build).
const char* library_version();

struct ProfileKey {
  std::string library;
  std::string vendor;
  int family = 0, model = 0, stepping = 0;
  std::string features;  // feature_name()s of the features present, in kAllFeatures order
  std::size_t l1d = 0, l2 = 0, l3 = 0;
  bool operator==(const ProfileKey& o) const;
  bool operator!=(const ProfileKey& o) const { return !(*this == o); }
};
// The key of `cpu` with this library's version.
ProfileKey profile_key(const CpuDescription& cpu);

template <typename T>
struct ProfileChoice {
  std::optional<T> value;
  std::string evidence;  // the trailing comment: the measurement that chose it
};

struct Profile {
  ProfileKey key;
  ProfileChoice<std::string> variant;
  ProfileChoice<std::size_t> rep_movsb, rep_stosb, non_temporal, non_temporal_fill;  // kNever: "never"
};

// Bounds a loaded threshold must respect: a byte count up to 1 TiB, or never; the
// non-temporal thresholds not below kNonTemporalMinBytes.
constexpr std::size_t kProfileMaxBytes = std::size_t{1} << 40;

// Parses the text; false and *error ("line 7: ...") if it is malformed, a key is missing
// or repeated, a value is out of bounds. Says nothing about whether it fits this CPU.
bool parse_profile(const std::string& text, Profile* out, std::string* error);
// Why `profile` does not apply to `cpu` ("" if it does): another CPU or library version
// (naming the first field that differs), or a variant this CPU cannot run.
std::string profile_mismatch(const Profile& profile, const CpuDescription& cpu);
// The file text for `profile`: `header` (lines, without '#') first as comments.
std::string format_profile(const Profile& profile, const std::string& header);

// Where the dispatcher looks, in order: $UMACCESS_PROFILE, $XDG_CONFIG_HOME/umaccess/profile
// (else ~/.config/umaccess/profile), /etc/umaccess/profile. The first that is set (for
// UMACCESS_PROFILE) or exists is the one used. In an AT_SECURE (setuid, file capabilities)
// process only the system file is considered. Also where umaccess-calibrate writes by
// default: the per-user path.
std::string user_profile_path();  // "" if neither XDG_CONFIG_HOME nor HOME is set
constexpr const char* kSystemProfilePath = "/etc/umaccess/profile";

}  // namespace umaccess::detail
