// End to end with the real servers, all on 127.0.0.1 and bounded in time: the
// exporter replays a regression fixture at 60x speed -> Debian's Prometheus
// scrapes it every second and evaluates the generated rules -> Debian's
// Alertmanager with deploy/alertmanager/alertmanager.yml -> a local PagerDuty
// Events v2 receiver. The latency really rises and falls in the exporter's
// windows (no restart), so the resolve comes from recovery, not from a series
// going away. Writes a transcript to artifacts/evidence/alert-dry-run.txt.
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "test/support/files.h"
#include "test/support/pagerduty_receiver.h"
#include "test/support/process.h"
#include "test/support/prometheus.h"

using namespace std::chrono_literals;
namespace json = boost::json;
using lle::test::read_file;

namespace {

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  BOOST_TEST_REQUIRE(at != std::string::npos, "'" << from << "' not found");
  return s.replace(at, from.size(), to);
}

// 30 minutes of lines, 2 per second per service (logcli jsonl): payments-api at
// ~400 ms from minute 10 to 20 and ~100 ms otherwise; checkout and search healthy.
std::string regression_fixture() {
  std::string out;
  char ts[64];
  for (int s = 0; s < 30 * 60; ++s) {
    for (int half = 0; half < 2; ++half) {
      std::snprintf(ts, sizeof ts, "2026-01-01T00:%02d:%02d.%d00000000Z", s / 60, s % 60, half * 5);
      const bool regressed = s >= 10 * 60 && s < 20 * 60;
      const int jitter = (s * 7 + half * 13) % 40;
      const std::pair<const char*, int> lines[] = {
          {"payments-api", (regressed ? 380 : 80) + jitter},
          {"checkout", 90 + jitter},
          {"search", 140 + jitter}};
      for (const auto& [service, ms] : lines) {
        out += std::string(R"({"labels":{"namespace":"shop"},"timestamp":")") + ts +
               R"(","line":"{\"service\":\")" + service + R"(\",\"latency_ms\":)" +
               std::to_string(ms) + R"(,\"status\":200}"})" + "\n";
      }
    }
  }
  return out;
}

// 55 minutes of lines, 2 per second per service: checkout healthy throughout;
// payments-api from minute 10 on (10 s of wall time at 60x, for Prometheus to scrape
// its counters at 0 first), every line at 350 ms from minute 15 to 17 (a fast burn of a
// 300 ms SLO), otherwise 80-119 ms with every tenth line exactly at 300 ms (not above
// it). `lines` and `slow` get payments-api's lines and those above 300 ms.
std::string burn_fixture(int* lines, int* slow) {
  std::string out;
  char ts[64];
  *lines = *slow = 0;
  for (int s = 0; s < 55 * 60; ++s) {
    for (int half = 0; half < 2; ++half) {
      std::snprintf(ts, sizeof ts, "2026-01-01T00:%02d:%02d.%d00000000Z", s / 60, s % 60, half * 5);
      const bool burning = s >= 15 * 60 && s < 17 * 60;
      const int at = (2 * s + half) % 10 == 0 ? 300 : 80 + (s * 7 + half * 13) % 40;
      const int ms = burning ? 350 : at;
      const bool paying = s >= 10 * 60;
      *lines += paying;
      *slow += paying && ms > 300;
      for (const auto& [service, v] : {std::pair{"payments-api", ms}, std::pair{"checkout", 90}}) {
        if (!paying && std::string_view(service) == "payments-api") continue;
        out += std::string(R"({"labels":{"namespace":"shop"},"timestamp":")") + ts +
               R"(","line":"{\"service\":\")" + service + R"(\",\"latency_ms\":)" +
               std::to_string(v) + R"(,\"status\":200}"})" + "\n";
      }
    }
  }
  return out;
}

struct Event {
  json::object body;
  double at_s;  // seconds after the exporter started
};

// The whole path on 127.0.0.1: the exporter replaying `fixture` at 60x under
// `policy` (services payments-api and checkout of team payments, search of team
// discovery), Prometheus scraping it every second with the rules generated from
// that policy, the shipped Alertmanager config with test timings, and a local
// PagerDuty Events v2 receiver.
struct Stack {
  lle::test::TempDir dir;
  const std::string root = lle::test::source_dir().string();
  const int exporter_port = lle::test::free_port(), prometheus_port = lle::test::free_port(),
            am_port = lle::test::free_port();
  lle::test::PagerDutyReceiver pagerduty;
  std::unique_ptr<lle::test::Process> alertmanager, prometheus, exporter;
  std::chrono::steady_clock::time_point started;
  std::vector<Event> events;  // every event PagerDuty got, with when it came

  std::string d(const std::string& name) const { return (dir.path() / name).string(); }

