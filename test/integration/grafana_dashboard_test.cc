// The Grafana dashboards (service and team) without Grafana (not installable here):
// their structure and lint rules (portable datasource, a unit on every panel, stable
// uid, 7-day range), the provisioning files, and every PromQL expression they hold
// executed on Debian's Prometheus scraping the exporter on the bundled sample with the
// generated rules. The Loki-input panels get their history backfilled with promtool,
// since a replay has no Loki shards, and so does the team gauge a week ago, for the
// team dashboard's `offset 7d`.
#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "test/support/files.h"
#include "test/support/npm_checker.h"
#include "test/support/process.h"
#include "test/support/prometheus.h"

using namespace std::chrono_literals;
namespace json = boost::json;
using lle::test::read_file;

namespace {

struct Dashboard {
  const char* file;  // under grafana/dashboards/
  const char* uid;
  const char* variable;  // what it is about: one, several or all of them
};
const Dashboard kDashboards[] = {
    {"service-latency-dashboard.json", "loki-latency-service", "service"},
    {"team-latency-dashboard.json", "loki-latency-team", "team"}};

std::filesystem::path path(const Dashboard& d) {
  return lle::test::source_dir() / "grafana/dashboards" / d.file;
}
json::object dashboard(const Dashboard& d = kDashboards[0]) {
  return json::parse(read_file(path(d))).as_object();
}

// Every "datasource" object anywhere in the dashboard.
void datasources(const json::value& v, std::vector<json::object>& out) {
  if (v.is_object()) {
    for (const auto& kv : v.as_object()) {
      if (kv.key() == "datasource" && kv.value().is_object()) out.push_back(kv.value().as_object());
      datasources(kv.value(), out);
    }
  } else if (v.is_array()) {
    for (const auto& x : v.as_array()) datasources(x, out);
  }
}

// Grafana's variables as Grafana would fill them for "All" services.
std::string as_grafana_sends(std::string expr) {
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"$service", ".*"},
                                 {"$team", ".*"},
                                 {"$__rate_interval", "5m"}}) {
    for (std::size_t at; (at = expr.find(from)) != std::string::npos;)
      expr.replace(at, from.size(), to);
  }
  return expr;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(integration_grafana_dashboard)

BOOST_AUTO_TEST_CASE(the_dashboards_are_portable_and_every_panel_has_a_unit) {
  for (const auto& which : kDashboards) {
    BOOST_TEST_CONTEXT(which.file) {
      const auto d = dashboard(which);
      BOOST_TEST(d.at("uid").as_string() == which.uid);
      BOOST_TEST(d.at("id").is_null());
      BOOST_TEST(d.at("schemaVersion").to_number<int>() >= 39);
      BOOST_TEST(d.at("time").at("from").as_string() == "now-7d");
      const auto& vars = d.at("templating").at("list").as_array();
      BOOST_TEST_REQUIRE(vars.size() == 2u);
      BOOST_TEST(vars[0].at("name").as_string() == "datasource");
      BOOST_TEST(vars[0].at("type").as_string() == "datasource");
      BOOST_TEST(vars[0].at("query").as_string() == "prometheus");
      BOOST_TEST(vars[1].at("name").as_string() == which.variable);
      BOOST_TEST(vars[1].at("multi").as_bool());
      BOOST_TEST(vars[1].at("includeAll").as_bool());

      // No hard-coded datasource: everything but Grafana's own annotations goes
      // through the variable (file provisioning does not substitute __inputs).
      std::vector<json::object> refs;
      datasources(d, refs);
      BOOST_TEST(refs.size() > 5u);
      for (const auto& r : refs) {
        if (r.at("type").as_string() == "grafana") continue;
        BOOST_TEST(r.at("type").as_string() == "prometheus");
        BOOST_TEST(r.at("uid").as_string() == "${datasource}", json::serialize(r));
      }
      BOOST_TEST(!d.contains("__inputs"));
      for (const auto& p : d.at("panels").as_array()) {
        const auto& panel = p.as_object();
        const std::string title(panel.at("title").as_string());
        BOOST_TEST(!panel.at("fieldConfig").at("defaults").at("unit").as_string().empty(), title);
        BOOST_TEST(!panel.at("description").as_string().empty(), title);
        BOOST_TEST(!panel.at("targets").as_array().empty(), title);
        for (const auto& t : panel.at("targets").as_array()) {
          BOOST_TEST(t.at("datasource").at("uid").as_string() == "${datasource}", title);
          BOOST_TEST(!t.at("expr").as_string().empty(), title);
        }
      }
      // The firing alerts are annotations.
      bool alerts = false;
      for (const auto& a : d.at("annotations").at("list").as_array())
        alerts = alerts || (a.as_object().contains("expr") &&
                            a.at("expr").as_string().find("ALERTS{") != std::string::npos);
      BOOST_TEST(alerts);
    }
  }
  // The team dashboard: the team's P95 from the native histograms, the exporter's team
  // gauge where there are none, this week against the week before, its members' table.
  std::string team_exprs;
  const auto team = dashboard(kDashboards[1]);
  for (const auto& p : team.at("panels").as_array())
    for (const auto& t : p.at("targets").as_array())
      team_exprs += std::string(t.at("expr").as_string()) + "\n";
  for (const char* part : {"team:loki_latency_p95_seconds:rate5m{team=~\"$team\"} or max by (team) "
                           "(loki_latency_team_window_p95_seconds{team=~\"$team\", window=\"5m\"})",
                           "offset 7d", "service:loki_latency_threshold_seconds:config",
                           "service:loki_latency_p95_seconds:5m > bool on (service)"})
    BOOST_TEST(team_exprs.find(part) != std::string::npos, part);

  const auto root = lle::test::source_dir() / "grafana/provisioning";
  const YAML::Node dashboards =
      YAML::LoadFile((root / "dashboards/loki-latency-exporter.yaml").string());
  BOOST_TEST(dashboards["apiVersion"].as<int>() == 1);
  BOOST_TEST(dashboards["providers"][0]["type"].as<std::string>() == "file");
  BOOST_TEST(!dashboards["providers"][0]["options"]["path"].as<std::string>().empty());
  const YAML::Node sources = YAML::LoadFile((root / "datasources/prometheus.yaml").string());
  BOOST_TEST(sources["datasources"][0]["type"].as<std::string>() == "prometheus");
}

