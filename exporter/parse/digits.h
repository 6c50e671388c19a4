#pragma once
// Fast paths for the numbers every line carries: nanosecond timestamps (19
// digits) and short decimal latencies. Both give exactly what std::from_chars
// gives, or nullopt when the text is outside the fast path's form (callers then
// use the general parser). Internal to the parse module.

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace lle::parse::detail {

// Eight ASCII digits at p as a number, or false if any byte is not a digit.
inline bool parse_eight_digits(const char* p, std::uint64_t* out) {
  std::uint64_t chunk;
  std::memcpy(&chunk, p, 8);
  // Every byte in '0'..'9': high nibble 3, and adding 6 keeps it there.
  if (((chunk & 0xF0F0F0F0F0F0F0F0ULL) |
       (((chunk + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) >> 4)) != 0x3333333333333333ULL) {
    return false;
  }
  chunk -= 0x3030303030303030ULL;
  chunk = (chunk * 10) + (chunk >> 8);  // pairs
  chunk = (((chunk & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
           (((chunk >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >>
          32;
  *out = chunk;
  return true;
}

// 1 to 19 ASCII digits as an unsigned number.
inline std::optional<std::uint64_t> parse_digits(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  std::size_t i = 0;
  for (std::uint64_t eight; s.size() - i >= 8; i += 8) {
    if (!parse_eight_digits(s.data() + i, &eight)) return std::nullopt;
    v = v * 100000000ULL + eight;
  }
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return v;
}

// [-]digits[.digits] with at most 15 digits in all: the value is the digits as
// an integer (exact in a double) divided by an exact power of ten, which IEEE
// division rounds correctly (Clinger's fast path).
inline std::optional<double> parse_short_decimal(std::string_view s) {
  static constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  std::size_t i = 0;
  const bool negative = !s.empty() && s[0] == '-';
  if (negative) ++i;
  std::uint64_t mantissa = 0;
  int digits = 0, fraction = -1;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      mantissa = mantissa * 10 + static_cast<unsigned>(c - '0');
      if (++digits > 15) return std::nullopt;
      if (fraction >= 0) ++fraction;
    } else if (c == '.' && fraction < 0) {
      fraction = 0;
    } else {
      return std::nullopt;
    }
  }
  if (digits == 0 || fraction == 0) return std::nullopt;  // "", "-", "1." go the general way
  double v = static_cast<double>(mantissa);
  if (fraction > 0) v /= kPow10[fraction];
  return negative ? -v : v;
}

}  // namespace lle::parse::detail
