#pragma once
// When a service's 5-minute P95 was above a threshold, from its 7-day trend:
// the breach intervals the API and the status page draw, and the backtest of a
// candidate threshold (how often an alert with the policy's `for` would have
// fired, and for how long). Pure functions.

#include <cstdint>
#include <vector>

#include "exporter/window/service_window.h"

namespace lle::api {

// The 5-minute P95 (seconds, NaN: no data) strictly above a threshold (ms, NaN: none).
inline bool breaching(double p95_seconds, double threshold_ms) {
  return p95_seconds * 1000 > threshold_ms;  // false whenever either is NaN
}

// Week over week: the P95 of the last 24 hours over that of the same 24 hours a
// week earlier (NaN when either has no data); "up" from kRose, "down" from
// 1/kRose, "flat" between (5%: ten times the sketch's relative error), "" for NaN.
inline constexpr double kRose = 1.05;
inline double week_ratio(const window::WindowStats& day, const window::WindowStats& before) {
  const double r = day.p95 / before.p95;
  return r > 0 && r < 1e300 ? r : window::kNaN;
}
inline const char* direction(double ratio) {
  if (!(ratio > 0)) return "";
  return ratio >= kRose ? "up" : ratio <= 1 / kRose ? "down" : "flat";
}

struct Interval {
  std::int64_t start_ns, end_ns;  // [start, end)
  double peak_seconds;            // the highest 5-minute P95 in it
};

// Runs of consecutive 5-minute buckets whose P95 is strictly above threshold; a
// bucket without data ends a run.
std::vector<Interval> breaches(const std::vector<window::TrendPoint>& trend,
                               double threshold_seconds);

struct Backtest {
  int alerts = 0;              // breaches that outlasted `for`
  std::int64_t firing_ns = 0;  // how long they would have fired in all
  std::int64_t longest_firing_ns = 0;
  std::vector<Interval> fired;  // the breaches that would have fired
  int breaches = 0;             // all breaches, fired or not
};

// An alert fires once a breach has lasted longer than for_ns, and fires for the
// rest of it (as Prometheus evaluates `for`, at 5-minute resolution).
Backtest backtest(const std::vector<window::TrendPoint>& trend, double threshold_seconds,
                  std::int64_t for_ns);

}  // namespace lle::api
