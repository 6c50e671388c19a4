#include "exporter/core/clock.h"

#include <chrono>
#include <cstdio>

namespace lle::core {

std::int64_t SystemClock::now_ns() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void ManualClock::advance_to(std::int64_t ns) {
  std::int64_t cur = now_.load(std::memory_order_acquire);
  while (ns > cur && !now_.compare_exchange_weak(cur, ns, std::memory_order_acq_rel)) {
  }
}

std::string format_timestamp(std::int64_t ns) {
  const std::int64_t secs = floor_div(ns, kNanosPerSecond);
  const std::int64_t rem_ns = ns % kNanosPerSecond;  // secs * 1e9 may not fit
  const std::int64_t frac = rem_ns < 0 ? rem_ns + kNanosPerSecond : rem_ns;
  std::int64_t days = floor_div(secs, 86400);
  const std::int64_t rem = secs - days * 86400;
  // civil_from_days (Howard Hinnant).
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
  char buf[128];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%09lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(rem / 3600),
                static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60),
                static_cast<long long>(frac));
  return buf;
}

}  // namespace lle::core
