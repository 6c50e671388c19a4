#include "exporter/web/routes.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstring>
#include <variant>
#include <vector>

#include "exporter/api/access.h"
#include "exporter/core/printable.h"
#include "exporter/web/pages.h"

namespace lle::web {
namespace {

// The services a status page shows: those `wanted` (all for the list), and of
// those (engineer given: the API's access control is on) the ones the engineer
// may read; with the threshold in force.
using Wanted = std::function<bool(const config::Config&, const config::ServiceConfig&,
                                  const std::string* engineer)>;
std::vector<StatusRow> status_rows(const metrics::Published& state, const config::Config& cfg,
                                   const api::ThresholdStore& thresholds,
                                   const std::string* engineer, const Wanted& wanted) {
  std::vector<StatusRow> rows;
  const auto& snap = state.snapshot;
  const auto at = api::positions(snap);
  for (const auto& s : cfg.services) {
    if (!wanted(cfg, s, engineer) || (engineer && !api::may_read(cfg, s, *engineer))) continue;
    StatusRow row{s.info, {}, nullptr, std::nan(""), "", nullptr};
    if (const auto i = at.find(s.info.id); i != at.end()) {
      row.view = snap.views[i->second];
      if (i->second < snap.trends.size()) row.trend = snap.trends[i->second];
      if (i->second < snap.exemplars.size())
        row.slowest_by_hour = snap.exemplars[i->second].slowest_by_hour;
    }
    if (cfg.alert_policy) {
      const auto e = thresholds.effective(*cfg.alert_policy, s.info.id);
      row.threshold_ms = e.ms;
      row.threshold_source = e.source;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

// 404 for a service this exporter does not show: another fleet member's (named),
// or none it may show.
HttpResponse not_here(const config::Config& cfg, const std::string& id) {
  if (auto other = api::served_elsewhere(cfg, id))
    return {other->status, "application/json", std::move(other->body)};
  return json_error(404, "unknown_service", "no service '" + id + "' to show you");
}

HttpResponse metrics_page(const Site& site, const HttpServer& http, const HttpRequest& h) {
  auto life = site.lifecycle.get();
  life.http_connections_refused = http.refused_connections();
  const auto cfg = site.config.load();
  const auto& m = cfg->metrics;
  switch (negotiate_exposition(h.header("Accept"))) {
    case Exposition::kProtobuf:
      return {200, std::string(metrics::kProtobufContentType),
              metrics::render_protobuf(*site.state.load(), life, m.native_histogram_schema,
                                       m.classic_buckets)};
    case Exposition::kOpenMetrics:
      return {200, std::string(metrics::kOpenMetricsContentType),
              metrics::render_exposition(*site.state.load(), life, m.classic_buckets,
                                         metrics::TextFormat::kOpenMetrics)};
    default:
      return {200, std::string(metrics::kTextContentType),
              metrics::render_exposition(*site.state.load(), life, m.classic_buckets)};
  }
}

// The status pages show what the API would: with api.auth on, only to an
// identified engineer, and only the services they may read.
template <class Render>
HttpResponse status_page(const Site& site, const HttpRequest& h, const Wanted& wanted,
                         const Render& render) {
  const auto cfg = site.config.load();
  const auto a = site.api.load();
  std::string who;
  if (a) {
    const auto& ac = a->access();
    const auto id = a->identify({h.header("Authorization"), h.header(ac.proxy_header),
                                 h.header(ac.proxy_secret_header), h.peer});
    if (const auto* d = std::get_if<api::Denied>(&id)) {
      return HttpResponse{
          d->status,
          "text/html; charset=utf-8",
          "<!doctype html><title>Sign in</title><p>" + html_escape(d->detail) + "</p>\n",
          {{"WWW-Authenticate", "Bearer realm=\"loki-latency-exporter\""}}};
    }
    who = std::get<api::Caller>(id).engineer;
  }
  const auto state = site.state.load();
  return render(*state, *cfg,
                status_rows(*state, *cfg, site.thresholds, a ? &who : nullptr, wanted),
                a ? &who : nullptr);
}

HttpResponse landing(const Site& site, const HttpRequest& h) {
  std::string why;
  const auto query = parse_list_query(h.query, &why);
  if (!query) return json_error(400, "invalid_query", why);
  return status_page(
      site, h, [](const auto&, const auto&, const auto*) { return true; },
      [&](const metrics::Published& s, const config::Config&, const std::vector<StatusRow>& rows,
          const std::string* who) {
        return HttpResponse{200, "text/html; charset=utf-8",
                            landing_page(s, rows, who ? *who : "", *query)};
      });
}

// The services the signed-in engineer owns, or whose team they are in.
HttpResponse mine(const Site& site, const HttpRequest& h) {
  std::string why;
  auto query = parse_list_query(h.query, &why);
  if (!query) return json_error(400, "invalid_query", why);
  query->mine = true;
  if (!site.api.load())
    return json_error(404, "api_disabled", "/mine needs a signed-in engineer: configure api.auth");
  return status_page(
      site, h,
      [](const config::Config& cfg, const config::ServiceConfig& s, const std::string* who) {
        return who && api::owns(cfg, s, *who);
      },
      [&](const metrics::Published& s, const config::Config&, const std::vector<StatusRow>& rows,
          const std::string* who) {
        return HttpResponse{200, "text/html; charset=utf-8",
                            landing_page(s, rows, who ? *who : "", *query)};
      });
}

HttpResponse service(const Site& site, const HttpRequest& h) {
  const std::string& id = h.params.at("id");
  return status_page(
      site, h,
      [&](const auto&, const config::ServiceConfig& s, const auto*) { return s.info.id == id; },
      [&](const metrics::Published& s, const config::Config& cfg,
          const std::vector<StatusRow>& rows, const std::string*) {
        for (const auto& row : rows)
          if (row.info.id == id)
            return HttpResponse{200, "text/html; charset=utf-8", service_page(s, row)};
        return not_here(cfg, id);
      });
}

HttpResponse team(const Site& site, const HttpRequest& h) {
  const std::string& id = h.params.at("team");
  return status_page(
      site, h,
      [&](const auto&, const config::ServiceConfig& s, const auto*) { return s.info.team == id; },
      [&](const metrics::Published& s, const config::Config& cfg,
          const std::vector<StatusRow>& rows, const std::string* who) {
        const auto& teams = s.snapshot.teams;
        const auto t =
            std::find_if(teams.begin(), teams.end(), [&](const auto& v) { return v.team == id; });
        if (t == teams.end() || (who && !api::may_read_team(cfg, id, *who)))
          return json_error(404, "unknown_team", "no team '" + id + "' to show you");
        const auto i = static_cast<std::size_t>(t - teams.begin());
        const auto trend = i < s.snapshot.team_trends.size() ? s.snapshot.team_trends[i] : nullptr;
        return HttpResponse{200, "text/html; charset=utf-8", team_page(s, *t, trend, rows)};
      });
}

// Up to kMaxCompared services on one chart; each must be one the engineer may read.
HttpResponse compare(const Site& site, const HttpRequest& h) {
  std::string why;
  const auto ids = parse_compare_query(h.query, &why);
  if (!ids) return json_error(400, "invalid_query", why);
  return status_page(
      site, h,
      [&](const auto&, const config::ServiceConfig& s, const auto*) {
        return std::find(ids->begin(), ids->end(), s.info.id) != ids->end();
      },
      [&](const metrics::Published& s, const config::Config& cfg, std::vector<StatusRow> rows,
          const std::string*) {
        std::vector<StatusRow> ordered;
        for (const auto& id : *ids) {
          const auto r = std::find_if(rows.begin(), rows.end(),
                                      [&](const auto& r) { return r.info.id == id; });
          if (r == rows.end()) return not_here(cfg, id);
          ordered.push_back(std::move(*r));
        }
        return HttpResponse{200, "text/html; charset=utf-8", compare_page(s, ordered)};
      });
}

// What a fleet member tells the others (GET /-/fleet): its place, and which of the
// services it owns have their history fetched. A member in a handoff's grace period
// drops a service it lost once its new owner lists it ready (docs/fleet.md). 503
// until the engine has started: before, the published state cannot say.
HttpResponse fleet(const Site& site) {
  const auto state = site.state.load();
  const auto& status = state->status;
  if (!status.running)
    return json_error(503, "starting", "the input has not started yet: readiness is not known");
  const auto& services = *state->snapshot.services;
  boost::json::array ready, not_ready, leaving;
  for (std::size_t i = 0; i < std::min(services.size(), state->snapshot.views.size()); ++i) {
    auto& list = services[i].leaving                 ? leaving
                 : metrics::service_ready(*state, i) ? ready
                                                     : not_ready;
    list.emplace_back(services[i].id);
  }
  boost::json::object o{{"member", status.fleet.member},
                        {"members", status.fleet.members},
                        {"ready", std::move(ready)},
                        {"not_ready", std::move(not_ready)},
                        {"leaving", std::move(leaving)}};
  return {200, "application/json", boost::json::serialize(o) + "\n"};
}

void reload(const Site& site, const Respond& respond) {
  site.reload([respond](const ReloadOutcome& outcome) {
    if (!outcome.first) return respond(json_error(500, "reload_failed", outcome.second));
    boost::json::object o{{"status", "reloaded"}, {"detail", outcome.second}};
    respond({200, "application/json", boost::json::serialize(o) + "\n"});
  });
}

}  // namespace

Exposition negotiate_exposition(std::string_view accept) {
  namespace http = boost::beast::http;
  const auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
  };
  double protobuf = 0, openmetrics = 0, other = 0;
  while (!accept.empty()) {
    const auto comma = accept.find(',');
    const std::string_view range = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    const auto semicolon = std::min(range.find(';'), range.size());
    const std::string_view type = trim(range.substr(0, semicolon));
    if (type.empty()) continue;
    double q = 1;
    bool metric_family = false, delimited = false;
    for (const auto& [name, value] : http::param_list(range.substr(semicolon))) {
      if (boost::beast::iequals(name, "q")) {
        const auto v = trim(value);
        // A qvalue is 0 to 1 (RFC 9110 12.4.2); anything else makes the range unacceptable.
        const auto r = std::from_chars(v.data(), v.data() + v.size(), q);
        if (r.ec != std::errc() || r.ptr != v.data() + v.size() || !(q >= 0 && q <= 1)) q = 0;
      }
      if (boost::beast::iequals(name, "proto"))
        metric_family = value == "io.prometheus.client.MetricFamily";
      if (boost::beast::iequals(name, "encoding")) delimited = value == "delimited";
    }
    if (boost::beast::iequals(type, "application/vnd.google.protobuf") && metric_family &&
        delimited) {
      protobuf = std::max(protobuf, q);
    } else if (boost::beast::iequals(type, "application/openmetrics-text")) {
      openmetrics = std::max(openmetrics, q);
    } else {
      other = std::max(other, q);
    }
  }
  // The client's most preferred; on a tie the format that carries the most.
  if (protobuf > 0 && protobuf >= std::max(openmetrics, other)) return Exposition::kProtobuf;
  if (openmetrics > 0 && openmetrics >= other) return Exposition::kOpenMetrics;
  return Exposition::kText;
}

void add_api_routes(Router& router, std::function<std::shared_ptr<const api::Api>()> api,
                    std::function<std::shared_ptr<const window::Snapshot>()> state) {
  for (const auto& route : api::kRoutes) {
    const auto serve = [api, state, endpoint = route.endpoint](const HttpRequest& h,
                                                               const Respond& respond) {
      const auto a = api();
      if (!a)
        return respond(json_error(404, "api_disabled", "the REST API is off: configure api.auth"));
      const config::ApiConfig& access = a->access();
      const auto param = [&h](const char* name) {
        const auto it = h.params.find(name);
        return it == h.params.end() ? std::string() : it->second;
      };
      api::Request r{h.method,
                     h.path,
                     h.query,
                     h.body,
                     std::string(h.header("If-Match")),
                     {h.header("Authorization"), h.header(access.proxy_header),
                      h.header(access.proxy_secret_header), h.peer},
                     h.body_too_large || h.body.size() > access.max_body_bytes,
                     param("id"),
                     param("team")};
      // The snapshot stays alive until the answer is made.
      a->serve(endpoint, r, *state(), [respond, a](api::Response out) {
        respond({out.status, "application/json", std::move(out.body), std::move(out.headers)});
      });
    };
    router.add({route.method, route.path, serve,
                route.endpoint == api::Endpoint::kSetThreshold ? 1u << 20 : 0});
  }
}

void add_routes(HttpServer& http, const Site& site) {
  Router& routes = http.routes();
  routes.add_page("/metrics", [&](const HttpRequest& h) { return metrics_page(site, http, h); });
  routes.add_page("/", [&](const HttpRequest& h) { return landing(site, h); });
  routes.add_page("/service/{id}", [&](const HttpRequest& h) { return service(site, h); });
  routes.add_page("/team/{team}", [&](const HttpRequest& h) { return team(site, h); });
  routes.add_page("/mine", [&](const HttpRequest& h) { return mine(site, h); });
  routes.add_page("/compare", [&](const HttpRequest& h) { return compare(site, h); });
  routes.add_page("/-/healthy", [](const HttpRequest&) {
    return HttpResponse{200, "text/plain; charset=utf-8", "OK\n"};
  });
  routes.add_page("/-/fleet", [&](const HttpRequest&) { return fleet(site); });
  // Ready as soon as state is served; never tied to the input being reachable.
  routes.add_page("/-/ready", [](const HttpRequest&) {
    return HttpResponse{200, "text/plain; charset=utf-8", "ready\n"};
  });
  add_api_routes(
      routes, [&site] { return site.api.load(); },
      [&site]() -> std::shared_ptr<const window::Snapshot> {
        auto published = site.state.load();
        return {published, &published->snapshot};
      });
  routes.add({"POST", "/-/reload", [&](const HttpRequest&, const Respond& r) { reload(site, r); }});
}

}  // namespace lle::web
