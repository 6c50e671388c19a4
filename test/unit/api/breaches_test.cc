#include "exporter/api/breaches.h"

#include <boost/test/unit_test.hpp>

using lle::window::kFiveMinutesNs;
using lle::window::TrendPoint;

namespace {
constexpr std::int64_t kT0 = 1'763'625'600LL * 1'000'000'000LL;

// P95s in seconds, one per 5-minute bucket from kT0; a negative value is a gap.
std::vector<TrendPoint> trend(std::initializer_list<double> p95s) {
  std::vector<TrendPoint> out;
  std::int64_t t = kT0;
  for (double v : p95s) {
    if (v >= 0) out.push_back({t, v});
    t += kFiveMinutesNs;
  }
  return out;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(api_breaches)

BOOST_AUTO_TEST_CASE(runs_above_the_threshold_end_at_a_bucket_below_it_or_a_gap) {
  const auto b = lle::api::breaches(trend({0.1, 0.3, 0.4, 0.1, 0.3, -1, 0.35, 0.25}), 0.25);
  BOOST_TEST_REQUIRE(b.size() == 3u);
  BOOST_TEST(b[0].start_ns == kT0 + kFiveMinutesNs);
  BOOST_TEST(b[0].end_ns == kT0 + 3 * kFiveMinutesNs);
  BOOST_TEST(b[0].peak_seconds == 0.4);
  BOOST_TEST(b[1].end_ns - b[1].start_ns == kFiveMinutesNs);
  BOOST_TEST(b[2].start_ns == kT0 + 6 * kFiveMinutesNs);  // after the gap, a new run
  BOOST_TEST(b[2].end_ns == kT0 + 7 * kFiveMinutesNs);    // 0.25 is not above 0.25
  BOOST_TEST(lle::api::breaches({}, 0.25).empty());
}

BOOST_AUTO_TEST_CASE(a_backtest_counts_only_breaches_that_outlast_for) {
  // Breaches of 15, 5 and 10 minutes.
  const auto t = trend({0.3, 0.3, 0.3, 0.1, 0.3, 0.1, 0.3, 0.3});
  const auto ten = lle::api::backtest(t, 0.25, 10 * 60'000'000'000LL);
  BOOST_TEST(ten.breaches == 3);
  BOOST_TEST(ten.alerts == 1);  // 10 minutes exactly does not outlast `for`
  BOOST_TEST(ten.firing_ns == 5 * 60'000'000'000LL);
  BOOST_TEST(ten.longest_firing_ns == 5 * 60'000'000'000LL);
  const auto none = lle::api::backtest(t, 0.25, 0);
  BOOST_TEST(none.alerts == 3);
  BOOST_TEST(none.firing_ns == 30 * 60'000'000'000LL);
  BOOST_TEST(lle::api::backtest(t, 0.5, 0).alerts == 0);
}

BOOST_AUTO_TEST_SUITE_END()
