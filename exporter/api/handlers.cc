#include "exporter/api/handlers.h"

#include <algorithm>
#include <boost/json.hpp>
#include <boost/url/parse_query.hpp>
#include <charconv>
#include <cmath>
#include <optional>

#include "exporter/api/breaches.h"
#include "exporter/api/json_number.h"
#include "exporter/api/slo_backtest.h"
#include "exporter/api/strict_json.h"
#include "exporter/core/clock.h"
#include "exporter/core/printable.h"
#include "exporter/core/units.h"
#include "exporter/log/log.h"

namespace lle::api {
namespace json = boost::json;
namespace {

constexpr std::int64_t kDefaultWindowNs = 7 * 24 * 3'600'000'000'000LL;

json::value num(double v) { return json_number(v); }

// Milliseconds to the microsecond, or null where there is no data.
json::value ms(double seconds) {
  if (std::isnan(seconds)) return nullptr;
  return num(std::round(seconds * 1e6) / 1e3);
}

Response ok(json::object body, std::vector<std::pair<std::string, std::string>> headers = {}) {
  return {200, json::serialize(body) + "\n", std::move(headers)};
}

// "5m" to "7d": a duration as the config takes it, or whole days.
std::optional<std::int64_t> parse_window(const std::string& text) {
  std::optional<double> secs;
  if (text.size() > 1 && text.back() == 'd') {
    int days = 0;
    const char* end = text.data() + text.size() - 1;
    const auto [ptr, ec] = std::from_chars(text.data(), end, days);
    if (ec == std::errc() && ptr == end) secs = days * 86400.0;
  } else {
    secs = core::parse_duration_seconds(text);
  }
  if (!secs || !(*secs >= 300 && *secs <= 7 * 24 * 3600)) return std::nullopt;
  return static_cast<std::int64_t>(*secs * 1e9);
}

// A number of milliseconds within the policy's bounds, or why not.
std::optional<double> threshold_in_bounds(double v, std::string* why) {
  if (std::isfinite(v) && v >= config::kMinThresholdMs && v <= config::kMaxThresholdMs) return v;
  *why = "threshold_ms must lie within 50-1000 ms";
  return std::nullopt;
}

// A query parameter's number: decimal only, as JSON writes numbers (no hex, no
// leading space or '+').
std::optional<double> decimal(const std::string& text) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

json::array intervals(const std::vector<Interval>& list) {
  json::array out;
  for (const auto& i : list) {
    out.push_back(
        json::object{{"start", core::format_timestamp(i.start_ns)},
                     {"end", core::format_timestamp(i.end_ns)},
                     {"duration_s", num(static_cast<double>(i.end_ns - i.start_ns) / 1e9)},
                     {"peak_p95_ms", ms(i.peak_seconds)}});
  }
  return out;
}

json::object threshold_json(const std::string& id, const Effective& e) {
  json::object o{
      {"service", id},
      {"threshold_ms", num(e.ms)},
      {"bounds", json::object{{"min_ms", num(config::kMinThresholdMs)},
                              {"max_ms", num(config::kMaxThresholdMs)}}},
      {"source", e.source},
      {"for_s", num(static_cast<double>(e.for_ns) / 1e9)},
      {"severity", e.severity},
      {"changed_by", e.changed_by.empty() ? json::value(nullptr) : json::value(e.changed_by)},
      {"changed_at", e.changed_at_ns == 0 ? json::value(nullptr)
                                          : json::value(core::format_timestamp(e.changed_at_ns))}};
  return o;
}

// The window parameter of a latency endpoint (default 7 days) into *window_ns,
// and with `compare` non-null its compare parameter (previous_week), or the 400
// to answer.
std::optional<Response> window_of(std::string_view query, std::int64_t* window_ns,
                                  bool* compare = nullptr) {
  std::pair<std::string, std::string> bad;
  const auto params = compare ? query_parameters(query, {"window", "compare"}, &bad)
                              : query_parameters(query, {"window"}, &bad);
  if (!params) return error(400, bad.first, bad.second);
  if (compare && params->contains("compare")) {
    if (params->at("compare") != "previous_week")
      return error(
          400, "invalid_compare",
          "compare takes previous_week; got '" + core::printable(params->at("compare")) + "'");
    *compare = true;
  }
  *window_ns = kDefaultWindowNs;
  if (!params->contains("window")) return std::nullopt;
  const auto w = parse_window(params->at("window"));
  if (!w) {
    return error(400, "invalid_window",
                 "window must be a duration from 5m to 7d, e.g. 24h; got '" +
                     core::printable(params->at("window")) + "'");
  }
  *window_ns = *w;
  return std::nullopt;
}

// The points of a trend whose bucket ends after `since`, as JSON (and into
// *in_window unless null).
json::array trend_json(const std::vector<window::TrendPoint>& trend, std::int64_t since,
                       std::vector<window::TrendPoint>* in_window) {
  json::array points;
  for (const auto& p : trend) {
    if (p.bucket_start_ns + window::kFiveMinutesNs <= since) continue;
    if (in_window) in_window->push_back(p);
    points.push_back(
        json::object{{"t", core::format_timestamp(p.bucket_start_ns)}, {"p95_ms", ms(p.p95)}});
  }
  return points;
}

// The P95 of the last 24 hours against the same 24 hours a week earlier.
json::object week_over_week(const window::WindowStats& day, const window::WindowStats& before) {
  const double ratio = week_ratio(day, before);
  const std::string way = direction(ratio);
  return {{"p95_24h_ms", ms(day.p95)},
          {"p95_24h_week_before_ms", ms(before.p95)},
          {"ratio", std::isnan(ratio) ? json::value(nullptr) : num(ratio)},
          {"direction", way.empty() ? json::value(nullptr) : json::value(way)}};
}

json::object stats(const window::WindowStats& s) {
  return {{"count", s.count}, {"p50_ms", ms(s.p50)}, {"p95_ms", ms(s.p95)}, {"p99_ms", ms(s.p99)}};
}

}  // namespace

std::unordered_map<std::string_view, std::size_t> positions(const window::Snapshot& state) {
  std::unordered_map<std::string_view, std::size_t> out;
  for (std::size_t i = 0; state.services && i < state.services->size() && i < state.views.size();
       ++i)
    out.emplace((*state.services)[i].id, i);
  return out;
}

std::optional<std::map<std::string, std::string>> query_parameters(
    std::string_view query, std::initializer_list<std::string_view> allowed,
    std::pair<std::string, std::string>* bad) {
  std::map<std::string, std::string> out;
  const auto parsed = boost::urls::parse_query(query);
  if (!parsed) {
    *bad = {"invalid_query", "the query string is not validly percent-encoded"};
    return std::nullopt;
  }
  boost::urls::encoding_opts plus;
  plus.space_as_plus = true;
  for (const auto& p : *parsed) {
    if (p.key.empty() && !p.has_value) continue;  // "a=1&&b=2"
    std::string key = p.key.decode(plus);
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      *bad = {"unknown_parameter", "unknown parameter '" + core::printable(key) + "'"};
      return std::nullopt;
    }
    if (!out.emplace(key, p.value.decode(plus)).second) {
      *bad = {"duplicate_parameter", "'" + key + "' is given more than once"};
      return std::nullopt;
    }
  }
  return out;
}

