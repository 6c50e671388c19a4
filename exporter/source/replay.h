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
// Thread safety: load() once; then run() from one thread, or start() (see Source);
// stop() (for run()) from any thread.

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <istream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "exporter/config/config.h"
#include "exporter/core/clock.h"
#include "exporter/core/entry.h"
#include "exporter/source/source.h"

namespace lle::source {

// Declared by config (which fills it from input.replay): config cannot depend on
// this module, whose coroutines clang 14 cannot build under ASan (the fuzz preset).
using ReplayOptions = config::ReplayOptions;

struct ReplayStats {
  std::uint64_t records = 0;
  std::uint64_t entries = 0;  // well-formed entries: what run() delivers
  std::uint64_t malformed_records = 0;
  std::uint64_t malformed_entries = 0;
  std::vector<std::string> first_errors;  // "record N: what", at most 10
};

class Replay final : public Source {
 public:
  using Sink = std::function<void(const core::Entry&, std::int64_t now_ns)>;

  // Reads the whole input once. Throws std::runtime_error when the input cannot
  // be opened or read; malformed records are counted in stats(), never fatal.
  static Replay load(const ReplayOptions& options, const core::Clock& wall,
                     std::istream& standard_input);

  // Delivers every entry in order, at once (no pacing), then lets go of the input.
  // Returns false if stopped early. Throws std::runtime_error when the input can
  // no longer be read, or has been run before.
  bool run(const Sink& sink);
  void stop() { stopped_.store(true); }

  // As a Source: batches of entries on io, paced by a timer at options.speed;
  // started again on another io_context it goes on where it stopped, and once
  // finished it only reports the end again. hooks.progress first gets the
  // records counted by load(); hooks.ended gets an error if the input failed.
  void start(boost::asio::io_context& io, Hooks hooks) override;
  // The replay time of the last entry delivered (0 before the first).
  std::int64_t vouched_ns() const override;

  const ReplayStats& stats() const { return stats_; }

  Replay(Replay&& other) noexcept;
  Replay& operator=(Replay&&) = delete;
  ~Replay() override;

 private:
  Replay() = default;
  class Blocks;
  const core::Entry* next(std::int64_t* now);
  void deliver(const core::Entry& e, std::int64_t now, const Sink& sink);
  void finish();
  boost::asio::awaitable<void> deliver_all(Hooks hooks);

  ReplayOptions options_;
  int fd_ = -1;        // the input, read twice
  bool jsonl_ = true;  // one record per line, or JSON values one after another
  bool newest_first_ = false;
  std::int64_t shift_ = 0;             // added to every timestamp (rebase_to_now)
  std::vector<std::uint64_t> blocks_;  // offsets where runs of whole records begin; then the end
  ReplayStats stats_;
  std::atomic<bool> stopped_{false};

  // Where delivery stands (run() or the coroutine; never both).
  std::unique_ptr<Blocks> blocks_cursor_;
  std::uint64_t delivered_ = 0;
  std::int64_t ts1_ = 0, ts2_ = 0;  // the last two timestamps delivered
  std::int64_t now_ = std::numeric_limits<std::int64_t>::min(), first_now_ = 0;
  std::chrono::steady_clock::time_point paced_from_;  // when the first entry went out
  bool counted_ = false;                              // progress has had load()'s counts
};

}  // namespace lle::source
