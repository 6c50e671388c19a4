#pragma once
// What one shard has received, per bucket of line time (a minute by default;
// "minute" below means one bucket): the identities of the
// lines (to drop the ones delivered twice: resumed tails, repairs), how many
// there were (to compare with Loki's own count), and when each minute is due
// for that comparison. Every minute from the start on is tracked, with or
// without lines, so a minute the tail missed entirely is still reconciled.
//
// Thread safety: none; a Ledger belongs to its shard's thread.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "exporter/core/binary.h"
#include "exporter/core/entry.h"

namespace lle::loki {

// A line's identity: its timestamp, its line and its labels in any order, minus
// the labels listed in `ignore` (structured metadata that history entries carry
// and live ones do not). Two different lines share one with probability 2^-64.
std::uint64_t identity(const core::Entry& e, const std::vector<std::string>& ignore);

// Set of 64-bit identities: open addressing, linear probing.
class IdentitySet {
 public:
  bool insert(std::uint64_t id);  // false when already there
  std::size_t size() const { return size_; }
  std::size_t memory_bytes() const { return slots_.size() * sizeof(std::uint64_t); }
  template <class F>
  void for_each(F&& f) const {
    for (auto id : slots_)
      if (id != 0) f(id);
  }

 private:
  void grow();
  std::vector<std::uint64_t> slots_;  // 0 = empty
  std::size_t size_ = 0;
};

class Ledger {
 public:
  struct Timing {
    std::int64_t bucket_ns;  // width of a "minute"
    std::int64_t settle_ns;  // first check: this long after the minute ends
    std::int64_t final_ns;   // last check (if later than the first): after the minute ends
  };
  Ledger(std::int64_t start_ns, Timing timing);

  enum class Admit { kNew, kDuplicate, kTooOld };
  // Records a line; kTooOld: its minute is no longer tracked (already reconciled
  // for the last time, or before the start).
  Admit admit(std::int64_t ts_ns, std::uint64_t id);

  // Tracks every minute that started at or before now.
  void advance(std::int64_t now_ns);
  // Asks for an early check of the minute holding ts (the tail reported drops).
  void suspect(std::int64_t ts_ns);
  // Minutes (their start) whose next check is due at now, oldest first; only
  // those that end at or before read_to (how far the readers have read).
  std::vector<std::int64_t> due(std::int64_t now_ns, std::int64_t read_to_ns) const;
  // The check of a minute succeeded; after its last one it is forgotten, and
  // this returns true.
  bool checked(std::int64_t minute_ns, std::int64_t now_ns);

  std::uint64_t received(std::int64_t minute_ns) const;

  // A shard whose selector changed (fleet rescale, services added or moved)
  // resumes from the ledgers of the shards that tailed its services before. Their
  // identities still tell what was counted, but their counts were of other
  // selectors: join() keeps the minutes both track (from the later floor: an
  // earlier minute was reconciled for good by the other) with the union of their
  // identities, and marks every minute for a recount. A minute to recount is
  // fetched whole at its check (what is new is counted, the rest is a duplicate);
  // recounted() then sets its count to what Loki holds under the new selector.
  void join(const Ledger& other);
  void recount_all();
  bool recounting(std::int64_t minute_ns) const;
  void recounted(std::int64_t minute_ns, std::uint64_t lines);
  std::int64_t floor_ns() const { return floor_ns_; }

  // For state snapshots: every tracked bucket with its identities. load() keeps
  // this ledger's timing, and fails (leaving it unchanged) on malformed input or
  // a different bucket width.
  void save(core::Writer& w) const;
  bool load(core::Reader& r);
  std::size_t tracked_minutes() const { return minutes_.size(); }
  std::size_t memory_bytes() const;

 private:
  struct Minute {
    IdentitySet seen;
    std::uint64_t received = 0;
    int checks_done = 0;
    bool suspect = false;
    bool recount = false;  // received counts another selector's lines (join())
  };
  std::int64_t next_check(std::int64_t minute_ns, const Minute& m) const;

  Timing timing_;
  std::int64_t floor_ns_;   // minutes before this are no longer tracked
  std::int64_t newest_ns_;  // newest tracked minute
  std::map<std::int64_t, Minute> minutes_;
};

}  // namespace lle::loki
