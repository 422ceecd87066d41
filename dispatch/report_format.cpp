// SPDX-License-Identifier: Apache-2.0
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
  va_list args, again;
  va_start(args, format);
  va_copy(again, args);
  const int n = std::vsnprintf(nullptr, 0, format, args);
  va_end(args);
  if (n > 0) {
    std::string piece(static_cast<std::size_t>(n) + 1, '\0');
    std::vsnprintf(piece.data(), piece.size(), format, again);
    piece.pop_back();
    *out += piece;
  }
  va_end(again);
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
  appendf(out, "  microarchitecture  %s (family %#x, model %#x, stepping %d)\n",
              r.cpu.microarchitecture.c_str(), r.cpu.family, r.cpu.model, r.cpu.stepping);
#endif
  appendf(out, "  core               %s", r.cpu.core.c_str());
  for (std::size_t i = 0; i < r.cpu.facts.size(); ++i)
    appendf(out, "%s%s", i == 0 ? " (" : ", ", r.cpu.facts[i].c_str());
  appendf(out, "%s\n", r.cpu.facts.empty() ? "" : ")");
  appendf(out, "  features          ");
  for (const auto& [name, has] : r.cpu.features) appendf(out, " %s%s", has ? "+" : "-", name.c_str());
  appendf(out, "\n  caches             L1d %s, L2 %s, L3 %s (%s, shared by %u thread%s), from %s\n",
              bytes(r.cpu.l1d_bytes).c_str(), bytes(r.cpu.l2_bytes).c_str(),
              bytes(r.cpu.l3_bytes).c_str(), r.cpu.l3_inclusive ? "inclusive" : "non-inclusive",
              r.cpu.l3_sharing_threads, r.cpu.l3_sharing_threads == 1 ? "" : "s",
              r.cpu.cache_source.c_str());
  if (!r.cpu.cache_note.empty()) appendf(out, "                     (%s)\n", r.cpu.cache_note.c_str());
  appendf(out, "\nProfile\n  %s%s%s\n", r.profile.status.c_str(),
          r.profile.path.empty() ? "" : ": ", r.profile.path.c_str());

  appendf(out, "\nVariants (* active)\n");
  for (const auto& v : r.variants)
    appendf(out, "  %c %-7s %-14s %s\n", v.name == r.active ? '*' : ' ', v.name.c_str(),
                v.supported ? "supported" : ("lacks " + v.missing).c_str(), v.description.c_str());
  appendf(out, "  active: %s, from the %s (%s)\n", r.active.c_str(), source_name(r.active_source),
          r.reason.c_str());

  appendf(out, "\nThresholds (source: reason)\n");
  appendf(out, "  rep movsb          %-12s %s: %s\n", bytes(r.thresholds.rep_movsb).c_str(),
          source_name(r.rep_movsb_source), r.rep_movsb_reason.c_str());
  appendf(out, "  rep stosb          %-12s %s: %s\n", bytes(r.thresholds.rep_stosb).c_str(),
          source_name(r.rep_stosb_source), r.rep_stosb_reason.c_str());
  appendf(out, "  non-temporal copy  %-12s %s: %s\n", bytes(r.thresholds.non_temporal).c_str(),
          source_name(r.non_temporal_source), r.non_temporal_reason.c_str());
  appendf(out, "  non-temporal fill  %-12s %s: %s\n",
          bytes(r.thresholds.non_temporal_fill).c_str(), source_name(r.non_temporal_fill_source),
          r.non_temporal_fill_reason.c_str());

  appendf(out, "\nKernel per operation and length\n");
  for (const auto& c : r.plan) {
    // The end is exclusive: "< 32 MiB", not "32.00 MiB" (32 MiB - 1 in two decimals).
    const std::string range =
        c.to == kNever ? (c.from == 0 ? "any length" : ">= " + bytes(c.from))
        : c.from == 0  ? "< " + bytes(c.to)
                       : bytes(c.from) + " .. < " + bytes(c.to);
    appendf(out, "  %-20s %-26s %s\n", operation_name(c.operation),
                range.c_str(), c.kernel.c_str());
  }
}

