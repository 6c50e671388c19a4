#include "exporter/metrics/translate.h"

#include <cmath>

#include "exporter/core/reject_reason.h"

namespace lle::metrics {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily family(const char* name, const char* help, MetricType type) {
  return MetricFamily{name, help, type, {}};
}

ClientMetric gauge(std::vector<ClientMetric::Label> labels, double v) {
  ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = v;
  return m;
}

ClientMetric counter(std::vector<ClientMetric::Label> labels, double v) {
  ClientMetric m;
  m.label = std::move(labels);
  m.counter.value = v;
  return m;
}

double seconds(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }

constexpr const char* kStatusClass[] = {"unknown", "1xx", "2xx", "3xx", "4xx", "5xx"};

}  // namespace

std::vector<MetricFamily> translate(const Published& state) {
  const auto& snap = state.snapshot;
  const auto& services = *snap.services;

  // One gauge family per quantile: a `quantile` label is reserved for summaries,
  // and these are sliding-window values, not a summary's cumulative count/sum.
  MetricFamily quantiles[] = {
      family("loki_latency_window_p50_seconds",
             "Median latency of accepted lines over a sliding event-time window "
             "(5m: 1-minute slices; 1h: 5-minute buckets; 7d: hours, the baseline).",
             MetricType::Gauge),
      family("loki_latency_window_p95_seconds",
             "95th percentile latency over the window (7d is the baseline).", MetricType::Gauge),
      family("loki_latency_window_p99_seconds", "99th percentile latency over the window.",
             MetricType::Gauge)};
  auto requests =
      family("loki_latency_window_requests", "Accepted lines in the window.", MetricType::Gauge);
  auto sum =
      family("loki_latency_window_latency_sum_seconds",
             "Sum of accepted latencies in the window (mean = sum / requests).", MetricType::Gauge);
  auto ready =
      family("loki_latency_baseline_ready",
             "1 when the 7-day baseline has enough 5-minute buckets with data.", MetricType::Gauge);
  auto buckets = family("loki_latency_baseline_buckets",
                        "5-minute buckets with data in the last 7 days.", MetricType::Gauge);
  auto accepted = family("loki_latency_requests_total",
                         "Accepted lines since start, by HTTP status class.", MetricType::Counter);
  auto latency_sum = family("loki_latency_request_duration_seconds_total",
                            "Sum of accepted latencies since start.", MetricType::Counter);
  auto clamped = family("loki_latency_clamped_total",
                        "Accepted latencies outside 0.1ms-100s, counted in the edge buckets.",
                        MetricType::Counter);
  auto rejected = family("loki_latency_rejected_lines_total",
                         "Lines rejected by a data-quality gate, by service (unknown when none "
                         "could be told) and reason.",
                         MetricType::Counter);
  auto last_event = family("loki_latency_service_last_event_timestamp_seconds",
                           "Timestamp of the newest accepted line.", MetricType::Gauge);
  auto info = family("loki_latency_service_info", "Configured service metadata (always 1).",
                     MetricType::Gauge);
  std::size_t memory = 0;
  const std::size_t n = services.size();
  for (auto& q : quantiles) q.metric.reserve(3 * n);
  for (auto* f : {&requests, &sum}) f->metric.reserve(3 * n);
  for (auto* f : {&ready, &buckets, &latency_sum, &last_event, &info}) f->metric.reserve(n);
  accepted.metric.reserve(2 * n);
  rejected.metric.reserve(n + core::kRejectReasonCount);

  for (std::size_t i = 0; i < services.size() && i < snap.views.size(); ++i) {
    const auto& s = services[i];
    const auto& v = snap.views[i];
    memory += v.memory_bytes;
    info.metric.push_back(gauge(
        {{"service", s.id}, {"display_name", s.display_name}, {"team", s.team}, {"tier", s.tier}},
        1));
    const std::pair<const char*, const window::WindowStats*> windows[] = {
        {"5m", &v.last_5m}, {"1h", &v.last_1h}, {"7d", &v.baseline}};
    for (const auto& [name, w] : windows) {
      requests.metric.push_back(
          gauge({{"service", s.id}, {"window", name}}, static_cast<double>(w->count)));
      sum.metric.push_back(gauge({{"service", s.id}, {"window", name}}, w->sum_seconds));
      if (w->count == 0) continue;  // no quantile of nothing: absent, not NaN
      const double values[] = {w->p50, w->p95, w->p99};
      for (int q = 0; q < 3; ++q) {
        quantiles[q].metric.push_back(gauge({{"service", s.id}, {"window", name}}, values[q]));
      }
    }
    ready.metric.push_back(gauge({{"service", s.id}}, v.baseline_ready ? 1 : 0));
    buckets.metric.push_back(gauge({{"service", s.id}}, v.baseline_buckets));
    for (std::size_t c = 0; c < v.accepted_by_status.size(); ++c) {
      if (v.accepted_by_status[c] == 0) continue;
      accepted.metric.push_back(counter({{"service", s.id}, {"status_class", kStatusClass[c]}},
                                        static_cast<double>(v.accepted_by_status[c])));
    }
    latency_sum.metric.push_back(counter({{"service", s.id}}, v.latency_seconds_total));
    if (v.clamped_low_total > 0) {
      clamped.metric.push_back(counter({{"service", s.id}, {"side", "below"}},
                                       static_cast<double>(v.clamped_low_total)));
    }
    if (v.clamped_high_total > 0) {
      clamped.metric.push_back(counter({{"service", s.id}, {"side", "above"}},
                                       static_cast<double>(v.clamped_high_total)));
    }
    for (std::size_t r = 0; r < core::kRejectReasonCount; ++r) {
      if (v.rejects[r] == 0) continue;
      rejected.metric.push_back(counter(
          {{"service", s.id},
           {"reason", std::string(core::reject_reason_name(static_cast<core::RejectReason>(r)))}},
          static_cast<double>(v.rejects[r])));
    }
    if (v.accepted_total > 0) {
      last_event.metric.push_back(gauge({{"service", s.id}}, seconds(v.last_event_ns)));
    }
  }
  for (std::size_t r = 0; r < core::kRejectReasonCount; ++r) {
    if (snap.unknown_rejects[r] == 0) continue;
    rejected.metric.push_back(counter(
        {{"service", "unknown"},
         {"reason", std::string(core::reject_reason_name(static_cast<core::RejectReason>(r)))}},
        static_cast<double>(snap.unknown_rejects[r])));
  }

  const auto& in = state.status.input;
  auto lines = family("loki_latency_lines_read_total", "Log lines handed over by the input.",
                      MetricType::Counter);
  lines.metric.push_back(counter({}, static_cast<double>(in.lines_read)));
  auto records = family("loki_latency_input_records_total",
                        "JSON records read (tail messages, query responses, jsonl lines).",
                        MetricType::Counter);
  records.metric.push_back(counter({}, static_cast<double>(in.records_read)));
  auto input_errors =
      family("loki_latency_input_errors_total", "Input that could not be decoded at all, by kind.",
             MetricType::Counter);
  input_errors.metric.push_back(
      counter({{"kind", "malformed_record"}}, static_cast<double>(in.malformed_records)));
  input_errors.metric.push_back(
      counter({{"kind", "malformed_entry"}}, static_cast<double>(in.malformed_entries)));
  auto parse_time = family("loki_latency_parse_seconds_total",
                           "Time spent decoding, parsing and gating input.", MetricType::Counter);
  parse_time.metric.push_back(counter({}, in.parse_seconds_total));
  auto newest = family("loki_latency_last_event_timestamp_seconds",
                       "Timestamp of the newest line read.", MetricType::Gauge);
  newest.metric.push_back(gauge({}, seconds(in.last_event_ns)));
  auto state_time = family("loki_latency_state_timestamp_seconds",
                           "The event-time 'now' of the published state.", MetricType::Gauge);
  state_time.metric.push_back(gauge({}, seconds(snap.at_ns)));
  auto mem = family("loki_latency_sketch_memory_bytes",
                    "Memory held by all services' windows and sketches.", MetricType::Gauge);
  mem.metric.push_back(gauge({}, static_cast<double>(memory)));
  auto services_count = family("loki_latency_services", "Configured services.", MetricType::Gauge);
  services_count.metric.push_back(gauge({}, static_cast<double>(services.size())));
  auto build = family("loki_latency_build_info", "Build version and revision (always 1).",
                      MetricType::Gauge);
  build.metric.push_back(
      gauge({{"version", state.status.version}, {"revision", state.status.revision}}, 1));
  auto start =
      family("loki_latency_start_time_seconds", "When the exporter started.", MetricType::Gauge);
  start.metric.push_back(gauge({}, seconds(state.status.start_time_ns)));

  std::vector<MetricFamily> out;
  for (auto* f :
       {&quantiles[0], &quantiles[1], &quantiles[2],   &requests,     &sum,        &ready,
        &buckets,      &accepted,     &latency_sum,    &clamped,      &rejected,   &last_event,
        &info,         &lines,        &records,        &input_errors, &parse_time, &newest,
        &state_time,   &mem,          &services_count, &build,        &start}) {
    if (!f->metric.empty()) out.push_back(std::move(*f));
  }
  return out;
}

std::vector<prometheus::MetricFamily> StateCollectable::Collect() const {
  const auto state = latest_();
  if (!state) return {};
  return translate(*state);
}

}  // namespace lle::metrics
