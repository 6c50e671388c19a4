#pragma once
// Prometheus rules from the alert policy and services.yaml: per-service
// thresholds as recording rules (so dashboards draw the same line the alerts
// use), the 5-minute P95 and 7-day baseline recording rules, team and fleet P95
// from the native histograms, the latency and regression alerts per service,
// each SLO's error ratios and burn-rate alerts, and the exporter's own alerts.
// Pure and deterministic: services in id order, fixed key order, so that a diff
// of two generated files shows only real changes.
// Thread safety: free functions without shared state.

#include <cstdint>
#include <string>

#include "exporter/config/config.h"

namespace lle::rulegen {

enum class Format {
  kPrometheus,      // a rule file for Prometheus' rule_files
  kPrometheusRule,  // the Prometheus Operator's PrometheusRule object around the same groups
  // Sloth's prometheus/v1 spec, one YAML document per service with an SLO, whose
  // error and total queries are the exporter's exact counters (for teams that run
  // Sloth: it then writes the SLO rules and alerts instead of this generator).
  kSloth,
};

// Recording rules the alerts and the dashboard share.
inline constexpr const char* kThresholdRule = "service:loki_latency_threshold_seconds:config";
inline constexpr const char* kP95Rule = "service:loki_latency_p95_seconds:5m";
inline constexpr const char* kBaselineRule = "service:loki_latency_baseline_p95_seconds:7d";
// Aggregates of the native histograms (protobuf scrapes, docs/dashboard.md): a team's
// and the whole fleet's P95 over 5 minutes, every replica and service summed.
inline constexpr const char* kTeamP95Rule = "team:loki_latency_p95_seconds:rate5m";
inline constexpr const char* kFleetP95Rule = "job:loki_latency_p95_seconds:rate5m";
// Fleet mode (docs/fleet.md): the (service, instance) series the other rules leave
// out: a member's while it fetches the service's history, and, once the new owner
// has it ready, the old owner's that serves it for the handoff's grace period.
inline constexpr const char* kLeftOutRule = "service_instance:loki_latency_fleet_left_out";
// Latency SLOs: a service's objective, and the share of its requests slower than
// its SLO's threshold over a window (the name ends with the window: ...rate5m).
inline constexpr const char* kSloObjectiveRule = "service:loki_latency_slo_objective:ratio";
inline constexpr const char* kSloErrorRatioRule = "service:loki_latency_slo_errors:ratio_rate";

// Throws std::invalid_argument if cfg has no alert policy.
std::string generate(const config::Config& cfg, Format format);

// A Prometheus duration: 90 s -> "1m30s", 30 days -> "30d", 0 -> "0s".
std::string prometheus_duration(std::int64_t ns);

}  // namespace lle::rulegen
