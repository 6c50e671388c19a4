// The native histograms on Debian's Prometheus 2.42 (--enable-feature=native-histograms):
// two exporter processes replay known latencies, one Prometheus scrapes both over
// protobuf, and PromQL over the histograms is checked against the exact values.
#include <algorithm>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "test/support/exporter_harness.h"
#include "test/support/files.h"
#include "test/support/process.h"
#include "test/support/prometheus.h"

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

// A logcli export of (service, latency in ms) lines, a second apart, ending now.
std::string export_of(const std::vector<std::pair<std::string, double>>& lines) {
  std::string out;
  const std::time_t now = std::time(nullptr);
  char ts[64], line[160];
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::time_t t = now - static_cast<std::time_t>(lines.size() - i);
    std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    std::snprintf(
        line, sizeof line,
        R"({\"service\":\"%s\",\"latency_ms\":%.3f,\"status\":200,\"schema_version\":\"1\"})",
        lines[i].first.c_str(), lines[i].second);
    out += std::string(R"({"labels":{"app":"shop"},"line":")") + line + R"(","timestamp":")" + ts +
           "\"}\n";
  }
  return out;
}

// Each result's value by the label `by` (a histogram result has no plain value); ""
// when the result has no such label.
std::map<std::string, double> values_by(int prom_port, const std::string& expr,
                                        const std::string& by) {
  std::map<std::string, double> out;
  for (const auto& s :
       lle::test::prometheus_result(prom_port, "/api/v1/query", {{"query", expr}})) {
    const auto& m = s.at("metric").as_object();
    const std::string key = by.empty() || !m.contains(by) ? "" : std::string(m.at(by).as_string());
    out[key] = std::stod(std::string(s.at("value").at(1).as_string()));
  }
  return out;
}

// The body's data.result of a Prometheus API answer (empty unless 200).
// The value of rank ceil(q n) (1-based) of what was replayed, in seconds.
double exact_quantile(std::vector<double> ms, double q) {
  std::sort(ms.begin(), ms.end());
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(ms.size())));
  return ms[std::max<std::size_t>(rank, 1) - 1] / 1000;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(integration_native_histogram)

