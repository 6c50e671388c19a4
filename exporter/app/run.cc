#include <pthread.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <unordered_set>
#include <utility>

#include "exporter/api/handlers.h"
#include "exporter/app/commands.h"
#include "exporter/app/rules.h"
#include "exporter/app/version.h"
#include "exporter/core/atomic_file.h"
#include "exporter/core/clock.h"
#include "exporter/core/units.h"
#include "exporter/ingest/engine.h"
#include "exporter/ingest/snapshot_payload.h"
#include "exporter/log/log.h"
#include "exporter/loki/plan.h"
#include "exporter/metrics/latest.h"
#include "exporter/outbound/fleet_peer.h"
#include "exporter/outbound/http_client.h"
#include "exporter/source/replay.h"
#include "exporter/web/http_server.h"
#include "exporter/web/routes.h"

namespace lle::app {
namespace {

namespace asio = boost::asio;
using ingest::Engine;
using ingest::plan_for;

// Each attempt to have Prometheus reload its rules, or to ask a fleet peer which
// services it has ready, ends within this.
constexpr std::chrono::seconds kPostTimeout{5};

// The configuration as `run` sees it: the files, then the command line's overrides
// (checked once, before the first load). Throws config::ConfigError.
config::Config load_config(const RunArgs& args) {
  config::Config cfg = config::load(args.config, {args.fleet_member, args.web_config_file});
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

// What feeds the ingest side at start: a replay (read now), or the Loki shards,
// where their state lives and the snapshot found there. In fleet mode, the
// services that snapshot holds and another member owns now stay in cfg for the
// handoff's grace period (config::keep_leaving). nullopt (logged) when any of it
// cannot be had.
struct Inputs {
  std::optional<source::Replay> replay;
  std::filesystem::path state_file;  // empty: no snapshots
  state::Loaded snapshot;
  std::vector<std::string> leaving;
  std::vector<loki::ShardPlan> shards;
};
std::optional<Inputs> open_inputs(config::Config& cfg, const core::Clock& wall) {
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
    in.snapshot = state::read(in.state_file);
    if (cfg.fleet.handoff_grace_ns > 0 && in.snapshot.kind == state::Loaded::Kind::kOk)
      in.leaving = config::keep_leaving(cfg, ingest::services_saved(in.snapshot.payload));
    if (!in.leaving.empty()) {
      log::info("serving the services now owned by other members for the handoff's grace period",
                {{"services", std::to_string(in.leaving.size())},
                 {"grace_seconds", core::shortest_text(cfg.fleet.handoff_grace_ns / 1e9)}});
    }
  }
  try {
    in.shards = plan_for(cfg, in.replay.has_value());
  } catch (const std::exception& e) {
    log::error("invalid configuration", {{"error", e.what()}});
    return std::nullopt;
  }
  return in;
}

// The REST API as configured now (nullptr: off), replaced whole on reload.
using ApiHolder = metrics::Latest<api::Api>;

// alerting.rules_file (when set) from the policy and the API's thresholds, each
// write counted. Written outside the threshold store's lock: a write of thresholds
// older than those last written is skipped (the file on disk already holds that
// change), so racing changes never leave an older file behind.
// Thread safety: write() may be called from any thread.
class RulesFile {
 public:
  explicit RulesFile(metrics::Lifecycle& life) : life_(life) {}

  api::RulesOutcome write(const config::Config& cfg, const api::ThresholdStore::All& all) {
    const auto& t = cfg.thresholds;
    api::RulesOutcome o{!t.rules_file.empty() && cfg.alert_policy, false, t.rules_file, ""};
    if (!o.configured) return o;
    std::lock_guard lock(mutex_);
    if (all.generation < written_generation_) return {true, true, t.rules_file, ""};
    try {
      const auto format =
          t.rules_prometheus_rule ? rulegen::Format::kPrometheusRule : rulegen::Format::kPrometheus;
      core::write_file_atomic(t.rules_file, {rules_for(cfg, all.by_service, format)}, 0644);
      o.written = true;
      written_generation_ = all.generation;
    } catch (const std::exception& e) {
      o.error = e.what();
      log::error("cannot write the rule file", {{"file", t.rules_file}, {"error", e.what()}});
    }
    life_.update([&](metrics::LifecycleStatus& s) {
      ++(o.written ? s.rules_writes_ok : s.rules_writes_failed);
    });
    return o;
  }

