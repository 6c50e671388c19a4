#pragma once
// One generation of the ingest side, built from one configuration: the pipeline
// and its source (the Loki input, built here, or the app's replay, which outlives
// generations), run on this generation's io thread with publication and snapshots
// on timers. A reload builds the next generation, moves the state over and drops
// this one. Thread safety: the owner (the main thread) calls every member;
// between start() and stop() the pipeline belongs to this generation's thread.

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "exporter/config/config.h"
#include "exporter/core/clock.h"
#include "exporter/ingest/pipeline.h"
#include "exporter/loki/client.h"
#include "exporter/loki/plan.h"
#include "exporter/metrics/latest.h"
#include "exporter/source/source.h"
#include "exporter/state/state_file.h"

namespace lle::ingest {

// The Loki shards cfg asks for (none for a replay or without Loki); logs when
// there are fewer services to split than shards configured. Throws ConfigError.
std::vector<loki::ShardPlan> plan_for(const config::Config& cfg, bool replaying);

class Engine {
 public:
  struct Env {
    const core::Clock& wall;
    metrics::LatestState& latest;
    metrics::Lifecycle& lifecycle;
    std::filesystem::path state_file;  // empty: no snapshots
    std::int64_t start_time_ns;
    std::string version, revision;  // build_info
  };

  // replay: the source when there are no Loki shards (nullptr: none). Throws if
  // the Loki input cannot be set up (e.g. an unreadable credentials file): a
  // reload then leaves the running generation alone.
  Engine(config::Config cfg, std::vector<loki::ShardPlan> shards, const Env& env,
         source::Source* replay);
  ~Engine() { stop(); }
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const config::Config& config() const { return cfg_; }

  // Restores what state::read() found in env.state_file: a missing snapshot is a
  // cold start; a rejected one is moved aside (never half-loaded) and the process
  // starts cold.
  void restore(const state::Loaded& loaded);
  // Takes over a stopped generation's state: windows by service id, Loki shards
  // by selector, the input's counters. False if its state could not be read back.
  bool take_over(Engine& old);

  // Publishes the state as it is, at `now`.
  void publish_now(std::int64_t now_ns) { env_.latest.store(pipeline_.publish(now_ns)); }
  // The time the state stands at: what the source vouches for, or without one
  // the wall clock.
  std::int64_t state_now() const { return source_ ? source_->vouched_ns() : env_.wall.now_ns(); }

  void start();
  // Stops the io thread and waits for it; the pipeline is the caller's again.
  // resume() undoes it (a reload whose hand-over failed).
  void stop();
  void resume();

  // The last snapshot, once stopped: it then holds everything counted.
  void save_state();

 private:
  void publish();
  void on_end(const std::string& error);

  // Members in this order so that the io_context (and the coroutines it still
  // holds) goes before the input they refer to, and both before the pipeline.
  const config::Config cfg_;
  Env env_;
  Pipeline pipeline_;
  std::unique_ptr<loki::Input> loki_;  // this generation's own, when it tails Loki
  source::Source* source_ = nullptr;   // loki_, the app's replay, or none
  boost::asio::io_context io_;
  std::chrono::steady_clock::time_point started_;
  std::thread thread_;
};

}  // namespace lle::ingest
