// SPDX-License-Identifier: Apache-2.0
// dispatch/dispatcher.cpp - the active choice: variant, thresholds and the size plan built
// from them; where each came from (the API, the UMACCESS_* environment, a measured
// profile, or the built-in policy, in that order of precedence); the umaccess::dispatch API.
#include <pthread.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <mutex>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "plan.h"
#include "profile.h"
#include "umaccess/umaccess.hpp"

namespace umaccess::detail {

Sealed<Published> g_published;

// The kernels read these fields at the offsets asm/abi.h gives them.
static_assert(offsetof(Published, copy_large_from) == PUBLISHED_COPY_LARGE_FROM);
static_assert(offsetof(Published, copy_huge_from) == PUBLISHED_COPY_HUGE_FROM);
static_assert(offsetof(Published, fill_large_from) == PUBLISHED_FILL_LARGE_FROM);
static_assert(offsetof(Published, fill_huge_from) == PUBLISHED_FILL_HUGE_FROM);
static_assert(offsetof(Published, rep_distance_mask) == PUBLISHED_REP_DISTANCE_MASK);
static_assert(offsetof(Sealed<Published>, value) == 0);

namespace {

using Source = ::umaccess::dispatch::Source;

// One choice as one layer states it; the highest layer that states it wins.
template <typename T>
struct Pin {
  std::optional<T> value;
  std::string why;
};
template <typename T>
struct Layers {
  Pin<T> api, environment, profile;
  // The winning layer, or nullptr: the policy decides.
  const Pin<T>* top(Source* source) const {
    if (api.value) return *source = Source::Api, &api;
    if (environment.value) return *source = Source::Environment, &environment;
    if (profile.value) return *source = Source::Profile, &profile;
    *source = Source::Policy;
    return nullptr;
  }
};

struct ProfileState {
  std::string path;
  std::string status = "none";  // "loaded", "none" or "ignored: <why>"
};

struct State {
  std::mutex mutex;
  bool initialized = false;
  const VariantDef* variant = nullptr;
  std::string variant_reason;
  Source variant_source = Source::Policy;
  Layers<std::string> variant_pins;
  Layers<std::size_t> rep_movsb, rep_stosb, non_temporal, non_temporal_fill;
  Thresholds thresholds{kNever, kNever, kNever, kNever};
  ThresholdReasons reasons;
  Source rep_movsb_source = Source::Policy, rep_stosb_source = Source::Policy,
         non_temporal_source = Source::Policy, non_temporal_fill_source = Source::Policy;
  ProfileState profile;
};

State& state() {
  static State s;
  return s;
}

const CpuDescription* g_cpu_for_testing = nullptr;  // guarded by State::mutex

const CpuDescription& host_cpu() {
  static const CpuDescription cpu = detect_cpu();
  return g_cpu_for_testing != nullptr ? *g_cpu_for_testing : cpu;
}

std::string missing_features(const VariantDef& v, const CpuDescription& cpu) {
  std::string out;
  for (Feature f : kAllFeatures)
    if ((v.required & f) && !cpu.has(f)) out += std::string(out.empty() ? "" : ", ") + feature_name(f);
  return out;
}

std::string known_variant_names() {
  std::size_t count;
  const VariantDef* defs = variant_registry(&count);
  std::string names = "auto";
  for (std::size_t i = 0; i < count; ++i) names += std::string(", ") + defs[i].name;
  return names;
}

// Digits with an optional K, M or G suffix (powers of 1024), or "never"/"off".
bool parse_bytes(const char* text, std::size_t* out) {
  if (std::strcmp(text, "never") == 0 || std::strcmp(text, "off") == 0) {
    *out = kNever;
    return true;
  }
  if (*text < '0' || *text > '9') return false;
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (errno != 0) return false;
  unsigned shift = 0;
  switch (*end) {
    case '\0': break;
    case 'k': case 'K': shift = 10; ++end; break;
    case 'm': case 'M': shift = 20; ++end; break;
    case 'g': case 'G': shift = 30; ++end; break;
    default: return false;
  }
  if (*end != '\0' || v > (SIZE_MAX >> shift)) return false;
  *out = static_cast<std::size_t>(v) << shift;
  return true;
}

void warn(const char* variable, const char* value, const std::string& problem,
          const char* fallback) {
  std::fprintf(stderr, "umaccess: warning: %s=%s: %s; %s\n", variable, value, problem.c_str(),
               fallback);
}

void pin_from_environment(const char* variable, Pin<std::size_t>* pin) {
  const char* text = secure_getenv(variable);  // ignored in AT_SECURE processes
  if (text == nullptr) return;
  std::size_t bytes;
  if (!parse_bytes(text, &bytes)) {
    warn(variable, text, "not a byte count (digits with an optional K, M or G suffix, or never)",
         "ignored: the profile's or the derived value applies");
    return;
  }
  pin->value = bytes;
  pin->why = std::string("set by ") + variable;
}

// "" if `name` is a variant this CPU runs (then *out is it), else why not.
std::string check_variant(std::string_view name, const CpuDescription& cpu, const VariantDef** out) {
  const VariantDef* v = find_variant(name);
  if (v == nullptr)
    return "unknown umaccess variant '" + std::string(name) + "' (known: " + known_variant_names() + ")";
  if (!cpu.has(v->required))
    return "umaccess variant '" + std::string(name) + "' cannot run on this CPU (missing: " +
           missing_features(*v, cpu) + ")";
  *out = v;
  return "";
}

template <typename T>
void store(T volatile* where, T value) {
  __atomic_store_n(where, value, __ATOMIC_RELAXED);
}

// The length-class boundaries as the kernels apply them (copy.inc, fill.inc): the vector
// loop keeps everything up to 8 x VEC, and neither rep strings nor streaming start below
// NT_MIN_BYTES (so a short ...NonTemporal copy, which runs the temporal kernel, never
// reaches rep movsb either).
struct Boundaries {
  std::size_t large_from, huge_from;
};
Boundaries boundaries(const VariantDef& v, std::size_t rep_from, std::size_t nt_from) {
  if (v.vector_bytes == 0) return {0, kNever};  // the erms variant: rep strings throughout
  const std::size_t floor = std::max(8 * std::size_t{v.vector_bytes} + 1, kNonTemporalMinBytes);
  const std::size_t huge = std::max(nt_from, floor);
  return {std::min(std::max(rep_from, floor), huge), huge};
}

// The vector kernels whose routing the published thresholds steer: the variant's own, or,
// for the erms variant, the SSE2 kernels it uses for short non-temporal copies.
const VariantDef& routed(const VariantDef& v) { return v.vector_bytes != 0 ? v : baseline_variant(); }

void publish(const VariantDef& v, const Thresholds& t, std::uint32_t distance_mask) {
  const Boundaries copy = boundaries(routed(v), t.rep_movsb, t.non_temporal);
  const Boundaries fill = boundaries(routed(v), t.rep_stosb, t.non_temporal_fill);
  SealedWrite<Published> published(g_published);  // callers hold State::mutex
  store(&published->rep_distance_mask, distance_mask);
  store(&published->copy_large_from, copy.large_from);
  store(&published->copy_huge_from, copy.huge_from);
  store(&published->fill_large_from, fill.large_from);
  store(&published->fill_huge_from, fill.huge_from);
  published->kernels.copy.store(v.copy, std::memory_order_relaxed);
  published->kernels.move.store(v.move, std::memory_order_relaxed);
  published->kernels.copy_nt.store(v.copy_nt, std::memory_order_relaxed);
  published->kernels.fill.store(v.fill, std::memory_order_relaxed);
  published->kernels.string_length[0].store(v.string_length, std::memory_order_relaxed);
  published->kernels.string_length[1].store(v.wide_string_length, std::memory_order_relaxed);
}

// The loaded profile, if any, and whether it still describes the CPU decided for (a test
// may hand in another one).
std::optional<Profile> g_profile;  // guarded by State::mutex

bool profile_applies() { return g_profile && profile_mismatch(*g_profile, host_cpu()).empty(); }

// Takes each choice from the highest layer that states it (API, environment, profile),
// derives the rest from the policy, and publishes the plan. Caller holds the mutex.
void recompute(State& s) {
  const CpuDescription& cpu = host_cpu();
  const bool use_profile = profile_applies();
  auto top = [&](const auto& layers, Source* source) {
    auto* pin = layers.top(source);
    if (pin == &layers.profile && !use_profile) pin = nullptr, *source = Source::Policy;
    return pin;
  };

  const Pin<std::string>* chosen = top(s.variant_pins, &s.variant_source);
  const VariantDef* v = nullptr;
  if (chosen != nullptr && !check_variant(*chosen->value, cpu, &v).empty()) {
    v = nullptr;  // named for another CPU (set_cpu_for_testing): the policy decides
    s.variant_source = Source::Policy;
  }
  if (v == nullptr) {
    std::string why;
    v = &auto_variant(cpu, &why);
    s.variant_reason = "auto: " + why;
  } else {
    s.variant_reason = chosen->why;
  }
  s.variant = v;

  ThresholdReasons derived_why;
  const Thresholds derived = derive_thresholds(cpu, *v, &derived_why);
  // A pin applies where its size class exists: without rep-string kernels (AArch64) a
  // pinned rep threshold is kept for a later variant, and the read-back says it is unused.
  auto choose = [&](const Layers<std::size_t>& layers, bool applies, std::size_t derived_value,
                    const std::string& derived_reason, std::size_t* value, std::string* why,
                    Source* source) {
    const Pin<std::size_t>* pin = top(layers, source);
    *value = pin && applies ? *pin->value : derived_value;
    *why = !pin ? derived_reason
           : applies ? pin->why
                     : derived_reason + " (" + pin->why + ": no such class, unused)";
    if (pin && !applies) *source = Source::Policy;
  };
  choose(s.rep_movsb, v->copy_large != nullptr, derived.rep_movsb, derived_why.rep_movsb,
         &s.thresholds.rep_movsb, &s.reasons.rep_movsb, &s.rep_movsb_source);
  choose(s.rep_stosb, v->fill_large != nullptr, derived.rep_stosb, derived_why.rep_stosb,
         &s.thresholds.rep_stosb, &s.reasons.rep_stosb, &s.rep_stosb_source);
  choose(s.non_temporal, true, derived.non_temporal, derived_why.non_temporal,
         &s.thresholds.non_temporal, &s.reasons.non_temporal, &s.non_temporal_source);
  // Unpinned, the fills' threshold follows the copies' one in force (policy.h), so a pin of
  // the copies alone (UMACCESS_NT_THRESHOLD=never, a profile's non_temporal) steers fills too.
  std::string fill_why;
  const std::size_t fill_from =
      derive_non_temporal_fill(cpu, s.thresholds.non_temporal, &fill_why);
  if (s.non_temporal_source != Source::Policy) fill_why += " (copies: " + s.reasons.non_temporal + ")";
  choose(s.non_temporal_fill, true, fill_from, fill_why, &s.thresholds.non_temporal_fill,
         &s.reasons.non_temporal_fill, &s.non_temporal_fill_source);

  publish(*v, s.thresholds, rep_distance_mask(cpu));
}

// The profile: $UMACCESS_PROFILE (empty: none at all), else the per-user file, else the
// system one; the first that is named or exists is the only one considered. In an
// AT_SECURE process only the system file is. Ignored whole, with one warning, unless it
// parses, is in bounds, and was measured on this CPU with this library.
void load_profile(State& s) {
  const bool secure = getauxval(AT_SECURE) != 0;
  std::string path;
  if (const char* named = secure_getenv("UMACCESS_PROFILE"); named != nullptr) {
    path = named;
    if (path.empty()) return;  // UMACCESS_PROFILE= turns profiles off
  } else {
    for (const std::string& candidate : {secure ? std::string() : user_profile_path(),
                                         std::string(kSystemProfilePath)})
      if (!candidate.empty() && access(candidate.c_str(), F_OK) == 0) {
        path = candidate;
        break;
      }
    if (path.empty()) return;
  }
  s.profile.path = path;
  auto ignore = [&](const std::string& why) {
    s.profile.status = "ignored: " + why;
    std::fprintf(stderr, "umaccess: warning: profile %s ignored: %s; using the built-in policy\n",
                 path.c_str(), why.c_str());
  };
  std::ifstream in(path, std::ios::binary);
  if (!in) return ignore(std::string("cannot read it (") + std::strerror(errno) + ")");
  std::string text;
  char buf[4096];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > 64 * 1024) return ignore("larger than 64 KiB: not a profile");
  }
  Profile p;
  std::string error;
  if (!parse_profile(text, &p, &error)) return ignore(error);
  const std::string mismatch = profile_mismatch(p, host_cpu());
  if (!mismatch.empty()) return ignore(mismatch);
  g_profile = p;
  s.profile.status = "loaded";
  auto why = [&](const std::string& evidence) {
    return "profile " + path + (evidence.empty() ? "" : ": " + evidence);
  };
  if (p.variant.value) s.variant_pins.profile = {p.variant.value, why(p.variant.evidence)};
  if (p.rep_movsb.value) s.rep_movsb.profile = {p.rep_movsb.value, why(p.rep_movsb.evidence)};
  if (p.rep_stosb.value) s.rep_stosb.profile = {p.rep_stosb.value, why(p.rep_stosb.evidence)};
  if (p.non_temporal.value)
    s.non_temporal.profile = {p.non_temporal.value, why(p.non_temporal.evidence)};
  if (p.non_temporal_fill.value)
    s.non_temporal_fill.profile = {p.non_temporal_fill.value, why(p.non_temporal_fill.evidence)};
}

