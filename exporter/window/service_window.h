#pragma once
// One service's latency over event-time windows. Lines go into 1-minute slices
// keyed by their own timestamp; a slice is final once no line can still arrive
// for it (older than now - allowed_lateness). Final slices roll up into
// 5-minute buckets (whose P95 forms the 7-day trend) and hours (the 7-day
// baseline: add the newest hour, subtract the expired one). Each line is held
// exactly once per view, so no window counts a line twice.
//
// Thread safety: none; owned by the ingest thread (see Store).

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/core/binary.h"
#include "exporter/core/clock.h"
#include "exporter/core/reject_reason.h"
#include "exporter/sketch/latency_sketch.h"

namespace lle::window {

inline constexpr std::int64_t kFiveMinutesNs = 5 * core::kNanosPerMinute;
inline constexpr std::int64_t kHourNs = core::kNanosPerHour;
inline constexpr int kLiveMinutes = 5;     // the "5m" window, in 1-minute slices
inline constexpr int kHourBuckets = 12;    // the "1h" window, in 5-minute buckets
inline constexpr int kArchiveHours = 168;  // the 7-day baseline, in hours
inline constexpr int kDayHours = 24;       // "the last 24 hours": complete hours
// Hours kept: the baseline's and a day more, the same 24 hours a week earlier.
inline constexpr int kKeptHours = kArchiveHours + kDayHours;
inline constexpr int kTrendPoints = 2016;  // the 7-day trend, in 5-minute buckets
// The trend is kept for 14 days, so that a week can be compared with the one before.
inline constexpr int kKeptTrendPoints = 2 * kTrendPoints;
inline constexpr std::int64_t kWeekNs = kTrendPoints * kFiveMinutesNs;

// The latency thresholds whose exceeding lines every window counts exactly, for
// latency SLOs (loki_latency_slow_requests_total): ascending, at most
// kMaxSlowThresholds. One shared copy: each line reads them, from every window.
inline constexpr std::size_t kMaxSlowThresholds = 8;
struct SlowThresholds {
  std::vector<double> ms;  // as configured (the metric's label, in seconds)
  // Compared with each line's latency: ms * 0.001, as the parser turns a value in ms
  // into seconds, so a line exactly at a threshold is not above it.
  std::vector<double> seconds;
  // Throws std::invalid_argument above kMaxSlowThresholds (config checks first).
  static std::shared_ptr<const SlowThresholds> of(std::vector<double> ms);
  // 100, 250, 300, 500 and 1000 ms.
  static const std::shared_ptr<const SlowThresholds>& defaults();
};
using SlowCounts = std::array<std::uint64_t, kMaxSlowThresholds>;

// A latency SLO's error budget, counted per day (UTC, by each line's timestamp) for
// the budget period, so that a 30-day budget needs no 30 days of Prometheus history.
inline constexpr std::int64_t kDayNs = core::kNanosPerDay;
inline constexpr int kMaxBudgetDays = 90;
struct Budget {
  double threshold_ms = 0;  // one of Options::slow
  double objective = 0;
  int days = 30;  // the budget period: today and the days before it
};
// By service id.
using Budgets = std::map<std::string, Budget, std::less<>>;
// A service with a latency SLO also counts its lines per hour (UTC, by each line's
// timestamp) for the last kKeptHours, with those above each of Options::slow: the
// exporter's own burn rates over whole hours, and backtests at any counted threshold.
struct SloHour {
  std::int64_t index = 0;  // hours since the epoch
  // The hour's lines by how many of Options::slow (ascending) each is above: one
  // increment a line, whatever the number of thresholds.
  std::array<std::uint64_t, kMaxSlowThresholds + 1> above{};
  std::uint64_t total() const {
    std::uint64_t n = 0;
    for (const auto a : above) n += a;
    return n;
  }
  // The lines above Options::slow's threshold i.
  std::uint64_t slow(std::size_t i) const {
    std::uint64_t n = 0;
    for (std::size_t k = i + 1; k < above.size(); ++k) n += above[k];
    return n;
  }
};
using SloHours = std::vector<SloHour>;
// The SRE Workbook's burn-rate windows that whole hours answer exactly.
struct BurnWindow {
  int hours;
  std::string_view name;  // as Prometheus writes the duration
};
inline constexpr std::array<BurnWindow, 5> kBurnWindows = {
    {{1, "1h"}, {2, "2h"}, {6, "6h"}, {24, "1d"}, {72, "3d"}}};

// With a latency SLO: the lines of its budget period, and those above its threshold.
struct SloPeriod {
  std::optional<Budget> budget;  // a copy: a published view outlives a reload's options
  std::uint64_t total = 0, slow = 0;
  // Over each of kBurnWindows: the hours that end with the last final hour (no line can
  // still arrive for it): the share of slow lines / (1 - objective); NaN without lines.
  std::array<double, kBurnWindows.size()> burn_rates{};
  // The final hours with lines, ascending (shared: rebuilt as the horizon moves to a
  // new hour), and the first hour that is not final.
  std::shared_ptr<const SloHours> hours;
  std::int64_t hours_end = 0;
  // The share of the error budget left: 1 - (slow / total) / (1 - objective); 1
  // without lines, below 0 once overspent.
  double remaining() const {
    if (!budget || total == 0) return 1;
    return 1 - static_cast<double>(slow) / static_cast<double>(total) / (1 - budget->objective);
  }
};

// The windows' options, one default each (config fills them from `windows:`).
struct Options {
  // How long after a minute ends its slice stays open for lines (config derives it
  // from windows.allowed_lateness and the Loki input's reconciliation).
  std::int64_t hold_ns = 5 * core::kNanosPerMinute;
  std::int64_t max_future_skew_ns = core::kNanosPerMinute;
  int baseline_min_buckets = 3;
  std::shared_ptr<const SlowThresholds> slow = SlowThresholds::defaults();
  // The services with a latency SLO (config fills it from the alert policy).
  std::shared_ptr<const Budgets> budgets;
};

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct WindowStats {
  std::uint64_t count = 0;
  double sum_seconds = 0;
  double p50 = kNaN, p95 = kNaN, p99 = kNaN;
};

// Status classes: index 0 = unknown, 1..5 = 1xx..5xx.
using StatusCounts = std::array<std::uint64_t, 6>;

struct ServiceView {
  WindowStats last_5m, last_1h, baseline;
  // The last 24 complete hours, and the same 24 hours a week earlier (week over week).
  WindowStats last_24h, week_before_24h;
  int baseline_buckets = 0;  // 5-minute buckets with data in the last 7 days
  bool baseline_ready = false;
  // Its history is still being fetched (Store::set_filling): the view is empty.
  bool filling = false;
  // Since the process started (counters).
  std::uint64_t accepted_total = 0;
  double latency_seconds_total = 0;
  StatusCounts accepted_by_status{};
  SlowCounts slow_total{};  // lines above each of Options::slow, in its order
  // With a latency SLO: the lines of its budget period, and those above its threshold.
  SloPeriod slo;
  std::uint64_t clamped_low_total = 0, clamped_high_total = 0;
  double min_latency = kNaN, max_latency = kNaN;
  std::int64_t first_event_ns = 0, last_event_ns = 0;
  core::RejectCounts rejects{};
  // Every accepted line since the state began (late lines count when they
  // arrive): the native histogram. Shared, as snapshots copy their views.
  std::shared_ptr<const sketch::LatencySketch> lifetime;
  std::size_t memory_bytes = 0;
};

// The quantiles, count and sum of one window's sketch.
WindowStats stats_of(const sketch::LatencySketch& s);

// The lines of the last 5 minutes, the last hour and the 7-day baseline. A view
// starts from empty ones; a team's gather its services' (exact: one grid).
struct WindowSketches {
  sketch::LatencySketch last_5m, last_1h, baseline;
  void clear() {
    last_5m.clear();
    last_1h.clear();
    baseline.clear();
  }
  void merge(const WindowSketches& other) {
    last_5m.merge(other.last_5m);
    last_1h.merge(other.last_1h);
    baseline.merge(other.baseline);
  }
};

// A team's windows: the exact merge of its services' (same grid, so the team's
// P95 is the P95 of all their lines, not an average of P95s).
struct TeamView {
  std::string team;
  std::size_t services = 0;
  WindowStats last_5m, last_1h, baseline;
  WindowStats last_24h, week_before_24h;
};

struct TrendPoint {
  std::int64_t bucket_start_ns;
  double p95;
};

// A 14-day trend as the window keeps it: up to kKeptTrendPoints 5-minute buckets
// ending with the one that starts at last_bucket_start_ns, each the sketch bucket
// index of its P95 (2 bytes, not a TrendPoint's 16: snapshots carry one per service).
struct TrendSeries {
  static constexpr std::int16_t kNoPoint = std::numeric_limits<std::int16_t>::min();
  std::int64_t last_bucket_start_ns = 0;
  // Oldest first, the last at last_bucket_start_ns; from the oldest point with data
  // (up to 14 days); kNoPoint where a bucket had none.
  std::vector<std::int16_t> p95_index;
  // The buckets with data, oldest first; only those ending after since_ns.
  std::vector<TrendPoint> points(
      std::int64_t since_ns = std::numeric_limits<std::int64_t>::min()) const;
};

class alignas(64) ServiceWindow {
 public:
  // `id` finds the service's SLO budget in options.budgets, if it has one.
  explicit ServiceWindow(const Options& options, std::string_view id = {});
  ServiceWindow(ServiceWindow&&) = default;  // move-only: archives own their buffers
  ServiceWindow& operator=(ServiceWindow&&) = default;
  ServiceWindow(const ServiceWindow&) = delete;
  ServiceWindow& operator=(const ServiceWindow&) = delete;