Response error(int status, const std::string& code, const std::string& detail) {
  return {status, json::serialize(json::object{{"error", code}, {"detail", detail}}) + "\n", {}};
}

std::optional<Response> served_elsewhere(const config::Config& c, std::string_view id) {
  const auto owner = config::owned_elsewhere(c, id);
  if (!owner) return std::nullopt;
  const std::string detail = "service '" + std::string(id) + "' is served by fleet member " +
                             std::to_string(*owner) + " of " + std::to_string(c.fleet.members) +
                             ", not this one (" + std::to_string(c.fleet.member) + ")";
  return Response{404,
                  json::serialize(json::object{{"error", "owned_elsewhere"},
                                               {"detail", detail},
                                               {"owner", *owner},
                                               {"members", c.fleet.members}}) +
                      "\n",
                  {}};
}

Api::Api(std::shared_ptr<const config::Config> cfg, Credentials creds, ThresholdStore& thresholds,
         Hooks hooks, const core::Clock& clock)
    : cfg_(std::move(cfg)),
      creds_(std::move(creds)),
      thresholds_(thresholds),
      hooks_(std::move(hooks)),
      clock_(clock) {}

// What every endpoint about one service needs: the service (it exists, and the
// caller may see it), its threshold, and its view and trend in the snapshot.
struct Api::Call {
  const Request& r;
  const window::Snapshot& state;
  const std::string& engineer;
  const config::ServiceConfig& service;
  Effective current;
  window::ServiceView view;
  window::Trend series;                   // 14 days, or null
  std::vector<window::TrendPoint> trend;  // its last 7 days
};