  Stack(const std::string& policy, const std::string& fixture) {
    dir.write("services.yaml", R"(services:
  - {id: payments-api, display_name: Payments API, team: payments, owners: [alice]}
  - {id: checkout, display_name: Checkout, team: payments, owners: [bob]}
  - {id: search, display_name: Search, team: discovery, owners: [dave]}
)");
    dir.write("policy.yaml", policy);
    const std::string config =
        dir.write("exporter.yaml",
                  "listen: 127.0.0.1:" + std::to_string(exporter_port) +
                      "\nservices_file: services.yaml\nalerting: {policy_file: policy.yaml}\n"
                      "parsing: {default_schema_version: \"1\"}\n"
                      "windows: {publish_interval: 200ms}\n");
    const std::string lines = dir.write("fixture.jsonl", fixture);
    BOOST_TEST_REQUIRE(lle::test::run_to_exit({lle::test::exporter_binary(), "rules", "generate",
                                               "--config", config, "--out", d("rules.yaml")},
                                              d("gen.out"), d("gen.err")) == 0,
                       read_file(d("gen.err")));

    // Alertmanager: the shipped config, with test timings and the local receiver.
    std::filesystem::create_directories(dir.path() / "am/secrets/pagerduty");
    std::filesystem::copy(root + "/deploy/alertmanager/templates", d("am/templates"));
    for (const char* team :
         {"payments", "discovery", "fulfillment", "identity", "messaging", "observability"}) {
      dir.write(std::string("am/secrets/pagerduty/") + team, std::string("rk-") + team);
    }
    std::string am = read_file(root + "/deploy/alertmanager/alertmanager.yml");
    am = replace(am, "global:\n", "global:\n  pagerduty_url: " + pagerduty.url() + "\n");
    am = replace(am, "group_wait: 30s", "group_wait: 1s");
    am = replace(am, "group_interval: 5m", "group_interval: 1s");
    for (std::size_t at; (at = am.find("/etc/alertmanager/secrets/")) != std::string::npos;)
      am.replace(at, std::strlen("/etc/alertmanager/secrets/"), d("am/secrets/"));
    dir.write("am/alertmanager.yml", am);
    alertmanager = std::make_unique<lle::test::Process>(
        std::vector<std::string>{"prometheus-alertmanager",
                                 "--config.file=" + d("am/alertmanager.yml"),
                                 "--storage.path=" + d("am/data"),
                                 "--web.listen-address=127.0.0.1:" + std::to_string(am_port),
                                 "--cluster.listen-address="},
        "/dev/null", d("am.out"), d("am.err"));

    dir.write("prometheus.yml",
              "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
              "rule_files: [rules.yaml]\n"
              "alerting:\n  alertmanagers:\n    - static_configs: [{targets: "
              "['127.0.0.1:" +
                  std::to_string(am_port) +
                  "']}]\n"
                  "scrape_configs:\n  - job_name: loki-latency-exporter\n"
                  "    static_configs: [{targets: ['127.0.0.1:" +
                  std::to_string(exporter_port) + "']}]\n");
    prometheus = lle::test::start_prometheus(dir.path(), prometheus_port);
    BOOST_TEST_REQUIRE(lle::test::wait_ready(am_port, 30s), read_file(d("am.err")));

    started = std::chrono::steady_clock::now();
    exporter = std::make_unique<lle::test::Process>(
        std::vector<std::string>{lle::test::exporter_binary(), "run", "--config", config,
                                 "--replay", lines, "--rebase-to-now", "--speed", "60"},
        "/dev/null", d("exporter.out"), d("exporter.err"));
  }

