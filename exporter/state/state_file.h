#pragma once
// The state snapshot file: a versioned, checksummed envelope around a payload,
// written so that a crash at any moment leaves either the old file or the new
// one, never a mix (temp file in the same directory, fsync, rename, fsync of
// the directory). Layout, all little-endian:
//   "LLESTATE" | u32 format version | u64 payload length | payload | u32 CRC-32 of payload
// Thread safety: free functions; one writer per file.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace lle::state {

// 2: sketches are Rice-coded (ingest/snapshot_payload.h); version 1 files still read, and a
// build that knows only version 1 moves a version 2 file aside with that reason.
// 3: each window ends with the hours that left its 7 days (the lifetime histogram's
// older part); version 2 files read as if none had, and a build that knows only
// version 2 moves a version 3 file aside.
// 4: each window's 5-minute P95 trend holds 14 days (a ring twice as long), and the
// payload may hold the teams' trends; version 3 files read with 7 days of trend,
// and a build that knows only version 3 moves a version 4 file aside.
// 5: each window ends with its slow-line counts by threshold (loki_latency_slow_requests_total);
// version 4 files read with those at zero, and a build that knows only version 4
// moves a version 5 file aside.
// 6: each window ends with its latency SLO's error budget by day (with the threshold
// it counts); version 5 files read with empty budgets, and a build that knows only
// version 5 moves a version 6 file aside.
constexpr std::uint32_t kFormatVersion = 6;

// A state file above this is refused unread (about 10,000 services' worth).
constexpr std::size_t kMaxFileBytes = std::size_t(4) << 30;

// Throws std::runtime_error naming the file and the failed step.
void write_atomic(const std::filesystem::path& file, std::string_view payload);

struct Loaded {
  enum class Kind { kMissing, kOk, kRejected } kind = Kind::kMissing;
  std::string payload;  // kOk
  std::string why;      // kRejected: truncated, bad checksum, future version, ...
};
Loaded read(const std::filesystem::path& file);

// Renames a rejected file to <file>.rejected-<suffix> and returns the new path
// (empty if even that failed).
std::filesystem::path move_aside(const std::filesystem::path& file, const std::string& suffix);

}  // namespace lle::state
