// The Loki input in process (no exporter binary): loki::Input against the
// Loki-compatible test server, on an io_context of the test's own, with the
// wall clock injected. The shards' tails, the field shard leaving lines of
// label-tailed services to their shard, and the reconciler, which runs only once
// the test moves the clock past a bucket's last check: each line Loki stored
// reaches the sink exactly once. Waits are bounded and wait for conditions.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/test/unit_test.hpp>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "exporter/config/config.h"
#include "exporter/core/clock.h"
#include "exporter/ingest/pipeline.h"
#include "exporter/loki/client.h"
#include "exporter/loki/plan.h"
#include "test/support/exporter_harness.h"

using namespace lle::test;

namespace {

// One Input and its sink: the lines it delivered, by their "seq" field.
struct Shards {
  TempDir dir;
  lle::config::Config cfg;
  lle::core::ManualClock clock;
  lle::parse::LineParser parser;
  std::optional<lle::loki::Input> input;
  boost::asio::io_context io;  // after the input: its coroutines go first
  std::thread thread;
  mutable std::mutex mutex;
  // Written on the io thread, read by the test under the mutex (Boost.Test's
  // assertions are for the test's thread only).
  std::map<int, int> delivered;  // seq -> times
  int without_seq = 0;
  std::string ended;
  std::int64_t worst_lag_ns = 0;  // of a line behind the time it was handed on at

  // extra: more exporter.yaml, under input.loki.
  Shards(const FakeLoki& loki, int shards, std::int64_t start_ns = now_ns(),
         const std::string& extra = "")
      : cfg(load(loki, shards, extra)), clock(start_ns), parser(lle::ingest::rules_from(cfg)) {
    input.emplace(cfg.loki, lle::loki::plan_shards(cfg), clock,
                  [this](const lle::core::Entry& e) { return parser.service_by_labels(e); });
    lle::source::Hooks hooks;
    hooks.entry = [this](const lle::core::Entry& e, std::int64_t now) {
      const auto at = e.line.find("\"seq\":");
      std::lock_guard lock(mutex);
      worst_lag_ns = std::max(worst_lag_ns, now - e.timestamp_ns);
      if (at == std::string_view::npos)
        ++without_seq;
      else
        ++delivered[std::stoi(std::string(e.line.substr(at + 6)))];
      return true;
    };
    hooks.progress = [](const lle::source::Progress&) {};
    hooks.ended = [this](const std::string& error) {
      std::lock_guard lock(mutex);
      ended = error.empty() ? "(no error)" : error;
    };
    input->start(io, std::move(hooks));
    thread = std::thread([this] { io.run(); });
  }
  ~Shards() {
    io.stop();
    thread.join();
  }

  lle::config::Config load(const FakeLoki& loki, int shards, const std::string& extra) {
    dir.write("services.yaml", kServices);
    return lle::config::load(dir.write(
        "exporter.yaml",
        "services_file: services.yaml\ninput:\n  loki:\n    url: " + loki.url() +
            "\n    selector: '{namespace=\"shop\"}'\n    shards: " + std::to_string(shards) +
            "\n    reconcile_bucket: 1s\n    reconcile_settle: 1s\n"
            "    backoff_initial: 20ms\n    backoff_max: 200ms\n    connect_timeout: 2s\n" +
            extra + "windows:\n  allowed_lateness: 3s\n"));
  }

