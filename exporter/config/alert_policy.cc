#include "exporter/config/alert_policy.h"

#include <algorithm>

#include "exporter/config/config.h"
#include "exporter/config/yaml_at.h"

namespace lle::config {
namespace {

std::string severity(const At& at, const std::string& def) {
  if (!at.present()) return def;
  const std::string s = at.str();
  if (std::find(std::begin(kSeverities), std::end(kSeverities), s) == std::end(kSeverities))
    at.fail("expected one of: critical, high, medium, low; got '" + s + "'");
  return s;
}

double threshold_ms(const At& at, const std::string& service) {
  const double v = at.number_or(0, -1e300, 1e300);
  if (v < kMinThresholdMs || v > kMaxThresholdMs) {
    at.fail("threshold of " + service + " must lie within 50-1000 ms, got " + at.str() +
            (v < kMinThresholdMs ? " (below the lower bound of 50)"
                                 : " (above the upper bound of 1000)"));
  }
  return v;
}

constexpr double kMaxFor = 24 * 3600;

}  // namespace

AlertPolicy::Effective AlertPolicy::for_service(const std::string& id) const {
  Effective e{latency, regression, false};
  const auto it = services.find(id);
  if (it == services.end()) return e;
  const ServiceOverride& o = it->second;
  if (o.threshold_ms) {
    e.latency.threshold_ms = *o.threshold_ms;
    e.threshold_overridden = true;
  }
  if (o.for_ns) e.latency.for_ns = *o.for_ns;
  if (o.severity) e.latency.severity = *o.severity;
  if (o.regression_factor) e.regression.factor = *o.regression_factor;
  return e;
}

AlertPolicy load_alert_policy(const std::string& file, const std::vector<ServiceConfig>& services) {
  AlertPolicy p;
  p.file = file;
  const At root{file, load_yaml(file), ""};
  root.require_map({"defaults", "services", "exporter", "links"});

  if (const At d = root.key("defaults"); d.present()) {
    d.require_map({"latency", "regression"});
    if (const At l = d.key("latency"); l.present()) {
      l.require_map({"threshold_ms", "for", "severity"});
      if (l.key("threshold_ms").present())
        p.latency.threshold_ms = threshold_ms(l.key("threshold_ms"), "the default");
      p.latency.for_ns = l.key("for").duration_or(p.latency.for_ns, 0, kMaxFor);
      p.latency.severity = severity(l.key("severity"), p.latency.severity);
    }
    if (const At r = d.key("regression"); r.present()) {
      r.require_map({"factor", "for", "severity"});
      p.regression.factor = r.key("factor").number_or(p.regression.factor, 1.05, 100);
      p.regression.for_ns = r.key("for").duration_or(p.regression.for_ns, 0, kMaxFor);
      p.regression.severity = severity(r.key("severity"), p.regression.severity);
    }
  }

  if (const At s = root.key("services"); s.present()) {
    if (!s.node.IsMap()) s.fail("expected a mapping of service id to overrides");
    s.keys();  // plain, unique keys
    for (const auto& kv : s.node) {
      const std::string id = kv.first.Scalar();
      const At o{file, kv.second, "services." + id};
      if (std::none_of(services.begin(), services.end(),
                       [&](const ServiceConfig& c) { return c.info.id == id; })) {
        At{file, kv.first, "services." + id}.fail("unknown service (not in the services file)");
      }
      o.require_map({"threshold_ms", "for", "severity", "regression_factor"});
      ServiceOverride& out = p.services[id];
      if (o.key("threshold_ms").present())
        out.threshold_ms = threshold_ms(o.key("threshold_ms"), "service '" + id + "'");
      if (o.key("for").present()) out.for_ns = o.key("for").duration_or(0, 0, kMaxFor);
      if (o.key("severity").present()) out.severity = severity(o.key("severity"), "");
      if (o.key("regression_factor").present())
        out.regression_factor = o.key("regression_factor").number_or(0, 1.05, 100);
    }
  }

  if (const At e = root.key("exporter"); e.present()) {
    e.require_map({"job", "team", "severity", "down_for", "loki_disconnected_for", "max_ingest_lag",
                   "max_reject_ratio"});
    auto& x = p.exporter;
    x.job = e.key("job").present() ? e.key("job").nonempty_str() : x.job;
    x.team = e.key("team").present() ? e.key("team").nonempty_str() : x.team;
    x.severity = severity(e.key("severity"), x.severity);
    x.down_for_ns = e.key("down_for").duration_or(x.down_for_ns, 0, kMaxFor);
    x.loki_disconnected_for_ns =
        e.key("loki_disconnected_for").duration_or(x.loki_disconnected_for_ns, 0, kMaxFor);
    x.max_ingest_lag_s =
        static_cast<double>(
            e.key("max_ingest_lag")
                .duration_or(static_cast<std::int64_t>(x.max_ingest_lag_s * 1e9), 1, kMaxFor)) /
        1e9;
    x.max_reject_ratio = e.key("max_reject_ratio").number_or(x.max_reject_ratio, 0, 1);
  }

  const At links = root.key("links");
  links.require_map({"runbook", "dashboard"});
  p.runbook_url = links.key("runbook").nonempty_str();
  p.dashboard_url = links.key("dashboard").nonempty_str();
  return p;
}

}  // namespace lle::config
