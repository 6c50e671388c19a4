#include "exporter/ingest/snapshot_payload.h"

namespace lle::ingest {
namespace {
// kStoreFormat1: the windows with state format 1's varint sketches (read only).
// kTeams: the teams' trends (absent before; a build that predates it skips it).
// kLokiWithIds: the shards with the ids of their services (kLoki before: read only).
enum Tag : std::uint64_t {
  kSavedAt = 1,
  kStoreFormat1 = 2,
  kLoki = 3,
  kStore = 4,
  kTeams = 5,
  kLokiWithIds = 6
};
}  // namespace

std::string state_payload(const window::Store& store, const loki::Input* input,
                          std::int64_t now_ns) {
  core::Writer w;
  core::Writer at;
  at.i64(now_ns);
  w.u64(kSavedAt);
  w.str(at.bytes());
  core::Writer windows;
  store.save(windows);
  w.u64(kStore);
  w.str(windows.bytes());
  core::Writer teams;
  store.save_team_trends(teams);
  w.u64(kTeams);
  w.str(teams.bytes());
  if (input) {
    core::Writer shards;
    input->save(shards);
    w.u64(kLokiWithIds);
    w.str(shards.bytes());
  }
  return std::move(w.bytes());
}

std::optional<Restored> restore_payload(std::string_view payload, window::Store& store,
                                        loki::Input* input) {
  std::string_view saved_at, current_windows, format_1_windows, shards, teams;
  bool with_ids = false;
  core::Reader r(payload);
  while (r.ok() && !r.done()) {
    const std::uint64_t tag = r.u64();
    const std::string_view bytes = r.str();
    if (tag == kSavedAt) saved_at = bytes;
    if (tag == kStore) current_windows = bytes;
    if (tag == kStoreFormat1) format_1_windows = bytes;
    if (tag == kLoki || tag == kLokiWithIds) {
      shards = bytes;
      with_ids = tag == kLokiWithIds;
    }
    if (tag == kTeams) teams = bytes;
  }
  const bool format_1 = current_windows.empty();
  const std::string_view windows = format_1 ? format_1_windows : current_windows;
  const auto encoding = format_1 ? sketch::LatencySketch::Encoding::kVarint
                                 : sketch::LatencySketch::Encoding::kBlockRice;
  if (!r.ok() || windows.empty()) return std::nullopt;
  Restored out;
  core::Reader at(saved_at);
  out.saved_at_ns = at.i64();
  core::Reader w(windows);
  core::Reader t(teams);
  if (!at.done() || !store.restore(w, encoding, &out.services, teams.empty() ? nullptr : &t) ||
      !w.done())
    return std::nullopt;
  if (input) input->windows_restored();
  if (input && !shards.empty()) {
    core::Reader s(shards);
    out.shards = input->restore(s, with_ids);
  }
  return out;
}

}  // namespace lle::ingest