void initialize_locked(State& s) {
  if (s.initialized) return;
  s.initialized = true;
  load_profile(s);
  pin_from_environment("UMACCESS_REP_MOVSB_THRESHOLD", &s.rep_movsb.environment);
  pin_from_environment("UMACCESS_REP_STOSB_THRESHOLD", &s.rep_stosb.environment);
  pin_from_environment("UMACCESS_NT_THRESHOLD", &s.non_temporal.environment);
  pin_from_environment("UMACCESS_NT_FILL_THRESHOLD", &s.non_temporal_fill.environment);
  if (const char* wanted = secure_getenv("UMACCESS_VARIANT");
      wanted != nullptr && std::strcmp(wanted, "auto") != 0) {
    const VariantDef* v;
    const std::string error = check_variant(wanted, host_cpu(), &v);
    if (error.empty())
      s.variant_pins.environment = {std::string(wanted), "selected by UMACCESS_VARIANT"};
    else
      warn("UMACCESS_VARIANT", wanted, error, "ignored: the profile's or the automatic choice applies");
  }
  recompute(s);
}

std::unique_lock<std::mutex> initialized_state(State*& out) {
  State& s = state();
  std::unique_lock<std::mutex> lock(s.mutex);
  initialize_locked(s);
  out = &s;
  return lock;
}

