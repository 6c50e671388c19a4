#include "exporter/core/printable.h"

#include <boost/test/unit_test.hpp>
#include <string>

using lle::core::printable;

BOOST_AUTO_TEST_SUITE(core_printable)

BOOST_AUTO_TEST_CASE(valid_utf8_text_is_kept) {
  for (const char* ok : {"", "checkout", "/api/services/a b/latency", "caf\xC3\xA9",
                         "\xE2\x82\xAC 5", "\xF0\x9F\x98\x80", "\xC2\xA0"}) {
    BOOST_TEST(printable(ok) == ok);
  }
}

BOOST_AUTO_TEST_CASE(control_bytes_and_broken_utf8_are_shown_as_hex) {
  using namespace std::string_literals;
  BOOST_TEST(printable("a\r\nb") == "a\\x0d\\x0ab");
  BOOST_TEST(printable("\x1b[31mred") == "\\x1b[31mred");
  BOOST_TEST(printable("cut\0here"s) == "cut\\x00here");
  BOOST_TEST(printable("\x7f") == "\\x7f");
  BOOST_TEST(printable("\xC2\x9B"
                       "2J") == "\\xc2\\x9b2J");                        // C1 CSI
  BOOST_TEST(printable("\xff\xfe") == "\\xff\\xfe");                    // %ff%fe
  BOOST_TEST(printable("\xC0\xAF") == "\\xc0\\xaf");                    // overlong '/'
  BOOST_TEST(printable("\xED\xA0\x80") == "\\xed\\xa0\\x80");           // a surrogate
  BOOST_TEST(printable("\xF4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
  BOOST_TEST(printable("\xE2\x82") == "\\xe2\\x82");                    // truncated
}

BOOST_AUTO_TEST_SUITE_END()
