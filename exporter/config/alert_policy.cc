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

// What one level of the policy (defaults, a team, a service) says about SLOs.
struct SloLevel {
  std::optional<double> objective, threshold_ms;
  std::optional<std::int64_t> period_ns;
  bool off = false;  // `slo: off`: no SLO here, whatever a level above says
  std::optional<AlertOn> alert_on;
  // Where they were given, for errors.
  std::optional<std::pair<YAML::Node, std::string>> slo_at, alert_on_at;
  [[noreturn]] static void fail(const std::string& file,
                                const std::pair<YAML::Node, std::string>& where,
                                const std::string& what) {
    At{file, where.first, where.second}.fail(what);
  }
};

// Reads `slo:` and `alert_on:` of the mapping at `at`; `extra` lists the keys of
// `slo:` only defaults.slo may hold.
SloLevel slo_level(const At& at, const std::string& who,
                   std::initializer_list<std::string_view> extra = {}) {
  SloLevel l;
  if (const At a = at.key("alert_on"); a.present()) {
    const std::string v = a.str();
    if (v == "threshold")
      l.alert_on = AlertOn::kThreshold;
    else if (v == "slo")
      l.alert_on = AlertOn::kSlo;
    else if (v == "both")
      l.alert_on = AlertOn::kBoth;
    else
      a.fail("expected one of: threshold, slo, both; got '" + v + "'");
    l.alert_on_at.emplace(a.node, a.path);
  }
  const At s = at.key("slo");
  if (!s.present()) return l;
  l.slo_at.emplace(s.node, s.path);
  if (s.node.IsScalar()) {
    if (s.boolean_or(true)) s.fail("expected a mapping, or off");
    l.off = true;
    return l;
  }
  std::vector<std::string_view> keys{"objective", "threshold_ms", "period"};
  keys.insert(keys.end(), extra);
  s.require_map(keys);
  if (s.key("objective").present())
    l.objective = s.key("objective").number_or(0, kSloObjectiveMin, kSloObjectiveMax);
  if (s.key("threshold_ms").present())
    l.threshold_ms = threshold_ms(s.key("threshold_ms"), "the SLO of " + who);
  if (s.key("period").present()) l.period_ns = s.key("period").days_or(0, 1, kSloPeriodMaxDays);
  return l;
}

template <typename T, typename Level>
std::optional<T> first_of(std::optional<T> Level::*field, const Level& a, const Level& b,
                          const Level& c) {
  return a.*field ? a.*field : b.*field ? b.*field : c.*field;
}

}  // namespace

AlertPolicy::Effective AlertPolicy::for_service(const std::string& id) const {
  Effective e{latency, regression, false, std::nullopt, true, false};
  if (const auto slo = slos.find(id); slo != slos.end()) e.slo = slo->second;
  if (const auto on = alert_on.find(id); on != alert_on.end()) {
    e.threshold_alert = on->second != AlertOn::kSlo;
    e.slo_alerts = on->second != AlertOn::kThreshold;
  }
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
  root.require_map({"defaults", "teams", "services", "exporter", "links"});

  SloLevel defaults;
  if (const At d = root.key("defaults"); d.present()) {
    d.require_map({"latency", "regression", "slo", "alert_on"});
    defaults = slo_level(d, "the default", {"min_requests", "page_severity", "ticket_severity"});
    if (const At s = d.key("slo"); s.present() && !defaults.off) {
      auto& a = p.slo_alerting;
      a.min_requests = s.key("min_requests").number_or(a.min_requests, 0, 1e12);
      a.page_severity = severity(s.key("page_severity"), a.page_severity);
      a.ticket_severity = severity(s.key("ticket_severity"), a.ticket_severity);
    }
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

  std::map<std::string, SloLevel> teams;
  if (const At t = root.key("teams"); t.present()) {
    for (const std::string& team : t.keys()) {
      const At o = t.key(team.c_str());
      if (std::none_of(services.begin(), services.end(),
                       [&](const ServiceConfig& c) { return c.info.team == team; })) {
        o.fail("unknown team (no service in the services file belongs to it)");
      }
      o.require_map({"slo", "alert_on"});
      teams.emplace(team, slo_level(o, "team '" + team + "'"));
    }
  }

  std::map<std::string, SloLevel> own;
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
      o.require_map({"threshold_ms", "for", "severity", "regression_factor", "slo", "alert_on"});
      ServiceOverride& out = p.services[id];
      own.emplace(id, slo_level(o, "service '" + id + "'"));
      if (o.key("threshold_ms").present())
        out.threshold_ms = threshold_ms(o.key("threshold_ms"), "service '" + id + "'");
      if (o.key("for").present()) out.for_ns = o.key("for").duration_or(0, 0, kMaxFor);
      if (o.key("severity").present()) out.severity = severity(o.key("severity"), "");
      if (o.key("regression_factor").present())
        out.regression_factor = o.key("regression_factor").number_or(0, 1.05, 100);
    }
  }

  // Each service's SLO and alerts: its own settings over its team's over the defaults.
  for (const ServiceConfig& c : services) {
    const std::string& id = c.info.id;
    const SloLevel none;
    const auto in = [](const auto& m, const std::string& k) -> const SloLevel* {
      const auto it = m.find(k);
      return it == m.end() ? nullptr : &it->second;
    };
    const SloLevel& s = in(own, id) ? *in(own, id) : none;
    const SloLevel& t = in(teams, c.info.team) ? *in(teams, c.info.team) : none;
    const bool off = s.off || (!s.slo_at && t.off) || (!s.slo_at && !t.slo_at && defaults.off);
    const auto objective = first_of(&SloLevel::objective, s, t, defaults);
    if (!off && !objective) {
      // An SLO given without an objective anywhere above it.
      for (const SloLevel* l : {&s, &t}) {
        if (l->slo_at)
          SloLevel::fail(file, *l->slo_at, "objective: missing: an SLO needs an objective");
      }
    }
    if (!off && objective) {
      p.slos[id] = Slo{*objective,
                       first_of(&SloLevel::threshold_ms, s, t, defaults)
                           .value_or(p.for_service(id).latency.threshold_ms),
                       first_of(&SloLevel::period_ns, s, t, defaults).value_or(30 * kDayNs)};
    }
    const bool has_slo = p.slos.contains(id);
    // A team's or the default `alert_on` applies to the services with an SLO; a
    // service's own asks for one.
    if (s.alert_on && *s.alert_on != AlertOn::kThreshold && !has_slo)
      SloLevel::fail(file, *s.alert_on_at, "service '" + id + "' has no SLO to alert on");
    const auto on = first_of(&SloLevel::alert_on, s, t, defaults);
    p.alert_on[id] = !has_slo ? AlertOn::kThreshold : on.value_or(AlertOn::kBoth);
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
