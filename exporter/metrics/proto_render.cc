#include "exporter/metrics/proto_render.h"

#include <google/protobuf/io/coded_stream.h>

#include <limits>

#include "exporter/core/clock.h"
#include "prometheus_client.pb.h"

namespace lle::metrics {

namespace pb = io::prometheus::client;

namespace {
void append_varint(std::string& out, std::uint64_t v) {
  std::uint8_t bytes[10];
  const std::uint8_t* end = google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(v, bytes);
  out.append(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(end - bytes));
}

// Appends m serialized, exactly ByteSizeLong() bytes.
void append_message(std::string& out, const google::protobuf::MessageLite& m) {
  const std::size_t size = m.ByteSizeLong();
  append_varint(out, size);
  const std::size_t at = out.size();
  out.resize(at + size);
  m.SerializeWithCachedSizesToArray(reinterpret_cast<std::uint8_t*>(out.data() + at));
}

// MetricFamily.metric (field 4, length-delimited): a family on the wire is its
// name, help and type followed by each metric under this tag, so each metric is
// built in one reused message and appended, never held as a tree of thousands.
constexpr std::uint64_t kMetricTag = (4 << 3) | 2;

void set_timestamp(std::int64_t ns, google::protobuf::Timestamp& ts) {
  ts.set_seconds(core::floor_div(ns, core::kNanosPerSecond));
  ts.set_nanos(static_cast<std::int32_t>(ns - ts.seconds() * core::kNanosPerSecond));
}

void set_exemplar(const window::Exemplar& e, pb::Exemplar& out) {
  auto* label = out.add_label();
  label->set_name("trace_id");
  label->set_value(e.id);
  out.set_value(e.seconds);
  set_timestamp(e.ts_ns, *out.mutable_timestamp());
}
}  // namespace

struct ProtoWriter::Impl {
  explicit Impl(std::string& o) : out(o) {}
  std::string& out;
  pb::MetricFamily header;  // name, help, type
  prometheus::MetricType type = prometheus::MetricType::Untyped;
  pb::Metric metric;  // the one being written
  std::string body;   // the family's metrics so far

  // The family as a length and its bytes.
  void flush() {
    if (body.empty()) return;
    const std::string head = header.SerializeAsString();
    append_varint(out, head.size() + body.size());
    out += head;
    out += body;
    body.clear();
  }
  pb::Metric& start(const LabelRef* first, const LabelRef* last) {
    metric.Clear();
    for (const LabelRef* l = first; l != last; ++l) {
      pb::LabelPair* p = metric.add_label();
      p->set_name(l->name.data(), l->name.size());
      p->set_value(l->value.data(), l->value.size());
    }
    return metric;
  }
  void end() {
    append_varint(body, kMetricTag);
    append_message(body, metric);
  }
};

ProtoWriter::ProtoWriter(std::string& out) : impl_(std::make_unique<Impl>(out)) {}
ProtoWriter::~ProtoWriter() { impl_->flush(); }

void ProtoWriter::family(std::string_view name, std::string_view help,
                         prometheus::MetricType type) {
  impl_->flush();
  auto& family = impl_->header;
  family.set_name(name.data(), name.size());
  family.set_help(help.data(), help.size());
  impl_->type = type;
  switch (type) {
    case prometheus::MetricType::Counter:
      family.set_type(pb::COUNTER);
      break;
    case prometheus::MetricType::Gauge:
      family.set_type(pb::GAUGE);
      break;
    case prometheus::MetricType::Histogram:
      family.set_type(pb::HISTOGRAM);
      break;
    default:
      family.set_type(pb::UNTYPED);
  }
}

void ProtoWriter::sample(const LabelRef* first, const LabelRef* last, double value) {
  pb::Metric& m = impl_->start(first, last);
  switch (impl_->type) {
    case prometheus::MetricType::Counter:
      m.mutable_counter()->set_value(value);
      break;
    case prometheus::MetricType::Gauge:
      m.mutable_gauge()->set_value(value);
      break;
    default:
      m.mutable_untyped()->set_value(value);
  }
  impl_->end();
}

void ProtoWriter::histogram(const LabelRef* first, const LabelRef* last,
                            const sketch::NativeHistogram& h, std::int64_t created_ns,
                            const ClassicBuckets& classic,
                            std::span<const window::Exemplar> exemplars) {
  pb::Histogram* out = impl_->start(first, last).mutable_histogram();
  out->set_sample_count(h.count);
  out->set_sample_sum(h.sum);
  for (std::size_t i = 0; i < classic.bounds.size() && i < classic.counts.size(); ++i) {
    pb::Bucket* b = out->add_bucket();
    b->set_upper_bound(classic.bounds[i]);
    b->set_cumulative_count(classic.counts[i]);
    if (i < classic.exemplars.size() && classic.exemplars[i])
      set_exemplar(*classic.exemplars[i], *b->mutable_exemplar());
  }
  // +Inf is implied, unless it has an exemplar to carry.
  if (const std::size_t inf = classic.bounds.size();
      !classic.bounds.empty() && inf < classic.exemplars.size() && classic.exemplars[inf]) {
    pb::Bucket* b = out->add_bucket();
    b->set_upper_bound(std::numeric_limits<double>::infinity());
    b->set_cumulative_count(h.count);
    set_exemplar(*classic.exemplars[inf], *b->mutable_exemplar());
  }
  out->set_schema(h.schema);
  out->set_zero_threshold(sketch::kZeroThreshold);
  out->set_zero_count(h.zero_count);
  for (const auto& s : h.spans) {
    pb::BucketSpan* span = out->add_positive_span();
    span->set_offset(s.offset);
    span->set_length(s.length);
  }
  out->mutable_positive_delta()->Add(h.deltas.begin(), h.deltas.end());
  if (created_ns > 0) set_timestamp(created_ns, *out->mutable_created_timestamp());
  for (const auto& e : exemplars) set_exemplar(e, *out->add_exemplars());
  impl_->end();
}

}  // namespace lle::metrics