// Against the JSON Schema generated from npm @grafana/schema's Dashboard type, with
// the allowances documented in test/grafana-schema/check.mjs. The npm packages are
// installed once into the build tree.
BOOST_AUTO_TEST_CASE(the_dashboards_match_grafanas_published_schema) {
  const auto checker = lle::test::npm_checker("grafana-schema");
  lle::test::TempDir dir;
  const std::string out = (dir.path() / "out").string(), err = (dir.path() / "err").string();
  BOOST_TEST(lle::test::run_to_exit({"node", (checker / "check.mjs").string(),
                                     path(kDashboards[0]).string(), path(kDashboards[1]).string()},
                                    out, err) == 0,
             read_file(out) + read_file(err));
  for (const auto& which : kDashboards)
    BOOST_TEST(read_file(out).find(std::string(which.file) + ": valid") != std::string::npos,
               read_file(out));
  // The check can fail: a dashboard whose panels are not a list is refused.
  auto broken = dashboard();
  broken["panels"] = "none";
  const std::string bad = dir.write("bad.json", json::serialize(broken));
  BOOST_TEST(lle::test::run_to_exit({"node", (checker / "check.mjs").string(), bad}, out, err) ==
             1);
  BOOST_TEST(read_file(out).find("/panels must be array") != std::string::npos, read_file(out));
}

