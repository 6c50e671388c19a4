#pragma once
// The health of one Loki input shard, as published with each snapshot: the
// input fills it in, /metrics and the status page read it. A plain value.

#include <cstdint>
#include <map>
#include <string>

namespace lle::core {

struct ShardStatus {
  std::string selector;
  bool connected = false;
  std::map<std::string, std::uint64_t> reconnects;  // by reason (how the last session ended)
  std::uint64_t messages = 0, bytes = 0;
  std::uint64_t lines_received = 0;  // new lines, whether by the tail, a poll or a repair
  std::uint64_t duplicates = 0;      // delivered again (resume, repair) and dropped
  std::uint64_t malformed_messages = 0;
  std::uint64_t dropped_entries = 0;   // what the tail itself reported (a lower bound)
  std::uint64_t lines_repaired = 0;    // found through query_range after a count mismatch
  std::uint64_t unrepaired_lines = 0;  // Loki counted them; they could not be fetched
  std::uint64_t excess_lines = 0;      // more received than Loki counted (should stay 0)
  std::uint64_t late_lines = 0;        // for a minute no longer tracked: not de-duplicated
  std::uint64_t minutes_reconciled = 0;
  std::int64_t reconciled_ns = 0;  // the clock at the last pass that checked every bucket due
  std::uint64_t reconcile_errors = 0;
  std::int64_t newest_line_ns = 0;
  std::uint64_t ledger_bytes = 0;
  std::uint64_t backfill_lines = 0;  // fetched by backfills (cold start, services new here)
  // A cold start's backfill is running: the state stands at a time it has read up
  // to, behind the present, so none of the exporter's services is ready yet.
  bool backfilling = false;
};

}  // namespace lle::core
