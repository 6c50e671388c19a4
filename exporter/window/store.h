#pragma once
// All services' windows plus the data-quality counters, and the immutable
// snapshots that readers (scrapes, reports) use instead of the live state.
//
// Thread safety: the Store belongs to the ingest thread. snapshot() returns a
// value that may be handed to any thread; readers never touch the Store.

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include "exporter/core/binary.h"
#include "exporter/core/reject_reason.h"
#include "exporter/core/service_info.h"
#include "exporter/window/exemplars.h"
#include "exporter/window/service_window.h"

namespace lle::window {

using Trend = std::shared_ptr<const TrendSeries>;

struct Snapshot {
  std::int64_t at_ns = 0;  // the store's "now" when taken
  std::shared_ptr<const std::vector<core::ServiceInfo>> services;
  std::vector<ServiceView> views;        // same order as *services
  core::RejectCounts unknown_rejects{};  // rejects that no service could be told for
  // Each service's 7-day trend of 5-minute P95s (same order). Shared between
  // snapshots and rebuilt only when a service's trend changed.
  std::vector<Trend> trends;
  std::vector<TeamView> teams;  // by team name
  // Each team's trend of 5-minute P95s over all its services' lines (same order).
  std::vector<Trend> team_trends;
  // The thresholds of ServiceView::slow_total.
  std::shared_ptr<const SlowThresholds> slow;
  // Each service's exemplars (same order; null lists for none), or empty when no
  // service has any (no trace_id field configured).
  std::vector<ExemplarLists> exemplars;
};

class Store {
 public:
  Store(std::vector<core::ServiceInfo> services, const Options& options);

  // service: an index into services(). Returns the time gate the line fails, if any.
  std::optional<core::RejectReason> add(std::size_t service, std::int64_t ts_ns, double seconds,
                                        int status, std::int64_t now_ns) {
    if (now_ns >= next_team_buckets_ns_) complete_team_buckets(now_ns, false);
    if (!is_open_[service]) {
      is_open_[service] = true;
      open_.push_back(service);
    }
    dirty_[service] = true;
    const auto r = windows_[service].add(ts_ns, seconds, status, now_ns);
    if (r) windows_[service].count_reject(*r);
    return r;
  }
  // Fetch into the cache what add() will touch for a line of this service: its
  // window's first lines; then, once those are there, its latest minute slice;
  // then the bucket of `seconds` in it (see Pipeline::hold_entry).
  void prefetch_window(std::size_t service) const {
    const auto* w = reinterpret_cast<const char*>(&windows_[service]);
    for (std::size_t at = 0; at < ServiceWindow::kHotBytes; at += 64) __builtin_prefetch(w + at);
  }
  void prefetch_minute(std::size_t service) const { windows_[service].prefetch_minute(); }
  void prefetch_bucket(std::size_t service, double seconds) const {
    windows_[service].prefetch_bucket(seconds);
  }
  // Exemplars (issue 20): whether an accepted line of this service, latency and
  // timestamp would be kept as one; put() keeps it.
  bool wants_exemplar(std::size_t service, double seconds, std::int64_t ts_ns) const {
    const auto& e = exemplars_[service];
    return !e || e->wants(seconds, ts_ns);
  }
  void put_exemplar(std::size_t service, const Exemplar& e);
  // service < 0: a line whose service is unknown.
  void reject(int service, core::RejectReason reason);
  // The input has ended: see ServiceWindow::close_open_minutes.
  void close_open_minutes();
  // The input is fetching the service's history (source::Hooks::filling): its
  // lines come at their own time, behind the others, so snapshot() leaves its
  // window where it is (an empty view, marked filling) and save() leaves it out
  // (a restart fetches it again whole).
  void set_filling(std::size_t service, bool filling);

  // Views for every service and team at now; recomputes only services that
  // changed or whose windows moved to a new minute since the last call, and the
  // teams of those services.
  Snapshot snapshot(std::int64_t now_ns);

  // All windows by service id, and the unknown-service rejects.
  void save(core::Writer& w) const;
  // Restores what save() wrote, matching services by id: services no longer
  // configured are dropped, new ones start empty. All or nothing: false (and
  // the store unchanged) on malformed input. *restored: services restored.
  // teams: what save_team_trends() wrote, if there is any (teams matched by name).
  bool restore(core::Reader& r, sketch::LatencySketch::Encoding encoding, std::size_t* restored,
               core::Reader* teams = nullptr);
  // The ids of the services what save() wrote holds (false-y r: malformed).
  static std::vector<std::string> saved_ids(core::Reader& r);
  // The teams' trends, by team name (a section of its own: older files have none).
  void save_team_trends(core::Writer& w) const;

 private:
  // Each time the lateness horizon passes a 5-minute boundary (seen by add()) and
  // at each snapshot(), services hand over the 5-minute buckets they completed; a
  // team's trend gets the P95 of its services' merged bucket once none of them
  // still holds lines of it. closed: the input ended (close_open_minutes).
  void complete_team_buckets(std::int64_t now_ns, bool closed);
  bool load_team_trends(core::Reader& r,
                        std::vector<std::pair<std::size_t, TrendSeries>>* out) const;

  std::shared_ptr<const std::vector<core::ServiceInfo>> services_;
  std::vector<ServiceWindow> windows_;
  std::vector<bool> dirty_;
  std::vector<bool> filling_;
  std::vector<ServiceView> views_;
  std::vector<Trend> trends_;
  std::vector<std::uint64_t> trends_seen_;  // trend_changes() when trends_ was built
  std::vector<std::uint64_t> days_seen_;    // day_changes() when its team's were summed
  std::vector<std::uint64_t> hours_seen_;   // hours_changes() when its team's were summed
  std::vector<TeamView> teams_;
  std::vector<WindowSketches> team_sketches_;           // same order; kept to reuse their room
  std::vector<sketch::LatencySketch> team_hours_;       // their services' completed hours
  std::vector<std::vector<std::size_t>> team_members_;  // same order as teams_
  std::vector<std::size_t> team_of_;                    // by service
  std::vector<TrendSeries> team_trend_;                 // same order as teams_
  std::vector<Trend> team_trends_;                      // their last published copies
  std::vector<bool> team_trend_changed_;                // since last published
  std::vector<std::vector<std::pair<std::int64_t, sketch::LatencySketch>>> team_pending_;
  // Services holding lines of buckets not yet complete (so not in their team's trend).
  std::vector<std::size_t> open_;
  std::vector<bool> is_open_;
  std::int64_t next_team_buckets_ns_ = std::numeric_limits<std::int64_t>::min();
  // Allocated with a service's first exemplar.
  std::vector<std::unique_ptr<Exemplars>> exemplars_;
  std::vector<ExemplarLists> exemplar_lists_;  // as last published; empty until the first
  Options options_;
  std::int64_t views_minute_ = 0, views_horizon_ = 0;
  core::RejectCounts unknown_rejects_{};
};

}  // namespace lle::window
