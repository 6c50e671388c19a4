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

// A payload's sections (views into it); nullopt if malformed or without windows.
struct Sections {
  std::string_view saved_at, windows, shards, teams;
  sketch::LatencySketch::Encoding encoding = sketch::LatencySketch::Encoding::kBlockRice;
  bool with_ids = false;
};
std::optional<Sections> sections_of(std::string_view payload) {
  Sections out;
  std::string_view format_1_windows;
  core::Reader r(payload);
  while (r.ok() && !r.done()) {
    const std::uint64_t tag = r.u64();
    const std::string_view bytes = r.str();
    if (tag == kSavedAt) out.saved_at = bytes;
    if (tag == kStore) out.windows = bytes;
    if (tag == kStoreFormat1) format_1_windows = bytes;
    if (tag == kLoki || tag == kLokiWithIds) {
      out.shards = bytes;
      out.with_ids = tag == kLokiWithIds;
    }
    if (tag == kTeams) out.teams = bytes;
  }
  if (out.windows.empty()) {
    out.windows = format_1_windows;
    out.encoding = sketch::LatencySketch::Encoding::kVarint;
  }
  if (!r.ok() || out.windows.empty()) return std::nullopt;
  return out;
}

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
  const auto p = sections_of(payload);
  if (!p) return std::nullopt;
  Restored out;
  core::Reader at(p->saved_at);
  out.saved_at_ns = at.i64();
  core::Reader w(p->windows);
  core::Reader t(p->teams);
  if (!at.done() ||
      !store.restore(w, p->encoding, &out.services, p->teams.empty() ? nullptr : &t) || !w.done())
    return std::nullopt;
  if (input) input->windows_restored();
  if (input && !p->shards.empty()) {
    core::Reader s(p->shards);
    out.shards = input->restore(s, p->with_ids);
  }
  return out;
}

std::vector<std::string> services_saved(std::string_view payload) {
  const auto p = sections_of(payload);
  if (!p) return {};
  core::Reader w(p->windows);
  auto ids = window::Store::saved_ids(w);
  return w.ok() ? ids : std::vector<std::string>{};
}

}  // namespace lle::ingest