  // Adds one accepted latency, or returns the time gate it fails.
  std::optional<core::RejectReason> add(std::int64_t ts_ns, double seconds, int status,
                                        std::int64_t now_ns);
  // For Store's prefetch_*: the fields every line touches are the first
  // kHotBytes (hold_ns_ to last_event_), 4 cache lines as a window is aligned to
  // one (issue 15: with 10,000 services each line misses them); then its minute
  // slice, and its bucket.
  static constexpr std::size_t kHotBytes = 248;
  void prefetch_minute() const {
    if (!minutes_.empty()) __builtin_prefetch(&minutes_.back());
  }
  void prefetch_bucket(double seconds) const {
    if (!minutes_.empty() && minutes_.back().sketch) minutes_.back().sketch->prefetch(seconds);
  }
  // Finalises slices and expires old data up to now (never moves backwards).
  void advance(std::int64_t now_ns);
  // The input has ended, so no line can still arrive: every open slice becomes
  // final now and rolls up (the last 5-minute bucket joins the trend), so the
  // 7-day views hold every accepted line. Lines for those minutes are rejected
  // as too late from then on.
  void close_open_minutes();
  // Rejects are counted here too so a service's view is complete.
  void count_reject(core::RejectReason r) { ++rejects_[static_cast<std::size_t>(r)]; }