// Team a: services a1 (its lines split between the two exporters) and a2; team b:
// service b. At schema 3 a bucket spans a factor 2^(1/8); the sketch's own
// buckets (2^(1/64)) lie inside those, and its counts are exact, so the bucket
// histogram_quantile interpolates in is the one holding the exact quantile:
// |log2(answer / exact)| <= 1/8, whatever the services, teams or replicas summed.
BOOST_AUTO_TEST_CASE(prometheus_aggregates_the_histograms_across_services_teams_and_replicas) {
  lle::test::TempDir dir;
  const auto d = [&](const std::string& name) { return (dir.path() / name).string(); };
  std::mt19937_64 rng(16);
  std::map<std::string, std::vector<double>> by_service, by_team;
  std::vector<std::pair<std::string, double>> first, second;
  const std::map<std::string, std::pair<double, double>> shape = {
      {"a1", {120, 0.6}}, {"a2", {300, 0.4}}, {"b", {40, 0.9}}};
  int k = 0;
  for (int i = 0; i < 6000; ++i) {
    const std::string service = i % 3 == 0 ? "a1" : i % 3 == 1 ? "a2" : "b";
    std::lognormal_distribution<double> lat(std::log(shape.at(service).first),
                                            shape.at(service).second);
    double ms = std::round(lat(rng) * 1000) / 1000;
    if (std::abs(ms - 250) < 0.01) continue;  // at the boundary a parse may round either way
    by_service[service].push_back(ms);
    by_team[service == "b" ? "b" : "a"].push_back(ms);
    // a1 alternates between the exporters; the others stay on one each.
    (service == "a1"   ? (k++ % 2 ? first : second)
     : service == "a2" ? first
                       : second)
        .push_back({service, ms});
  }
  dir.write("services.yaml",
            "services:\n"
            "  - {id: a1, team: a, owners: [x], match: {field: a1}}\n"
            "  - {id: a2, team: a, owners: [x], match: {field: a2}}\n"
            "  - {id: b, team: b, owners: [y], match: {field: b}}\n");
  dir.write("exporter.yaml",
            "services_file: services.yaml\nwindows: {allowed_lateness: 5m}\n"
            "metrics: {native_histogram_schema: 3}\n");
  dir.write("first.jsonl", export_of(first));
  dir.write("second.jsonl", export_of(second));
  std::vector<std::unique_ptr<lle::test::Process>> exporters;
  std::string targets;
  for (const char* name : {"first", "second"}) {
    const int port = lle::test::free_port();
    exporters.push_back(std::make_unique<lle::test::Process>(
        std::vector<std::string>{lle::test::exporter_binary(), "run", "--config",
                                 d("exporter.yaml"), "--replay", d(std::string(name) + ".jsonl"),
                                 "--rebase-to-now", "--listen",
                                 "127.0.0.1:" + std::to_string(port)},
        "/dev/null", d(std::string(name) + ".out"), d(std::string(name) + ".err")));
    BOOST_TEST_REQUIRE(lle::test::wait_for_replay(d(std::string(name) + ".err"), 30s) == port,
                       lle::test::read_file(d(std::string(name) + ".err")));
    targets += (targets.empty() ? "'" : ", '") + ("127.0.0.1:" + std::to_string(port)) + "'";
  }
  dir.write("prometheus.yml",
            "global: {scrape_interval: 1s}\n"
            "scrape_configs:\n  - job_name: lle\n    static_configs: [{targets: [" +
                targets + "]}]\n");
  const int prom_port = lle::test::free_port();
  const auto prometheus =
      lle::test::start_prometheus(dir.path(), prom_port, {"--enable-feature=native-histograms"});

  const auto query = [&](const std::string& expr, const std::string& by) {
    return values_by(prom_port, expr, by);
  };
  const std::string h = "loki_latency_request_duration_seconds";
  std::map<std::string, double> counts;
  BOOST_TEST_REQUIRE(lle::test::wait_until(
                         [&] {
                           counts =
                               query("histogram_count(sum by (service) (" + h + "))", "service");
                           return counts.size() == 3 && counts["a1"] == by_service["a1"].size();
                         },
                         30s),
                     lle::test::read_file(d("prom.err")));
  for (const auto& [service, ms] : by_service) {
    BOOST_TEST(counts[service] == ms.size(), service);  // exact: every line, none twice
  }
  const auto within_a_bucket = [](double got, double exact) {
    return std::abs(std::log2(got / exact)) <= 1.0 / 8;
  };
  for (const auto& [label, groups] :
       {std::pair{std::string("service"), &by_service}, std::pair{std::string("team"), &by_team}}) {
    for (double q : {0.5, 0.95, 0.99}) {
      const auto got =
          query("histogram_quantile(" + std::to_string(q) + ", sum by (" + label + ") (" + h + "))",
                label);
      BOOST_TEST(got.size() == groups->size());
      for (const auto& [key, ms] : *groups) {
        const double exact = exact_quantile(ms, q);
        BOOST_TEST(within_a_bucket(got.at(key), exact),
                   label << " " << key << " q" << q << ": " << got.at(key) << " vs " << exact);
      }
    }
  }
  // 0.25 s closes a bucket at every schema: the fraction is exact.
  const auto fraction =
      query("histogram_fraction(0, 0.25, sum by (service) (" + h + "))", "service");
  for (const auto& [service, ms] : by_service) {
    const double below =
        static_cast<double>(std::count_if(ms.begin(), ms.end(), [](double v) { return v <= 250; }));
    BOOST_TEST(std::abs(fraction.at(service) - below / static_cast<double>(ms.size())) < 1e-12,
               service << ": " << fraction.at(service));
  }
}

