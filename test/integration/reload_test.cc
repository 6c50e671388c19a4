// Reloading exporter.yaml and services.yaml in a running exporter (SIGHUP or
// POST /-/reload): services that stay keep their state, added ones start empty,
// removed ones leave /metrics, and no line is lost or counted twice across it.
// An invalid configuration is refused and the running one stays in force.
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

#include "test/support/exporter_harness.h"

using namespace std::chrono_literals;
using namespace lle::test;

namespace {

bool reloads_reach(const Exporter& e, const char* result, double n) {
  return wait_until(
      [&] { return metric(e.scrape(), "loki_latency_config_reloads_total", result) >= n; }, 20s);
}

// checkout stays (its team changes), search goes, refunds comes.
const std::string kChangedServices = R"(services:
  - {id: checkout, display_name: Checkout, team: c, owners: [x], tier: "1", match: {labels: {app: checkout}}}
  - {id: payments, display_name: Payments, team: a, owners: [x], tier: "1"}
  - {id: refunds, display_name: Refunds, team: a, owners: [x], tier: "2"}
)";

}  // namespace

BOOST_AUTO_TEST_SUITE(integration_reload)

BOOST_AUTO_TEST_CASE(sighup_applies_changed_services_keeps_state_and_loses_no_line) {
  FakeLoki loki({});
  Exporter e(loki, "");
  BOOST_TEST_REQUIRE(reopened(loki, 2), e.log());
  push(loki, 300);
  e.expect_exact(loki);

  e.write_services(kChangedServices);
  e.process->signal(SIGHUP);
  BOOST_TEST_REQUIRE(reloads_reach(e, "success", 1), e.log());
  auto s = e.scrape();
  BOOST_TEST(metric(s, "loki_latency_config_last_reload_successful") == 1);
  BOOST_TEST(metric(s, "loki_latency_requests_total", "service=\"checkout\"") == 100);
  BOOST_TEST(metric(s, "loki_latency_requests_total", "service=\"payments\"") == 100);
  BOOST_TEST(s.find("service=\"search\"") == std::string::npos);
  BOOST_TEST(metric(s, "loki_latency_service_info", "service=\"refunds\"") == 1);
  BOOST_TEST(metric(s, "loki_latency_service_info", "team=\"c\"") == 1);
  BOOST_TEST(metric(s, "loki_latency_requests_total", "service=\"refunds\"") == 0);

  // Lines keep coming: search's are now of an unknown service, and the shards that
  // kept their selector resume without counting a line twice.
  push(loki, 90);
  BOOST_TEST_REQUIRE(wait_until(
                         [&] {
                           s = e.scrape();
                           return metric(s, "loki_latency_lines_read_total") >= 390;
                         },
                         30s),
                     e.log());
  BOOST_TEST(metric(s, "loki_latency_lines_read_total") == 390);
  BOOST_TEST(metric(s, "loki_latency_requests_total", "service=\"checkout\"") == 130);
  BOOST_TEST(metric(s, "loki_latency_requests_total", "service=\"payments\"") == 130);
  BOOST_TEST(metric(s, "loki_latency_rejected_lines_total", "reason=\"unknown_service\"") == 30);
  BOOST_TEST(metric(s, "loki_latency_loki_excess_lines_total") == 0);
}

