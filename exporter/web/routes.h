#pragma once
// Every endpoint of the exporter's port, one function each, in one route table:
// /metrics, the status pages (/, /mine, /service/{id}, /team/{team},
// /compare), the REST API (/api/..., the routes api::kRoutes names), /-/healthy,
// /-/ready, /-/fleet (a fleet member's ready services) and POST /-/reload.
// Thread safety: the handlers run on the server's handler threads and read only
// what the Site hands over (each a thread-safe hand-over) and the threshold store.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
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
  // Asks for a reload; done gets its outcome, from the thread that carried it out.
  std::function<void(std::function<void(ReloadOutcome)> done)> reload;
};

// The /metrics format an Accept header prefers, by its q-values: protobuf
// (length-delimited MetricFamily messages: native histograms and their
// exemplars), OpenMetrics text (exemplars on classic buckets), or the text
// format 0.0.4 (no header, text/plain, */*, anything else); a tie goes to the
// first of these.
enum class Exposition { kProtobuf, kOpenMetrics, kText };
Exposition negotiate_exposition(std::string_view accept);

// Adds every route; `site` must outlive the server.
void add_routes(HttpServer& http, const Site& site);

// The REST API's routes, each served by the API in force (nullptr: off, a 404)
// on the state published; bodies read up to the largest api.max_body_bytes.
void add_api_routes(Router& router, std::function<std::shared_ptr<const api::Api>()> api,
                    std::function<std::shared_ptr<const window::Snapshot>()> state);

}  // namespace lle::web