void Api::serve(Endpoint e, const Request& r, const window::Snapshot& state, Done done) const {
  const auto& cfg = *cfg_;
  const auto who = api::identify(r.auth, cfg.api, creds_);
  const std::string engineer =
      std::holds_alternative<Caller>(who) ? std::get<Caller>(who).engineer : "";
  const auto decide = [r, engineer, done](const Decision& d) {
    log::info("api", {{"engineer", engineer.empty() ? "-" : engineer},
                      {"method", r.method},
                      {"path", r.path},
                      {"status", std::to_string(d.first.status)},
                      {"decision", d.first.status < 400 ? "allow" : "deny"},
                      {"why", d.second}});
    done(d.first);
  };
  if (const auto* d = std::get_if<Denied>(&who)) {
    auto out = error(d->status, d->error, d->detail);
    out.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"loki-latency-exporter\"");
    return decide({out, d->error});
  }
  if (e == Endpoint::kOwned) return decide(owned(engineer, state));
  if (e == Endpoint::kTeams) return decide(teams(engineer, state));
  if (e == Endpoint::kTeamLatency) return decide(team_latency(r, engineer, state));

  // Every other endpoint is about one service: it must exist, and the caller may see it.
  const auto it =
      std::find_if(cfg.services.begin(), cfg.services.end(),
                   [&](const config::ServiceConfig& s) { return s.info.id == r.service; });
  if (it == cfg.services.end()) {
    if (auto elsewhere = served_elsewhere(cfg, r.service))
      return decide({std::move(*elsewhere), "another fleet member's service"});
    return decide({error(404, "unknown_service", "no service '" + core::printable(r.service) + "'"),
                   "service"});
  }
  // Served here for the handoff's grace period only: its threshold is the new owner's.
  if (e == Endpoint::kSetThreshold && it->info.leaving)
    return decide({std::move(*served_elsewhere(cfg, r.service)), "another fleet member's service"});
  if (e == Endpoint::kSetThreshold && !owns(cfg, *it, engineer)) {
    return decide({error(403, "forbidden",
                         "only the owners of " + r.service + " (and its team) may change it"),
                   "not an owner"});
  }
  if (!may_read(cfg, *it, engineer)) {
    return decide({error(403, "forbidden", "only the owners of " + r.service + " may read it"),
                   "not an owner"});
  }
  Call c{r, state, engineer, *it, thresholds_.effective(*cfg.alert_policy, r.service), {}, {}, {}};
  const auto at = positions(state);
  if (const auto found = at.find(r.service); found != at.end()) {
    c.view = state.views[found->second];
    if (found->second < state.trends.size() && state.trends[found->second]) {
      c.series = state.trends[found->second];
      c.trend = c.series->points(state.at_ns - window::kWeekNs);
    }
  }
  switch (e) {
    case Endpoint::kLatency:
      return decide(latency(c));
    case Endpoint::kBacktest:
      return decide(threshold_backtest(c));
    case Endpoint::kSloBacktest:
      return decide(slo_backtest(c));
    case Endpoint::kThreshold:
      return decide(threshold(c));
    default:
      if (auto d = set_threshold(c, decide)) decide(*d);
  }
}

Api::Decision Api::owned(const std::string& engineer, const window::Snapshot& state) const {
  const auto& cfg = *cfg_;
  json::array list;
  const window::ServiceView none;
  const auto at = positions(state);
  for (const auto& s : cfg.services) {
    if (!owns(cfg, s, engineer)) continue;
    const auto i = at.find(s.info.id);
    const auto& v = i == at.end() ? none : state.views[i->second];
    const Effective e = thresholds_.effective(*cfg.alert_policy, s.info.id);
    list.push_back(json::object{{"id", s.info.id},
                                {"display_name", s.info.display_name},
                                {"team", s.info.team},
                                {"p95_5m_ms", ms(v.last_5m.p95)},
                                {"threshold_ms", num(e.ms)},
                                {"baseline_p95_ms", ms(v.baseline.p95)},
                                {"baseline_ready", v.baseline_ready},
                                {"breaching", breaching(v.last_5m.p95, e.ms)}});
  }
  return {ok({{"engineer", engineer}, {"services", list}}), "owned"};
}

