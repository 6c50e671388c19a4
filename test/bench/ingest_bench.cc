// Ingest from recorded tail messages, one thread: message JSON -> entries ->
// line parse -> gates -> sketch insert. Target: >= 1,000,000 lines/s.
// The messages are the bundled sample re-encoded as Loki tail messages (each
// entry its own streams[] element, 100 entries per message, as Loki sends them).
#include <benchmark/benchmark.h>

#include <boost/json.hpp>
#include <sstream>

#include "exporter/config/config.h"
#include "exporter/core/clock.h"
#include "exporter/ingest/pipeline.h"
#include "exporter/loki/ledger.h"
#include "exporter/source/replay.h"

namespace {

struct Recorded {
  std::vector<std::string> messages;
  std::vector<std::int64_t> last_ts;
  std::size_t lines = 0;
};

const Recorded& recorded() {
  static const Recorded r = [] {
    Recorded out;
    std::istringstream none;
    const lle::core::ManualClock wall(0);
    auto replay =
        lle::source::Replay::load({"test/testdata/sample/sample.jsonl", false, 0}, wall, none);
    boost::json::array streams;
    std::int64_t last = 0;
    auto flush = [&] {
      if (streams.empty()) return;
      out.messages.push_back(boost::json::serialize(boost::json::object{{"streams", streams}}));
      out.last_ts.push_back(last);
      streams.clear();
    };
    replay.run([&](const lle::core::Entry& e, std::int64_t) {
      boost::json::object labels;
      for (const auto& l : e.labels) labels[l.name] = l.value;
      streams.push_back(boost::json::object{
          {"stream", labels},
          {"values",
           boost::json::array{boost::json::array{std::to_string(e.timestamp_ns), e.line}}}});
      last = e.timestamp_ns;
      ++out.lines;
      if (streams.size() == 100) flush();
    });
    flush();
    return out;
  }();
  return r;
}

void BM_IngestTailMessages(benchmark::State& state) {
  const auto& rec = recorded();
  const auto cfg = lle::config::load("deploy/config/exporter.yaml");
  std::size_t bytes = 0;
  for (const auto& m : rec.messages) bytes += m.size();
  for (auto _ : state) {
    state.PauseTiming();
    lle::ingest::Pipeline pipeline(cfg, {"bench", "", 0, {}, {}, {}, {}});
    state.ResumeTiming();
    for (std::size_t i = 0; i < rec.messages.size(); ++i)
      pipeline.on_record(rec.messages[i], rec.last_ts[i]);
    benchmark::DoNotOptimize(pipeline.input().lines_read);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rec.lines));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_IngestTailMessages)->Unit(benchmark::kMillisecond);

// The same through the Loki input's de-duplication: each line's identity and
// its bucket's ledger before the pipeline (what a live tail adds per line).
void BM_IngestTailMessagesThroughLedger(benchmark::State& state) {
  const auto& rec = recorded();
  const auto cfg = lle::config::load("deploy/config/exporter.yaml");
  const std::vector<std::string> ignore = cfg.loki.identity_ignore_labels;
  for (auto _ : state) {
    state.PauseTiming();
    lle::ingest::Pipeline pipeline(cfg, {"bench", "", 0, {}, {}, {}, {}});
    lle::parse::LokiDecoder decoder;
    lle::loki::Ledger ledger(rec.last_ts.front() - 60'000'000'000LL,
                             {60'000'000'000LL, 30'000'000'000LL, 300'000'000'000LL});
    state.ResumeTiming();
    for (std::size_t i = 0; i < rec.messages.size(); ++i) {
      const std::int64_t now = rec.last_ts[i];
      decoder.decode(rec.messages[i], [&](const lle::core::Entry& e) {
        if (ledger.admit(e.timestamp_ns, lle::loki::identity(e, ignore)) ==
            lle::loki::Ledger::Admit::kNew)
          pipeline.on_entry(e, now);
      });
    }
    benchmark::DoNotOptimize(pipeline.input().lines_read);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rec.lines));
}
BENCHMARK(BM_IngestTailMessagesThroughLedger)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