// The histogram is in the state snapshot: an exporter restarted between scrapes
// continues its counts, so Prometheus sees no reset and no jump (the peers all reset).
BOOST_AUTO_TEST_CASE(a_restart_between_scrapes_is_no_reset) {
  lle::test::FakeLoki loki({});
  lle::test::TempDir state, prom;
  const std::string top = "state:\n  dir: " + state.path().string() + "\n  interval: 1s\n";
  // file_sd with the instance fixed: the restarted exporter is the same target.
  const auto target = [&](int port) {
    prom.write("targets.tmp", "[{\"targets\": [\"127.0.0.1:" + std::to_string(port) + "\"]}]");
    std::filesystem::rename(prom.path() / "targets.tmp", prom.path() / "targets.json");
  };
  // The generated rules, for the team and fleet P95 on data that flows while scraped.
  prom.write("services.yaml", lle::test::kServices);
  prom.write("policy.yaml",
             "defaults: {latency: {threshold_ms: 300}}\n"
             "links: {runbook: 'https://r/#{alert}', dashboard: 'https://d'}\n");
  const std::string config = prom.write("exporter.yaml",
                                        "services_file: services.yaml\nalerting: {policy_file: "
                                        "policy.yaml}\n");
  BOOST_TEST_REQUIRE(
      lle::test::run_to_exit({lle::test::exporter_binary(), "rules", "generate", "--config", config,
                              "--out", (prom.path() / "rules.yaml").string()},
                             (prom.path() / "gen.err").string(),
                             (prom.path() / "gen.err").string()) == 0,
      lle::test::read_file(prom.path() / "gen.err"));
  prom.write("prometheus.yml",
             "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
             "rule_files: [rules.yaml]\n"
             "scrape_configs:\n  - job_name: loki-latency-exporter\n"
             "    file_sd_configs: [{files: [targets.json], refresh_interval: 1s}]\n"
             "    relabel_configs: [{target_label: instance, replacement: exporter}]\n");
  const int prom_port = lle::test::free_port();
  const std::string count =
      "sum(histogram_count(loki_latency_request_duration_seconds{instance=\"exporter\"}))";
  const auto seen = [&] {
    const auto r = lle::test::prometheus_result(prom_port, "/api/v1/query", {{"query", count}});
    return r.empty() ? -1.0 : std::stod(std::string(r[0].at("value").at(1).as_string()));
  };
  std::unique_ptr<lle::test::Process> prometheus;
  {
    lle::test::Exporter first(loki, "", 3, "", top, "6s");
    target(first.port);
    prometheus =
        lle::test::start_prometheus(prom.path(), prom_port, {"--enable-feature=native-histograms"});
    lle::test::push(loki, 300);
    first.expect_exact(loki);
    BOOST_TEST_REQUIRE(lle::test::wait_until([&] { return seen() == 300; }, 30s),
                       "Prometheus sees " << seen());
    const auto scrapes = [&] {  // of the exporter so far
      const auto r = lle::test::prometheus_result(
          prom_port, "/api/v1/query",
          {{"query", "count_over_time(up{job=\"loki-latency-exporter\"}[5m])"}});
      return r.empty() ? 0.0 : std::stod(std::string(r[0].at("value").at(1).as_string()));
    };
    const double before = scrapes();
    BOOST_TEST_REQUIRE(lle::test::wait_until([&] { return scrapes() >= before + 2; }, 30s));
    first.process->signal(SIGTERM);  // the last snapshot holds every line
    BOOST_TEST_REQUIRE(first.process->wait(20s).value_or(-1) == 0);
  }
  lle::test::push(loki, 150);  // while the exporter is down
  lle::test::Exporter second(loki, "", 3, "", top, "6s");
  target(second.port);
  second.expect_exact(loki, true);
  BOOST_TEST_REQUIRE(lle::test::wait_until([&] { return seen() == 450; }, 30s),
                     "Prometheus sees " << seen() << "\n"
                                        << second.log());
  const auto resets = lle::test::prometheus_result(
      prom_port, "/api/v1/query",
      {{"query", "sum(resets(loki_latency_request_duration_seconds[5m]))"}});
  BOOST_TEST_REQUIRE(resets.size() == 1u);
  BOOST_TEST(std::string(resets[0].at("value").at(1).as_string()) == "0");
  // Every scrape's total, before and after the restart: never down, so no rate spike.
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const auto series = lle::test::prometheus_result(prom_port, "/api/v1/query_range",
                                                   {{"query", count},
                                                    {"start", std::to_string(now - 120)},
                                                    {"end", std::to_string(now + 2)},
                                                    {"step", "1"}});
  BOOST_TEST_REQUIRE(series.size() == 1u);
  double last = 0;
  std::size_t points = 0;
  for (const auto& p : series[0].at("values").as_array()) {
    const double v = std::stod(std::string(p.at(1).as_string()));
    BOOST_TEST(v >= last, "the total went from " << last << " to " << v);
    last = v;
    ++points;
  }
  BOOST_TEST(points >= 4u);  // at least 3 scrapes before the restart, 1 after
  BOOST_TEST(last == 450);

  // The recording rules over rate(): lines 10 + seq % 90 ms, round robin over the
  // services, so whatever scrapes the 5 minutes span, each team's P95 is the P95 of
  // near-uniform latencies in [10, 99] ms: within a bucket (2^(1/8)) of 94.5 ms
  // allowing for a partial cycle. The rules' value is the expression's own, on data
  // that stopped flowing.
  const auto values = [&](const std::string& expr, const std::string& by) {
    std::map<std::string, double> out;
    for (const auto& r :
         lle::test::prometheus_result(prom_port, "/api/v1/query", {{"query", expr}})) {
      const auto& m = r.at("metric").as_object();
      out[m.contains(by) ? std::string(m.at(by).as_string()) : ""] =
          std::stod(std::string(r.at("value").at(1).as_string()));
    }
    return out;
  };
  std::map<std::string, double> team, fleet, direct;
  BOOST_TEST_REQUIRE(
      lle::test::wait_until(
          [&] {  // once the rules have been evaluated on the last scrapes
            team = values("team:loki_latency_p95_seconds:rate5m", "team");
            fleet = values("job:loki_latency_p95_seconds:rate5m", "job");
            direct = values(
                "histogram_quantile(0.95, sum by (team) "
                "(rate(loki_latency_request_duration_seconds[5m])))",
                "team");
            return team.size() == 2 && fleet.size() == 1 && team == direct;
          },
          30s),
      "rules " << team.size() << " " << fleet.size() << ", direct " << direct.size());
  fleet.merge(team);
  for (const auto& [key, p95] : fleet) {
    BOOST_TEST(std::isfinite(p95), key);
    BOOST_TEST(std::abs(std::log2(p95 / 0.0945)) <= 1.0 / 8 + 0.05, key << ": " << p95);
  }
}

