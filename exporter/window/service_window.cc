#include "exporter/window/service_window.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <utility>

#include "exporter/core/units.h"

namespace lle::window {
namespace {

using core::floor_div;
using core::floor_mod;
using core::kNanosPerMinute;
constexpr std::int64_t kMinutesPerFive = 5, kMinutesPerHour = 60;
constexpr std::uint64_t kBusyMinute = 2 * sketch::SmallSketch::kCapacity;  // lines

// Room for one more, doubling as a vector does but never past `most`, the most the
// list holds: the 168 hours would otherwise sit in room for 256 (2 KiB a service).
template <class V>
void room_for_one(V& v, std::size_t most) {
  if (v.size() == v.capacity())
    v.reserve(std::min(most, std::max<std::size_t>(1, 2 * v.capacity())));
}

}  // namespace

std::shared_ptr<const SlowThresholds> SlowThresholds::of(std::vector<double> ms) {
  if (ms.size() > kMaxSlowThresholds) throw std::invalid_argument("too many slow thresholds");
  auto t = std::make_shared<SlowThresholds>();
  for (const double m : ms)
    t->seconds.push_back(m * core::seconds_per(core::LatencyUnit::kMilliseconds));
  t->ms = std::move(ms);
  return t;
}

const std::shared_ptr<const SlowThresholds>& SlowThresholds::defaults() {
  static const auto kDefaults = of({100, 250, 300, 500, 1000});
  return kDefaults;
}

WindowStats stats_of(const sketch::LatencySketch& s) {
  WindowStats w;
  w.count = s.count();
  w.sum_seconds = s.sum();
  static constexpr double kQs[] = {0.5, 0.95, 0.99};
  double out[3];
  s.quantiles(kQs, out);
  w.p50 = out[0];
  w.p95 = out[1];
  w.p99 = out[2];
  return w;
}

ServiceWindow::ServiceWindow(const Options& options, std::string_view id)
    : hold_ns_(options.hold_ns),
      max_future_skew_ns_(options.max_future_skew_ns),
      thresholds_(options.slow.get()),
      options_(options) {
  static_assert(offsetof(ServiceWindow, last_event_) + sizeof(last_event_) == kHotBytes);
  if (!options_.budgets) return;
  const auto it = options_.budgets->find(id);
  if (it == options_.budgets->end()) return;
  const auto& ms = options_.slow->ms;
  const auto at = std::find(ms.begin(), ms.end(), it->second.threshold_ms);
  if (at == ms.end()) return;  // config counts every SLO's threshold
  budget_ = &it->second;
  budget_slow_ = static_cast<std::size_t>(at - ms.begin());
}

std::optional<core::RejectReason> ServiceWindow::add(std::int64_t ts_ns, double seconds, int status,
                                                     std::int64_t now_ns) {
  advance(now_ns);
  if (ts_ns < core::saturating_add(now_ns_, -hold_ns_)) return core::RejectReason::kTooLate;
  if (ts_ns > core::saturating_add(now_ns_, max_future_skew_ns_))
    return core::RejectReason::kTooFarInFuture;

  const std::int64_t minute = floor_div(ts_ns, kNanosPerMinute);
  auto it = minutes_.end();
  while (it != minutes_.begin() && std::prev(it)->index >= minute) --it;
  if (it == minutes_.end() || it->index != minute) {
    // The minute after a busy one is allocated at once for the range that one
    // spanned; after a quiet one, it starts inside the slice (Minute::few). Busy:
    // well past what `few` holds, so that a quiet service whose minute once
    // overflowed it does not stay on sketches (a third of 10,000 services at 6
    // lines a minute did within half an hour).
    Minute fresh;
    fresh.index = minute;
    const Minute* last = minutes_.empty() ? nullptr : &minutes_.back();
    if (last && last->sketch && last->sketch->count() > kBusyMinute) {
      fresh.sketch = std::make_unique<sketch::LatencySketch>(
          sketch::LatencySketch::with_room_of(*last->sketch));
    }
    it = minutes_.insert(it, std::move(fresh));
  } else if (it->final)
    return core::RejectReason::kTooLate;  // closed early: its input has ended
  it->add(seconds);

  ++accepted_;
  latency_total_ += seconds;
  ++by_status_[static_cast<std::size_t>(status >= 100 && status <= 599 ? status / 100 : 0)];
  const auto& slow = thresholds_->seconds;
  std::size_t above = 0;  // how many of the thresholds (ascending) the line is above
  for (std::size_t i = 0; i < slow.size(); ++i) {
    const bool is_slow = seconds > slow[i];
    slow_[i] += is_slow;
    above += is_slow;
  }
  if (budget_) count_slo(ts_ns, above);
  if (seconds < sketch::kMinValue) ++clamped_low_;
  if (seconds > sketch::kMaxValue) ++clamped_high_;
  if (accepted_ == 1) {
    min_ = max_ = seconds;
    first_event_ = last_event_ = ts_ns;
  } else {
    min_ = std::min(min_, seconds);
    max_ = std::max(max_, seconds);
    first_event_ = std::min(first_event_, ts_ns);
    last_event_ = std::max(last_event_, ts_ns);
  }
  return std::nullopt;
}

void ServiceWindow::Minute::add(double seconds) {
  if (!sketch) {
    if (!few.full()) {
      few.add(seconds);
      return;
    }
    sketch = std::make_unique<sketch::LatencySketch>();
    sketch->merge(few);
    few = {};
  }
  sketch->add(seconds);
}

void ServiceWindow::advance(std::int64_t now_ns) {
  if (now_ns <= now_ns_) return;
  now_ns_ = now_ns;
  const std::int64_t horizon = floor_div(core::saturating_add(now_ns, -hold_ns_), kNanosPerMinute);
  const std::int64_t now_minute = floor_div(now_ns, kNanosPerMinute);
  // Within one minute and one horizon nothing below can change: most lines stop
  // here, having touched only this object's first cache lines (issue 15: with
  // 10,000 services every other line of a window is a cache miss).
  if (horizon <= horizon_minute_ && now_minute == expired_minute_) return;
  if (horizon > horizon_minute_) {
    const std::int64_t hour = floor_div(horizon, kMinutesPerHour);
    if (budget_ &&
        (horizon_minute_ == kNone || hour != floor_div(horizon_minute_, kMinutesPerHour)))
      finalize_hours(hour);
    horizon_minute_ = horizon;
    for (auto& m : minutes_) {
      if (m.index >= horizon) break;
      if (!m.final) finalize(m);
    }
    // Buckets whose every minute is final, even when their last minutes had no data.
    if (five_acc_bucket_ != kNone && (five_acc_bucket_ + 1) * kMinutesPerFive <= horizon) {
      complete_five();
    }
    if (hour_acc_hour_ != kNone && (hour_acc_hour_ + 1) * kMinutesPerHour <= horizon) {
      complete_hour();
    }
  }

  expired_minute_ = now_minute;
  const std::int64_t now_five = floor_div(now_ns, kFiveMinutesNs);
  const std::int64_t now_hour = floor_div(now_ns, kHourNs);
  while (!minutes_.empty() && minutes_.front().final &&
         minutes_.front().index <= now_minute - kLiveMinutes) {
    minutes_.erase(minutes_.begin());
  }
  while (!fives_.empty() && fives_.front().index <= now_five - kHourBuckets) {
    fives_sum_.subtract(fives_.front().sketch.expand());
    fives_.erase(fives_.begin());
  }
  if (day_edge_hour_ == kNone) day_edge_hour_ = now_hour;
  if (now_hour > day_edge_hour_) move_hours_to(now_hour);
  move_trend_to(now_five);
}

// Each hour's place moves with now's hour, from h0 = day_edge_hour_ to h: in the
// last 24 hours (index >= h - 24), in the 7-day baseline (> h - 168), in the same
// 24 hours a week earlier ([h - 192, h - 168)), or gone (< h - 192).
void ServiceWindow::move_hours_to(std::int64_t h) {
  const std::int64_t h0 = day_edge_hour_;
  const auto day = [](std::int64_t i, std::int64_t at) { return i >= at - kDayHours; };
  const auto base = [](std::int64_t i, std::int64_t at) { return i > at - kArchiveHours; };
  const auto ago = [](std::int64_t i, std::int64_t at) {
    return i >= at - kKeptHours && i < at - kArchiveHours;
  };
  std::optional<sketch::LatencySketch> expired;  // expanded once, if an hour left the 7 days
  sketch::LatencySketch day_sum = day_sum_.expand(), week_ago = week_ago_day_sum_.expand();
  std::size_t kept = 0;
  for (auto& a : hours_) {
    const std::int64_t i = a.index;
    if (day(i, h0) != day(i, h) || base(i, h0) != base(i, h) || ago(i, h0) != ago(i, h)) {
      const sketch::LatencySketch s = a.sketch.expand();
      if (day(i, h0) && !day(i, h)) day_sum.subtract(s);
      if (base(i, h0) && !base(i, h)) {
        hours_sum_.subtract(s);
        ++hours_changes_;
        if (!expired) expired = expired_.expand();
        expired->merge(s);
      }
      if (!ago(i, h0) && ago(i, h)) week_ago.merge(s);
      if (ago(i, h0) && !ago(i, h)) week_ago.subtract(s);
    }
    if (i < h - kKeptHours) continue;
    if (&hours_[kept] != &a) hours_[kept] = std::move(a);
    ++kept;
  }
  hours_.erase(hours_.begin() + static_cast<std::ptrdiff_t>(kept), hours_.end());
  if (expired) expired_ = sketch::CompactSketch(*expired);
  set_day_sums(day_sum, week_ago);
  day_edge_hour_ = h;
}

void ServiceWindow::set_day_sums(const sketch::LatencySketch& day,
                                 const sketch::LatencySketch& week_ago) {
  day_sum_ = sketch::CompactSketch(day);
  week_ago_day_sum_ = sketch::CompactSketch(week_ago);
  day_stats_ = stats_of(day);
  week_ago_stats_ = stats_of(week_ago);
  ++day_changes_;
}

void ServiceWindow::restore_day_sums() {
  sketch::LatencySketch day, week_ago;
  if (now_ns_ != kNone) {
    const std::int64_t h = day_edge_hour_ = floor_div(now_ns_, kHourNs);
    std::erase_if(hours_, [h](const Archived& a) { return a.index < h - kKeptHours; });
    for (const auto& a : hours_) {
      if (a.index >= h - kDayHours) day.merge(a.sketch.expand());
      if (a.index >= h - kKeptHours && a.index < h - kArchiveHours)
        week_ago.merge(a.sketch.expand());
    }
  }
  set_day_sums(day, week_ago);
}

std::int64_t ServiceWindow::first_incomplete_bucket() const {
  if (five_acc_bucket_ != kNone) return five_acc_bucket_;  // no later than any open minute's
  for (const auto& m : minutes_)
    if (!m.final) return floor_div(m.index, kMinutesPerFive);
  return kNoBucket;
}

void ServiceWindow::close_open_minutes() {
  for (auto& m : minutes_) {
    if (!m.final) finalize(m);
  }
  complete_five();
  complete_hour();
  expired_minute_ = kNone;  // what just became final may expire at the next advance
}

void ServiceWindow::finalize(Minute& m) {
  const std::int64_t five = floor_div(m.index, kMinutesPerFive);
  const std::int64_t hour = floor_div(m.index, kMinutesPerHour);
  if (five_acc_bucket_ != five) {
    complete_five();
    five_acc_bucket_ = five;
  }
  if (hour_acc_hour_ != hour) {
    complete_hour();
    hour_acc_hour_ = hour;
  }
  m.merge_into(five_acc_);
  hour_sum_ += m.sum();
  m.final = true;
}

void ServiceWindow::complete_five() {
  if (five_acc_bucket_ != kNone && !five_acc_.empty()) {
    move_trend_to(five_acc_bucket_);
    static constexpr double kP95[] = {0.95};
    int p95;
    five_acc_.quantile_buckets(kP95, {&p95, 1});
    set_trend(five_acc_bucket_, p95);
    room_for_one(fives_, kHourBuckets + 1);
    fives_.push_back({five_acc_bucket_, sketch::CompactSketch(five_acc_)});
    fives_sum_.merge(five_acc_);
    hour_acc_.merge(five_acc_);  // the bucket's hour, which completes after it
    if (completed_.size() == kHourBuckets) completed_.erase(completed_.begin());
    completed_.push_back({five_acc_bucket_, std::exchange(five_acc_, {})});
  }
  five_acc_bucket_ = kNone;
}

void ServiceWindow::complete_hour() {
  if (hour_acc_hour_ != kNone && !hour_acc_.empty()) {
    hour_acc_.set_sum(hour_sum_);
    room_for_one(hours_, kKeptHours + 1);
    hours_.push_back({hour_acc_hour_, sketch::CompactSketch(hour_acc_)});
    hours_sum_.merge(hour_acc_);
    ++hours_changes_;
    if (day_edge_hour_ == kNone || hour_acc_hour_ >= day_edge_hour_ - kDayHours) {
      sketch::LatencySketch day = day_sum_.expand();  // about once an hour: kept compact
      day.merge(hour_acc_);
      set_day_sums(day, week_ago_day_sum_.expand());
    }
    hour_acc_.clear();
  }
  hour_sum_ = 0;
  hour_acc_hour_ = kNone;
}

std::int16_t& ServiceWindow::trend_slot(std::int64_t bucket) {
  const auto size = static_cast<std::int64_t>(trend_.size());
  return trend_[static_cast<std::size_t>(floor_mod(bucket, size))];
}

void ServiceWindow::make_trend_room(std::int64_t latest) {
  const auto size = static_cast<std::int64_t>(trend_.size());
  const std::int64_t needed = std::min<std::int64_t>(kKeptTrendPoints, latest - trend_oldest_ + 1);
  if (needed <= size) return;
  const std::int64_t grown =
      std::min<std::int64_t>(kKeptTrendPoints, std::max<std::int64_t>({needed, 2 * size, 16}));
  std::vector<std::int16_t> ring(static_cast<std::size_t>(grown), kNoPoint);
  for (std::int64_t b = trend_latest_ - size + 1; b <= trend_latest_; ++b)
    ring[static_cast<std::size_t>(floor_mod(b, grown))] = trend_slot(b);
  trend_ = std::move(ring);
}

void ServiceWindow::move_trend_to(std::int64_t bucket) {
  if (trend_latest_ != kNone && bucket <= trend_latest_) return;
  if (!trend_.empty() && trend_latest_ != kNone) {
    make_trend_room(bucket);
    // Points leaving the 7 days stop counting (slots older than the ring's held
    // none); the slots of the new buckets, as old as the ring is long, are cleared.
    const auto size = static_cast<std::int64_t>(trend_.size());
    const std::int64_t leaving_to = std::min(trend_latest_, bucket - kTrendPoints);
    for (std::int64_t b = std::max(trend_latest_ - kTrendPoints, trend_latest_ - size) + 1;
         b <= leaving_to; ++b)
      trend_points_ -= trend_slot(b) != kNoPoint;
    for (std::int64_t b = std::max(trend_latest_ + 1, bucket - size + 1); b <= bucket; ++b)
      trend_slot(b) = kNoPoint;
  }
  trend_latest_ = bucket;
  ++trend_changes_;
}

void ServiceWindow::set_trend(std::int64_t bucket, int p95_bucket) {
  if (bucket <= trend_latest_ - kKeptTrendPoints) return;  // older than 14 days
  if (trend_.empty() || bucket < trend_oldest_) {
    trend_oldest_ = bucket;
    make_trend_room(trend_latest_);
  }
  auto& slot = trend_slot(bucket);
  if (slot == kNoPoint && bucket > trend_latest_ - kTrendPoints) ++trend_points_;
  slot = static_cast<std::int16_t>(p95_bucket);
  ++trend_changes_;
}

ServiceView ServiceWindow::view(std::int64_t now_ns, WindowSketches* team) {
  advance(now_ns);
  ServiceView v;
  WindowSketches w;
  merge_windows_into(w, false);
  if (team) team->merge(w);
  w.baseline.merge(hours_sum_);
  v.last_5m = stats_of(w.last_5m);
  v.last_1h = stats_of(w.last_1h);
  v.baseline = stats_of(w.baseline);
  v.last_24h = day_stats_;
  v.week_before_24h = week_ago_stats_;
  v.baseline_buckets = trend_points_;
  v.baseline_ready = trend_points_ >= options_.baseline_min_buckets;
  v.accepted_total = accepted_;
  v.latency_seconds_total = latency_total_;
  v.accepted_by_status = by_status_;
  v.slow_total = slow_;
  if (budget_) {
    v.slo.budget = *budget_;
    // The period: today (of now's time) and the days before it.
    const std::int64_t first = core::floor_div(now_ns_, kDayNs) - budget_->days + 1;
    for (const BudgetDay& d : budget_days_) {
      if (d.index < first) continue;
      v.slo.total += d.total;
      v.slo.slow += d.slow;
    }
    if (final_hours_) {
      v.slo.burn_rates = final_hours_->burn_rates;
      v.slo.hours = std::shared_ptr<const SloHours>(final_hours_, &final_hours_->hours);
      v.slo.hours_end = final_hours_->end;
    } else {
      v.slo.burn_rates.fill(kNaN);
    }
  }
  v.clamped_low_total = clamped_low_;
  v.clamped_high_total = clamped_high_;
  v.min_latency = min_;
  v.max_latency = max_;
  v.first_event_ns = first_event_;
  v.last_event_ns = last_event_;
  v.rejects = rejects_;
  // Every accepted line: the 7 days, what left them, the minutes not yet final.
  auto lifetime = std::make_shared<sketch::LatencySketch>(std::move(w.baseline));
  if (!expired_.bytes().empty()) lifetime->merge(expired_.expand());
  for (const auto& m : minutes_)
    if (!m.final) m.merge_into(*lifetime);
  v.lifetime = std::move(lifetime);
  v.memory_bytes = memory_bytes();
  return v;
}

void ServiceWindow::merge_windows_into(WindowSketches& into, bool with_hours) const {
  if (now_ns_ == kNone) return;  // nothing added yet
  const std::int64_t now_minute = floor_div(now_ns_, kNanosPerMinute);
  const std::int64_t first_five = floor_div(now_ns_, kFiveMinutesNs) - kHourBuckets + 1;
  into.last_1h.merge(fives_sum_);
  if (five_acc_bucket_ != kNone && five_acc_bucket_ >= first_five) into.last_1h.merge(five_acc_);
  for (const auto& m : minutes_) {
    if (m.index > now_minute - kLiveMinutes) m.merge_into(into.last_5m);
    if (!m.final && floor_div(m.index, kMinutesPerFive) >= first_five) m.merge_into(into.last_1h);
  }
  if (with_hours) into.baseline.merge(hours_sum_);
  const double sum = into.baseline.sum() + hour_sum_;  // the open hour's, see hour_acc_
  into.baseline.merge(hour_acc_);
  into.baseline.merge(five_acc_);
  into.baseline.set_sum(sum);
}

TrendSeries ServiceWindow::trend_series() const {
  TrendSeries out;
  if (trend_latest_ == kNone) return out;
  out.last_bucket_start_ns = trend_latest_ * kFiveMinutesNs;
  if (trend_.empty()) return out;
  // The ring holds bucket b at b mod its size, so from its oldest bucket's slot on
  // it runs [split, end) then [begin, split). The series starts at the oldest bucket
  // with a point. Every service's trend is copied out each time a bucket completes:
  // two scans and two copies, not a division per slot.
  const auto size = static_cast<std::int64_t>(trend_.size());
  const auto split = static_cast<std::ptrdiff_t>(floor_mod(trend_latest_ + 1, size));
  const auto has_point = [](std::int16_t p) { return p != kNoPoint; };
  const auto older_end = trend_.end(), newer_begin = trend_.begin(),
             newer_end = trend_.begin() + split;
  const auto first = std::find_if(trend_.begin() + split, older_end, has_point);
  if (first == older_end) {
    out.p95_index.assign(std::find_if(newer_begin, newer_end, has_point), newer_end);
  } else {
    out.p95_index.reserve(static_cast<std::size_t>((older_end - first) + split));
    out.p95_index.assign(first, older_end);
    out.p95_index.insert(out.p95_index.end(), newer_begin, newer_end);
  }
  return out;
}

std::vector<TrendPoint> TrendSeries::points(std::int64_t since_ns) const {
  std::vector<TrendPoint> out;
  const auto n = static_cast<std::int64_t>(p95_index.size());
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int16_t p = p95_index[static_cast<std::size_t>(i)];
    const std::int64_t start = last_bucket_start_ns - (n - 1 - i) * kFiveMinutesNs;
    if (p != kNoPoint && start + kFiveMinutesNs > since_ns)
      out.push_back({start, sketch::bucket_value(p)});
  }
  return out;
}

