// `rules generate`: the alert policy and services.yaml into a Prometheus rule file.
#include <iostream>

#include "exporter/app/commands.h"
#include "exporter/config/config.h"
#include "exporter/core/atomic_file.h"
#include "exporter/rulegen/rulegen.h"

namespace lle::app {

int rules_generate(const std::string& config_path, const std::string& out,
                   const std::string& format) {
  try {
    const auto cfg = config::load(config_path);
    const std::string text =
        rulegen::generate(cfg, format == "prometheusrule" ? rulegen::Format::kPrometheusRule
                                                          : rulegen::Format::kPrometheus);
    if (out == "-") {
      std::cout << text;
    } else {
      core::write_file_atomic(out, {text}, 0644);
      std::cerr << "wrote " << out << " (" << cfg.services.size() << " services)\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}

}  // namespace lle::app
