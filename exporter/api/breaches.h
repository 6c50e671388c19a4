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