namespace {
// The counts of the period (a day, an hour) that ts_ns falls in, in `periods`
// (ascending by index, only the `keep` periods up to the newest): added if missing,
// dropping those it ends; null for a late line of a period before them.
template <class Period>
Period* period_of(std::vector<Period>& periods, std::int64_t ts_ns, std::int64_t period_ns,
                  std::int64_t keep) {
  // Nearly every line is of the newest period: no division, no search.
  if (!periods.empty()) {
    const std::int64_t start = periods.back().index * period_ns;
    if (ts_ns >= start && ts_ns - start < period_ns) return &periods.back();
  }
  const std::int64_t index = floor_div(ts_ns, period_ns);
  if (periods.empty() || periods.back().index < index) {
    const auto first = std::find_if(periods.begin(), periods.end(),
                                    [&](const Period& p) { return p.index > index - keep; });
    periods.erase(periods.begin(), first);
    Period& p = periods.emplace_back();
    p.index = index;
    return &p;
  }
  auto it = std::lower_bound(periods.begin(), periods.end(), index,
                             [](const Period& p, std::int64_t v) { return p.index < v; });
  if (it->index == index) return &*it;
  if (index <= periods.back().index - keep) return nullptr;
  Period p{};
  p.index = index;
  return &*periods.insert(it, p);
}
}  // namespace

