#pragma once
// The real exporter binary against the Loki-compatible test server: its config,
// its scrape, and lines of three services pushed into the server. Shared by the
// integration suites that run the Loki input.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>

#include "test/support/fake_loki.h"
#include "test/support/files.h"
#include "test/support/process.h"

namespace lle::test {

using namespace std::chrono_literals;

inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Sum of every sample of a family (name followed by '{' or ' ').
inline double metric(const std::string& scrape, const std::string& name,
                     const std::string& with = "") {
  double sum = 0;
  std::size_t at = 0;
  while ((at = scrape.find("\n" + name, at)) != std::string::npos) {
    const std::size_t start = at + 1 + name.size();
    at = scrape.find('\n', start);
    if (start >= scrape.size() || (scrape[start] != '{' && scrape[start] != ' ')) continue;
    const std::string line = scrape.substr(start, at - start);
    if (!with.empty() && line.find(with) == std::string::npos) continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

// The three services push() writes lines of: two matched by stream label, one by
// the line's service field.
inline const std::string kServices = R"(services:
  - {id: checkout, display_name: Checkout, team: a, owners: [x], tier: "1", match: {labels: {app: checkout}}}
  - {id: search, display_name: Search, team: b, owners: [y], tier: "2", match: {labels: {app: search}}}
  - {id: payments, display_name: Payments, team: a, owners: [x], tier: "1"}
)";

struct Exporter {
  TempDir dir;
  std::unique_ptr<Process> process;
  int port = 0;

  // extra: more input.loki keys; top: more top-level keys. The lateness is short so
  // that buckets get their last check soon; a restart test wants room for downtime.
  Exporter(const FakeLoki& loki, const std::string& tenant, int shards = 3,
           const std::string& extra = "", const std::string& top = "",
           const std::string& lateness = "3s", const std::string& listen = "127.0.0.1:0") {
    write_services(kServices);
    std::ofstream(dir.path() / "exporter.yaml")
        << "listen: " << listen << "\nservices_file: services.yaml\n"
        << "input:\n  loki:\n    url: " << loki.url() << "\n    tenant: \"" << tenant << "\"\n"
        << "    selector: '{namespace=\"shop\"}'\n    shards: " << shards << "\n"
        << "    reconcile_bucket: 1s\n    reconcile_settle: 1s\n"
        << "    backoff_initial: 20ms\n    backoff_max: 200ms\n    connect_timeout: 2s\n"
        << extra << "parsing:\n  default_schema_version: \"1\"\n"
        << "windows:\n  allowed_lateness: " << lateness << "\n  publish_interval: 50ms\n"
        << top;
    const std::string err = (dir.path() / "err").string();
    process =
        std::make_unique<Process>(std::vector<std::string>{exporter_binary(), "run", "--config",
                                                           (dir.path() / "exporter.yaml").string()},
                                  "/dev/null", (dir.path() / "out").string(), err);
    port = wait_for_metrics_port(err, 20s);
    BOOST_TEST_REQUIRE(port != 0, read_file(err));
  }
  // services.yaml (and with it what a reload reads).
  void write_services(const std::string& yaml) const {
    std::ofstream(dir.path() / "services.yaml") << yaml;
  }
  std::string log() const { return read_file(dir.path() / "err"); }
  std::string scrape() const { return http_request(port, "GET", "/metrics").body; }

  // Waits until every stored line is read, then checks the accounting is exact.
  // after_restart: lines_read_total is this process's own count (it resets);
  // requests_total comes back with the restored windows and must be exact.
  void expect_exact(const FakeLoki& loki, bool after_restart = false) const {
    const double stored = static_cast<double>(loki.stored());
    const char* total =
        after_restart ? "loki_latency_requests_total" : "loki_latency_lines_read_total";
    std::string s;
    const bool done = wait_until(
        [&] {
          s = scrape();
          return metric(s, total) >= stored &&
                 metric(s, "loki_latency_loki_reconciled_minutes_total") > 0;
        },
        30s);
    BOOST_TEST(done, "lines counted " << metric(s, total) << " of " << stored << "\n" << log());
    if (!after_restart) BOOST_TEST(metric(s, "loki_latency_lines_read_total") == stored);
    BOOST_TEST(metric(s, "loki_latency_requests_total") == stored);
    const auto rejects = s.find("# HELP loki_latency_rejected_lines_total");
    BOOST_TEST(metric(s, "loki_latency_rejected_lines_total") == 0,
               (rejects == std::string::npos ? "" : s.substr(rejects, 600)));
    BOOST_TEST(metric(s, "loki_latency_loki_excess_lines_total") == 0);
  }
};

// The "seq" the next line push() writes will carry (they count up from 0 per process).
inline int& push_seq() {
  static int seq = 0;
  return seq;
}

// Lines of the three services, round robin, one nanosecond apart from `from`
// (0 = now); all at `same_ts` instead when it is given.
inline void push(FakeLoki& loki, int n, std::int64_t same_ts = 0, std::int64_t from = 0) {
  int& seq = push_seq();
  const char* apps[] = {"checkout", "search", "payments"};
  const std::int64_t base = from ? from : now_ns();
  for (int i = 0; i < n; ++i, ++seq) {
    const std::string app = apps[seq % 3];
    loki.push({{"namespace", "shop"}, {"app", app}, {"pod", app + "-" + std::to_string(seq % 2)}},
              same_ts ? same_ts : base + i,
              "{\"service\":\"" + app + "\",\"latency_ms\":" + std::to_string(10 + seq % 90) +
                  ",\"status\":200,\"seq\":" + std::to_string(seq) + "}");
  }
}

inline bool reopened(const FakeLoki& loki, std::uint64_t more_than) {
  return wait_until([&] { return loki.tails_opened() > more_than; }, 20s);
}

}  // namespace lle::test
