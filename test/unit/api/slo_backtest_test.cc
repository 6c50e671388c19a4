#include "exporter/api/slo_backtest.h"

#include <boost/test/unit_test.hpp>

#include "exporter/core/clock.h"

namespace {
constexpr std::int64_t kHour = 60 * lle::core::kNanosPerMinute;
constexpr std::int64_t kH0 = 490'000;  // an hour index (2025-11-23)

// n hours of `total` lines, `slow` of them slow.
std::vector<std::pair<std::uint64_t, std::uint64_t>> repeat(int n, std::uint64_t total,
                                                            std::uint64_t slow) {
  return std::vector<std::pair<std::uint64_t, std::uint64_t>>(static_cast<std::size_t>(n),
                                                              {total, slow});
}
// Hours from kH0 on, each {lines, slow lines at column 0}; lines 0: no hour kept.
lle::window::SloHours hours(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& list) {
  lle::window::SloHours out;
  for (std::size_t i = 0; i < list.size(); ++i)
    if (list[i].first > 0)
      out.push_back(
          {kH0 + static_cast<std::int64_t>(i), {list[i].first - list[i].second, list[i].second}});
  return out;
}
std::vector<std::pair<std::uint64_t, std::uint64_t>> operator+(
    std::vector<std::pair<std::uint64_t, std::uint64_t>> a,
    const std::vector<std::pair<std::uint64_t, std::uint64_t>>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// 99% over 30 days: pages at 14.4x (1h) and 6x (6h), tickets at 3x (1d) and 1x (3d).
const lle::api::SloQuestion k99{0, 0.99, 30 * lle::core::kNanosPerDay, 100};

lle::api::SloBacktest run(const lle::window::SloHours& h, const lle::api::SloQuestion& q = k99) {
  return lle::api::slo_backtest(h, h.empty() ? 0 : h.back().index + 1, q);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(api_slo_backtest)

// Two hours at 20% slow (a 20x burn) after two clean days: a page from the end of
// the first of them to the end of the first clean hour after; no ticket (the day's
// burn is 1.7x, the 3 days' 0.8x).
BOOST_AUTO_TEST_CASE(a_fast_burn_pages_and_ends_with_the_first_clean_hour) {
  const auto h = hours(repeat(48, 1000, 0) + repeat(2, 1000, 200) + repeat(10, 1000, 0));
  const auto b = run(h);
  BOOST_TEST_REQUIRE(b.pages.size() == 1u);
  BOOST_TEST(b.pages[0].start_ns == (kH0 + 49) * kHour);
  BOOST_TEST(b.pages[0].end_ns == (kH0 + 51) * kHour);
  BOOST_TEST(b.pages[0].peak_burn_rate == 20, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(b.tickets.empty());
  BOOST_TEST(b.total == 60'000u);
  BOOST_TEST(b.slow == 400u);
  BOOST_TEST(b.from_ns == kH0 * kHour);
  BOOST_TEST(b.to_ns == (kH0 + 60) * kHour);
}

// 2% slow for four days (a 2x burn): a ticket from the first hour on (the 3-day and
// 6-hour windows above 1x), still open at the end; never a page.
BOOST_AUTO_TEST_CASE(a_slow_burn_opens_a_ticket_and_does_not_page) {
  const auto b = run(hours(repeat(96, 1000, 20)));
  BOOST_TEST(b.pages.empty());
  BOOST_TEST_REQUIRE(b.tickets.size() == 1u);
  BOOST_TEST(b.tickets[0].start_ns == (kH0 + 1) * kHour);
  BOOST_TEST(b.tickets[0].end_ns == 0);  // still firing
  BOOST_TEST(b.tickets[0].peak_burn_rate == 2, boost::test_tools::tolerance(1e-9));
}

// Fewer lines than min_requests in every long window never alert, however slow; the
// same burn with enough lines does.
BOOST_AUTO_TEST_CASE(traffic_under_the_guard_never_alerts) {
  const auto few = run(hours(repeat(1, 99, 99)));
  BOOST_TEST(few.pages.empty());
  BOOST_TEST(few.tickets.empty());
  const auto enough = run(hours(repeat(1, 100, 100)));
  BOOST_TEST(enough.pages.size() == 1u);
  BOOST_TEST(enough.tickets.size() == 1u);
}

// Exactly at the objective (1% slow): a 1x burn is no burn above 1x, nothing fires.
// A shorter period scales the factors: a 7-day SLO pages at 3.36x (1h) and 1.4x (6h).
BOOST_AUTO_TEST_CASE(an_slo_met_exactly_at_the_objective_does_not_alert) {
  const auto at = run(hours(repeat(100, 1000, 10)));
  BOOST_TEST(at.pages.empty());
  BOOST_TEST(at.tickets.empty());
  // 5% slow for 3 hours: 5x. Pages a 7-day SLO (1h above 3.36x), not a 30-day one.
  const auto h = hours(repeat(24, 1000, 0) + repeat(3, 1000, 50) + repeat(3, 1000, 0));
  BOOST_TEST(run(h).pages.empty());
  auto week = k99;
  week.period_ns = 7 * lle::core::kNanosPerDay;
  const auto b = run(h, week);
  BOOST_TEST_REQUIRE(b.pages.size() == 1u);
  BOOST_TEST(b.pages[0].start_ns == (kH0 + 25) * kHour);
}

// Hours without lines are gaps: a burn before a quiet day still ends; the 3-day
// window forgets it 72 hours after the last line.
BOOST_AUTO_TEST_CASE(gaps_are_hours_without_lines) {
  const auto h = hours({{1000, 500}, {0, 0}, {0, 0}, {1000, 0}});
  const auto b = lle::api::slo_backtest(h, kH0 + 1000, k99);
  BOOST_TEST_REQUIRE(b.pages.size() == 1u);
  BOOST_TEST(b.pages[0].start_ns == (kH0 + 1) * kHour);
  BOOST_TEST(b.pages[0].end_ns == (kH0 + 2) * kHour);  // 1h window empty: no burn
  BOOST_TEST(b.to_ns == (kH0 + 3 + 73) * kHour);
  BOOST_TEST_REQUIRE(b.tickets.size() == 1u);
  BOOST_TEST(b.tickets[0].end_ns != 0);
  BOOST_TEST(run({}).pages.empty());
}

BOOST_AUTO_TEST_SUITE_END()
