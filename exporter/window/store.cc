#include "exporter/window/store.h"

#include <algorithm>
#include <unordered_map>

namespace lle::window {
namespace {
constexpr std::uint64_t kNeverSeen = ~std::uint64_t{0};
}

Store::Store(std::vector<core::ServiceInfo> services, const Options& options)
    : services_(std::make_shared<const std::vector<core::ServiceInfo>>(std::move(services))),
      dirty_(services_->size(), true),
      views_(services_->size()),
      trends_(services_->size()),
      trends_seen_(services_->size(), kNeverSeen),
      options_(options) {
  windows_.reserve(services_->size());
  for (std::size_t i = 0; i < services_->size(); ++i) windows_.emplace_back(options);
  std::vector<std::string> names;
  for (const auto& s : *services_) names.push_back(s.team);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  team_members_.resize(names.size());
  team_sketches_.resize(names.size());
  for (const auto& name : names) teams_.push_back({name, 0, {}, {}, {}});
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
  // views being recomputed (while their sketches are at hand) and from the rest.
  std::vector<bool> team_changed(teams_.size(), false), recomputed(windows_.size(), false);
  for (std::size_t i = 0; i < windows_.size(); ++i) {
    if (!moved && !dirty_[i]) continue;
    const std::size_t t = team_of_[i];
    if (!team_changed[t]) team_sketches_[t].clear();
    team_changed[t] = recomputed[i] = true;
    views_[i] = windows_[i].view(now_ns, &team_sketches_[t]);
    dirty_[i] = false;
    if (windows_[i].trend_changes() != trends_seen_[i]) {
      trends_[i] = std::make_shared<const TrendSeries>(windows_[i].trend_series());
      trends_seen_[i] = windows_[i].trend_changes();
    }
  }
  for (std::size_t t = 0; t < teams_.size(); ++t) {
    if (!team_changed[t]) continue;
    for (const std::size_t i : team_members_[t])
      if (!recomputed[i]) windows_[i].merge_windows_into(team_sketches_[t]);
    teams_[t].last_5m = stats_of(team_sketches_[t].last_5m);
    teams_[t].last_1h = stats_of(team_sketches_[t].last_1h);
    teams_[t].baseline = stats_of(team_sketches_[t].baseline);
  }
  return Snapshot{now_ns, services_, views_, unknown_rejects_, trends_, teams_};
}

void Store::save(core::Writer& w) const {
  w.u64(windows_.size());
  for (std::size_t i = 0; i < windows_.size(); ++i) {
    w.str((*services_)[i].id);
    core::Writer one;  // length-prefixed, so a dropped service is skipped whole
    windows_[i].save(one);
    w.str(one.bytes());
  }
  w.u64(unknown_rejects_.size());
  for (auto v : unknown_rejects_) w.u64(v);
}

bool Store::restore(core::Reader& r, sketch::LatencySketch::Encoding encoding,
                    std::size_t* restored) {
  std::unordered_map<std::string_view, std::size_t> index_of;
  for (std::size_t i = 0; i < services_->size(); ++i) index_of.emplace((*services_)[i].id, i);
  std::vector<std::pair<std::size_t, ServiceWindow>> loaded;
  for (std::uint64_t n = r.count(), i = 0; i < n && r.ok(); ++i) {
    const std::string_view id = r.str();
    core::Reader one(r.str());
    const auto it = index_of.find(id);
    if (it == index_of.end()) continue;
    ServiceWindow w(options_);
    if (!w.load(one, encoding) || !one.done()) return false;
    loaded.emplace_back(it->second, std::move(w));
  }
  core::RejectCounts unknown{};
  for (std::uint64_t n = r.count(), i = 0; i < n && r.ok(); ++i) {
    const std::uint64_t v = r.u64();
    if (i < unknown.size()) unknown[i] = v;
  }
  if (!r.ok()) return false;
  for (auto& [index, w] : loaded) {
    windows_[index] = std::move(w);
    dirty_[index] = true;
    trends_seen_[index] = kNeverSeen;
  }
  unknown_rejects_ = unknown;
  views_minute_ = views_horizon_ = 0;  // recompute every view
  *restored = loaded.size();
  return true;
}

}  // namespace lle::window
