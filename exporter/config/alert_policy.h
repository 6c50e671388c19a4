#pragma once
// The alert policy (rules/alert-rules.yaml): per-service latency thresholds
// (50-1000 ms), `for` durations and severities as defaults with per-service
// overrides, the regression-against-baseline alert, the exporter's own alerts,
// and the links every alert carries. rulegen turns it into Prometheus rules.
// Thread safety: plain values; load_alert_policy() has no shared state.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lle::config {

struct ServiceConfig;

inline constexpr double kMinThresholdMs = 50, kMaxThresholdMs = 1000;

// Our severities, most urgent first. Alertmanager maps them onto PagerDuty's
// critical, error, warning and info (deploy/alertmanager/alertmanager.yml).
inline constexpr std::string_view kSeverities[] = {"critical", "high", "medium", "low"};

// A service's 5-minute P95 above threshold_ms for `for`.
struct LatencyAlert {
  double threshold_ms = 300;
  std::int64_t for_ns = 10 * 60'000'000'000LL;
  std::string severity = "high";
};

// A service's 5-minute P95 above factor x its 7-day baseline P95 for `for`,
// only while the baseline is ready.
struct RegressionAlert {
  double factor = 1.5;
  std::int64_t for_ns = 30 * 60'000'000'000LL;
  std::string severity = "medium";
};

// What one service overrides; unset = the default.
struct ServiceOverride {
  std::optional<double> threshold_ms;
  std::optional<std::int64_t> for_ns;
  std::optional<std::string> severity;
  std::optional<double> regression_factor;
};

// The exporter's own alerts (labelled service=<job>, team, severity).
struct ExporterAlerts {
  std::string job = "loki-latency-exporter";  // the Prometheus job that scrapes it
  std::string team = "observability";
  std::string severity = "medium";
  std::int64_t down_for_ns = 5 * 60'000'000'000LL;
  std::int64_t loki_disconnected_for_ns = 10 * 60'000'000'000LL;
  double max_ingest_lag_s = 300;
  double max_reject_ratio = 0.05;  // per service, over 15 minutes
};

struct AlertPolicy {
  std::string file;
  LatencyAlert latency;  // defaults
  RegressionAlert regression;
  std::map<std::string, ServiceOverride> services;  // by service id
  ExporterAlerts exporter;
  // Templates: {alert} is the alert's name in lower case (docs/alerting.md's
  // anchors), {service} the service id.
  std::string runbook_url;
  std::string dashboard_url;

  // The settings in force for one service: its overrides over the defaults.
  struct Effective {
    LatencyAlert latency;
    RegressionAlert regression;
    bool threshold_overridden = false;
  };
  Effective for_service(const std::string& id) const;
};

// Reads and validates the policy file. Overrides must name services of
// `services`; thresholds must lie within [kMinThresholdMs, kMaxThresholdMs].
// Throws ConfigError naming the file, line, YAML path and the bound.
AlertPolicy load_alert_policy(const std::string& file, const std::vector<ServiceConfig>& services);

}  // namespace lle::config
