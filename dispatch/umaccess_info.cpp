// dispatch/umaccess_info.cpp - umaccess-info: what the dispatcher sees and chooses on this
// machine. A thin printer over umaccess::dispatch::describe().
//
//   umaccess-info          human-readable report
//   umaccess-info --json   the same as one JSON object
#include <cstdio>
#include <cstring>
#include <string>

#include "umaccess/umaccess.hpp"

namespace {

using umaccess::dispatch::kNever;
using umaccess::dispatch::Report;

std::string bytes(std::size_t n) {
  if (n == kNever) return "never";
  char buf[32];
  if (n >= (std::size_t{1} << 20))
    std::snprintf(buf, sizeof buf, "%.2f MiB", static_cast<double>(n) / (1 << 20));
  else if (n >= 1024 && n % 1024 == 0)
    std::snprintf(buf, sizeof buf, "%zu KiB", n >> 10);
  else
    std::snprintf(buf, sizeof buf, "%zu B", n);
  return buf;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", c);
      out += esc;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string json_size(std::size_t n) { return n == kNever ? "null" : std::to_string(n); }

void print_text(const Report& r) {
  std::printf("CPU\n");
  std::printf("  vendor             %s\n", r.cpu.vendor.c_str());
  std::printf("  brand              %s\n", r.cpu.brand.c_str());
  std::printf("  microarchitecture  %s (family %d, model %#x, stepping %d)\n",
              r.cpu.microarchitecture.c_str(), r.cpu.family, r.cpu.model, r.cpu.stepping);
  std::printf("  features          ");
  for (const auto& [name, has] : r.cpu.features) std::printf(" %s%s", has ? "+" : "-", name.c_str());
  std::printf("\n  caches             L1d %s, L2 %s, L3 %s (%s, shared by %u thread%s)\n",
              bytes(r.cpu.l1d_bytes).c_str(), bytes(r.cpu.l2_bytes).c_str(),
              bytes(r.cpu.l3_bytes).c_str(), r.cpu.l3_inclusive ? "inclusive" : "non-inclusive",
              r.cpu.l3_sharing_threads, r.cpu.l3_sharing_threads == 1 ? "" : "s");

  std::printf("\nVariants (* active)\n");
  for (const auto& v : r.variants)
    std::printf("  %c %-7s %-14s %s\n", v.name == r.active ? '*' : ' ', v.name.c_str(),
                v.supported ? "supported" : ("lacks " + v.missing).c_str(), v.description.c_str());
  std::printf("  active: %s (%s)\n", r.active.c_str(), r.reason.c_str());

  std::printf("\nThresholds\n");
  std::printf("  rep movsb     %-12s %s\n", bytes(r.thresholds.rep_movsb).c_str(),
              r.rep_movsb_reason.c_str());
  std::printf("  rep stosb     %-12s %s\n", bytes(r.thresholds.rep_stosb).c_str(),
              r.rep_stosb_reason.c_str());
  std::printf("  non-temporal  %-12s %s\n", bytes(r.thresholds.non_temporal).c_str(),
              r.non_temporal_reason.c_str());

  std::printf("\nKernel per operation and length\n");
  for (const auto& c : r.plan) {
    const std::string range =
        c.to == kNever ? (c.from == 0 ? "any length" : ">= " + bytes(c.from))
                       : bytes(c.from) + " .. " + bytes(c.to - 1);
    std::printf("  %-20s %-26s %s\n", umaccess::dispatch::operation_name(c.operation),
                range.c_str(), c.kernel.c_str());
  }
}

void print_json(const Report& r) {
  std::printf("{\n  \"cpu\": {\"vendor\": %s, \"brand\": %s, \"microarchitecture\": %s, "
              "\"family\": %d, \"model\": %d, \"stepping\": %d,\n    \"features\": {",
              json_string(r.cpu.vendor).c_str(), json_string(r.cpu.brand).c_str(),
              json_string(r.cpu.microarchitecture).c_str(), r.cpu.family, r.cpu.model,
              r.cpu.stepping);
  const char* sep = "";
  for (const auto& [name, has] : r.cpu.features) {
    std::printf("%s%s: %s", sep, json_string(name).c_str(), has ? "true" : "false");
    sep = ", ";
  }
  std::printf("},\n    \"caches\": {\"l1d\": %zu, \"l2\": %zu, \"l3\": %zu, \"l3_inclusive\": %s, "
              "\"l3_sharing_threads\": %u}},\n",
              r.cpu.l1d_bytes, r.cpu.l2_bytes, r.cpu.l3_bytes, r.cpu.l3_inclusive ? "true" : "false",
              r.cpu.l3_sharing_threads);
  std::printf("  \"variants\": [");
  sep = "";
  for (const auto& v : r.variants) {
    std::printf("%s\n    {\"name\": %s, \"supported\": %s, \"missing\": %s, \"description\": %s}", sep,
                json_string(v.name).c_str(), v.supported ? "true" : "false",
                json_string(v.missing).c_str(), json_string(v.description).c_str());
    sep = ",";
  }
  std::printf("],\n  \"active\": %s,\n  \"reason\": %s,\n", json_string(r.active).c_str(),
              json_string(r.reason).c_str());
  std::printf("  \"thresholds\": {\n"
              "    \"rep_movsb\": {\"bytes\": %s, \"reason\": %s},\n"
              "    \"rep_stosb\": {\"bytes\": %s, \"reason\": %s},\n"
              "    \"non_temporal\": {\"bytes\": %s, \"reason\": %s}},\n",
              json_size(r.thresholds.rep_movsb).c_str(), json_string(r.rep_movsb_reason).c_str(),
              json_size(r.thresholds.rep_stosb).c_str(), json_string(r.rep_stosb_reason).c_str(),
              json_size(r.thresholds.non_temporal).c_str(),
              json_string(r.non_temporal_reason).c_str());
  std::printf("  \"plan\": [");
  sep = "";
  for (const auto& c : r.plan) {
    std::printf("%s\n    {\"operation\": %s, \"from\": %zu, \"to\": %s, \"kernel\": %s}", sep,
                json_string(umaccess::dispatch::operation_name(c.operation)).c_str(), c.from,
                json_size(c.to).c_str(), json_string(c.kernel).c_str());
    sep = ",";
  }
  std::printf("]\n}\n");
}

}  // namespace

int main(int argc, char** argv) {
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) {
      json = true;
    } else {
      std::fprintf(stderr, "usage: %s [--json]\n", argv[0]);
      return 2;
    }
  }
  const Report report = umaccess::dispatch::describe();
  if (json) print_json(report); else print_text(report);
  return 0;
}
