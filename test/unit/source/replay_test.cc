#include "exporter/source/replay.h"

#include <boost/test/unit_test.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "exporter/core/clock.h"
#include "test/support/files.h"

using lle::source::Replay;

namespace {

struct Delivered {
  std::int64_t ts, now;
  std::string line;
  std::size_t labels;
};

std::vector<Delivered> run(Replay& r) {
  std::vector<Delivered> out;
  r.run([&](const lle::core::Entry& e, std::int64_t now) {
    out.push_back({e.timestamp_ns, now, std::string(e.line), e.labels.size()});
  });
  return out;
}

std::vector<Delivered> run(Replay&& r) { return run(r); }

Replay from_stdin(const std::string& text, bool rebase = false, std::int64_t wall_ns = 0) {
  std::istringstream in(text);
  const lle::core::ManualClock wall(wall_ns);
  return Replay::load({"-", rebase, 0}, wall, in);
}

std::string logcli(std::int64_t sec, const std::string& line) {
  return R"({"labels":{"app":"x"},"line":")" + line + R"(","timestamp":")" +
         "2026-11-20T06:00:" + (sec < 10 ? "0" : "") + std::to_string(sec) + "Z\"}\n";
}
constexpr std::int64_t kBase = 1795154400LL * 1'000'000'000LL;  // 2026-11-20T06:00:00Z
constexpr std::int64_t kSec = 1'000'000'000LL;

}  // namespace

BOOST_AUTO_TEST_SUITE(source_replay)

BOOST_AUTO_TEST_CASE(logcli_jsonl_is_replayed_in_order_with_time_following_events) {
  auto r = from_stdin(logcli(1, "a") + logcli(2, "b") + logcli(4, "c"));
  const auto d = run(r);
  BOOST_TEST_REQUIRE(d.size() == 3u);
  BOOST_TEST(d[0].line == "a");
  BOOST_TEST(d[2].ts == kBase + 4 * kSec);
  BOOST_TEST(d[1].now == kBase + 2 * kSec);
  BOOST_TEST(d[0].labels == 1u);
}

BOOST_AUTO_TEST_CASE(newest_first_exports_are_reversed) {
  const auto d = run(from_stdin(logcli(9, "c") + logcli(5, "b") + logcli(1, "a")));
  BOOST_TEST_REQUIRE(d.size() == 3u);
  BOOST_TEST(d[0].line == "a");
  BOOST_TEST(d[2].line == "c");
}

BOOST_AUTO_TEST_CASE(a_lone_future_line_does_not_move_time_but_a_gap_does) {
  const auto d = run(from_stdin(logcli(1, "a") + logcli(50, "future") + logcli(2, "b") +
                                logcli(40, "gap1") + logcli(41, "gap2")));
  BOOST_TEST_REQUIRE(d.size() == 5u);
  BOOST_TEST(d[1].now == kBase + 2 * kSec);   // not moved to :50
  BOOST_TEST(d[3].now == kBase + 40 * kSec);  // the gap moves time
}

BOOST_AUTO_TEST_CASE(pretty_printed_query_responses_and_tail_messages) {
  const std::string text = R"({
  "status": "success",
  "data": {"resultType": "streams", "result": [
    {"stream": {"app": "x"}, "values": [["100", "q1"], ["200", "q2"]]}
  ]}
}
{"streams":[{"stream":{"app":"y","b":"c"},"values":[["300","t1"]]}]}
)";
  auto r = from_stdin(text);
  const auto d = run(r);
  BOOST_TEST_REQUIRE(d.size() == 3u);
  BOOST_TEST(d[2].line == "t1");
  BOOST_TEST(d[2].labels == 2u);
  BOOST_TEST(r.stats().records == 2u);
}

BOOST_AUTO_TEST_CASE(garbage_and_truncated_records_are_counted_and_skipped) {
  auto r = from_stdin(logcli(1, "a") + "not json at all\n" + R"({"labels":{},"line":"x")" + "\n" +
                      R"({"labels":{},"line":"x","timestamp":"never"})" + "\n" + logcli(2, "b"));
  BOOST_TEST(r.stats().records == 5u);
  BOOST_TEST(r.stats().malformed_records == 2u);
  BOOST_TEST(r.stats().malformed_entries == 1u);
  BOOST_TEST(r.stats().first_errors.size() == 3u);
  BOOST_TEST(run(r).size() == 2u);
}

BOOST_AUTO_TEST_CASE(rebase_moves_the_newest_line_to_now) {
  const std::int64_t wall = kBase + 3600 * kSec;
  const auto d = run(from_stdin(logcli(1, "a") + logcli(3, "b"), true, wall));
  BOOST_TEST_REQUIRE(d.size() == 2u);
  BOOST_TEST(d[1].ts == wall);
  BOOST_TEST(d[0].ts == wall - 2 * kSec);
}

BOOST_AUTO_TEST_CASE(a_missing_file_is_a_startup_error) {
  std::istringstream in;
  const lle::core::ManualClock wall(0);
  BOOST_CHECK_THROW(Replay::load({"/nonexistent/x.jsonl", false, 0}, wall, in), std::runtime_error);
}

