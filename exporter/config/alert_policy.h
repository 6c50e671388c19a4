#pragma once
// The alert policy (rules/alert-rules.yaml): per-service latency thresholds
// (50-1000 ms), `for` durations and severities as defaults with per-service
// overrides, the regression-against-baseline alert, latency SLOs (per service or
// as a team's default) and which alerts a service uses, the exporter's own
// alerts, and the links every alert carries. rulegen turns it into Prometheus rules.
// Thread safety: plain values; load_alert_policy() has no shared state.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/core/clock.h"

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

inline constexpr std::int64_t kDayNs = core::kNanosPerDay;

// A latency SLO: at least `objective` of the service's requests take at most
// threshold_ms, over a rolling `period`. Resolved at load: a threshold the policy
// does not give is the service's alert threshold in the policy file (a threshold
// changed through the API does not move it).
struct Slo {
  double objective = 0;
  double threshold_ms = 0;
  std::int64_t period_ns = 30 * kDayNs;
};

// The bounds the policy accepts (and the API's backtest).
inline constexpr double kSloObjectiveMin = 0.5, kSloObjectiveMax = 0.99999;
inline constexpr int kSloPeriodMaxDays = 90;

// The multiwindow, multi-burn-rate alerts of the SRE Workbook (chapter 5, table
// 5-8): a clause fires when both its windows burn the error budget faster than
// spending `budget_share` of it in the long window would (rulegen writes them,
// api's backtest replays them).
struct BurnClause {
  std::int64_t long_ns, short_ns;
  double budget_share;
  // The burn rate both windows must exceed, for an SLO of this period (14.4 for 2%
  // of a 30-day budget in 1 hour).
  double factor(std::int64_t period_ns) const {
    return budget_share * static_cast<double>(period_ns) / static_cast<double>(long_ns);
  }
};
inline constexpr BurnClause kPageClauses[] = {
    {core::kNanosPerHour, 5 * core::kNanosPerMinute, 0.02},
    {6 * core::kNanosPerHour, 30 * core::kNanosPerMinute, 0.05}};
inline constexpr BurnClause kTicketClauses[] = {
    {24 * core::kNanosPerHour, 2 * core::kNanosPerHour, 0.1},
    {72 * core::kNanosPerHour, 6 * core::kNanosPerHour, 0.1}};

// What the SLO alerts of every service share (defaults.slo).
struct SloAlerting {
  // Requests an alert's long window must hold before it fires: a handful of slow
  // requests out of a handful cannot page.
  double min_requests = 100;
  std::string page_severity = "critical";
  std::string ticket_severity = "low";
};

// Which alerts watch a service's latency: the P95 threshold alert, the SLO's
// burn-rate alerts, or both (the default for a service with an SLO).
enum class AlertOn { kThreshold, kSlo, kBoth };

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
  SloAlerting slo_alerting;
  std::map<std::string, Slo> slos;          // by service id: the services with an SLO
  std::map<std::string, AlertOn> alert_on;  // by service id, every service
  // Templates: {alert} is the alert's name in lower case (docs/alerting.md's
  // anchors), {service} the service id.
  std::string runbook_url;
  std::string dashboard_url;

  // The settings in force for one service: its overrides over the defaults.
  struct Effective {
    LatencyAlert latency;
    RegressionAlert regression;
    bool threshold_overridden = false;
    std::optional<Slo> slo;
    bool threshold_alert = true, slo_alerts = false;
  };
  Effective for_service(const std::string& id) const;
};

// Reads and validates the policy file. Overrides must name services of
// `services`, team defaults their teams; thresholds (SLOs' too) must lie within
// [kMinThresholdMs, kMaxThresholdMs].
// Throws ConfigError naming the file, line, YAML path and the bound.
AlertPolicy load_alert_policy(const std::string& file, const std::vector<ServiceConfig>& services);

}  // namespace lle::config
