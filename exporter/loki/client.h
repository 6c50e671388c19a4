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
#include "exporter/source/source.h"

namespace lle::loki {

// The service a line belongs to (-1: none), as the line parser decides: a shard
// whose selector also covers services another shard tails (the field shard)
// leaves their lines to that shard, so that none is counted twice.
using ServiceOf = std::function<int(const core::Entry&)>;

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

// Each new line goes to the hooks' entry sink with the "now" to gate it with: the
// clock's time, or during a backfill the line's own time so that history is not
// "too late". A line the sink finds too late is counted as lost.
class Input final : public source::Source {
 public:
  // Reads the credentials files now: throws std::runtime_error naming a file.
  // line_service_of (optional: else service_of) also reads the line's service
  // field: it picks a backfill's lines on a shard where services are found so.
  Input(config::LokiConfig cfg, std::vector<ShardPlan> plan, const core::Clock& clock,
        ServiceOf service_of, ServiceOf line_service_of = {});
  ~Input() override;
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;

  // Before start(), after windows_restored(): the shards' resume positions and
  // ledgers from a snapshot. A shard with the same selector resumes from its
  // position and skips the backfill; its reconciler then fetches what Loki stored
  // while the exporter was away. With the services each saved shard tailed
  // (with_ids; snapshots of state tag 3 lack them), a shard whose selector changed
  // (a fleet rescale) resumes from the shards that tailed its services before,
  // their ledgers joined (Ledger::join); a service no saved shard tailed (moved
  // here, or new) is backfilled by itself (input.loki.backfill), marked filling
  // until it has caught up, while the shard's other services go on live.
  // Returns the shards restored; false-y input leaves everything fresh.
  std::size_t restore(core::Reader& r, bool with_ids);
  // Before start(): the windows were restored from a snapshot (at a restart, or
  // carried over by a reload). A shard that starts fresh and cannot tell which
  // of its services are new (a snapshot without ids) then counts from now: no
  // backfill, and no repair of the buckets before it; the services it tails that
  // stayed have those lines already, and fetching them again would count them twice
  // (docs/operations.md).
  void windows_restored();
  // Writes the format restore(r, true) reads.
  void save(core::Writer& w) const;
  // Once: an Input belongs to one generation, and a reload builds a new one.
  void start(boost::asio::io_context& io, source::Hooks hooks) override;
  std::vector<core::ShardStatus> status() const override;
  // The clock's time; while shards backfill, the oldest time one of them has
  // reached (publishing later would close windows their history still has to fill).
  std::int64_t vouched_ns() const override;

 private:
  struct Shared;
  class Shard;
  std::unique_ptr<Shared> shared_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace lle::loki