  // Collects PagerDuty's events until `done` holds for them (at most 120 s).
  template <typename Done>
  bool wait_for(Done done) {
    return lle::test::wait_until(
        [&] {
          const auto bodies = pagerduty.events();
          const double now =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
          for (std::size_t i = events.size(); i < bodies.size(); ++i)
            events.push_back({json::parse(bodies[i]).as_object(), now});
          return done(events);
        },
        120s);
  }
  std::string why() const {
    std::string all;
    for (const auto& e : events) all += json::serialize(e.body) + "\n";
    return all + read_file(d("exporter.err")) + read_file(d("am.err"));
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(integration_alert_e2e)

BOOST_AUTO_TEST_CASE(a_regression_pages_its_team_once_and_resolves_when_latency_recovers) {
  // A 250 ms threshold held for 2 s (wall time: the replay runs 60x faster than its
  // timestamps).
  Stack stack(R"(defaults:
  latency: {threshold_ms: 250, for: 2s, severity: high}
  regression: {factor: 1.5, for: 24h}
exporter: {down_for: 1h, loki_disconnected_for: 1h}
links: {runbook: 'https://runbooks.example/#{alert}', dashboard: 'https://grafana.example/d/x?var-service={service}'}
)",
              regression_fixture());
  const bool resolved = stack.wait_for([](const std::vector<Event>& events) {
    for (const auto& e : events)
      if (e.body.at("event_action").as_string() == "resolve") return true;
    return false;
  });
  const auto& events = stack.events;
  const auto why = [&] { return stack.why(); };
  BOOST_TEST_REQUIRE(resolved, why());

  // Exactly one trigger, for payments-api, to its team's routing key; then its resolve.
  std::vector<const Event*> triggers, resolves;
  for (const auto& e : events)
    (e.body.at("event_action").as_string() == "trigger" ? triggers : resolves).push_back(&e);
  BOOST_TEST_REQUIRE(triggers.size() == 1u, why());
  BOOST_TEST_REQUIRE(resolves.size() == 1u, why());
  const json::object& t = triggers[0]->body;
  const json::object& payload = t.at("payload").as_object();
  const json::object& details = payload.at("custom_details").as_object();
  BOOST_TEST(details.at("service").as_string() == "payments-api");
  BOOST_TEST(details.at("team").as_string() == "payments");
  BOOST_TEST(t.at("routing_key").as_string() == "rk-payments");
  BOOST_TEST(payload.at("severity").as_string() == "error");  // our "high"
  const std::string summary(payload.at("summary").as_string());
  BOOST_TEST(summary.starts_with("payments-api: P95 latency "), summary);
  BOOST_TEST(summary.ends_with("ms is above its threshold of 250 ms"), summary);
  const std::string p95 = summary.substr(26, summary.find("ms is") - 26);
  BOOST_TEST(std::stod(p95) > 380, summary);  // the regressed lines' latency, not a made-up one
  const std::string dedup(t.at("dedup_key").as_string());
  BOOST_TEST(!dedup.empty());
  BOOST_TEST(resolves[0]->body.at("dedup_key").as_string() == dedup);
  BOOST_TEST(resolves[0]->at_s >= triggers[0]->at_s);

  // Checkout and search stayed healthy and paged nobody: all events are payments-api's.
  for (const auto& e : events) {
    BOOST_TEST(e.body.at("payload").at("custom_details").at("service").as_string() ==
               "payments-api");
  }

  // The dry-run transcript (the seed's alert dry-run).
  std::ostringstream tr;
  tr << "# Alert dry-run: exporter -> Prometheus -> Alertmanager -> PagerDuty Events v2\n"
     << "# Produced by test/integration/alert_e2e_test.cc (ctest -R alert_e2e). The exporter\n"
     << "# replays 30 minutes of lines at 60x: payments-api at ~400 ms from minute 10 to 20,\n"
     << "# ~100 ms otherwise; checkout and search healthy. Threshold 250 ms, for 2s.\n"
     << "# Routing keys are test values read from files (routing_key_file).\n\n";
  for (const auto& e : events) {
    const auto& p = e.body.at("payload").as_object();
    char at[32];
    std::snprintf(at, sizeof at, "%6.1f s", e.at_s);
    tr << at << "  " << e.body.at("event_action").as_string().c_str()
       << "  routing_key=" << e.body.at("routing_key").as_string().c_str()
       << "  dedup_key=" << e.body.at("dedup_key").as_string().c_str() << "\n"
       << "          severity=" << p.at("severity").as_string().c_str()
       << "  summary=" << p.at("summary").as_string().c_str() << "\n"
       << "          details=" << json::serialize(p.at("custom_details")) << "\n";
  }
  tr << "\nchecked: 1 trigger for payments-api (team payments, severity high -> error), "
        "0 events for checkout and search, 1 resolve with the same dedup_key.\n";
  const auto evidence = lle::test::source_dir() / "artifacts/evidence";
  std::filesystem::create_directories(evidence);
  std::ofstream(evidence / "alert-dry-run.txt") << tr.str();
  BOOST_TEST_MESSAGE(tr.str());
}

// A latency SLO end to end: 99% within 300 ms (a threshold that is no bucket
// boundary) for payments-api, alerting on the SLO only. Every window of the alerts
// holds all of the replay (a minute of wall time), so they all see the same error
// ratio: the burn (every line slow for 2 replayed minutes after 5 clean ones) pushes
// it past 6 x 1% (the 6h/30m clause) and then 14.4 x 1% (1h/5m); the page goes to the
// team's PagerDuty with the SLO's summary, the burn rate of the clause that held, and
// resolves once clean lines bring the ratio under 6% (about minute 43). The exporter's
// slow-line counter equals the fixture's own count at 300 ms, and its own budget the
// recording rule's.
BOOST_AUTO_TEST_CASE(a_fast_burn_of_a_latency_slo_pages_with_its_summary_and_resolves) {
  int lines = 0, slow = 0;
  Stack stack(R"(defaults:
  latency: {threshold_ms: 250, for: 1h}
  regression: {factor: 1.5, for: 24h}
  slo: {page_severity: critical, ticket_severity: low}
services:
  payments-api: {slo: {objective: 0.99, threshold_ms: 300}, alert_on: slo}
exporter: {down_for: 1h, loki_disconnected_for: 1h}
links: {runbook: 'https://runbooks.example/#{alert}', dashboard: 'https://grafana.example/d/x?var-service={service}'}
)",
              burn_fixture(&lines, &slow));
  // The page: our severity critical (PagerDuty's critical); the ticket (low, info)
  // fires as well and is not what this test waits for.
  const auto is_page = [](const Event& e) {
    return e.body.at("payload").at("custom_details").at("severity").as_string() == "critical";
  };
  const bool resolved = stack.wait_for([&](const std::vector<Event>& events) {
    for (const auto& e : events)
      if (is_page(e) && e.body.at("event_action").as_string() == "resolve") return true;
    return false;
  });
  BOOST_TEST_REQUIRE(resolved, stack.why());
  std::vector<const Event*> triggers, resolves;
  for (const auto& e : stack.events) {
    BOOST_TEST(e.body.at("payload").at("custom_details").at("service").as_string() ==
               "payments-api");
    if (is_page(e))
      (e.body.at("event_action").as_string() == "trigger" ? triggers : resolves).push_back(&e);
  }
  BOOST_TEST_REQUIRE(triggers.size() == 1u, stack.why());
  BOOST_TEST_REQUIRE(resolves.size() == 1u, stack.why());
  const json::object& t = triggers[0]->body;
  BOOST_TEST(t.at("routing_key").as_string() == "rk-payments");
  BOOST_TEST(t.at("payload").at("severity").as_string() == "critical");
  const std::string summary(t.at("payload").at("summary").as_string());
  const std::string head = "payments-api: latency error budget burning ";
  const std::string tail = "x (SLO: 99% of requests within 300 ms over 30d)";
  BOOST_TEST_REQUIRE(summary.starts_with(head), summary);
  BOOST_TEST(summary.ends_with(tail), summary);
  const double burn = std::stod(summary.substr(head.size()));
  BOOST_TEST(burn > 6, summary);       // the lower of the page clauses' factors
  BOOST_TEST(burn <= 100.0, summary);  // every line slow
  BOOST_TEST(resolves[0]->body.at("dedup_key").as_string() == t.at("dedup_key").as_string());