 private:
  metrics::Lifecycle& life_;
  std::mutex mutex_;
  std::uint64_t written_generation_ = 0;
};

// Everything `run` serves with once its input is open: the engine generation in
// force and what outlives generations (the replay, thresholds, API, rule file,
// HTTP server). Reloads (SIGHUP, POST /-/reload), rule refreshes and Prometheus
// reloads all run on the main thread's io_context, one at a time; HTTP handlers
// post to it and answer when it is done, holding no handler thread meanwhile.
class Exporter {
 public:
  // Throws (the caller logs it) if the engine or the API cannot be set up.
  Exporter(const RunArgs& args, const config::Config& cfg, Inputs inputs, const core::Clock& wall);
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  // Binds the port. Throws std::runtime_error.
  void listen(const config::Config& cfg);
  // Restores the snapshot, starts ingesting, and serves until SIGINT or SIGTERM;
  // then stops the input and saves the state.
  void serve();

 private:
  using Outcome = web::ReloadOutcome;
  Outcome reload();
  void refresh_rules(const config::Config& cfg);
  std::shared_ptr<const api::Api> make_api(const config::Config& cfg);
  void ask_prometheus_to_reload(const config::ThresholdsConfig& t,
                                std::function<void(api::ReloadOutcome)> done);
  void on_signal(const boost::system::error_code& ec, int sig);
  void end_grace_after(std::int64_t ns);
  void check_peers_after(std::int64_t ns);
  // Of `leaving`, those whose new owner (fleet.peer_url) lists them ready.
  asio::awaitable<std::vector<std::string>> ready_at_new_owners(std::string peer_url, int members,
                                                                std::vector<std::string> leaving);
  bool drop_leaving(std::vector<std::string> ids, std::string_view why);