// Load time: kernel-mode copies made before the first user-mode access already use the
// chosen kernels, and a bad environment value is reported at start-up.
// Also: fork() in a multi-threaded program must not leave the child a mutex locked by a
// thread that does not exist there, so the state's mutex is held across every fork.
void lock_before_fork() { state().mutex.lock(); }
void unlock_after_fork() { state().mutex.unlock(); }  // in the parent and in the child

__attribute__((constructor)) void initialize_at_load() {
  pthread_atfork(lock_before_fork, unlock_after_fork, unlock_after_fork);
  initialize_dispatch();
}

}  // namespace

void initialize_dispatch() {
  State* s;
  auto lock = initialized_state(s);
}

const CpuDescription& detected_cpu() {
  State* s;
  auto lock = initialized_state(s);
  return host_cpu();
}

void set_cpu_for_testing(const CpuDescription* cpu) {
  State* s;
  auto lock = initialized_state(s);
  g_cpu_for_testing = cpu;
  s->variant_pins.api = {};
  recompute(*s);
}

namespace {
using ::umaccess::dispatch::Operation;
using ::umaccess::dispatch::SizeClass;

// The size classes of one operation: [0, large) small, [large, huge) large, [huge, inf) huge.
void add_classes(std::vector<SizeClass>* out, Operation op, Boundaries b, const void* small,
                 const void* large, const void* huge) {
  auto add = [&](std::size_t from, std::size_t to, const void* k) {
    if (from < to) out->push_back({op, from, to, kernel_name(k)});
  };
  add(0, b.large_from, small);
  add(b.large_from, b.huge_from, large);
  add(b.huge_from, kNever, huge);
}

template <typename F>
const void* addr(F f) {
  return reinterpret_cast<const void*>(f);
}

}  // namespace