// One line stamped ten years ahead, wherever it sits, neither turns the export
// around nor moves time: it stays in the future, where the gates reject it.
BOOST_AUTO_TEST_CASE(one_line_stamped_years_ahead_moves_time_nowhere) {
  const std::string outlier =
      R"({"labels":{"app":"x"},"line":"future","timestamp":"2036-11-20T06:00:00Z"})"
      "\n";
  for (const int at : {0, 30, 60}) {
    std::string text;
    for (int i = 0; i < 60; ++i) text += (i == at ? outlier : "") + logcli(i, std::to_string(i));
    if (at == 60) text += outlier;
    const auto d = run(from_stdin(text));
    BOOST_TEST_REQUIRE(d.size() == 61u);
    std::int64_t previous = 0;
    for (const auto& e : d) {
      BOOST_TEST(e.now <= kBase + 59 * kSec, "outlier at " << at << ": " << e.line);
      if (e.line == "future") continue;
      BOOST_TEST(e.ts > previous, "outlier at " << at << ": order of " << e.line);
      BOOST_TEST(e.now >= e.ts - kSec, "outlier at " << at << ": " << e.line);
      previous = e.ts;
    }
  }
}

BOOST_AUTO_TEST_CASE(one_line_stamped_long_ago_leaves_time_with_the_rest) {
  const std::string outlier =
      R"({"labels":{"app":"x"},"line":"past","timestamp":"1000-01-01T00:00:00Z"})"
      "\n";
  const auto d = run(from_stdin(outlier + logcli(1, "a") + logcli(2, "b") + logcli(3, "c")));
  BOOST_TEST_REQUIRE(d.size() == 4u);
  BOOST_TEST(d[0].line == "past");
  for (const auto& e : d) BOOST_TEST(e.now >= kBase + kSec, e.line);
}

// Newest-first with the oldest line misplaced at the front: still newest-first.
BOOST_AUTO_TEST_CASE(the_order_of_an_export_is_judged_from_all_of_it) {
  std::string text = logcli(0, "misplaced");
  for (int i = 59; i >= 1; --i) text += logcli(i, std::to_string(i));
  const auto d = run(from_stdin(text));
  BOOST_TEST_REQUIRE(d.size() == 60u);
  BOOST_TEST(d[0].line == "1");
  BOOST_TEST(d[58].line == "59");
}

BOOST_AUTO_TEST_CASE(rebase_follows_the_bulk_of_the_data_not_an_outlier) {
  const std::int64_t wall = kBase + 3600 * kSec;
  const auto d = run(
      from_stdin(logcli(1, "a") + logcli(2, "b") + logcli(3, "c") +
                     R"({"labels":{"app":"x"},"line":"future","timestamp":"9999-12-31T00:00:00Z"})"
                     "\n",
                 true, wall));
  BOOST_TEST_REQUIRE(d.size() == 4u);
  BOOST_TEST(d[2].ts == wall);
  BOOST_TEST(d[3].ts == INT64_MAX);  // still unrepresentably far ahead, not wrapped
}

BOOST_AUTO_TEST_CASE(stop_ends_a_run_early) {
  std::string text;
  for (int i = 0; i < 50; ++i) text += logcli(i % 60, "l");
  auto r = from_stdin(text);
  int seen = 0;
  const bool finished = r.run([&](const lle::core::Entry&, std::int64_t) {
    if (++seen == 10) r.stop();
  });
  BOOST_TEST(!finished);
  BOOST_TEST(seen == 10);
}

// An export of several blocks (run() reads about 1 MiB of whole records at a
// time): every entry once, in order, whichever way round it was recorded and
// however its records are laid out; one record larger than a block included.
BOOST_AUTO_TEST_CASE(exports_larger_than_a_block_are_streamed_whole_and_in_order) {
  const auto tail = [](std::int64_t ts, bool pretty) {
    const std::string line(100, 'x');
    return pretty ? "{\n  \"streams\": [{\"stream\": {\"app\": \"x\"},\n    \"values\": [[\"" +
                        std::to_string(ts) + "\", \"" + line + "\"]]}]\n}\n"
                  : R"({"streams":[{"stream":{"app":"x"},"values":[[")" + std::to_string(ts) +
                        R"(",")" + line + R"("]]}]})" + "\n";
  };
  constexpr int kLines = 30000;  // about 4 MiB
  for (const bool pretty : {false, true}) {
    for (const bool newest_first : {false, true}) {
      std::string text;
      for (int i = 0; i < kLines; ++i)
        text += tail(kBase + (newest_first ? kLines - 1 - i : i) * kSec, pretty);
      // and one record of 20,000 entries, larger than a block, after all of them
      std::string big = R"({"streams":[{"stream":{"app":"x"},"values":[)";
      for (int i = 0; i < 20000; ++i) {
        const std::int64_t ts = kBase + (newest_first ? -1 - i : kLines + i) * kSec;
        big += (i ? ",[\"" : "[\"") + std::to_string(ts) + R"(",")" + std::string(100, 'y') + "\"]";
      }
      text += big + "]}]}\n";
      auto r = from_stdin(text);
      BOOST_TEST(r.stats().records == kLines + 1u);
      BOOST_TEST(r.stats().entries == kLines + 20000u);
      const auto d = run(r);
      BOOST_TEST_REQUIRE(d.size() == kLines + 20000u);
      std::size_t in_order = 0;
      for (std::size_t i = 1; i < d.size(); ++i) in_order += d[i].ts == d[i - 1].ts + kSec;
      BOOST_TEST(in_order == d.size() - 1,
                 "pretty " << pretty << ", newest first " << newest_first);
      BOOST_TEST(d.back().now == d.back().ts - kSec);  // the median of the last three
    }
  }
}

// A replay can be run once: it lets go of its input when it ends.
BOOST_AUTO_TEST_CASE(a_second_run_delivers_nothing_and_says_so) {
  auto r = from_stdin(logcli(1, "a") + logcli(2, "b"));
  BOOST_TEST(run(r).size() == 2u);
  BOOST_CHECK_THROW(run(r), std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()
