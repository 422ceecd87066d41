// dispatch/dispatcher.cpp - the active choice: variant, thresholds and the size plan built
// from them; the environment switches; the umaccess::dispatch API.
#include <pthread.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <mutex>
#include <optional>
#include <stdexcept>

#include "plan.h"
#include "umaccess/umaccess.hpp"

// Read by the vector kernels; SIZE_MAX until the dispatcher chooses.
extern "C" {
std::size_t uma_copy_large_from = SIZE_MAX, uma_copy_huge_from = SIZE_MAX;
std::size_t uma_fill_large_from = SIZE_MAX, uma_fill_huge_from = SIZE_MAX;
}

namespace umaccess::detail {

ActiveKernels g_active;

namespace {

struct Pin {
  std::optional<std::size_t> value;
  std::string why;
};

struct State {
  std::mutex mutex;
  bool initialized = false;
  const VariantDef* variant = nullptr;
  std::string variant_reason;
  Pin rep_movsb, rep_stosb, non_temporal;
  Thresholds thresholds{kNever, kNever, kNever};
  ThresholdReasons reasons;
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

void pin_from_environment(const char* variable, Pin* pin) {
  const char* text = std::getenv(variable);
  if (text == nullptr) return;
  std::size_t bytes;
  if (!parse_bytes(text, &bytes)) {
    warn(variable, text, "not a byte count (digits with an optional K, M or G suffix, or never)",
         "using the derived value");
    return;
  }
  pin->value = bytes;
  pin->why = std::string("set by ") + variable;
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

void publish(const VariantDef& v, const Thresholds& t) {
  const Boundaries copy = boundaries(routed(v), t.rep_movsb, t.non_temporal);
  const Boundaries fill = boundaries(routed(v), t.rep_stosb, t.non_temporal);
  store(&uma_copy_large_from, copy.large_from);
  store(&uma_copy_huge_from, copy.huge_from);
  store(&uma_fill_large_from, fill.large_from);
  store(&uma_fill_huge_from, fill.huge_from);
  g_active.copy.store(v.copy, std::memory_order_relaxed);
  g_active.move.store(v.move, std::memory_order_relaxed);
  g_active.copy_nt.store(v.copy_nt, std::memory_order_relaxed);
  g_active.fill.store(v.fill, std::memory_order_relaxed);
}

// Derives what is not pinned and publishes the plan. Caller holds the mutex.
void recompute(State& s) {
  const CpuDescription& cpu = host_cpu();
  ThresholdReasons derived_why;
  const Thresholds derived = derive_thresholds(cpu, *s.variant, &derived_why);
  // A pin applies where its size class exists: without rep-string kernels (AArch64) a
  // pinned rep threshold is kept for a later variant, and the read-back says it is unused.
  auto choose = [](const Pin& pin, bool applies, std::size_t derived_value,
                   const std::string& derived_reason, std::size_t* value, std::string* why) {
    *value = pin.value && applies ? *pin.value : derived_value;
    *why = !pin.value ? derived_reason
           : applies  ? pin.why
                      : derived_reason + " (" + pin.why + ": no such class, unused)";
  };
  choose(s.rep_movsb, s.variant->copy_large != nullptr, derived.rep_movsb,
         derived_why.rep_movsb, &s.thresholds.rep_movsb, &s.reasons.rep_movsb);
  choose(s.rep_stosb, s.variant->fill_large != nullptr, derived.rep_stosb,
         derived_why.rep_stosb, &s.thresholds.rep_stosb, &s.reasons.rep_stosb);
  choose(s.non_temporal, true, derived.non_temporal, derived_why.non_temporal,
         &s.thresholds.non_temporal, &s.reasons.non_temporal);

  publish(*s.variant, s.thresholds);
}

// Caller holds the mutex.
bool select_locked(State& s, std::string_view name, const std::string& source,
                   std::string* error) {
  const CpuDescription& cpu = host_cpu();
  if (name == "auto") {
    std::string why;
    s.variant = &auto_variant(cpu, &why);
    s.variant_reason = "auto: " + why;
    recompute(s);
    return true;
  }
  const VariantDef* v = find_variant(name);
  if (v == nullptr) {
    *error = "unknown umaccess variant '" + std::string(name) + "' (known: " +
             known_variant_names() + ")";
    return false;
  }
  if (!cpu.has(v->required)) {
    *error = "umaccess variant '" + std::string(name) + "' cannot run on this CPU (missing: " +
             missing_features(*v, cpu) + ")";
    return false;
  }
  s.variant = v;
  s.variant_reason = "selected by " + source;
  recompute(s);
  return true;
}

void initialize_locked(State& s) {
  if (s.initialized) return;
  s.initialized = true;
  pin_from_environment("UMACCESS_REP_MOVSB_THRESHOLD", &s.rep_movsb);
  pin_from_environment("UMACCESS_REP_STOSB_THRESHOLD", &s.rep_stosb);
  pin_from_environment("UMACCESS_NT_THRESHOLD", &s.non_temporal);
  const char* wanted = std::getenv("UMACCESS_VARIANT");
  std::string error;
  if (wanted != nullptr && std::strcmp(wanted, "auto") != 0 &&
      select_locked(s, wanted, "UMACCESS_VARIANT", &error))
    return;
  if (wanted != nullptr && std::strcmp(wanted, "auto") != 0)
    warn("UMACCESS_VARIANT", wanted, error, "using auto");
  select_locked(s, "auto", "auto", &error);
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
  std::string error;
  select_locked(*s, "auto", "auto", &error);
}

}  // namespace umaccess::detail

namespace umaccess::dispatch {

using namespace umaccess::detail;

const char* operation_name(Operation op) {
  switch (op) {
    case Operation::Copy: return "copy";
    case Operation::Move: return "move (overlapping)";
    case Operation::CopyNonTemporal: return "copy, non-temporal";
    case Operation::Fill: return "fill";
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
  std::string error;
  if (!select_locked(*s, name, "umaccess::dispatch::select", &error))
    throw std::invalid_argument(error);
}

Thresholds thresholds() {
  State* s;
  auto lock = initialized_state(s);
  return {s->thresholds.rep_movsb, s->thresholds.rep_stosb, s->thresholds.non_temporal};
}

void set_thresholds(const Thresholds& t) {
  State* s;
  auto lock = initialized_state(s);
  const std::string why = "set by umaccess::dispatch::set_thresholds";
  s->rep_movsb = {t.rep_movsb, why};
  s->rep_stosb = {t.rep_stosb, why};
  s->non_temporal = {t.non_temporal, why};
  recompute(*s);
}

void reset_thresholds() {
  State* s;
  auto lock = initialized_state(s);
  s->rep_movsb = {};
  s->rep_stosb = {};
  s->non_temporal = {};
  recompute(*s);
}

namespace {

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

std::vector<SizeClass> current_plan(const VariantDef& v, const Thresholds& t) {
  std::vector<SizeClass> plan;
  add_classes(&plan, Operation::Copy, boundaries(v, t.rep_movsb, t.non_temporal), addr(v.copy),
              addr(v.copy_large), addr(v.copy_nt));
  plan.push_back({Operation::Move, 0, kNever, kernel_name(addr(v.move))});
  plan.push_back({Operation::CopyNonTemporal, 0, kNonTemporalMinBytes, kernel_name(addr(v.copy_nt_small))});
  plan.push_back({Operation::CopyNonTemporal, kNonTemporalMinBytes, kNever, kernel_name(addr(v.copy_nt))});
  add_classes(&plan, Operation::Fill, boundaries(v, t.rep_stosb, t.non_temporal), addr(v.fill),
              addr(v.fill_large), addr(v.fill_nt));
  return plan;
}

}  // namespace

std::string kernel_for(Operation operation, std::size_t length) {
  State* s;
  auto lock = initialized_state(s);
  for (const SizeClass& c : current_plan(*s->variant, s->thresholds))
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
  r.cpu.family = cpu.family;
  r.cpu.model = cpu.model;
  r.cpu.stepping = cpu.stepping;
  for (Feature f : kAllFeatures) r.cpu.features.emplace_back(feature_name(f), cpu.has(f));
  r.cpu.l1d_bytes = cpu.cache.l1d;
  r.cpu.l2_bytes = cpu.cache.l2;
  r.cpu.l3_bytes = cpu.cache.l3;
  r.cpu.l3_inclusive = cpu.cache.l3_inclusive;
  r.cpu.l3_sharing_threads = cpu.cache.l3_sharing_threads;
  lock.unlock();
  r.variants = variants();
  lock.lock();
  r.active = s->variant->name;
  r.reason = s->variant_reason;
  r.thresholds = {s->thresholds.rep_movsb, s->thresholds.rep_stosb, s->thresholds.non_temporal};
  r.rep_movsb_reason = s->reasons.rep_movsb;
  r.rep_stosb_reason = s->reasons.rep_stosb;
  r.non_temporal_reason = s->reasons.non_temporal;
  r.plan = current_plan(*s->variant, s->thresholds);
  return r;
}

}  // namespace umaccess::dispatch