  // team: where the view's window sketches are also merged (a team's, see Store),
  // but for the completed hours of the baseline: a team sums those apart, when they
  // change (merge_hours_into).
  ServiceView view(std::int64_t now_ns, WindowSketches* team = nullptr);
  // The window sketches as of the last advance(), merged into `into`; without the
  // baseline's completed hours if !with_hours.
  void merge_windows_into(WindowSketches& into, bool with_hours = true) const;
  // The baseline's completed hours (the last 7 days'); hours_changes() changes
  // whenever they do (about once an hour).
  void merge_hours_into(sketch::LatencySketch& into) const { into.merge(hours_sum_); }
  std::uint64_t hours_changes() const { return hours_changes_; }
  // Calls f(bucket, sketch&&) for each 5-minute bucket completed since the last
  // call, oldest first, handing it over: a team's trend gathers its services'
  // (Store). Kept for the last hour's buckets at most; not saved.
  template <class F>
  void take_completed_fives(F&& f) {
    if (completed_.empty()) return;
    for (auto& c : completed_) f(c.index, std::move(c.sketch));
    completed_.clear();
  }

  // Everything the window holds, for state snapshots (docs/operations.md).
  void save(core::Writer& w) const;
  // Restores what save() wrote; false (and *this unchanged) on malformed input.
  // The archived 5-minute and hourly slices are taken as they are, unwalked:
  // the snapshot file's CRC vouches for them (see CompactSketch::from_checksummed).
  // Sketches of state format 1 (Encoding::kVarint) are re-encoded instead.
  bool load(core::Reader& r, sketch::LatencySketch::Encoding encoding);
  // 5-minute P95 values of the last 14 days, oldest first, buckets with data only.
  std::vector<TrendPoint> trend() const { return trend_series().points(); }
  TrendSeries trend_series() const;
  // The earliest 5-minute bucket of which lines are held that are not yet in a
  // completed bucket (open minutes, or a bucket being gathered); kNoBucket if none.
  static constexpr std::int64_t kNoBucket = std::numeric_limits<std::int64_t>::min();
  std::int64_t first_incomplete_bucket() const;
  // The last 24 complete hours and the same 24 hours a week earlier, merged into
  // `day` and `week_before`; day_changes() changes whenever they would.
  void merge_days_into(sketch::LatencySketch& day, sketch::LatencySketch& week_before) const {
    day.merge(day_sum_.expand());
    week_before.merge(week_ago_day_sum_.expand());
  }
  std::uint64_t day_changes() const { return day_changes_; }
  // Changes whenever trend() would return something else (not kept in snapshots).
  std::uint64_t trend_changes() const { return trend_changes_; }
  std::size_t memory_bytes() const;