Api::Decision Api::latency(const Call& c) const {
  std::int64_t window_ns = 0;
  bool compare = false;
  if (auto bad = window_of(c.r.query, &window_ns, &compare)) return {std::move(*bad), "query"};
  std::vector<window::TrendPoint> in_window;
  json::array points = trend_json(c.trend, c.state.at_ns - window_ns, &in_window);
  const auto& view = c.view;
  json::object body{
      {"service", c.r.service},
      {"display_name", c.service.info.display_name},
      {"team", c.service.info.team},
      {"at", core::format_timestamp(c.state.at_ns)},
      {"window_s", num(static_cast<double>(window_ns) / 1e9)},
      {"current", json::object{{"5m", stats(view.last_5m)}, {"1h", stats(view.last_1h)}}},
      {"baseline", json::object{{"p95_ms", ms(view.baseline.p95)},
                                {"ready", view.baseline_ready},
                                {"buckets", view.baseline_buckets}}},
      {"accepted_total", view.accepted_total},
      {"threshold", threshold_json(c.r.service, c.current)},
      {"breaching", breaching(view.last_5m.p95, c.current.ms)},
      {"week_over_week", week_over_week(view.last_24h, view.week_before_24h)},
      {"trend", points},
      {"breaches", intervals(breaches(in_window, c.current.ms / 1000))}};
  if (const auto& slo = view.slo; slo.budget) {
    body["slo"] = json::object{
        {"objective", slo.budget->objective}, {"threshold_ms", slo.budget->threshold_ms},
        {"period_days", slo.budget->days},    {"period_requests", slo.total},
        {"period_slow_requests", slo.slow},   {"error_budget_remaining", slo.remaining()}};
    json::object burn;
    for (std::size_t w = 0; w < window::kBurnWindows.size(); ++w)
      burn[window::kBurnWindows[w].name] =
          std::isnan(slo.burn_rates[w]) ? json::value(nullptr) : num(slo.burn_rates[w]);
    body["slo"].as_object()["burn_rates"] = std::move(burn);
  }
  if (compare) {
    // The same window a week earlier, each point's t moved a week on to align.
    std::vector<window::TrendPoint> before;
    if (c.series) {
      for (auto p : c.series->points(c.state.at_ns - window::kWeekNs - window_ns)) {
        if (p.bucket_start_ns + window::kFiveMinutesNs > c.state.at_ns - window::kWeekNs) break;
        p.bucket_start_ns += window::kWeekNs;
        before.push_back(p);
      }
    }
    body["previous_week"] = trend_json(before, c.state.at_ns - window_ns, nullptr);
  }
  return {ok(body), "read"};
}

Api::Decision Api::teams(const std::string& engineer, const window::Snapshot& state) const {
  const auto& cfg = *cfg_;
  const auto at = positions(state);
  json::array list;
  for (const auto& team : state.teams) {
    if (!may_read_team(cfg, team.team, engineer)) continue;
    std::uint64_t breaching_services = 0;
    for (const auto& s : cfg.services) {
      const auto i = at.find(s.info.id);
      if (s.info.team != team.team || i == at.end()) continue;
      breaching_services += breaching(state.views[i->second].last_5m.p95,
                                      thresholds_.effective(*cfg.alert_policy, s.info.id).ms);
    }
    list.push_back(json::object{{"team", team.team},
                                {"services", team.services},
                                {"member", in_team(cfg, team.team, engineer)},
                                {"p95_5m_ms", ms(team.last_5m.p95)},
                                {"baseline_p95_ms", ms(team.baseline.p95)},
                                {"breaching_services", breaching_services}});
  }
  return {ok({{"engineer", engineer}, {"teams", list}}), "teams"};
}

