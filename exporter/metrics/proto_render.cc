#include "exporter/metrics/proto_render.h"

#include <google/protobuf/arena.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "prometheus_client.pb.h"

namespace lle::metrics {

namespace pb = io::prometheus::client;

struct ProtoWriter::Impl {
  explicit Impl(std::string& o) : out(o) {}
  std::string& out;
  pb::MetricFamily family;
  prometheus::MetricType type = prometheus::MetricType::Untyped;

  void flush() {
    if (family.metric_size() == 0) return;
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.WriteVarint32(static_cast<std::uint32_t>(family.ByteSizeLong()));
    family.SerializeWithCachedSizes(&coded);
    family.clear_metric();
  }
  pb::Metric* metric(const LabelRef* first, const LabelRef* last) {
    pb::Metric* m = family.add_metric();
    for (const LabelRef* l = first; l != last; ++l) {
      pb::LabelPair* p = m->add_label();
      p->set_name(l->name.data(), l->name.size());
      p->set_value(l->value.data(), l->value.size());
    }
    return m;
  }
};

ProtoWriter::ProtoWriter(std::string& out) : impl_(std::make_unique<Impl>(out)) {}
ProtoWriter::~ProtoWriter() { impl_->flush(); }

void ProtoWriter::family(std::string_view name, std::string_view help,
                         prometheus::MetricType type) {
  impl_->flush();
  impl_->family.set_name(name.data(), name.size());
  impl_->family.set_help(help.data(), help.size());
  impl_->type = type;
  switch (type) {
    case prometheus::MetricType::Counter:
      impl_->family.set_type(pb::COUNTER);
      break;
    case prometheus::MetricType::Gauge:
      impl_->family.set_type(pb::GAUGE);
      break;
    case prometheus::MetricType::Histogram:
      impl_->family.set_type(pb::HISTOGRAM);
      break;
    default:
      impl_->family.set_type(pb::UNTYPED);
  }
}

void ProtoWriter::sample(const LabelRef* first, const LabelRef* last, double value) {
  pb::Metric* m = impl_->metric(first, last);
  switch (impl_->type) {
    case prometheus::MetricType::Counter:
      m->mutable_counter()->set_value(value);
      break;
    case prometheus::MetricType::Gauge:
      m->mutable_gauge()->set_value(value);
      break;
    default:
      m->mutable_untyped()->set_value(value);
  }
}

void ProtoWriter::histogram(const LabelRef* first, const LabelRef* last,
                            const sketch::NativeHistogram& h, std::int64_t created_ns) {
  pb::Histogram* out = impl_->metric(first, last)->mutable_histogram();
  out->set_sample_count(h.count);
  out->set_sample_sum(h.sum);
  out->set_schema(h.schema);
  out->set_zero_threshold(sketch::kZeroThreshold);
  out->set_zero_count(h.zero_count);
  for (const auto& s : h.spans) {
    pb::BucketSpan* span = out->add_positive_span();
    span->set_offset(s.offset);
    span->set_length(s.length);
  }
  out->mutable_positive_delta()->Add(h.deltas.begin(), h.deltas.end());
  if (created_ns > 0) {
    auto* ts = out->mutable_created_timestamp();
    ts->set_seconds(created_ns / 1'000'000'000);
    ts->set_nanos(static_cast<std::int32_t>(created_ns % 1'000'000'000));
  }
}

}  // namespace lle::metrics
