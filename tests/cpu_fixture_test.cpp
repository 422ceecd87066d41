// SPDX-License-Identifier: Apache-2.0
// tests/cpu_fixture_test.cpp - recorded machines (tests/fixtures/cpu/<arch>/*.cpu) fed to
// the same detector the host uses, through the CpuSource seam (dispatch/cpu_source.h). Each
// fixture's `expect` lines assert the CPU description (vendor, identity, features, caches
// and where they came from) and the plan the built-in policy makes for it (variant, every
// threshold, the kernel per operation and length). Adding a machine is adding a file.
#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "cpu.h"
#include "cpu_source.h"
#include "plan.h"
#include "policy.h"
#include "support.h"

#ifndef UMACCESS_CPU_FIXTURES
#error "the build passes the fixture directory"
#endif

namespace umatest {
namespace {

using namespace umaccess::detail;
using umaccess::dispatch::Operation;

std::vector<std::string> fixture_names() {
  std::vector<std::string> names;
  if (DIR* d = opendir(UMACCESS_CPU_FIXTURES)) {
    while (const dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name.size() > 4 && name.compare(name.size() - 4, 4, ".cpu") == 0) names.push_back(name);
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "49152", "48K", "32M", "0x8f", "never".
bool parse_number(const std::string& text, std::size_t* out) {
  if (text == "never") {
    *out = kNever;
    return true;
  }
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 0);
  if (end == text.c_str()) return false;
  unsigned shift = 0;
  if (*end == 'K')
    shift = 10, ++end;
  else if (*end == 'M')
    shift = 20, ++end;
  else if (*end == 'G')
    shift = 30, ++end;
  if (*end != '\0') return false;
  *out = static_cast<std::size_t>(v) << shift;
  return true;
}

std::string features_of(const CpuDescription& cpu) {
  std::string out;
  for (Feature f : kAllFeatures)
    if (cpu.has(f)) out += std::string(out.empty() ? "" : " ") + feature_name(f);
  return out;
}

bool operation_named(const std::string& name, Operation* op) {
  if (name == "copy")
    *op = Operation::Copy;
  else if (name == "move")
    *op = Operation::Move;
  else if (name == "copy_nt")
    *op = Operation::CopyNonTemporal;
  else if (name == "fill")
    *op = Operation::Fill;
  else
    return false;
  return true;
}

// Keys every fixture must assert: the description and the plan.
const char* const kRequiredKeys[] = {"vendor",    "family",    "model",        "l1d",
                                     "l2",        "l3",        "cache_source", "variant",
                                     "rep_movsb", "rep_stosb", "non_temporal",
                                     "non_temporal_fill", "kernel"};

class RecordedMachine : public ::testing::TestWithParam<std::string> {};

TEST_P(RecordedMachine, DescriptionAndPlanAreAsExpected) {
  const std::string path = std::string(UMACCESS_CPU_FIXTURES) + "/" + GetParam();
  std::string error;
  const auto source = RecordedCpu::parse(read_text(path), &error);
  ASSERT_NE(source, nullptr) << path << ": " << error;
  const CpuDescription cpu = detect_cpu(*source);

  std::string why;
  const VariantDef& variant = auto_variant(cpu, &why);
  ThresholdReasons reasons;
  const Thresholds t = derive_thresholds(cpu, variant, &reasons);
  const std::vector<umaccess::dispatch::SizeClass> plan = plan_for(variant, t);
  const std::string context = "\n  fixture " + GetParam() + "\n  variant " + variant.name + " (" +
                              why + ")\n  rep movsb: " + reasons.rep_movsb +
                              "\n  rep stosb: " + reasons.rep_stosb +
                              "\n  non-temporal: " + reasons.non_temporal +
                              "\n  non-temporal fill: " + reasons.non_temporal_fill +
                              "\n  caches: " + cpu.cache.source + " " + cpu.cache.note;

  std::vector<std::string> seen;
  for (const auto& [key, value] : source->expectations()) {
    seen.push_back(key);
    SCOPED_TRACE("expect " + key + " " + value + context);
    std::size_t n = 0;
    auto number = [&](std::size_t actual) {
      ASSERT_TRUE(parse_number(value, &n)) << "not a number: " << value;
      EXPECT_EQ(actual, n);
    };
    if (key == "vendor")
      EXPECT_EQ(cpu.vendor, value);
    else if (key == "brand")
      EXPECT_EQ(cpu.brand, value);
    else if (key == "microarchitecture")
      EXPECT_EQ(cpu.microarchitecture, value);
    else if (key == "core")
      EXPECT_EQ(cpu.core, value);
    else if (key == "family")
      number(static_cast<std::size_t>(cpu.family));
    else if (key == "model")
      number(static_cast<std::size_t>(cpu.model));
    else if (key == "stepping")
      number(static_cast<std::size_t>(cpu.stepping));
    else if (key == "features")
      EXPECT_EQ(features_of(cpu), value);
    else if (key == "l1d")
      number(cpu.cache.l1d);
    else if (key == "l2")
      number(cpu.cache.l2);
    else if (key == "l3")
      number(cpu.cache.l3);
    else if (key == "l3_inclusive")
      EXPECT_EQ(cpu.cache.l3_inclusive ? "true" : "false", value);
    else if (key == "l3_sharing_threads")
      number(cpu.cache.l3_sharing_threads);
    else if (key == "cache_source")
      EXPECT_EQ(cpu.cache.source, value);
    else if (key == "variant")
      EXPECT_EQ(std::string(variant.name), value);
    else if (key == "rep_movsb")
      number(t.rep_movsb);
    else if (key == "rep_stosb")
      number(t.rep_stosb);
    else if (key == "non_temporal")
      number(t.non_temporal);
    else if (key == "non_temporal_fill")
      number(t.non_temporal_fill);
    else if (key == "kernel") {
      // kernel OPERATION LENGTH NAME
      std::istringstream words(value);
      std::string op_name, length_text, kernel;
      Operation op;
      ASSERT_TRUE(words >> op_name >> length_text >> kernel) << "kernel OPERATION LENGTH NAME";
      ASSERT_TRUE(operation_named(op_name, &op)) << "operations: copy, move, copy_nt, fill";
      ASSERT_TRUE(parse_number(length_text, &n)) << length_text;
      std::string actual = "?";
      for (const auto& c : plan)
        if (c.operation == op && n >= c.from && n < c.to) actual = c.kernel;
      EXPECT_EQ(actual, kernel);
    } else {
      ADD_FAILURE() << "unknown expectation key '" << key << "'";
    }
  }
  for (const char* key : kRequiredKeys)
    EXPECT_NE(std::find(seen.begin(), seen.end(), key), seen.end())
        << GetParam() << " does not assert '" << key << "'";
}

INSTANTIATE_TEST_SUITE_P(Fixtures, RecordedMachine, ::testing::ValuesIn(fixture_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param.substr(0, info.param.size() - 4);
                           for (char& c : name)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

TEST(RecordedCpu, MalformedFixturesAreRejectedWithTheLine) {
  std::string error;
  EXPECT_EQ(RecordedCpu::parse("# ok\ncpuid 0 0 1 2 3\n", &error), nullptr);
  EXPECT_EQ(error.rfind("line 2: ", 0), 0u) << error;
  EXPECT_EQ(RecordedCpu::parse("cpuid 1 0 0 0 0 0\ncpuid 1 0 0 0 0 0\n", &error), nullptr);
  EXPECT_NE(error.find("given twice"), std::string::npos) << error;
  EXPECT_EQ(RecordedCpu::parse("cpuidd 1 0 0 0 0 0\n", &error), nullptr);
  EXPECT_NE(error.find("unknown item 'cpuidd'"), std::string::npos) << error;
  EXPECT_EQ(RecordedCpu::parse("file /proc/cpuinfo <<END\nx\n", &error), nullptr);
  EXPECT_NE(error.find("no closing END"), std::string::npos) << error;
  EXPECT_EQ(RecordedCpu::parse("online_cpus 0\n", &error), nullptr);
}

TEST(RecordedCpu, AnswersWhatWasRecordedAndZerosElsewhere) {
  std::string error;
  const auto cpu = RecordedCpu::parse(
      "cpuid 4 1 1 2 3 4\nxcr0 e7\nhwcap 10\nonline_cpus 8\n"
      "file /a one line\nfile /b <<EOF\nx\ny\nEOF\nexpect vendor Foo Bar\n",
      &error);
  ASSERT_NE(cpu, nullptr) << error;
  EXPECT_EQ(cpu->cpuid(4, 1).edx, 4u);
  EXPECT_EQ(cpu->cpuid(4, 2).eax, 0u);
  EXPECT_EQ(cpu->xcr0(), 0xe7u);
  EXPECT_EQ(cpu->hwcap(), 0x10u);
  EXPECT_EQ(cpu->online_cpus(), 8u);
  EXPECT_EQ(cpu->read_file("/a"), "one line\n");
  EXPECT_EQ(cpu->read_file("/b"), "x\ny\n");
  EXPECT_EQ(cpu->read_file("/c"), "");
  ASSERT_EQ(cpu->expectations().size(), 1u);
  EXPECT_EQ(cpu->expectations()[0].second, "Foo Bar");
}

TEST(RecordedCpu, EveryArchitectureHasFixtures) { EXPECT_GE(fixture_names().size(), 1u); }

}  // namespace
}  // namespace umatest