void ServiceWindow::count_slo(std::int64_t ts_ns, std::size_t above) {
  if (BudgetDay* d = period_of(budget_days_, ts_ns, kDayNs, budget_->days)) {
    ++d->total;
    d->slow += above > budget_slow_;
  }
  if (SloHour* h = period_of(open_hours_, ts_ns, kHourNs, kKeptHours)) ++h->above[above];
}

void ServiceWindow::finalize_hours(std::int64_t end) {
  const auto open_end = std::find_if(open_hours_.begin(), open_hours_.end(),
                                     [&](const SloHour& h) { return h.index >= end; });
  const auto kept = [&](const SloHour& h) { return h.index >= end - kKeptHours; };
  auto next = std::make_shared<FinalHours>();
  auto& hours = next->hours;
  hours.reserve((final_hours_ ? final_hours_->hours.size() : 0) +
                static_cast<std::size_t>(open_end - open_hours_.begin()));
  if (final_hours_) std::ranges::copy_if(final_hours_->hours, std::back_inserter(hours), kept);
  std::copy_if(open_hours_.begin(), open_end, std::back_inserter(hours), kept);
  open_hours_.erase(open_hours_.begin(), open_end);
  next->end = end;
  for (std::size_t w = 0; w < kBurnWindows.size(); ++w) {
    std::uint64_t total = 0, slow = 0;
    for (const SloHour& h : hours) {
      if (h.index < end - kBurnWindows[w].hours) continue;
      total += h.total();
      slow += h.slow(budget_slow_);
    }
    next->burn_rates[w] = total == 0 ? kNaN
                                     : static_cast<double>(slow) / static_cast<double>(total) /
                                           (1 - budget_->objective);
  }
  final_hours_ = std::move(next);
}