  const RunArgs& args_;
  const core::Clock& wall_;
  Inputs inputs_;
  metrics::LatestState latest_;
  metrics::Lifecycle lifecycle_;
  const std::int64_t started_ns_;
  const Engine::Env env_;
  api::ThresholdStore thresholds_;
  RulesFile rules_{lifecycle_};
  // The main thread's: before the server, so that the server stops (and its
  // handlers, which post here, end) before this goes.
  asio::io_context io_{1};
  asio::signal_set signals_{io_};
  // The handoff's grace period (Inputs::leaving): served until the timer fires, or
  // until their new owners have them ready (asked every fleet.peer_check_interval).
  std::vector<std::string> leaving_;
  asio::steady_timer grace_{io_};
  asio::steady_timer peer_check_{io_};
  std::map<int, std::string> peer_errors_;  // by member: the last, logged when it changes
  ApiHolder apis_;
  metrics::Latest<config::Config> configs_;  // the configuration in force, for the status pages
  std::unique_ptr<Engine> engine_;
  const web::Site site_{
      latest_, lifecycle_, apis_, configs_, thresholds_, [this](std::function<void(Outcome)> done) {
        asio::post(io_, [this, done = std::move(done)] { done(reload()); });
      }};
  web::HttpServer http_;
};

Exporter::Exporter(const RunArgs& args, const config::Config& cfg, Inputs inputs,
                   const core::Clock& wall)
    : args_(args),
      wall_(wall),
      inputs_(std::move(inputs)),
      started_ns_(wall.now_ns()),
      env_{wall, latest_, lifecycle_, inputs_.state_file, started_ns_, kVersion, kRevision},
      thresholds_(cfg.thresholds),
      http_({.max_connections = cfg.http.max_connections,
             .request_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::nanoseconds(cfg.http.request_timeout_ns))}) {
  lifecycle_.update([&](metrics::LifecycleStatus& s) { s.last_reload_ok_ns = started_ns_; });
  http_.secure(std::make_shared<const web::Security>(cfg.http));
  source::Source* replay = inputs_.replay ? &*inputs_.replay : nullptr;
  engine_ = std::make_unique<Engine>(cfg, std::move(inputs_.shards), env_, replay);
  configs_.store(std::make_shared<const config::Config>(cfg));
  apis_.store(make_api(cfg));
  refresh_rules(cfg);
  // A replay (or a backfill) drives time from its own timestamps: the empty initial
  // state must not move the windows to the wall clock, or every such line is too late.
  engine_->publish_now(replay || cfg.loki.backfill_ns > 0 ? 0 : wall.now_ns());
}

// Asks Prometheus to reload (when a URL is set), logging and counting a failure;
// done gets the outcome on the main thread.
void Exporter::ask_prometheus_to_reload(const config::ThresholdsConfig& t,
                                        std::function<void(api::ReloadOutcome)> done) {
  if (t.prometheus_reload_url.empty()) return done({});
  asio::co_spawn(io_, outbound::post(t.prometheus_reload_url, t.reload_attempts, kPostTimeout),
                 [this, done](const std::exception_ptr& failed, outbound::Result r) {
                   api::ReloadOutcome out{r.ok ? "ok" : "failed", r.attempts,
                                          failed ? "internal error" : r.detail};
                   if (!r.ok) {
                     log::error("Prometheus did not reload the rules",
                                {{"attempts", std::to_string(r.attempts)}, {"error", out.detail}});
                   }
                   lifecycle_.update([&](metrics::LifecycleStatus& s) {
                     ++(r.ok ? s.prometheus_reloads_ok : s.prometheus_reloads_failed);
                   });
                   done(out);
                 });
}

// After the configuration was loaded (start, reload): the rule file follows it,
// and Prometheus is asked to load it.
void Exporter::refresh_rules(const config::Config& cfg) {
  if (rules_.write(cfg, thresholds_.all()).written)
    ask_prometheus_to_reload(cfg.thresholds, [](const api::ReloadOutcome&) {});
}

// The API for cfg (nullptr when no api.auth is configured): its credentials are
// read now (throws config::ConfigError), and a threshold change rewrites the rule
// file and asks Prometheus to reload (from the main thread), each counted.
std::shared_ptr<const api::Api> Exporter::make_api(const config::Config& cfg) {
  if (!cfg.api.enabled()) return nullptr;
  auto shared = std::make_shared<const config::Config>(cfg);
  api::Api::Hooks hooks;
  hooks.write_rules = [this, shared](const api::ThresholdStore::All& all) {
    lifecycle_.update([](metrics::LifecycleStatus& s) { ++s.threshold_changes; });
    return rules_.write(*shared, all);
  };
  hooks.reload_prometheus = [this, shared](std::function<void(api::ReloadOutcome)> done) {
    asio::post(io_, [this, shared, done = std::move(done)]() mutable {
      ask_prometheus_to_reload(shared->thresholds, std::move(done));
    });
  };
  return std::make_shared<const api::Api>(shared, api::load_credentials(cfg.api), thresholds_,
                                          hooks, wall_);
}

void Exporter::listen(const config::Config& cfg) {
  web::add_routes(http_, site_);
  http_.start(cfg.listen);
  const std::string host = cfg.listen.substr(0, cfg.listen.rfind(':'));
  log::info("serving", {{"metrics", (cfg.http.web.tls ? "https://" : "http://") + host + ":" +
                                        std::to_string(http_.port()) + "/metrics"},
                        {"services", std::to_string(cfg.services.size())}});
}

// Loads the configuration again and, if it is valid, replaces the running
// generation with one built from it, carrying the state over. On any failure the
// running generation stays as it was. Returns (ok, what happened).
Exporter::Outcome Exporter::reload() {
  const auto started = std::chrono::steady_clock::now();
  const auto failed = [&](const std::string& why) {
    lifecycle_.update([](metrics::LifecycleStatus& s) {
      s.last_reload_ok = false;
      ++s.reloads_failed;
    });
    return Outcome{false, why};
  };
  std::unique_ptr<Engine> next;
  std::vector<std::string> leaving;
  std::shared_ptr<const api::Api> next_api;
  std::shared_ptr<const web::Security> next_security;
  try {
    config::Config cfg = load_config(args_);
    keep_restart_only_keys(engine_->config(), cfg);
    leaving = config::keep_leaving(cfg, leaving_);
    const bool replayed = !cfg.replay.path.empty();
    auto shards = plan_for(cfg, replayed);
    next_api = make_api(cfg);
    next_security = std::make_shared<const web::Security>(cfg.http);
    source::Source* replay = inputs_.replay ? &*inputs_.replay : nullptr;
    next = std::make_unique<Engine>(std::move(cfg), std::move(shards), env_, replay);
  } catch (const std::exception& e) {
    log::error("reload failed: the running configuration stays in force", {{"error", e.what()}});
    return failed(e.what());
  }
  engine_->stop();
  if (!next->take_over(*engine_)) {
    engine_->resume();
    log::error("reload failed: the running state could not be carried over; nothing changed");
    return failed("the running state could not be carried over");
  }
  engine_ = std::move(next);  // the old generation is stopped and dropped here
  leaving_ = std::move(leaving);
  apis_.store(std::move(next_api));
  http_.secure(std::move(next_security));
  lifecycle_.update([&](metrics::LifecycleStatus& s) {
    s.last_reload_ok = true;
    ++s.reloads_ok;
    s.last_reload_ok_ns = wall_.now_ns();
  });
  engine_->publish_now(engine_->state_now());
  engine_->start();
  configs_.store(std::make_shared<const config::Config>(engine_->config()));
  refresh_rules(engine_->config());
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  const std::string services = std::to_string(engine_->config().services.size());
  log::info("configuration reloaded",
            {{"services", services}, {"ms", std::to_string(static_cast<long>(ms))}});
  return {true, "reloaded " + args_.config + " (" + services + " services)"};
}

void Exporter::on_signal(const boost::system::error_code& ec, int sig) {
  if (ec) return;
  if (sig == SIGHUP) {
    reload();
    signals_.async_wait([this](const auto& e, int s) { on_signal(e, s); });
    return;
  }
  log::info("shutting down", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  io_.stop();
}

// Stops serving those of `ids` that are kept for the handoff's grace period: a
// reload without them drops their tails, windows and series. False (they are kept)
// if the reload failed. (ids by value: it may be a copy of leaving_, which changes.)
bool Exporter::drop_leaving(std::vector<std::string> ids, std::string_view why) {
  const std::unordered_set<std::string_view> drop(ids.begin(), ids.end());
  const auto kept = leaving_;
  std::erase_if(leaving_, [&](const std::string& id) { return drop.contains(id); });
  if (leaving_.size() == kept.size()) return true;
  log::info(why, {{"services", std::to_string(kept.size() - leaving_.size())},
                  {"still_leaving", std::to_string(leaving_.size())}});
  if (reload().first) return true;
  leaving_ = kept;
  return false;
}

// At the end of the handoff's grace period, what is still kept goes.
void Exporter::end_grace_after(std::int64_t ns) {
  grace_.expires_after(std::chrono::nanoseconds(ns));
  grace_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || leaving_.empty()) return;
    if (!drop_leaving(leaving_,
                      "handoff grace period over: dropping the services other "
                      "members own now"))
      end_grace_after(60'000'000'000);  // still served: try again in a minute
  });
}

