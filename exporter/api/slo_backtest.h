#pragma once
// Internal to the api module: the SLO backtest (docs/api.md), which replays the
// generated burn-rate alerts over a service's hourly counts.

#include <cstdint>
#include <vector>

#include "exporter/window/service_window.h"

namespace lle::api {

struct SloQuestion {
  std::size_t column = 0;  // the threshold's index in window::Options::slow
  double objective = 0.99;
  std::int64_t period_ns = 0;
  double min_requests = 0;
};

struct SloAlert {
  std::int64_t start_ns, end_ns;  // [start, end); end 0: still firing at the end
  double peak_burn_rate;          // the highest long-window burn rate while it fired
};

struct SloBacktest {
  std::int64_t from_ns = 0, to_ns = 0;  // the hours replayed
  std::uint64_t total = 0, slow = 0;    // their lines, and those above the threshold
  std::vector<SloAlert> pages, tickets;
};

// The page and ticket alerts of config::kPageClauses and kTicketClauses over the
// final hours (ascending, those without lines absent; none from hours_end on),
// evaluated at the end of each hour: each window is its whole hours, a short
// window under an hour (5m, 30m) the last hour. An alert starts at the end of the
// first hour its condition holds and ends at the end of the first it does not.
SloBacktest slo_backtest(const window::SloHours& hours, std::int64_t hours_end,
                         const SloQuestion& q);

}  // namespace lle::api