Api::Decision Api::team_latency(const Request& r, const std::string& engineer,
                                const window::Snapshot& state) const {
  const auto& cfg = *cfg_;
  const auto found = std::lower_bound(
      state.teams.begin(), state.teams.end(), r.team,
      [](const window::TeamView& t, const std::string& name) { return t.team < name; });
  if (found == state.teams.end() || found->team != r.team)
    return {error(404, "unknown_team", "no team '" + core::printable(r.team) + "'"), "team"};
  if (!may_read_team(cfg, r.team, engineer))
    return {error(403, "forbidden", "only the members of " + r.team + " may read it"),
            "not a member"};
  std::int64_t window_ns = 0;
  if (auto bad = window_of(r.query, &window_ns)) return {std::move(*bad), "query"};
  const auto t = static_cast<std::size_t>(found - state.teams.begin());
  const std::vector<window::TrendPoint> trend =
      t < state.team_trends.size() && state.team_trends[t]
          ? state.team_trends[t]->points(state.at_ns - window_ns)
          : std::vector<window::TrendPoint>{};
  // Its services, breaching first, each with its breaches in the window.
  struct Member {
    bool breaching;
    json::object row;
  };
  std::vector<Member> members;
  const auto at = positions(state);
  const window::ServiceView none;
  for (const auto& s : cfg.services) {
    if (s.info.team != r.team) continue;
    const auto i = at.find(s.info.id);
    const auto& v = i == at.end() ? none : state.views[i->second];
    std::vector<window::TrendPoint> in_window;
    if (i != at.end() && i->second < state.trends.size() && state.trends[i->second])
      trend_json(state.trends[i->second]->points(), state.at_ns - window_ns, &in_window);
    const Effective e = thresholds_.effective(*cfg.alert_policy, s.info.id);
    const bool now = breaching(v.last_5m.p95, e.ms);
    members.push_back({now, json::object{{"id", s.info.id},
                                         {"display_name", s.info.display_name},
                                         {"p95_5m_ms", ms(v.last_5m.p95)},
                                         {"baseline_p95_ms", ms(v.baseline.p95)},
                                         {"threshold_ms", num(e.ms)},
                                         {"breaching", now},
                                         {"breaches", breaches(in_window, e.ms / 1000).size()}}});
  }
  std::stable_sort(members.begin(), members.end(),
                   [](const Member& a, const Member& b) { return a.breaching > b.breaching; });
  json::array services;
  for (auto& m : members) services.push_back(std::move(m.row));
  json::object body{
      {"team", r.team},
      {"at", core::format_timestamp(state.at_ns)},
      {"window_s", num(static_cast<double>(window_ns) / 1e9)},
      {"current", json::object{{"5m", stats(found->last_5m)}, {"1h", stats(found->last_1h)}}},
      {"baseline", stats(found->baseline)},
      {"week_over_week", week_over_week(found->last_24h, found->week_before_24h)},
      {"services", services},
      {"trend", trend_json(trend, state.at_ns - window_ns, nullptr)}};
  return {ok(body), "read"};
}

Api::Decision Api::threshold_backtest(const Call& c) const {
  std::pair<std::string, std::string> bad;
  const auto params = query_parameters(c.r.query, {"threshold_ms"}, &bad);
  if (!params) return {error(400, bad.first, bad.second), "query"};
  if (!params->contains("threshold_ms"))
    return {error(400, "missing_parameter", "threshold_ms is required"), "query"};
  const std::string& text = params->at("threshold_ms");
  const auto number = decimal(text);
  if (!number)
    return {error(400, "invalid_threshold",
                  "threshold_ms must be a number, got '" + core::printable(text) + "'"),
            "query"};
  const double v = *number;
  std::string why;
  if (!threshold_in_bounds(v, &why)) return {error(400, "invalid_threshold", why), "query"};
  const auto& trend = c.trend;
  const Backtest b = backtest(trend, v / 1000, c.current.for_ns);
  const Backtest now = backtest(trend, c.current.ms / 1000, c.current.for_ns);
  const auto summary = [](const Backtest& x) {
    return json::object{{"alerts", x.alerts},
                        {"firing_s", num(static_cast<double>(x.firing_ns) / 1e9)},
                        {"longest_firing_s", num(static_cast<double>(x.longest_firing_ns) / 1e9)},
                        {"breaches", x.breaches}};
  };
  json::object candidate = summary(b);
  candidate["threshold_ms"] = num(v);
  candidate["fired"] = intervals(b.fired);
  json::object current_summary = summary(now);
  current_summary["threshold_ms"] = num(c.current.ms);
  json::object body{
      {"service", c.r.service},
      {"for_s", num(static_cast<double>(c.current.for_ns) / 1e9)},
      {"trend_points", trend.size()},
      {"from", trend.empty() ? json::value(nullptr)
                             : json::value(core::format_timestamp(trend.front().bucket_start_ns))},
      {"to", trend.empty() ? json::value(nullptr)
                           : json::value(core::format_timestamp(trend.back().bucket_start_ns +
                                                                window::kFiveMinutesNs))},
      {"candidate", candidate},
      {"current", current_summary}};
  return {ok(body), "read"};
}

