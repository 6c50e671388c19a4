#include "exporter/metrics/translate.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <span>

#include "exporter/core/reject_reason.h"
#include "exporter/core/units.h"
#include "exporter/metrics/proto_render.h"
#include "exporter/metrics/text_render.h"

namespace lle::metrics {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Exemplars = std::span<const window::Exemplar>;  // oldest first

// For each classic bucket (bounds, then +Inf), the newest exemplar whose value is in it.
std::vector<const window::Exemplar*> classic_exemplars(Exemplars list,
                                                       std::span<const double> bounds) {
  std::vector<const window::Exemplar*> out(bounds.size() + 1, nullptr);
  for (const auto& e : list) {
    const auto b = std::lower_bound(bounds.begin(), bounds.end(), e.seconds) - bounds.begin();
    out[static_cast<std::size_t>(b)] = &e;
  }
  return out;
}

// Collects samples as prometheus-cpp metric families.
class FamilySink {
 public:
  void family(const char* name, const char* help, MetricType type, std::size_t expected) {
    end();
    current_ = MetricFamily{name, help, type, {}};
    current_.metric.reserve(expected);
  }
  void sample(std::initializer_list<LabelRef> labels, double value) {
    ClientMetric& m = current_.metric.emplace_back();
    m.label.reserve(labels.size());
    for (const auto& l : labels) m.label.push_back({std::string(l.name), std::string(l.value)});
    (current_.type == MetricType::Counter ? m.counter.value : m.gauge.value) = value;
  }
  // prometheus-cpp has no native histograms: the family stays out.
  void histogram(std::initializer_list<LabelRef>, const sketch::LatencySketch&, std::int64_t,
                 Exemplars) {}
  std::vector<MetricFamily> finish() {
    end();
    return std::move(out_);
  }

 private:
  void end() {
    if (!current_.metric.empty()) out_.push_back(std::move(current_));
    current_.metric.clear();
  }
  MetricFamily current_;
  std::vector<MetricFamily> out_;
};

// Writes samples straight into exposition text.
class TextSink {
 public:
  TextSink(std::string& out, std::span<const double> classic, TextFormat format)
      : writer_(out, format), classic_(classic) {
    for (const double bound : classic) le_.push_back(core::shortest_text(bound));
    le_.emplace_back("+Inf");
  }
  void family(const char* name, const char* help, MetricType type, std::size_t) {
    writer_.family(name, help, type);
  }
  void sample(std::initializer_list<LabelRef> labels, double value) {
    writer_.sample(labels, value);
  }
  // Text has no native histograms: classic buckets, if configured; in OpenMetrics
  // each with the newest exemplar in it.
  void histogram(std::initializer_list<LabelRef> labels, const sketch::LatencySketch& s,
                 std::int64_t, Exemplars exemplars) {
    if (classic_.empty()) return;
    const auto examples = classic_exemplars(exemplars, classic_);
    labels_.assign(labels);
    labels_.push_back({"le", ""});  // the last label; the others are the histogram's own
    const LabelRef* first = labels_.data();
    const LabelRef* own_end = first + labels.size();
    const auto counts = sketch::cumulative_counts(s, classic_);
    for (std::size_t i = 0; i <= counts.size(); ++i) {
      labels_.back().value = le_[i];
      writer_.sample("_bucket", first, own_end + 1,
                     static_cast<double>(i < counts.size() ? counts[i] : s.count()), 0,
                     examples[i]);
    }
    writer_.sample("_sum", first, own_end, s.sum());
    writer_.sample("_count", first, own_end, static_cast<double>(s.count()));
  }

