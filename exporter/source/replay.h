#pragma once
// Replays a recorded Loki export: logcli --output=jsonl, Loki query/query_range
// responses, or recorded tail messages, from a file or stdin, one JSON value per
// line (JSONL) or pretty-printed values one after another.
//
// Replay drives time: each entry is delivered with a "now" that follows the
// recorded timestamps, the median of the entry's and its neighbours' (see
// set_replay_time), so a lone line stamped years ahead or behind stays there and
// is rejected by the gates, while a real gap in the data moves time on. Input
// recorded newest-first (logcli's default, judged from every neighbouring pair)
// is reversed.
//
// Thread safety: load() once; run() from one thread; stop() from any thread.

#include <atomic>
#include <cstdint>
#include <functional>
#include <istream>
#include <string>
#include <utility>
#include <vector>

#include "exporter/core/clock.h"
#include "exporter/core/entry.h"

namespace lle::source {

struct ReplayOptions {
  std::string path;            // a file, or "-" for stdin
  bool rebase_to_now = false;  // shift all timestamps so the newest is now
  double speed = 0;            // 0: as fast as possible; 1: real time; 10: ten times faster
};

struct ReplayStats {
  std::uint64_t records = 0;
  std::uint64_t malformed_records = 0;
  std::uint64_t malformed_entries = 0;
  std::vector<std::string> first_errors;  // "record N: what", at most 10
};

class Replay {
 public:
  using Sink = std::function<void(const core::Entry&, std::int64_t now_ns)>;

  // Reads and decodes the whole input. Throws std::runtime_error when the input
  // cannot be opened; malformed records are counted in stats(), never fatal.
  static Replay load(const ReplayOptions& options, const core::Clock& wall,
                     std::istream& standard_input);

  // Delivers every entry in order. Returns false if stopped early.
  bool run(const Sink& sink) const;
  void stop() { stopped_.store(true); }

  const ReplayStats& stats() const { return stats_; }

  Replay(Replay&& other) noexcept;

 private:
  Replay() = default;
  struct Recorded {
    std::uint32_t label_set;
    std::int64_t ts;
    std::int64_t now;  // replay time when it is delivered
    std::string line;
  };
  static void set_replay_time(std::vector<Recorded>& entries);

  ReplayOptions options_;
  std::vector<std::vector<std::pair<std::string, std::string>>> label_sets_;
  std::vector<Recorded> entries_;
  ReplayStats stats_;
  std::atomic<bool> stopped_{false};
};

}  // namespace lle::source
