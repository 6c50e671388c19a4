#include "exporter/loki/ledger.h"

#include <boost/test/unit_test.hpp>
#include <limits>
#include <random>
#include <unordered_set>

using lle::loki::Ledger;

namespace {
constexpr std::int64_t kS = 1'000'000'000;
constexpr std::int64_t kT0 = 1'800'000'000 * kS;  // a minute boundary
const Ledger::Timing kTiming{60 * kS, 30 * kS, 300 * kS};
constexpr std::int64_t kLive = std::numeric_limits<std::int64_t>::max();  // a tail reads live
}  // namespace

BOOST_AUTO_TEST_SUITE(loki_ledger)

BOOST_AUTO_TEST_CASE(identity_ignores_label_order_and_listed_labels_but_nothing_else) {
  using lle::core::Label;
  const Label ab[] = {{"a", "1"}, {"b", "2"}}, ba[] = {{"b", "2"}, {"a", "1"}};
  const Label ab_meta[] = {{"b", "2"}, {"detected_level", "info"}, {"a", "1"}};
  const Label ac[] = {{"a", "1"}, {"b", "3"}};
  const std::vector<std::string> ignore = {"detected_level"};
  const auto id = [&](std::span<const Label> l, std::int64_t ts, std::string_view line) {
    return lle::loki::identity({l, ts, line}, ignore);
  };
  BOOST_TEST(id(ab, 5, "x") == id(ba, 5, "x"));
  BOOST_TEST(id(ab, 5, "x") == id(ab_meta, 5, "x"));
  BOOST_TEST(id(ab, 5, "x") != id(ac, 5, "x"));
  BOOST_TEST(id(ab, 5, "x") != id(ab, 6, "x"));
  BOOST_TEST(id(ab, 5, "x") != id(ab, 5, "y"));
}

BOOST_AUTO_TEST_CASE(identity_set_agrees_with_an_oracle) {
  std::mt19937_64 rng(3);
  lle::loki::IdentitySet set;
  std::unordered_set<std::uint64_t> oracle;
  for (int i = 0; i < 200'000; ++i) {
    const std::uint64_t v = rng() % 50'000;  // many repeats, and 0
    BOOST_TEST_REQUIRE(set.insert(v) == oracle.insert(v == 0 ? 1 : v).second);
  }
  BOOST_TEST(set.size() == oracle.size());
}

BOOST_AUTO_TEST_CASE(admits_each_identity_once_and_counts_per_minute) {
  Ledger l(kT0 + 10 * kS, kTiming);
  BOOST_TEST((l.admit(kT0 + 11 * kS, 7) == Ledger::Admit::kNew));
  BOOST_TEST((l.admit(kT0 + 11 * kS, 7) == Ledger::Admit::kDuplicate));
  BOOST_TEST((l.admit(kT0 + 61 * kS, 7) == Ledger::Admit::kNew));  // another minute
  BOOST_TEST((l.admit(kT0 - kS, 8) == Ledger::Admit::kTooOld));    // before the start
  BOOST_TEST(l.received(kT0) == 1u);
  BOOST_TEST(l.received(kT0 + 60 * kS) == 1u);
}

BOOST_AUTO_TEST_CASE(every_minute_is_checked_after_settle_then_finally_then_forgotten) {
  Ledger l(kT0, kTiming);
  l.advance(kT0 + 150 * kS);  // minutes 0, 1 and 2, even without lines
  BOOST_TEST(l.tracked_minutes() == 3u);
  BOOST_TEST(l.due(kT0 + 89 * kS, kLive).empty());
  BOOST_TEST((l.due(kT0 + 90 * kS, kLive) == std::vector<std::int64_t>{kT0}));
  BOOST_TEST(!l.checked(kT0, kT0 + 90 * kS));  // the first of two checks
  BOOST_TEST(l.due(kT0 + 91 * kS, kLive).empty());
  BOOST_TEST((l.due(kT0 + 360 * kS, kLive).size() == 3u));
  BOOST_TEST(l.checked(kT0, kT0 + 360 * kS));  // the last one
  BOOST_TEST((l.admit(kT0 + kS, 9) == Ledger::Admit::kTooOld));
  BOOST_TEST(l.tracked_minutes() == 2u);
}