Api::Decision Api::slo_backtest(const Call& c) const {
  std::pair<std::string, std::string> bad;
  const auto params = query_parameters(c.r.query, {"objective", "threshold_ms", "period"}, &bad);
  if (!params) return {error(400, bad.first, bad.second), "query"};
  const window::SloPeriod& slo = c.view.slo;
  if (!slo.budget || !c.state.slow) {
    return {
        error(404, "no_slo",
              c.r.service + " has no latency SLO in the alert policy: the hourly counts a backtest "
                            "replays are kept for services with one"),
        "no slo"};
  }
  const auto given = [&](const char* key) {
    const auto it = params->find(key);
    return it == params->end() ? nullptr : &it->second;
  };
  SloQuestion q{0, slo.budget->objective, slo.budget->days * config::kDayNs,
                cfg_->alert_policy->slo_alerting.min_requests};
  double threshold_ms = slo.budget->threshold_ms;
  if (const auto* t = given("objective")) {
    const auto v = decimal(*t);
    if (!v || !(*v >= config::kSloObjectiveMin && *v <= config::kSloObjectiveMax)) {  // NaN too
      return {
          error(400, "invalid_objective",
                "objective must be a number from " + core::shortest_text(config::kSloObjectiveMin) +
                    " to " + core::shortest_text(config::kSloObjectiveMax) + ", got '" +
                    core::printable(*t) + "'"),
          "query"};
    }
    q.objective = *v;
  }
  const auto& counted = c.state.slow->ms;
  if (const auto* t = given("threshold_ms")) {
    const auto v = decimal(*t);
    if (!v || std::find(counted.begin(), counted.end(), *v) == counted.end()) {
      std::string list;
      for (const double m : counted) list += (list.empty() ? "" : ", ") + core::shortest_text(m);
      return {error(400, "invalid_threshold",
                    "threshold_ms must be one of the thresholds counted exactly (" + list +
                        " ms: windows.slow_thresholds_ms and the SLOs'), got '" +
                        core::printable(*t) + "'"),
              "query"};
    }
    threshold_ms = *v;
  }
  // The SLO's own threshold is always counted (config adds it to the list).
  q.column = static_cast<std::size_t>(std::find(counted.begin(), counted.end(), threshold_ms) -
                                      counted.begin());
  if (const auto* t = given("period")) {
    const auto days = core::parse_whole_days(*t);
    if (!days || *days < 1 || *days > config::kSloPeriodMaxDays) {
      return {error(400, "invalid_period",
                    "period must be whole days from 1d to " +
                        std::to_string(config::kSloPeriodMaxDays) + "d, got '" +
                        core::printable(*t) + "'"),
              "query"};
    }
    q.period_ns = *days * config::kDayNs;
  }
  static const window::SloHours kNone;
  const SloBacktest b = api::slo_backtest(slo.hours ? *slo.hours : kNone, slo.hours_end, q);
  const auto alerts = [](const std::vector<SloAlert>& list) {
    json::array fired;
    for (const auto& a : list) {
      fired.push_back(json::object{
          {"start", core::format_timestamp(a.start_ns)},
          {"end", a.end_ns ? json::value(core::format_timestamp(a.end_ns)) : json::value(nullptr)},
          {"peak_burn_rate", num(a.peak_burn_rate)}});
    }
    return json::object{{"alerts", list.size()}, {"fired", std::move(fired)}};
  };
  const bool any = b.total > 0;
  json::object body{
      {"service", c.r.service},
      {"objective", num(q.objective)},
      {"threshold_ms", num(threshold_ms)},
      {"period_days", q.period_ns / config::kDayNs},
      {"min_requests", num(q.min_requests)},
      {"resolution_s", core::kNanosPerHour / core::kNanosPerSecond},
      {"from", any ? json::value(core::format_timestamp(b.from_ns)) : json::value(nullptr)},
      {"to", any ? json::value(core::format_timestamp(b.to_ns)) : json::value(nullptr)},
      {"requests", b.total},
      {"slow_requests", b.slow},
      {"burn_rate",
       any ? num(static_cast<double>(b.slow) / static_cast<double>(b.total) / (1 - q.objective))
           : json::value(nullptr)},
      {"page", alerts(b.pages)},
      {"ticket", alerts(b.tickets)}};
  return {ok(body), "read"};
}

