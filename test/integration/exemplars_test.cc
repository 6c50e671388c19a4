// Exemplars on Debian's Prometheus 2.42 (--enable-feature=exemplar-storage): an
// exporter replays lines carrying trace ids at a pace while Prometheus scrapes it
// in OpenMetrics, and /api/v1/query_exemplars leads from the slow bucket to the
// ids of the slow lines that were replayed.
#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <boost/url.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>
#include <string>

#include "test/support/files.h"
#include "test/support/process.h"
#include "test/support/prometheus.h"

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

// trace_id -> (latency in seconds) of every exemplar Prometheus holds for the
// series, by their `le`.
std::map<std::string, std::map<std::string, double>> exemplars_by_le(int port,
                                                                     const std::string& selector) {
  boost::urls::url u("/api/v1/query_exemplars");
  u.params().append({"query", selector});
  u.params().append({"start", "0"});
  u.params().append({"end", std::to_string(std::time(nullptr) + 3600)});
  const auto r = lle::test::http_request(port, "GET", std::string(u.buffer()));
  std::map<std::string, std::map<std::string, double>> out;
  if (r.status != 200) return out;
  const json::value answer = json::parse(r.body);
  for (const auto& series : answer.at("data").as_array()) {
    const std::string le(series.at("seriesLabels").at("le").as_string());
    for (const auto& e : series.at("exemplars").as_array()) {
      out[le][std::string(e.at("labels").at("trace_id").as_string())] =
          std::stod(std::string(e.at("value").as_string()));
    }
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(integration_exemplars)

BOOST_AUTO_TEST_CASE(prometheus_stores_the_ids_of_the_slow_lines_replayed) {
  lle::test::TempDir dir;
  const auto d = [&](const std::string& name) { return (dir.path() / name).string(); };
  // 360 lines a second apart, each with its id; every 60th (from the 60th) is slow.
  // Replayed at 15x, a slow line is the newest of its bucket for 4 s: several scrapes.
  std::set<std::string> slow_ids, fast_ids;
  std::string last_slow;
  std::string lines;
  const std::time_t start = std::time(nullptr) - 400;
  char ts[64], line[200];
  for (int i = 0; i < 360; ++i) {
    const bool slow = i % 60 == 59;
    const std::string id = (slow ? "slow-" : "fast-") + std::to_string(i);
    (slow ? slow_ids : fast_ids).insert(id);
    if (slow) last_slow = id;
    const std::time_t t = start + i;
    std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    std::snprintf(line, sizeof line,
                  R"({\"service\":\"checkout\",\"latency_ms\":%d,\"trace_id\":\"%s\",)"
                  R"(\"schema_version\":\"1\"})",
                  slow ? 1500 : 40, id.c_str());
    lines += std::string(R"({"labels":{"app":"shop"},"line":")") + line + R"(","timestamp":")" +
             ts + "\"}\n";
  }
  dir.write("lines.jsonl", lines);
  dir.write("services.yaml",
            "services:\n  - {id: checkout, team: a, owners: [x], match: {field: checkout}}\n");
  dir.write("exporter.yaml",
            "services_file: services.yaml\n"
            "parsing: {fields: {trace_id: trace_id}}\n"
            "windows: {allowed_lateness: 5m, publish_interval: 200ms}\n"
            "metrics: {classic_buckets: [0.0625, 0.25, 1, 2]}\n");
  const int port = lle::test::free_port(), prom_port = lle::test::free_port();
  dir.write("prometheus.yml",
            "global: {scrape_interval: 1s}\n"
            "scrape_configs:\n  - job_name: lle\n    static_configs: [{targets: ['127.0.0.1:" +
                std::to_string(port) + "']}]\n");
  const auto prometheus =
      lle::test::start_prometheus(dir.path(), prom_port, {"--enable-feature=exemplar-storage"});
  lle::test::Process exporter({lle::test::exporter_binary(), "run", "--config", d("exporter.yaml"),
                               "--replay", d("lines.jsonl"), "--rebase-to-now", "--speed", "15",
                               "--listen", "127.0.0.1:" + std::to_string(port)},
                              "/dev/null", d("exporter.out"), d("exporter.err"));
  BOOST_TEST_REQUIRE(lle::test::wait_for_replay(d("exporter.err"), 60s) == port,
                     lle::test::read_file(d("exporter.err")));

  const std::string series = R"(loki_latency_request_duration_seconds_bucket{service="checkout"})";
  std::map<std::string, std::map<std::string, double>> got;
  // Every slow line was scraped as the exemplar of (1, 2] s, the last one included.
  const bool all = lle::test::wait_until(
      [&] {
        got = exemplars_by_le(prom_port, series);
        return got["2"].size() >= slow_ids.size();
      },
      30s);
  BOOST_TEST(all, lle::test::read_file(d("prom.err")));
  std::set<std::string> slow_seen;
  for (const auto& [id, seconds] : got["2"]) {
    slow_seen.insert(id);
    BOOST_TEST(seconds == 1.5, id);
  }
  BOOST_TEST((slow_seen == slow_ids));
  // The fast lines' bucket (0.0625 s) leads to fast lines only; the others have none.
  BOOST_TEST(!got["0.0625"].empty());
  for (const auto& [id, seconds] : got["0.0625"]) {
    BOOST_TEST(fast_ids.count(id) == 1u, id);
    BOOST_TEST(seconds == 0.04, id);
  }
  for (const char* le : {"0.25", "1", "+Inf"}) BOOST_TEST(got[le].empty(), le);

  // The dashboard's P95 panel asks for the same exemplars (its query as Grafana sends
  // it for all services), and its datasource links their trace_id to Loki.
  const auto dash = json::parse(lle::test::read_file(
      lle::test::source_dir() / "grafana/dashboards/service-latency-dashboard.json"));
  std::vector<std::string> exemplar_exprs;
  for (const auto& panel : dash.at("panels").as_array()) {
    for (const auto& t : panel.at("targets").as_array()) {
      if (!t.as_object().contains("exemplar") || !t.at("exemplar").as_bool()) continue;
      BOOST_TEST(std::string(panel.at("title").as_string()).find("P95") != std::string::npos);
      std::string e(t.at("expr").as_string());
      e.replace(e.find("$service"), 8, ".*");
      exemplar_exprs.push_back(e);
    }
  }
  BOOST_TEST_REQUIRE(exemplar_exprs.size() == 1u);
  const auto from_dashboard = exemplars_by_le(prom_port, exemplar_exprs[0]);
  BOOST_TEST(from_dashboard.count("2") == 1u);
  if (from_dashboard.count("2")) BOOST_TEST(from_dashboard.at("2").count(last_slow) == 1u);
  const auto sources = YAML::LoadFile(
      (lle::test::source_dir() / "grafana/provisioning/datasources/prometheus.yaml").string());
  const auto links = sources["datasources"][0]["jsonData"]["exemplarTraceIdDestinations"];
  BOOST_TEST_REQUIRE(links.size() >= 1u);
  BOOST_TEST(links[0]["name"].as<std::string>() == "trace_id");
  BOOST_TEST(links[0]["url"].as<std::string>().find("$${__value.raw}") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
