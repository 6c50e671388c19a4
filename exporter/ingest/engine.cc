#include "exporter/ingest/engine.h"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <functional>
#include <optional>

#include "exporter/ingest/snapshot_payload.h"
#include "exporter/log/log.h"

namespace lle::ingest {
namespace {

// Calls f every interval on the calling coroutine's executor, until it stops.
boost::asio::awaitable<void> every(std::int64_t interval_ns, std::function<void()> f) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  for (;;) {
    timer.expires_after(std::chrono::nanoseconds(interval_ns));
    co_await timer.async_wait(boost::asio::use_awaitable);
    f();
  }
}

}  // namespace

std::vector<loki::ShardPlan> plan_for(const config::Config& cfg, bool replaying) {
  if (replaying || cfg.loki.url.empty()) return {};
  auto shards = loki::plan_shards(cfg);
  loki::fleet_tails(cfg);  // the whole fleet's within the tenant's limit
  if (static_cast<int>(shards.size()) < cfg.loki.shards) {
    log::warn("fewer shards than configured: no more services to split",
              {{"shards", std::to_string(shards.size())},
               {"configured", std::to_string(cfg.loki.shards)}});
  }
  return shards;
}

Engine::Engine(config::Config cfg, std::vector<loki::ShardPlan> shards, const Env& env,
               source::Source* replay)
    : cfg_(std::move(cfg)),
      env_(env),
      pipeline_(cfg_, {env.version, env.revision, env.start_time_ns, {}, {}, {}, {}}),
      source_(replay) {
  if (shards.empty()) return;
  loki_ = std::make_unique<loki::Input>(
      cfg_.loki, std::move(shards), env_.wall,
      [this](const core::Entry& e) { return pipeline_.service_by_labels(e); },
      [this](const core::Entry& e) { return pipeline_.service_of_line(e); });
  source_ = loki_.get();
}

void Engine::restore(const state::Loaded& loaded) {
  const auto& file = env_.state_file;
  if (loaded.kind == state::Loaded::Kind::kMissing) {
    log::info("no state snapshot: starting cold", {{"file", file.string()}});
    return;
  }
  std::optional<Restored> restored;
  if (loaded.kind == state::Loaded::Kind::kOk)
    restored = restore_payload(loaded.payload, pipeline_.store(), loki_.get());
  if (!restored) {
    const auto aside = state::move_aside(file, std::to_string(env_.wall.now_ns()));
    log::warn("state snapshot rejected: starting cold",
              {{"file", file.string()},
               {"why", loaded.kind == state::Loaded::Kind::kOk ? "malformed payload" : loaded.why},
               {"moved_to", aside.string()}});
    return;
  }
  log::info("state restored", {{"file", file.string()},
                               {"saved_at", core::format_timestamp(restored->saved_at_ns)},
                               {"services", std::to_string(restored->services)},
                               {"shards", std::to_string(restored->shards)}});
}

bool Engine::take_over(Engine& old) {
  const std::int64_t now = env_.wall.now_ns();
  const auto restored = restore_payload(state_payload(old.pipeline_.store(), old.loki_.get(), now),
                                        pipeline_.store(), loki_.get());
  if (!restored) return false;
  pipeline_.input() = old.pipeline_.input();
  log::info("state carried over", {{"services", std::to_string(restored->services)},
                                   {"shards", std::to_string(restored->shards)}});
  return true;
}

void Engine::start() {
  started_ = std::chrono::steady_clock::now();
  if (source_) {
    source_->start(io_, hooks_into(pipeline_, [this](const std::string& error) { on_end(error); }));
  }
  if (!env_.state_file.empty()) {
    boost::asio::co_spawn(io_, every(cfg_.state.interval_ns, [this] { save_state(); }),
                          boost::asio::detached);
  }
  boost::asio::co_spawn(io_, every(cfg_.windows.publish_interval_ns, [this] { publish(); }),
                        boost::asio::detached);
  thread_ = std::thread([this] { io_.run(); });
}

// A finished input: nothing more can arrive, so every open minute closes (run
// --replay and dq-report then hold the same lines in every window).
void Engine::on_end(const std::string& error) {
  if (!error.empty())
    log::error("replay input failed part way: serving what was read", {{"error", error}});
  pipeline_.store().close_open_minutes();
  publish();
  const auto& in = pipeline_.input();
  log::info(
      "replay finished; serving its state until stopped",
      {{"lines", std::to_string(in.lines_read)},
       {"records", std::to_string(in.records_read)},
       {"malformed_records", std::to_string(in.malformed_records)},
       {"seconds",
        std::to_string(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count())},
       {"state_time", core::format_timestamp(state_now())}});
}

void Engine::stop() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void Engine::resume() {
  io_.restart();
  thread_ = std::thread([this] { io_.run(); });
}

void Engine::save_state() {
  if (env_.state_file.empty()) return;
  const auto started = std::chrono::steady_clock::now();
  try {
    const std::string payload = state_payload(pipeline_.store(), loki_.get(), env_.wall.now_ns());
    state::write_atomic(env_.state_file, payload);
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    env_.lifecycle.update([&](metrics::LifecycleStatus& s) {
      ++s.snapshots_written;
      s.last_snapshot_ok_ns = env_.wall.now_ns();
      s.last_snapshot_seconds = took;
      s.last_snapshot_bytes = payload.size();
    });
  } catch (const std::exception& e) {
    env_.lifecycle.update([](metrics::LifecycleStatus& s) { ++s.snapshot_failures; });
    log::error("cannot write the state snapshot", {{"error", e.what()}});
  }
}

// On the io thread, so after start(): the state it publishes says readiness.
void Engine::publish() {
  pipeline_.set_running();
  if (source_) pipeline_.loki() = source_->status();
  env_.latest.store(pipeline_.publish(state_now()));
}

}  // namespace lle::ingest
