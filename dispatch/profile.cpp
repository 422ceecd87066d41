// SPDX-License-Identifier: Apache-2.0
// dispatch/profile.cpp - see profile.h.
#include "profile.h"

#include <sys/auxv.h>

#include <cerrno>
#include <cstdlib>
#include <set>
#include <sstream>

#include "plan.h"
#include "policy.h"
#include "variants.h"

#ifndef UMACCESS_VERSION
#error "the build defines UMACCESS_VERSION"
#endif

namespace umaccess::detail {

const char* library_version() { return UMACCESS_VERSION; }

bool ProfileKey::operator==(const ProfileKey& o) const {
  return library == o.library && vendor == o.vendor && family == o.family && model == o.model &&
         stepping == o.stepping && features == o.features && l1d == o.l1d && l2 == o.l2 &&
         l3 == o.l3;
}

ProfileKey profile_key(const CpuDescription& cpu) {
  ProfileKey k;
  k.library = library_version();
  k.vendor = cpu.vendor;
  k.family = cpu.family;
  k.model = cpu.model;
  k.stepping = cpu.stepping;
  for (Feature f : kAllFeatures)
    if (cpu.has(f)) k.features += std::string(k.features.empty() ? "" : " ") + feature_name(f);
  k.l1d = cpu.cache.l1d;
  k.l2 = cpu.cache.l2;
  k.l3 = cpu.cache.l3;
  return k;
}

namespace {

bool parse_count(const std::string& text, std::size_t* out, bool allow_never) {
  if (allow_never && text == "never") {
    *out = kNever;
    return true;
  }
  if (text.empty() || text[0] < '0' || text[0] > '9') return false;
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return false;
  *out = static_cast<std::size_t>(v);
  return v <= kProfileMaxBytes;
}

bool parse_int(const std::string& text, int* out) {
  std::size_t v;
  if (!parse_count(text, &v, false) || v > 0xffff) return false;
  *out = static_cast<int>(v);
  return true;
}

std::string trim(const std::string& s) {
  const auto a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t\r") - a + 1);
}

std::string threshold_text(std::size_t v) { return v == kNever ? "never" : std::to_string(v); }

}  // namespace

bool parse_profile(const std::string& text, Profile* out, std::string* error) {
  Profile p;
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  bool have_format = false;
  std::set<std::string> seen;
  auto fail = [&](const std::string& why) {
    *error = "line " + std::to_string(number) + ": " + why;
    return false;
  };
  while (std::getline(lines, line)) {
    ++number;
    std::string evidence;
    const auto hash = line.find('#');
    if (hash != std::string::npos) {
      evidence = trim(line.substr(hash + 1));
      line.erase(hash);
    }
    line = trim(line);
    if (line.empty()) continue;
    const auto space = line.find_first_of(" \t");
    const std::string key = line.substr(0, space);
    const std::string value = space == std::string::npos ? "" : trim(line.substr(space));
    if (value.empty()) return fail("'" + key + "' has no value");
    if (!have_format) {
      if (key != "umaccess-profile")
        return fail("not a umaccess profile (no 'umaccess-profile' line first)");
      if (value != std::to_string(kProfileFormat))
        return fail("profile format " + value + ", this library reads format " +
                    std::to_string(kProfileFormat));
      have_format = true;
      continue;
    }
    if (!seen.insert(key).second) return fail("'" + key + "' given twice");
    bool ok = true;
    if (key == "library")
      p.key.library = value;
    else if (key == "cpu.vendor")
      p.key.vendor = value;
    else if (key == "cpu.family")
      ok = parse_int(value, &p.key.family);
    else if (key == "cpu.model")
      ok = parse_int(value, &p.key.model);
    else if (key == "cpu.stepping")
      ok = parse_int(value, &p.key.stepping);
    else if (key == "cpu.features") {
      std::istringstream words(value);
      std::string w, joined;
      while (words >> w) joined += (joined.empty() ? "" : " ") + w;
      p.key.features = joined;
    } else if (key == "cpu.l1d")
      ok = parse_count(value, &p.key.l1d, false);
    else if (key == "cpu.l2")
      ok = parse_count(value, &p.key.l2, false);
    else if (key == "cpu.l3")
      ok = parse_count(value, &p.key.l3, false);
    else if (key == "variant") {
      if (value.find_first_of(" \t") != std::string::npos) return fail("variant: one name");
      p.variant = {value, evidence};
    } else if (key == "rep_movsb" || key == "rep_stosb" || key == "non_temporal" ||
               key == "non_temporal_fill") {
      std::size_t v;
      if (!parse_count(value, &v, true))
        return fail(key + " " + value + ": not a byte count up to 1 TiB, nor 'never'");
      const bool streaming = key == "non_temporal" || key == "non_temporal_fill";
      if (streaming && v < kNonTemporalMinBytes)
        return fail(key + " " + value + ": below the streaming kernels' minimum of " +
                    std::to_string(kNonTemporalMinBytes) + " bytes");
      ProfileChoice<std::size_t>& c = key == "rep_movsb"      ? p.rep_movsb
                                      : key == "rep_stosb"    ? p.rep_stosb
                                      : key == "non_temporal" ? p.non_temporal
                                                              : p.non_temporal_fill;
      c = {v, evidence};
    } else {
      return fail("unknown key '" + key + "'");
    }
    if (!ok) return fail(key + " " + value + ": not a number in range");
  }
  if (!have_format) return fail("empty: no 'umaccess-profile' line");
  for (const char* required : {"library", "cpu.vendor", "cpu.family", "cpu.model", "cpu.stepping",
                               "cpu.features", "cpu.l1d", "cpu.l2", "cpu.l3"})
    if (!seen.count(required)) {
      *error = std::string("the key line '") + required + "' is missing";
      return false;
    }
  *out = p;
  return true;
}

std::string profile_mismatch(const Profile& profile, const CpuDescription& cpu) {
  const ProfileKey& a = profile.key;
  const ProfileKey b = profile_key(cpu);
  auto differs = [](const char* what, const std::string& theirs, const std::string& ours) {
    return std::string("measured for ") + what + " " + theirs + ", this is " + ours;
  };
  if (a.library != b.library) return differs("umaccess", a.library, b.library);
  if (a.vendor != b.vendor) return differs("vendor", a.vendor, b.vendor);
  if (a.family != b.family || a.model != b.model || a.stepping != b.stepping)
    return differs(
        "family/model/stepping",
        std::to_string(a.family) + "/" + std::to_string(a.model) + "/" + std::to_string(a.stepping),
        std::to_string(b.family) + "/" + std::to_string(b.model) + "/" +
            std::to_string(b.stepping));
  if (a.features != b.features)
    return differs("features", "'" + a.features + "'", "'" + b.features + "'");
  if (a.l1d != b.l1d || a.l2 != b.l2 || a.l3 != b.l3)
    return differs("caches",
                   format_bytes(a.l1d) + "/" + format_bytes(a.l2) + "/" + format_bytes(a.l3),
                   format_bytes(b.l1d) + "/" + format_bytes(b.l2) + "/" + format_bytes(b.l3));
  if (profile.variant.value) {
    const VariantDef* v = find_variant(*profile.variant.value);
    if (v == nullptr) return "unknown variant '" + *profile.variant.value + "'";
    if (!cpu.has(v->required))
      return "variant '" + *profile.variant.value + "' cannot run on this CPU";
  }
  return "";
}

std::string format_profile(const Profile& p, const std::string& header) {
  std::ostringstream out;
  std::istringstream lines(header);
  std::string line;
  while (std::getline(lines, line)) out << "# " << line << "\n";
  out << "umaccess-profile " << kProfileFormat << "\n"
      << "library " << p.key.library << "\n"
      << "cpu.vendor " << p.key.vendor << "\n"
      << "cpu.family " << p.key.family << "\n"
      << "cpu.model " << p.key.model << "\n"
      << "cpu.stepping " << p.key.stepping << "\n"
      << "cpu.features " << p.key.features << "\n"
      << "cpu.l1d " << p.key.l1d << "\n"
      << "cpu.l2 " << p.key.l2 << "\n"
      << "cpu.l3 " << p.key.l3 << "\n";
  auto choice = [&](const char* key, const std::string& value, const std::string& evidence) {
    out << key << " " << value;
    if (!evidence.empty()) out << "  # " << evidence;
    out << "\n";
  };
  if (p.variant.value) choice("variant", *p.variant.value, p.variant.evidence);
  if (p.rep_movsb.value)
    choice("rep_movsb", threshold_text(*p.rep_movsb.value), p.rep_movsb.evidence);
  if (p.rep_stosb.value)
    choice("rep_stosb", threshold_text(*p.rep_stosb.value), p.rep_stosb.evidence);
  if (p.non_temporal.value)
    choice("non_temporal", threshold_text(*p.non_temporal.value), p.non_temporal.evidence);
  if (p.non_temporal_fill.value)
    choice("non_temporal_fill", threshold_text(*p.non_temporal_fill.value),
           p.non_temporal_fill.evidence);
  return out.str();
}

std::string user_profile_path() {
  if (const char* xdg = secure_getenv("XDG_CONFIG_HOME"); xdg != nullptr && xdg[0] == '/')
    return std::string(xdg) + "/umaccess/profile";
  if (const char* home = secure_getenv("HOME"); home != nullptr && home[0] == '/')
    return std::string(home) + "/.config/umaccess/profile";
  return "";
}

}  // namespace umaccess::detail
