// `rules generate`: the alert policy (with the API's thresholds) and services.yaml
// into a Prometheus rule file.
#include "exporter/app/rules.h"

#include <iostream>
#include <stdexcept>

#include "exporter/app/commands.h"
#include "exporter/core/atomic_file.h"

namespace lle::app {

std::string rules_for(const config::Config& cfg,
                      const std::map<std::string, api::ApiThreshold>& api_thresholds,
                      rulegen::Format format) {
  if (!cfg.alert_policy)
    throw std::invalid_argument(cfg.exporter_file + ": alerting.policy_file: not set");
  if (api_thresholds.empty()) return rulegen::generate(cfg, format);
  config::Config merged = cfg;
  merged.alert_policy = api::with_api_thresholds(*cfg.alert_policy, api_thresholds);
  return rulegen::generate(merged, format);
}

int rules_generate(const std::string& config_path, const std::string& out,
                   const std::string& format) {
  try {
    const auto cfg = config::load(config_path, {std::nullopt, "", true});  // the fleet's rules
    const api::ThresholdStore api_thresholds(cfg.thresholds);
    const std::string text = rules_for(cfg, api_thresholds.all().by_service,
                                       format == "prometheusrule" ? rulegen::Format::kPrometheusRule
                                       : format == "sloth"        ? rulegen::Format::kSloth
                                                                  : rulegen::Format::kPrometheus);
    if (out == "-") {
      std::cout << text;
    } else {
      core::write_file_atomic(out, {text}, 0644);
      std::cerr << "wrote " << out << " (" << cfg.services.size() + cfg.fleet.elsewhere.size()
                << " services)\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}

}  // namespace lle::app