BOOST_AUTO_TEST_CASE(an_invalid_config_is_refused_and_the_running_one_stays_in_force) {
  FakeLoki loki({});
  Exporter e(loki, "");
  BOOST_TEST_REQUIRE(reopened(loki, 2), e.log());
  e.write_services("services:\n  - {id: checkout, team: a, owners: [x], tire: \"1\"}\n");
  const auto r = http_request(e.port, "POST", "/-/reload");
  BOOST_TEST(r.status == 500);
  const auto body = boost::json::parse(r.body).as_object();
  BOOST_TEST(body.at("error").as_string() == "reload_failed");
  const std::string detail(body.at("detail").as_string());
  BOOST_TEST(detail.find("services.yaml") != std::string::npos, detail);
  BOOST_TEST(detail.find("tire") != std::string::npos, detail);
  BOOST_TEST(e.log().find("reload failed") != std::string::npos);

  BOOST_TEST_REQUIRE(reloads_reach(e, "failure", 1), e.log());  // at the next publish
  auto s = e.scrape();
  BOOST_TEST(metric(s, "loki_latency_config_last_reload_successful") == 0);
  BOOST_TEST(metric(s, "loki_latency_config_reloads_total", "failure") == 1);
  BOOST_TEST(metric(s, "loki_latency_service_info", "service=\"search\"") == 1);
  push(loki, 90);
  e.expect_exact(loki);  // every service of the running config counts, nothing rejected

  e.write_services(kServices);
  const auto ok = http_request(e.port, "POST", "/-/reload");
  BOOST_TEST(ok.status == 200, ok.body);
  BOOST_TEST(boost::json::parse(ok.body).as_object().at("status").as_string() == "reloaded");
  BOOST_TEST_REQUIRE(reloads_reach(e, "success", 1), e.log());
  BOOST_TEST(metric(e.scrape(), "loki_latency_config_last_reload_successful") == 1);

  const auto get = http_request(e.port, "GET", "/-/reload");
  BOOST_TEST(get.status == 405);
  BOOST_TEST(get.headers.find("Allow: POST") != std::string::npos, get.headers);
}

BOOST_AUTO_TEST_CASE(snapshots_are_measured_and_a_key_that_needs_a_restart_is_kept) {
  FakeLoki loki({});
  TempDir state, elsewhere;
  Exporter e(loki, "", 3, "", "state:\n  dir: " + state.path().string() + "\n  interval: 1s\n");
  std::string s;
  BOOST_TEST_REQUIRE(wait_until(
                         [&] {
                           s = e.scrape();
                           return metric(s, "loki_latency_state_snapshots_total") >= 2;
                         },
                         20s),
                     e.log());
  BOOST_TEST(metric(s, "loki_latency_state_snapshot_failures_total") == 0);
  BOOST_TEST(metric(s, "loki_latency_state_snapshot_bytes") > 0);
  BOOST_TEST(metric(s, "loki_latency_state_snapshot_duration_seconds") > 0);
  BOOST_TEST(metric(s, "loki_latency_state_snapshot_last_success_timestamp_seconds") >=
             metric(s, "loki_latency_start_time_seconds"));

  // The state directory cannot move under a running process.
  const auto yaml = e.dir.path() / "exporter.yaml";
  std::string text = read_file(yaml);
  text.replace(text.find(state.path().string()), state.path().string().size(),
               elsewhere.path().string());
  std::ofstream(yaml) << text;
  e.process->signal(SIGHUP);
  BOOST_TEST_REQUIRE(reloads_reach(e, "success", 1), e.log());
  BOOST_TEST(e.log().find("this key needs a restart") != std::string::npos, e.log());
  BOOST_TEST(e.log().find("key=state.dir") != std::string::npos, e.log());
  const double written = metric(e.scrape(), "loki_latency_state_snapshots_total");
  BOOST_TEST_REQUIRE(wait_until(
      [&] { return metric(e.scrape(), "loki_latency_state_snapshots_total") > written; }, 20s));
  BOOST_TEST(std::filesystem::is_empty(elsewhere.path()));
}

