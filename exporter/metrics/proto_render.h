#pragma once
// The Prometheus protobuf exposition format: length-delimited
// io.prometheus.client.MetricFamily messages (prometheus_client.proto), the one
// format that carries native histograms. Written family by family like
// TextWriter; a family without samples leaves no trace.
// Thread safety: a ProtoWriter belongs to one thread.

#include <prometheus/metric_type.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "exporter/metrics/text_render.h"
#include "exporter/sketch/native_histogram.h"
#include "exporter/window/exemplars.h"

namespace lle::metrics {

// A histogram's classic buckets: ascending bounds, their cumulative counts and
// each one's exemplar (null: none; bounds.size() + 1 of them, the last +Inf's,
// which protobuf leaves implied), or none at all.
struct ClassicBuckets {
  std::span<const double> bounds;
  std::span<const std::uint64_t> counts;
  std::span<const window::Exemplar* const> exemplars;
};

class ProtoWriter {
 public:
  explicit ProtoWriter(std::string& out);
  ~ProtoWriter();  // writes the last family
  void family(std::string_view name, std::string_view help, prometheus::MetricType type);
  void sample(const LabelRef* first, const LabelRef* last, double value);
  // A native histogram with its created timestamp (0: none), classic buckets and
  // exemplars.
  void histogram(const LabelRef* first, const LabelRef* last, const sketch::NativeHistogram& h,
                 std::int64_t created_ns, const ClassicBuckets& classic = {},
                 std::span<const window::Exemplar> exemplars = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lle::metrics
