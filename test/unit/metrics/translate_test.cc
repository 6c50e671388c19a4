#include "exporter/metrics/translate.h"

#include <boost/test/unit_test.hpp>
#include <map>
#include <string>

using lle::core::RejectReason;
using lle::metrics::Published;

namespace {

// (family name, sorted label pairs) -> value, for readable assertions.
std::map<std::string, double> flatten(const std::vector<prometheus::MetricFamily>& families) {
  std::map<std::string, double> out;
  for (const auto& f : families) {
    for (const auto& m : f.metric) {
      std::string key = f.name + "{";
      for (const auto& l : m.label) key += l.name + "=" + l.value + ",";
      key += "}";
      out[key] = f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
    }
  }
  return out;
}

Published state() {
  Published p;
  p.snapshot.at_ns = 2'000'000'000;
  p.snapshot.services = std::make_shared<const std::vector<lle::core::ServiceInfo>>(
      std::vector<lle::core::ServiceInfo>{{"a", "Service A", "team-a", "1", {"x"}},
                                          {"b", "Service B", "team-b", "2", {"y"}}});
  p.snapshot.views.resize(2);
  auto& a = p.snapshot.views[0];
  a.last_5m = {10, 1.0, 0.1, 0.2, 0.3};
  a.baseline = {100, 5.0, 0.05, 0.15, 0.25};
  a.baseline_ready = true;
  a.baseline_buckets = 12;
  a.accepted_total = 110;
  a.accepted_by_status[2] = 100;
  a.accepted_by_status[5] = 10;
  a.rejects[static_cast<std::size_t>(RejectReason::kInvalidLatency)] = 3;
  p.snapshot.unknown_rejects[static_cast<std::size_t>(RejectReason::kUnknownService)] = 4;
  p.status = {"1.2.3", "abc", 1'000'000'000, {}};
  p.status.input.lines_read = 117;
  return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics_translate)

BOOST_AUTO_TEST_CASE(windows_quantiles_and_counters_per_service) {
  const auto m = flatten(lle::metrics::translate(state()));
  BOOST_TEST(m.at("loki_latency_window_p95_seconds{service=a,window=5m,}") == 0.2);
  BOOST_TEST(m.at("loki_latency_window_p95_seconds{service=a,window=7d,}") == 0.15);
  BOOST_TEST(m.at("loki_latency_window_latency_sum_seconds{service=a,window=5m,}") == 1.0);
  BOOST_TEST(m.at("loki_latency_window_latency_sum_seconds{service=b,window=1h,}") == 0);
  BOOST_TEST(m.at("loki_latency_window_requests{service=a,window=1h,}") == 0);
  BOOST_TEST(m.at("loki_latency_baseline_ready{service=a,}") == 1);
  BOOST_TEST(m.at("loki_latency_requests_total{service=a,status_class=5xx,}") == 10);
  BOOST_TEST(m.at("loki_latency_rejected_lines_total{service=a,reason=invalid_latency,}") == 3);
  BOOST_TEST(m.at("loki_latency_rejected_lines_total{service=unknown,reason=unknown_service,}") ==
             4);
  BOOST_TEST(m.at("loki_latency_build_info{version=1.2.3,revision=abc,}") == 1);
  BOOST_TEST(m.at("loki_latency_lines_read_total{}") == 117);
  BOOST_TEST(
      m.at("loki_latency_service_info{service=b,display_name=Service B,team=team-b,tier=2,}") == 1);
}

BOOST_AUTO_TEST_CASE(empty_windows_have_no_quantile_series_and_zero_counts_are_left_out) {
  const auto m = flatten(lle::metrics::translate(state()));
  BOOST_TEST(m.count("loki_latency_window_p95_seconds{service=a,window=1h,}") == 0u);
  BOOST_TEST(m.count("loki_latency_window_p95_seconds{service=b,window=5m,}") == 0u);
  BOOST_TEST(m.at("loki_latency_window_requests{service=b,window=5m,}") == 0);
  BOOST_TEST(m.count("loki_latency_requests_total{service=b,status_class=2xx,}") == 0u);
  BOOST_TEST(m.count("loki_latency_service_last_event_timestamp_seconds{service=b,}") == 0u);
}

BOOST_AUTO_TEST_CASE(translation_is_pure) {
  const auto s = state();
  BOOST_TEST((flatten(lle::metrics::translate(s)) == flatten(lle::metrics::translate(s))));
}

BOOST_AUTO_TEST_CASE(collectable_serves_the_latest_state_and_nothing_before_one_exists) {
  std::shared_ptr<const Published> current;
  const lle::metrics::StateCollectable c([&] { return current; });
  BOOST_TEST(c.Collect().empty());
  current = std::make_shared<const Published>(state());
  BOOST_TEST(!c.Collect().empty());
}

BOOST_AUTO_TEST_SUITE_END()
