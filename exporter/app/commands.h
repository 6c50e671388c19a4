#pragma once
// The subcommands. Each returns the process exit code.

#include <optional>
#include <string>

#include "exporter/config/config.h"

namespace lle::app {

struct RunArgs {
  std::string config;
  std::string replay;  // overrides input.replay.path; "-" = stdin
  std::string listen;  // overrides listen
  bool rebase_to_now = false;
  double speed = -1;                // < 0: the config's value
  std::optional<int> fleet_member;  // --fleet-member
  std::string web_config_file;      // --web.config.file: overrides http.web_config_file
};

int run(const RunArgs& args);
int check_config(const std::string& config_path, bool offline, std::optional<int> fleet_member,
                 const std::string& web_config_file);
int dq_report(const std::string& config_path, const std::string& replay, const std::string& out,
              std::optional<int> fleet_member);
// format: "prometheus" or "prometheusrule"; out: a file (written atomically) or "-".
int rules_generate(const std::string& config_path, const std::string& out,
                   const std::string& format);

// Entry point behind main(): parses argv and runs a subcommand.
int cli_main(int argc, char** argv);

}  // namespace lle::app
