#pragma once
// The ingest path: entry -> line parser (data-quality gates) -> service windows,
// and the publication of immutable snapshots for readers.
//
// Thread safety: a Pipeline belongs to the ingest thread; publish() returns a
// shared immutable value that any thread may read.

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "exporter/config/config.h"
#include "exporter/core/entry.h"
#include "exporter/metrics/latest.h"
#include "exporter/metrics/translate.h"
#include "exporter/parse/line_parser.h"
#include "exporter/parse/loki_json.h"
#include "exporter/source/replay.h"
#include "exporter/window/store.h"

namespace lle::ingest {

parse::Rules rules_from(const config::Config& c);

class Pipeline {
 public:
  Pipeline(const config::Config& c, metrics::ExporterStatus status);

  // One entry delivered at now (event time of the source); why it was rejected, if
  // it was (nullopt too for a line another fleet member counts).
  std::optional<core::RejectReason> on_entry(const core::Entry& entry, std::int64_t now_ns);
  // The same, but the line is added a few lines later, and its answer is not
  // known: meanwhile the state the next lines will touch is fetched into the
  // cache (issue 15: with 10,000 services each line's window, minute slice and
  // bucket are misses to memory). The store ends up exactly as on_entry leaves
  // it once flush() has added what is held; store() and publish() flush first.
  void hold_entry(const core::Entry& entry, std::int64_t now_ns);
  void flush();
  // One JSON record from Loki (tail message or query response), delivered at now.
  parse::DecodeResult on_record(std::string_view json, std::int64_t now_ns);

  std::shared_ptr<const metrics::Published> publish(std::int64_t now_ns);

  window::Store& store() {
    flush();
    return store_;
  }
  metrics::InputStatus& input() { return status_.input; }
  // ExporterStatus::running, from the engine's first publication after its start.
  void set_running() { status_.running = true; }
  std::vector<core::ShardStatus>& loki() { return status_.loki; }
  int service_by_labels(const core::Entry& e) const { return parser_.service_by_labels(e); }
  // The same, also reading the line's service field (a parse: slower).
  int service_of_line(const core::Entry& e) { return parser_.parse(e, scratch_).service; }

 private:
  parse::LineParser parser_;
  parse::FieldScratch scratch_;
  parse::LokiDecoder decoder_;
  window::Store store_;
  metrics::ExporterStatus status_;
  std::int64_t max_future_skew_ns_;

  // Lines parsed and held, not yet added (hold_entry): a ring indexed by counts.
  struct Held {
    std::size_t service;
    std::int64_t timestamp_ns, now_ns;
    double seconds;
    int status;
  };
  // Its window's first lines are fetched as a line is held, its minute slice
  // kMinuteAfter lines later, its bucket kBucketAfter lines later; it is added
  // once kHeld lines wait.
  static constexpr std::size_t kMinuteAfter = 3, kBucketAfter = 6, kHeld = 9;
  std::array<Held, 16> held_;
  std::size_t held_begin_ = 0, held_end_ = 0;
  // With a trace_id field: the exemplar each held line would leave (id "" = none),
  // kept once its line is accepted.
  bool exemplars_on_;
  std::array<window::Exemplar, 16> held_exemplars_;

  // Fleet mode: the parser's services from owned_ on are other members'; lines
  // no service claims are member 0's.
  int owned_;
  bool counts_unclaimed_;

  // What on_entry and hold_entry do before the window: the input's counts and the
  // parse; a rejected line is counted here. nullopt: another fleet member counts it.
  std::optional<parse::ParsedLine> parse_counted(const core::Entry& entry, std::int64_t now_ns);
  [[gnu::always_inline]] inline void add_held();
  [[gnu::noinline]] void stage_exemplar(const core::Entry& entry, const parse::ParsedLine& p,
                                        std::size_t at);
  [[gnu::noinline]] void keep_exemplar(std::size_t service, std::size_t at);
  // Fills `out` with the line's exemplar if its service wants one; false otherwise.
  bool take_exemplar(const core::Entry& entry, const parse::ParsedLine& p,
                     window::Exemplar& out) const;
};

// What a source needs to feed the pipeline: entries (false: too late, lost),
// its record counts and busy time; `ended` is the caller's. The engine and
// replay_into use the same.
source::Hooks hooks_into(Pipeline& pipeline, std::function<void(const std::string&)> ended);

// Feeds a whole replay through the pipeline at once (on an io_context of its own),
// then closes every open minute (nothing more can arrive), also when the input
// could not be read to its end (error says why). For dq-report and tests.
struct ReplayEnd {
  std::int64_t now_ns = 0;  // the replay's final "now"
  std::string error;
};
ReplayEnd replay_into(source::Replay& replay, Pipeline& pipeline);

}  // namespace lle::ingest
