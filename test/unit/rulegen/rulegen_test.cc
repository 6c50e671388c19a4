#include "exporter/rulegen/rulegen.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <random>
#include <string>

#include "test/support/files.h"

using lle::rulegen::Format;

namespace {

lle::config::Config bundled() {
  return lle::config::load((lle::test::source_dir() / "deploy/config/exporter.yaml").string());
}

// The rules of one service's alert, from "- alert: NAME" up to the next rule.
std::string alert_of(const std::string& file, const std::string& name, const std::string& id) {
  const std::string expr = "expr: service:loki_latency_p95_seconds:5m{service=\"" + id + "\"}";
  std::size_t at = 0;
  while ((at = file.find("- alert: " + name, at)) != std::string::npos) {
    const auto end = file.find("\n      - ", at + 1);
    const std::string rule = file.substr(at, end - at);
    if (rule.find(expr) != std::string::npos) return rule;
    at = end;
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rulegen_generate)

// The committed files are what the generator writes for the bundled config: CI
// fails here when someone changes the policy or services without regenerating.
BOOST_AUTO_TEST_CASE(committed_rule_files_match_the_generator) {
  const auto cfg = bundled();
  const auto dir = lle::test::source_dir() / "rules/generated";
  BOOST_TEST((lle::rulegen::generate(cfg, Format::kPrometheus) ==
              lle::test::read_file(dir / "loki-latency-rules.yaml")),
             "regenerate: loki-latency-exporter rules generate --config "
             "deploy/config/exporter.yaml --out rules/generated/loki-latency-rules.yaml");
  BOOST_TEST((lle::rulegen::generate(cfg, Format::kPrometheusRule) ==
              lle::test::read_file(dir / "loki-latency-prometheusrule.yaml")),
             "regenerate with --format prometheusrule");
}

BOOST_AUTO_TEST_CASE(output_does_not_depend_on_the_order_of_services) {
  auto cfg = bundled();
  const std::string expected = lle::rulegen::generate(cfg, Format::kPrometheus);
  std::mt19937 rng(7);
  for (int i = 0; i < 5; ++i) {
    std::shuffle(cfg.services.begin(), cfg.services.end(), rng);
    BOOST_TEST((lle::rulegen::generate(cfg, Format::kPrometheus) == expected));
  }
}

BOOST_AUTO_TEST_CASE(an_override_changes_only_its_own_service) {
  auto cfg = bundled();
  const std::string before = lle::rulegen::generate(cfg, Format::kPrometheus);
  cfg.alert_policy->services["auth"].threshold_ms = 120;
  cfg.alert_policy->services["auth"].for_ns = 120'000'000'000LL;
  const std::string after = lle::rulegen::generate(cfg, Format::kPrometheus);
  BOOST_TEST(after.find("vector(0.12)") != std::string::npos);
  const std::string auth = alert_of(after, "LatencyP95AboveThreshold", "auth");
  BOOST_TEST(auth.find("for: 2m") != std::string::npos, auth);
  BOOST_TEST(auth.find("threshold of 120 ms") != std::string::npos, auth);
  BOOST_TEST(auth.find("per-service override") != std::string::npos, auth);
  for (const char* other : {"checkout", "payments-api", "search", "inventory", "notifications"}) {
    BOOST_TEST(alert_of(after, "LatencyP95AboveThreshold", other) ==
                   alert_of(before, "LatencyP95AboveThreshold", other),
               other);
  }
}

BOOST_AUTO_TEST_CASE(every_alert_carries_service_team_severity_and_links) {
  const std::string file = lle::rulegen::generate(bundled(), Format::kPrometheus);
  std::size_t alerts = 0;
  for (std::size_t at = 0; (at = file.find("- alert: ", at)) != std::string::npos; ++at) {
    const auto end = file.find("\n      - ", at + 1);
    const std::string rule = file.substr(at, end - at);
    ++alerts;
    // The reject-ratio alert takes service and team from the series it fires for.
    const bool from_series = rule.find("group_left (team)") != std::string::npos;
    for (const char* key : {"service: ", "team: "})
      BOOST_TEST((from_series || rule.find(key) != std::string::npos), rule);
    for (const char* key :
         {"severity: ", "summary: ", "description: ", "runbook_url: ", "dashboard_url: "})
      BOOST_TEST(rule.find(key) != std::string::npos, rule);
  }
  // Two per service (search alerts on its SLO only: one), two per SLO (checkout,
  // payments-api, search), five about the exporter.
  BOOST_TEST(alerts == 6u * 2 - 1 + 3 * 2 + 5);
}

// The ratios select the SLO's threshold as the metric writes it; the burn factors
// are the Workbook's shares of the budget over the SLO's own period.
BOOST_AUTO_TEST_CASE(slo_rules_follow_the_threshold_and_the_period) {
  auto cfg = bundled();
  auto& slo = cfg.alert_policy->slos.at("search");
  slo.threshold_ms = 123.4;
  slo.period_ns = 7 * lle::config::kDayNs;
  const std::string file = lle::rulegen::generate(cfg, Format::kPrometheus);
  const auto page = file.find(
      "- alert: LatencySLOBurnRatePage\n        expr: |\n          "
      "(service:loki_latency_slo_errors:ratio_rate1h{service=\"search\"}");
  BOOST_TEST_REQUIRE(page != std::string::npos);
  const std::string rule = file.substr(page, file.find("\n      - ", page + 1) - page);
  // 2% of a 7-day budget in 1 hour: 0.02 x 168 = 3.36; 5% in 6 hours: 1.4.
  BOOST_TEST(rule.find("/ 0.005 > 3.36\n") != std::string::npos, rule);
  BOOST_TEST(rule.find("/ 0.005 > 1.4\n") != std::string::npos, rule);
  BOOST_TEST(rule.find("within 123.4 ms over 7d") != std::string::npos, rule);
  BOOST_TEST(file.find("service=\"search\", threshold=\"0.1234\"}[3d]") != std::string::npos);
  BOOST_TEST(file.find("service=\"search\", threshold=\"0.3\"}") == std::string::npos);
  BOOST_TEST(alert_of(file, "LatencyP95AboveThreshold", "search").empty());
  // alert_on: threshold keeps the ratios (dashboards read them) but not the alerts.
  cfg.alert_policy->alert_on.at("search") = lle::config::AlertOn::kThreshold;
  const std::string threshold = lle::rulegen::generate(cfg, Format::kPrometheus);
  BOOST_TEST(!alert_of(threshold, "LatencyP95AboveThreshold", "search").empty());
  BOOST_TEST(threshold.find("ratio_rate1h{service=\"search\"}") == std::string::npos);
  BOOST_TEST(threshold.find("service=\"search\", threshold=\"0.1234\"}[1h]") != std::string::npos);
}

// Sloth's spec: only the services with an SLO; a service that alerts on its threshold
// only has Sloth's alerts disabled (its SLO rules are still written).
BOOST_AUTO_TEST_CASE(the_sloth_spec_follows_the_policy) {
  auto cfg = bundled();
  cfg.alert_policy->alert_on.at("checkout") = lle::config::AlertOn::kThreshold;
  const auto specs = YAML::LoadAll(lle::rulegen::generate(cfg, Format::kSloth));
  std::vector<std::string> ids;
  for (const auto& spec : specs) {
    const auto id = spec["service"].as<std::string>();
    ids.push_back(id);
    const auto alerting = spec["slos"][0]["alerting"];
    for (const char* a : {"page_alert", "ticket_alert"})
      BOOST_TEST(alerting[a]["disable"].IsDefined() == (id == "checkout"), id << " " << a);
  }
  BOOST_TEST(ids == (std::vector<std::string>{"checkout", "payments-api", "search"}),
             boost::test_tools::per_element());
  BOOST_TEST(specs[2]["slos"][0]["objective"].as<double>() == 99.5);
  BOOST_TEST(specs[2]["slos"][0]["sli"]["events"]["error_query"].as<std::string>().find(
                 "threshold=\"0.3\"}[{{.window}}]") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(durations_are_written_as_prometheus_reads_them) {
  BOOST_TEST(lle::rulegen::prometheus_duration(0) == "0s");
  BOOST_TEST(lle::rulegen::prometheus_duration(90'000'000'000LL) == "1m30s");
  BOOST_TEST(lle::rulegen::prometheus_duration(3'600'000'000'000LL) == "1h");
  BOOST_TEST(lle::rulegen::prometheus_duration(30 * lle::config::kDayNs) == "30d");
  BOOST_TEST(lle::rulegen::prometheus_duration(lle::config::kDayNs + 3'600'000'000'000LL) ==
             "1d1h");
  BOOST_TEST(lle::rulegen::prometheus_duration(1'500'000'000LL) == "1s500ms");
}

BOOST_AUTO_TEST_CASE(a_config_without_a_policy_is_refused) {
  auto cfg = bundled();
  cfg.alert_policy.reset();
  BOOST_CHECK_THROW(lle::rulegen::generate(cfg, Format::kPrometheus), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
