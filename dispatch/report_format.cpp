// dispatch/report_format.cpp - umaccess::dispatch::format(): the dispatch report as text
// (what umaccess-info prints) or JSON.
#include <cstdarg>
#include <cstdio>
#include <string>

#include "policy.h"
#include "umaccess/umaccess.hpp"

namespace umaccess::dispatch {
namespace {

__attribute__((format(printf, 2, 3))) void appendf(std::string* out, const char* format, ...) {
  char buf[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buf, sizeof buf, format, args);
  va_end(args);
  *out += buf;
}



std::string bytes(std::size_t n) { return detail::format_bytes(n); }

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

void print_text(const Report& r, std::string* out) {
  appendf(out, "CPU\n");
  appendf(out, "  vendor             %s\n", r.cpu.vendor.c_str());
  appendf(out, "  brand              %s\n", r.cpu.brand.c_str());
#if defined(__aarch64__)  // MIDR fields: implementer, part, variant << 4 | revision
  appendf(out, "  microarchitecture  %s (implementer %#x, part %#x, r%dp%d)\n",
              r.cpu.microarchitecture.c_str(), r.cpu.family, r.cpu.model, r.cpu.stepping >> 4,
              r.cpu.stepping & 15);
#else
  appendf(out, "  microarchitecture  %s (family %d, model %#x, stepping %d)\n",
              r.cpu.microarchitecture.c_str(), r.cpu.family, r.cpu.model, r.cpu.stepping);
#endif
  appendf(out, "  features          ");
  for (const auto& [name, has] : r.cpu.features) appendf(out, " %s%s", has ? "+" : "-", name.c_str());
  appendf(out, "\n  caches             L1d %s, L2 %s, L3 %s (%s, shared by %u thread%s)\n",
              bytes(r.cpu.l1d_bytes).c_str(), bytes(r.cpu.l2_bytes).c_str(),
              bytes(r.cpu.l3_bytes).c_str(), r.cpu.l3_inclusive ? "inclusive" : "non-inclusive",
              r.cpu.l3_sharing_threads, r.cpu.l3_sharing_threads == 1 ? "" : "s");

  appendf(out, "\nVariants (* active)\n");
  for (const auto& v : r.variants)
    appendf(out, "  %c %-7s %-14s %s\n", v.name == r.active ? '*' : ' ', v.name.c_str(),
                v.supported ? "supported" : ("lacks " + v.missing).c_str(), v.description.c_str());
  appendf(out, "  active: %s (%s)\n", r.active.c_str(), r.reason.c_str());

  appendf(out, "\nThresholds\n");
  appendf(out, "  rep movsb     %-12s %s\n", bytes(r.thresholds.rep_movsb).c_str(),
              r.rep_movsb_reason.c_str());
  appendf(out, "  rep stosb     %-12s %s\n", bytes(r.thresholds.rep_stosb).c_str(),
              r.rep_stosb_reason.c_str());
  appendf(out, "  non-temporal  %-12s %s\n", bytes(r.thresholds.non_temporal).c_str(),
              r.non_temporal_reason.c_str());

  appendf(out, "\nKernel per operation and length\n");
  for (const auto& c : r.plan) {
    const std::string range =
        c.to == kNever ? (c.from == 0 ? "any length" : ">= " + bytes(c.from))
                       : bytes(c.from) + " .. " + bytes(c.to - 1);
    appendf(out, "  %-20s %-26s %s\n", operation_name(c.operation),
                range.c_str(), c.kernel.c_str());
  }
}

void print_json(const Report& r, std::string* out) {
  appendf(out, "{\n  \"cpu\": {\"vendor\": %s, \"brand\": %s, \"microarchitecture\": %s, "
              "\"family\": %d, \"model\": %d, \"stepping\": %d,\n    \"features\": {",
              json_string(r.cpu.vendor).c_str(), json_string(r.cpu.brand).c_str(),
              json_string(r.cpu.microarchitecture).c_str(), r.cpu.family, r.cpu.model,
              r.cpu.stepping);
  const char* sep = "";
  for (const auto& [name, has] : r.cpu.features) {
    appendf(out, "%s%s: %s", sep, json_string(name).c_str(), has ? "true" : "false");
    sep = ", ";
  }
  appendf(out, "},\n    \"caches\": {\"l1d\": %zu, \"l2\": %zu, \"l3\": %zu, \"l3_inclusive\": %s, "
              "\"l3_sharing_threads\": %u}},\n",
              r.cpu.l1d_bytes, r.cpu.l2_bytes, r.cpu.l3_bytes, r.cpu.l3_inclusive ? "true" : "false",
              r.cpu.l3_sharing_threads);
  appendf(out, "  \"variants\": [");
  sep = "";
  for (const auto& v : r.variants) {
    appendf(out, "%s\n    {\"name\": %s, \"supported\": %s, \"missing\": %s, \"description\": %s}", sep,
                json_string(v.name).c_str(), v.supported ? "true" : "false",
                json_string(v.missing).c_str(), json_string(v.description).c_str());
    sep = ",";
  }
  appendf(out, "],\n  \"active\": %s,\n  \"reason\": %s,\n", json_string(r.active).c_str(),
              json_string(r.reason).c_str());
  appendf(out, "  \"thresholds\": {\n"
              "    \"rep_movsb\": {\"bytes\": %s, \"reason\": %s},\n"
              "    \"rep_stosb\": {\"bytes\": %s, \"reason\": %s},\n"
              "    \"non_temporal\": {\"bytes\": %s, \"reason\": %s}},\n",
              json_size(r.thresholds.rep_movsb).c_str(), json_string(r.rep_movsb_reason).c_str(),
              json_size(r.thresholds.rep_stosb).c_str(), json_string(r.rep_stosb_reason).c_str(),
              json_size(r.thresholds.non_temporal).c_str(),
              json_string(r.non_temporal_reason).c_str());
  appendf(out, "  \"plan\": [");
  sep = "";
  for (const auto& c : r.plan) {
    appendf(out, "%s\n    {\"operation\": %s, \"from\": %zu, \"to\": %s, \"kernel\": %s}", sep,
                json_string(operation_name(c.operation)).c_str(), c.from,
                json_size(c.to).c_str(), json_string(c.kernel).c_str());
    sep = ",";
  }
  appendf(out, "]\n}\n");
}

}  // namespace

std::string format(const Report& report, ReportFormat as) {
  std::string out;
  if (as == ReportFormat::Json) print_json(report, &out); else print_text(report, &out);
  return out;
}

}  // namespace umaccess::dispatch
