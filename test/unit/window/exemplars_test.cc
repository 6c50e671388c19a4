#include "exporter/window/exemplars.h"

#include <boost/test/unit_test.hpp>
#include <cmath>

#include "exporter/window/store.h"

using lle::window::Exemplar;
using lle::window::Exemplars;

namespace {
constexpr std::int64_t kSecond = lle::core::kNanosPerSecond;
constexpr std::int64_t kT0 = 1'763'625'600LL * kSecond;

Exemplar line(std::string id, double seconds, std::int64_t ts_ns) {
  return {std::move(id), R"({app="checkout"})", seconds, ts_ns};
}
}  // namespace

BOOST_AUTO_TEST_SUITE(window_exemplars)

BOOST_AUTO_TEST_CASE(slots_are_the_native_schema_0_buckets_upper_bound_inclusive) {
  // (2^(k-1), 2^k]: 1 s is the last of (0.5, 1], the next value up the first of (1, 2].
  BOOST_TEST(Exemplars::slot(1.0) == Exemplars::slot(0.75));
  BOOST_TEST(Exemplars::slot(std::nextafter(1.0, 2.0)) == Exemplars::slot(1.0) + 1);
  BOOST_TEST(Exemplars::slot(0.5) == Exemplars::slot(1.0) - 1);
  BOOST_TEST(Exemplars::slot(2.0) == Exemplars::slot(1.0) + 1);
  // The edges of the sketch's range (0.1 ms-100 s) and beyond stay inside.
  BOOST_TEST(Exemplars::slot(0.0001) == 0);
  BOOST_TEST(Exemplars::slot(0) == 0);
  BOOST_TEST(Exemplars::slot(1e-9) == 0);
  BOOST_TEST(Exemplars::slot(100) == Exemplars::kSlots - 1);
  BOOST_TEST(Exemplars::slot(1e9) == Exemplars::kSlots - 1);
  BOOST_TEST(Exemplars::slot(std::nan("")) == 0);
}

BOOST_AUTO_TEST_CASE(each_slot_keeps_its_newest_line_refreshed_at_most_every_10s) {
  Exemplars e;
  BOOST_TEST(e.wants(0.3, kT0));
  e.put(line("a", 0.3, kT0));
  BOOST_TEST(!e.wants(0.3, kT0 + 9 * kSecond));   // the same slot, too soon
  BOOST_TEST(e.wants(0.3, kT0 + 10 * kSecond));   // the same slot, due
  BOOST_TEST(e.wants(0.6, kT0 + 1));              // another slot
  BOOST_TEST(!e.wants(0.3, kT0 - 20 * kSecond));  // an older line
  e.put(line("old", 0.3, kT0 - 1));               // never replaces a newer one
  e.put(line("b", 0.6, kT0 + kSecond));
  e.put(line("c", 0.26, kT0 + 11 * kSecond));  // replaces "a": (0.25, 0.5]
  BOOST_TEST(e.changed());
  lle::window::ExemplarLists lists;
  e.publish(lists);
  BOOST_TEST(!e.changed());
  const auto& list = lists.newest;
  BOOST_TEST_REQUIRE(list->size() == 2u);
  BOOST_TEST((*list)[0].id == "b");  // oldest first
  BOOST_TEST((*list)[1].id == "c");
  BOOST_TEST((*list)[1].seconds == 0.26);
  BOOST_TEST((*list)[1].stream == R"({app="checkout"})");
}

