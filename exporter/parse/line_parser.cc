#include "exporter/parse/line_parser.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

#include "exporter/parse/digits.h"

namespace lle::parse {
namespace {

constexpr std::size_t kServiceKey = 0, kStatusKey = 1, kSchemaKey = 2, kFirstLatencyKey = 3;

std::optional<double> parse_number(std::string_view t) {
  if (const auto fast = detail::parse_short_decimal(t)) return fast;
  double v;
  const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || p != t.data() + t.size()) return std::nullopt;
  return v;
}

int parse_status(const FieldValue& v) {
  if (v.kind != FieldValue::Kind::kNumber && v.kind != FieldValue::Kind::kString) return 0;
  int s;
  const auto [p, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), s);
  if (ec != std::errc() || p != v.text.data() + v.text.size() || s < 100 || s > 599) return 0;
  return s;
}

}  // namespace

std::optional<double> latency_seconds(const FieldValue& v, double seconds_per_unit) {
  if (v.kind != FieldValue::Kind::kNumber && v.kind != FieldValue::Kind::kString) {
    return std::nullopt;
  }
  std::optional<double> s;
  if (auto n = parse_number(v.text)) {
    s = *n * seconds_per_unit;
  } else if (v.kind == FieldValue::Kind::kString) {
    s = core::parse_duration_seconds(v.text);
  }
  if (!s || !std::isfinite(*s) || *s < 0) return std::nullopt;
  return s;
}

LineParser::LineParser(Rules rules) : rules_(std::move(rules)) {
  keys_ = {rules_.service_field, rules_.status_field, rules_.schema_version_field,
           rules_.latency_field};
  for (std::size_t i = 0; i < rules_.services.size(); ++i) {
    const auto& s = rules_.services[i];
    const std::string_view field = s.latency_field.empty() ? rules_.latency_field : s.latency_field;
    auto it = std::find(keys_.begin() + kFirstLatencyKey, keys_.end(), field);
    if (it == keys_.end()) {
      keys_.push_back(field);
      it = keys_.end() - 1;
    }
    latency_of_service_.push_back(
        {static_cast<std::size_t>(it - keys_.begin()),
         core::seconds_per(s.latency_unit.value_or(rules_.latency_unit))});
    if (!s.labels.empty()) {
      by_label_[s.labels.front().first][s.labels.front().second].push_back(static_cast<int>(i));
    }
    if (!s.field_value.empty()) by_field_.emplace(s.field_value, static_cast<int>(i));
  }
  if (!rules_.trace_id_field.empty()) {
    trace_key_ = keys_.size();
    keys_.push_back(rules_.trace_id_field);
  }
  if (keys_.size() > std::size(FieldScratch{}.unescaped)) {
    throw std::invalid_argument("too many distinct latency fields (at most 5, 4 with trace_id)");
  }
}

int LineParser::service_by_labels(const core::Entry& entry) const {
  if (by_label_.empty()) return ParsedLine::kUnknownService;
  int best = ParsedLine::kUnknownService;
  for (const auto& label : entry.labels) {
    const auto by_value = by_label_.find(label.name);
    if (by_value == by_label_.end()) continue;
    const auto candidates = by_value->second.find(label.value);
    if (candidates == by_value->second.end()) continue;
    for (int svc : candidates->second) {
      if (best != ParsedLine::kUnknownService && svc > best) break;
      const auto& wanted = rules_.services[static_cast<std::size_t>(svc)].labels;
      const bool all = std::all_of(wanted.begin() + 1, wanted.end(), [&](const auto& m) {
        return std::any_of(entry.labels.begin(), entry.labels.end(), [&](const core::Label& l) {
          return l.name == m.first && l.value == m.second;
        });
      });
      if (all) best = svc;  // the first service in services.yaml order wins
    }
  }
  return best;
}

ParsedLine LineParser::parse(const core::Entry& entry, FieldScratch& scratch) const {
  ParsedLine out;
  out.service = service_by_labels(entry);
  if (entry.line.size() > rules_.max_line_bytes) {
    out.reject = core::RejectReason::kLineTooLong;
    return out;
  }
  FieldValue values[FieldScratch::kMaxFields];
  const std::span<FieldValue> fields(values, keys_.size());
  bool ok;
  switch (rules_.format) {
    case Format::kJson:
      ok = extract_json_fields(entry.line, keys_, fields, scratch);
      break;
    case Format::kLogfmt:
      ok = extract_logfmt_fields(entry.line, keys_, fields, scratch);
      break;
    default: {
      const auto first = entry.line.find_first_not_of(" \t");
      ok = first != std::string_view::npos && entry.line[first] == '{'
               ? extract_json_fields(entry.line, keys_, fields, scratch)
               : extract_logfmt_fields(entry.line, keys_, fields, scratch);
    }
  }
  if (!ok) {
    out.reject = core::RejectReason::kUnparseable;
    return out;
  }
  if (out.service == ParsedLine::kUnknownService) {
    const auto& f = fields[kServiceKey];
    if (f.kind == FieldValue::Kind::kString || f.kind == FieldValue::Kind::kNumber) {
      if (const auto it = by_field_.find(f.text); it != by_field_.end()) out.service = it->second;
    }
    if (out.service == ParsedLine::kUnknownService) {
      out.reject = core::RejectReason::kUnknownService;
      return out;
    }
  }
  const auto svc = static_cast<std::size_t>(out.service);

  const auto& schema = fields[kSchemaKey];
  std::string_view version = rules_.default_schema_version;
  if (schema.kind == FieldValue::Kind::kString || schema.kind == FieldValue::Kind::kNumber) {
    version = schema.text;
  } else if (schema.kind != FieldValue::Kind::kAbsent && schema.kind != FieldValue::Kind::kNull) {
    version = {};
  }
  if (version.empty() ||
      std::find(rules_.supported_schema_versions.begin(), rules_.supported_schema_versions.end(),
                version) == rules_.supported_schema_versions.end()) {
    out.reject = core::RejectReason::kUnsupportedSchemaVersion;
    return out;
  }

  const LatencyField& field = latency_of_service_[svc];
  const auto& latency = fields[field.key];
  if (latency.kind == FieldValue::Kind::kAbsent || latency.kind == FieldValue::Kind::kNull ||
      (latency.kind == FieldValue::Kind::kString && latency.text.empty())) {
    out.reject = core::RejectReason::kMissingLatency;
    return out;
  }
  const auto seconds = latency_seconds(latency, field.seconds_per_unit);
  if (!seconds) {
    out.reject = core::RejectReason::kInvalidLatency;
    return out;
  }
  if (*seconds > rules_.max_latency_seconds) {
    out.reject = core::RejectReason::kLatencyAboveCeiling;
    return out;
  }
  out.latency_seconds = *seconds;
  out.status = parse_status(fields[kStatusKey]);
  if (trace_key_ != 0) {
    const auto& id = fields[trace_key_];
    if (id.kind == FieldValue::Kind::kString || id.kind == FieldValue::Kind::kNumber)
      out.trace_id = id.text;
  }
  return out;
}

}  // namespace lle::parse
