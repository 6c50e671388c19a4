#include "exporter/api/slo_backtest.h"

#include <algorithm>
#include <optional>
#include <span>

#include "exporter/config/alert_policy.h"

namespace lle::api {

namespace {

constexpr std::int64_t kHourNs = core::kNanosPerHour;

// The longest window any clause reads, in hours: no alert outlasts it past the last line.
constexpr std::int64_t longest_window_hours() {
  std::int64_t most = 0;
  for (const auto& c : config::kPageClauses) most = std::max(most, c.long_ns / kHourNs);
  for (const auto& c : config::kTicketClauses) most = std::max(most, c.long_ns / kHourNs);
  return most;
}

// The alerts of one kind, as the hours are replayed.
struct Run {
  std::vector<SloAlert>& out;
  bool firing = false;
  // At the end of hour h: burn is the firing clause's long-window burn rate, if any.
  void at(std::int64_t h, std::optional<double> burn) {
    if (!burn) {
      firing = false;
      return;
    }
    const std::int64_t t = (h + 1) * kHourNs;
    if (!firing) out.push_back({t, 0, *burn});
    firing = true;
    out.back().end_ns = t + kHourNs;  // unless the next hour fires too
    out.back().peak_burn_rate = std::max(out.back().peak_burn_rate, *burn);
  }
  void finish() {
    if (firing) out.back().end_ns = 0;
  }
};

}  // namespace

SloBacktest slo_backtest(const window::SloHours& hours, std::int64_t hours_end,
                         const SloQuestion& q) {
  SloBacktest b;
  if (hours.empty()) return b;
  // The longest window reaches past the last hour with lines so far: no alert after.
  const std::int64_t first = hours.front().index;
  const std::int64_t end = std::min(hours_end, hours.back().index + longest_window_hours() + 1);
  if (end <= first) return b;
  // Sums from `first` up to each hour, so that every window is two lookups.
  const auto n = static_cast<std::size_t>(end - first);
  std::vector<std::uint64_t> total(n + 1), slow(n + 1);
  auto it = hours.begin();
  for (std::size_t i = 0; i < n; ++i) {
    total[i + 1] = total[i];
    slow[i + 1] = slow[i];
    if (it != hours.end() && it->index == first + static_cast<std::int64_t>(i)) {
      total[i + 1] += it->total();
      slow[i + 1] += it->slow(q.column);
      ++it;
    }
  }
  b.from_ns = first * kHourNs;
  b.to_ns = end * kHourNs;
  b.total = total[n];
  b.slow = slow[n];
  // The lines of the w hours that end with hour first + i, and the burn rate of some.
  struct Sums {
    std::uint64_t total, slow;
  };
  const auto sums = [&](std::size_t i, std::int64_t w) {
    const auto hours_in = static_cast<std::size_t>(w);
    const std::size_t from = i + 1 >= hours_in ? i + 1 - hours_in : 0;
    return Sums{total[i + 1] - total[from], slow[i + 1] - slow[from]};
  };
  const auto burn = [&](Sums s) {
    return s.total == 0
               ? 0.0
               : static_cast<double>(s.slow) / static_cast<double>(s.total) / (1 - q.objective);
  };
  // The first clause that holds: its long window's burn rate (as the alert's value).
  const auto fires = [&](std::size_t i,
                         std::span<const config::BurnClause> clauses) -> std::optional<double> {
    for (const auto& c : clauses) {
      const std::int64_t long_h = c.long_ns / kHourNs;
      const std::int64_t short_h = std::max<std::int64_t>(1, c.short_ns / kHourNs);
      const double factor = c.factor(q.period_ns);
      const Sums long_window = sums(i, long_h);
      const double rate = burn(long_window);
      if (rate > factor && burn(sums(i, short_h)) > factor &&
          static_cast<double>(long_window.total) >= q.min_requests)
        return rate;
    }
    return std::nullopt;
  };
  Run pages{b.pages}, tickets{b.tickets};
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t h = first + static_cast<std::int64_t>(i);
    pages.at(h, fires(i, config::kPageClauses));
    tickets.at(h, fires(i, config::kTicketClauses));
  }
  pages.finish();
  tickets.finish();
  return b;
}

}  // namespace lle::api
