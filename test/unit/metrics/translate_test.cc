#include "exporter/metrics/translate.h"

#include <boost/test/unit_test.hpp>
#include <map>
#include <random>
#include <string>

#include "exporter/metrics/text_render.h"

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
  p.status = {"1.2.3", "abc", 1'000'000'000, {}, {}, {}, {}};
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

// A fleet member serving a service for the handoff's grace period marks it leaving
// and does not count it among the services it owns; without one, no such family.
BOOST_AUTO_TEST_CASE(a_service_served_for_the_grace_period_is_marked_leaving) {
  const auto families = [](const Published& p) {
    std::map<std::string, std::size_t> samples;
    for (const auto& f : lle::metrics::translate(p)) samples[f.name] = f.metric.size();
    return samples;
  };
  BOOST_TEST(families(state()).count("loki_latency_fleet_service_leaving") == 0u);
  BOOST_TEST(flatten(lle::metrics::translate(state())).at("loki_latency_fleet_owned_services{}") ==
             2);
  Published p = state();
  auto infos = *p.snapshot.services;
  infos[1].leaving = true;
  p.snapshot.services = std::make_shared<const std::vector<lle::core::ServiceInfo>>(infos);
  const auto m = flatten(lle::metrics::translate(p));
  BOOST_TEST(m.at("loki_latency_fleet_service_leaving{service=b,}") == 1);
  BOOST_TEST(families(p).at("loki_latency_fleet_service_leaving") == 1u);
  BOOST_TEST(m.at("loki_latency_fleet_owned_services{}") == 1);
  BOOST_TEST(m.at("loki_latency_fleet_service_ready{service=b,}") == 1);
}

// While a cold start's backfill runs, the state stands at a time behind the
// present: no service is ready, and the generated rules leave them all out.
BOOST_AUTO_TEST_CASE(no_service_is_ready_while_a_cold_start_backfills) {
  Published p = state();
  p.status.loki.resize(2);
  BOOST_TEST(
      flatten(lle::metrics::translate(p)).at("loki_latency_fleet_service_ready{service=a,}") == 1);
  p.status.loki[1].backfilling = true;
  const auto m = flatten(lle::metrics::translate(p));
  BOOST_TEST(m.at("loki_latency_fleet_service_ready{service=a,}") == 0);
  BOOST_TEST(m.at("loki_latency_fleet_service_ready{service=b,}") == 0);
}

// The families depend on the published state alone: two equal states built apart
// give the same text (names, help, types, order, values), and one counter changed
// in the state shows in the text, so the comparison can tell them apart.
BOOST_AUTO_TEST_CASE(translation_is_pure) {
  const auto text = [](const Published& p) {
    return lle::metrics::render_text(lle::metrics::translate(p));
  };
  const std::string first = text(state());
  BOOST_TEST(text(state()) == first);
  Published changed = state();
  changed.status.input.lines_read += 1;
  BOOST_TEST(text(changed) != first);
}

BOOST_AUTO_TEST_CASE(collectable_serves_the_latest_state_and_nothing_before_one_exists) {
  std::shared_ptr<const Published> current;
  const lle::metrics::StateCollectable c([&] { return current; });
  BOOST_TEST(c.Collect().empty());
  current = std::make_shared<const Published>(state());
  BOOST_TEST(!c.Collect().empty());
}

// /metrics serves render_exposition; it must be the families' text exactly.
BOOST_AUTO_TEST_CASE(exposition_is_the_text_of_the_families_byte_for_byte) {
  BOOST_TEST(lle::metrics::render_exposition(state()) ==
             lle::metrics::render_text(lle::metrics::translate(state())));

  std::mt19937_64 rng(21);
  std::uniform_int_distribution<std::uint64_t> small(0, 3);
  std::uniform_real_distribution<double> real(0, 2);
  for (int round = 0; round < 50; ++round) {
    Published p = state();
    std::vector<lle::core::ServiceInfo> infos;
    const std::size_t n = small(rng) + round % 7;
    for (std::size_t i = 0; i < n; ++i)
      infos.push_back(
          {"s" + std::to_string(i), "Name \"" + std::to_string(i) + "\\\n", "t", "3", {}});
    p.snapshot.services = std::make_shared<const std::vector<lle::core::ServiceInfo>>(infos);
    p.snapshot.views.assign(n, {});
    for (auto& v : p.snapshot.views) {
      for (auto* w : {&v.last_5m, &v.last_1h, &v.baseline})
        *w = {small(rng), real(rng), real(rng), real(rng), real(rng)};
      v.baseline_ready = small(rng) > 1;
      v.baseline_buckets = static_cast<int>(small(rng));
      for (auto& c : v.accepted_by_status) c = small(rng);
      for (auto& r : v.rejects) r = small(rng);
      v.accepted_total = small(rng);
      v.clamped_low_total = small(rng);
      v.clamped_high_total = small(rng);
      v.last_event_ns = static_cast<std::int64_t>(small(rng)) * 1'000'000'007;
      v.latency_seconds_total = real(rng);
      v.memory_bytes = small(rng) * 1000;
    }
    for (auto& r : p.snapshot.unknown_rejects) r = small(rng);
    BOOST_TEST(lle::metrics::render_exposition(p) ==
               lle::metrics::render_text(lle::metrics::translate(p)));
  }
}

BOOST_AUTO_TEST_SUITE_END()