 private:
  TextWriter writer_;
  std::span<const double> classic_;
  std::vector<std::string> le_;   // each bound as text, then "+Inf"
  std::vector<LabelRef> labels_;  // reused by histogram()
};

// Writes length-delimited MetricFamily messages, native histograms included.
class ProtoSink {
 public:
  ProtoSink(std::string& out, int schema, std::span<const double> classic)
      : writer_(out), schema_(schema), classic_(classic) {}
  void family(const char* name, const char* help, MetricType type, std::size_t) {
    writer_.family(name, help, type);
  }
  void sample(std::initializer_list<LabelRef> labels, double value) {
    writer_.sample(labels.begin(), labels.end(), value);
  }
  void histogram(std::initializer_list<LabelRef> labels, const sketch::LatencySketch& s,
                 std::int64_t created_ns, Exemplars exemplars) {
    writer_.histogram(
        labels.begin(), labels.end(), sketch::to_native(s, schema_), created_ns,
        {classic_, sketch::cumulative_counts(s, classic_), classic_exemplars(exemplars, classic_)},
        exemplars);
  }

 private:
  ProtoWriter writer_;
  int schema_;
  std::span<const double> classic_;
};

double seconds(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }

constexpr std::string_view kStatusClass[] = {"unknown", "1xx", "2xx", "3xx", "4xx", "5xx"};
constexpr std::string_view kWindows[] = {"5m", "1h", "7d"};

// A service's or a team's three windows.
template <class View>
std::array<const window::WindowStats*, 3> windows(const View& v) {
  return {&v.last_5m, &v.last_1h, &v.baseline};
}

// The names and help of the window families, for services and for teams.
struct WindowFamilies {
  const char* label;
  const char* quantile[3];
  const char* quantile_help[3];
  const char* requests[2];  // name, help
  const char* sum[2];
};

constexpr WindowFamilies kServiceWindows = {
    "service",
    {"loki_latency_window_p50_seconds", "loki_latency_window_p95_seconds",
     "loki_latency_window_p99_seconds"},
    {"Median latency of accepted lines over a sliding event-time window "
     "(5m: 1-minute slices; 1h: 5-minute buckets; 7d: hours, the baseline).",
     "95th percentile latency over the window (7d is the baseline).",
     "99th percentile latency over the window."},
    {"loki_latency_window_requests", "Accepted lines in the window."},
    {"loki_latency_window_latency_sum_seconds",
     "Sum of accepted latencies in the window (mean = sum / requests)."}};

constexpr WindowFamilies kTeamWindows = {
    "team",
    {"loki_latency_team_window_p50_seconds", "loki_latency_team_window_p95_seconds",
     "loki_latency_team_window_p99_seconds"},
    {"Median latency of all the team's services' lines over the window (an exact merge "
     "of their sketches, not an average).",
     "95th percentile latency of all the team's services' lines over the window.",
     "99th percentile latency of all the team's services' lines over the window."},
    {"loki_latency_team_window_requests", "Accepted lines of the team's services in the window."},
    {"loki_latency_team_window_latency_sum_seconds",
     "Sum of the team's accepted latencies in the window (mean = sum / requests)."}};

// One gauge family per quantile: a `quantile` label is reserved for summaries,
// and these are sliding-window values, not a summary's cumulative count/sum.
// each(f) calls f(label value, view) for every service or team.
template <class Sink, class Each>
void emit_windows(Sink& out, const WindowFamilies& names, std::size_t n, const Each& each) {
  for (int q = 0; q < 3; ++q) {
    out.family(names.quantile[q], names.quantile_help[q], MetricType::Gauge, 3 * n);
    each([&](std::string_view id, const auto& v) {
      const auto w = windows(v);
      for (int k = 0; k < 3; ++k) {
        if (w[k]->count == 0) continue;  // no quantile of nothing: absent, not NaN
        const double value[] = {w[k]->p50, w[k]->p95, w[k]->p99};
        out.sample({{names.label, id}, {"window", kWindows[k]}}, value[q]);
      }
    });
  }
  out.family(names.requests[0], names.requests[1], MetricType::Gauge, 3 * n);
  each([&](std::string_view id, const auto& v) {
    const auto w = windows(v);
    for (int k = 0; k < 3; ++k)
      out.sample({{names.label, id}, {"window", kWindows[k]}}, static_cast<double>(w[k]->count));
  });
  out.family(names.sum[0], names.sum[1], MetricType::Gauge, 3 * n);
  each([&](std::string_view id, const auto& v) {
    const auto w = windows(v);
    for (int k = 0; k < 3; ++k)
      out.sample({{names.label, id}, {"window", kWindows[k]}}, w[k]->sum_seconds);
  });
}

// The one definition of what /metrics holds, family by family (the exposition
// format wants a family's samples together), services in configured order.
template <class Sink>
void emit(const Published& state, const LifecycleStatus& life, Sink& out) {
  const auto& snap = state.snapshot;
  const auto& services = *snap.services;
  const std::size_t n = std::min(services.size(), snap.views.size());
  const auto each = [&](auto&& f) {
    for (std::size_t i = 0; i < n; ++i) f(std::string_view(services[i].id), snap.views[i]);
  };

  emit_windows(out, kServiceWindows, n, each);
  emit_windows(out, kTeamWindows, snap.teams.size(), [&](auto&& f) {
    for (const auto& t : snap.teams) f(std::string_view(t.team), t);
  });
  out.family("loki_latency_baseline_ready",
             "1 when the 7-day baseline has enough 5-minute buckets with data.", MetricType::Gauge,
             n);
  each([&](std::string_view id, const window::ServiceView& v) {
    out.sample({{"service", id}}, v.baseline_ready ? 1 : 0);
  });
  out.family("loki_latency_fleet_service_ready",
             "0 while the service's history is being fetched (a cold start's backfill, or moved "
             "here by a fleet rescale, or added): generated alerts ignore it then; else 1.",
             MetricType::Gauge, n);
  for (std::size_t i = 0; i < n; ++i)
    out.sample({{"service", services[i].id}}, service_ready(state, i) ? 1 : 0);
  // Only while there are some: a fleet member's /metrics has it for a grace period
  // after a rescale, and nothing else ever does.
  const auto leaving = static_cast<std::size_t>(
      std::count_if(services.begin(), services.begin() + static_cast<std::ptrdiff_t>(n),
                    [](const core::ServiceInfo& s) { return s.leaving; }));
  if (leaving > 0) {
    out.family("loki_latency_fleet_service_leaving",
               "1 while another fleet member owns the service since a rescale and this one "
               "serves it for the handoff's grace period; generated rules prefer the new "
               "owner's series once it is ready.",
               MetricType::Gauge, leaving);
    for (std::size_t i = 0; i < n; ++i)
      if (services[i].leaving) out.sample({{"service", services[i].id}}, 1);
  }
  out.family("loki_latency_baseline_buckets", "5-minute buckets with data in the last 7 days.",
             MetricType::Gauge, n);
  each([&](std::string_view id, const window::ServiceView& v) {
    out.sample({{"service", id}}, v.baseline_buckets);
  });
  // A service with a latency SLO has its SLO's counters from 0, before its first line:
  // rate() and increase() miss a series' first value, and its ratios would too.
  out.family("loki_latency_requests_total", "Accepted lines since start, by HTTP status class.",
             MetricType::Counter, 2 * n);
  each([&](std::string_view id, const window::ServiceView& v) {
    for (std::size_t c = 0; c < v.accepted_by_status.size(); ++c) {
      if (v.accepted_by_status[c] == 0 && !v.slo.budget) continue;
      out.sample({{"service", id}, {"status_class", kStatusClass[c]}},
                 static_cast<double>(v.accepted_by_status[c]));
    }
  });
  std::vector<std::string> thresholds;
  if (snap.slow) {
    for (const double ms : snap.slow->ms) thresholds.push_back(core::ms_as_seconds_text(ms));
  }
  out.family("loki_latency_slow_requests_total",
             "Accepted lines slower than the threshold (seconds), compared exactly: the "
             "latency SLOs' bad events (docs/metrics.md).",
             MetricType::Counter, thresholds.size() * n);
  each([&](std::string_view id, const window::ServiceView& v) {
    if (v.accepted_total == 0 && !v.slo.budget) return;
    for (std::size_t i = 0; i < thresholds.size(); ++i)
      out.sample({{"service", id}, {"threshold", thresholds[i]}},
                 static_cast<double>(v.slow_total[i]));
  });
  // Each latency SLO's budget over its whole period, from the exporter's own daily
  // counts, so that it needs no 30 days of Prometheus history.
  out.family("loki_latency_slo_error_budget_remaining_ratio",
             "Share of the latency SLO's error budget left over its period: 1 - (slow / total) "
             "/ (1 - objective); 1 without lines, below 0 once overspent.",
             MetricType::Gauge, n);
  each([&](std::string_view id, const window::ServiceView& v) {
    if (!v.slo.budget) return;
    out.sample({{"service", id}}, v.slo.remaining());
  });
  out.family("loki_latency_slo_period_requests",
             "Accepted lines of the latency SLO's budget period (today, UTC, and the days "
             "before it).",
             MetricType::Gauge, n);
  each([&](std::string_view id, const window::ServiceView& v) {
    if (v.slo.budget) out.sample({{"service", id}}, static_cast<double>(v.slo.total));
  });
  out.family("loki_latency_slo_period_slow_requests",
             "Accepted lines of the latency SLO's budget period slower than its threshold.",
             MetricType::Gauge, n);
  each([&](std::string_view id, const window::ServiceView& v) {
    if (v.slo.budget) out.sample({{"service", id}}, static_cast<double>(v.slo.slow));
  });
  out.family("loki_latency_slo_burn_rate",
             "The latency SLO's burn rate over the window's whole hours (by each line's "
             "timestamp) up to the last one no line can still reach: share of slow lines / "
             "(1 - objective); absent without lines.",
             MetricType::Gauge, n);
  each([&](std::string_view id, const window::ServiceView& v) {
    if (!v.slo.budget) return;
    for (std::size_t w = 0; w < window::kBurnWindows.size(); ++w) {
      if (std::isnan(v.slo.burn_rates[w])) continue;
      out.sample({{"service", id}, {"window", window::kBurnWindows[w].name}}, v.slo.burn_rates[w]);
    }
  });
  out.family("loki_latency_request_duration_seconds_total",
             "Sum of accepted latencies since start.", MetricType::Counter, n);
  each([&](std::string_view id, const window::ServiceView& v) {
    out.sample({{"service", id}}, v.latency_seconds_total);
  });
  out.family("loki_latency_request_duration_seconds",
             "Latency of every accepted line since the state began: a native histogram in "
             "protobuf scrapes, classic buckets where configured (docs/metrics.md).",
             MetricType::Histogram, n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& v = snap.views[i];
    const auto* newest = i < snap.exemplars.size() ? snap.exemplars[i].newest.get() : nullptr;
    if (v.accepted_total > 0 && v.lifetime)
      out.histogram({{"service", services[i].id}, {"team", services[i].team}}, *v.lifetime,
                    v.first_event_ns, newest ? Exemplars(*newest) : Exemplars());
  }
  out.family("loki_latency_clamped_total",
             "Accepted latencies outside 0.1ms-100s, counted in the edge buckets.",
             MetricType::Counter, 0);
  each([&](std::string_view id, const window::ServiceView& v) {
    if (v.clamped_low_total > 0)
      out.sample({{"service", id}, {"side", "below"}}, static_cast<double>(v.clamped_low_total));
    if (v.clamped_high_total > 0)
      out.sample({{"service", id}, {"side", "above"}}, static_cast<double>(v.clamped_high_total));
  });
  out.family("loki_latency_rejected_lines_total",
             "Lines rejected by a data-quality gate, by service (unknown when none could be "
             "told) and reason.",
             MetricType::Counter, n + core::kRejectReasonCount);
  const auto rejects = [&](std::string_view id, const core::RejectCounts& counts) {
    for (std::size_t r = 0; r < core::kRejectReasonCount; ++r) {
      if (counts[r] == 0) continue;
      out.sample({{"service", id},
                  {"reason", core::reject_reason_name(static_cast<core::RejectReason>(r))}},
                 static_cast<double>(counts[r]));
    }
  };
  each([&](std::string_view id, const window::ServiceView& v) { rejects(id, v.rejects); });
  rejects("unknown", snap.unknown_rejects);
  out.family("loki_latency_service_last_event_timestamp_seconds",
             "Timestamp of the newest accepted line.", MetricType::Gauge, n);
  each([&](std::string_view id, const window::ServiceView& v) {
    if (v.accepted_total > 0) out.sample({{"service", id}}, seconds(v.last_event_ns));
  });
  out.family("loki_latency_service_info", "Configured service metadata (always 1).",
             MetricType::Gauge, n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& s = services[i];
    out.sample(
        {{"service", s.id}, {"display_name", s.display_name}, {"team", s.team}, {"tier", s.tier}},
        1);
  }

  const auto single = [&](const char* name, const char* help, MetricType type, double value) {
    out.family(name, help, type, 1);
    out.sample({}, value);
  };
  const auto& in = state.status.input;
  single("loki_latency_lines_read_total", "Log lines handed over by the input.",
         MetricType::Counter, static_cast<double>(in.lines_read));
  single("loki_latency_input_records_total",
         "JSON records read (tail messages, query responses, jsonl lines).", MetricType::Counter,
         static_cast<double>(in.records_read));
  out.family("loki_latency_input_errors_total", "Input that could not be decoded at all, by kind.",
             MetricType::Counter, 2);
  out.sample({{"kind", "malformed_record"}}, static_cast<double>(in.malformed_records));
  out.sample({{"kind", "malformed_entry"}}, static_cast<double>(in.malformed_entries));
  single("loki_latency_parse_seconds_total", "Time spent decoding, parsing and gating input.",
         MetricType::Counter, in.parse_seconds_total);
  single("loki_latency_last_event_timestamp_seconds",
         "Timestamp of the newest line read, not counting lines from the future.",
         MetricType::Gauge, seconds(in.last_event_ns));
  single("loki_latency_state_timestamp_seconds", "The event-time 'now' of the published state.",
         MetricType::Gauge, seconds(snap.at_ns));
  std::size_t memory = 0;
  for (std::size_t i = 0; i < n; ++i) memory += snap.views[i].memory_bytes;
  single("loki_latency_sketch_memory_bytes", "Memory held by all services' windows and sketches.",
         MetricType::Gauge, static_cast<double>(memory));
  single("loki_latency_services", "Configured services.", MetricType::Gauge,
         static_cast<double>(services.size()));
  out.family("loki_latency_build_info", "Build version and revision (always 1).", MetricType::Gauge,
             1);
  out.sample({{"version", state.status.version}, {"revision", state.status.revision}}, 1);
  const auto& fleet = state.status.fleet;
  out.family("loki_latency_fleet_info",
             "This exporter's member number in its fleet, of how many (always 1; members=\"1\": "
             "no fleet).",
             MetricType::Gauge, 1);
  out.sample({{"member", std::to_string(fleet.member)}, {"members", std::to_string(fleet.members)}},
             1);
  single("loki_latency_fleet_owned_services", "Services this fleet member owns and serves.",
         MetricType::Gauge,
         static_cast<double>(std::count_if(services.begin(), services.end(),
                                           [](const core::ServiceInfo& s) { return !s.leaving; })));
  single("loki_latency_fleet_lines_elsewhere_total",
         "Lines read that another fleet member counts: its services' lines, and lines no service "
         "claims unless this is member 0.",
         MetricType::Counter, static_cast<double>(in.lines_elsewhere));
  single("loki_latency_start_time_seconds", "When the exporter started.", MetricType::Gauge,
         seconds(state.status.start_time_ns));
  // A counter of successes and failures.
  const auto by_result = [&](const char* name, const char* help, std::uint64_t ok,
                             std::uint64_t failed) {
    out.family(name, help, MetricType::Counter, 2);
    out.sample({{"result", "success"}}, static_cast<double>(ok));
    out.sample({{"result", "failure"}}, static_cast<double>(failed));
  };
  single("loki_latency_config_last_reload_successful",
         "1 if the last configuration load (start, SIGHUP or POST /-/reload) succeeded.",
         MetricType::Gauge, life.last_reload_ok ? 1 : 0);
  single("loki_latency_config_last_reload_success_timestamp_seconds",
         "When the configuration in force was loaded.", MetricType::Gauge,
         seconds(life.last_reload_ok_ns));
  by_result("loki_latency_config_reloads_total",
            "Configuration reloads since the start, by result (a failed one keeps the old "
            "configuration in force).",
            life.reloads_ok, life.reloads_failed);
  single("loki_latency_state_snapshots_total", "State snapshots written (state.dir).",
         MetricType::Counter, static_cast<double>(life.snapshots_written));
  single("loki_latency_state_snapshot_failures_total",
         "State snapshots that could not be written (retried at the next interval).",
         MetricType::Counter, static_cast<double>(life.snapshot_failures));
  single("loki_latency_state_snapshot_last_success_timestamp_seconds",
         "When the last state snapshot was written (0: none yet).", MetricType::Gauge,
         seconds(life.last_snapshot_ok_ns));
  single("loki_latency_state_snapshot_duration_seconds",
         "How long the last state snapshot took to encode and write.", MetricType::Gauge,
         life.last_snapshot_seconds);
  single("loki_latency_state_snapshot_bytes", "Size of the last state snapshot written.",
         MetricType::Gauge, static_cast<double>(life.last_snapshot_bytes));
  single("loki_latency_threshold_changes_total", "Alert thresholds changed through the API.",
         MetricType::Counter, static_cast<double>(life.threshold_changes));
  by_result("loki_latency_rules_file_writes_total",
            "Rule files regenerated after a threshold change, by result.", life.rules_writes_ok,
            life.rules_writes_failed);
  by_result("loki_latency_prometheus_reloads_total",
            "Requests to Prometheus to reload its rules after a change, by result (after "
            "retries).",
            life.prometheus_reloads_ok, life.prometheus_reloads_failed);
  single("loki_latency_http_connections_refused_total",
         "Connections to this exporter answered 503 and closed because http.max_connections "
         "were open.",
         MetricType::Counter, static_cast<double>(life.http_connections_refused));

  // The Loki input, per shard (a tail connection or a poller).
  const auto& shards = state.status.loki;
  std::vector<std::string> shard_ids;
  for (std::size_t i = 0; i < shards.size(); ++i) shard_ids.push_back(std::to_string(i));
  const auto per_shard = [&](const char* name, const char* help, MetricType type, auto value) {
    out.family(name, help, type, shards.size());
    for (std::size_t i = 0; i < shards.size(); ++i)
      out.sample({{"shard", shard_ids[i]}}, static_cast<double>(value(shards[i])));
  };
  using Shard = core::ShardStatus;
  out.family("loki_latency_loki_shard_info", "The stream selector each shard asks Loki for.",
             MetricType::Gauge, shards.size());
  for (std::size_t i = 0; i < shards.size(); ++i)
    out.sample({{"shard", shard_ids[i]}, {"selector", shards[i].selector}}, 1);
  per_shard("loki_latency_loki_connected", "1 while the shard's tail (or last poll) is up.",
            MetricType::Gauge, [](const Shard& s) { return s.connected ? 1 : 0; });
  out.family("loki_latency_loki_reconnects_total",
             "Tail sessions that ended, by how (max_duration, close_<code>, dropped, timeout, "
             "refused, http_<status>, error, poll_error).",
             MetricType::Counter, shards.size());
  for (std::size_t i = 0; i < shards.size(); ++i)
    for (const auto& [reason, n] : shards[i].reconnects)
      out.sample({{"shard", shard_ids[i]}, {"reason", reason}}, static_cast<double>(n));
  per_shard("loki_latency_loki_messages_total", "Tail messages received.", MetricType::Counter,
            [](const Shard& s) { return s.messages; });
  per_shard("loki_latency_loki_received_bytes_total", "Bytes of tail messages received.",
            MetricType::Counter, [](const Shard& s) { return s.bytes; });
  per_shard("loki_latency_loki_lines_total",
            "Distinct lines handed to the parser (tail, poll, repair or backfill).",
            MetricType::Counter, [](const Shard& s) { return s.lines_received; });
  per_shard("loki_latency_loki_duplicate_lines_total",
            "Lines delivered again (resumed tail, repair pages) and dropped.", MetricType::Counter,
            [](const Shard& s) { return s.duplicates; });
  per_shard("loki_latency_loki_malformed_messages_total", "Tail messages that were not valid.",
            MetricType::Counter, [](const Shard& s) { return s.malformed_messages; });
  per_shard("loki_latency_loki_dropped_entries_total",
            "Entries the tail reported as dropped (a lower bound of what it lost).",
            MetricType::Counter, [](const Shard& s) { return s.dropped_entries; });
  per_shard("loki_latency_loki_repaired_lines_total",
            "Lines the tail lost, fetched through query_range after a count mismatch.",
            MetricType::Counter, [](const Shard& s) { return s.lines_repaired; });
  per_shard("loki_latency_loki_unrepaired_lines_total",
            "Lines Loki counted that could not be fetched by a minute's last check.",
            MetricType::Counter, [](const Shard& s) { return s.unrepaired_lines; });
  per_shard("loki_latency_loki_excess_lines_total",
            "Lines received beyond Loki's own count at a minute's last check (should stay 0).",
            MetricType::Counter, [](const Shard& s) { return s.excess_lines; });
  per_shard("loki_latency_loki_late_lines_total",
            "Lines for a minute no longer tracked, handed over without de-duplication.",
            MetricType::Counter, [](const Shard& s) { return s.late_lines; });
  per_shard("loki_latency_loki_reconciled_minutes_total",
            "Minutes compared with Loki's count for the last time.", MetricType::Counter,
            [](const Shard& s) { return s.minutes_reconciled; });
  per_shard("loki_latency_loki_reconcile_errors_total",
            "Count or repair queries that failed (retried on the next tick).", MetricType::Counter,
            [](const Shard& s) { return s.reconcile_errors; });
  per_shard("loki_latency_loki_backfill_lines_total",
            "Lines backfills fetched: a cold start's, and the history of services new to this "
            "exporter (moved here by a fleet rescale, or added).",
            MetricType::Counter, [](const Shard& s) { return s.backfill_lines; });
  per_shard("loki_latency_loki_ledger_bytes",
            "Memory held by the shard's per-minute line identities.", MetricType::Gauge,
            [](const Shard& s) { return s.ledger_bytes; });
  out.family("loki_latency_loki_ingest_lag_seconds",
             "The state's time minus the newest line the shard received.", MetricType::Gauge,
             shards.size());
  for (std::size_t i = 0; i < shards.size(); ++i) {
    if (shards[i].newest_line_ns != 0)
      out.sample({{"shard", shard_ids[i]}}, seconds(snap.at_ns - shards[i].newest_line_ns));
  }
}

}  // namespace