std::vector<SizeClass> plan_for(const VariantDef& v, const Thresholds& t) {
  std::vector<SizeClass> plan;
  add_classes(&plan, Operation::Copy, boundaries(v, t.rep_movsb, t.non_temporal), addr(v.copy),
              addr(v.copy_large), addr(v.copy_nt));
  plan.push_back({Operation::Move, 0, kNever, kernel_name(addr(v.move))});
  plan.push_back({Operation::CopyNonTemporal, 0, kNonTemporalMinBytes, kernel_name(addr(v.copy_nt_small))});
  plan.push_back({Operation::CopyNonTemporal, kNonTemporalMinBytes, kNever, kernel_name(addr(v.copy_nt))});
  add_classes(&plan, Operation::Fill, boundaries(v, t.rep_stosb, t.non_temporal_fill), addr(v.fill),
              addr(v.fill_large), addr(v.fill_nt));
  plan.push_back({Operation::StringLength, 0, kNever, kernel_name(addr(v.string_length))});
  return plan;
}


}  // namespace umaccess::detail

namespace umaccess::dispatch {

using namespace umaccess::detail;

const char* source_name(Source src) {
  switch (src) {
    case Source::Policy: return "policy";
    case Source::Profile: return "profile";
    case Source::Environment: return "environment";
    case Source::Api: return "api";
  }
  return "?";
}

const char* operation_name(Operation op) {
  switch (op) {
    case Operation::Copy: return "copy";
    case Operation::Move: return "move (overlapping)";
    case Operation::CopyNonTemporal: return "copy, non-temporal";
    case Operation::Fill: return "fill";
    case Operation::StringLength: return "string length";
  }
  return "?";
}

std::vector<Variant> variants() {
  std::size_t count;
  const VariantDef* defs = variant_registry(&count);
  std::vector<Variant> out;
  for (std::size_t i = 0; i < count; ++i) {
    const bool ok = host_cpu().has(defs[i].required);
    out.push_back({defs[i].name, defs[i].description, ok, ok ? "" : missing_features(defs[i], host_cpu())});
  }
  return out;
}

std::string active() {
  State* s;
  auto lock = initialized_state(s);
  return s->variant->name;
}

std::string reason() {
  State* s;
  auto lock = initialized_state(s);
  return s->variant_reason;
}

void select(std::string_view name) {
  State* s;
  auto lock = initialized_state(s);
  if (name == "auto") {
    s->variant_pins.api = {};
  } else {
    const VariantDef* v;
    const std::string error = check_variant(name, host_cpu(), &v);
    if (!error.empty()) throw std::invalid_argument(error);
    s->variant_pins.api = {std::string(name), "selected by umaccess::dispatch::select"};
  }
  recompute(*s);
}

Thresholds thresholds() {
  State* s;
  auto lock = initialized_state(s);
  return s->thresholds;
}

void set_thresholds(const Thresholds& t) {
  State* s;
  auto lock = initialized_state(s);
  const std::string why = "set by umaccess::dispatch::set_thresholds";
  s->rep_movsb.api = {t.rep_movsb, why};
  s->rep_stosb.api = {t.rep_stosb, why};
  s->non_temporal.api = {t.non_temporal, why};
  s->non_temporal_fill.api = {};
  if (t.non_temporal_fill != kFromCopies) s->non_temporal_fill.api = {t.non_temporal_fill, why};
  recompute(*s);
}

void reset_thresholds() {
  State* s;
  auto lock = initialized_state(s);
  s->rep_movsb.api = {};
  s->rep_stosb.api = {};
  s->non_temporal.api = {};
  s->non_temporal_fill.api = {};
  recompute(*s);
}

std::string kernel_for(Operation operation, std::size_t length) {
  State* s;
  auto lock = initialized_state(s);
  for (const SizeClass& c : plan_for(*s->variant, s->thresholds))
    if (c.operation == operation && length >= c.from && length < c.to) return c.kernel;
  return "?";
}

Report describe() {
  State* s;
  auto lock = initialized_state(s);
  const CpuDescription& cpu = host_cpu();
  Report r;
  r.cpu.vendor = cpu.vendor;
  r.cpu.brand = cpu.brand;
  r.cpu.microarchitecture = cpu.microarchitecture;
  r.cpu.core = cpu.core;
  for (std::uint32_t bit = 1; bit != 0; bit <<= 1)
    if (cpu.facts & bit) r.cpu.facts.emplace_back(core_fact_name(static_cast<CoreFact>(bit)));
  r.cpu.family = cpu.family;
  r.cpu.model = cpu.model;
  r.cpu.stepping = cpu.stepping;
  for (Feature f : kAllFeatures) r.cpu.features.emplace_back(feature_name(f), cpu.has(f));
  r.cpu.l1d_bytes = cpu.cache.l1d;
  r.cpu.l2_bytes = cpu.cache.l2;
  r.cpu.l3_bytes = cpu.cache.l3;
  r.cpu.l3_inclusive = cpu.cache.l3_inclusive;
  r.cpu.l3_sharing_threads = cpu.cache.l3_sharing_threads;
  r.cpu.cache_source = cpu.cache.source;
  r.cpu.cache_note = cpu.cache.note;
  lock.unlock();
  r.variants = variants();
  lock.lock();
  r.active = s->variant->name;
  r.reason = s->variant_reason;
  r.active_source = s->variant_source;
  r.rep_movsb_source = s->rep_movsb_source;
  r.rep_stosb_source = s->rep_stosb_source;
  r.non_temporal_source = s->non_temporal_source;
  r.non_temporal_fill_source = s->non_temporal_fill_source;
  r.profile = {s->profile.path, s->profile.status};
  r.thresholds = s->thresholds;
  r.rep_movsb_reason = s->reasons.rep_movsb;
  r.rep_stosb_reason = s->reasons.rep_stosb;
  r.non_temporal_reason = s->reasons.non_temporal;
  r.non_temporal_fill_reason = s->reasons.non_temporal_fill;
  r.plan = plan_for(*s->variant, s->thresholds);
  return r;
}

}  // namespace umaccess::dispatch
