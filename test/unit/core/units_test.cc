#include "exporter/core/units.h"

#include <boost/test/unit_test.hpp>

#include "exporter/core/clock.h"

using lle::core::parse_duration_seconds;

BOOST_AUTO_TEST_SUITE(core_units)

BOOST_AUTO_TEST_CASE(go_style_durations_parse_to_seconds) {
  BOOST_TEST(*parse_duration_seconds("123ms") == 0.123, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(*parse_duration_seconds("1.5s") == 1.5);
  BOOST_TEST(*parse_duration_seconds("850us") == 850e-6, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(*parse_duration_seconds("850\xC2\xB5s") == 850e-6,
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(*parse_duration_seconds("1h30m") == 5400);
  BOOST_TEST(*parse_duration_seconds("250ns") == 250e-9, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(*parse_duration_seconds("-2s") == -2);
}

BOOST_AUTO_TEST_CASE(non_durations_are_refused) {
  for (const char* bad : {"", "ms", "12", "12 ms", "12parsecs", "1.2.3s", "abc", ".s", "-"}) {
    BOOST_TEST(!parse_duration_seconds(bad).has_value(), bad);
  }
}

BOOST_AUTO_TEST_CASE(floor_div_rounds_towards_negative_infinity) {
  BOOST_TEST(lle::core::floor_div(7, 5) == 1);
  BOOST_TEST(lle::core::floor_div(-1, 5) == -1);
  BOOST_TEST(lle::core::floor_div(-5, 5) == -1);
  BOOST_TEST(lle::core::floor_div(0, 5) == 0);
}

BOOST_AUTO_TEST_CASE(floor_mod_is_the_slot_in_a_ring_also_below_zero) {
  BOOST_TEST(lle::core::floor_mod(7, 5) == 2);
  BOOST_TEST(lle::core::floor_mod(-1, 5) == 4);
  BOOST_TEST(lle::core::floor_mod(-5, 5) == 0);
  BOOST_TEST(lle::core::floor_mod(0, 5) == 0);
}

BOOST_AUTO_TEST_CASE(manual_clock_advance_to_never_goes_back) {
  lle::core::ManualClock c(100);
  c.advance_to(50);
  BOOST_TEST(c.now_ns() == 100);
  c.advance_to(150);
  BOOST_TEST(c.now_ns() == 150);
  c.advance(10);
  BOOST_TEST(c.now_ns() == 160);
}

BOOST_AUTO_TEST_CASE(thresholds_in_ms_read_as_seconds_without_binary_noise) {
  using lle::core::ms_as_seconds_text;
  BOOST_TEST(ms_as_seconds_text(300) == "0.3");
  BOOST_TEST(ms_as_seconds_text(123.4) == "0.1234");  // 123.4 / 1000 = 0.12340000000000001
  BOOST_TEST(ms_as_seconds_text(0.1) == "0.0001");
  BOOST_TEST(ms_as_seconds_text(1000) == "1");
  BOOST_TEST(ms_as_seconds_text(100000) == "100");
  BOOST_TEST(lle::core::shortest_text(123.4 / 1000) == "0.12340000000000001");
}

BOOST_AUTO_TEST_SUITE_END()