Api::Decision Api::threshold(const Call& c) const {
  if (!c.r.query.empty()) return {error(400, "unknown_parameter", "no parameters here"), "query"};
  return {ok(threshold_json(c.r.service, c.current), {{"ETag", c.current.etag}}), "read"};
}

std::optional<Api::Decision> Api::set_threshold(const Call& c,
                                                std::function<void(Decision)> done) const {
  const auto& r = c.r;
  if (!thresholds_.writable()) {
    return Decision{error(409, "read_only",
                          "thresholds cannot be changed here: alerting.thresholds_file is not set"),
                    "read only"};
  }
  if (r.body_too_large) {
    return Decision{
        error(413, "body_too_large",
              "the body is larger than " + std::to_string(cfg_->api.max_body_bytes) + " bytes"),
        "body"};
  }
  std::string why_not;
  const auto parsed = parse_json_strict(r.body, &why_not);
  if (!parsed) return Decision{error(400, "malformed_json", "the body is " + why_not), "body"};
  const json::value& doc = *parsed;
  if (!doc.is_object())
    return Decision{error(400, "invalid_body", "expected {\"threshold_ms\": N}"), "body"};
  for (const auto& kv : doc.as_object()) {
    if (kv.key() != "threshold_ms")
      return Decision{
          error(400, "unknown_field", "unknown field '" + core::printable(kv.key()) + "'"), "body"};
  }
  const auto* field = doc.as_object().if_contains("threshold_ms");
  if (!field) return Decision{error(400, "missing_field", "threshold_ms is required"), "body"};
  if (!field->is_number())
    return Decision{error(400, "invalid_type", "threshold_ms must be a number"), "body"};
  std::string why;
  const auto value = threshold_in_bounds(field->to_number<double>(), &why);
  if (!value)
    return Decision{error(400, "out_of_range", why + ", got " + json::serialize(*field)), "body"};

  const auto change = thresholds_.set(*cfg_->alert_policy, r.service, *value, r.if_match,
                                      c.engineer, clock_.now_ns());
  if (change.outcome == ThresholdStore::Outcome::kStale) {
    auto out =
        error(412, "precondition_failed",
              "the threshold changed since " + core::printable(r.if_match) + ": GET it again");
    out.headers.emplace_back("ETag", change.before.etag);
    return Decision{out, "stale etag"};
  }
  if (change.outcome == ThresholdStore::Outcome::kFailed)
    return Decision{error(503, "not_stored", "nothing was changed: " + change.error),
                    "store failed"};
  const RulesOutcome rules = hooks_.write_rules ? hooks_.write_rules(change.all) : RulesOutcome{};
  json::object body = threshold_json(r.service, change.after);
  body["previous"] =
      json::object{{"threshold_ms", num(change.before.ms)}, {"source", change.before.source}};
  body["rules"] = json::object{
      {"configured", rules.configured},
      {"written", rules.written},
      {"file", rules.file},
      {"error", rules.error.empty() ? json::value(nullptr) : json::value(rules.error)}};
  auto answer = [body = std::move(body), etag = change.after.etag, rules,
                 done](const ReloadOutcome& reload) mutable {
    body["prometheus_reload"] = json::object{
        {"status", reload.status}, {"attempts", reload.attempts}, {"detail", reload.detail}};
    // Stored either way; `applied` says whether Prometheus is known to use it.
    body["applied"] = rules.written && reload.status == "ok";
    done({ok(body, {{"ETag", etag}}), "owner changed threshold"});
  };
  if (hooks_.reload_prometheus && rules.written) {
    hooks_.reload_prometheus(std::move(answer));
  } else {
    answer(ReloadOutcome{});
  }
  return std::nullopt;
}

}  // namespace lle::api
