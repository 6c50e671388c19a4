// The generated rules and the Alertmanager config, checked by the real tools
// (Debian's promtool and amtool), and `rules generate` as users run it.
#include <yaml-cpp/yaml.h>

#include <boost/test/unit_test.hpp>
#include <set>
#include <string>
#include <vector>

#include "exporter/config/config.h"
#include "test/support/files.h"
#include "test/support/process.h"

using lle::test::read_file;

namespace {

struct Fixture {
  lle::test::TempDir dir;
  std::string root = lle::test::source_dir().string();
  std::string out = (dir.path() / "out").string();
  std::string err = (dir.path() / "err").string();

  int tool(const std::vector<std::string>& argv) { return lle::test::run_to_exit(argv, out, err); }
  std::string output() const { return read_file(out) + read_file(err); }
  int exporter(std::vector<std::string> args) {
    args.insert(args.begin(), lle::test::exporter_binary());
    return tool(args);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(integration_alerting_tools, Fixture)

BOOST_AUTO_TEST_CASE(generated_rules_pass_promtool_lint_and_their_unit_tests) {
  const std::string rules = root + "/rules/generated/loki-latency-rules.yaml";
  BOOST_TEST(tool({"promtool", "check", "rules", "--lint=all", "--lint-fatal", rules}) == 0,
             output());
  // 27 for the thresholds, baselines and the exporter, less search's threshold alert
  // (it alerts on its SLO only), the fleet's series left out (1), and per SLO (3) an
  // objective, 7 ratios, 2 alerts.
  BOOST_TEST(output().find("SUCCESS: 57 rules found") != std::string::npos, output());

  // The PrometheusRule's spec is a rule file of its own.
  const YAML::Node object =
      YAML::LoadFile(root + "/rules/generated/loki-latency-prometheusrule.yaml");
  BOOST_TEST(object["kind"].as<std::string>() == "PrometheusRule");
  YAML::Emitter spec;
  spec << object["spec"];
  const std::string spec_file = dir.write("spec.yaml", spec.c_str());
  BOOST_TEST(tool({"promtool", "check", "rules", "--lint=all", "--lint-fatal", spec_file}) == 0,
             output());

  std::vector<std::string> unit_tests{"promtool", "test", "rules"};
  for (const char* t :
       {"latency-alerts.test.yaml", "exporter-alerts.test.yaml", "slo-alerts.test.yaml"})
    unit_tests.push_back(root + "/rules/tests/" + t);
  BOOST_TEST(tool(unit_tests) == 0, output());
}

// `--format sloth`: a Sloth prometheus/v1 spec per service with an SLO, whose queries
// (with Sloth's {{.window}} filled in) are PromQL that promtool accepts.
BOOST_AUTO_TEST_CASE(the_sloth_spec_holds_every_slo_with_queries_promtool_accepts) {
  BOOST_TEST_REQUIRE(
      exporter({"rules", "generate", "--config", root + "/deploy/config/exporter.yaml", "--format",
                "sloth", "--out", "-"}) == 0,
      output());
  const auto specs = YAML::LoadAll(read_file(out));
  const auto cfg = lle::config::load(root + "/deploy/config/exporter.yaml");
  BOOST_TEST_REQUIRE(specs.size() == cfg.alert_policy->slos.size());
  std::string rules = "groups:\n  - name: sloth\n    rules:\n";
  for (const auto& spec : specs) {
    BOOST_TEST(spec["version"].as<std::string>() == "prometheus/v1");
    const auto id = spec["service"].as<std::string>();
    const auto& slo = cfg.alert_policy->slos.at(id);
    const auto s = spec["slos"][0];
    BOOST_TEST(s["objective"].as<double>() == slo.objective * 100,
               boost::test_tools::tolerance(1e-9));
    for (const char* q : {"error_query", "total_query"}) {
      std::string expr = s["sli"]["events"][q].as<std::string>();
      BOOST_TEST(expr.find("service=\"" + id + "\"") != std::string::npos, expr);
      expr.replace(expr.find("{{.window}}"), 11, "5m");
      rules += "      - record: sloth:" + std::string(q) + "\n        expr: '" + expr + "'\n";
    }
    BOOST_TEST(s["alerting"]["labels"]["team"].IsDefined());
  }
  BOOST_TEST(read_file(out).find("threshold=\"0.3\"") != std::string::npos);  // search
  const std::string file = dir.write("sloth-queries.yaml", rules);
  BOOST_TEST(tool({"promtool", "check", "rules", file}) == 0, output());
}

BOOST_AUTO_TEST_CASE(every_team_routes_to_its_own_pagerduty_receiver) {
  const std::string am = root + "/deploy/alertmanager/alertmanager.yml";
  BOOST_TEST(tool({"amtool", "check-config", am}) == 0, output());
  const auto cfg = lle::config::load(root + "/deploy/config/exporter.yaml");
  std::set<std::string> teams{cfg.alert_policy->exporter.team};
  for (const auto& s : cfg.services) teams.insert(s.info.team);
  for (const auto& team : teams) {
    BOOST_TEST(tool({"amtool", "config", "routes", "test", "--config.file=" + am,
                     "--verify.receivers=" + team + "-pagerduty", "team=" + team, "service=any",
                     "alertname=LatencyP95AboveThreshold"}) == 0,
               team << ": " << output());
  }
  // The check can fail: a team routed elsewhere is reported.
  BOOST_TEST(tool({"amtool", "config", "routes", "test", "--config.file=" + am,
                   "--verify.receivers=payments-pagerduty", "team=discovery"}) != 0);
  // Alerts without a known team reach the exporter's owners.
  BOOST_TEST(tool({"amtool", "config", "routes", "test", "--config.file=" + am,
                   "--verify.receivers=observability-pagerduty", "team=nobody"}) == 0,
             output());
}

BOOST_AUTO_TEST_CASE(our_severities_map_onto_pagerdutys_four) {
  const std::pair<const char*, const char*> mapping[] = {
      {"critical", "critical"}, {"high", "error"}, {"medium", "warning"}, {"low", "info"}};
  for (const auto& [ours, pagerduty] : mapping) {
    const std::string data =
        dir.write("data.json", std::string(R"({"commonLabels":{"severity":")") + ours + R"("}})");
    BOOST_TEST_REQUIRE(tool({"amtool", "template", "render",
                             "--template.glob=" + root + "/deploy/alertmanager/templates/*.tmpl",
                             "--template.text={{ template \"lle.pagerduty.severity\" . }}",
                             "--template.data=" + data}) == 0,
                       output());
    BOOST_TEST(read_file(out) == pagerduty, ours);
  }
}

BOOST_AUTO_TEST_CASE(rules_generate_writes_the_file_and_refuses_a_bad_threshold) {
  const std::string config = root + "/deploy/config/exporter.yaml";
  const std::string file = (dir.path() / "rules.yaml").string();
  BOOST_TEST(exporter({"rules", "generate", "--config", config, "--out", file}) == 0, output());
  BOOST_TEST(read_file(file) == read_file(root + "/rules/generated/loki-latency-rules.yaml"));
  BOOST_TEST(exporter({"rules", "generate", "--config", config, "--out", "-", "--format",
                       "prometheusrule"}) == 0);
  BOOST_TEST(read_file(out) ==
             read_file(root + "/rules/generated/loki-latency-prometheusrule.yaml"));
  BOOST_TEST(exporter({"rules", "generate", "--config", config}) == 2);  // no --out
  BOOST_TEST(exporter({"rules", "frobnicate", "--config", config, "--out", file}) == 2);
  BOOST_TEST(
      exporter({"rules", "generate", "--config", config, "--out", file, "--format", "json"}) == 2);

  // A threshold out of bounds: rules generate and check-config both say which and why,
  // and the file already there is left as it was.
  dir.write("services.yaml", "services:\n  - {id: auth, team: identity, owners: [bob]}\n");
  dir.write("policy.yaml",
            "services: {auth: {threshold_ms: 1500}}\n"
            "links: {runbook: 'https://r/#{alert}', dashboard: 'https://d?s={service}'}\n");
  const std::string bad = dir.write(
      "exporter.yaml", "services_file: services.yaml\nalerting: {policy_file: policy.yaml}\n");
  const std::string before = read_file(file);
  BOOST_TEST(exporter({"rules", "generate", "--config", bad, "--out", file}) == 1);
  BOOST_TEST(output().find("services.auth.threshold_ms: threshold of service 'auth' must lie "
                           "within 50-1000 ms, got 1500") != std::string::npos,
             output());
  BOOST_TEST(read_file(file) == before);
  BOOST_TEST(exporter({"check-config", "--config", bad}) == 1);
  BOOST_TEST(output().find("above the upper bound of 1000") != std::string::npos, output());
}

BOOST_AUTO_TEST_SUITE_END()
