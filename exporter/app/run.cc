#include <unistd.h>

#include <chrono>
#include <csignal>
#include <deque>
#include <filesystem>
#include <future>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>

#include "exporter/api/handlers.h"
#include "exporter/app/commands.h"
#include "exporter/app/prometheus_reload.h"
#include "exporter/app/rules.h"
#include "exporter/app/version.h"
#include "exporter/core/atomic_file.h"
#include "exporter/core/clock.h"
#include "exporter/ingest/engine.h"
#include "exporter/log/log.h"
#include "exporter/loki/plan.h"
#include "exporter/metrics/latest.h"
#include "exporter/source/replay.h"
#include "exporter/web/http_server.h"
#include "exporter/web/routes.h"

namespace lle::app {
namespace {

using ingest::Engine;
using ingest::plan_for;

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
using ApiHolder = metrics::Latest<api::Api>;

// Writes alerting.rules_file (when set) from the policy and the API's thresholds,
// counting the write; the API calls it after a change, start and reload after a load.
api::RulesOutcome write_rules_file(const config::Config& cfg,
                                   const std::map<std::string, api::ApiThreshold>& all,
                                   metrics::Lifecycle& life) {
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
api::ReloadOutcome ask_prometheus_to_reload(const config::ThresholdsConfig& t,
                                            metrics::Lifecycle& life) {
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
                   metrics::Lifecycle& life) {
  // Under the store's lock, like a change through the API: the two never interleave.
  const bool written = thresholds.with_all(
      [&](const auto& all) { return write_rules_file(cfg, all, life).written; });
  if (written) ask_prometheus_to_reload(cfg.thresholds, life);
}

// The API for cfg (nullptr when no api.auth is configured): its credentials are
// read now (throws config::ConfigError), and a threshold change rewrites the rule
// file and asks Prometheus to reload, each counted in the lifecycle metrics.
std::shared_ptr<const api::Api> make_api(const config::Config& cfg, api::ThresholdStore& store,
                                         metrics::Lifecycle& life, const core::Clock& wall) {
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

// Reload requests from HTTP workers, carried out by the main thread (which also
// takes SIGHUP) so that a reload never runs beside another.
// Thread safety: all members may be called from any thread.
class ReloadRequests {
 public:
  using Outcome = web::ReloadOutcome;

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
                               const Engine::Env& env, source::Source* replay, ApiHolder& apis,
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
    config::Config cfg = load_config(args);
    keep_restart_only_keys(engine->config(), cfg);
    const bool replayed = !cfg.replay.path.empty();
    auto shards = plan_for(cfg, replayed);
    next_api = make_api(cfg, thresholds, env.lifecycle, env.wall);
    next = std::make_unique<Engine>(std::move(cfg), std::move(shards), env, replay);
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
  engine->publish_now(engine->state_now());
  engine->start();
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  const std::string what = "reloaded " + args.config + " (" +
                           std::to_string(engine->config().services.size()) + " services)";
  log::info("configuration reloaded",
            {{"services", std::to_string(engine->config().services.size())},
             {"ms", std::to_string(static_cast<long>(ms))}});
  return {true, what};
}

// What feeds the ingest side at start: a replay (read now), or the Loki shards
// and where their state lives. nullopt (logged) when any of it cannot be had.
struct Inputs {
  std::optional<source::Replay> replay;
  std::filesystem::path state_file;  // empty: no snapshots
  std::vector<loki::ShardPlan> shards;
};
std::optional<Inputs> open_inputs(const config::Config& cfg, const core::Clock& wall) {
  Inputs in;
  if (!cfg.replay.path.empty()) {
    try {
      in.replay.emplace(source::Replay::load(
          {cfg.replay.path, cfg.replay.rebase_to_now, cfg.replay.speed}, wall, std::cin));
    } catch (const std::exception& e) {
      log::error("cannot read replay input", {{"error", e.what()}});
      return std::nullopt;
    }
    for (const auto& err : in.replay->stats().first_errors)
      log::warn("malformed replay input", {{"where", err}});
  } else if (cfg.loki.url.empty()) {
    log::warn("no input configured (input.loki.url or --replay): serving an empty state");
  }
  if (!in.replay && !cfg.loki.url.empty() && !cfg.state.dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(cfg.state.dir, ec);
    if (ec) {
      log::error("cannot create the state directory",
                 {{"dir", cfg.state.dir}, {"error", ec.message()}});
      return std::nullopt;
    }
    in.state_file = std::filesystem::path(cfg.state.dir) / "state.bin";
  }
  try {
    in.shards = plan_for(cfg, in.replay.has_value());
  } catch (const std::exception& e) {
    log::error("invalid configuration", {{"error", e.what()}});
    return std::nullopt;
  }
  return in;
}

}  // namespace

int run(const RunArgs& args) {
  // Signals are taken by sigwait in this thread only: blocked before anything else,
  // so that every thread inherits the mask and a signal during a long replay load
  // waits for the loop below instead of ending the process.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
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
  auto inputs = open_inputs(cfg, wall);
  if (!inputs) return 2;
  auto& replay = inputs->replay;
  const auto& state_file = inputs->state_file;

  metrics::LatestState latest;
  metrics::Lifecycle lifecycle;
  const std::int64_t started_ns = wall.now_ns();
  lifecycle.update([&](metrics::LifecycleStatus& s) { s.last_reload_ok_ns = started_ns; });
  const Engine::Env env{wall, latest, lifecycle, state_file, started_ns, kVersion, kRevision};
  std::unique_ptr<Engine> engine;
  try {
    engine =
        std::make_unique<Engine>(cfg, std::move(inputs->shards), env, replay ? &*replay : nullptr);
  } catch (const std::exception& e) {
    log::error("cannot set up the Loki input", {{"error", e.what()}});
    return 2;
  }
  std::optional<api::ThresholdStore> thresholds;
  ApiHolder apis;
  metrics::Latest<config::Config> configs;  // the configuration in force, for the status pages
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
  ReloadRequests reloads;
  web::HttpServer http({.max_connections = cfg.http.max_connections,
                        .request_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::nanoseconds(cfg.http.request_timeout_ns))});
  const web::Site site{latest,      lifecycle,
                       apis,        configs,
                       *thresholds, [&reloads] { return reloads.ask(std::chrono::seconds(60)); }};
  web::add_routes(http, site);
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

  if (!state_file.empty()) engine->restore_from_file();
  engine->start();

  int sig = 0;
  for (;;) {
    sigwait(&signals, &sig);
    if (sig != SIGHUP) break;
    const auto asked = reloads.take();
    const auto outcome = reload(args, engine, env, replay ? &*replay : nullptr, apis, *thresholds);
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
