#include "exporter/window/store.h"

#include <algorithm>
#include <unordered_map>

namespace lle::window {
namespace {
constexpr std::uint64_t kNeverSeen = ~std::uint64_t{0};
constexpr std::int16_t kNoPoint = TrendSeries::kNoPoint;

// Moves a series' last bucket forward to `bucket`: points 14 days older go.
void move_series_to(TrendSeries& s, std::int64_t bucket) {
  const std::int64_t last = core::floor_div(s.last_bucket_start_ns, kFiveMinutesNs);
  if (bucket <= last) return;
  s.last_bucket_start_ns = bucket * kFiveMinutesNs;
  auto& v = s.p95_index;
  if (bucket - last >= kKeptTrendPoints) v.clear();
  if (v.empty()) return;
  v.insert(v.end(), static_cast<std::size_t>(bucket - last), kNoPoint);
  if (v.size() > kKeptTrendPoints) v.erase(v.begin(), v.end() - kKeptTrendPoints);
  v.erase(v.begin(), std::find_if(v.begin(), v.end(), [](auto p) { return p != kNoPoint; }));
}

// Sets the point of `bucket` (moving the series' end to it if later); one older
// than the series' 7 days is dropped.
void set_point(TrendSeries& s, std::int64_t bucket, std::int16_t p95) {
  move_series_to(s, bucket);
  const std::int64_t back = core::floor_div(s.last_bucket_start_ns, kFiveMinutesNs) - bucket;
  if (back >= kKeptTrendPoints) return;
  auto& v = s.p95_index;
  const auto need = static_cast<std::size_t>(back) + 1;
  if (v.size() < need) v.insert(v.begin(), need - v.size(), kNoPoint);
  v[v.size() - need] = p95;
}

}  // namespace

Store::Store(std::vector<core::ServiceInfo> services, const Options& options)
    : services_(std::make_shared<const std::vector<core::ServiceInfo>>(std::move(services))),
      dirty_(services_->size(), true),
      filling_(services_->size(), false),
      views_(services_->size()),
      trends_(services_->size()),
      trends_seen_(services_->size(), kNeverSeen),
      days_seen_(services_->size(), kNeverSeen),
      hours_seen_(services_->size(), kNeverSeen),
      is_open_(services_->size(), false),
      exemplars_(services_->size()),
      options_(options) {
  windows_.reserve(services_->size());
  for (const auto& s : *services_) windows_.emplace_back(options, s.id);
  std::vector<std::string> names;
  for (const auto& s : *services_) names.push_back(s.team);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  team_members_.resize(names.size());
  team_sketches_.resize(names.size());
  team_hours_.resize(names.size());
  team_trend_.resize(names.size());
  team_trends_.resize(names.size());
  team_trend_changed_.resize(names.size());
  team_pending_.resize(names.size());
  for (const auto& name : names) teams_.push_back({name, 0, {}, {}, {}, {}, {}});
  for (std::size_t i = 0; i < services_->size(); ++i) {
    const auto at = std::lower_bound(names.begin(), names.end(), (*services_)[i].team);
    team_of_.push_back(static_cast<std::size_t>(at - names.begin()));
    team_members_[team_of_.back()].push_back(i);
    ++teams_[team_of_.back()].services;
  }
}

void Store::reject(int service, core::RejectReason reason) {
  if (service < 0) {
    ++unknown_rejects_[static_cast<std::size_t>(reason)];
    return;
  }
  windows_[static_cast<std::size_t>(service)].count_reject(reason);
  dirty_[static_cast<std::size_t>(service)] = true;
}

void Store::close_open_minutes() {
  for (std::size_t i = 0; i < windows_.size(); ++i) {
    windows_[i].close_open_minutes();
    dirty_[i] = true;
  }
  complete_team_buckets(0, true);
}

Snapshot Store::snapshot(std::int64_t now_ns) {
  // Views change with time only when a minute slice or the lateness horizon moves.
  const std::int64_t minute = core::floor_div(now_ns, core::kNanosPerMinute);
  const std::int64_t horizon =
      core::floor_div(core::saturating_add(now_ns, -options_.hold_ns), core::kNanosPerMinute);
  const bool moved = minute != views_minute_ || horizon != views_horizon_;
  views_minute_ = minute;
  views_horizon_ = horizon;
  // A team changes with any of its services: its sketches are re-gathered, from the
  // views being recomputed (while their sketches are at hand) and from the rest, but
  // for its services' completed hours, summed apart when those change (hourly).
  // Team by team, so that a team's sketches stay in the cache while its services merge
  // into them.
  std::vector<bool> team_changed(teams_.size(), false), recomputed(windows_.size(), false);
  for (std::size_t t = 0; t < teams_.size(); ++t) {
    for (const std::size_t i : team_members_[t]) {
      if (filling_[i] || (!moved && !dirty_[i])) continue;
      if (!team_changed[t]) team_sketches_[t].clear();
      team_changed[t] = recomputed[i] = true;
      views_[i] = windows_[i].view(now_ns, &team_sketches_[t]);
      dirty_[i] = false;
      if (windows_[i].trend_changes() != trends_seen_[i]) {
        trends_[i] = std::make_shared<const TrendSeries>(windows_[i].trend_series());
        trends_seen_[i] = windows_[i].trend_changes();
      }
    }
  }
  std::vector<bool> hours_changed(teams_.size(), false);
  for (std::size_t i = 0; i < windows_.size(); ++i) {
    if (windows_[i].hours_changes() == hours_seen_[i]) continue;
    hours_seen_[i] = windows_[i].hours_changes();
    const std::size_t t = team_of_[i];
    if (!team_changed[t]) team_sketches_[t].clear();
    hours_changed[t] = team_changed[t] = true;
  }
  for (std::size_t t = 0; t < teams_.size(); ++t) {
    if (!team_changed[t]) continue;
    if (hours_changed[t]) {
      team_hours_[t].clear();
      for (const std::size_t i : team_members_[t]) windows_[i].merge_hours_into(team_hours_[t]);
    }
    team_sketches_[t].baseline.merge(team_hours_[t]);
    for (const std::size_t i : team_members_[t])
      if (!recomputed[i] && !filling_[i]) windows_[i].merge_windows_into(team_sketches_[t], false);
    teams_[t].last_5m = stats_of(team_sketches_[t].last_5m);
    teams_[t].last_1h = stats_of(team_sketches_[t].last_1h);
    teams_[t].baseline = stats_of(team_sketches_[t].baseline);
  }
  complete_team_buckets(now_ns, false);  // the views moved every window to now
  // A team's 24-hour sums change only when a member's do: about twice an hour.
  std::vector<bool> days_changed(teams_.size(), false);
  for (std::size_t i = 0; i < windows_.size(); ++i) {
    if (windows_[i].day_changes() == days_seen_[i]) continue;
    days_seen_[i] = windows_[i].day_changes();
    days_changed[team_of_[i]] = true;
  }
  sketch::LatencySketch day, week_before;
  for (std::size_t t = 0; t < teams_.size(); ++t) {
    if (!days_changed[t]) continue;
    day.clear();
    week_before.clear();
    for (const std::size_t i : team_members_[t]) windows_[i].merge_days_into(day, week_before);
    teams_[t].last_24h = stats_of(day);
    teams_[t].week_before_24h = stats_of(week_before);
  }
  const std::int64_t now_five = core::floor_div(now_ns, kFiveMinutesNs);
  for (std::size_t t = 0; t < teams_.size(); ++t) {
    const std::int64_t last = team_trend_[t].last_bucket_start_ns;
    move_series_to(team_trend_[t], now_five);  // 7 days move on
    if (team_trend_changed_[t] || last != team_trend_[t].last_bucket_start_ns || !team_trends_[t])
      team_trends_[t] = std::make_shared<const TrendSeries>(team_trend_[t]);
    team_trend_changed_[t] = false;
  }
  if (!exemplar_lists_.empty()) {
    for (std::size_t i = 0; i < exemplars_.size(); ++i)
      if (exemplars_[i] && exemplars_[i]->changed()) exemplars_[i]->publish(exemplar_lists_[i]);
  }
  return Snapshot{now_ns, services_,    views_,        unknown_rejects_, trends_,
                  teams_, team_trends_, options_.slow, exemplar_lists_};
}

void Store::put_exemplar(std::size_t service, const Exemplar& e) {
  auto& x = exemplars_[service];
  if (!x) {
    x = std::make_unique<Exemplars>();
    exemplar_lists_.resize(windows_.size());
  }
  x->put(e);
}

void Store::complete_team_buckets(std::int64_t now_ns, bool closed) {
  if (!closed) {
    // Buckets before the horizon's may be complete; the next when it moves on.
    const std::int64_t horizon_five =
        core::floor_div(core::saturating_add(now_ns, -options_.hold_ns), kFiveMinutesNs);
    next_team_buckets_ns_ = core::saturating_add(
        core::saturating_add(horizon_five, 1) * kFiveMinutesNs, options_.hold_ns);
  }
  // Completed buckets go to their team's pending ones. Nothing is advanced here: a
  // window's time moves only with its own lines and publications, as inputs may run
  // on different clocks (a shard backfilling history, another tailing).
  std::vector<std::int64_t> held(teams_.size(), std::numeric_limits<std::int64_t>::max());
  std::size_t kept = 0;
  for (const std::size_t i : open_) {
    const std::size_t t = team_of_[i];
    auto& pending = team_pending_[t];
    windows_[i].take_completed_fives([&](std::int64_t b, sketch::LatencySketch&& s) {
      auto it =
          std::find_if(pending.begin(), pending.end(), [b](const auto& x) { return x.first == b; });
      if (it == pending.end())
        pending.emplace_back(b, std::move(s));
      else
        it->second.merge(s);
    });
    const std::int64_t first = windows_[i].first_incomplete_bucket();
    if (first == ServiceWindow::kNoBucket) {
      is_open_[i] = false;
      continue;
    }
    open_[kept++] = i;
    held[t] = std::min(held[t], first);
  }
  open_.resize(kept);
  // A team's bucket is final once none of its services still holds lines of it.
  for (std::size_t t = 0; t < teams_.size(); ++t) {
    auto& pending = team_pending_[t];
    if (pending.empty()) continue;
    std::sort(pending.begin(), pending.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::size_t done = 0;
    for (; done < pending.size() && pending[done].first < held[t]; ++done) {
      static constexpr double kP95[] = {0.95};
      int p95;
      pending[done].second.quantile_buckets(kP95, {&p95, 1});
      set_point(team_trend_[t], pending[done].first, static_cast<std::int16_t>(p95));
      team_trend_changed_[t] = true;
    }
    pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(done));
  }
}

void Store::set_filling(std::size_t service, bool filling) {
  filling_[service] = filling;
  dirty_[service] = true;
  views_[service] = {};
  views_[service].filling = filling;
}

void Store::save(core::Writer& w) const {
  w.u64(windows_.size() -
        static_cast<std::size_t>(std::count(filling_.begin(), filling_.end(), true)));
  for (std::size_t i = 0; i < windows_.size(); ++i) {
    if (filling_[i]) continue;
    w.str((*services_)[i].id);
    core::Writer one;  // length-prefixed, so a dropped service is skipped whole
    windows_[i].save(one);
    w.str(one.bytes());
  }
  w.u64(unknown_rejects_.size());
  for (auto v : unknown_rejects_) w.u64(v);
}

std::vector<std::string> Store::saved_ids(core::Reader& r) {
  std::vector<std::string> ids;
  for (std::uint64_t n = r.count(), i = 0; i < n && r.ok(); ++i) {
    ids.emplace_back(r.str());
    r.str();  // the window
  }
  return ids;
}

bool Store::restore(core::Reader& r, sketch::LatencySketch::Encoding encoding,
                    std::size_t* restored, core::Reader* teams) {
  std::unordered_map<std::string_view, std::size_t> index_of;
  for (std::size_t i = 0; i < services_->size(); ++i) index_of.emplace((*services_)[i].id, i);
  std::vector<std::pair<std::size_t, ServiceWindow>> loaded;
  for (std::uint64_t n = r.count(), i = 0; i < n && r.ok(); ++i) {
    const std::string_view id = r.str();
    core::Reader one(r.str());
    const auto it = index_of.find(id);
    if (it == index_of.end()) continue;
    ServiceWindow w(options_, id);
    if (!w.load(one, encoding) || !one.done()) return false;
    loaded.emplace_back(it->second, std::move(w));
  }
  core::RejectCounts unknown{};
  for (std::uint64_t n = r.count(), i = 0; i < n && r.ok(); ++i) {
    const std::uint64_t v = r.u64();
    if (i < unknown.size()) unknown[i] = v;
  }
  if (!r.ok()) return false;
  std::vector<std::pair<std::size_t, TrendSeries>> team_trends;
  if (teams && (!load_team_trends(*teams, &team_trends) || !teams->done())) return false;
  for (auto& [t, s] : team_trends) {
    team_trend_[t] = std::move(s);
    team_trend_changed_[t] = true;
  }
  for (auto& [index, w] : loaded) {
    windows_[index] = std::move(w);
    dirty_[index] = true;
    trends_seen_[index] = days_seen_[index] = kNeverSeen;
    if (!is_open_[index]) open_.push_back(index);
    is_open_[index] = true;  // its open buckets go to its team once complete
  }
  unknown_rejects_ = unknown;
  views_minute_ = views_horizon_ = 0;  // recompute every view
  *restored = loaded.size();
  return true;
}

bool Store::load_team_trends(core::Reader& r,
                             std::vector<std::pair<std::size_t, TrendSeries>>* out) const {
  for (std::uint64_t n = r.count(), i = 0; i < n && r.ok(); ++i) {
    const std::string_view team = r.str();
    TrendSeries s;
    s.last_bucket_start_ns = r.i64();
    // Whole buckets whose 14 days before and 5 minutes after fit in int64.
    if (s.last_bucket_start_ns % kFiveMinutesNs != 0 ||
        s.last_bucket_start_ns < INT64_MIN + (kKeptTrendPoints + 1) * kFiveMinutesNs ||
        s.last_bucket_start_ns > INT64_MAX - kFiveMinutesNs)
      return false;
    const std::uint64_t points = r.count();
    if (points > kKeptTrendPoints) return false;
    for (std::uint64_t k = 0; k < points && r.ok(); ++k) {
      const std::int64_t v = r.i64();
      if (v != kNoPoint && (v < sketch::kMinIndex || v > sketch::kMaxIndex)) return false;
      s.p95_index.push_back(static_cast<std::int16_t>(v));
    }
    const auto at =
        std::lower_bound(teams_.begin(), teams_.end(), team,
                         [](const TeamView& v, std::string_view name) { return v.team < name; });
    if (at != teams_.end() && at->team == team)
      out->emplace_back(static_cast<std::size_t>(at - teams_.begin()), std::move(s));
  }
  return r.ok();
}

void Store::save_team_trends(core::Writer& w) const {
  w.u64(teams_.size());
  for (std::size_t t = 0; t < teams_.size(); ++t) {
    w.str(teams_[t].team);
    w.i64(team_trend_[t].last_bucket_start_ns);
    w.u64(team_trend_[t].p95_index.size());
    for (const std::int16_t p : team_trend_[t].p95_index) w.i64(p);
  }
}

}  // namespace lle::window