BOOST_AUTO_TEST_CASE(reported_drops_bring_the_first_check_forward_without_skipping_it) {
  Ledger l(kT0, kTiming);
  l.advance(kT0 + 61 * kS);
  l.suspect(kT0 + 5 * kS);
  BOOST_TEST((l.due(kT0 + 60 * kS, kLive) == std::vector<std::int64_t>{kT0}));
  BOOST_TEST(!l.checked(kT0, kT0 + 60 * kS));
  BOOST_TEST(l.due(kT0 + 89 * kS, kLive).empty());
  BOOST_TEST((l.due(kT0 + 90 * kS, kLive) == std::vector<std::int64_t>{kT0}));
}

BOOST_AUTO_TEST_CASE(a_minute_is_not_checked_before_the_readers_have_read_past_it) {
  Ledger l(kT0, kTiming);
  l.advance(kT0 + 150 * kS);
  // A poller 40 s behind: minute 0 ends at 60 s, read only at 100 s.
  BOOST_TEST(l.due(kT0 + 90 * kS, kT0 + 50 * kS).empty());
  BOOST_TEST(l.due(kT0 + 99 * kS, kT0 + 59 * kS).empty());
  BOOST_TEST((l.due(kT0 + 100 * kS, kT0 + 60 * kS) == std::vector<std::int64_t>{kT0}));
  BOOST_TEST(
      (l.due(kT0 + 400 * kS, kT0 + 130 * kS) == std::vector<std::int64_t>{kT0, kT0 + 60 * kS}));
}

BOOST_AUTO_TEST_CASE(joined_ledgers_keep_every_identity_from_the_later_floor_and_recount) {
  // Two shards' ledgers: a tracks minutes 0..2, b (whose minute 0 is done) 1..2.
  Ledger a(kT0, kTiming), b(kT0 + 60 * kS, kTiming);
  a.advance(kT0 + 150 * kS);
  b.advance(kT0 + 150 * kS);
  BOOST_TEST((a.admit(kT0 + kS, 1) == Ledger::Admit::kNew));
  BOOST_TEST((a.admit(kT0 + 61 * kS, 2) == Ledger::Admit::kNew));
  BOOST_TEST((b.admit(kT0 + 62 * kS, 3) == Ledger::Admit::kNew));
  BOOST_TEST((b.admit(kT0 + 121 * kS, 4) == Ledger::Admit::kNew));
  a.join(b);
  BOOST_TEST(a.floor_ns() == kT0 + 60 * kS);
  BOOST_TEST(a.tracked_minutes() == 2u);
  // What either counted is a duplicate; minute 0 is b's no longer: too old.
  BOOST_TEST((a.admit(kT0 + 61 * kS, 2) == Ledger::Admit::kDuplicate));
  BOOST_TEST((a.admit(kT0 + 62 * kS, 3) == Ledger::Admit::kDuplicate));
  BOOST_TEST((a.admit(kT0 + 121 * kS, 4) == Ledger::Admit::kDuplicate));
  BOOST_TEST((a.admit(kT0 + kS, 1) == Ledger::Admit::kTooOld));
  // The counts were of other selectors: every minute is recounted at its check,
  // and a line new since counts on top of what the recount found.
  BOOST_TEST(a.recounting(kT0 + 60 * kS));
  BOOST_TEST(a.received(kT0 + 60 * kS) == 0u);
  BOOST_TEST((a.admit(kT0 + 63 * kS, 5) == Ledger::Admit::kNew));
  a.recounted(kT0 + 60 * kS, 7);
  BOOST_TEST(!a.recounting(kT0 + 60 * kS));
  BOOST_TEST(a.received(kT0 + 60 * kS) == 7u);
  BOOST_TEST(a.recounting(kT0 + 120 * kS));
  // The first check comes again, after the settle, and the marks survive a save.
  BOOST_TEST((a.due(kT0 + 150 * kS, kLive) == std::vector<std::int64_t>{kT0 + 60 * kS}));
  lle::core::Writer w;
  a.save(w);
  Ledger c(kT0, kTiming);
  lle::core::Reader r(w.bytes());
  BOOST_TEST_REQUIRE(c.load(r));
  BOOST_TEST(!c.recounting(kT0 + 60 * kS));
  BOOST_TEST(c.recounting(kT0 + 120 * kS));
}

BOOST_AUTO_TEST_SUITE_END()
