#pragma once
// What a state snapshot holds, and putting it back: the windows of every
// service (by id) and each Loki shard's resume position and ledger (by
// selector), so a restart neither loses nor double-counts a line. The file
// envelope is state::write_atomic / state::read. Format: a sequence of
// (u64 tag, length-prefixed bytes) sections; unknown tags are skipped, so a
// newer build can add sections without a format version bump. The windows of
// state format 1 (a section of their own, with varint-coded sketches) still read.
// Thread safety: call on the thread that owns the store and the input.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/loki/client.h"
#include "exporter/window/store.h"

namespace lle::ingest {

std::string state_payload(const window::Store& store, const loki::Input* input,
                          std::int64_t now_ns);

struct Restored {
  std::int64_t saved_at_ns = 0;
  std::size_t services = 0, shards = 0;
};
// nullopt: malformed (nothing restored). The store is restored all or nothing,
// before any shard.
std::optional<Restored> restore_payload(std::string_view payload, window::Store& store,
                                        loki::Input* input);

// The ids of the services whose windows the payload holds (none if malformed).
std::vector<std::string> services_saved(std::string_view payload);

}  // namespace lle::ingest
