#pragma once
// One generation of the ingest side, built from one configuration: the pipeline
// and either the Loki input with its io thread, or a replay's thread, or nothing.
// A reload builds the next generation, moves the state over and drops this one.
// Thread safety: the owner (the main thread) calls every member; between
// start_*() and stop() the pipeline belongs to this generation's thread.

#include <atomic>
#include <boost/asio/io_context.hpp>
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
#include "exporter/source/replay.h"

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

  // Throws if the Loki input cannot be set up (e.g. an unreadable credentials file):
  // a reload then leaves the running generation alone.
  Engine(config::Config cfg, std::vector<loki::ShardPlan> shards, const Env& env);
  ~Engine() { stop(); }
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const config::Config& config() const { return cfg_; }
  bool has_input() const { return input_ != nullptr; }
  bool replaying() const { return replay_ != nullptr && !replay_done_; }

  // A missing snapshot is a cold start; a rejected one is moved aside (never
  // half-loaded) and the process starts cold.
  void restore_from_file();
  // Takes over a stopped generation's state: windows by service id, shards by
  // selector, the input's counters. False if its state could not be read back.
  bool take_over(Engine& old);

  // Publishes the state as it is, at `now`.
  void publish_now(std::int64_t now_ns) { env_.latest.store(pipeline_.publish(now_ns)); }
  // The time a generation without input stands at: a finished replay's own end,
  // or the wall clock.
  std::int64_t state_now() const {
    return cfg_.replay.path.empty() ? env_.wall.now_ns() : replay_end_;
  }

  void start_loki();
  void start_replay(source::Replay& replay);
  // Stops the input and waits for this generation's thread; the pipeline is the
  // caller's again. resume() undoes it (a reload whose hand-over failed).
  void stop();
  void resume();

  // The last snapshot, once stopped: it then holds everything counted.
  void save_state();

 private:
  void publish();

  // Members in this order so that the io_context (and the coroutines it still
  // holds) goes before the input they refer to, and both before the pipeline.
  const config::Config cfg_;
  Env env_;
  Pipeline pipeline_;
  std::unique_ptr<loki::Input> input_;
  boost::asio::io_context io_;
  source::Replay* replay_ = nullptr;
  std::atomic<bool> replay_done_{false};
  std::int64_t replay_end_ = 0;  // written by the replay thread before replay_done_
  std::thread thread_;
};

}  // namespace lle::ingest