// Every heap block as the allocator holds it (core::heap_bytes), so that the
// figure matches what the process's resident memory grows by per service.
std::size_t ServiceWindow::memory_bytes() const {
  using core::heap_bytes;
  std::size_t bytes = sizeof(*this) + heap_bytes(trend_.capacity() * sizeof(std::int16_t)) +
                      heap_bytes(minutes_.capacity() * sizeof(Minute));
  for (const auto& m : minutes_)
    if (m.sketch) bytes += heap_bytes(sizeof(sketch::LatencySketch)) + m.sketch->memory_bytes();
  for (const auto* d : {&fives_, &hours_}) {
    bytes += heap_bytes(d->capacity() * sizeof(Archived));
    for (const auto& a : *d) bytes += a.sketch.memory_bytes();
  }
  for (const auto* s : {&five_acc_, &hour_acc_, &fives_sum_, &hours_sum_})
    bytes += s->memory_bytes();
  bytes += day_sum_.memory_bytes() + week_ago_day_sum_.memory_bytes();
  bytes += expired_.memory_bytes() + heap_bytes(completed_.capacity() * sizeof(Completed));
  for (const auto& c : completed_) bytes += c.sketch.memory_bytes();
  bytes += heap_bytes(budget_days_.capacity() * sizeof(BudgetDay));
  bytes += heap_bytes(open_hours_.capacity() * sizeof(SloHour));
  if (final_hours_) bytes += heap_bytes(final_hours_->hours.capacity() * sizeof(SloHour));
  return bytes;
}

}  // namespace lle::window

