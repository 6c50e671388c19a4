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
void append_escaped(std::string& out, const std::string& s, bool quotes) {
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

const char* type_name(prometheus::MetricType t) {
  switch (t) {
    case prometheus::MetricType::Counter:
      return "counter";
    case prometheus::MetricType::Gauge:
      return "gauge";
    default:
      return "untyped";
  }
}

}  // namespace

std::string render_text(const std::vector<prometheus::MetricFamily>& families) {
  std::string out;
  std::size_t guess = 0;
  for (const auto& f : families) guess += 256 + f.metric.size() * (f.name.size() + 64);
  out.reserve(guess);
  for (const auto& f : families) {
    if (f.type != prometheus::MetricType::Counter && f.type != prometheus::MetricType::Gauge &&
        f.type != prometheus::MetricType::Untyped) {
      std::ostringstream other;
      prometheus::TextSerializer().Serialize(other, {f});
      out += other.str();
      continue;
    }
    out += "# HELP ";
    out += f.name;
    out += ' ';
    append_escaped(out, f.help, false);
    out += "\n# TYPE ";
    out += f.name;
    out += ' ';
    out += type_name(f.type);
    out += '\n';
    for (const auto& m : f.metric) {
      out += f.name;
      if (!m.label.empty()) {
        out += '{';
        for (std::size_t i = 0; i < m.label.size(); ++i) {
          if (i) out += ',';
          out += m.label[i].name;
          out += "=\"";
          append_escaped(out, m.label[i].value, true);
          out += '"';
        }
        out += '}';
      }
      out += ' ';
      append_value(out, f.type == prometheus::MetricType::Counter ? m.counter.value
                        : f.type == prometheus::MetricType::Gauge ? m.gauge.value
                                                                  : m.untyped.value);
      if (m.timestamp_ms != 0) {
        out += ' ';
        out += std::to_string(m.timestamp_ms);
      }
      out += '\n';
    }
  }
  return out;
}

}  // namespace lle::metrics
