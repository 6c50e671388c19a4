#pragma once
// The rule file as it should be now: the alert policy with the thresholds set
// through the API written over it. `rules generate` and the API's threshold
// changes both write it through here, so they always agree.

#include <map>
#include <string>

#include "exporter/api/thresholds.h"
#include "exporter/config/config.h"
#include "exporter/rulegen/rulegen.h"

namespace lle::app {

// Throws std::invalid_argument when cfg has no alert policy.
std::string rules_for(const config::Config& cfg,
                      const std::map<std::string, api::ApiThreshold>& api_thresholds,
                      rulegen::Format format);

}  // namespace lle::app
