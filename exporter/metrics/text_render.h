#pragma once
// The Prometheus text exposition format (0.0.4), or OpenMetrics 1.0 text (the
// same samples, plus exemplars), written straight into one string.
// prometheus::TextSerializer formats through std::ostream and was ~80% of a
// 10,000-service scrape; this renders the same text for counter, gauge and
// untyped families (numbers in shortest round-trip form) and hands any other
// type to TextSerializer. Thread safety: pure functions; a TextWriter belongs
// to one thread.

#include <prometheus/metric_family.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/window/exemplars.h"

namespace lle::metrics {

struct LabelRef {
  std::string_view name;
  std::string_view value;
};

enum class TextFormat {
  kPrometheus,   // text/plain; version=0.0.4
  kOpenMetrics,  // application/openmetrics-text; version=1.0.0: a counter's family name
                 // drops "_total", untyped is "unknown", quotes in HELP are escaped, samples
                 // may carry an exemplar; the caller ends the text with "# EOF"
};

// Appends families sample by sample. A family's HELP and TYPE lines are written
// with its first sample, so a family without samples leaves no trace.
class TextWriter {
 public:
  explicit TextWriter(std::string& out, TextFormat format = TextFormat::kPrometheus)
      : out_(out), format_(format) {}
  // name and help must outlive the family's samples.
  void family(std::string_view name, std::string_view help, prometheus::MetricType type);
  void sample(std::initializer_list<LabelRef> labels, double value) {
    sample(labels.begin(), labels.end(), value);
  }
  void sample(const LabelRef* first, const LabelRef* last, double value,
              std::int64_t timestamp_ms = 0) {
    sample("", first, last, value, timestamp_ms);
  }
  // A sample of the family's name plus suffix (a histogram's "_bucket", "_sum", "_count"),
  // in OpenMetrics with its exemplar, if any, as {trace_id="..."}.
  void sample(std::string_view suffix, const LabelRef* first, const LabelRef* last, double value,
              std::int64_t timestamp_ms = 0, const window::Exemplar* exemplar = nullptr);

 private:
  std::string& out_;
  TextFormat format_;
  std::string_view name_, help_;
  prometheus::MetricType type_ = prometheus::MetricType::Untyped;
  bool header_written_ = true;
};

std::string render_text(const std::vector<prometheus::MetricFamily>& families);

}  // namespace lle::metrics