BOOST_AUTO_TEST_CASE(the_slowest_line_of_each_hour_is_kept_for_7_days) {
  constexpr std::int64_t kHour = lle::core::kNanosPerHour;
  Exemplars e;
  const auto put_if_wanted = [&](const std::string& id, double s, std::int64_t ts) {
    if (e.wants(s, ts)) e.put(line(id, s, ts));
  };
  // Hour 0: a slow line, then many faster ones (their slots stay due every 10 s),
  // then a slower one 1 s after a line of its slot: it is taken all the same.
  put_if_wanted("h0-slow", 0.9, kT0);
  for (int i = 1; i < 600; ++i) put_if_wanted("h0-" + std::to_string(i), 0.1, kT0 + i * kSecond);
  put_if_wanted("h0-a", 1.2, kT0 + 700 * kSecond);
  BOOST_TEST(e.wants(1.3, kT0 + 701 * kSecond));  // slower still: wanted
  put_if_wanted("h0-slowest", 1.3, kT0 + 701 * kSecond);
  BOOST_TEST(!e.wants(1.25, kT0 + 702 * kSecond));  // due in 10 s, and not the slowest
  // Hour 1: one line; then 8 days on, one line: hour 0 and 1 leave the 7 days.
  put_if_wanted("h1", 0.05, kT0 + kHour + kSecond);
  lle::window::ExemplarLists lists;
  e.publish(lists);
  BOOST_TEST_REQUIRE(lists.slowest_by_hour->size() == 2u);
  BOOST_TEST((*lists.slowest_by_hour)[0].id == "h0-slowest");
  BOOST_TEST((*lists.slowest_by_hour)[1].id == "h1");
  // A late line of hour 0, slower than its slowest: it replaces it.
  put_if_wanted("h0-late", 2.0, kT0 + 59 * lle::core::kNanosPerMinute);
  e.publish(lists);
  BOOST_TEST((*lists.slowest_by_hour)[0].id == "h0-late");
  put_if_wanted("h200", 0.05, kT0 + 200 * kHour);
  e.publish(lists);
  BOOST_TEST_REQUIRE(lists.slowest_by_hour->size() == 1u);
  BOOST_TEST(lists.slowest_by_hour->front().id == "h200");
}

BOOST_AUTO_TEST_CASE(only_short_visible_ascii_ids_without_quotes_are_usable) {
  BOOST_TEST(Exemplars::usable_id("4bf92f3577b34da6a3ce929d0e0e4736"));
  BOOST_TEST(Exemplars::usable_id("req-7:a/b"));
  BOOST_TEST(Exemplars::usable_id(std::string(Exemplars::kMaxIdBytes, 'a')));
  BOOST_TEST(!Exemplars::usable_id(std::string(Exemplars::kMaxIdBytes + 1, 'a')));
  BOOST_TEST(!Exemplars::usable_id(""));
  for (const char* bad : {"a b", "a\"b", "a\\b", "a\nb", "caf\xc3\xa9", "a\x7f"})
    BOOST_TEST(!Exemplars::usable_id(bad), bad);
}

BOOST_AUTO_TEST_CASE(snapshots_hold_each_services_list_and_none_before_the_first) {
  lle::window::Store store({{"a", "A", "t", "1", {}}, {"b", "B", "t", "1", {}}}, {});
  BOOST_TEST(store.snapshot(kT0).exemplars.empty());  // nothing configured costs nothing
  store.put_exemplar(1, line("x", 0.2, kT0));
  BOOST_TEST(!store.wants_exemplar(1, 0.2, kT0 + kSecond));
  BOOST_TEST(store.wants_exemplar(0, 0.2, kT0 + kSecond));
  const auto first = store.snapshot(kT0);
  BOOST_TEST_REQUIRE(first.exemplars.size() == 2u);
  BOOST_TEST(!first.exemplars[0].newest);
  BOOST_TEST_REQUIRE(first.exemplars[1].newest);
  BOOST_TEST(first.exemplars[1].newest->front().id == "x");
  BOOST_TEST(first.exemplars[1].slowest_by_hour->front().id == "x");
  // Unchanged: the same lists are shared by the next snapshot.
  const auto second = store.snapshot(kT0);
  BOOST_TEST(second.exemplars[1].newest == first.exemplars[1].newest);
  BOOST_TEST(second.exemplars[1].slowest_by_hour == first.exemplars[1].slowest_by_hour);
}

BOOST_AUTO_TEST_SUITE_END()