 private:
  // A minute's lines: a quiet minute's in `few`, inside the slice itself; once they
  // outgrow it, and from the start for a minute that follows a busy one, in `sketch`.
  // The sketch is a heap block of its own, so that a slice is one cache line (issue
  // 15: a quiet service holds ten of them, and each line reads the newest).
  struct Minute {
    std::int64_t index = 0;
    bool final = false;
    sketch::SmallSketch few;
    std::unique_ptr<sketch::LatencySketch> sketch;  // set: the lines are there, not in few

    void add(double seconds);
    void merge_into(sketch::LatencySketch& into) const {
      if (sketch)
        into.merge(*sketch);
      else
        into.merge(few);
    }
    double sum() const { return sketch ? sketch->sum() : few.sum(); }
  };
  static_assert(sizeof(Minute) == 64);
  struct Archived {
    std::int64_t index;
    sketch::CompactSketch sketch;
  };
  static constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::min();

  void finalize(Minute& m);
  void complete_five();
  void complete_hour();
  void set_trend(std::int64_t bucket, int p95_bucket);
  void move_hours_to(std::int64_t hour);
  void restore_day_sums();  // from hours_ and now_ns_, after load()
  void set_day_sums(const sketch::LatencySketch& day, const sketch::LatencySketch& week_ago);
  std::int16_t& trend_slot(std::int64_t bucket);  // in trend_, which must be allocated
  // Room in the ring, once latest is the last bucket, for every bucket from
  // trend_oldest_ (up to 14 days); what it holds moves to its new slots.
  void make_trend_room(std::int64_t latest);
  void move_trend_to(std::int64_t bucket);
  // A line above `above` of the thresholds: in budget_days_ and open_hours_.
  void count_slo(std::int64_t ts_ns, std::size_t above);
  // The hours before `end` (the horizon's) are final: from open_hours_ to final_hours_,
  // with the burn rates over them.
  void finalize_hours(std::int64_t end);

  // What every line touches first, together in the first kHotBytes: the gates (the
  // options a line needs, copied), the minutes, the counters.
  std::int64_t hold_ns_, max_future_skew_ns_;
  const SlowThresholds* thresholds_;  // options_.slow's
  std::int64_t now_ns_ = kNone;
  std::int64_t horizon_minute_ = kNone;  // minutes below this are final
  std::int64_t expired_minute_ = kNone;  // the minute of now when expiry last ran
  // Vectors, not deques: a deque allocates 576 bytes before its first element,
  // and these stay short (a few minutes, 12 slices, 168 hours).
  std::vector<Minute> minutes_;  // ascending; final ones kept while in the 5m window
  std::uint64_t accepted_ = 0;
  double latency_total_ = 0;
  StatusCounts by_status_{};
  SlowCounts slow_{};
  const Budget* budget_ = nullptr;  // the SLO's, if the service has one (below)
  std::size_t budget_slow_ = 0;     // its threshold's index in Options::slow
  double min_ = kNaN, max_ = kNaN;
  std::int64_t first_event_ = 0, last_event_ = 0;

