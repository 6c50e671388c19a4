#pragma once
// What the ingest engine knows of an input. The Loki input (loki::Input) and a
// recorded export (source::Replay) implement it; both run as coroutines on the
// engine's io_context, and the engine never asks which one it has.
// Thread safety: every member is called from the thread that runs the
// io_context the source was started on, or while that io_context is stopped.

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "exporter/core/entry.h"
#include "exporter/core/shard_status.h"

namespace lle::source {

// Records read by a source, beside the entries it delivers.
struct Progress {
  std::uint64_t records = 0, malformed_records = 0, malformed_entries = 0;
  double busy_seconds = 0;  // wall time spent delivering (parse_seconds_total)
};

struct Hooks {
  // An entry delivered at `now`, the source's event time. False: it came too late
  // for its window and is lost.
  std::function<bool(const core::Entry&, std::int64_t now_ns)> entry;
  // The same for a source that needs no answer (optional: else entry): the
  // pipeline may hold the entry (a few lines, values copied) and add it by the
  // next progress() call at the latest, so that it can fetch the next lines'
  // state while adding these.
  std::function<void(const core::Entry&, std::int64_t now_ns)> held_entry;
  // Counts since the last call; entries held are added before it returns.
  std::function<void(const Progress&)> progress;
  // A finite source has delivered everything, or (error) could not go on.
  std::function<void(const std::string& error)> ended;
  // Optional. A service whose history the source is still fetching (filling) gets
  // its lines at their own time, behind the others: its window must not be moved
  // to the present (published) until the source calls this again with false.
  std::function<void(int service, bool filling)> filling;
};

class Source {
 public:
  virtual ~Source() = default;
  // Starts delivering on io; returns at once. Once io has stopped, a source may
  // be started again on another io_context (the next generation, after a reload):
  // a replay goes on where it stopped; the Loki input is built anew instead.
  virtual void start(boost::asio::io_context& io, Hooks hooks) = 0;
  // The time the state may be published at: later than any line the source
  // has delivered, and never so late that lines still to come would be too late.
  virtual std::int64_t vouched_ns() const = 0;
  // Its connections' health, for /metrics and the status page (none: a replay).
  virtual std::vector<core::ShardStatus> status() const { return {}; }
};

}  // namespace lle::source
