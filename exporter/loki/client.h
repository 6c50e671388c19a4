#pragma once
// The Loki input: per shard a websocket tail (or a query_range poll) that resumes
// where it stopped, a ledger that drops lines delivered twice, and a reconciler
// that compares each minute with Loki's own count and fetches what is missing.
// See docs/loki.md for the guarantees and how they are kept.
//
// Thread safety: everything runs on the io_context's one thread, including the
// sink; status() must be called there too (e.g. from a timer).

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "exporter/config/config.h"
#include "exporter/core/binary.h"
#include "exporter/core/clock.h"
#include "exporter/core/entry.h"
#include "exporter/core/shard_status.h"
#include "exporter/loki/plan.h"

namespace lle::loki {

// A new line of a shard, and the "now" to gate it with: the clock's time, or
// during a backfill the line's own time so that history is not "too late".
// Returns false when the line came too late for its window: it is lost.
using Sink = std::function<bool(std::size_t shard, const core::Entry&, std::int64_t now_ns)>;

// scheme://host:port/prefix, split by Boost.URL; throws std::invalid_argument.
struct Endpoint {
  bool tls = false;
  std::string host, port, prefix;
};
Endpoint parse_endpoint(const std::string& url);

// The headers every request carries: tenant, credentials read from their files
// now, extra headers. Throws std::runtime_error naming the file (never its content).
std::vector<std::pair<std::string, std::string>> request_headers(const config::LokiConfig& c);

// Every byte but the unreserved ones (RFC 3986) percent-encoded, by Boost.URL: a
// query value Loki reads back exactly ('+' included, which form decoding would
// take for a space; Boost.URL's params() leaves it as it is).
std::string url_encode(std::string_view s);

class Input {
 public:
  Input(boost::asio::io_context& io, config::LokiConfig cfg, std::vector<ShardPlan> plan,
        const core::Clock& clock, Sink sink);
  ~Input();
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;

  // Before start(): the shards' resume positions and ledgers from a snapshot,
  // matched by selector (a shard whose selector changed starts fresh). A
  // restored shard resumes from its position and skips the backfill; its
  // reconciler then fetches what Loki stored while the exporter was away.
  // Returns the shards restored; false-y input leaves everything fresh.
  std::size_t restore(core::Reader& r);
  void save(core::Writer& w) const;
  void start();
  std::vector<core::ShardStatus> status() const;
  // While shards backfill, the oldest time one of them has reached (publishing
  // at a later "now" would close windows their history still has to fill);
  // otherwise the largest int64.
  std::int64_t backfill_floor() const;

 private:
  struct Shared;
  class Shard;
  std::unique_ptr<Shared> shared_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace lle::loki
