#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <csignal>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>

#include "exporter/api/handlers.h"
#include "exporter/app/commands.h"
#include "exporter/app/http_server.h"
#include "exporter/app/pages.h"
#include "exporter/app/pipeline.h"
#include "exporter/app/prometheus_reload.h"
#include "exporter/app/rules.h"
#include "exporter/app/state.h"
#include "exporter/app/version.h"
#include "exporter/core/atomic_file.h"
#include "exporter/core/clock.h"
#include "exporter/core/printable.h"
#include "exporter/log/log.h"
#include "exporter/loki/client.h"
#include "exporter/metrics/translate.h"
#include "exporter/source/replay.h"
#include "exporter/state/state_file.h"

namespace lle::app {
namespace {

// The configuration as `run` sees it: the files, then the command line's overrides
// (checked once, before the first load). Throws config::ConfigError.
config::Config load_config(const RunArgs& args) {
  config::Config cfg = config::load(args.config);
  if (!args.listen.empty()) cfg.listen = args.listen;
  if (!args.replay.empty()) cfg.replay.path = args.replay;
  if (args.rebase_to_now) cfg.replay.rebase_to_now = true;
  if (args.speed >= 0) cfg.replay.speed = args.speed;
  return cfg;
}

std::vector<loki::ShardPlan> plan_for(const config::Config& cfg, bool replaying) {
  if (replaying || cfg.loki.url.empty()) return {};
  auto shards = loki::plan_shards(cfg);
  if (static_cast<int>(shards.size()) < cfg.loki.shards) {
    log::warn("fewer shards than configured: no more services to split",
              {{"shards", std::to_string(shards.size())},
               {"configured", std::to_string(cfg.loki.shards)}});
  }
  return shards;
}

// What a running process cannot change: the listening socket and its limits, where state lives,
// and the replay it was started with. A reload keeps them, and says so.
void keep_restart_only_keys(const config::Config& running, config::Config& next) {
  const auto keep = [](const char* key, auto& next_value, const auto& running_value) {
    if (next_value == running_value) return;
    log::warn("reload: this key needs a restart; the running value is kept", {{"key", key}});
    next_value = running_value;
  };
  keep("listen", next.listen, running.listen);
  keep("http.max_connections", next.http.max_connections, running.http.max_connections);
  keep("http.request_timeout", next.http.request_timeout_ns, running.http.request_timeout_ns);
  keep("state.dir", next.state.dir, running.state.dir);
  keep("input.replay", next.replay.path, running.replay.path);
  next.replay = running.replay;
  keep("alerting.thresholds_file", next.thresholds.file, running.thresholds.file);
  keep("alerting.audit_log", next.thresholds.audit_log, running.thresholds.audit_log);
}

// The REST API as configured now (nullptr: off), replaced whole on reload.
using ApiHolder = Latest<api::Api>;

// Writes alerting.rules_file (when set) from the policy and the API's thresholds,
// counting the write; the API calls it after a change, start and reload after a load.
api::RulesOutcome write_rules_file(const config::Config& cfg,
                                   const std::map<std::string, api::ApiThreshold>& all,
                                   Lifecycle& life) {
  const auto& t = cfg.thresholds;
  api::RulesOutcome o{!t.rules_file.empty() && cfg.alert_policy, false, t.rules_file, ""};
  if (!o.configured) return o;
  try {
    core::write_file_atomic(t.rules_file,
                            {rules_for(cfg, all,
                                       t.rules_prometheus_rule ? rulegen::Format::kPrometheusRule
                                                               : rulegen::Format::kPrometheus)},
                            0644);
    o.written = true;
  } catch (const std::exception& e) {
    o.error = e.what();
    log::error("cannot write the rule file", {{"file", t.rules_file}, {"error", e.what()}});
  }
  life.update([&](metrics::LifecycleStatus& s) {
    ++(o.written ? s.rules_writes_ok : s.rules_writes_failed);
  });
  return o;
}

// Asks Prometheus to reload (when a URL is set), logging and counting a failure.
api::ReloadOutcome ask_prometheus_to_reload(const config::ThresholdsConfig& t, Lifecycle& life) {
  const auto r = reload_prometheus(t.prometheus_reload_url, t.reload_attempts);
  if (r.status == "not_configured") return r;
  if (r.status != "ok") {
    log::error("Prometheus did not reload the rules",
               {{"attempts", std::to_string(r.attempts)}, {"error", r.detail}});
  }
  life.update([&](metrics::LifecycleStatus& s) {
    ++(r.status == "ok" ? s.prometheus_reloads_ok : s.prometheus_reloads_failed);
  });
  return r;
}

// After the configuration was loaded (start, reload): the rule file follows it.
void refresh_rules(const config::Config& cfg, const api::ThresholdStore& thresholds,
                   Lifecycle& life) {
  // Under the store's lock, like a change through the API: the two never interleave.
  const bool written = thresholds.with_all(
      [&](const auto& all) { return write_rules_file(cfg, all, life).written; });
  if (written) ask_prometheus_to_reload(cfg.thresholds, life);
}

// The API for cfg (nullptr when no api.auth is configured): its credentials are
// read now (throws config::ConfigError), and a threshold change rewrites the rule
// file and asks Prometheus to reload, each counted in the lifecycle metrics.
std::shared_ptr<const api::Api> make_api(const config::Config& cfg, api::ThresholdStore& store,
                                         Lifecycle& life, const core::Clock& wall) {
  if (!cfg.api.enabled()) return nullptr;
  auto shared = std::make_shared<const config::Config>(cfg);
  api::Api::Hooks hooks;
  hooks.write_rules = [shared, &life](const std::map<std::string, api::ApiThreshold>& all) {
    life.update([](metrics::LifecycleStatus& s) { ++s.threshold_changes; });
    return write_rules_file(*shared, all, life);
  };
  hooks.reload_prometheus = [shared, &life] {
    return ask_prometheus_to_reload(shared->thresholds, life);
  };
  return std::make_shared<const api::Api>(shared, api::load_credentials(cfg.api), store, hooks,
                                          wall);
}

// The services the status pages show: all, or (engineer given: the API's access
// control is on) those the engineer may read; with the threshold in force.
std::vector<StatusRow> status_rows(const metrics::Published& state, const config::Config& cfg,
                                   const api::ThresholdStore& thresholds,
                                   const std::string* engineer) {
  std::vector<StatusRow> rows;
  const auto& snap = state.snapshot;
  const auto at = api::positions(snap);
  for (const auto& s : cfg.services) {
    if (engineer && !api::may_read(cfg, s, *engineer)) continue;
    StatusRow row{s.info, {}, nullptr, std::nan(""), ""};
    if (const auto i = at.find(s.info.id); i != at.end()) {
      row.view = snap.views[i->second];
      if (i->second < snap.trends.size()) row.trend = snap.trends[i->second];
    }
    if (cfg.alert_policy) {
      const auto e = thresholds.effective(*cfg.alert_policy, s.info.id);
      row.threshold_ms = e.ms;
      row.threshold_source = e.source;
    }
    rows.push_back(std::move(row));
  }
  return rows;
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

// One generation of the ingest side, built from one configuration: the pipeline
// and either the Loki input with its io thread, or a replay's thread, or nothing.
// A reload builds the next generation, moves the state over and drops this one.
// Thread safety: the owner (the main thread) calls every member; between
// start_*() and stop() the pipeline belongs to this generation's thread.
class Engine {
 public:
  struct Env {
    const core::Clock& wall;
    LatestState& latest;
    Lifecycle& lifecycle;
    std::filesystem::path state_file;  // empty: no snapshots
    std::int64_t start_time_ns;
  };

  // Throws if the Loki input cannot be set up (e.g. an unreadable credentials file):
  // a reload then leaves the running generation alone.
  Engine(config::Config cfg, std::vector<loki::ShardPlan> shards, const Env& env)
      : cfg_(std::move(cfg)),
        env_(env),
        pipeline_(cfg_, {kVersion, kRevision, env.start_time_ns, {}, {}, {}}) {
    if (shards.empty()) return;
    std::vector<std::size_t> shard_of(cfg_.services.size());
    std::vector<bool> field_shard;
    for (std::size_t i = 0; i < shards.size(); ++i) {
      for (int s : shards[i].services) shard_of[static_cast<std::size_t>(s)] = i;
      field_shard.push_back(shards[i].field_matched);
    }
    auto sink = [this, shard_of, field_shard](std::size_t shard, const core::Entry& e,
                                              std::int64_t now) {
      // The field shard's selector may also cover services tailed by another
      // shard: their lines are counted there, not twice.
      if (field_shard[shard]) {
        const int s = pipeline_.service_by_labels(e);
        if (s >= 0 && shard_of[static_cast<std::size_t>(s)] != shard) return true;
      }
      return pipeline_.on_entry(e, now) != core::RejectReason::kTooLate;
    };
    input_ = std::make_unique<loki::Input>(io_, cfg_.loki, std::move(shards), env_.wall, sink);
  }
  ~Engine() { stop(); }
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const config::Config& config() const { return cfg_; }
  bool has_input() const { return input_ != nullptr; }
  bool replaying() const { return replay_ != nullptr && !replay_done_; }

  // A missing snapshot is a cold start; a rejected one is moved aside (never
  // half-loaded) and the process starts cold.
  void restore_from_file() {
    const auto& file = env_.state_file;
    const auto loaded = state::read(file);
    if (loaded.kind == state::Loaded::Kind::kMissing) {
      log::info("no state snapshot: starting cold", {{"file", file.string()}});
      return;
    }
    std::optional<Restored> restored;
    if (loaded.kind == state::Loaded::Kind::kOk)
      restored = restore_payload(loaded.payload, pipeline_.store(), input_.get());
    if (!restored) {
      const auto aside = state::move_aside(file, std::to_string(env_.wall.now_ns()));
      log::warn(
          "state snapshot rejected: starting cold",
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

  // Takes over a stopped generation's state: windows by service id, shards by
  // selector, the input's counters. False if its state could not be read back.
  bool take_over(Engine& old) {
    const std::int64_t now = env_.wall.now_ns();
    const auto restored =
        restore_payload(state_payload(old.pipeline_.store(), old.input_.get(), now),
                        pipeline_.store(), input_.get());
    if (!restored) return false;
    pipeline_.input() = old.pipeline_.input();
    replay_end_ = old.replay_end_;
    log::info("state carried over", {{"services", std::to_string(restored->services)},
                                     {"shards", std::to_string(restored->shards)}});
    return true;
  }

  // Publishes the state as it is, at `now`.
  void publish_now(std::int64_t now_ns) { env_.latest.store(pipeline_.publish(now_ns)); }
  // The time a generation without input stands at: a finished replay's own end,
  // or the wall clock.
  std::int64_t state_now() const {
    return cfg_.replay.path.empty() ? env_.wall.now_ns() : replay_end_;
  }

  void start_loki() {
    input_->start();
    if (!env_.state_file.empty()) {
      boost::asio::co_spawn(io_, every(cfg_.state.interval_ns, [this] { save_state(); }),
                            boost::asio::detached);
    }
    boost::asio::co_spawn(io_, every(cfg_.windows.publish_interval_ns, [this] { publish(); }),
                          boost::asio::detached);
    log::info("tailing Loki",
              {{"url", cfg_.loki.url}, {"shards", std::to_string(input_->status().size())}});
    thread_ = std::thread([this] { io_.run(); });
  }

  void start_replay(source::Replay& replay) {
    replay_ = &replay;
    thread_ = std::thread([this] {
      const auto started = std::chrono::steady_clock::now();
      replay_end_ = replay_into(
          *replay_, pipeline_, cfg_.replay.speed > 0, cfg_.windows.publish_interval_ns,
          [this](std::shared_ptr<const metrics::Published> p) { env_.latest.store(std::move(p)); });
      const auto& in = pipeline_.input();
      log::info(
          "replay finished; serving its state until stopped",
          {{"lines", std::to_string(in.lines_read)},
           {"records", std::to_string(replay_->stats().records)},
           {"malformed_records", std::to_string(replay_->stats().malformed_records)},
           {"seconds",
            std::to_string(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count())},
           {"state_time", core::format_timestamp(replay_end_)}});
      replay_done_ = true;
    });
  }

  // Stops the input and waits for this generation's thread; the pipeline is the
  // caller's again. resume() undoes it (a reload whose hand-over failed).
  void stop() {
    if (replay_ && !replay_done_) replay_->stop();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  void resume() {
    if (!input_) return;
    io_.restart();
    thread_ = std::thread([this] { io_.run(); });
  }

  // The last snapshot, once stopped: it then holds everything counted.
  void save_state() {
    if (env_.state_file.empty() || !input_) return;
    const auto started = std::chrono::steady_clock::now();
    try {
      const std::string payload =
          state_payload(pipeline_.store(), input_.get(), env_.wall.now_ns());
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

 private:
  void publish() {
    pipeline_.loki() = input_->status();
    env_.latest.store(pipeline_.publish(std::min(env_.wall.now_ns(), input_->backfill_floor())));
  }

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

// Reload requests from HTTP workers, carried out by the main thread (which also
// takes SIGHUP) so that a reload never runs beside another.
// Thread safety: all members may be called from any thread.
class ReloadRequests {
 public:
  using Outcome = std::pair<bool, std::string>;  // ok, and what happened

  // From an HTTP worker: asks for a reload and waits for its outcome.
  std::optional<Outcome> ask(std::chrono::seconds timeout) {
    auto promise = std::make_shared<std::promise<Outcome>>();
    auto future = promise->get_future();
    {
      std::lock_guard lock(mutex_);
      if (closed_) return Outcome{false, "shutting down"};
      waiting_.push_back(std::move(promise));
    }
    kill(getpid(), SIGHUP);  // blocked in every thread: the main thread's sigwait takes it
    if (future.wait_for(timeout) != std::future_status::ready) return std::nullopt;
    return future.get();
  }
  // From the main thread, as a reload begins: who will be told its outcome.
  std::vector<std::shared_ptr<std::promise<Outcome>>> take() {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<std::promise<Outcome>>> out(waiting_.begin(), waiting_.end());
    waiting_.clear();
    return out;
  }
  // At shutdown: whoever waits is told so, and later requests are refused at once.
  void close() {
    for (const auto& p : take()) p->set_value({false, "shutting down"});
    std::lock_guard lock(mutex_);
    closed_ = true;
  }

 private:
  std::mutex mutex_;
  std::deque<std::shared_ptr<std::promise<Outcome>>> waiting_;
  bool closed_ = false;
};

// Loads the configuration again and, if it is valid, replaces the running
// generation with one built from it, carrying the state over. On any failure the
// running generation stays as it was. Returns (ok, what happened).
ReloadRequests::Outcome reload(const RunArgs& args, std::unique_ptr<Engine>& engine,
                               const Engine::Env& env, ApiHolder& apis,
                               api::ThresholdStore& thresholds) {
  const auto started = std::chrono::steady_clock::now();
  const auto failed = [&](const std::string& why) {
    env.lifecycle.update([](metrics::LifecycleStatus& s) {
      s.last_reload_ok = false;
      ++s.reloads_failed;
    });
    return ReloadRequests::Outcome{false, why};
  };
  std::unique_ptr<Engine> next;
  std::shared_ptr<const api::Api> next_api;
  try {
    if (engine->replaying())
      throw std::runtime_error("a replay is still running: reload once it has finished");
    config::Config cfg = load_config(args);
    keep_restart_only_keys(engine->config(), cfg);
    const bool replayed = !cfg.replay.path.empty();
    auto shards = plan_for(cfg, replayed);
    next_api = make_api(cfg, thresholds, env.lifecycle, env.wall);
    next = std::make_unique<Engine>(std::move(cfg), std::move(shards), env);
  } catch (const std::exception& e) {
    log::error("reload failed: the running configuration stays in force", {{"error", e.what()}});
    return failed(e.what());
  }
  engine->stop();
  if (!next->take_over(*engine)) {
    engine->resume();
    log::error("reload failed: the running state could not be carried over; nothing changed");
    return failed("the running state could not be carried over");
  }
  engine = std::move(next);  // the old generation is stopped and dropped here
  apis.store(std::move(next_api));
  env.lifecycle.update([&](metrics::LifecycleStatus& s) {
    s.last_reload_ok = true;
    ++s.reloads_ok;
    s.last_reload_ok_ns = env.wall.now_ns();
  });
  if (engine->has_input()) {
    engine->publish_now(env.wall.now_ns());
    engine->start_loki();
  } else {
    engine->publish_now(engine->state_now());
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  const std::string what = "reloaded " + args.config + " (" +
                           std::to_string(engine->config().services.size()) + " services)";
  log::info("configuration reloaded",
            {{"services", std::to_string(engine->config().services.size())},
             {"ms", std::to_string(static_cast<long>(ms))}});
  return {true, what};
}

}  // namespace

int run(const RunArgs& args) {
  if (!args.listen.empty() && !config::valid_listen_address(args.listen)) {
    log::error("invalid --listen", {{"value", args.listen}, {"expected", "HOST:PORT"}});
    return 2;
  }
  config::Config cfg;
  try {
    cfg = load_config(args);
  } catch (const std::exception& e) {
    log::error("invalid configuration", {{"error", e.what()}});
    return 2;
  }

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
  try {
    shards = plan_for(cfg, replay.has_value());
  } catch (const std::exception& e) {
    log::error("invalid configuration", {{"error", e.what()}});
    return 2;
  }

  // Signals are taken by sigwait in this thread only: block them before any
  // other thread starts so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  LatestState latest;
  Lifecycle lifecycle;
  const std::int64_t started_ns = wall.now_ns();
  lifecycle.update([&](metrics::LifecycleStatus& s) { s.last_reload_ok_ns = started_ns; });
  const Engine::Env env{wall, latest, lifecycle, state_file, started_ns};
  std::unique_ptr<Engine> engine;
  try {
    engine = std::make_unique<Engine>(cfg, std::move(shards), env);
  } catch (const std::exception& e) {
    log::error("cannot set up the Loki input", {{"error", e.what()}});
    return 2;
  }
  std::optional<api::ThresholdStore> thresholds;
  ApiHolder apis;
  Latest<config::Config> configs;  // the configuration in force, for the status pages
  configs.store(std::make_shared<const config::Config>(cfg));
  try {
    thresholds.emplace(cfg.thresholds);
    apis.store(make_api(cfg, *thresholds, lifecycle, wall));
    refresh_rules(cfg, *thresholds, lifecycle);
  } catch (const std::exception& e) {
    log::error("cannot set up the API", {{"error", e.what()}});
    return 2;
  }
  // A replay (or a backfill) drives time from its own timestamps: the empty initial
  // state must not move the windows to the wall clock, or every such line is too late.
  engine->publish_now(replay || cfg.loki.backfill_ns > 0 ? 0 : wall.now_ns());
  const auto current = [&latest] { return latest.load(); };

  ReloadRequests reloads;
  HttpServer http({.max_connections = cfg.http.max_connections,
                   .request_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::nanoseconds(cfg.http.request_timeout_ns))});
  http.route("/metrics", [&](const HttpRequest&) {
    auto life = lifecycle.get();
    life.http_connections_refused = http.refused_connections();
    return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                        metrics::render_exposition(*current(), life)};
  });
  // The status pages show what the API would: with api.auth on, only to an
  // identified engineer, and only the services they may read.
  const auto status_page = [&](const HttpRequest& h, const auto& render) {
    const auto cfg = configs.load();
    const auto a = apis.load();
    std::string who;
    if (a) {
      const auto& ac = a->access();
      const auto id = a->identify({h.header("Authorization"), h.header(ac.proxy_header),
                                   h.header(ac.proxy_secret_header), h.peer});
      if (const auto* d = std::get_if<api::Denied>(&id)) {
        return HttpResponse{
            d->status,
            "text/html; charset=utf-8",
            "<!doctype html><title>Sign in</title><p>" + html_escape(d->detail) + "</p>\n",
            {{"WWW-Authenticate", "Bearer realm=\"loki-latency-exporter\""}}};
      }
      who = std::get<api::Caller>(id).engineer;
    }
    const auto state = current();
    return render(*state, status_rows(*state, *cfg, *thresholds, a ? &who : nullptr), who);
  };
  http.route("/", [&](const HttpRequest& h) {
    return status_page(h, [](const metrics::Published& s, const std::vector<StatusRow>& rows,
                             const std::string& who) {
      return HttpResponse{200, "text/html; charset=utf-8", landing_page(s, rows, who)};
    });
  });
  http.route_prefix("/service/", 0, [&](const HttpRequest& h) {
    if (h.method != "GET" && h.method != "HEAD") {
      auto r =
          json_error(405, "method_not_allowed",
                     core::printable(h.method) + " is not allowed on " + core::printable(h.path));
      r.headers.emplace_back("Allow", "GET, HEAD");
      return r;
    }
    const std::string id = h.path.substr(std::strlen("/service/"));
    return status_page(h, [&](const metrics::Published& s, const std::vector<StatusRow>& rows,
                              const std::string&) {
      for (const auto& row : rows)
        if (row.info.id == id)
          return HttpResponse{200, "text/html; charset=utf-8", service_page(s, row)};
      return json_error(404, "unknown_service", "no service '" + id + "' to show you");
    });
  });
  http.route("/-/healthy", [](const HttpRequest&) {
    return HttpResponse{200, "text/plain; charset=utf-8", "OK\n"};
  });
  // Ready as soon as state is served; never tied to the input being reachable.
  http.route("/-/ready", [](const HttpRequest&) {
    return HttpResponse{200, "text/plain; charset=utf-8", "ready\n"};
  });
  // The REST API (docs/api.md). Bodies are read up to the largest api.max_body_bytes
  // allowed; the API holds each request to the configured one.
  http.route_prefix("/api/", 1u << 20, [&](const HttpRequest& h) {
    const auto a = apis.load();
    if (!a) return json_error(404, "api_disabled", "the REST API is off: configure api.auth");
    const config::ApiConfig& api_cfg = a->access();
    api::Request r{h.method,
                   h.path,
                   h.query,
                   h.body,
                   std::string(h.header("If-Match")),
                   {h.header("Authorization"), h.header(api_cfg.proxy_header),
                    h.header(api_cfg.proxy_secret_header), h.peer},
                   h.body_too_large || h.body.size() > api_cfg.max_body_bytes};
    const auto out = a->handle(r, current()->snapshot);
    return HttpResponse{out.status, "application/json", out.body, out.headers};
  });
  http.route("POST", "/-/reload", [&](const HttpRequest&) {
    const auto outcome = reloads.ask(std::chrono::seconds(60));
    if (!outcome) return json_error(503, "reload_pending", "no outcome within 60 s");
    if (!outcome->first) return json_error(500, "reload_failed", outcome->second);
    boost::json::object o{{"status", "reloaded"}, {"detail", outcome->second}};
    return HttpResponse{200, "application/json", boost::json::serialize(o) + "\n"};
  });
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

  if (engine->has_input()) {
    if (!state_file.empty()) engine->restore_from_file();
    engine->start_loki();
  } else if (replay) {
    engine->start_replay(*replay);
  }

  int sig = 0;
  for (;;) {
    sigwait(&signals, &sig);
    if (sig != SIGHUP) break;
    const auto asked = reloads.take();
    const auto outcome = reload(args, engine, env, apis, *thresholds);
    if (outcome.first) {
      configs.store(std::make_shared<const config::Config>(engine->config()));
      refresh_rules(engine->config(), *thresholds, lifecycle);
    }
    for (const auto& p : asked) p->set_value(outcome);
  }
  log::info("shutting down", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  engine->stop();
  // The input is stopped: the last snapshot holds everything counted.
  engine->save_state();
  reloads.close();
  http.stop();
  return 0;
}

int check_config(const std::string& config_path, bool offline) {
  try {
    const auto cfg = config::load(config_path);
    // Everything run reads at start, through the same code, so that "valid" here
    // means run starts: Loki's secrets, the API's credentials, the thresholds.
    if (!cfg.loki.url.empty()) loki::plan_shards(cfg);
    if (!offline) {
      if (!cfg.loki.url.empty()) loki::request_headers(cfg.loki);
      if (cfg.api.enabled()) api::load_credentials(cfg.api);
      const api::ThresholdStore thresholds(cfg.thresholds);
    }
    std::cout << config_path << ": valid (" << cfg.services.size() << " services, from "
              << cfg.services_file << ")\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}

}  // namespace lle::app
