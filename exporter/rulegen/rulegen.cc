#include "exporter/rulegen/rulegen.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <span>
#include <stdexcept>
#include <utility>
#include <vector>

#include "exporter/core/clock.h"
#include "exporter/core/units.h"

namespace lle::rulegen {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

std::string number(double v) { return core::shortest_text(v); }

// v rounded to 1e-9, so that 1 - 0.99 reads 0.01 and not 0.010000000000000009.
std::string rounded(double v) { return number(std::round(v * 1e9) / 1e9); }

std::string replace_all(std::string s, std::string_view from, const std::string& to) {
  for (std::size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size())
    s.replace(at, from.size(), to);
  return s;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

struct Rule {
  std::string kind, name, expr;  // kind: "record" or "alert"
  std::int64_t for_ns = 0;
  Labels labels, annotations;
};

struct Group {
  std::string name;
  std::vector<Rule> rules;
};

// Every service of the fleet: the rules are the same on every member.
std::vector<const config::ServiceConfig*> sorted_services(const config::Config& cfg) {
  std::vector<const config::ServiceConfig*> services;
  for (const auto& s : cfg.services) services.push_back(&s);
  for (const auto& s : cfg.fleet.elsewhere) services.push_back(&s);
  std::sort(services.begin(), services.end(),
            [](auto* a, auto* b) { return a->info.id < b->info.id; });
  return services;
}

class Builder {
 public:
  explicit Builder(const config::AlertPolicy& p) : p_(p) {}

  // A link template of the policy for one alert of one service.
  std::string link(const std::string& tmpl, const std::string& alert,
                   const std::string& service) const {
    return replace_all(replace_all(tmpl, "{alert}", lower(alert)), "{service}", service);
  }

  Rule alert(const std::string& name, const std::string& expr, std::int64_t for_ns,
             const std::string& service, Labels labels, const std::string& summary,
             const std::string& description) const {
    Rule r{"alert", name, expr, for_ns, std::move(labels), {}};
    r.annotations = {{"summary", summary},
                     {"description", description},
                     {"runbook_url", link(p_.runbook_url, name, service)},
                     {"dashboard_url", link(p_.dashboard_url, name, service)}};
    return r;
  }

 private:
  const config::AlertPolicy& p_;
};

using config::BurnClause, config::kPageClauses, config::kTicketClauses;
constexpr std::int64_t kMinuteNs = core::kNanosPerMinute, kHourNs = core::kNanosPerHour;
// Every window a clause reads, recorded once per service.
constexpr std::int64_t kSloWindows[] = {5 * kMinuteNs, 30 * kMinuteNs, kHourNs,     2 * kHourNs,
                                        6 * kHourNs,   24 * kHourNs,   72 * kHourNs};

// A service's exact SLO counters, as selectors: its requests slower than the SLO's
// threshold, and all its requests.
struct SloCounters {
  std::string slow, all;
};
SloCounters slo_counters(const std::string& job, const std::string& id, double threshold_ms) {
  const std::string sel = "{" + job + ", service=\"" + id + "\"";
  return {"loki_latency_slow_requests_total" + sel + ", threshold=\"" +
              core::ms_as_seconds_text(threshold_ms) + "\"}",
          "loki_latency_requests_total" + sel + "}"};
}

// kLeftOutRule: a member still fetching the service's history (moved to it, or new:
// loki_latency_fleet_service_ready 0), and a member serving it for the handoff's
// grace period (loki_latency_fleet_service_leaving 1) once another has it ready.
std::string left_out(const std::string& job) {
  const std::string ready = "loki_latency_fleet_service_ready{" + job + "}";
  const std::string leaving = "loki_latency_fleet_service_leaving{" + job + "}";
  return ready + " == 0 or (" + leaving + " == 1 and on (service) (" + ready +
         " == 1 unless on (service, instance) " + leaving + "))";
}

// A service's series as the rules read them: only from the member that serves it
// completely (one, but for the moment a handoff's new owner becomes ready).
std::string chosen(const std::string& series) {
  return "(" + series + " unless on (service, instance) " + kLeftOutRule + ")";
}

std::string slo_ratio_rule(std::int64_t window_ns) {
  return std::string(kSloErrorRatioRule) + prometheus_duration(window_ns);
}

// Recording rules of each service's SLO (its objective; the share of slow requests
// over each window) and its page and ticket alerts.
Group slo_group(const std::vector<const config::ServiceConfig*>& services,
                const config::AlertPolicy& p, const Builder& b, const std::string& job) {
  Group g{"loki-latency-exporter.slo", {}};
  for (const auto* s : services) {
    const auto& id = s->info.id;
    const auto e = p.for_service(id);
    if (!e.slo) continue;
    const config::Slo& slo = *e.slo;
    const Labels labels = {{"service", id}, {"team", s->info.team}};
    g.rules.push_back(
        {"record", kSloObjectiveRule, "vector(" + rounded(slo.objective) + ")", 0, labels, {}});
    // Not a structured binding: clang 14 (the fuzz build) cannot capture one.
    const SloCounters counters = slo_counters(job, id, slo.threshold_ms);
    const std::string& slow = counters.slow;
    const std::string& all = counters.all;
    for (const std::int64_t w : kSloWindows) {
      const std::string range = "[" + prometheus_duration(w) + "]";
      g.rules.push_back({"record",
                         slo_ratio_rule(w),
                         "sum by (service) " + chosen("rate(" + slow + range + ")") +
                             " / sum by (service) " + chosen("rate(" + all + range + ")"),
                         0,
                         labels,
                         {}});
    }
    if (!e.slo_alerts) continue;
    const double budget = std::round((1 - slo.objective) * 1e12) / 1e12;
    const std::string objective = rounded(slo.objective * 100) + "% of requests within " +
                                  number(slo.threshold_ms) + " ms over " +
                                  prometheus_duration(slo.period_ns);
    const auto alert = [&](const char* name, std::span<const BurnClause> clauses,
                           const std::string& severity, const char* what) {
      std::string expr, windows;
      for (const BurnClause& c : clauses) {
        const std::string factor = rounded(c.factor(slo.period_ns));
        const auto over = [&](std::int64_t w) {
          return slo_ratio_rule(w) + "{service=\"" + id + "\"} / " + number(budget) + " > " +
                 factor;
        };
        expr += std::string(expr.empty() ? "" : "\nor\n") + "(" + over(c.long_ns) + "\nand " +
                over(c.short_ns) + "\nand on (service) sum by (service) " +
                chosen("increase(" + all + "[" + prometheus_duration(c.long_ns) + "])") +
                " >= " + number(p.slo_alerting.min_requests) + ")";
        windows += std::string(windows.empty() ? "" : ", or ") + prometheus_duration(c.long_ns) +
                   " and " + prometheus_duration(c.short_ns) + " above " + factor + "x";
      }
      g.rules.push_back(b.alert(
          name, expr, 0, id, {{"service", id}, {"team", s->info.team}, {"severity", severity}},
          id + ": latency error budget burning {{ $value | printf \"%.1f\" }}x (SLO: " + objective +
              ")",
          std::string(what) + " " + s->info.display_name + " (" + id + ", team " + s->info.team +
              ") has more requests slower than " + number(slo.threshold_ms) +
              " ms than its objective of " + rounded(slo.objective * 100) +
              "% allows, over both windows of a burn-rate condition (" + windows +
              "; 1x spends the " + prometheus_duration(slo.period_ns) +
              " budget in exactly that period), with at least " +
              number(p.slo_alerting.min_requests) + " requests in the long window."));
    };
    alert("LatencySLOBurnRatePage", kPageClauses, p.slo_alerting.page_severity, "Page:");
    alert("LatencySLOBurnRateTicket", kTicketClauses, p.slo_alerting.ticket_severity, "Ticket:");
  }
  return g;
}

std::vector<Group> groups(const config::Config& cfg, const config::AlertPolicy& p) {
  const auto services = sorted_services(cfg);
  const Builder b(p);
  const std::string job = "job=\"" + p.exporter.job + "\"";

  Group thresholds{"loki-latency-exporter.thresholds", {}};
  for (const auto* s : services) {
    const auto e = p.for_service(s->info.id);
    thresholds.rules.push_back({"record",
                                kThresholdRule,
                                "vector(" + number(e.latency.threshold_ms / 1000) + ")",
                                0,
                                {{"service", s->info.id}, {"team", s->info.team}},
                                {}});
  }

  Group latency{"loki-latency-exporter.latency", {}};
  latency.rules.push_back({"record", kLeftOutRule, left_out(job), 0, {}, {}});
  latency.rules.push_back(
      {"record",
       kP95Rule,
       "max by (service) " + chosen("loki_latency_window_p95_seconds{" + job + ", window=\"5m\"}"),
       0,
       {},
       {}});
  latency.rules.push_back(
      {"record",
       kBaselineRule,
       "max by (service) " + chosen("loki_latency_window_p95_seconds{" + job + ", window=\"7d\"}") +
           " and on (service) (max by (service) (loki_latency_baseline_ready{" + job + "}) == 1)",
       0,
       {},
       {}});
  const std::string rate = chosen("rate(loki_latency_request_duration_seconds{" + job + "}[5m])");
  latency.rules.push_back(
      {"record", kTeamP95Rule, "histogram_quantile(0.95, sum by (team) " + rate + ")", 0, {}, {}});
  latency.rules.push_back(
      {"record", kFleetP95Rule, "histogram_quantile(0.95, sum by (job) " + rate + ")", 0, {}, {}});
  for (const auto* s : services) {
    const auto& id = s->info.id;
    const auto e = p.for_service(id);
    const std::string sel = "{service=\"" + id + "\"}";
    const std::string ms = number(e.latency.threshold_ms) + " ms";
    if (e.threshold_alert) {
      latency.rules.push_back(b.alert(
          "LatencyP95AboveThreshold",
          std::string(kP95Rule) + sel + " > on (service) " + kThresholdRule + sel, e.latency.for_ns,
          id, {{"service", id}, {"team", s->info.team}, {"severity", e.latency.severity}},
          id + ": P95 latency {{ $value | humanizeDuration }} is above its threshold of " + ms,
          "The 5-minute P95 latency of " + s->info.display_name + " (" + id + ", team " +
              s->info.team + ") has been above " + ms + " for " +
              prometheus_duration(e.latency.for_ns) + ". Threshold source: " +
              (e.threshold_overridden ? "per-service override" : "default") + " in " +
              "the alert policy."));
    }
    latency.rules.push_back(
        b.alert("LatencyP95RegressedAgainstBaseline",
                std::string(kP95Rule) + sel + " > " + number(e.regression.factor) + " * " +
                    kBaselineRule + sel,
                e.regression.for_ns, id,
                {{"service", id}, {"team", s->info.team}, {"severity", e.regression.severity}},
                id + ": P95 latency {{ $value | humanizeDuration }} is more than " +
                    number(e.regression.factor) + " x its 7-day baseline",
                "The 5-minute P95 latency of " + s->info.display_name + " (" + id +
                    ") has been more than " + number(e.regression.factor) +
                    " times its 7-day baseline P95 for " +
                    prometheus_duration(e.regression.for_ns) + ", while the baseline is ready."));
  }

  const auto& x = p.exporter;
  const Labels own = {{"service", x.job}, {"team", x.team}, {"severity", x.severity}};
  Group exporter{"loki-latency-exporter.exporter", {}};
  exporter.rules.push_back(
      b.alert("LokiLatencyExporterDown", "up{" + job + "} == 0", x.down_for_ns, x.job, own,
              "The latency exporter {{ $labels.instance }} is down",
              "Prometheus could not scrape {{ $labels.instance }} for " +
                  prometheus_duration(x.down_for_ns) +
                  ": service latencies are not updated and latency alerts cannot fire."));
  exporter.rules.push_back(
      b.alert("LokiLatencyExporterLokiDisconnected",
              "loki_latency_loki_connected{" + job + "} == 0", x.loki_disconnected_for_ns, x.job,
              own, "Shard {{ $labels.shard }} of {{ $labels.instance }} has not reached Loki",
              "The Loki tail (or poller) of shard {{ $labels.shard }} has been disconnected for " +
                  prometheus_duration(x.loki_disconnected_for_ns) +
                  ". Lines stored meanwhile are repaired once it is back, within "
                  "windows.allowed_lateness."));
  exporter.rules.push_back(b.alert(
      "LokiLatencyExporterIngestLag",
      "loki_latency_loki_ingest_lag_seconds{" + job + "} > " + number(x.max_ingest_lag_s),
      10 * 60'000'000'000LL, x.job, own,
      "Shard {{ $labels.shard }} of {{ $labels.instance }} lags {{ $value | humanizeDuration }} "
      "behind",
      "The newest line shard {{ $labels.shard }} received is more than " +
          prometheus_duration(static_cast<std::int64_t>(x.max_ingest_lag_s * 1e9)) +
          " old: the tail is stuck or the services stopped logging."));
  // Lines Loki stored that no window counts: missing at a bucket's last check, or
  // received after their window had closed.
  exporter.rules.push_back(b.alert(
      "LokiLatencyExporterUnrepairedLines",
      "increase(loki_latency_loki_unrepaired_lines_total{" + job +
          "}[15m]) + increase(loki_latency_loki_late_lines_total{" + job + "}[15m]) > 0",
      0, x.job, own, "{{ $labels.instance }} lost {{ $value }} lines that Loki stored",
      "Loki stored lines that the exporter could not count: still missing at their bucket's "
      "last check, or received after their window had closed. Latency figures miss them. See "
      "docs/loki.md."));
  const std::string rate_rejects = "sum by (service) (rate(loki_latency_rejected_lines_total{" +
                                   job + ", service!=\"unknown\"}[15m]))";
  exporter.rules.push_back(b.alert(
      "LokiLatencyExporterRejectRatioHigh",
      "(" + rate_rejects + " / (" + rate_rejects +
          " + sum by (service) (rate(loki_latency_requests_total{" + job + "}[15m]))) > " +
          number(x.max_reject_ratio) +
          ") * on (service) group_left (team) max by (service, team) (loki_latency_service_info{" +
          job + "})",
      15 * 60'000'000'000LL, "{{ $labels.service }}", {{"severity", x.severity}},
      "{{ $labels.service }}: {{ $value | humanizePercentage }} of log lines rejected",
      "More than " + number(x.max_reject_ratio * 100) +
          "% of the service's log lines failed a data-quality gate over 15 minutes: its "
          "latency figures rest on the rest. loki_latency_rejected_lines_total tells the "
          "reasons."));
  return {thresholds, latency, slo_group(services, p, b, job), exporter};
}

void emit_labels(YAML::Emitter& out, const char* key, const Labels& labels) {
  if (labels.empty()) return;
  out << YAML::Key << key << YAML::Value << YAML::BeginMap;
  for (const auto& [k, v] : labels) out << YAML::Key << k << YAML::Value << v;
  out << YAML::EndMap;
}

void emit_groups(YAML::Emitter& out, const std::vector<Group>& gs) {
  out << YAML::Key << "groups" << YAML::Value << YAML::BeginSeq;
  for (const auto& g : gs) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << g.name;
    out << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
    for (const auto& r : g.rules) {
      out << YAML::BeginMap << YAML::Key << r.kind << YAML::Value << r.name;
      out << YAML::Key << "expr" << YAML::Value;
      if (r.expr.find('\n') != std::string::npos) out << YAML::Literal;
      out << r.expr;
      if (r.kind == "alert" && r.for_ns > 0)
        out << YAML::Key << "for" << YAML::Value << prometheus_duration(r.for_ns);
      emit_labels(out, "labels", r.labels);
      emit_labels(out, "annotations", r.annotations);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

// One Sloth prometheus/v1 spec per service with an SLO.
void emit_sloth(YAML::Emitter& out, const config::Config& cfg, const config::AlertPolicy& p) {
  const std::string job = "job=\"" + p.exporter.job + "\"";
  for (const auto* s : sorted_services(cfg)) {
    const auto& id = s->info.id;
    const auto e = p.for_service(id);
    if (!e.slo) continue;
    const auto counters = slo_counters(job, id, e.slo->threshold_ms);
    const auto query = [&](const std::string& metric) {
      return "sum(rate(" + metric + "[{{.window}}]))";
    };
    out << YAML::BeginDoc << YAML::BeginMap;
    out << YAML::Key << "version" << YAML::Value << "prometheus/v1";
    out << YAML::Key << "service" << YAML::Value << id;
    emit_labels(out, "labels", {{"team", s->info.team}});
    out << YAML::Key << "slos" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << "latency";
    out << YAML::Key << "objective" << YAML::Value << rounded(e.slo->objective * 100);
    out << YAML::Key << "description" << YAML::Value
        << rounded(e.slo->objective * 100) + "% of " + s->info.display_name +
               "'s requests within " + number(e.slo->threshold_ms) + " ms over " +
               prometheus_duration(e.slo->period_ns) + ", counted exactly by loki-latency-exporter";
    out << YAML::Key << "sli" << YAML::Value << YAML::BeginMap << YAML::Key << "events"
        << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "error_query" << YAML::Value << query(counters.slow);
    out << YAML::Key << "total_query" << YAML::Value << query(counters.all);
    out << YAML::EndMap << YAML::EndMap;
    out << YAML::Key << "alerting" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << "LatencySLOBurnRate";
    emit_labels(out, "labels", {{"service", id}, {"team", s->info.team}});
    const Builder b(p);
    emit_labels(out, "annotations",
                {{"summary", id + ": latency error budget burning fast (SLO: " +
                                 rounded(e.slo->objective * 100) + "% within " +
                                 number(e.slo->threshold_ms) + " ms)"},
                 {"runbook_url", b.link(p.runbook_url, "LatencySLOBurnRatePage", id)},
                 {"dashboard_url", b.link(p.dashboard_url, "LatencySLOBurnRatePage", id)}});
    for (const auto& [key, severity] :
         {std::pair{"page_alert", p.slo_alerting.page_severity},
          std::pair{"ticket_alert", p.slo_alerting.ticket_severity}}) {
      out << YAML::Key << key << YAML::Value << YAML::BeginMap;
      if (e.slo_alerts)
        emit_labels(out, "labels", {{"severity", severity}});
      else
        out << YAML::Key << "disable" << YAML::Value << true;
      out << YAML::EndMap;
    }
    out << YAML::EndMap << YAML::EndMap << YAML::EndSeq << YAML::EndMap;
  }
}

}  // namespace

std::string prometheus_duration(std::int64_t ns) {
  if (ns <= 0) return "0s";
  std::string out;
  constexpr std::pair<std::int64_t, const char*> units[] = {{core::kNanosPerDay, "d"},
                                                            {3'600'000'000'000LL, "h"},
                                                            {60'000'000'000LL, "m"},
                                                            {1'000'000'000LL, "s"},
                                                            {1'000'000LL, "ms"}};
  for (const auto& [size, unit] : units) {
    if (ns >= size) {
      out += std::to_string(ns / size) + unit;
      ns %= size;
    }
  }
  return out.empty() ? "0s" : out;
}

std::string generate(const config::Config& cfg, Format format) {
  if (!cfg.alert_policy)
    throw std::invalid_argument(cfg.exporter_file + ": alerting.policy_file: not set");
  const auto& p = *cfg.alert_policy;
  YAML::Emitter out;
  out.SetIndent(2);
  if (format == Format::kSloth) {
    emit_sloth(out, cfg, p);
    if (!out.good()) throw std::runtime_error("cannot emit the Sloth spec: " + out.GetLastError());
    return "# Sloth prometheus/v1 specs generated by `loki-latency-exporter rules generate "
           "--format sloth`\n# from " +
           std::filesystem::path(p.file).filename().string() +
           ": one per service with a latency SLO. Generate the rules with Sloth and a\n"
           "# default SLO period equal to the SLOs' (docs/alerting.md).\n" +
           out.c_str() + "\n";
  }
  out << YAML::BeginMap;
  if (format == Format::kPrometheusRule) {
    out << YAML::Key << "apiVersion" << YAML::Value << "monitoring.coreos.com/v1";
    out << YAML::Key << "kind" << YAML::Value << "PrometheusRule";
    out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << "loki-latency-exporter";
    emit_labels(out, "labels",
                {{"app.kubernetes.io/name", "loki-latency-exporter"},
                 {"app.kubernetes.io/component", "alerting-rules"}});
    out << YAML::EndMap;
    out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
    emit_groups(out, groups(cfg, p));
    out << YAML::EndMap;
  } else {
    emit_groups(out, groups(cfg, p));
  }
  out << YAML::EndMap;
  if (!out.good()) throw std::runtime_error("cannot emit the rule file: " + out.GetLastError());
  return "# Generated by `loki-latency-exporter rules generate` from " +
         std::filesystem::path(p.file).filename().string() + " and " +
         std::filesystem::path(cfg.services_file).filename().string() +
         ".\n# Do not edit: change the policy and generate again (docs/alerting.md).\n" +
         out.c_str() + "\n";
}

}  // namespace lle::rulegen
