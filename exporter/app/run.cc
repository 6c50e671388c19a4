#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "exporter/app/commands.h"
#include "exporter/app/http_server.h"
#include "exporter/app/pages.h"
#include "exporter/app/pipeline.h"
#include "exporter/app/state.h"
#include "exporter/app/version.h"
#include "exporter/core/clock.h"
#include "exporter/log/log.h"
#include "exporter/loki/client.h"
#include "exporter/metrics/translate.h"
#include "exporter/parse/timestamp.h"
#include "exporter/source/replay.h"
#include "exporter/state/state_file.h"

namespace lle::app {
namespace {

// A missing snapshot is a cold start; a rejected one is moved aside (never
// half-loaded) and the process starts cold.
void restore_state(const std::filesystem::path& file, window::Store& store, loki::Input& input,
                   const core::Clock& wall) {
  const auto loaded = state::read(file);
  if (loaded.kind == state::Loaded::Kind::kMissing) {
    log::info("no state snapshot: starting cold", {{"file", file.string()}});
    return;
  }
  std::optional<Restored> restored;
  if (loaded.kind == state::Loaded::Kind::kOk)
    restored = restore_payload(loaded.payload, store, &input);
  if (!restored) {
    const auto aside = state::move_aside(file, std::to_string(wall.now_ns()));
    log::warn("state snapshot rejected: starting cold",
              {{"file", file.string()},
               {"why", loaded.kind == state::Loaded::Kind::kOk ? "malformed payload" : loaded.why},
               {"moved_to", aside.string()}});
    return;
  }
  log::info("state restored", {{"file", file.string()},
                               {"saved_at", parse::format_timestamp(restored->saved_at_ns)},
                               {"services", std::to_string(restored->services)},
                               {"shards", std::to_string(restored->shards)}});
}

void save_state(const std::filesystem::path& file, const window::Store& store,
                const loki::Input* input, const core::Clock& wall) {
  try {
    state::write_atomic(file, state_payload(store, input, wall.now_ns()));
  } catch (const std::exception& e) {
    log::error("cannot write the state snapshot", {{"error", e.what()}});
  }
}

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

int run(const RunArgs& args) {
  config::Config cfg;
  try {
    cfg = config::load(args.config);
  } catch (const std::exception& e) {
    log::error("invalid configuration", {{"error", e.what()}});
    return 2;
  }
  if (!args.listen.empty()) {
    if (!config::valid_listen_address(args.listen)) {
      log::error("invalid --listen", {{"value", args.listen}, {"expected", "HOST:PORT"}});
      return 2;
    }
    cfg.listen = args.listen;
  }
  if (!args.replay.empty()) cfg.replay.path = args.replay;
  if (args.rebase_to_now) cfg.replay.rebase_to_now = true;
  if (args.speed >= 0) cfg.replay.speed = args.speed;

  const core::SystemClock wall;
  std::optional<source::Replay> replay;
  if (!cfg.replay.path.empty()) {
    try {
      replay.emplace(source::Replay::load(
          {cfg.replay.path, cfg.replay.rebase_to_now, cfg.replay.speed}, wall, std::cin));
    } catch (const std::exception& e) {
      log::error("cannot read replay input", {{"error", e.what()}});
      return 2;
    }
    for (const auto& err : replay->stats().first_errors)
      log::warn("malformed replay input", {{"where", err}});
  } else if (cfg.loki.url.empty()) {
    log::warn("no input configured (input.loki.url or --replay): serving an empty state");
  }
  std::filesystem::path state_file;
  if (!replay && !cfg.loki.url.empty() && !cfg.state.dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(cfg.state.dir, ec);
    if (ec) {
      log::error("cannot create the state directory",
                 {{"dir", cfg.state.dir}, {"error", ec.message()}});
      return 2;
    }
    state_file = std::filesystem::path(cfg.state.dir) / "state.bin";
  }
  std::vector<loki::ShardPlan> shards;
  if (!replay && !cfg.loki.url.empty()) {
    try {
      shards = loki::plan_shards(cfg);
    } catch (const std::exception& e) {
      log::error("invalid configuration", {{"error", e.what()}});
      return 2;
    }
    if (static_cast<int>(shards.size()) < cfg.loki.shards) {
      log::warn("fewer shards than configured: no more services to split",
                {{"shards", std::to_string(shards.size())},
                 {"configured", std::to_string(cfg.loki.shards)}});
    }
  }

  // Signals are taken by sigwait in this thread only: block them before any
  // other thread starts so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Pipeline pipeline(cfg, {kVersion, kRevision, wall.now_ns(), {}, {}});
  // A replay (or a backfill) drives time from its own timestamps: the empty initial
  // state must not move the windows to the wall clock, or every such line is too late.
  LatestState latest;
  latest.store(pipeline.publish(replay || cfg.loki.backfill_ns > 0 ? 0 : wall.now_ns()));
  const auto current = [&latest] { return latest.load(); };

  HttpServer http;
  http.route("/metrics", [&] {
    return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                        metrics::render_exposition(*current())};
  });
  http.route("/", [&] {
    return HttpResponse{200, "text/html; charset=utf-8", landing_page(*current())};
  });
  http.route("/-/healthy", [] { return HttpResponse{200, "text/plain; charset=utf-8", "OK\n"}; });
  // Ready as soon as state is served; never tied to the input being reachable.
  http.route("/-/ready", [] { return HttpResponse{200, "text/plain; charset=utf-8", "ready\n"}; });
  try {
    http.start(cfg.listen);
  } catch (const std::exception& e) {
    log::error("cannot start HTTP server", {{"listen", cfg.listen}, {"error", e.what()}});
    return 1;
  }
  const std::string host = cfg.listen.substr(0, cfg.listen.rfind(':'));
  log::info("serving",
            {{"metrics", "http://" + host + ":" + std::to_string(http.port()) + "/metrics"},
             {"services", std::to_string(cfg.services.size())}});

