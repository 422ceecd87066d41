// SPDX-License-Identifier: Apache-2.0
// tests/dispatch_test.cpp - the dispatcher: checked selection, thresholds, the environment
// switches, and proof that the kernel the plan names is the kernel that really runs. (The
// automatic choice on fabricated CPUs is per architecture: policy_<arch>_test.cpp.)
#include <cstdlib>
#include <fstream>

#include "cpu.h"
#include "plan.h"
#include "operations.h"
#include "policy.h"
#include "profile.h"
#include "support.h"

namespace umatest {
namespace {

using namespace umaccess::detail;
using umaccess::dispatch::Operation;

constexpr std::size_t MiB = std::size_t{1} << 20;

TEST(Dispatch, RegistryListsEveryVariantWithItsRequirements) {
  const auto all = umaccess::dispatch::variants();
  std::vector<std::string> names;
  for (const auto& v : all) {
    names.push_back(v.name);
    EXPECT_FALSE(v.description.empty()) << v.name;
    EXPECT_EQ(v.supported, v.missing.empty()) << v.name;
  }
  EXPECT_EQ(names, kRegistryNames);
  for (const auto& name : supported_variants()) {
    umaccess::dispatch::select(name);
    EXPECT_EQ(umaccess::dispatch::active(), name);
    EXPECT_NE(umaccess::dispatch::reason().find("select"), std::string::npos);
  }
  umaccess::dispatch::select("auto");
  EXPECT_EQ(umaccess::dispatch::reason().rfind("auto: ", 0), 0u);
}

TEST(Dispatch, UnknownNamesAreRejectedWithTheKnownList) {
  const std::string before = umaccess::dispatch::active();
  try {
    umaccess::dispatch::select("avx9000");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(std::string("unknown umaccess variant 'avx9000' (known: ") +
                                         kKnownVariants + ")"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(umaccess::dispatch::active(), before);
}

TEST(Dispatch, UnsupportedVariantsAreRejectedNotRun) {
  for (const auto& v : umaccess::dispatch::variants()) {
    if (v.supported) continue;
    try {
      umaccess::dispatch::select(v.name);
      ADD_FAILURE() << v.name;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("cannot run on this CPU (missing: "), std::string::npos);
    }
  }
}

TEST(Dispatch, ThresholdsArePinnedAndReset) {
  const auto derived = umaccess::dispatch::thresholds();
  umaccess::dispatch::set_thresholds({1000, 2000, 3000, 4000});
  auto t = umaccess::dispatch::thresholds();
#if defined(__x86_64__)
  EXPECT_EQ(t.rep_movsb, 1000u);
#elif defined(__aarch64__)
  // No rep strings: the pin is kept but has no class to apply to, and the read-back says so.
  EXPECT_EQ(t.rep_movsb, umaccess::dispatch::kNever);
  EXPECT_NE(umaccess::dispatch::describe().rep_movsb_reason.find("no such class, unused"),
            std::string::npos)
      << umaccess::dispatch::describe().rep_movsb_reason;
#endif
  EXPECT_EQ(t.non_temporal, 3000u);
  EXPECT_EQ(t.non_temporal_fill, 4000u);
  umaccess::dispatch::select(kBaselineVariant);  // pinned values survive a variant change
  EXPECT_EQ(umaccess::dispatch::thresholds().non_temporal, 3000u);
  EXPECT_EQ(umaccess::dispatch::thresholds().non_temporal_fill, 4000u);
#if defined(__x86_64__)
  EXPECT_EQ(umaccess::dispatch::thresholds().rep_stosb, 2000u);
#endif
  umaccess::dispatch::select("auto");
  umaccess::dispatch::reset_thresholds();
  t = umaccess::dispatch::thresholds();
  EXPECT_EQ(t.rep_movsb, derived.rep_movsb);
  EXPECT_EQ(t.non_temporal, derived.non_temporal);
  EXPECT_EQ(t.non_temporal_fill, derived.non_temporal_fill);
}

// Three values, as before fills had their own threshold: fills follow the pinned copies'
// threshold (never below it; on AMD from the L3 size), with no pin of their own.
TEST(Dispatch, ThreeThresholdsLeaveFillsFollowingCopies) {
  umaccess::dispatch::set_thresholds({1000, 2000, 3000});
  const auto t = umaccess::dispatch::thresholds();
  const auto r = umaccess::dispatch::describe();
  EXPECT_EQ(t.non_temporal, 3000u);
  EXPECT_GE(t.non_temporal_fill, 3000u);
  EXPECT_NE(t.non_temporal_fill, umaccess::dispatch::kFromCopies);
  EXPECT_EQ(r.non_temporal_fill_source, umaccess::dispatch::Source::Policy);
  EXPECT_NE(r.non_temporal_fill_reason.find("set_thresholds"), std::string::npos)
      << r.non_temporal_fill_reason;
  umaccess::dispatch::reset_thresholds();
}

// ---- The environment, read at load time: checked in fresh child processes ----------------

class Environment : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
  void TearDown() override {
    for (const char* v : {"UMACCESS_VARIANT", "UMACCESS_NT_THRESHOLD", "UMACCESS_NT_FILL_THRESHOLD",
                          "UMACCESS_REP_MOVSB_THRESHOLD", "UMACCESS_REP_STOSB_THRESHOLD"})
      unsetenv(v);
    setenv("UMACCESS_PROFILE", "", 1);  // as ctest runs the suite: no profile
  }
};

TEST_F(Environment, VariantIsHonoured) {
  setenv("UMACCESS_VARIANT", kBaselineVariant, 1);
  EXPECT_EXIT(_exit(umaccess::dispatch::active() == kBaselineVariant &&
                            umaccess::dispatch::reason() == "selected by UMACCESS_VARIANT"
                        ? 0
                        : 1),
              ::testing::ExitedWithCode(0), "");
}

TEST_F(Environment, ThresholdsWithSuffixesAreHonoured) {
  setenv("UMACCESS_NT_THRESHOLD", "3M", 1);
  setenv("UMACCESS_REP_MOVSB_THRESHOLD", "4k", 1);
  setenv("UMACCESS_REP_STOSB_THRESHOLD", "never", 1);
  EXPECT_EXIT(
      {
        const auto t = umaccess::dispatch::thresholds();
#if defined(__x86_64__)
        constexpr std::size_t rep_movsb = 4096;
#else  // parsed, kept, unused: no rep-string class
        constexpr std::size_t rep_movsb = umaccess::dispatch::kNever;
#endif
        _exit(t.non_temporal == 3 * MiB && t.rep_movsb == rep_movsb &&
                      t.rep_stosb == umaccess::dispatch::kNever
                  ? 0
                  : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

// Copies and fills stream from separate thresholds: each variable pins its own, and the
// plan follows (a fill between the two lengths stays temporal while a copy streams).
TEST_F(Environment, CopyAndFillStreamingThresholdsArePinnedApart) {
  setenv("UMACCESS_NT_THRESHOLD", "1M", 1);
  setenv("UMACCESS_NT_FILL_THRESHOLD", "8M", 1);
  EXPECT_EXIT(
      {
        using namespace umaccess::dispatch;
        const auto t = thresholds();
        const Report r = describe();
        const bool ok = t.non_temporal == 1 * MiB && t.non_temporal_fill == 8 * MiB &&
                        r.non_temporal_fill_source == Source::Environment &&
                        r.non_temporal_fill_reason == "set by UMACCESS_NT_FILL_THRESHOLD" &&
                        kernel_for(Operation::Copy, 2 * MiB).find("_nt_") != std::string::npos &&
                        kernel_for(Operation::Fill, 2 * MiB).find("_nt_") == std::string::npos &&
                        kernel_for(Operation::Fill, 8 * MiB).find("_nt_") != std::string::npos;
        _exit(ok ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

// Pinned alone, the copies' threshold steers fills too (they never stream before copies
// do), as UMACCESS_NT_THRESHOLD did before fills had their own threshold.
TEST_F(Environment, CopyThresholdAloneStillSteersFills) {
  setenv("UMACCESS_NT_THRESHOLD", "never", 1);
  EXPECT_EXIT(
      {
        using namespace umaccess::dispatch;
        const Report r = describe();
        const bool ok = thresholds().non_temporal_fill == umaccess::dispatch::kNever &&
                        r.non_temporal_fill_source == Source::Policy &&
                        r.non_temporal_fill_reason.find("UMACCESS_NT_THRESHOLD") != std::string::npos &&
                        kernel_for(Operation::Fill, std::size_t{1} << 30).find("_nt_") == std::string::npos;
        _exit(ok ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST_F(Environment, BadValuesWarnOnceAndFallBackToAuto) {
  setenv("UMACCESS_VARIANT", "avx9000", 1);
  EXPECT_EXIT(_exit(umaccess::dispatch::reason().rfind("auto: ", 0) == 0 ? 0 : 1),
              ::testing::ExitedWithCode(0),
              std::string("umaccess: warning: UMACCESS_VARIANT=avx9000: unknown umaccess variant "
                          "'avx9000' \\(known: ") +
                  kKnownVariants + "\\); ignored: the profile's or the automatic choice applies\n$");
  unsetenv("UMACCESS_VARIANT");
  setenv("UMACCESS_NT_THRESHOLD", "12Q", 1);
  EXPECT_EXIT(_exit(0), ::testing::ExitedWithCode(0),
              "UMACCESS_NT_THRESHOLD=12Q: not a byte count");
}

TEST_F(Environment, UnsupportedVariantWarnsAndFallsBack) {
  for (const auto& v : umaccess::dispatch::variants()) {
    if (v.supported) continue;
    setenv("UMACCESS_VARIANT", v.name.c_str(), 1);
    EXPECT_EXIT(_exit(0), ::testing::ExitedWithCode(0), "cannot run on this CPU");
  }
}

// ---- Profiles: a machine's measured plan, loaded at start-up ------------------------------

// A profile file for this CPU (or, edited, another one), removed at the end of the test.
class ProfileFile {
 public:
  explicit ProfileFile(const std::string& body, const std::string& dir = "") {
    // Named by the test, not the process: a death test's child re-runs the test body and
    // must arrive at the same path as its parent.
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = dir.empty() ? ::testing::TempDir() + "umaccess-profile-" + test->name() + "-" +
                              std::to_string(counter_++)
                        : dir + "/profile";
    std::ofstream(path_) << body;
  }
  ~ProfileFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  static inline int counter_ = 0;
};

// This CPU's key with `choices` appended (each "KEY VALUE  # evidence" line).
std::string profile_for_this_cpu(const std::string& choices, const std::string& replace_key = "",
                                 const std::string& with = "") {
  Profile p;
  p.key = profile_key(detected_cpu());
  std::string text = format_profile(p, "written by dispatch_test");
  if (!replace_key.empty()) {
    const auto at = text.find("\n" + replace_key + " ");
    const auto end = text.find('\n', at + 1);
    text.replace(at + 1, end - at - 1, replace_key + " " + with);
  }
  return text + choices;
}

using umaccess::dispatch::Source;

TEST_F(Environment, ProfileForThisCpuIsLoadedAndNamedAsTheSource) {
  ProfileFile file(profile_for_this_cpu(std::string("variant ") + kBaselineVariant +
                                        "  # measured 0.9 x auto\nnon_temporal 5000000\n"
                                        "non_temporal_fill 40000000  # fill measured\n"));
  setenv("UMACCESS_PROFILE", file.path().c_str(), 1);
  EXPECT_EXIT(
      {
        const auto r = umaccess::dispatch::describe();
        const bool ok = r.profile.status == "loaded" && r.profile.path == file.path() &&
                        r.active == kBaselineVariant && r.active_source == Source::Profile &&
                        r.reason == "profile " + file.path() + ": measured 0.9 x auto" &&
                        r.thresholds.non_temporal == 5000000 &&
                        r.non_temporal_source == Source::Profile &&
                        r.thresholds.non_temporal_fill == 40000000 &&
                        r.non_temporal_fill_source == Source::Profile &&
                        r.non_temporal_fill_reason == "profile " + file.path() + ": fill measured" &&
                        r.rep_stosb_source == Source::Policy;
        const std::string json = umaccess::dispatch::format(r, umaccess::dispatch::ReportFormat::Json);
        _exit(ok && json.find("\"status\": \"loaded\"") != std::string::npos &&
                      json.find("\"active_source\": \"profile\"") != std::string::npos
                  ? 0
                  : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST_F(Environment, EnvironmentBeatsProfileAndApiBeatsBoth) {
  ProfileFile file(profile_for_this_cpu(std::string("variant ") + kBaselineVariant +
                                        "\nnon_temporal 5000000\n"));
  setenv("UMACCESS_PROFILE", file.path().c_str(), 1);
  setenv("UMACCESS_NT_THRESHOLD", "6000000", 1);
  EXPECT_EXIT(
      {
        using namespace umaccess::dispatch;
        bool ok = thresholds().non_temporal == 6000000 &&
                  describe().non_temporal_source == Source::Environment &&
                  active() == kBaselineVariant;
        set_thresholds({umaccess::dispatch::kNever, umaccess::dispatch::kNever, 7000000,
                        umaccess::dispatch::kNever});
        ok = ok && thresholds().non_temporal == 7000000 && describe().non_temporal_source == Source::Api;
        reset_thresholds();  // back to the environment's pin, not the policy's value
        ok = ok && thresholds().non_temporal == 6000000;
        // Any variant this CPU runs other than the profile's (the widest may be missing: a
        // hypervisor can hide AVX-512 from a CPU that has it).
        const auto runnable = supported_variants();
        select(runnable.front() == kBaselineVariant ? runnable.back() : runnable.front());
        ok = ok && describe().active_source == Source::Api;
        select("auto");  // drops the API's choice: the profile's applies again
        ok = ok && active() == kBaselineVariant && describe().active_source == Source::Profile;
        _exit(ok ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST_F(Environment, ProfileOfAnotherCpuOrVersionIsIgnoredWithOneWarning) {
  const std::pair<std::string, std::string> edits[] = {
      {"cpu.model", "4095"}, {"cpu.family", "1"}, {"library", "0.0.1"},
      {"cpu.l3", "12345"}, {"cpu.features", "sse2"}};
  for (const auto& [key, value] : edits) {
    ProfileFile file(profile_for_this_cpu(std::string("variant ") + kBaselineVariant + "\n", key, value));
    setenv("UMACCESS_PROFILE", file.path().c_str(), 1);
    EXPECT_EXIT(
        {
          const auto r = umaccess::dispatch::describe();
          _exit(r.profile.status.rfind("ignored: measured for ", 0) == 0 &&
                        r.active_source == Source::Policy
                    ? 0
                    : 1);
        },
        ::testing::ExitedWithCode(0),
        "^umaccess: warning: profile .* ignored: measured for .*; using the built-in policy\n$")
        << key;
  }
}

TEST_F(Environment, MalformedOrUnusableProfilesAreIgnoredWholeNeverHalfApplied) {
  const std::pair<std::string, std::string> bad[] = {
      {"non_temporal 5000000\nrep_movsb 12Q\n", "line [0-9]+: rep_movsb 12Q: not a byte count"},
      {"non_temporal 5000000\nnon_temporal 6000000\n", "'non_temporal' given twice"},
      {"non_temporal 100\n", "below the streaming kernels' minimum"},
      {"non_temporal_fill 100\n", "non_temporal_fill 100: below the streaming kernels' minimum"},
      {"non_temporal_fill 5000000\nnon_temporal_fill 6000000\n", "'non_temporal_fill' given twice"},
      {"non_temporal 5000000\nrep_movsb 2199023255553\n", "not a byte count up to 1 TiB"},
      {"non_temporal 5000000\nvariant avx9000\n", "unknown variant 'avx9000'"},
      {"non_temporal 5000000\ncolour blue\n", "unknown key 'colour'"},
  };
  for (const auto& [choices, why] : bad) {
    ProfileFile file(profile_for_this_cpu(choices));
    setenv("UMACCESS_PROFILE", file.path().c_str(), 1);
    EXPECT_EXIT(
        {
          const auto r = umaccess::dispatch::describe();
          _exit(r.profile.status.rfind("ignored: ", 0) == 0 && r.non_temporal_source == Source::Policy
                    ? 0
                    : 1);
        },
        ::testing::ExitedWithCode(0), "profile .* ignored: .*" + why)
        << choices;
  }
  ProfileFile not_a_profile("variant sse2\n");
  setenv("UMACCESS_PROFILE", not_a_profile.path().c_str(), 1);
  EXPECT_EXIT(_exit(0), ::testing::ExitedWithCode(0), "not a umaccess profile");
  setenv("UMACCESS_PROFILE", "/nonexistent/umaccess/profile", 1);
  EXPECT_EXIT(_exit(umaccess::dispatch::describe().profile.status.rfind("ignored: cannot read it", 0) == 0 ? 0 : 1),
              ::testing::ExitedWithCode(0), "profile /nonexistent/umaccess/profile ignored: cannot read it");
}

TEST_F(Environment, PerUserProfileIsFoundAndAnEmptyVariableTurnsProfilesOff) {
  const std::string config = ::testing::TempDir() + "umaccess-xdg-config";
  ASSERT_EQ(system(("mkdir -p '" + config + "/umaccess'").c_str()), 0);
  {
    ProfileFile file(profile_for_this_cpu("non_temporal 5000000\n"), config + "/umaccess");
    setenv("XDG_CONFIG_HOME", config.c_str(), 1);
    unsetenv("UMACCESS_PROFILE");
    EXPECT_EXIT(_exit(umaccess::dispatch::describe().profile.status == "loaded" &&
                              umaccess::dispatch::describe().profile.path == file.path() &&
                              umaccess::dispatch::thresholds().non_temporal == 5000000
                          ? 0
                          : 1),
                ::testing::ExitedWithCode(0), "");
    setenv("UMACCESS_PROFILE", "", 1);
    EXPECT_EXIT(_exit(umaccess::dispatch::describe().profile.status == "none" ? 0 : 1),
                ::testing::ExitedWithCode(0), "");
  }
  unsetenv("XDG_CONFIG_HOME");
  ASSERT_EQ(system(("rm -rf '" + config + "'").c_str()), 0);
}

TEST(Profile, FormatAndParseRoundTrip) {
  Profile p;
  p.key = profile_key(detected_cpu());
  p.variant = {std::string(kBaselineVariant), "0.91 x auto"};
  p.rep_movsb = {kNever, ""};
  p.non_temporal = {std::size_t{12} << 20, "crossover measured at 12 MiB"};
  p.non_temporal_fill = {std::size_t{32} << 20, "fill crossover at 32 MiB"};
  const std::string text = format_profile(p, "line one\nline two");
  EXPECT_EQ(text.rfind("# line one\n# line two\numaccess-profile 1\n", 0), 0u) << text;
  Profile back;
  std::string error;
  ASSERT_TRUE(parse_profile(text, &back, &error)) << error << "\n" << text;
  EXPECT_TRUE(back.key == p.key);
  EXPECT_EQ(back.variant.value, p.variant.value);
  EXPECT_EQ(back.variant.evidence, "0.91 x auto");
  EXPECT_EQ(back.rep_movsb.value, kNever);
  EXPECT_FALSE(back.rep_stosb.value.has_value());
  EXPECT_EQ(back.non_temporal.value, std::size_t{12} << 20);
  EXPECT_EQ(back.non_temporal_fill.value, std::size_t{32} << 20);
  EXPECT_EQ(back.non_temporal_fill.evidence, "fill crossover at 32 MiB");
  EXPECT_EQ(profile_mismatch(back, detected_cpu()), "");
  EXPECT_FALSE(parse_profile("umaccess-profile 2\n", &back, &error));
  EXPECT_NE(error.find("format 2"), std::string::npos) << error;
  EXPECT_FALSE(parse_profile("umaccess-profile 1\nlibrary 0.1.0\n", &back, &error));
  EXPECT_NE(error.find("'cpu.vendor' is missing"), std::string::npos) << error;
}

// ---- The plan names the kernel that really runs ------------------------------------------
//
// With small pinned thresholds every size class is reachable with modest buffers. For
// each class, a fault at the head, in the middle and near the end must report exact
// progress, and the faulting kernel recorded by its fixup must be the one kernel_for()
// names.
// A destination in `region` at (src + 2048) modulo 4096: where rep movsb runs on every CPU.
// On AMD Zen 1-4 a copy whose dst - src is within 63 bytes of 0 modulo 4096 stays in the
// vector loop (page aliasing, docs/dispatch.md), which kernel_for() does not model.
char* away_from_page_aliasing(const GuardedRegion& region, const void* src) {
  const auto s = reinterpret_cast<std::uintptr_t>(src);
  const auto b = reinterpret_cast<std::uintptr_t>(region.begin());
  return region.begin() + ((s + 2048 - b) & 4095);
}

class PlanClasses : public VariantFixture<std::string> {
 protected:
  void SetUp() override {
    select(GetParam());
    umaccess::dispatch::set_thresholds({3000, 3000, 40000, 90000});
  }
  void TearDown() override {
    umaccess::dispatch::reset_thresholds();
    VariantFixture::TearDown();
  }
};

TEST_P(PlanClasses, EachSizeClassRunsThePlannedKernelWithExactFaults) {
  GuardedRegion src(256 * 1024);
  GuardedRegion dst(256 * 1024);
  fill_pattern(src.begin(), src.size(), 7);
  struct Case {
    Operation op;
    std::size_t len;
  };
  const Case cases[] = {{Operation::Copy, 200},     {Operation::Copy, 2999},
                        {Operation::Copy, 3000},    {Operation::Copy, 20000},
                        {Operation::Copy, 40000},   {Operation::Copy, 150000},
                        {Operation::CopyNonTemporal, 100}, {Operation::CopyNonTemporal, 70000},
                        {Operation::Fill, 1000},    {Operation::Fill, 5000},
                        {Operation::Fill, 100000}};
  for (const Case& c : cases) {
    const std::string expected_kernel = umaccess::dispatch::kernel_for(c.op, c.len);
    for (std::size_t avail : {std::size_t{0}, std::size_t{1}, c.len / 2, c.len - 65, c.len - 1}) {
      SCOPED_TRACE(std::string(umaccess::dispatch::operation_name(c.op)) + " of " +
                   std::to_string(c.len) + ", accessible " + std::to_string(avail));
      umaccess::StructuredException e(0, 0, false);
      if (c.op == Operation::Fill) {
        e = expect_raise([&] { FillUserMemory(dst.ending_at_guard(avail), c.len, 0x6B); });
        ASSERT_EQ(first_not(dst.ending_at_guard(avail), 0x6B, avail), avail);
      } else {
        const char* s = src.ending_at_guard(avail);
        char* d = away_from_page_aliasing(dst, s);
        e = expect_raise([&] {
          if (c.op == Operation::Copy) CopyFromUser(d, s, c.len);
          else CopyFromUserNonTemporal(d, s, c.len);
        });
        ASSERT_EQ(first_mismatch(d, s, avail), avail);
      }
      ASSERT_EQ(e.bytes_copied(), avail);
      ASSERT_NE(e.kernel(), nullptr);
      ASSERT_EQ(std::string(e.kernel()), expected_kernel);
    }
  }
  // Overlapping moves run the move kernel.
  const auto e = expect_raise([&] { MoveToUserFromUser(src.guard() - 100, src.guard() - 150, 200); });
  ASSERT_EQ(std::string(e.kernel()), umaccess::dispatch::kernel_for(Operation::Move, 200));
}

TEST_P(PlanClasses, PlanUsesThisVariantsKernels) {
  const std::string v = GetParam();
#if defined(__x86_64__)
  if (v == "erms") {  // rep strings at every length; SSE2 where they cannot serve
    for (std::size_t n : {1, 3000, 40000}) {
      EXPECT_EQ(umaccess::dispatch::kernel_for(Operation::Copy, n), "uma_copy_erms");
      EXPECT_EQ(umaccess::dispatch::kernel_for(Operation::Fill, n), "uma_fill_erms");
    }
    EXPECT_EQ(umaccess::dispatch::kernel_for(Operation::Move, 5), "uma_move_sse2");
    EXPECT_EQ(umaccess::dispatch::kernel_for(Operation::CopyNonTemporal, 1000), "uma_copy_nt_sse2");
    return;
  }
  const std::string large_copy = "uma_copy_erms", move = "uma_move_" + v,
                    copy_nt = "uma_copy_nt_" + v, fill_nt = "uma_fill_nt_" + v;
#elif defined(__aarch64__)
  // No rep strings: the variant's own loop up to the streaming threshold; both variants
  // share the NEON move and streaming kernels.
  const std::string large_copy = "uma_copy_" + v, move = "uma_move_neon",
                    copy_nt = "uma_copy_nt_neon", fill_nt = "uma_fill_nt_neon";
#endif
  EXPECT_EQ(umaccess::dispatch::kernel_for(Operation::Copy, 100), "uma_copy_" + v);
  EXPECT_EQ(umaccess::dispatch::kernel_for(Operation::Copy, 3000), large_copy);
  EXPECT_EQ(umaccess::dispatch::kernel_for(Operation::Copy, 40000), copy_nt);
  EXPECT_EQ(umaccess::dispatch::kernel_for(Operation::Move, 5), move);
  EXPECT_EQ(umaccess::dispatch::kernel_for(Operation::CopyNonTemporal, 1000), copy_nt);
  EXPECT_EQ(umaccess::dispatch::kernel_for(Operation::Fill, 100000), fill_nt);
  // Fills stream from their own threshold: at 50000 a copy streams, a fill does not.
  EXPECT_NE(umaccess::dispatch::kernel_for(Operation::Fill, 50000), fill_nt);
  // Thresholds apply only past the loop's short classes.
  umaccess::dispatch::set_thresholds({1, 1, umaccess::dispatch::kNever, umaccess::dispatch::kNever});
  EXPECT_EQ(umaccess::dispatch::kernel_for(Operation::Copy, 100), "uma_copy_" + v);
}

// What kernel_for() reports is what runs, at lengths straddling every boundary, under
// threshold settings that push the classes to their clamps.
TEST_P(PlanClasses, ReportMatchesTheKernelThatFaultsForEveryThresholdSetting) {
  GuardedRegion src(64 * 1024);
  GuardedRegion dst(64 * 1024);
  constexpr std::size_t never = umaccess::dispatch::kNever;
  const umaccess::dispatch::Thresholds settings[] = {
      {0, 0, never, never}, {1, 1, 1, 1},         {300, 300, 600, 600},
      {never, never, 0, 0}, {3000, 3000, 40000, 5000}, {never, never, never, 0}};
  for (const auto& t : settings) {
    umaccess::dispatch::set_thresholds(t);
    for (std::size_t n : {1, 100, 128, 129, 200, 255, 256, 257, 300, 512, 513, 600, 5000, 45000}) {
      for (Operation op : {Operation::Copy, Operation::CopyNonTemporal, Operation::Fill}) {
        const std::string expected = umaccess::dispatch::kernel_for(op, n);
        umaccess_fault_record rec;
        std::size_t left;
        if (op == Operation::Fill)
          left = umaccess_raw_fill_user_memory(dst.ending_at_guard(n - 1), n, 1, &rec);
        else if (op == Operation::Copy)
          left = umaccess_raw_copy_from_user(away_from_page_aliasing(dst, src.ending_at_guard(n - 1)),
                                             src.ending_at_guard(n - 1), n, &rec);
        else
          left = umaccess_raw_copy_from_user_nontemporal(
              away_from_page_aliasing(dst, src.ending_at_guard(n - 1)), src.ending_at_guard(n - 1),
              n, &rec);
        ASSERT_EQ(left, 1u);
        ASSERT_STREQ(rec.kernel, expected.c_str())
            << umaccess::dispatch::operation_name(op) << " of " << n << " bytes, thresholds {"
            << t.rep_movsb << ", " << t.rep_stosb << ", " << t.non_temporal << ", "
            << t.non_temporal_fill << "}";
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllVariants, PlanClasses, ::testing::ValuesIn(supported_variants()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace umatest
