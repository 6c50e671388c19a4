#pragma once
// Internal to the api module: numbers as people read them in JSON.

#include <boost/json/value.hpp>
#include <cmath>
#include <cstdint>

namespace lle::api {

// A whole number as an integer (Boost.JSON writes every double as, e.g., 2.5E2).
inline boost::json::value json_number(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9e15)
    return static_cast<std::int64_t>(v);
  return v;
}

}  // namespace lle::api
