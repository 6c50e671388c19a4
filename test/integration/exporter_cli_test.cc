// The binary as users run it: run on the bundled sample and scrape it, the
// other subcommands' exit codes and messages, and the sample's reproducibility.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <set>
#include <string>
#include <tuple>

#include "test/support/files.h"
#include "test/support/process.h"

using namespace std::chrono_literals;
using lle::test::read_file;
using lle::test::run_to_exit;

namespace {

struct Fixture {
  lle::test::TempDir dir;
  std::string root = lle::test::source_dir().string();
  std::string config = root + "/deploy/config/exporter.yaml";
  std::string sample = root + "/test/testdata/sample/sample.jsonl";
  std::string out = (dir.path() / "out").string();
  std::string err = (dir.path() / "err").string();

  int exporter(const std::vector<std::string>& args, const std::string& in = "/dev/null") {
    std::vector<std::string> argv{lle::test::exporter_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_to_exit(argv, out, err, in);
  }
};

// Value of a sample line `name{labels} value` in a scrape, or -1.
double sample_value(const std::string& scrape, const std::string& series) {
  const auto at = scrape.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(scrape.substr(at + series.size() + 2));
}

// The sample lines of a scrape whose name starts with `prefix`, in order.
std::string series_of(const std::string& scrape, const std::string& prefix) {
  std::string out;
  std::size_t at = 0;
  while ((at = scrape.find("\n" + prefix, at)) != std::string::npos) {
    const auto end = scrape.find('\n', at + 1);
    out += scrape.substr(at + 1, end - at);
    at = end;
  }
  return out;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(integration_exporter_cli, Fixture)

BOOST_AUTO_TEST_CASE(run_on_the_sample_serves_metrics_that_promtool_accepts) {
  lle::test::Process p({lle::test::exporter_binary(), "run", "--config", config, "--replay", sample,
                        "--listen", "127.0.0.1:0"},
                       "/dev/null", out, err);
  const int port = lle::test::wait_for_replay(err, 20s);
  BOOST_TEST_REQUIRE(port != 0, read_file(err));

  const auto metrics = lle::test::http_request(port, "GET", "/metrics");
  BOOST_TEST(metrics.status == 200);
  BOOST_TEST(metrics.headers.find("text/plain; version=0.0.4") != std::string::npos);
  const std::string scrape_file = dir.write("scrape.txt", metrics.body);
  BOOST_TEST(run_to_exit({"promtool", "check", "metrics"}, out, err, scrape_file) == 0,
             read_file(out) + read_file(err));

  // The shipped config's classic buckets (6 bounds plus +Inf): cumulative, and the
  // last holds every accepted line of the service.
  const std::string buckets = series_of(
      metrics.body,
      "loki_latency_request_duration_seconds_bucket{service=\"payments-api\",team=\"payments\",");
  std::vector<double> counts;
  for (std::size_t at = 0; (at = buckets.find("} ", at)) != std::string::npos; ++at)
    counts.push_back(std::stod(buckets.substr(at + 2)));
  BOOST_TEST_REQUIRE(counts.size() == 7u, buckets);
  BOOST_TEST(std::is_sorted(counts.begin(), counts.end()), buckets);
  BOOST_TEST(counts.front() < counts.back());
  double accepted = 0;
  for (const char* c : {"1xx", "2xx", "3xx", "4xx", "5xx", "unknown"}) {
    accepted += std::max(0.0, sample_value(metrics.body,
                                           "loki_latency_requests_total{service=\"payments-api\","
                                           "status_class=\"" +
                                               std::string(c) + "\"}"));
  }
  BOOST_TEST(counts.back() == accepted);

  // The regressed service stands out: its 5m P95 against its own 7-day median.
  auto ratio = [&](const std::string& svc) {
    return sample_value(metrics.body,
                        "loki_latency_window_p95_seconds{service=\"" + svc + "\",window=\"5m\"}") /
           sample_value(metrics.body,
                        "loki_latency_window_p50_seconds{service=\"" + svc + "\",window=\"7d\"}");
  };
  BOOST_TEST(ratio("payments-api") > 3.0);
  for (const char* healthy : {"checkout", "search", "inventory", "auth", "notifications"}) {
    BOOST_TEST(ratio(healthy) > 0);
    BOOST_TEST(ratio(healthy) < ratio("payments-api"), healthy);
  }
  BOOST_TEST(sample_value(metrics.body, "loki_latency_baseline_ready{service=\"payments-api\"}") ==
             1);
  BOOST_TEST(
      sample_value(
          metrics.body,
          "loki_latency_rejected_lines_total{service=\"unknown\",reason=\"unknown_service\"}") > 0);

  const auto landing = lle::test::http_request(port, "GET", "/");
  BOOST_TEST(landing.status == 200);
  BOOST_TEST(landing.body.find("href=\"/metrics\"") != std::string::npos);
  BOOST_TEST(landing.body.find("Payments API") != std::string::npos);
  BOOST_TEST(lle::test::http_request(port, "GET", "/-/healthy").status == 200);
  BOOST_TEST(lle::test::http_request(port, "GET", "/-/ready").status == 200);
  BOOST_TEST(lle::test::http_request(port, "HEAD", "/metrics").body.empty());

  for (const auto& [method, path, status] : std::vector<std::tuple<std::string, std::string, int>>{
           {"GET", "/nope", 404}, {"POST", "/metrics", 405}, {"DELETE", "/", 405}}) {
    const auto r = lle::test::http_request(port, method, path);
    BOOST_TEST(r.status == status, method << " " << path);
    const auto body = boost::json::parse(r.body).as_object();
    BOOST_TEST(body.contains("error"));
    BOOST_TEST(body.contains("detail"));
  }

  // A reload once the replay has finished rebuilds the pipeline around the same state.
  const std::string before = lle::test::http_request(port, "GET", "/metrics").body;
  const auto reloaded = lle::test::http_request(port, "POST", "/-/reload");
  BOOST_TEST(reloaded.status == 200, reloaded.body);
  const std::string after = lle::test::http_request(port, "GET", "/metrics").body;
  BOOST_TEST(sample_value(after, "loki_latency_config_reloads_total{result=\"success\"}") == 1);
  BOOST_TEST(!series_of(before, "loki_latency_window_").empty());
  BOOST_TEST(series_of(after, "loki_latency_window_") == series_of(before, "loki_latency_window_"));
  BOOST_TEST(series_of(after, "loki_latency_requests_total") ==
             series_of(before, "loki_latency_requests_total"));

  p.signal(SIGTERM);
  BOOST_TEST(p.wait(10s).value_or(-1) == 0);
  BOOST_TEST(read_file(err).find("shutting down") != std::string::npos);
}

// Slow clients must not starve the scrape: with 256 connections held open, half
// idle and half sending a request a byte at a time, /metrics and /-/healthy
// still answer (each request gives up after 5 s; with 4 workers they waited 30 s
// and more). Bounded: 256 sockets, three requests, then everything is closed.
BOOST_AUTO_TEST_CASE(connections_held_open_do_not_starve_the_scrape) {
  lle::test::Process p({lle::test::exporter_binary(), "run", "--config", config, "--replay", sample,
                        "--listen", "127.0.0.1:0"},
                       "/dev/null", out, err);
  const int port = lle::test::wait_for_replay(err, 20s);
  BOOST_TEST_REQUIRE(port != 0, read_file(err));
  std::vector<int> held;
  for (int i = 0; i < 256; ++i) {
    const int fd = lle::test::connect_loopback(port);
    if (fd < 0) continue;
    if (i % 2) (void)::send(fd, "G", 1, MSG_NOSIGNAL);  // the first byte of a request
    held.push_back(fd);
  }
  BOOST_TEST(held.size() == 256u);
  for (int i = 1; i < 256; i += 2)
    (void)::send(held[static_cast<std::size_t>(i)], "E", 1, MSG_NOSIGNAL);
  BOOST_TEST(lle::test::http_request(port, "GET", "/-/healthy").status == 200);
  BOOST_TEST(lle::test::http_request(port, "GET", "/metrics").status == 200);
  BOOST_TEST(lle::test::http_request(port, "GET", "/-/healthy").status == 200);
  for (const int fd : held) ::close(fd);
  p.signal(SIGTERM);
  BOOST_TEST(p.wait(10s).value_or(-1) == 0);
}

// Beyond http.max_connections a connection is answered 503 at once, and the
// refusals are counted on /metrics.
BOOST_AUTO_TEST_CASE(connections_beyond_the_limit_are_refused_and_counted) {
  const std::string cfg = dir.write("exporter.yaml", "services_file: " + root +
                                                         "/deploy/config/services.yaml\n"
                                                         "http: {max_connections: 4}\n");
  lle::test::Process p({lle::test::exporter_binary(), "run", "--config", cfg, "--replay", sample,
                        "--listen", "127.0.0.1:0"},
                       "/dev/null", out, err);
  const int port = lle::test::wait_for_replay(err, 20s);
  BOOST_TEST_REQUIRE(port != 0, read_file(err));
  std::vector<int> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(lle::test::connect_loopback(port));
    BOOST_TEST_REQUIRE(held.back() >= 0);
  }
  // Accepted connections count once the server has seen them: wait (bounded).
  BOOST_TEST_REQUIRE(lle::test::wait_until(
      [&] { return lle::test::http_request(port, "GET", "/-/healthy").status == 503; }, 5s));
  const auto refused = lle::test::http_request(port, "GET", "/metrics");
  BOOST_TEST(refused.status == 503);
  BOOST_TEST(refused.body.find("\"error\":\"too_many_connections\"") != std::string::npos);
  for (const int fd : held) ::close(fd);
  std::string scrape;
  BOOST_TEST_REQUIRE(lle::test::wait_until(
      [&] {
        const auto r = lle::test::http_request(port, "GET", "/metrics");
        scrape = r.body;
        return r.status == 200;
      },
      5s));
  BOOST_TEST(sample_value(scrape, "loki_latency_http_connections_refused_total") >= 2);
  p.signal(SIGTERM);
  BOOST_TEST(p.wait(10s).value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(check_config_exit_codes_and_messages) {
  BOOST_TEST(exporter({"check-config", "--config", config}) == 0);
  BOOST_TEST(read_file(out).find("valid (6 services") != std::string::npos);
  dir.write("services.yaml", "services:\n  - id: a\n    team: t\n    owners: [x]\n    tire: 1\n");
  const std::string bad = dir.write("exporter.yaml", "services_file: services.yaml\n");
  BOOST_TEST(exporter({"check-config", "--config", bad}) == 1);
  BOOST_TEST(
      read_file(err).find("services.yaml:5: services[0].tire: unknown key") != std::string::npos,
      read_file(err));
  BOOST_TEST(exporter({"check-config"}) == 2);
  BOOST_TEST(exporter({"run", "--config", config, "--listen", "nowhere"}) == 2);
  BOOST_TEST(exporter({"run", "--config", config, "--replay", "/nonexistent"}) == 2);
  BOOST_TEST(exporter({"--version"}) == 0);
  BOOST_TEST(read_file(out).find("loki-latency-exporter ") == 0u);
  for (const char* cmd : {"run", "check-config", "dq-report"}) {
    BOOST_TEST(exporter({cmd, "--help"}) == 0);
    BOOST_TEST(read_file(out).find(std::string("loki-latency-exporter ") + cmd) == 0u, cmd);
  }
  BOOST_TEST(exporter({"frobnicate", "--config", config}) == 2);
  // A speed that is not a number >= 0 (NaN included) is a usage error, not a replay.
  for (const char* speed : {"nan", "-1", "2x", "inf-"}) {
    BOOST_TEST(exporter({"run", "--config", config, "--speed", speed}) == 2, speed);
    BOOST_TEST(read_file(err).find("--speed needs a number >= 0") != std::string::npos, speed);
  }
  for (const char* member : {"x", "-1", "1.5", "1000"}) {
    BOOST_TEST(exporter({"run", "--config", config, "--fleet-member", member}) == 2, member);
    BOOST_TEST(read_file(err).find("--fleet-member needs a member number") != std::string::npos,
               member);
  }
  // A member the configuration's fleet does not have is a config error naming the key.
  BOOST_TEST(exporter({"check-config", "--config", config, "--fleet-member", "1"}) == 1);
  BOOST_TEST(read_file(err).find("fleet.member: --fleet-member 1: expected a member from 0 to 0") !=
                 std::string::npos,
             read_file(err));
  BOOST_TEST(exporter({"run", "--config", config, "--log-level", "loud"}) == 2);
  BOOST_TEST(read_file(err).find("--log-level needs debug, info, warn or error") !=
             std::string::npos);
}

// check-config reads what run reads at start, through the same code: a config
// it calls valid is one run starts with. Each of these used to be "valid".
BOOST_AUTO_TEST_CASE(check_config_refuses_what_run_refuses) {
  dir.write("short", "too-short\n");
  dir.write("tokens-bad", "ann not-a-digest\n");
  std::filesystem::create_directory(dir.path() / "secret-dir");
  const std::string base = "services_file: " + root + "/deploy/config/services.yaml\n" +
                           "alerting:\n  policy_file: " + root + "/rules/alert-rules.yaml\n";
  const std::string api = "api:\n  auth:\n    tokens_file: ";
  const std::pair<std::string, std::string> cases[] = {
      {api + "missing-tokens\n", "missing-tokens"},
      {api + "tokens-bad\n", "tokens-bad:1: expected '<engineer> sha256:"},
      {api + "secret-dir\n", "api.auth.tokens_file: cannot read file: it is a directory"},
      {"api:\n  auth:\n    proxy: {header: X-User, secret_file: short}\n",
       "expected a secret of 16 or more bytes"},
      {"input:\n  loki:\n    url: http://127.0.0.1:1\n    selector: '{ns=\"shop\"}'\n"
       "    bearer_token_file: " +
           (dir.path() / "secret-dir").string() + "\n",
       "secret-dir: it is a directory"},
      {"  thresholds_file: secret-dir\n  audit_log: audit.jsonl\n",
       "secret-dir: not a thresholds file"},
  };
  for (const auto& [extra, expected] : cases) {
    const std::string config = dir.write("exporter.yaml", base + extra);
    BOOST_TEST(exporter({"check-config", "--config", config}) == 1, extra);
    BOOST_TEST(read_file(err).find(expected) != std::string::npos,
               extra << " -> " << read_file(err));
  }
  BOOST_TEST(exporter({"check-config", "--config", dir.write("exporter.yaml", base)}) == 0,
             read_file(err));
  // --offline checks the configuration files only (a ConfigMap away from its Secrets).
  const std::string elsewhere = dir.write("exporter.yaml", base + cases[0].first);
  BOOST_TEST(exporter({"check-config", "--offline", "--config", elsewhere}) == 0, read_file(err));
}

BOOST_AUTO_TEST_CASE(json_logs_are_one_object_per_line_with_a_level) {
  BOOST_TEST(exporter({"run", "--config", config, "--listen", "nowhere", "--log-format", "json"}) ==
             2);
  const std::string log = read_file(err);
  BOOST_TEST_REQUIRE(!log.empty());
  BOOST_TEST(std::count(log.begin(), log.end(), '\n') == 1);
  const auto line = boost::json::parse(log).as_object();
  BOOST_TEST(line.at("level").as_string() == "error");
  BOOST_TEST(line.at("value").as_string() == "nowhere");
  BOOST_TEST(line.contains("ts"));
}

BOOST_AUTO_TEST_CASE(dq_report_counts_every_line_once_and_gates_the_exit_code) {
  BOOST_TEST(exporter({"dq-report", "--config", config, "--replay", "-"}, sample) == 0,
             read_file(err));
  const auto report = boost::json::parse(read_file(out)).as_object();
  BOOST_TEST(report.at("passed").as_bool());
  const auto& totals = report.at("totals").as_object();
  const auto lines = report.at("input").as_object().at("lines").to_number<std::uint64_t>();
  BOOST_TEST(totals.at("accepted").to_number<std::uint64_t>() +
                 totals.at("rejected").to_number<std::uint64_t>() ==
             lines);
  // The sample carries bad lines of every reason; each shows up somewhere.
  std::set<std::string> reasons;
  for (const auto& svc : report.at("services").as_object()) {
    for (const auto& r : svc.value().at("rejected_by_reason").as_object()) reasons.insert(r.key());
  }
  for (const auto& r :
       report.at("unknown_service").as_object().at("rejected_by_reason").as_object()) {
    reasons.insert(r.key());
  }
  BOOST_TEST(reasons.size() == 9u);

  const std::string strict =
      dir.write("strict.yaml", "services_file: " + root +
                                   "/deploy/config/services.yaml\n"
                                   "data_quality: {max_reject_ratio: 0.0001}\n");
  BOOST_TEST(exporter({"dq-report", "--config", strict, "--replay", sample}) == 1);
  BOOST_TEST(!boost::json::parse(read_file(out)).as_object().at("passed").as_bool());
}

// One line stamped ten years ahead at the front of two hours of good lines: it
// is rejected as too far in the future, every other line is accepted, and once
// the replay has ended run and dq-report hold the same lines in every window.
BOOST_AUTO_TEST_CASE(run_and_dq_report_agree_on_a_replay_with_a_line_from_the_future) {
  constexpr std::int64_t kStart = 1795154400LL * 1'000'000'000LL;  // 2026-11-20T06:00:00Z
  constexpr std::int64_t kStep = 2'000'000'000LL;
  constexpr int kLines = 3600;
  auto line = [](std::int64_t ts, int i) {
    return R"({"labels":{"app":"checkout"},"line":"{\"service\":\"checkout\",\"status\":200,)"
           R"(\"schema_version\":\"1\",\"latency_ms\":)" +
           std::to_string(20 + i % 50) + R"(}","timestamp":")" + std::to_string(ts) + "\"}\n";
  };
  std::string text = line(kStart + 10 * 365 * 86400 * 1'000'000'000LL, 0);
  for (int i = 0; i < kLines; ++i) text += line(kStart + i * kStep, i);
  const std::string input = dir.write("future-first.jsonl", text);
  dir.write("services.yaml", "services:\n  - {id: checkout, team: shop, owners: [ann]}\n");
  const std::string one = dir.write("exporter.yaml", "services_file: services.yaml\n");

  BOOST_TEST_REQUIRE(exporter({"dq-report", "--config", one, "--replay", input}) == 0,
                     read_file(err) + read_file(out));
  const auto report = boost::json::parse(read_file(out)).as_object();
  const auto& checkout = report.at("services").as_object().at("checkout").as_object();
  BOOST_TEST(checkout.at("accepted").to_number<int>() == kLines);
  const auto& rejects = checkout.at("rejected_by_reason").as_object();
  BOOST_TEST(rejects.at("too_far_in_future").to_number<int>() == 1);
  BOOST_TEST(checkout.at("rejected").to_number<int>() == 1, boost::json::serialize(rejects));

  lle::test::Process p({lle::test::exporter_binary(), "run", "--config", one, "--replay", input,
                        "--listen", "127.0.0.1:0"},
                       "/dev/null", out, err);
  const int port = lle::test::wait_for_replay(err, 20s);
  BOOST_TEST_REQUIRE(port != 0, read_file(err));
  const auto metrics = lle::test::http_request(port, "GET", "/metrics").body;
  auto requests = [&](const char* window) {
    return sample_value(metrics, std::string("loki_latency_window_requests{service=\"checkout\",") +
                                     "window=\"" + window + "\"}");
  };
  BOOST_TEST(requests("7d") == kLines);
  BOOST_TEST(requests("1h") == kLines / 2);
  BOOST_TEST(sample_value(metrics, "loki_latency_last_event_timestamp_seconds") ==
             static_cast<double>(kStart + (kLines - 1) * kStep) / 1e9);
  p.signal(SIGTERM);
  BOOST_TEST(p.wait(10s).value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(the_bundled_sample_is_reproduced_by_its_generator) {
  const std::string regenerated = (dir.path() / "sample.jsonl").string();
  BOOST_TEST_REQUIRE(
      run_to_exit({"python3", root + "/test/testdata/generate_sample.py", regenerated}, out, err) ==
          0,
      read_file(err));
  BOOST_TEST((read_file(regenerated) == read_file(sample)));
}

BOOST_AUTO_TEST_SUITE_END()
