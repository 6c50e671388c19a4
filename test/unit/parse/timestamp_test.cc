#include "exporter/parse/timestamp.h"

#include <boost/test/unit_test.hpp>
#include <limits>

#include "exporter/core/clock.h"

using lle::parse::parse_timestamp_ns;

BOOST_AUTO_TEST_SUITE(parse_timestamp)

BOOST_AUTO_TEST_CASE(nanosecond_strings_and_rfc3339_agree) {
  const std::int64_t ns = 1763625600123456789;  // 2025-11-20T08:00:00.123456789Z
  BOOST_TEST(*parse_timestamp_ns("1763625600123456789") == ns);
  BOOST_TEST(*parse_timestamp_ns("2025-11-20T08:00:00.123456789Z") == ns);
  BOOST_TEST(*parse_timestamp_ns("2025-11-20T10:00:00.123456789+02:00") == ns);
  BOOST_TEST(*parse_timestamp_ns("2025-11-20T08:00:00Z") == ns - 123456789);
  BOOST_TEST(*parse_timestamp_ns("2025-11-20T08:00:00.5Z") == ns - 123456789 + 500000000);
}

BOOST_AUTO_TEST_CASE(format_round_trips) {
  for (std::int64_t ns : {0LL, 1763625600123456789LL, 951782400000000001LL /* 2000-02-29 */}) {
    BOOST_TEST(*parse_timestamp_ns(lle::core::format_timestamp(ns)) == ns);
  }
  BOOST_TEST(lle::core::format_timestamp(0) == "1970-01-01T00:00:00.000000000Z");
}

BOOST_AUTO_TEST_CASE(garbage_is_refused) {
  for (const char* bad :
       {"", "yesterday", "2025-11-20", "2025-13-01T00:00:00Z", "2025-11-20T08:00:00",
        "2025-11-20T08:00:00.Z", "12a4", "99999999999999999999999"}) {
    BOOST_TEST(!parse_timestamp_ns(bad).has_value(), bad);
  }
}

BOOST_AUTO_TEST_CASE(dates_not_in_the_calendar_are_refused) {
  for (const char* bad :
       {"2026-02-31T00:00:00Z", "2024-02-30T00:00:00Z", "2025-02-29T00:00:00Z",
        "2025-04-31T00:00:00Z", "2025-11-20T08:00:00+24:00", "2025-11-20T08:00:00+02:60"}) {
    BOOST_TEST(!parse_timestamp_ns(bad).has_value(), bad);
  }
  BOOST_TEST(parse_timestamp_ns("2024-02-29T00:00:00Z").has_value());  // a leap day
}

// Instants int64 nanoseconds cannot hold saturate instead of wrapping, so the
// gates see them as the far future (or past) they are. UBSan checks the rest.
BOOST_AUTO_TEST_CASE(instants_beyond_int64_nanoseconds_saturate) {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  BOOST_TEST(*parse_timestamp_ns("2611-06-22T21:31:32.709551616Z") == kMax);  // wrapped to 2026
  BOOST_TEST(*parse_timestamp_ns("9999-12-31T23:59:59.999999999Z") == kMax);
  BOOST_TEST(*parse_timestamp_ns("2262-04-11T23:47:16.854775808Z") == kMax);  // max + 1 ns
  BOOST_TEST(*parse_timestamp_ns("2262-04-11T23:47:16.854775807Z") == kMax);  // max itself
  BOOST_TEST(*parse_timestamp_ns("2262-04-11T23:47:16.854775806Z") == kMax - 1);
  BOOST_TEST(*parse_timestamp_ns("0000-01-01T00:00:00Z") == kMin);
  BOOST_TEST(*parse_timestamp_ns("1677-09-21T00:12:43.145224192Z") == kMin);
  BOOST_TEST(*parse_timestamp_ns("1677-09-21T00:12:43.145224193Z") == kMin + 1);
  BOOST_TEST(lle::core::format_timestamp(kMax) == "2262-04-11T23:47:16.854775807Z");
  BOOST_TEST(lle::core::format_timestamp(kMin) == "1677-09-21T00:12:43.145224192Z");
}

BOOST_AUTO_TEST_SUITE_END()
