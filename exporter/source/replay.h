#pragma once
// Replays a recorded Loki export: logcli --output=jsonl, Loki query/query_range
// responses, or recorded tail messages, from a file or stdin, one JSON value per
// line (JSONL) or pretty-printed values one after another.
//
// Replay drives time: each entry is delivered with a "now" that follows the
// recorded timestamps, the median of the entry's and its neighbours' (see
// replay.cc), so a lone line stamped years ahead or behind stays there and is
// rejected by the gates, while a real gap in the data moves time on. Input
// recorded newest-first (logcli's default, judged from every neighbouring pair)
// is delivered oldest-first.
//
// Streaming: nothing holds the whole export. load() reads it once to count its
// records, judge its order and find where time ends (for --rebase-to-now); run()
// reads it again, about 1 MiB of whole records at a time, forwards or backwards.
// Standard input, or any input that is not a regular file, is first copied to an
// unlinked temporary file in $TMPDIR (or /tmp). Memory is bounded by a few such
// blocks, or by the largest single record when one is larger.
//
// Thread safety: load() once; run() once, from one thread; stop() from any thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <istream>
#include <string>
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
  std::uint64_t entries = 0;  // well-formed entries: what run() delivers
  std::uint64_t malformed_records = 0;
  std::uint64_t malformed_entries = 0;
  std::vector<std::string> first_errors;  // "record N: what", at most 10
};

class Replay {
 public:
  using Sink = std::function<void(const core::Entry&, std::int64_t now_ns)>;

  // Reads the whole input once. Throws std::runtime_error when the input cannot
  // be opened or read; malformed records are counted in stats(), never fatal.
  static Replay load(const ReplayOptions& options, const core::Clock& wall,
                     std::istream& standard_input);

  // Delivers every entry in order, then lets go of the input. Returns false if
  // stopped early. Throws std::runtime_error when the input can no longer be read.
  bool run(const Sink& sink);
  void stop() { stopped_.store(true); }

  const ReplayStats& stats() const { return stats_; }

  Replay(Replay&& other) noexcept;
  Replay& operator=(Replay&&) = delete;
  ~Replay();

 private:
  Replay() = default;
  class Blocks;
  bool pace(std::int64_t now, std::int64_t first_now,
            std::chrono::steady_clock::time_point started) const;

  ReplayOptions options_;
  int fd_ = -1;        // the input, read twice
  bool jsonl_ = true;  // one record per line, or JSON values one after another
  bool newest_first_ = false;
  std::int64_t shift_ = 0;             // added to every timestamp (rebase_to_now)
  std::vector<std::uint64_t> blocks_;  // offsets where runs of whole records begin; then the end
  ReplayStats stats_;
  std::atomic<bool> stopped_{false};
};

}  // namespace lle::source