// Fleet mode (docs/fleet.md): three members replay the same export, each counting
// its own services; Prometheus sums their histograms by team. A single exporter
// replaying the export is scraped beside them: the fleet's team histograms are the
// single exporter's bucket for bucket (the services are disjoint, counts exact), so
// every team's count and quantiles are equal, not only within a bucket.
BOOST_AUTO_TEST_CASE(a_fleets_team_p95_is_one_exporters) {
  lle::test::TempDir dir;
  const auto d = [&](const std::string& name) { return (dir.path() / name).string(); };
  std::mt19937_64 rng(19);
  constexpr int kServices = 12;
  std::vector<std::pair<std::string, double>> lines;
  std::map<std::string, std::size_t> per_team;
  std::string services = "services:\n";
  for (int s = 0; s < kServices; ++s) {
    services += "  - {id: s" + std::to_string(s) + ", team: t" + std::to_string(s % 3) +
                ", owners: [x], match: {field: s" + std::to_string(s) + "}}\n";
  }
  for (int i = 0; i < 6000; ++i) {
    const int s = static_cast<int>(rng() % kServices);
    std::lognormal_distribution<double> lat(std::log(40.0 + 30 * s), 0.5);
    lines.push_back({"s" + std::to_string(s), std::round(lat(rng) * 1000) / 1000});
    ++per_team["t" + std::to_string(s % 3)];
  }
  dir.write("services.yaml", services);
  const std::string common =
      "services_file: services.yaml\nwindows: {allowed_lateness: 5m}\n"
      "metrics: {native_histogram_schema: 3}\n";
  dir.write("single.yaml", common);
  dir.write("fleet.yaml", common + "fleet: {members: 3}\n");
  dir.write("lines.jsonl", export_of(lines));
  std::vector<std::unique_ptr<lle::test::Process>> exporters;
  std::string fleet, single;
  for (int member = -1; member < 3; ++member) {
    const std::string name = member < 0 ? "single" : "member" + std::to_string(member);
    std::vector<std::string> argv{lle::test::exporter_binary(),
                                  "run",
                                  "--config",
                                  d(member < 0 ? "single.yaml" : "fleet.yaml"),
                                  "--replay",
                                  d("lines.jsonl"),
                                  "--rebase-to-now",
                                  "--listen",
                                  "127.0.0.1:0"};
    if (member >= 0) argv.insert(argv.end(), {"--fleet-member", std::to_string(member)});
    exporters.push_back(std::make_unique<lle::test::Process>(argv, "/dev/null", d(name + ".out"),
                                                             d(name + ".err")));
    const int port = lle::test::wait_for_replay(d(name + ".err"), 30s);
    BOOST_TEST_REQUIRE(port > 0, lle::test::read_file(d(name + ".err")));
    auto& targets = member < 0 ? single : fleet;
    targets += (targets.empty() ? "'" : ", '") + ("127.0.0.1:" + std::to_string(port)) + "'";
  }
  dir.write("prometheus.yml",
            "global: {scrape_interval: 1s}\nscrape_configs:\n"
            "  - {job_name: fleet, static_configs: [{targets: [" +
                fleet +
                "]}]}\n"
                "  - {job_name: single, static_configs: [{targets: [" +
                single + "]}]}\n");
  const int prom_port = lle::test::free_port();
  const auto prometheus =
      lle::test::start_prometheus(dir.path(), prom_port, {"--enable-feature=native-histograms"});
  const auto query = [&](const std::string& expr, const std::string& by) {
    return values_by(prom_port, expr, by);
  };
  const std::string h = "loki_latency_request_duration_seconds";
  const auto team_counts = [&](const std::string& job) {
    return query("histogram_count(sum by (team) (" + h + "{job='" + job + "'}))", "team");
  };
  BOOST_TEST_REQUIRE(lle::test::wait_until(
                         [&] {
                           const auto f = team_counts("fleet"), s = team_counts("single");
                           return f.size() == 3 && f == s && f.at("t0") == per_team["t0"] &&
                                  query("count(up{job='fleet'} == 1)", "")[""] == 3;
                         },
                         30s),
                     lle::test::read_file(d("prom.err")));
  for (const auto& [team, n] : team_counts("fleet")) BOOST_TEST(n == per_team[team], team);
  // Each service on exactly one member; together they own every service.
  for (const auto& [service, members] :
       query("count by (service) (loki_latency_service_info{job='fleet'})", "service"))
    BOOST_TEST(members == 1, service);
  BOOST_TEST(query("sum(loki_latency_fleet_owned_services{job='fleet'})", "")[""] == kServices);
  for (double q : {0.5, 0.95, 0.99}) {
    const auto at = [&](const std::string& job) {
      return query("histogram_quantile(" + std::to_string(q) + ", sum by (team) (" + h + "{job='" +
                       job + "'}))",
                   "team");
    };
    const auto f = at("fleet"), s = at("single");
    BOOST_TEST(f.size() == 3u);
    for (const auto& [team, v] : s)
      BOOST_TEST(f.at(team) == v, team << " q" << q << ": fleet " << f.at(team) << ", one " << v);
  }
}

BOOST_AUTO_TEST_SUITE_END()