  // The shards' status, read on the io thread as the Input requires.
  std::vector<lle::core::ShardStatus> status() {
    std::promise<std::vector<lle::core::ShardStatus>> p;
    boost::asio::post(io, [&] { p.set_value(input->status()); });
    return p.get_future().get();
  }
  std::uint64_t sum(std::uint64_t lle::core::ShardStatus::*field) {
    std::uint64_t n = 0;
    for (const auto& s : status()) n += s.*field;
    return n;
  }
  // Whether a backfill still holds back the time the input vouches for.
  bool backfilling() {
    std::promise<bool> p;
    boost::asio::post(io, [&] { p.set_value(input->vouched_ns() < clock.now_ns()); });
    return p.get_future().get();
  }
  std::size_t distinct() const {
    std::lock_guard lock(mutex);
    return delivered.size();
  }
  // Every one of the `stored` lines (seq from..from+stored-1) exactly once, nothing else.
  void expect_each_once(int from, std::size_t stored) const {
    std::lock_guard lock(mutex);
    BOOST_TEST(without_seq == 0);
    BOOST_TEST(ended.empty(), "the input ended: " << ended);  // a live input never ends
    BOOST_TEST(delivered.size() == stored);
    for (const auto& [seq, times] : delivered) {
      BOOST_TEST(times == 1, "seq " << seq << " delivered " << times << " times");
      BOOST_TEST((seq >= from && seq < from + static_cast<int>(stored)), seq);
    }
  }
  // Moves the clock past the last check of every bucket so far, and waits until
  // every shard's reconciler has checked them all at that time.
  bool reconcile() {
    clock.advance(cfg.loki.reconcile_final_ns + 2 * cfg.loki.reconcile_bucket_ns);
    const std::int64_t at = clock.now_ns();
    return wait_until(
        [&] {
          for (const auto& s : status())
            if (s.reconciled_ns < at) return false;
          return true;
        },
        20s);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(loki_shards_in_process)

BOOST_AUTO_TEST_CASE(three_shards_deliver_each_line_once_and_the_reconciler_agrees) {
  FakeLoki loki({});
  const int from = push_seq();
  Shards s(loki, 3);
  BOOST_TEST_REQUIRE(reopened(loki, 2));  // checkout, search and the field shard
  push(loki, 300);
  BOOST_TEST_REQUIRE(wait_until([&] { return s.distinct() == 300; }, 20s));
  BOOST_TEST_REQUIRE(s.reconcile());
  s.expect_each_once(from, loki.stored());
  BOOST_TEST(s.sum(&lle::core::ShardStatus::lines_repaired) == 0u);
  BOOST_TEST(s.sum(&lle::core::ShardStatus::excess_lines) == 0u);
  BOOST_TEST(loki.query_ranges() == 0u);  // nothing was missing: nothing fetched
}

BOOST_AUTO_TEST_CASE(what_a_capped_tail_loses_the_reconciler_repairs_exactly) {
  FakeLoki::Options o;
  o.lines_per_second = 300;
  FakeLoki loki(o);
  const int from = push_seq();
  Shards s(loki, 1);
  BOOST_TEST_REQUIRE(reopened(loki, 0));
  push(loki, 2000);
  // The tail carries what it can; the rest waits for the clock to pass the buckets.
  BOOST_TEST_REQUIRE(wait_until([&] { return loki.lines_dropped_by_cap() > 0; }, 20s));
  BOOST_TEST(s.distinct() < 2000u);
  BOOST_TEST_REQUIRE(s.reconcile());
  BOOST_TEST_REQUIRE(wait_until([&] { return s.distinct() == 2000; }, 20s));
  s.expect_each_once(from, loki.stored());
  BOOST_TEST(s.sum(&lle::core::ShardStatus::lines_repaired) > 0u);
  BOOST_TEST(s.sum(&lle::core::ShardStatus::unrepaired_lines) == 0u);
}

BOOST_AUTO_TEST_CASE(abrupt_drops_mid_message_lose_nothing_and_repeat_nothing) {
  FakeLoki loki({});
  const int from = push_seq();
  Shards s(loki, 3);
  BOOST_TEST_REQUIRE(reopened(loki, 2));
  for (bool mid : {true, false}) {
    push(loki, 150);
    const auto opened = loki.tails_opened();
    loki.drop_tails(mid);
    push(loki, 150);  // while the tails are down or coming back
    BOOST_TEST_REQUIRE(reopened(loki, opened + 2));
  }
  BOOST_TEST_REQUIRE(s.reconcile());
  BOOST_TEST_REQUIRE(wait_until([&] { return s.distinct() == loki.stored(); }, 20s));
  s.expect_each_once(from, loki.stored());
}

// A cold start's backfill, slow against the clock: what Loki stored meanwhile
// (here: stamped after the start) is read as history too, each line at its own
// time, not by the tail at the time it ends; with the clock a minute on by then,
// the windows would take it as too late.
BOOST_AUTO_TEST_CASE(a_slow_backfill_reads_on_to_near_now_each_line_at_its_own_time) {
  FakeLoki loki({});
  const int from = push_seq();
  const std::int64_t start = now_ns();
  push(loki, 100, 0, start - 30'000'000'000);  // history: 10 pages at 5 a second
  for (int s = 1; s <= 5; ++s) push(loki, 20, 0, start + s * 1'000'000'000LL);
  Shards s(loki, 1, start, "    backfill: 1m\n    backfill_pages_per_second: 5\n    limit: 10\n");
  // The clock moves on a minute while the history is read (each shard has more
  // than a second of it left after its first page).
  BOOST_TEST_REQUIRE(wait_until([&] { return loki.query_ranges() > 0; }, 20s));
  // Meanwhile the shard says so: the exporter's services are not ready yet.
  BOOST_TEST(s.status().at(0).backfilling);
  s.clock.advance(60'000'000'000);
  BOOST_TEST_REQUIRE(wait_until([&] { return s.distinct() == loki.stored(); }, 30s));
  BOOST_TEST_REQUIRE(s.reconcile());
  s.expect_each_once(from, loki.stored());
  BOOST_TEST(s.sum(&lle::core::ShardStatus::lines_repaired) == 0u);
  BOOST_TEST(wait_until([&] { return !s.status().at(0).backfilling; }, 10s));
  std::lock_guard lock(s.mutex);
  BOOST_TEST(s.worst_lag_ns < s.cfg.windows.hold_ns);
}

// A selector that logs faster than the backfill reads cannot be caught up with:
// the backfill stops once a step leaves it no closer to now, rather than chase the
// clock for ever, and the tail and the reconciler bring the rest, each line once.
BOOST_AUTO_TEST_CASE(a_backfill_that_cannot_catch_up_stops_and_the_tail_goes_on) {
  FakeLoki loki({});
  const int from = push_seq();
  const std::int64_t start = now_ns();
  push(loki, 30, 0, start - 30'000'000'000);
  Shards s(loki, 1, start, "    backfill: 1m\n    backfill_pages_per_second: 5\n    limit: 10\n");
  // For each page Loki serves, a second passes and two pages' worth are logged.
  std::uint64_t served = 0;
  int steps = 0;
  for (; steps < 200 && s.backfilling(); ++steps) {
    BOOST_TEST_REQUIRE(
        wait_until([&] { return loki.query_ranges() > served || !s.backfilling(); }, 20s));
    served = loki.query_ranges();
    s.clock.advance(1'000'000'000);
    push(loki, 20, 0, s.clock.now_ns());
  }
  BOOST_TEST_REQUIRE(!s.backfilling(), "still chasing the clock after " << steps << " pages");
  BOOST_TEST_REQUIRE(s.reconcile());
  BOOST_TEST_REQUIRE(wait_until([&] { return s.distinct() == loki.stored(); }, 20s));
  s.expect_each_once(from, loki.stored());
}

BOOST_AUTO_TEST_SUITE_END()
