#include "exporter/rulegen/rulegen.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <utility>
#include <vector>

namespace lle::rulegen {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

std::string number(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

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

class Builder {
 public:
  explicit Builder(const config::AlertPolicy& p) : p_(p) {}

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
  static std::string link(const std::string& tmpl, const std::string& alert,
                          const std::string& service) {
    return replace_all(replace_all(tmpl, "{alert}", lower(alert)), "{service}", service);
  }
  const config::AlertPolicy& p_;
};

std::vector<Group> groups(const config::Config& cfg, const config::AlertPolicy& p) {
  std::vector<const config::ServiceConfig*> services;
  for (const auto& s : cfg.services) services.push_back(&s);
  std::sort(services.begin(), services.end(),
            [](auto* a, auto* b) { return a->info.id < b->info.id; });
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
  latency.rules.push_back(
      {"record",
       kP95Rule,
       "max by (service) (loki_latency_window_p95_seconds{" + job + ", window=\"5m\"})",
       0,
       {},
       {}});
  latency.rules.push_back(
      {"record",
       kBaselineRule,
       "max by (service) (loki_latency_window_p95_seconds{" + job +
           ", window=\"7d\"}) and on (service) (max by (service) (loki_latency_baseline_ready{" +
           job + "}) == 1)",
       0,
       {},
       {}});
  const std::string rate = "rate(loki_latency_request_duration_seconds{" + job + "}[5m])";
  latency.rules.push_back({"record",
                           kTeamP95Rule,
                           "histogram_quantile(0.95, sum by (team) (" + rate + "))",
                           0,
                           {},
                           {}});
  latency.rules.push_back({"record",
                           kFleetP95Rule,
                           "histogram_quantile(0.95, sum by (job) (" + rate + "))",
                           0,
                           {},
                           {}});
  for (const auto* s : services) {
    const auto& id = s->info.id;
    const auto e = p.for_service(id);
    const std::string sel = "{service=\"" + id + "\"}";
    const std::string ms = number(e.latency.threshold_ms) + " ms";
    latency.rules.push_back(b.alert(
        "LatencyP95AboveThreshold",
        std::string(kP95Rule) + sel + " > on (service) " + kThresholdRule + sel, e.latency.for_ns,
        id, {{"service", id}, {"team", s->info.team}, {"severity", e.latency.severity}},
        id + ": P95 latency {{ $value | humanizeDuration }} is above its threshold of " + ms,
        "The 5-minute P95 latency of " + s->info.display_name + " (" + id + ", team " +
            s->info.team + ") has been above " + ms + " for " +
            prometheus_duration(e.latency.for_ns) +
            ". Threshold source: " + (e.threshold_overridden ? "per-service override" : "default") +
            " in " + "the alert policy."));
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
  return {thresholds, latency, exporter};
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
      out << YAML::Key << "expr" << YAML::Value << r.expr;
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

}  // namespace

std::string prometheus_duration(std::int64_t ns) {
  if (ns <= 0) return "0s";
  std::string out;
  constexpr std::pair<std::int64_t, const char*> units[] = {{3'600'000'000'000LL, "h"},
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