  // The Loki input runs on one io thread, which also owns the pipeline.
  boost::asio::io_context io;
  std::unique_ptr<loki::Input> input;
  if (!shards.empty()) {
    std::vector<std::size_t> shard_of(cfg.services.size());
    std::vector<bool> field_shard;
    for (std::size_t i = 0; i < shards.size(); ++i) {
      for (int s : shards[i].services) shard_of[static_cast<std::size_t>(s)] = i;
      field_shard.push_back(shards[i].field_matched);
    }
    auto sink = [&pipeline, shard_of, field_shard](std::size_t shard, const core::Entry& e,
                                                   std::int64_t now) {
      // The field shard's selector may also cover services tailed by another
      // shard: their lines are counted there, not twice.
      if (field_shard[shard]) {
        const int s = pipeline.service_by_labels(e);
        if (s >= 0 && shard_of[static_cast<std::size_t>(s)] != shard) return;
      }
      pipeline.on_entry(e, now);
    };
    try {
      input = std::make_unique<loki::Input>(io, cfg.loki, shards, wall, sink);
    } catch (const std::exception& e) {
      log::error("cannot set up the Loki input", {{"error", e.what()}});
      return 2;
    }
    if (!state_file.empty()) restore_state(state_file, pipeline.store(), *input, wall);
    input->start();
    if (!state_file.empty()) {
      boost::asio::co_spawn(
          io,
          every(cfg.state.interval_ns,
                [&] { save_state(state_file, pipeline.store(), input.get(), wall); }),
          boost::asio::detached);
    }
    boost::asio::co_spawn(
        io,
        every(cfg.windows.publish_interval_ns,
              [&] {
                pipeline.loki() = input->status();
                latest.store(pipeline.publish(std::min(wall.now_ns(), input->backfill_floor())));
              }),
        boost::asio::detached);
    log::info("tailing Loki", {{"url", cfg.loki.url}, {"shards", std::to_string(shards.size())}});
  }

  std::thread ingest;
  if (input) {
    ingest = std::thread([&] { io.run(); });
  } else if (replay) {
    ingest = std::thread([&] {
      const auto started = std::chrono::steady_clock::now();
      const std::int64_t end = replay_into(
          *replay, pipeline, cfg.replay.speed > 0, cfg.windows.publish_interval_ns,
          [&](std::shared_ptr<const metrics::Published> p) { latest.store(std::move(p)); });
      const auto& in = pipeline.input();
      log::info(
          "replay finished; serving its state until stopped",
          {{"lines", std::to_string(in.lines_read)},
           {"records", std::to_string(replay->stats().records)},
           {"malformed_records", std::to_string(replay->stats().malformed_records)},
           {"seconds",
            std::to_string(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count())},
           {"state_time", parse::format_timestamp(end)}});
    });
  }

  int sig = 0;
  sigwait(&signals, &sig);
  log::info("shutting down", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  if (replay) replay->stop();
  io.stop();
  if (ingest.joinable()) ingest.join();
  // The input is stopped: the last snapshot holds everything counted.
  if (input && !state_file.empty()) save_state(state_file, pipeline.store(), input.get(), wall);
  http.stop();
  return 0;
}

int check_config(const std::string& config_path) {
  try {
    const auto cfg = config::load(config_path);
    if (!cfg.loki.url.empty()) loki::plan_shards(cfg);
    std::cout << config_path << ": valid (" << cfg.services.size() << " services, from "
              << cfg.services_file << ")\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}

}  // namespace lle::app
