#pragma once
// The REST API (docs/api.md): request -> response, with the caller identified
// and authorised first. Pure but for the threshold store and the two hooks that
// a change sets off (writing the rule file, asking Prometheus to reload), which
// app supplies. Every decision is logged.
// Thread safety: handle() may run on any number of threads at once.

#include <functional>
#include <map>
#include <memory>
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

struct Request {
  std::string method, path, query, body;
  std::string if_match;
  RequestAuth auth;
  bool body_too_large = false;  // the HTTP layer stopped reading at max_body_bytes
};

struct Response {
  int status = 200;
  std::string body;  // JSON
  std::vector<std::pair<std::string, std::string>> headers;
};

Response error(int status, const std::string& code, const std::string& detail);

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
  struct Hooks {
    // Under the store's lock, with every API threshold: regenerate the rule file.
    std::function<RulesOutcome(const std::map<std::string, ApiThreshold>&)> write_rules;
    // After the lock: ask Prometheus to reload (retried inside).
    std::function<ReloadOutcome()> reload_prometheus;
  };
  Api(std::shared_ptr<const config::Config> cfg, Credentials creds, ThresholdStore& thresholds,
      Hooks hooks, const core::Clock& clock);

  Response handle(const Request& r, const window::Snapshot& state) const;
  // The access settings the HTTP layer needs to extract a Request.
  const config::ApiConfig& access() const { return cfg_->api; }
  // Who a request comes from, as handle() decides it (the status pages ask too).
  std::variant<Caller, Denied> identify(const RequestAuth& r) const {
    return api::identify(r, cfg_->api, creds_);
  }
  const config::Config& config() const { return *cfg_; }

 private:
  std::shared_ptr<const config::Config> cfg_;
  Credentials creds_;
  ThresholdStore& thresholds_;
  Hooks hooks_;
  const core::Clock& clock_;
};

}  // namespace lle::api
