#include "exporter/parse/digits.h"

#include <bit>
#include <boost/test/unit_test.hpp>
#include <charconv>
#include <random>
#include <string>

using lle::parse::detail::parse_digits;
using lle::parse::detail::parse_short_decimal;

BOOST_AUTO_TEST_SUITE(parse_digits_fast_paths)

BOOST_AUTO_TEST_CASE(digit_strings_agree_with_from_chars) {
  std::mt19937_64 rng(21);
  const std::string alphabet = "0123456789/:a ";
  for (int round = 0; round < 200000; ++round) {
    const std::size_t len = 1 + rng() % 19;
    std::string s;
    for (std::size_t i = 0; i < len; ++i) {
      s +=
          rng() % 16 == 0 ? alphabet[rng() % alphabet.size()] : static_cast<char>('0' + rng() % 10);
    }
    std::uint64_t want;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), want);
    const bool valid = ec == std::errc() && p == s.data() + s.size();
    const auto got = parse_digits(s);
    BOOST_TEST_REQUIRE(got.has_value() == valid, s);
    if (valid) BOOST_TEST_REQUIRE(*got == want, s);
  }
  BOOST_TEST(!parse_digits("").has_value());
  BOOST_TEST(!parse_digits("12345678901234567890").has_value());  // 20 digits
  BOOST_TEST(*parse_digits("9999999999999999999") == 9999999999999999999ULL);
}

BOOST_AUTO_TEST_CASE(short_decimals_are_bit_identical_to_from_chars) {
  std::mt19937_64 rng(22);
  for (int round = 0; round < 200000; ++round) {
    std::string s = rng() % 8 == 0 ? "-" : "";
    const int int_digits = static_cast<int>(rng() % 8);
    const int frac_digits = static_cast<int>(rng() % 9);
    for (int i = 0; i < int_digits; ++i) s += static_cast<char>('0' + rng() % 10);
    if (frac_digits > 0 || rng() % 4 == 0) s += '.';
    for (int i = 0; i < frac_digits; ++i) s += static_cast<char>('0' + rng() % 10);
    double want;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), want);
    const auto got = parse_short_decimal(s);
    if (got) {  // the fast path may decline, but what it answers must be exact
      BOOST_TEST_REQUIRE((ec == std::errc() && p == s.data() + s.size()), s);
      BOOST_TEST_REQUIRE(std::bit_cast<std::uint64_t>(*got) == std::bit_cast<std::uint64_t>(want),
                         s);
    }
  }
  BOOST_TEST(*parse_short_decimal("81.691") == 81.691);
  BOOST_TEST(!parse_short_decimal("1e3").has_value());
  BOOST_TEST(!parse_short_decimal("1234567890.1234567").has_value());  // 17 digits
  BOOST_TEST(!parse_short_decimal("NaN").has_value());
  BOOST_TEST(!parse_short_decimal("1.").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
