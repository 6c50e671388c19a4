// The real binary ingesting (a paced replay) while HTTP workers serve scrapes:
// every scrape succeeds, counts only grow, and the last scrape sees every
// accepted line. Labelled `threads`: CI runs it under ThreadSanitizer too.
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <string>

#include "test/support/files.h"
#include "test/support/process.h"

using namespace std::chrono_literals;

namespace {
double total_accepted(const std::string& scrape) {
  double sum = 0;
  std::size_t at = 0;
  const std::string name = "\nloki_latency_requests_total{";
  while ((at = scrape.find(name, at)) != std::string::npos) {
    at = scrape.find("} ", at) + 2;
    sum += std::stod(scrape.substr(at));
  }
  return sum;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(integration_http_scrape_during_ingest)

BOOST_AUTO_TEST_CASE(scrapes_during_a_paced_replay_are_consistent_and_end_complete) {
  lle::test::TempDir dir;
  const std::string root = lle::test::source_dir().string();
  const std::string out = (dir.path() / "out").string(), err = (dir.path() / "err").string();
  // The sample spans 5 hours: at 20,000x it takes about a second to replay.
  lle::test::Process p(
      {lle::test::exporter_binary(), "run", "--config", root + "/deploy/config/exporter.yaml",
       "--replay", root + "/test/testdata/sample/sample.jsonl", "--speed", "20000", "--listen",
       "127.0.0.1:0"},
      "/dev/null", out, err);
  const int port = lle::test::wait_for_metrics_port(err, 20s);
  BOOST_TEST_REQUIRE(port != 0, lle::test::read_file(err));

  double last = 0;
  int scrapes = 0, during = 0;
  bool finished = false;
  const auto deadline = std::chrono::steady_clock::now() + 60s;  // bounded: stops by itself
  while (!finished && std::chrono::steady_clock::now() < deadline) {
    finished = lle::test::read_file(err).find("replay finished") != std::string::npos;
    const auto r = lle::test::http_request(port, "GET", "/metrics");
    BOOST_TEST_REQUIRE(r.status == 200);
    const double accepted = total_accepted(r.body);
    BOOST_TEST(accepted >= last);
    last = accepted;
    ++scrapes;
    if (!finished) ++during;
  }
  BOOST_TEST_REQUIRE(finished);
  BOOST_TEST(during > 0);
  // After the replay: the final state holds every accepted line of the sample.
  const std::string report_path = (dir.path() / "report.json").string();
  BOOST_TEST_REQUIRE(
      lle::test::run_to_exit({lle::test::exporter_binary(), "dq-report", "--config",
                              root + "/deploy/config/exporter.yaml", "--replay",
                              root + "/test/testdata/sample/sample.jsonl", "--out", report_path},
                             out, (dir.path() / "dq.err").string()) == 0);
  const auto report = boost::json::parse(lle::test::read_file(report_path)).as_object();
  const auto accepted = report.at("totals").as_object().at("accepted").to_number<double>();
  BOOST_TEST(total_accepted(lle::test::http_request(port, "GET", "/metrics").body) == accepted);

  p.signal(SIGTERM);
  BOOST_TEST(p.wait(20s).value_or(-1) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