  // The rest, touched a few times a minute at most (clamped lines are rare).
  Options options_;
  std::uint64_t clamped_low_ = 0, clamped_high_ = 0;

  sketch::LatencySketch five_acc_;
  std::int64_t five_acc_bucket_ = kNone;
  // The open hour's final minutes: their buckets are those of its completed 5-minute
  // buckets (hour_acc_, each merged in as it completes: one merge a minute, not two)
  // and of five_acc_; their sum is hour_sum_, added up minute by minute as it always
  // was, so that sums stay bit for bit those of earlier versions and their snapshots.
  // hour_acc_'s own sum is not used.
  sketch::LatencySketch hour_acc_;
  double hour_sum_ = 0;
  std::int64_t hour_acc_hour_ = kNone;
  std::vector<Archived> fives_;  // completed 5-minute buckets of the last hour
  sketch::LatencySketch fives_sum_;
  std::vector<Archived> hours_;      // completed hours of the last 8 days (kKeptHours)
  sketch::LatencySketch hours_sum_;  // those of the last 7 days
  // The hours of the last 24 (from day_edge_hour_ - 24), and of the same 24 a week
  // earlier, summed; both change only when an hour completes or now's hour moves,
  // so they are kept compact, with their quantiles.
  std::int64_t day_edge_hour_ = kNone;
  sketch::CompactSketch day_sum_, week_ago_day_sum_;
  WindowStats day_stats_, week_ago_stats_;
  std::uint64_t day_changes_ = 0;
  std::uint64_t hours_changes_ = 0;
  // The hours that left the 7-day archive, all merged: with the archive and the
  // open minutes, every accepted line (ServiceView::lifetime). Saved from state
  // format 3 on.
  sketch::CompactSketch expired_;
  // See take_completed_fives(): the 5-minute accumulator itself, handed over as
  // it is (neither encoded nor decoded again for the team: issue 15).
  struct Completed {
    std::int64_t index;
    sketch::LatencySketch sketch;
  };
  std::vector<Completed> completed_;
  // The SLO's budget, if the service has one: per day (ascending, within the period
  // of the newest) the lines and those above the threshold; and per hour at every
  // threshold. Saved from state format 6 on.
  struct BudgetDay {
    std::int64_t index;  // days since the epoch
    std::uint64_t total, slow;
  };
  std::vector<BudgetDay> budget_days_;
  // The hours: those lines can still reach, and the final ones of the last kKeptHours
  // with the burn rates over them, shared with the published views (SloPeriod):
  // replaced, never changed, as the horizon moves to a new hour.
  SloHours open_hours_;
  struct FinalHours {
    SloHours hours;
    std::int64_t end = 0;  // the first hour that is not final
    std::array<double, kBurnWindows.size()> burn_rates{};
  };
  std::shared_ptr<const FinalHours> final_hours_;

  // 5-minute P95s as bucket indices (the P95 is always a bucket's value): exact
  // in 2 bytes a point, a ring holding bucket b at b mod its size. It is as long as
  // the service's history, from its oldest point (trend_oldest_), growing by
  // doubling up to kKeptTrendPoints (14 days), so a young or short-lived service
  // does not hold 8 KiB of empty slots. kNoPoint: no data in that bucket.
  // trend_points_ counts the last 7 days' points (the baseline's readiness).
  static constexpr std::int16_t kNoPoint = TrendSeries::kNoPoint;
  std::vector<std::int16_t> trend_;
  std::int64_t trend_oldest_ = kNone;
  std::int64_t trend_latest_ = kNone;
  int trend_points_ = 0;
  std::uint64_t trend_changes_ = 0;
  core::RejectCounts rejects_{};
};

}  // namespace lle::window