namespace lle::window {
namespace {

void put_sketch(core::Writer& w, const sketch::LatencySketch& s) {
  std::string b;
  s.encode(b);
  w.str(b);
}

bool get_sketch(core::Reader& r, sketch::LatencySketch::Encoding e, sketch::LatencySketch* s) {
  const auto b = r.str();
  return r.ok() && sketch::LatencySketch::decode(b, s, e);
}

template <class Counts>
void put_counts(core::Writer& w, const Counts& c) {
  w.u64(c.size());
  for (auto v : c) w.u64(v);
}

// A version with fewer (or more) counters than this one keeps what both know.
template <class Counts>
void get_counts(core::Reader& r, Counts& c) {
  const std::uint64_t n = r.count();
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t v = r.u64();
    if (i < c.size()) c[i] = v;
  }
}

}  // namespace

void ServiceWindow::save(core::Writer& w) const {
  w.i64(now_ns_);
  w.i64(horizon_minute_);
  w.u64(minutes_.size());
  for (const auto& m : minutes_) {
    w.i64(m.index);
    w.u64(m.final ? 1 : 0);
    if (m.sketch) {
      put_sketch(w, *m.sketch);
    } else {
      sketch::LatencySketch s;
      s.merge(m.few);
      put_sketch(w, s);
    }
  }
  w.i64(five_acc_bucket_);
  put_sketch(w, five_acc_);
  // The open hour as it was always saved: every final minute of it, the open
  // 5-minute bucket's included.
  w.i64(hour_acc_hour_);
  sketch::LatencySketch hour = hour_acc_;
  hour.merge(five_acc_);
  hour.set_sum(hour_sum_);
  put_sketch(w, hour);
  for (const auto* archive : {&fives_, &hours_}) {
    w.u64(archive->size());
    for (const auto& a : *archive) {
      w.i64(a.index);
      w.str(a.sketch.bytes());
    }
  }
  put_sketch(w, fives_sum_);
  put_sketch(w, hours_sum_);
  // The trend from its oldest point, ending at trend_latest_ (state format 3 wrote
  // its 7-day ring here, always kTrendPoints long: the 1 tells them apart).
  const TrendSeries trend = trend_series();
  w.u64(1);
  w.u64(trend.p95_index.size());
  for (const std::int16_t p : trend.p95_index) w.i64(p);
  w.i64(trend_latest_);
  w.u64(static_cast<std::uint64_t>(trend_points_));
  w.u64(accepted_);
  w.f64(latency_total_);
  put_counts(w, by_status_);
  w.u64(clamped_low_);
  w.u64(clamped_high_);
  w.f64(min_);
  w.f64(max_);
  w.i64(first_event_);
  w.i64(last_event_);
  put_counts(w, rejects_);
  w.str(expired_.bytes());  // since state format 3
  // Since state format 5: the lines above each threshold, by threshold, so that a
  // changed list keeps the counts of those it still has.
  const auto& slow = *options_.slow;
  w.u64(slow.ms.size());
  for (std::size_t i = 0; i < slow.ms.size(); ++i) {
    w.f64(slow.ms[i]);
    w.u64(slow_[i]);
  }
  // Since state format 6: the SLO budget's days, with the threshold they count.
  w.f64(budget_ ? budget_->threshold_ms : 0);
  w.u64(budget_days_.size());
  for (const BudgetDay& d : budget_days_) {
    w.i64(d.index);
    w.u64(d.total);
    w.u64(d.slow);
  }
  // And its hours, at every threshold (in the order of the list above).
  const auto save_hour = [&](const SloHour& h) {
    w.i64(h.index);
    w.u64(h.total());
    for (std::size_t i = 0; i < slow.ms.size(); ++i) w.u64(h.slow(i));
  };
  w.u64((final_hours_ ? final_hours_->hours.size() : 0) + open_hours_.size());
  if (final_hours_) std::ranges::for_each(final_hours_->hours, save_hour);
  std::ranges::for_each(open_hours_, save_hour);
}

