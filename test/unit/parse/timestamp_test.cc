#include "exporter/parse/timestamp.h"

#include <boost/test/unit_test.hpp>

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
    BOOST_TEST(*parse_timestamp_ns(lle::parse::format_timestamp(ns)) == ns);
  }
  BOOST_TEST(lle::parse::format_timestamp(0) == "1970-01-01T00:00:00.000000000Z");
}

BOOST_AUTO_TEST_CASE(garbage_is_refused) {
  for (const char* bad :
       {"", "yesterday", "2025-11-20", "2025-13-01T00:00:00Z", "2025-11-20T08:00:00",
        "2025-11-20T08:00:00.Z", "12a4", "99999999999999999999999"}) {
    BOOST_TEST(!parse_timestamp_ns(bad).has_value(), bad);
  }
}

BOOST_AUTO_TEST_SUITE_END()
