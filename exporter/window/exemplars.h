#pragma once
// A service's exemplars: for each power of two of latency, the newest accepted
// line that carried a trace id (issue 20). An exemplar leads from a slow bucket
// of the histogram to the line in Loki: its id, latency, timestamp and the Loki
// stream labels that find it again. In memory only: a restart or a reload starts
// them empty (they point at recent lines; the counts they sit on are the state).
//
// Thread safety: Exemplars belongs to the ingest thread; the lists it hands out
// are immutable.

#include <array>
#include <cstdint>
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
using ExemplarList = std::shared_ptr<const std::vector<Exemplar>>;  // oldest first

class Exemplars {
 public:
  // The native histogram's schema-0 buckets over the sketch's range (0.1 ms-100 s):
  // (2^-14, 2^-13] ... (2^6, 2^7]; values beyond fall into the edge slots.
  static constexpr int kSlots = 21;
  // A slot takes a newer line at most every 10 s of event time: Prometheus reads
  // one per scrape, and a line per refresh costs the copy of its id and labels.
  static constexpr std::int64_t kRefreshNs = 10 * core::kNanosPerSecond;
  // 64 bytes leave the label set `trace_id="..."` within OpenMetrics's 128 characters.
  static constexpr std::size_t kMaxIdBytes = 64;

  static int slot(double seconds);
  // Whether an id can be an exemplar: 1-64 bytes of visible ASCII, no quote or
  // backslash (a link and a label value carry it unchanged).
  static bool usable_id(std::string_view id);

  // Whether a line of this latency and timestamp would replace its slot's.
  bool wants(double seconds, std::int64_t ts_ns) const {
    const std::int64_t last = last_ns_[static_cast<std::size_t>(slot(seconds))];
    return last == kNever || ts_ns >= core::saturating_add(last, kRefreshNs);
  }
  void put(const Exemplar& e);
  // What changed since the last list(): the exemplars held, oldest first.
  bool changed() const { return changed_; }
  ExemplarList list();

 private:
  static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::min();
  std::array<std::int64_t, kSlots> last_ns_ = filled(kNever);
  std::array<Exemplar, kSlots> slots_;
  bool changed_ = false;

  static constexpr std::array<std::int64_t, kSlots> filled(std::int64_t v) {
    std::array<std::int64_t, kSlots> a{};
    a.fill(v);
    return a;
  }
};

}  // namespace lle::window
