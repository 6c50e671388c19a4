#pragma once
// Every endpoint of the exporter's port, one function each, on one HttpServer:
// /metrics, the status pages (/ and /service/<id>), the REST API (/api/...),
// /-/healthy, /-/ready and POST /-/reload.
// Thread safety: the handlers run on the server's handler threads and read only
// what the Site hands over (each a thread-safe hand-over) and the threshold store.

#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "exporter/api/handlers.h"
#include "exporter/api/thresholds.h"
#include "exporter/config/config.h"
#include "exporter/metrics/latest.h"
#include "exporter/web/http_server.h"

namespace lle::web {

// (ok, what happened) of a configuration reload.
using ReloadOutcome = std::pair<bool, std::string>;

struct Site {
  const metrics::LatestState& state;
  const metrics::Lifecycle& lifecycle;
  const metrics::Latest<api::Api>& api;           // holds nullptr while the API is off
  const metrics::Latest<config::Config>& config;  // the configuration in force
  const api::ThresholdStore& thresholds;
  // Asks for a reload and waits for its outcome; nullopt when none came in time.
  std::function<std::optional<ReloadOutcome>()> reload;
};

// Adds every route; `site` must outlive the server.
void add_routes(HttpServer& http, const Site& site);

}  // namespace lle::web