void print_json(const Report& r, std::string* out) {
  appendf(out, "{\n  \"cpu\": {\"vendor\": %s, \"brand\": %s, \"microarchitecture\": %s, "
              "\"core\": %s, \"family\": %d, \"model\": %d, \"stepping\": %d,\n    \"facts\": [",
              json_string(r.cpu.vendor).c_str(), json_string(r.cpu.brand).c_str(),
              json_string(r.cpu.microarchitecture).c_str(), json_string(r.cpu.core).c_str(),
              r.cpu.family, r.cpu.model, r.cpu.stepping);
  for (std::size_t i = 0; i < r.cpu.facts.size(); ++i)
    appendf(out, "%s%s", i == 0 ? "" : ", ", json_string(r.cpu.facts[i]).c_str());
  appendf(out, "],\n    \"features\": {");
  const char* sep = "";
  for (const auto& [name, has] : r.cpu.features) {
    appendf(out, "%s%s: %s", sep, json_string(name).c_str(), has ? "true" : "false");
    sep = ", ";
  }
  appendf(out, "},\n    \"caches\": {\"l1d\": %zu, \"l2\": %zu, \"l3\": %zu, \"l3_inclusive\": %s, "
              "\"l3_sharing_threads\": %u, \"source\": %s, \"note\": %s}},\n",
              r.cpu.l1d_bytes, r.cpu.l2_bytes, r.cpu.l3_bytes, r.cpu.l3_inclusive ? "true" : "false",
              r.cpu.l3_sharing_threads, json_string(r.cpu.cache_source).c_str(),
              json_string(r.cpu.cache_note).c_str());
  appendf(out, "  \"profile\": {\"path\": %s, \"status\": %s},\n",
          r.profile.path.empty() ? "null" : json_string(r.profile.path).c_str(),
          json_string(r.profile.status).c_str());
  appendf(out, "  \"variants\": [");
  sep = "";
  for (const auto& v : r.variants) {
    appendf(out, "%s\n    {\"name\": %s, \"supported\": %s, \"missing\": %s, \"description\": %s}", sep,
                json_string(v.name).c_str(), v.supported ? "true" : "false",
                json_string(v.missing).c_str(), json_string(v.description).c_str());
    sep = ",";
  }
  appendf(out, "],\n  \"active\": %s,\n  \"active_source\": \"%s\",\n  \"reason\": %s,\n",
          json_string(r.active).c_str(), source_name(r.active_source), json_string(r.reason).c_str());
  appendf(out, "  \"thresholds\": {\n"
              "    \"rep_movsb\": {\"bytes\": %s, \"source\": \"%s\", \"reason\": %s},\n",
          json_size(r.thresholds.rep_movsb).c_str(), source_name(r.rep_movsb_source),
          json_string(r.rep_movsb_reason).c_str());
  appendf(out, "    \"rep_stosb\": {\"bytes\": %s, \"source\": \"%s\", \"reason\": %s},\n",
          json_size(r.thresholds.rep_stosb).c_str(), source_name(r.rep_stosb_source),
          json_string(r.rep_stosb_reason).c_str());
  appendf(out, "    \"non_temporal\": {\"bytes\": %s, \"source\": \"%s\", \"reason\": %s},\n",
          json_size(r.thresholds.non_temporal).c_str(), source_name(r.non_temporal_source),
          json_string(r.non_temporal_reason).c_str());
  appendf(out, "    \"non_temporal_fill\": {\"bytes\": %s, \"source\": \"%s\", \"reason\": %s}},\n",
          json_size(r.thresholds.non_temporal_fill).c_str(),
          source_name(r.non_temporal_fill_source), json_string(r.non_temporal_fill_reason).c_str());
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
