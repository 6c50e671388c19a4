#pragma once
// Asking Prometheus to load changed rules: POST <url> (its /-/reload, which
// needs --web.enable-lifecycle), retried with a short backoff.
// Thread safety: a free function; blocks the calling thread for at most
// attempts x (5 s + backoff).

#include <string>

#include "exporter/api/handlers.h"

namespace lle::app {

api::ReloadOutcome reload_prometheus(const std::string& url, int attempts);

}  // namespace lle::app