BOOST_AUTO_TEST_CASE(every_query_returns_series_on_a_real_prometheus) {
  lle::test::TempDir dir;
  const auto d = [&](const std::string& name) { return (dir.path() / name).string(); };
  const std::string root = lle::test::source_dir().string();
  const int exporter_port = lle::test::free_port(), prom_port = lle::test::free_port();

  // The bundled services; a policy whose alerts fire within seconds, for ALERTS, and
  // an SLO for payments-api, for the SLO panels (the bundled policy's budgets).
  dir.write("policy.yaml",
            "defaults: {latency: {threshold_ms: 300, for: 1s}}\n"
            "services: {payments-api: {threshold_ms: 250, for: 1s, slo: {objective: 0.99}}}\n"
            "links: {runbook: 'https://r/#{alert}', dashboard: 'https://d'}\n");
  const std::string config =
      dir.write("exporter.yaml", "services_file: " + root +
                                     "/deploy/config/services.yaml\nalerting: {policy_file: "
                                     "policy.yaml}\n");
  BOOST_TEST_REQUIRE(lle::test::run_to_exit({lle::test::exporter_binary(), "rules", "generate",
                                             "--config", config, "--out", d("rules.yaml")},
                                            d("gen.out"), d("gen.err")) == 0,
                     read_file(d("gen.err")));

  // 20 minutes of Loki-input history, every 15 s up to now.
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  std::string om;
  const std::string labels = R"({job="loki-latency-exporter",instance="backfill",shard="0"})";
  for (const char* family :
       {"loki_latency_loki_connected", "loki_latency_loki_ingest_lag_seconds",
        "loki_latency_loki_repaired_lines", "loki_latency_loki_unrepaired_lines",
        "loki_latency_loki_late_lines"}) {
    const bool counter = std::string(family).ends_with("_lines");
    om += std::string("# TYPE ") + family + (counter ? " counter\n" : " gauge\n");
    for (int i = 80; i >= 1; --i) {
      const long long t = now_s - i * 15;
      om += std::string(family) + (counter ? "_total" : "") + labels + " " +
            std::to_string(counter ? (80 - i) * 3 : 1) + " " + std::to_string(t) + "\n";
    }
  }
  // The team gauge a week ago (40 minutes around now - 7d), for `offset 7d` on a
  // Prometheus without native histograms a week ago.
  om += "# TYPE loki_latency_team_window_p95_seconds gauge\n";
  for (int i = -80; i <= 80; ++i) {
    om += R"(loki_latency_team_window_p95_seconds{job="loki-latency-exporter",instance="backfill",)"
          R"(team="payments",window="5m"} 0.15 )" +
          std::to_string(now_s - 7 * 86400 + i * 15) + "\n";
  }
  om += "# EOF\n";
  dir.write("history.om", om);
  BOOST_TEST_REQUIRE(lle::test::run_to_exit({"promtool", "tsdb", "create-blocks-from",
                                             "openmetrics", d("history.om"), d("tsdb")},
                                            d("backfill.out"), d("backfill.err")) == 0,
                     read_file(d("backfill.err")));

  lle::test::Process exporter(
      {lle::test::exporter_binary(), "run", "--config", root + "/deploy/config/exporter.yaml",
       "--replay", root + "/test/testdata/sample/sample.jsonl", "--rebase-to-now", "--listen",
       "127.0.0.1:" + std::to_string(exporter_port)},
      "/dev/null", d("exporter.out"), d("exporter.err"));
  BOOST_TEST_REQUIRE(lle::test::wait_for_replay(d("exporter.err"), 30s) == exporter_port,
                     read_file(d("exporter.err")));
  dir.write("prometheus.yml",
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            "rule_files: [rules.yaml]\n"
            "scrape_configs:\n  - job_name: loki-latency-exporter\n"
            "    static_configs: [{targets: ['127.0.0.1:" +
                std::to_string(exporter_port) + "']}]\n");
  // Native histograms on: the team and fleet panel reads them (docs/dashboard.md).
  const auto prometheus =
      lle::test::start_prometheus(dir.path(), prom_port, {"--enable-feature=native-histograms"});

  const auto query = [&](const std::string& expr) {
    return lle::test::prometheus_result(prom_port, "/api/v1/query", {{"query", expr}});
  };
  // Payments-api breaches its 250 ms in the sample: its alert fires after `for`, once
  // Prometheus has scraped and evaluated; by then every rate() has two samples. Each
  // rule group evaluates on its own schedule, so the SLO group's ratios (rate() over
  // two scrapes) are waited for too.
  BOOST_TEST_REQUIRE(
      lle::test::wait_until(
          [&] {
            return !query(R"(ALERTS{alertstate="firing", service="payments-api"})").empty() &&
                   !query(R"(service:loki_latency_slo_errors:ratio_rate5m{service="payments-api"})")
                        .empty();
          },
          60s),
      read_file(d("prom.err")));

  std::vector<std::string> exprs;
  for (const auto& which : kDashboards) {
    const auto dash = dashboard(which);
    // A target there for its exemplars draws no series: exemplars_test runs it.
    for (const auto& p : dash.at("panels").as_array())
      for (const auto& t : p.at("targets").as_array())
        if (!t.as_object().contains("exemplar")) exprs.emplace_back(t.at("expr").as_string());
    for (const auto& a : dash.at("annotations").at("list").as_array())
      if (a.as_object().contains("expr")) exprs.emplace_back(a.at("expr").as_string());
  }
  BOOST_TEST(exprs.size() >= 20u);
  // "a or b": the native histograms' answer, else the gauges'. Each side answers alone
  // too, but for the native histograms a week ago (Prometheus has a few minutes of them).
  std::vector<std::string> sides;
  for (const auto& e : exprs) {
    const auto at = e.find(" or ");
    if (at == std::string::npos) continue;
    for (const auto& side : {e.substr(0, at), e.substr(at + 4)})
      if (side.find("rate5m") == std::string::npos || side.find("offset") == std::string::npos)
        sides.push_back(side);
  }
  BOOST_TEST(sides.size() == 3u);
  exprs.insert(exprs.end(), sides.begin(), sides.end());
  for (const auto& e : exprs) {
    const auto result = query(as_grafana_sends(e));
    BOOST_TEST(!result.empty(), e);
    const bool per_service = e.find("$service") != std::string::npos;
    if (!per_service && e.find("$team") == std::string::npos) continue;
    bool demo = false;  // the regressed demo service (or its team) is among the series
    for (const auto& s : result) {
      const auto& m = s.at("metric").as_object();
      demo = demo || (m.contains("service") && m.at("service").as_string() == "payments-api") ||
             (!per_service && m.contains("team") && m.at("team").as_string() == "payments");
    }
    BOOST_TEST(demo, e);
  }
}

BOOST_AUTO_TEST_SUITE_END()
