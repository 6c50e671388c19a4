#include "exporter/window/service_window.h"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <map>
#include <random>

#include "exporter/core/clock.h"
#include "exporter/window/store.h"

using lle::core::kNanosPerMinute;
using lle::core::RejectReason;
using lle::window::ServiceWindow;

namespace {

constexpr std::int64_t kMin = kNanosPerMinute;
constexpr std::int64_t kHour = 60 * kMin;
// An hour-aligned start far from the epoch, so that bucket arithmetic is exercised.
constexpr std::int64_t kT0 = 1'763'625'600LL * 1'000'000'000LL;

// A window of `id` under `options` that loaded all of what `saved` holds.
ServiceWindow reloaded(std::string_view saved, const lle::window::Options& options,
                       std::string_view id) {
  ServiceWindow w(options, id);
  lle::core::Reader in(saved);
  BOOST_TEST_REQUIRE(w.load(in, lle::sketch::LatencySketch::Encoding::kBlockRice));
  BOOST_TEST(in.done());
  return w;
}

struct Fixture {
  lle::core::ManualClock clock{kT0};
  lle::window::Options options;  // 5m lateness, 1m future skew, 3 buckets
  ServiceWindow w{options};

  // One line per second for `minutes`, all with the same latency, time following.
  void steady(int minutes, double seconds) {
    for (int s = 0; s < minutes * 60; ++s) {
      BOOST_TEST_REQUIRE(!w.add(clock.now_ns(), seconds, 200, clock.now_ns()).has_value());
      clock.advance(lle::core::kNanosPerSecond);
    }
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(window_service_window, Fixture)

// Windows hold the current (partial) slice and the earlier ones up to their
// length: at a minute boundary the 5m window has 4 full minutes of lines.
BOOST_AUTO_TEST_CASE(five_minute_window_slides_by_minute_slices) {
  steady(10, 0.100);
  steady(5, 0.400);
  auto v = w.view(clock.now_ns());
  BOOST_TEST(v.last_5m.count == 240u);
  BOOST_TEST(v.last_5m.p95 == 0.400, boost::test_tools::tolerance(0.006));
  clock.advance(3 * kMin);  // no new lines: one minute of data left in the window
  v = w.view(clock.now_ns());
  BOOST_TEST(v.last_5m.count == 60u);
  clock.advance(3 * kMin);
  v = w.view(clock.now_ns());
  BOOST_TEST(v.last_5m.count == 0u);
  BOOST_TEST(std::isnan(v.last_5m.p95));
}

BOOST_AUTO_TEST_CASE(every_line_is_in_each_window_exactly_once) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> lag(0, 4 * 60);  // out of order within the lateness
  std::uint64_t added = 0;
  for (int s = 0; s < 3 * 3600; ++s) {
    const std::int64_t now = clock.now_ns();
    const std::int64_t ts = now - lag(rng) * lle::core::kNanosPerSecond;
    BOOST_TEST_REQUIRE(!w.add(ts, 0.05, 200, now).has_value());
    ++added;
    clock.advance(lle::core::kNanosPerSecond);
    if (s % 997 == 0) {
      // The baseline holds everything up to the lateness horizon; the rest is in
      // open slices. Nothing is counted twice anywhere.
      const auto v = w.view(clock.now_ns());
      BOOST_TEST(v.baseline.count <= added);
      BOOST_TEST(v.last_1h.count <= added);
      BOOST_TEST(v.accepted_total == added);
    }
  }
  clock.advance(10 * kMin);  // everything final
  const auto v = w.view(clock.now_ns());
  BOOST_TEST(v.baseline.count == added);
}

// When the input ends (a finished replay) nothing more can arrive: every open
// minute is closed at once, so the 7-day view holds every accepted line, and a
// line for a closed minute is too late rather than lost from the roll-ups.
BOOST_AUTO_TEST_CASE(closing_open_minutes_puts_every_line_in_the_seven_days) {
  steady(17, 0.010);
  const std::int64_t now = clock.now_ns();
  const auto before = w.view(now);
  BOOST_TEST(before.baseline.count < before.accepted_total);  // the open minutes
  const int trend_before = before.baseline_buckets;
  w.close_open_minutes();
  const auto after = w.view(now);
  BOOST_TEST(after.baseline.count == after.accepted_total);
  BOOST_TEST(after.last_1h.count == after.accepted_total);
  BOOST_TEST(after.baseline_buckets == trend_before + 2);  // minutes 10-14, and 15-16
  BOOST_TEST((w.add(now - kMin, 0.010, 200, now) == RejectReason::kTooLate));
  BOOST_TEST(w.view(now).baseline.count == after.accepted_total);
}

BOOST_AUTO_TEST_CASE(late_lines_land_in_their_own_minute_until_the_horizon) {
  steady(10, 0.010);
  const std::int64_t now = clock.now_ns();
  BOOST_TEST(!w.add(now - 4 * kMin, 2.0, 200, now).has_value());
  BOOST_TEST((w.add(now - 6 * kMin, 2.0, 200, now) == RejectReason::kTooLate));
  BOOST_TEST((w.add(now + 2 * kMin, 2.0, 200, now) == RejectReason::kTooFarInFuture));
  BOOST_TEST(!w.add(now + 30 * lle::core::kNanosPerSecond, 2.0, 200, now).has_value());
  const auto v = w.view(now);
  BOOST_TEST(v.last_5m.count == 242u);  // 4 minutes + the late line + the future one
  BOOST_TEST(v.max_latency == 2.0);
}

BOOST_AUTO_TEST_CASE(baseline_is_ready_after_three_buckets_and_holds_seven_days) {
  steady(9, 0.100);
  BOOST_TEST(!w.view(clock.now_ns()).baseline_ready);  // only the first bucket is final
  steady(11, 0.100);
  auto v = w.view(clock.now_ns());
  BOOST_TEST(v.baseline_ready);
  BOOST_TEST(v.baseline_buckets >= 3);
  BOOST_TEST(v.baseline.p95 == 0.100, boost::test_tools::tolerance(0.006));

  // Seven days later the first hours expire, subtracted exactly.
  clock.advance(7 * 24 * kHour - 30 * kMin);
  v = w.view(clock.now_ns());
  BOOST_TEST(v.baseline.count == 20u * 60u - 0u);  // still inside (hour not yet 168 old)
  clock.advance(2 * kHour);
  v = w.view(clock.now_ns());
  BOOST_TEST(v.baseline.count == 0u);
  BOOST_TEST(v.baseline_buckets == 0);
  BOOST_TEST(!v.baseline_ready);
  BOOST_TEST(v.accepted_total == 1200u);  // counters are since start, not windowed
}

BOOST_AUTO_TEST_CASE(rolling_baseline_equals_a_fresh_sum_of_the_last_hours) {
  // 9 days of data with a latency that grows each day; the baseline must equal
  // the data of the last 168 hours only (checked through count and P95).
  for (int day = 0; day < 9; ++day) {
    for (int i = 0; i < 24 * 12; ++i) {  // one line every 5 minutes
      const std::int64_t now = clock.now_ns();
      BOOST_TEST_REQUIRE(!w.add(now, 0.010 * (day + 1), 200, now).has_value());
      clock.advance(5 * kMin);
    }
  }
  clock.advance(10 * kMin);
  const auto v = w.view(clock.now_ns());
  // Hours kept: the current (here empty) hour and the 167 complete ones before it.
  BOOST_TEST(v.baseline.count == 167u * 12u);
  // Days 3..9 have latencies 0.03..0.09 (day 3 only partly); P95 sits in day 9.
  BOOST_TEST(v.baseline.p95 == 0.090, boost::test_tools::tolerance(0.006));
  // 2016 trend slots up to now's bucket; the last three (10 minutes + the
  // partial one) have no final data yet.
  BOOST_TEST(v.baseline_buckets == lle::window::kTrendPoints - 3);
  // The trend keeps 14 days: all 9 here; its last 7 days are the baseline's buckets.
  const auto trend = w.trend();
  BOOST_TEST(trend.size() == 9u * 24u * 12u);
  const auto series = w.trend_series();  // the 2016 buckets up to now's
  const std::int64_t week_start =
      series.last_bucket_start_ns - (lle::window::kTrendPoints - 1) * lle::window::kFiveMinutesNs;
  BOOST_TEST(series.points(week_start).size() == static_cast<std::size_t>(v.baseline_buckets));
  BOOST_TEST(trend.back().p95 == 0.090, boost::test_tools::tolerance(0.006));
  BOOST_TEST(trend.front().bucket_start_ns < trend.back().bucket_start_ns);
}

BOOST_AUTO_TEST_CASE(the_trend_keeps_the_last_14_days_in_order_across_its_ring) {
  // 16 days, one line every 5 minutes, each bucket's latency its own (a cycle of 97
  // values, so that no two neighbours and no ring slot's old and new points agree):
  // the trend is the last 14 days' buckets, oldest first, each with its own P95.
  const auto latency = [](std::int64_t bucket) {
    return lle::sketch::bucket_value(static_cast<int>(-400 + bucket % 97));
  };
  for (int i = 0; i < 16 * 24 * 12; ++i) {
    const std::int64_t now = clock.now_ns();
    BOOST_TEST_REQUIRE(
        !w.add(now, latency(lle::core::floor_div(now, lle::window::kFiveMinutesNs)), 200, now)
             .has_value());
    clock.advance(5 * kMin);
  }
  clock.advance(10 * kMin);
  w.advance(clock.now_ns());
  const auto trend = w.trend();
  const std::int64_t now_five = lle::core::floor_div(clock.now_ns(), lle::window::kFiveMinutesNs);
  // The ring's 4032 buckets end at now's; its last three have no final data yet.
  BOOST_TEST_REQUIRE(trend.size() == static_cast<std::size_t>(lle::window::kKeptTrendPoints - 3));
  for (std::size_t i = 0; i < trend.size(); ++i) {
    const std::int64_t bucket =
        now_five - lle::window::kKeptTrendPoints + 1 + static_cast<std::int64_t>(i);
    BOOST_TEST_REQUIRE(trend[i].bucket_start_ns == bucket * lle::window::kFiveMinutesNs);
    BOOST_TEST_REQUIRE(trend[i].p95 == latency(bucket));
  }
}

// The ring grows with the service's history: a young service holds room for its
// hours, not for 14 days; restored young and grown afterwards, its trend is the
// same as one never restarted.
BOOST_AUTO_TEST_CASE(a_young_services_trend_grows_with_its_history_also_across_restarts) {
  ServiceWindow restarted(options);
  const auto restart = [&] {
    lle::core::Writer out;
    restarted.save(out);
    ServiceWindow loaded(options);
    lle::core::Reader in(out.bytes());
    BOOST_TEST_REQUIRE(loaded.load(in, lle::sketch::LatencySketch::Encoding::kBlockRice));
    restarted = std::move(loaded);
  };
  for (int i = 0; i < 16 * 24 * 12; ++i) {  // one line every 5 minutes for 16 days
    const std::int64_t now = clock.now_ns();
    const double v = 0.001 * (1 + i % 89);
    BOOST_TEST_REQUIRE(!w.add(now, v, 200, now).has_value());
    BOOST_TEST_REQUIRE(!restarted.add(now, v, 200, now).has_value());
    clock.advance(5 * kMin);
    if (i == 12) {  // an hour old: far less than the 14-day ring alone
      BOOST_TEST(w.view(clock.now_ns()).memory_bytes <
                 lle::window::kKeptTrendPoints * sizeof(std::int16_t));
    }
    if (i == 12 || i == 3 * 24 * 12 || i == 15 * 24 * 12) restart();
  }
  const auto a = w.view(clock.now_ns()), b = restarted.view(clock.now_ns());
  BOOST_TEST(a.baseline_buckets == b.baseline_buckets);
  const auto want = w.trend(), got = restarted.trend();
  BOOST_TEST_REQUIRE(got.size() == want.size());
  BOOST_TEST(want.size() > static_cast<std::size_t>(lle::window::kTrendPoints));
  for (std::size_t i = 0; i < got.size(); ++i) {
    BOOST_TEST_REQUIRE(got[i].bucket_start_ns == want[i].bucket_start_ns);
    BOOST_TEST_REQUIRE(got[i].p95 == want[i].p95);
  }
}

BOOST_AUTO_TEST_CASE(the_last_24_hours_and_the_same_24_a_week_earlier_are_exact) {
  // 9 days, a line a minute, each hour's latency its own; both sums must equal a
  // sketch of exactly their hours' lines, also after a save and load.
  std::mt19937_64 rng(5);
  std::vector<std::pair<std::int64_t, double>> lines;
  for (int m = 0; m < 9 * 24 * 60; ++m) {
    const std::int64_t now = clock.now_ns();
    const double v = 0.01 * (1 + (m / 60) % 17) * (1 + 0.1 * (rng() % 10));
    lines.emplace_back(now, v);
    BOOST_TEST_REQUIRE(!w.add(now, v, 200, now).has_value());
    clock.advance(kMin);
  }
  clock.advance(30 * kMin);  // the last hour completes (5-minute hold), a new one begins
  const std::int64_t now = clock.now_ns();
  const std::int64_t h = lle::core::floor_div(now, kHour);
  lle::sketch::LatencySketch day, week_before;
  for (const auto& [t, v] : lines) {
    const std::int64_t hour = lle::core::floor_div(t, kHour);
    if (hour >= h - 24 && hour < h) day.add(v);
    if (hour >= h - 192 && hour < h - 168) week_before.add(v);
  }
  BOOST_TEST_REQUIRE(day.count() == 24u * 60u);
  BOOST_TEST_REQUIRE(week_before.count() == 24u * 60u);
  const auto same = [](const lle::window::WindowStats& got, const lle::sketch::LatencySketch& s) {
    const auto want = lle::window::stats_of(s);
    BOOST_TEST(got.count == want.count);
    BOOST_TEST(got.p95 == want.p95);
    BOOST_TEST(got.p50 == want.p50);
  };
  const auto v = w.view(now);
  same(v.last_24h, day);
  same(v.week_before_24h, week_before);
  lle::core::Writer out;
  w.save(out);
  ServiceWindow loaded(options);
  lle::core::Reader in(out.bytes());
  BOOST_TEST_REQUIRE(loaded.load(in, lle::sketch::LatencySketch::Encoding::kBlockRice));
  const auto again = loaded.view(now);
  same(again.last_24h, day);
  same(again.week_before_24h, week_before);
  BOOST_TEST(again.baseline.count == v.baseline.count);
}

BOOST_AUTO_TEST_CASE(hour_window_covers_twelve_buckets) {
  steady(90, 0.020);
  const auto v = w.view(clock.now_ns());
  // 55-60 minutes of lines: 11 complete buckets plus the current partial one.
  BOOST_TEST(v.last_1h.count >= 55u * 60u);
  BOOST_TEST(v.last_1h.count <= 60u * 60u);
}

BOOST_AUTO_TEST_CASE(time_never_moves_backwards) {
  steady(10, 0.01);
  const std::int64_t later = clock.now_ns();
  w.advance(later - 20 * kMin);
  BOOST_TEST((w.add(later - 8 * kMin, 0.01, 200, later - 20 * kMin) == RejectReason::kTooLate));
}

// A quiet service whose minute once overflowed the slice's own room goes back to
// keeping its minutes inside their slices: a minute after it, a service with two
// lines that minute holds no more than one that never had the busy minute.
BOOST_AUTO_TEST_CASE(a_quiet_service_leaves_sketches_behind_after_one_busy_minute) {
  ServiceWindow never_busy(options);
  for (int minute = 0; minute < 8; ++minute) {
    const int lines = minute == 0 ? lle::sketch::SmallSketch::kCapacity + 1 : 2;
    for (int i = 0; i < lines; ++i) {
      const std::int64_t now = clock.now_ns() + i * lle::core::kNanosPerSecond;
      BOOST_TEST_REQUIRE(!w.add(now, 0.1, 200, now).has_value());
      if (minute > 0 || i < 2) BOOST_TEST_REQUIRE(!never_busy.add(now, 0.1, 200, now).has_value());
    }
    clock.advance(kMin);
  }
  // The busy minute has left the 5-minute window; what is held is the same.
  BOOST_TEST(w.view(clock.now_ns()).memory_bytes == never_busy.view(clock.now_ns()).memory_bytes);
}

// Lines above each threshold are counted from their raw values, exactly, also at a
// threshold that is no bucket boundary (300 ms) and for values right at it; a
// restart keeps the counts, and a changed list keeps those of thresholds it still has.
BOOST_AUTO_TEST_CASE(slow_lines_are_counted_exactly_per_threshold_and_kept_on_restart) {
  std::mt19937_64 rng(18);
  std::lognormal_distribution<double> lat(std::log(0.3), 0.4);
  const auto& ms = options.slow->ms;
  BOOST_TEST_REQUIRE(ms.size() == 5u);
  std::vector<std::uint64_t> expected(ms.size(), 0);
  for (int i = 0; i < 20'000; ++i) {
    // Every fifth line is exactly a threshold, as a parsed "300" in ms is: above the
    // lower thresholds only.
    const bool at_threshold = i % 5 == 0;
    const std::size_t k = static_cast<std::size_t>(i / 5) % ms.size();
    const double v = at_threshold ? ms[k] * 1e-3 : lat(rng);
    const std::int64_t now = clock.now_ns();
    BOOST_TEST_REQUIRE(!w.add(now, v, 200, now).has_value());
    for (std::size_t t = 0; t < ms.size(); ++t)
      expected[t] += at_threshold ? ms[k] > ms[t] : v * 1000 > ms[t];
    clock.advance(lle::core::kNanosPerSecond / 10);
  }
  const auto v = w.view(clock.now_ns());
  for (std::size_t t = 0; t < ms.size(); ++t) BOOST_TEST(v.slow_total[t] == expected[t]);
  BOOST_TEST(v.slow_total[2] > 0u);  // 300 ms: some lines above it, some not
  BOOST_TEST(v.slow_total[2] < v.accepted_total);

  lle::core::Writer out;
  w.save(out);
  ServiceWindow same(options);
  lle::core::Reader in(out.bytes());
  BOOST_TEST_REQUIRE(same.load(in, lle::sketch::LatencySketch::Encoding::kBlockRice));
  BOOST_TEST(same.view(clock.now_ns()).slow_total == v.slow_total,
             boost::test_tools::per_element());

  auto changed = options;  // 300 ms kept, 1000 ms dropped, 750 ms new
  changed.slow = lle::window::SlowThresholds::of({300, 750});
  ServiceWindow moved(changed);
  lle::core::Reader again(out.bytes());
  BOOST_TEST_REQUIRE(moved.load(again, lle::sketch::LatencySketch::Encoding::kBlockRice));
  const auto m = moved.view(clock.now_ns());
  BOOST_TEST(m.slow_total[0] == v.slow_total[2]);
  BOOST_TEST(m.slow_total[1] == 0u);
}

// A latency SLO's budget counts its period's lines by day (UTC): today's and the
// days before, up to its period; a restart keeps them, a changed threshold starts
// again, a shorter period keeps what it covers.
BOOST_AUTO_TEST_CASE(an_slo_budget_counts_the_days_of_its_period_and_survives_a_restart) {
  const auto budgets = [&](double threshold_ms, int days) {
    auto o = options;
    o.budgets = std::make_shared<lle::window::Budgets>(
        lle::window::Budgets{{"svc", {threshold_ms, 0.99, days}}});
    return o;
  };
  const auto three_days = budgets(300, 3);
  ServiceWindow slo(three_days, "svc");
  ServiceWindow other(three_days, "other");
  std::map<std::int64_t, std::pair<std::uint64_t, std::uint64_t>> by_day;  // total, slow
  for (int i = 0; i < 5 * 144; ++i) {  // a line every 10 minutes for 5 days
    // Every seventh line above 300 ms, the one after exactly at it (not above).
    const double v = i % 7 == 0 ? 0.31 : i % 7 == 1 ? 0.3 : 0.05;
    const std::int64_t now = clock.now_ns();
    BOOST_TEST_REQUIRE(!slo.add(now, v, 200, now).has_value());
    BOOST_TEST_REQUIRE(!other.add(now, v, 200, now).has_value());
    auto& d = by_day[lle::core::floor_div(now, lle::window::kDayNs)];
    ++d.first;
    d.second += i % 7 == 0;
    clock.advance(10 * kMin);
  }
  const std::int64_t now = clock.now_ns() - 10 * kMin;
  const auto period = [&](int days) {
    std::pair<std::uint64_t, std::uint64_t> sum{0, 0};
    for (const auto& [day, d] : by_day) {
      if (day > lle::core::floor_div(now, lle::window::kDayNs) - days) {
        sum.first += d.first;
        sum.second += d.second;
      }
    }
    return sum;
  };
  BOOST_TEST_REQUIRE(by_day.size() == 6u);  // 5 days from 08:00: six calendar days
  const auto v = slo.view(now);
  BOOST_TEST_REQUIRE(v.slo.budget.has_value());
  BOOST_TEST(v.slo.budget->objective == 0.99);
  BOOST_TEST(v.slo.total == period(3).first);
  BOOST_TEST(v.slo.slow == period(3).second);
  BOOST_TEST(v.slo.total < v.accepted_total);  // the older days are out of the period
  BOOST_TEST(!other.view(now).slo.budget.has_value());

  lle::core::Writer out;
  slo.save(out);
  const auto load = [&](const lle::window::Options& o) {
    const auto r = reloaded(out.bytes(), o, "svc").view(now);
    return std::pair{r.slo.total, r.slo.slow};
  };
  BOOST_TEST((load(three_days) == period(3)));
  BOOST_TEST((load(budgets(300, 1)) == period(1)));
  BOOST_TEST((load(budgets(250, 3)) == std::pair<std::uint64_t, std::uint64_t>{0, 0}));
}

// A service with an SLO also counts its lines per hour (by timestamp) at every
// threshold, for the last 8 final days: the published hours are the final ones, the burn
// rates sum the whole hours of each window that ends with the last final hour, and a
// restart keeps them unless a threshold is new to the list.
BOOST_AUTO_TEST_CASE(an_slo_counts_its_hours_at_every_threshold_for_burn_rates_and_backtests) {
  auto o = options;
  o.budgets =
      std::make_shared<lle::window::Budgets>(lle::window::Budgets{{"svc", {300, 0.99, 30}}});
  ServiceWindow slo(o, "svc");
  const auto& ms = o.slow->ms;
  struct Counts {
    std::uint64_t total = 0;
    lle::window::SlowCounts slow{};
  };
  std::map<std::int64_t, Counts> expected;  // by hour
  const double values[] = {0.05, 0.12, 0.26, 0.3, 0.31, 0.6, 1.2};
  for (int i = 0; i < 10 * 24 * 30; ++i) {  // a line every 2 minutes for 10 days
    const std::int64_t now = clock.now_ns();
    const std::int64_t hour = lle::core::floor_div(now, kHour);
    // The mix changes from hour to hour: hour h has (h mod 7) of its values slow.
    const double v = values[static_cast<std::size_t>((i + hour) % 7)];
    BOOST_TEST_REQUIRE(!slo.add(now, v, 200, now).has_value());
    auto& e = expected[hour];
    ++e.total;
    for (std::size_t t = 0; t < ms.size(); ++t) e.slow[t] += v * 1000 > ms[t];
    clock.advance(2 * kMin);
  }
  const std::int64_t now = clock.now_ns();
  const auto v = slo.view(now);
  // Minutes before now - 5m are final; so are the hours all of whose minutes are.
  const std::int64_t end = lle::core::floor_div(lle::core::floor_div(now - 5 * kMin, kMin), 60);
  BOOST_TEST(v.slo.hours_end == end);
  BOOST_TEST_REQUIRE(v.slo.hours != nullptr);
  const auto& hours = *v.slo.hours;
  // Published: the final ones of the last 192 hours.
  BOOST_TEST_REQUIRE(hours.size() == static_cast<std::size_t>(lle::window::kKeptHours));
  BOOST_TEST(hours.front().index == end - lle::window::kKeptHours);
  for (const auto& h : hours) {
    BOOST_TEST_REQUIRE(expected.contains(h.index));
    const auto& e = expected.at(h.index);
    BOOST_TEST(h.total() == e.total);
    for (std::size_t t = 0; t < ms.size(); ++t) BOOST_TEST(h.slow(t) == e.slow[t]);
    BOOST_TEST(h.index < end);
  }
  BOOST_TEST(hours.back().index == end - 1);
  const std::size_t at_300 = 2;
  BOOST_TEST_REQUIRE(ms[at_300] == 300.0);
  for (std::size_t w = 0; w < lle::window::kBurnWindows.size(); ++w) {
    std::uint64_t total = 0, slow = 0;
    for (std::int64_t h = end - lle::window::kBurnWindows[w].hours; h < end; ++h) {
      total += expected.at(h).total;
      slow += expected.at(h).slow[at_300];
    }
    const double want = static_cast<double>(slow) / static_cast<double>(total) / 0.01;
    BOOST_TEST(v.slo.burn_rates[w] == want, boost::test_tools::tolerance(1e-12));
  }
  // The same hours are published again until another one becomes final.
  BOOST_TEST(slo.view(now).slo.hours == v.slo.hours);

  lle::core::Writer out;
  slo.save(out);
  const auto load = [&](const lle::window::Options& with) {
    return reloaded(out.bytes(), with, "svc").view(now);
  };
  const auto same = load(o);
  BOOST_TEST_REQUIRE(same.slo.hours != nullptr);
  BOOST_TEST_REQUIRE(same.slo.hours->size() == hours.size());
  for (std::size_t i = 0; i < hours.size(); ++i) {
    BOOST_TEST((*same.slo.hours)[i].above == hours[i].above, boost::test_tools::per_element());
  }
  BOOST_TEST(same.slo.burn_rates == v.slo.burn_rates, boost::test_tools::per_element());
  // Fewer thresholds: their columns move; a new one: no hour could say its count.
  auto fewer = o;
  fewer.slow = lle::window::SlowThresholds::of({300, 1000});
  const auto moved = load(fewer);
  BOOST_TEST_REQUIRE(moved.slo.hours->size() == hours.size());
  BOOST_TEST(moved.slo.hours->back().total() == hours.back().total());
  BOOST_TEST(moved.slo.hours->back().slow(0) == hours.back().slow(at_300));
  BOOST_TEST(moved.slo.hours->back().slow(1) == hours.back().slow(4));
  auto more = o;
  more.slow = lle::window::SlowThresholds::of({100, 250, 300, 500, 750, 1000});
  const auto none = load(more).slo.hours;
  BOOST_TEST((!none || none->empty()));
}

BOOST_AUTO_TEST_CASE(memory_of_a_full_seven_day_state_is_measured) {
  std::mt19937 rng(5);
  std::lognormal_distribution<double> lat(std::log(0.08), 0.5);
  for (int i = 0; i < 7 * 24 * 60 * 2; ++i) {  // two lines a minute for 7 days
    const std::int64_t now = clock.now_ns();
    BOOST_TEST_REQUIRE(!w.add(now, lat(rng), 200, now).has_value());
    clock.advance(30 * lle::core::kNanosPerSecond);
  }
  const auto v = w.view(clock.now_ns());
  BOOST_TEST(v.memory_bytes > 0u);
  BOOST_TEST_MESSAGE("7-day state, 2 lines/min lognormal: " << v.memory_bytes << " bytes");
  BOOST_TEST(v.memory_bytes <= 128u * 1024u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(window_store)

BOOST_AUTO_TEST_CASE(snapshot_reflects_adds_and_rejects_per_service_and_unknown) {
  lle::window::Store store({{"a", "A", "t", "1", {"x"}}, {"b", "B", "t", "1", {"y"}}}, {});
  store.add(0, kT0, 0.1, 200, kT0);
  store.add(1, kT0, 0.2, 500, kT0);
  store.reject(1, RejectReason::kInvalidLatency);
  store.reject(-1, RejectReason::kUnknownService);
  auto s = store.snapshot(kT0);
  BOOST_TEST(s.views[0].accepted_total == 1u);
  BOOST_TEST(s.views[1].accepted_by_status[5] == 1u);
  BOOST_TEST(s.views[1].rejects[static_cast<std::size_t>(RejectReason::kInvalidLatency)] == 1u);
  BOOST_TEST(s.unknown_rejects[static_cast<std::size_t>(RejectReason::kUnknownService)] == 1u);
  // A time gate rejected by a window is counted for its service.
  BOOST_TEST((store.add(0, kT0 - 10 * kMin, 0.1, 200, kT0) == RejectReason::kTooLate));
  s = store.snapshot(kT0);
  BOOST_TEST(s.views[0].rejects[static_cast<std::size_t>(RejectReason::kTooLate)] == 1u);
  // Later snapshots see time pass even without new lines.
  s = store.snapshot(kT0 + 10 * kMin);
  BOOST_TEST(s.views[0].last_5m.count == 0u);
}

// A team's windows hold all its services' lines: the same as one window fed with
// every line of the team, at every snapshot, also when only one of its services
// changed since the last (the others' views are not recomputed then).
BOOST_AUTO_TEST_CASE(a_team_is_the_exact_merge_of_its_services) {
  lle::window::Store store(
      {{"s0", "S0", "a", "1", {"x"}}, {"s1", "S1", "b", "1", {"y"}}, {"s2", "S2", "a", "1", {"x"}}},
      {});
  // The same lines, published only once at the end (a fast replay does that).
  lle::window::Store rare(
      {{"s0", "S0", "a", "1", {"x"}}, {"s1", "S1", "b", "1", {"y"}}, {"s2", "S2", "a", "1", {"x"}}},
      {});
  lle::window::Options options;
  std::vector<ServiceWindow> team;  // by team: a, b
  team.emplace_back(options);
  team.emplace_back(options);
  std::mt19937_64 rng(17);
  const double median[] = {0.05, 0.2, 0.8};
  std::int64_t now = kT0;
  bool checked_partial = false;
  for (int step = 0; step < 3 * 60 * 4; ++step, now += 15 * lle::core::kNanosPerSecond) {
    // Every fourth step only s0 has lines: its team changes, s2's view stays as it was.
    for (std::size_t svc = 0; svc < 3; ++svc) {
      if (step % 4 == 3 && svc != 0) continue;
      std::lognormal_distribution<double> lat(std::log(median[svc]), 0.5);
      const double v = lat(rng);
      store.add(svc, now, v, 200, now);
      rare.add(svc, now, v, 200, now);
      team[svc == 1 ? 1 : 0].add(now, v, 200, now);
    }
    if (step % 7 != 0 && step % 4 != 3) continue;
    const auto snap = store.snapshot(now);
    BOOST_TEST_REQUIRE(snap.teams.size() == 2u);
    BOOST_TEST(snap.teams[0].team == "a");
    BOOST_TEST(snap.teams[0].services == 2u);
    checked_partial = checked_partial || step % 4 == 3;
    for (std::size_t t = 0; t < 2; ++t) {
      const auto want = team[t].view(now);
      const auto& got = snap.teams[t];
      const std::pair<const lle::window::WindowStats*, const lle::window::WindowStats*> pairs[] = {
          {&got.last_5m, &want.last_5m},
          {&got.last_1h, &want.last_1h},
          {&got.baseline, &want.baseline}};
      for (const auto& [g, w] : pairs) {
        BOOST_TEST(g->count == w->count, "step " << step);
        BOOST_TEST(g->sum_seconds == w->sum_seconds, boost::test_tools::tolerance(1e-9));
        if (w->count == 0) {  // no quantiles of nothing
          BOOST_TEST((std::isnan(g->p50) && std::isnan(g->p95) && std::isnan(g->p99)));
          continue;
        }
        BOOST_TEST(g->p50 == w->p50);
        BOOST_TEST(g->p95 == w->p95);
        BOOST_TEST(g->p99 == w->p99);
      }
    }
  }
  BOOST_TEST(checked_partial);
  // Not an average of its services' P95s: s2's tail dominates team a's.
  const auto snap = store.snapshot(now);
  const double mean_p95 = (snap.views[0].baseline.p95 + snap.views[2].baseline.p95) / 2;
  BOOST_TEST(snap.teams[0].baseline.p95 > 1.2 * mean_p95);

  // Each team's trend: per 5-minute bucket, the P95 of all its services' lines;
  // then with the open minutes closed, and after a save and restore.
  const auto same_trends = [&](const lle::window::Snapshot& s, const char* when) {
    BOOST_TEST_REQUIRE(s.team_trends.size() == 2u);
    for (std::size_t t = 0; t < 2; ++t) {
      team[t].view(s.at_ns);
      const auto want = team[t].trend();
      const auto got = s.team_trends[t]->points();
      BOOST_TEST_REQUIRE(got.size() == want.size(), when << ", team " << t);
      BOOST_TEST(want.size() >= 30u);
      for (std::size_t k = 0; k < want.size(); ++k) {
        BOOST_TEST(got[k].bucket_start_ns == want[k].bucket_start_ns, when << " point " << k);
        BOOST_TEST(got[k].p95 == want[k].p95, when << " point " << k);
      }
    }
  };
  same_trends(snap, "live");
  same_trends(rare.snapshot(now), "published once");
  store.close_open_minutes();
  for (auto& w : team) w.close_open_minutes();
  same_trends(store.snapshot(now), "closed");
  lle::core::Writer windows, trends;
  store.save(windows);
  store.save_team_trends(trends);
  lle::window::Store again(
      {{"s0", "S0", "a", "1", {"x"}}, {"s1", "S1", "b", "1", {"y"}}, {"s2", "S2", "a", "1", {"x"}}},
      {});
  lle::core::Reader wr(windows.bytes()), tr(trends.bytes());
  std::size_t restored = 0;
  BOOST_TEST_REQUIRE(
      again.restore(wr, lle::sketch::LatencySketch::Encoding::kBlockRice, &restored, &tr));
  same_trends(again.snapshot(now), "restored");
}

// A team's 7-day window sums its services' completed hours apart, when those change:
// it must still equal one window fed every line of the team as hours join the 7 days
// and leave them, and after a restore.
BOOST_AUTO_TEST_CASE(a_teams_baseline_follows_its_services_hours_in_and_out_of_seven_days) {
  const std::vector<lle::core::ServiceInfo> services = {{"s0", "S0", "a", "1", {"x"}},
                                                        {"s1", "S1", "a", "1", {"y"}}};
  auto store = std::make_unique<lle::window::Store>(services, lle::window::Options{});
  ServiceWindow team{lle::window::Options{}};
  std::mt19937_64 rng(23);
  std::lognormal_distribution<double> lat(std::log(0.1), 0.7);
  std::int64_t now = kT0;
  int compared = 0;
  // 10 days, a line for one service or the other every 10 minutes, s1 silent on days
  // 3 to 5 (its hours leave the 7 days while s0's stay).
  for (int step = 0; step < 10 * 24 * 6; ++step, now += 10 * kNanosPerMinute) {
    const std::size_t svc = (step % 3 == 0 && (step < 3 * 144 || step >= 5 * 144)) ? 1 : 0;
    const double v = lat(rng);
    store->add(svc, now, v, 200, now);
    team.add(now, v, 200, now);
    if (step == 6 * 144) {  // restart on day 6
      lle::core::Writer out;
      store->save(out);
      auto again = std::make_unique<lle::window::Store>(services, lle::window::Options{});
      lle::core::Reader in(out.bytes());
      std::size_t restored = 0;
      BOOST_TEST_REQUIRE(
          again->restore(in, lle::sketch::LatencySketch::Encoding::kBlockRice, &restored));
      store = std::move(again);
    }
    if (step % 31 != 0) continue;
    const auto want = team.view(now).baseline;
    const auto got = store->snapshot(now).teams[0].baseline;
    BOOST_TEST(got.count == want.count, "step " << step);
    if (want.count == 0) continue;  // no quantiles of nothing (the first lines' minute)
    BOOST_TEST(got.p95 == want.p95, "step " << step);
    BOOST_TEST(got.p99 == want.p99, "step " << step);
    ++compared;
  }
  BOOST_TEST(compared > 40);
}

BOOST_AUTO_TEST_SUITE_END()
