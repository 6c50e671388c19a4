#include "exporter/metrics/text_render.h"

#include <prometheus/text_serializer.h>

#include <charconv>
#include <cmath>
#include <sstream>

namespace lle::metrics {
namespace {

void append_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
  }
}

// Label values escape backslash, double quote and newline; HELP text the first and last.
void append_escaped(std::string& out, std::string_view s, bool quotes) {
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && quotes)
      out += "\\\"";
    else
      out += c;
  }
}

const char* type_name(prometheus::MetricType t, TextFormat format) {
  switch (t) {
    case prometheus::MetricType::Counter:
      return "counter";
    case prometheus::MetricType::Gauge:
      return "gauge";
    case prometheus::MetricType::Histogram:
      return "histogram";
    default:
      return format == TextFormat::kOpenMetrics ? "unknown" : "untyped";
  }
}

}  // namespace

void TextWriter::family(std::string_view name, std::string_view help, prometheus::MetricType type) {
  name_ = name;
  help_ = help;
  type_ = type;
  header_written_ = false;
}

void TextWriter::sample(std::string_view suffix, const LabelRef* first, const LabelRef* last,
                        double value, std::int64_t timestamp_ms, const window::Exemplar* exemplar) {
  const bool om = format_ == TextFormat::kOpenMetrics;
  if (!header_written_) {
    // An OpenMetrics counter family is named without the "_total" of its sample.
    std::string_view family = name_;
    if (om && type_ == prometheus::MetricType::Counter && family.ends_with("_total"))
      family.remove_suffix(6);
    out_ += "# HELP ";
    out_ += family;
    out_ += ' ';
    append_escaped(out_, help_, om);
    out_ += "\n# TYPE ";
    out_ += family;
    out_ += ' ';
    out_ += type_name(type_, format_);
    out_ += '\n';
    header_written_ = true;
  }
  out_ += name_;
  out_ += suffix;
  if (first != last) {
    out_ += '{';
    for (const LabelRef* l = first; l != last; ++l) {
      if (l != first) out_ += ',';
      out_ += l->name;
      out_ += "=\"";
      append_escaped(out_, l->value, true);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  append_value(out_, value);
  if (timestamp_ms != 0) {
    out_ += ' ';
    if (om)
      append_value(out_, static_cast<double>(timestamp_ms) / 1e3);  // seconds
    else
      out_ += std::to_string(timestamp_ms);
  }
  if (exemplar && om) {
    out_ += " # {trace_id=\"";
    out_ += exemplar->id;  // Exemplars::usable_id: nothing to escape
    out_ += "\"} ";
    append_value(out_, exemplar->seconds);
    out_ += ' ';
    append_value(out_, static_cast<double>(exemplar->ts_ns) / 1e9);
  }
  out_ += '\n';
}

std::string render_text(const std::vector<prometheus::MetricFamily>& families) {
  std::string out;
  std::size_t guess = 0;
  for (const auto& f : families) guess += 256 + f.metric.size() * (f.name.size() + 64);
  out.reserve(guess);
  TextWriter writer(out);
  std::vector<LabelRef> labels;
  for (const auto& f : families) {
    if (f.type != prometheus::MetricType::Counter && f.type != prometheus::MetricType::Gauge &&
        f.type != prometheus::MetricType::Untyped) {
      std::ostringstream other;
      prometheus::TextSerializer().Serialize(other, {f});
      out += other.str();
      continue;
    }
    writer.family(f.name, f.help, f.type);
    for (const auto& m : f.metric) {
      labels.clear();
      for (const auto& l : m.label) labels.push_back({l.name, l.value});
      writer.sample(labels.data(), labels.data() + labels.size(),
                    f.type == prometheus::MetricType::Counter ? m.counter.value
                    : f.type == prometheus::MetricType::Gauge ? m.gauge.value
                                                              : m.untyped.value,
                    m.timestamp_ms);
    }
  }
  return out;
}

}  // namespace lle::metrics
