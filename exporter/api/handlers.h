#pragma once
// The REST API (docs/api.md): one function per endpoint, each with the caller
// identified and authorised first; the HTTP layer routes by routes(). Pure but
// for the threshold store and the two hooks that a change sets off (writing the
// rule file, asking Prometheus to reload), which app supplies. Every decision
// is logged. Thread safety: serve() may run on any number of threads at once.

#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "exporter/api/access.h"
#include "exporter/api/thresholds.h"
#include "exporter/core/clock.h"
#include "exporter/window/store.h"

namespace lle::api {

// Where each service sits in a snapshot, by id (a snapshot may predate a reload,
// so its order need not be the configuration's).
std::unordered_map<std::string_view, std::size_t> positions(const window::Snapshot& state);

enum class Endpoint {
  kOwned,
  kLatency,
  kThreshold,
  kBacktest,
  kSloBacktest,
  kSetThreshold,
  kTeams,
  kTeamLatency
};

// The API's routes: {id} in a path is the service, {team} the team.
struct ApiRoute {
  const char* method;
  const char* path;
  Endpoint endpoint;
};
inline constexpr ApiRoute kRoutes[] = {
    {"GET", "/api/services/owned", Endpoint::kOwned},
    {"GET", "/api/services/{id}/latency", Endpoint::kLatency},
    {"GET", "/api/services/{id}/alert-threshold", Endpoint::kThreshold},
    {"PUT", "/api/services/{id}/alert-threshold", Endpoint::kSetThreshold},
    {"POST", "/api/services/{id}/alert-threshold", Endpoint::kSetThreshold},
    {"GET", "/api/services/{id}/alert-threshold/backtest", Endpoint::kBacktest},
    {"GET", "/api/services/{id}/slo/backtest", Endpoint::kSloBacktest},
    {"GET", "/api/teams", Endpoint::kTeams},
    {"GET", "/api/teams/{team}/latency", Endpoint::kTeamLatency},
};

struct Request {
  std::string method, path, query, body;
  std::string if_match;
  RequestAuth auth;
  bool body_too_large = false;  // the HTTP layer stopped reading at max_body_bytes
  std::string service;          // the path's {id}
  std::string team;             // the path's {team}
};

struct Response {
  int status = 200;
  std::string body;  // JSON
  std::vector<std::pair<std::string, std::string>> headers;
};

Response error(int status, const std::string& code, const std::string& detail);
// Fleet mode: 404 `owned_elsewhere` naming the member that serves `id` (`owner`),
// for the API and the pages; nullopt when no other member does.
std::optional<Response> served_elsewhere(const config::Config& c, std::string_view id);

// A query string's parameters, decoded by Boost.URL ('+' is a space). nullopt and
// *bad (a 400's error and detail) for an invalid encoding, a parameter not in
// `allowed`, or one given twice.
std::optional<std::map<std::string, std::string>> query_parameters(
    std::string_view query, std::initializer_list<std::string_view> allowed,
    std::pair<std::string, std::string>* bad);

// What happened after a threshold change was stored.
struct RulesOutcome {
  bool configured = false, written = false;
  std::string file, error;
};
struct ReloadOutcome {
  std::string status = "not_configured";  // "ok", "failed", "not_configured"
  int attempts = 0;
  std::string detail;
};

class Api {
 public:
  using Done = std::function<void(Response)>;
  struct Hooks {
    // After a change, with every API threshold: regenerate the rule file.
    std::function<RulesOutcome(const ThresholdStore::All&)> write_rules;
    // Then ask Prometheus to reload; done gets the outcome (at once, or later
    // from any thread).
    std::function<void(std::function<void(ReloadOutcome)> done)> reload_prometheus;
  };
  Api(std::shared_ptr<const config::Config> cfg, Credentials creds, ThresholdStore& thresholds,
      Hooks hooks, const core::Clock& clock);

  // Answers through done: at once, or for a threshold change once Prometheus
  // was asked to reload.
  void serve(Endpoint e, const Request& r, const window::Snapshot& state, Done done) const;
  // The access settings the HTTP layer needs to extract a Request.
  const config::ApiConfig& access() const { return cfg_->api; }
  // Who a request comes from, as handle() decides it (the status pages ask too).
  std::variant<Caller, Denied> identify(const RequestAuth& r) const {
    return api::identify(r, cfg_->api, creds_);
  }
  const config::Config& config() const { return *cfg_; }

 private:
  struct Call;  // one request to an endpoint about one service
  // (answer, why): the endpoints, after the caller was identified.
  using Decision = std::pair<Response, std::string>;
  Decision owned(const std::string& engineer, const window::Snapshot& state) const;
  Decision teams(const std::string& engineer, const window::Snapshot& state) const;
  Decision team_latency(const Request& r, const std::string& engineer,
                        const window::Snapshot& state) const;
  Decision latency(const Call& c) const;
  Decision threshold(const Call& c) const;
  Decision threshold_backtest(const Call& c) const;
  Decision slo_backtest(const Call& c) const;
  // nullopt when the change was accepted and done will be called with the answer.
  std::optional<Decision> set_threshold(const Call& c, std::function<void(Decision)> done) const;

  std::shared_ptr<const config::Config> cfg_;
  Credentials creds_;
  ThresholdStore& thresholds_;
  Hooks hooks_;
  const core::Clock& clock_;
};

}  // namespace lle::api
