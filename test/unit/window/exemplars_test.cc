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
  const auto list = e.list();
  BOOST_TEST(!e.changed());
  BOOST_TEST_REQUIRE(list->size() == 2u);
  BOOST_TEST((*list)[0].id == "b");  // oldest first
  BOOST_TEST((*list)[1].id == "c");
  BOOST_TEST((*list)[1].seconds == 0.26);
  BOOST_TEST((*list)[1].stream == R"({app="checkout"})");
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
  BOOST_TEST(!first.exemplars[0]);
  BOOST_TEST_REQUIRE(first.exemplars[1]);
  BOOST_TEST(first.exemplars[1]->front().id == "x");
  // Unchanged: the same list is shared by the next snapshot.
  BOOST_TEST(store.snapshot(kT0).exemplars[1] == first.exemplars[1]);
}

BOOST_AUTO_TEST_SUITE_END()