// During the grace period (with fleet.peer_url), asks each new owner which of the
// services kept here it has ready, and drops those: from then on its series are
// the complete ones. A peer that cannot be asked, or answers for another place in
// the fleet, keeps them here; what went wrong is logged when it changes.
void Exporter::check_peers_after(std::int64_t ns) {
  peer_check_.expires_after(std::chrono::nanoseconds(ns));
  peer_check_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || leaving_.empty()) return;
    const auto& fleet = engine_->config().fleet;
    // Without a peer URL (a reload may set one) only the timer goes on.
    if (fleet.peer_url.empty()) return check_peers_after(fleet.peer_check_interval_ns);
    asio::co_spawn(io_, ready_at_new_owners(fleet.peer_url, fleet.members, leaving_),
                   [this](const std::exception_ptr& failed, std::vector<std::string> ready) {
                     if (!failed && !ready.empty())
                       drop_leaving(std::move(ready),
                                    "handoff: the new owners have these services ready, "
                                    "dropping them");
                     check_peers_after(engine_->config().fleet.peer_check_interval_ns);
                   });
  });
}

asio::awaitable<std::vector<std::string>> Exporter::ready_at_new_owners(
    std::string peer_url, int members, std::vector<std::string> leaving) {
  std::map<int, std::vector<std::string>> by_owner;
  for (auto& id : leaving) by_owner[config::fleet_owner(id, members)].push_back(std::move(id));
  std::vector<std::string> ready;
  for (auto& [owner, ids] : by_owner) {
    const std::string url = config::peer_url(peer_url, owner);
    const auto answer = co_await outbound::ask_peer(url, owner, members, kPostTimeout);
    if (answer.error != std::exchange(peer_errors_[owner], answer.error)) {
      if (answer.error.empty()) {
        log::info("fleet peer answers", {{"member", std::to_string(owner)}, {"url", url}});
      } else {
        log::warn("cannot learn from a fleet peer which services it has ready: they stay here",
                  {{"member", std::to_string(owner)}, {"url", url}, {"error", answer.error}});
      }
    }
    const std::unordered_set<std::string_view> there(answer.ready.begin(), answer.ready.end());
    for (auto& id : ids)
      if (there.contains(id)) ready.push_back(std::move(id));
  }
  co_return ready;
}

