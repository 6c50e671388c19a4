#pragma once
// A service's exemplars (issue 20): for each power of two of latency, the newest
// accepted line that carried a trace id, and the slowest such line of each hour of
// the last 7 days. An exemplar leads from a slow bucket, or a breach, to the line
// in Loki: its id, latency, timestamp and the Loki stream labels that find it
// again. In memory only: a restart or a reload starts them empty (they point at
// recent lines; the counts they sit on are the state).
//
// Thread safety: Exemplars belongs to the ingest thread; the lists it publishes
// are immutable.

#include <array>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/core/clock.h"

namespace lle::window {

struct Exemplar {
  std::string id;      // the line's trace or request id (kMaxIdBytes, no quote or space)
  std::string stream;  // its Loki stream labels, {name="value",...}
  double seconds = 0;
  std::int64_t ts_ns = 0;
};

// What a snapshot holds of a service's exemplars; each list is shared between
// snapshots until it changes.
struct ExemplarLists {
  std::shared_ptr<const std::vector<Exemplar>> newest;           // per range, oldest first
  std::shared_ptr<const std::vector<Exemplar>> slowest_by_hour;  // ascending time
};

class Exemplars {
 public:
  // The native histogram's schema-0 buckets over the sketch's range (0.1 ms-100 s):
  // (2^-14, 2^-13] ... (2^6, 2^7]; values beyond fall into the edge slots.
  static constexpr int kSlots = 21;
  // A slot takes a newer line at most every 10 s of event time (Prometheus reads
  // one per scrape), unless the line is its hour's slowest so far.
  static constexpr std::int64_t kRefreshNs = 10 * core::kNanosPerSecond;
  static constexpr std::int64_t kHours = 7 * 24;  // the hours kept, besides the newest
  // 64 bytes leave the label set `trace_id="..."` within OpenMetrics's 128 characters.
  static constexpr std::size_t kMaxIdBytes = 64;

  static int slot(double seconds);
  // Whether an id can be an exemplar: 1-64 bytes of visible ASCII, no quote or
  // backslash (a link and a label value carry it unchanged).
  static bool usable_id(std::string_view id);

  // Whether a line of this latency and timestamp would be kept: its slot is due,
  // or it is the slowest yet of its hour.
  bool wants(double seconds, std::int64_t ts_ns) const {
    const std::int64_t last = last_ns_[static_cast<std::size_t>(slot(seconds))];
    if (last == kNever || ts_ns >= core::saturating_add(last, kRefreshNs)) return true;
    if (core::floor_div(ts_ns, core::kNanosPerHour) == newest_hour_) return seconds > newest_max_;
    return slower_in_its_hour(seconds, ts_ns);
  }
  void put(const Exemplar& e);
  bool changed() const { return newest_changed_ || hourly_changed_; }
  // Refreshes in `out` what changed since the last call.
  void publish(ExemplarLists& out);

 private:
  static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::min();
  bool slower_in_its_hour(double seconds, std::int64_t ts_ns) const;

  std::array<std::int64_t, kSlots> last_ns_ = filled(kNever);
  std::array<Exemplar, kSlots> slots_;
  std::deque<Exemplar> hourly_;        // ascending hour, one each, the last kHours + 1
  std::int64_t newest_hour_ = kNever;  // hourly_.back()'s hour and latency
  double newest_max_ = 0;
  bool newest_changed_ = false, hourly_changed_ = false;

  static constexpr std::array<std::int64_t, kSlots> filled(std::int64_t v) {
    std::array<std::int64_t, kSlots> a{};
    a.fill(v);
    return a;
  }
};

}  // namespace lle::window