// A snapshot's checksum proves it was not damaged, not that it was written by
// this code: every index is range-checked so that no arithmetic on it (index *
// period, index + 1, the trend ring) can overflow, and lists must ascend.
bool ServiceWindow::load(core::Reader& r, sketch::LatencySketch::Encoding encoding) {
  // An index of `period_ns` periods whose start, and the next's, fit in int64.
  const auto index_ok = [](std::int64_t index, std::int64_t period_ns, bool none_allowed) {
    if (index == kNone) return none_allowed;
    return index > INT64_MIN / period_ns + 1 && index < INT64_MAX / period_ns - 1;
  };
  ServiceWindow x(options_, {});
  x.budget_ = budget_;
  x.budget_slow_ = budget_slow_;
  x.now_ns_ = r.i64();
  x.horizon_minute_ = r.i64();
  if (!index_ok(x.horizon_minute_, kNanosPerMinute, true)) return false;
  for (std::uint64_t n = r.count(), i = 0; i < n && r.ok(); ++i) {
    Minute m;
    m.index = r.i64();
    m.final = r.u64() != 0;
    m.sketch = std::make_unique<sketch::LatencySketch>();
    if (!index_ok(m.index, kNanosPerMinute, false)) return false;
    if (!x.minutes_.empty() && m.index <= x.minutes_.back().index) return false;
    if (!get_sketch(r, encoding, m.sketch.get())) return false;
    x.minutes_.push_back(std::move(m));
  }
  x.five_acc_bucket_ = r.i64();
  if (!index_ok(x.five_acc_bucket_, kFiveMinutesNs, true)) return false;
  if (!get_sketch(r, encoding, &x.five_acc_)) return false;
  x.hour_acc_hour_ = r.i64();
  if (!index_ok(x.hour_acc_hour_, kHourNs, true)) return false;
  if (!get_sketch(r, encoding, &x.hour_acc_)) return false;
  // The open bucket's minutes are in the saved hour too (exact: counts are integers).
  x.hour_sum_ = x.hour_acc_.sum();
  if (!x.hour_acc_.subtract(x.five_acc_)) return false;
  for (auto* archive : {&x.fives_, &x.hours_}) {
    const std::int64_t period = archive == &x.fives_ ? kFiveMinutesNs : kHourNs;
    for (std::uint64_t n = r.count(), i = 0; i < n && r.ok(); ++i) {
      const std::int64_t index = r.i64();
      if (!index_ok(index, period, false)) return false;
      if (!archive->empty() && index <= archive->back().index) return false;
      const auto bytes = r.str();
      auto s = encoding == sketch::LatencySketch::Encoding::kBlockRice
                   ? sketch::CompactSketch::from_checksummed(bytes)
                   : sketch::CompactSketch::from_format_1(bytes);
      if (!r.ok()) return false;
      archive->push_back({index, std::move(s)});
    }
  }
  if (!get_sketch(r, encoding, &x.fives_sum_) || !get_sketch(r, encoding, &x.hours_sum_))
    return false;
  // The trend: from state format 4 on a series ending at trend_latest_ (a 1, then
  // up to 14 days of points); before, the 7-day ring (bucket b at b mod its size).
  const std::uint64_t form = r.count();
  if (form != 1 && form != kTrendPoints) return false;
  const std::uint64_t n = form == 1 ? r.count() : kTrendPoints;
  if (n > kKeptTrendPoints) return false;
  std::vector<std::int16_t> saved(n);
  bool any = false;
  for (auto& p : saved) {
    const std::int64_t v = r.i64();
    if (v != kNoPoint && (v < sketch::kMinIndex || v > sketch::kMaxIndex)) return false;
    p = static_cast<std::int16_t>(v);
    any = any || p != kNoPoint;
  }
  x.trend_latest_ = r.i64();
  if (!index_ok(x.trend_latest_, kFiveMinutesNs, true) ||
      (x.trend_latest_ != kNone && x.trend_latest_ < INT64_MIN / kFiveMinutesNs + kKeptTrendPoints))
    return false;
  x.trend_points_ = 0;
  if (any && x.trend_latest_ != kNone) {
    const auto len = static_cast<std::int64_t>(n);
    const auto saved_at = [&](std::int64_t b) {
      const std::int64_t i = form == 1 ? b - (x.trend_latest_ - len + 1) : floor_mod(b, len);
      return saved[static_cast<std::size_t>(i)];
    };
    x.trend_oldest_ = x.trend_latest_ - len + 1;
    while (saved_at(x.trend_oldest_) == kNoPoint) ++x.trend_oldest_;  // `any`: one has
    x.make_trend_room(x.trend_latest_);
    for (std::int64_t b = x.trend_oldest_; b <= x.trend_latest_; ++b) {
      const std::int16_t p = saved_at(b);
      x.trend_slot(b) = p;
      x.trend_points_ += p != kNoPoint && b > x.trend_latest_ - kTrendPoints;
    }
  }
  r.u64();  // the points with data, counted above instead
  x.accepted_ = r.u64();
  x.latency_total_ = r.f64();
  get_counts(r, x.by_status_);
  x.clamped_low_ = r.u64();
  x.clamped_high_ = r.u64();
  x.min_ = r.f64();
  x.max_ = r.f64();
  x.first_event_ = r.i64();
  x.last_event_ = r.i64();
  get_counts(r, x.rejects_);
  // State format 2 ends here: its lifetime histogram starts with the 7 days it holds.
  if (r.ok() && !r.done()) {
    const auto bytes = r.str();
    if (r.ok()) x.expired_ = sketch::CompactSketch::from_checksummed(bytes);
  }
  // State format 4 ends here: its slow-line counts start at zero.
  const auto& ms = x.options_.slow->ms;
  std::vector<std::ptrdiff_t> column;  // each saved threshold's index now, or -1
  if (r.ok() && !r.done()) {
    const std::uint64_t n = r.count();
    if (n > kMaxSlowThresholds) return false;
    for (std::uint64_t i = 0; i < n && r.ok(); ++i) {
      const double threshold = r.f64();
      const std::uint64_t count = r.u64();
      const auto at = std::find(ms.begin(), ms.end(), threshold);
      column.push_back(at == ms.end() ? -1 : at - ms.begin());
      if (at != ms.end()) x.slow_[static_cast<std::size_t>(column.back())] = count;
    }
  }
  // State format 5 ends here: its SLO budgets start empty. A budget whose threshold
  // changed starts again, as does one of a service that had none.
  if (r.ok() && !r.done()) {
    const double threshold = r.f64();
    const std::uint64_t n = r.count();
    if (n > kMaxBudgetDays) return false;
    std::vector<BudgetDay> days;
    for (std::uint64_t i = 0; i < n && r.ok(); ++i) {
      const BudgetDay d{r.i64(), r.u64(), r.u64()};
      if (!index_ok(d.index, kDayNs, false) || d.slow > d.total ||
          (!days.empty() && d.index <= days.back().index)) {
        return false;
      }
      days.push_back(d);
    }
    if (x.budget_ && threshold == x.budget_->threshold_ms) {
      // A shorter period keeps what it still covers.
      const auto first = std::find_if(days.begin(), days.end(), [&](const auto& d) {
        return d.index > days.back().index - x.budget_->days;
      });
      x.budget_days_.assign(first, days.end());
    }
  }
  // The hours: kept if every threshold counted now was counted then (a threshold
  // new to the list would read as no slow lines in them).
  if (r.ok() && !r.done()) {
    const std::uint64_t n = r.count();
    if (n > 2 * kKeptHours) return false;  // final ones, and open ones (within kKeptHours)
    bool complete = true;
    for (std::size_t i = 0; i < ms.size(); ++i)
      complete =
          complete && std::ranges::find(column, static_cast<std::ptrdiff_t>(i)) != column.end();
    SloHours hours;
    for (std::uint64_t i = 0; i < n && r.ok(); ++i) {
      SloHour h;
      h.index = r.i64();
      const std::uint64_t total = r.u64();
      // Above each threshold (ascending) no more lines than above the one before.
      SlowCounts slow{};  // by threshold now
      std::uint64_t before = total;
      for (const std::ptrdiff_t c : column) {
        const std::uint64_t count = r.u64();
        if (count > before) return false;
        before = count;
        if (c >= 0) slow[static_cast<std::size_t>(c)] = count;
      }
      if (complete) {
        before = total;
        for (std::size_t k = 0; k < ms.size(); ++k) {
          if (slow[k] > before) return false;
          h.above[k] = before - slow[k];
          before = slow[k];
        }
        h.above[ms.size()] = before;
      }
      if (!index_ok(h.index, kHourNs, false) || (!hours.empty() && h.index <= hours.back().index))
        return false;
      hours.push_back(h);
    }
    if (x.budget_ && complete) {
      x.open_hours_ = std::move(hours);
      if (x.horizon_minute_ != kNone)
        x.finalize_hours(floor_div(x.horizon_minute_, kMinutesPerHour));
    }
  }
  if (!r.ok()) return false;
  x.restore_day_sums();
  *this = std::move(x);
  return true;
}

}  // namespace lle::window