void Exporter::serve() {
  if (!inputs_.state_file.empty()) {
    engine_->restore(inputs_.snapshot);
    inputs_.snapshot = {};  // the payload's memory back
  }
  leaving_ = std::move(inputs_.leaving);
  if (!leaving_.empty()) {
    end_grace_after(engine_->config().fleet.handoff_grace_ns);
    check_peers_after(engine_->config().fleet.peer_check_interval_ns);
  }
  engine_->start();
  // The signals were blocked in every thread since the start; asio takes them
  // here, on this thread, from now (one that came meanwhile is delivered now).
  signals_.add(SIGINT);
  signals_.add(SIGTERM);
  signals_.add(SIGHUP);
  signals_.async_wait([this](const auto& e, int s) { on_signal(e, s); });
  sigset_t mask;
  sigemptyset(&mask);
  for (const int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&mask, s);
  pthread_sigmask(SIG_UNBLOCK, &mask, nullptr);
  io_.run();
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  // Nothing is ingested or answered any more: the last snapshot holds everything counted.
  http_.stop();
  engine_->stop();
  engine_->save_state();
}

}  // namespace

int run(const RunArgs& args) {
  // Blocked before anything else, so that every thread inherits the mask and a
  // signal during a long replay load waits for Exporter::serve() to take it
  // instead of ending the process.
  sigset_t signals;
  sigemptyset(&signals);
  for (const int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&signals, s);
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
  std::optional<Exporter> exporter;
  try {
    exporter.emplace(args, cfg, std::move(*inputs), wall);
  } catch (const std::exception& e) {
    log::error("cannot set up the exporter", {{"error", e.what()}});
    return 2;
  }
  try {
    exporter->listen(cfg);
  } catch (const std::exception& e) {
    log::error("cannot start HTTP server", {{"listen", cfg.listen}, {"error", e.what()}});
    return 1;
  }
  exporter->serve();
  return 0;
}

int check_config(const std::string& config_path, bool offline, std::optional<int> fleet_member,
                 const std::string& web_config_file) {
  try {
    const auto cfg = config::load(config_path, {fleet_member, web_config_file, offline});
    // Everything run reads at start, through the same code, so that "valid" here
    // means run starts: Loki's secrets, the API's credentials, the thresholds.
    if (!cfg.loki.url.empty()) loki::plan_shards(cfg);
    loki::fleet_tails(cfg);
    if (!offline) {
      if (!cfg.loki.url.empty()) loki::request_headers(cfg.loki);
      if (cfg.api.enabled()) api::load_credentials(cfg.api);
      const web::Security security(cfg.http);  // the certificate, key and client CA
      const api::ThresholdStore thresholds(cfg.thresholds);
    }
    std::cout << config_path << ": valid (" << cfg.services.size() << " services, from "
              << cfg.services_file;
    if (cfg.fleet.members > 1) {
      std::cout << "; fleet member " << cfg.fleet.member << " of " << cfg.fleet.members << ", of "
                << cfg.services.size() + cfg.fleet.elsewhere.size() << " services in all";
    }
    std::cout << ")\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}

}  // namespace lle::app
