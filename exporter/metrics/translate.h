#pragma once
// The translation from a published state to Prometheus metric families. Pure:
// the same inputs always give the same families, which golden tests pin down.
// Both come from one definition of what /metrics holds, so they cannot drift.

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/core/shard_status.h"
#include "exporter/metrics/text_render.h"
#include "exporter/window/store.h"

namespace lle::metrics {

// The exporter's own health, published together with each snapshot.
struct InputStatus {
  std::uint64_t lines_read = 0;    // entries handed over by the source
  std::uint64_t records_read = 0;  // JSON records (tail messages, responses, jsonl lines)
  std::uint64_t malformed_records = 0;
  std::uint64_t malformed_entries = 0;
  double parse_seconds_total = 0;  // time spent decoding, parsing and gating
  std::int64_t last_event_ns = 0;  // newest line timestamp seen
  // Read, but another fleet member's to count: its services' lines, and on
  // members other than 0 the lines no service claims (docs/fleet.md).
  std::uint64_t lines_elsewhere = 0;
};

// This exporter's place in its fleet (config::FleetConfig; 1 member: no fleet).
struct FleetStatus {
  int members = 1, member = 0;
};

// Configuration reloads and state snapshots: what the process itself did.
struct LifecycleStatus {
  bool last_reload_ok = true;  // the start's load counts as a successful one
  std::int64_t last_reload_ok_ns = 0;
  std::uint64_t reloads_ok = 0, reloads_failed = 0;
  std::uint64_t snapshots_written = 0, snapshot_failures = 0;
  std::int64_t last_snapshot_ok_ns = 0;  // 0 = none yet (or snapshots off)
  double last_snapshot_seconds = 0;      // encode + write of the last good one
  std::uint64_t last_snapshot_bytes = 0;
  // Thresholds changed through the API, and what each change set off.
  std::uint64_t threshold_changes = 0;
  std::uint64_t rules_writes_ok = 0, rules_writes_failed = 0;
  std::uint64_t prometheus_reloads_ok = 0, prometheus_reloads_failed = 0;
  // Connections the HTTP server refused because http.max_connections were open.
  std::uint64_t http_connections_refused = 0;
};

struct ExporterStatus {
  std::string version;
  std::string revision;
  std::int64_t start_time_ns = 0;
  InputStatus input;
  std::vector<core::ShardStatus> loki;  // empty without the Loki input
  LifecycleStatus lifecycle;
  FleetStatus fleet;
  // Published by an engine generation that has started: its snapshot restored, its
  // input begun, the services it is to fetch history for marked filling. Before
  // (the state a process or a reload publishes first) readiness is not yet known.
  bool running = false;
};

struct Published {
  window::Snapshot snapshot;
  ExporterStatus status;
};

std::vector<prometheus::MetricFamily> translate(const Published& state);

// What loki_latency_fleet_service_ready says of the published service at `i`: its
// history is fetched (it is not filling, and no cold start's backfill runs).
bool service_ready(const Published& state, std::size_t i);

// The same metrics as render_text(translate(state)), byte for byte, written
// straight into exposition text without building metric families: what /metrics
// serves. At 10,000 services the families alone are 250k heap-allocated
// ClientMetrics (see docs/perf/README.md).
std::string render_exposition(const Published& state);
// The same with the process's lifecycle as it is now rather than as published
// (reloads and threshold changes happen between publications, or after the last).
// classic_buckets: bounds (powers of two) of the latency histogram's classic
// buckets; none (the default): the text has no histogram. In OpenMetrics
// (kOpenMetricsContentType) each classic bucket carries the newest exemplar in it.
std::string render_exposition(const Published& state, const LifecycleStatus& lifecycle,
                              std::span<const double> classic_buckets = {},
                              TextFormat format = TextFormat::kPrometheus);

inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";
inline constexpr std::string_view kOpenMetricsContentType =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

inline constexpr std::string_view kProtobufContentType =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; "
    "encoding=delimited";

// The same families as render_exposition, as length-delimited protobuf
// MetricFamily messages (metrics::kProtobufContentType), plus what only protobuf
// carries: the native histogram per service, at `schema` (0 to 6: buckets grow by
// 2^(2^-schema); 6 is the sketch's own grid), with its exemplars (on the native
// histogram, and the newest in each classic bucket on that bucket).
std::string render_protobuf(const Published& state, const LifecycleStatus& lifecycle, int schema,
                            std::span<const double> classic_buckets = {});

// Serves translate() of whatever `latest` returns at scrape time.
// Thread safety: Collect() may run on any thread as long as `latest` may.
class StateCollectable final : public prometheus::Collectable {
 public:
  using Source = std::function<std::shared_ptr<const Published>()>;
  explicit StateCollectable(Source latest) : latest_(std::move(latest)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  Source latest_;
};

}  // namespace lle::metrics