// The web configuration file is re-read on reload: new users apply to the next
// request, and a file that became invalid is refused with the running one kept.
BOOST_AUTO_TEST_CASE(a_reload_reads_the_web_configuration_again) {
  FakeLoki loki({});
  TempDir web;
  // bcrypt (cost 4) of "first" and of "second".
  const std::string first = "$2b$04$Ua2qRHapogvsAXYWWEw9heOQQuYXXjs1R.Z9xXwogHOJm2RsDED5O";
  const std::string second = "$2b$04$K.shZ6.5lNTVCoae6MlBA.GC1JjU5xmFXI7BS.lSEqZbR17uxuF32";
  const auto users = [&](const std::string& hash) {
    web.write("web.tmp", "basic_auth_users: {prom: '" + hash + "'}\n");
    std::filesystem::rename(web.path() / "web.tmp", web.path() / "web.yml");
  };
  users(first);
  Exporter e(loki, "", 3, "",
             "http: {web_config_file: " + (web.path() / "web.yml").string() + "}\n");
  const std::string as_first = "Authorization: Basic cHJvbTpmaXJzdA==";   // prom:first
  const std::string as_second = "Authorization: Basic cHJvbTpzZWNvbmQ=";  // prom:second
  const auto status = [&](const std::string& auth) {
    return http_request(e.port, "GET", "/metrics", {auth}).status;
  };
  BOOST_TEST(http_request(e.port, "GET", "/metrics").status == 401);
  BOOST_TEST(status(as_first) == 200);
  BOOST_TEST(status(as_second) == 401);

  users(second);
  BOOST_TEST(http_request(e.port, "POST", "/-/reload", {as_first}).status == 200, e.log());
  BOOST_TEST(status(as_first) == 401);
  BOOST_TEST(status(as_second) == 200);

  web.write("web.yml", "basic_auth_users: {prom: second}\n");  // a password, not a hash
  const auto refused = http_request(e.port, "POST", "/-/reload", {as_second});
  BOOST_TEST(refused.status == 500);
  BOOST_TEST(
      refused.body.find("basic_auth_users.prom: expected a bcrypt hash") != std::string::npos,
      refused.body);
  BOOST_TEST(status(as_second) == 200);  // the running configuration stays in force
}

// A reload that gives a label group a new selector (a service added to it) with a
// backfill configured: the new shard counts from now, neither backfilling nor
// repairing the buckets before it, whose lines the services that stayed already hold
// (it counted them twice: by the backfill, or by the repair of its first buckets).
BOOST_AUTO_TEST_CASE(a_new_selector_after_a_reload_does_not_backfill_what_the_windows_hold) {
  FakeLoki loki({});
  Exporter e(loki, "", 3, "    backfill: 1m\n    backfill_pages_per_second: 100\n");
  BOOST_TEST_REQUIRE(reopened(loki, 2), e.log());
  push(loki, 300);
  e.expect_exact(loki);
  // Lines of the last seconds too, which a new shard's first buckets would hold.
  push(loki, 60);
  BOOST_TEST_REQUIRE(
      wait_until([&] { return metric(e.scrape(), "loki_latency_lines_read_total") == 360; }, 20s),
      e.log());
  // refunds joins checkout and search under `app`: their shards' selectors change.
  e.write_services(kServices +
                   "  - {id: refunds, team: a, owners: [x], match: {labels: {app: refunds}}}\n");
  const auto opened = loki.tails_opened();
  const auto backfills = [&] {
    const std::string log = e.log();
    std::size_t n = 0;
    for (auto at = log.find("backfill started"); at != std::string::npos;
         at = log.find("backfill started", at + 1))
      ++n;
    return n;
  };
  const std::size_t cold = backfills();  // the start's, one per shard
  BOOST_TEST(cold == 3u);
  e.process->signal(SIGHUP);
  BOOST_TEST_REQUIRE(reloads_reach(e, "success", 1), e.log());
  BOOST_TEST_REQUIRE(reopened(loki, opened), e.log());
  push(loki, 30);
  // Until the new generation's shards have checked their first buckets for the last
  // time (8 each: seconds after the reload), so that a repair of the buckets before
  // the reload, had it been asked for, has been counted by now.
  BOOST_TEST_REQUIRE(
      wait_until(
          [&] { return metric(e.scrape(), "loki_latency_loki_reconciled_minutes_total") >= 24; },
          30s),
      e.log());
  e.expect_exact(loki);  // 390 lines, each once
  BOOST_TEST(backfills() == cold, e.log());
}

BOOST_AUTO_TEST_SUITE_END()