bool service_ready(const Published& state, std::size_t i) {
  const auto& loki = state.status.loki;
  return !state.snapshot.views[i].filling &&
         std::none_of(loki.begin(), loki.end(), [](const auto& s) { return s.backfilling; });
}

std::vector<MetricFamily> translate(const Published& state) {
  FamilySink sink;
  emit(state, state.status.lifecycle, sink);
  return sink.finish();
}

std::string render_exposition(const Published& state) {
  return render_exposition(state, state.status.lifecycle);
}

std::string render_exposition(const Published& state, const LifecycleStatus& lifecycle,
                              std::span<const double> classic_buckets, TextFormat format) {
  std::string out;
  const std::size_t n = state.snapshot.views.size();
  // About 2 KiB of text per service, and about 100 bytes per classic series.
  out.reserve(4096 +
              n * (2048 + (classic_buckets.empty() ? 0 : 100 * (classic_buckets.size() + 3))));
  TextSink sink(out, classic_buckets, format);
  emit(state, lifecycle, sink);
  if (format == TextFormat::kOpenMetrics) out += "# EOF\n";
  return out;
}

std::string render_protobuf(const Published& state, const LifecycleStatus& lifecycle, int schema,
                            std::span<const double> classic_buckets) {
  std::string out;
  out.reserve(4096 + state.snapshot.views.size() * 1024);
  {
    ProtoSink sink(out, schema, classic_buckets);
    emit(state, lifecycle, sink);
  }  // the last family is written as the sink goes
  return out;
}

std::vector<prometheus::MetricFamily> StateCollectable::Collect() const {
  const auto state = latest_();
  if (!state) return {};
  return translate(*state);
}

}  // namespace lle::metrics