  // Exact at 300 ms: the lines exactly at it are not above it.
  const auto scrape = lle::test::http_request(stack.exporter_port, "GET", "/metrics").body;
  const std::string series =
      "loki_latency_slow_requests_total{service=\"payments-api\",threshold=\"0.3\"} ";
  const auto at = scrape.find(series);
  BOOST_TEST_REQUIRE(at != std::string::npos, scrape);
  BOOST_TEST(std::stod(scrape.substr(at + series.size())) == slow);
  BOOST_TEST(slow == 2 * 2 * 60);

  // The exporter's own budget equals the recording rule's over a window Prometheus
  // holds: the rule's 1d ratio (rate() of the exact counters, from the 0 Prometheus
  // scraped before payments-api's first line) and the exporter's period counts, once
  // the whole replay is in both.
  const auto value = [&](const std::string& expr) {
    const auto r =
        lle::test::prometheus_result(stack.prometheus_port, "/api/v1/query", {{"query", expr}});
    return r.size() == 1 ? std::stod(std::string(r[0].at("value").at(1).as_string())) : -1.0;
  };
  const std::string sel = "{service=\"payments-api\"}";
  BOOST_TEST_REQUIRE(value("min_over_time(loki_latency_requests_total{service=\"payments-api\","
                           "status_class=\"2xx\"}[1h])") == 0,
                     "Prometheus did not scrape the counters before the first line");
  double rule = -1, own = -1;
  // Every line first, then the ratios: each query may see a newer scrape than the one
  // before, so a ratio read before the count could be of fewer lines (seen under ASan).
  const bool equal = lle::test::wait_until(
      [&] {
        if (value("loki_latency_slo_period_requests" + sel) != lines) return false;
        rule = value("service:loki_latency_slo_errors:ratio_rate1d" + sel);
        own = value("loki_latency_slo_period_slow_requests" + sel +
                    " / loki_latency_slo_period_requests" + sel);
        return std::fabs(rule - own) <= 1e-12 * own;
      },
      30s);
  BOOST_TEST(equal, "rule " << rule << ", exporter " << own);
  BOOST_TEST(own == static_cast<double>(slow) / lines);
  BOOST_TEST(value("loki_latency_slo_error_budget_remaining_ratio" + sel) ==
                 1 - static_cast<double>(slow) / lines / 0.01,
             boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_SUITE_END()
