#include <charconv>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/app/commands.h"
#include "exporter/app/version.h"
#include "exporter/log/log.h"

namespace lle::app {
namespace {

constexpr const char* kUsage =
    "loki-latency-exporter: per-service latency quantiles from Grafana Loki logs, for Prometheus.\n"
    "\n"
    "Usage:\n"
    "  loki-latency-exporter run --config FILE [--replay PATH|-] [--listen HOST:PORT]\n"
    "                            [--rebase-to-now] [--speed X] [--fleet-member K]\n"
    "                            [--web.config.file FILE]\n"
    "  loki-latency-exporter check-config --config FILE [--offline] [--fleet-member K]\n"
    "                            [--web.config.file FILE]\n"
    "  loki-latency-exporter dq-report --config FILE [--replay PATH|-] [--out FILE]\n"
    "                            [--fleet-member K]\n"
    "  loki-latency-exporter rules generate --config FILE --out PATH|-\n"
    "                            [--format prometheus|prometheusrule|sloth]\n"
    "  loki-latency-exporter --version | --help | SUBCOMMAND --help\n"
    "\n"
    "Global options (before or after the subcommand):\n"
    "  --log-format text|json   one line per event on stderr (default text)\n"
    "  --log-level debug|info|warn|error   (default info)\n"
    "\n"
    "Exit codes: 0 success; 1 failure (invalid config for check-config, a failed gate\n"
    "for dq-report, a runtime error for run); 2 usage or startup error.\n";

constexpr const char* kRunHelp =
    "loki-latency-exporter run --config FILE [options]\n"
    "\n"
    "Serves /metrics, / and /-/healthy, /-/ready, and ingests the configured input:\n"
    "Loki (input.loki.url; tails, repair by count, see docs/loki.md) unless --replay\n"
    "is given. Runs until SIGINT or SIGTERM. SIGHUP or POST /-/reload reads the\n"
    "configuration again and keeps the state (docs/operations.md).\n"
    "\n"
    "  --config FILE        exporter.yaml (it names services.yaml)\n"
    "  --replay PATH|-      replay a recorded Loki export (logcli jsonl, query responses or\n"
    "                       tail messages) from a file or stdin instead of the configured input\n"
    "  --listen HOST:PORT   overrides `listen` (port 0 picks a free port)\n"
    "  --rebase-to-now      shift replayed timestamps so that the newest line is now\n"
    "  --speed X            replay pace: 0 as fast as possible (default), 1 real time\n"
    "  --fleet-member K     fleet mode: this exporter is member K (overrides fleet.member\n"
    "                       and the host name's ordinal; docs/fleet.md)\n"
    "  --web.config.file FILE   TLS, basic auth and headers for every endpoint, in the\n"
    "                       Prometheus exporter toolkit's format (overrides\n"
    "                       http.web_config_file; re-read on reload; docs/security.md)\n";

constexpr const char* kCheckHelp =
    "loki-latency-exporter check-config --config FILE [--offline]\n"
    "\n"
    "Validates exporter.yaml, its services file and the alert policy (and that the\n"
    "services fit in input.loki.max_tails tails, and a fleet's members' tails together\n"
    "in fleet.max_tails_per_tenant), and reads every file run reads at\n"
    "start: Loki's secret files, the API's tokens file and proxy secret, the\n"
    "thresholds file. Exit 0 when valid; otherwise prints the file, line, YAML path\n"
    "and what was expected, and exits 1.\n"
    "\n"
    "  --offline   check the configuration files only, not the secret, token and\n"
    "              thresholds files they name (a config checked away from where it\n"
    "              runs, e.g. a Kubernetes ConfigMap in CI); a fleet member not given\n"
    "              is taken to be 0 rather than read from the host name\n"
    "  --fleet-member K   check as fleet member K (docs/fleet.md)\n"
    "  --web.config.file FILE   check this web configuration file, and (without\n"
    "              --offline) the certificate, key and client CA it names\n";

constexpr const char* kDqHelp =
    "loki-latency-exporter dq-report --config FILE [--replay PATH|-] [--out FILE]\n"
    "\n"
    "Replays a recorded export through the data-quality gates and prints JSON per service:\n"
    "accepted, rejected by reason, min/max latency, time span, baseline buckets. Exits 1\n"
    "if a gate in `data_quality` fails (reject ratio above max_reject_ratio, fewer than\n"
    "min_baseline_buckets 5-minute buckets with data), 0 otherwise.\n"
    "\n"
    "  --fleet-member K   report as fleet member K: its services, and the lines no\n"
    "                     service claims only on member 0 (docs/fleet.md)\n";

constexpr const char* kRulesHelp =
    "loki-latency-exporter rules generate --config FILE --out PATH|- [--format F]\n"
    "\n"
    "Writes Prometheus rules from the alert policy (alerting.policy_file in exporter.yaml,\n"
    "e.g. rules/alert-rules.yaml) and services.yaml: per-service thresholds as recording\n"
    "rules, P95 and baseline recording rules, latency and regression alerts per service,\n"
    "each latency SLO's error ratios and burn-rate alerts, and the exporter's own alerts.\n"
    "Output is deterministic and written atomically.\n"
    "\n"
    "  --out PATH|-     the rule file to write (- for stdout)\n"
    "  --format F       prometheus (a rule file, default), prometheusrule (the Prometheus\n"
    "                   Operator's PrometheusRule object) or sloth (a Sloth prometheus/v1\n"
    "                   spec per service with an SLO, on the exact counters)\n"
    "\n"
    "Exit 0 when written; 1 if the configuration or policy is invalid (the error names the\n"
    "file, line and key) or the file cannot be written.\n";

int usage_error(const std::string& what, const char* help) {
  std::cerr << "error: " << what << "\n\n" << help;
  return 2;
}

std::optional<log::Level> log_level(std::string_view v) {
  if (v == "debug") return log::Level::kDebug;
  if (v == "info") return log::Level::kInfo;
  if (v == "warn") return log::Level::kWarn;
  if (v == "error") return log::Level::kError;
  return std::nullopt;
}

std::optional<double> non_negative(std::string_view v) {
  double d = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (ec != std::errc() || p != v.data() + v.size() || !(d >= 0)) return std::nullopt;
  return d;
}

}  // namespace

int cli_main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  std::string command, action, config, replay, listen, out, web_config, rules_format = "prometheus";
  bool rebase = false, help = false, offline = false;
  double speed = -1;
  std::optional<int> fleet_member;
  log::Format format = log::Format::kText;
  log::Level level = log::Level::kInfo;

  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    auto value = [&](std::string* dst) {
      if (i + 1 >= args.size()) return false;
      *dst = args[++i];
      return true;
    };
    std::string v;
    if (a == "--help" || a == "-h") {
      help = true;
    } else if (a == "--version") {
      std::cout << "loki-latency-exporter " << kVersion
                << (std::strlen(kRevision) ? std::string(" (") + kRevision + ")" : "") << "\n";
      return 0;
    } else if (a == "--config") {
      if (!value(&config)) return usage_error("--config needs a FILE", kUsage);
    } else if (a == "--replay") {
      if (!value(&replay)) return usage_error("--replay needs a PATH or -", kUsage);
    } else if (a == "--listen") {
      if (!value(&listen)) return usage_error("--listen needs HOST:PORT", kUsage);
    } else if (a == "--out") {
      if (!value(&out)) return usage_error("--out needs a FILE", kUsage);
    } else if (a == "--format") {
      if (!value(&rules_format) || (rules_format != "prometheus" &&
                                    rules_format != "prometheusrule" && rules_format != "sloth"))
        return usage_error("--format needs prometheus, prometheusrule or sloth", kRulesHelp);
    } else if (a == "--offline") {
      offline = true;
    } else if (a == "--rebase-to-now") {
      rebase = true;
    } else if (a == "--speed") {
      const auto sp = value(&v) ? non_negative(v) : std::nullopt;
      if (!sp) return usage_error("--speed needs a number >= 0", kUsage);
      speed = *sp;
    } else if (a == "--web.config.file") {
      if (!value(&web_config) || web_config.empty())
        return usage_error("--web.config.file needs a FILE", kUsage);
    } else if (a == "--fleet-member") {
      const auto k = value(&v) ? non_negative(v) : std::nullopt;
      if (!k || *k != static_cast<int>(*k) || *k > 999)
        return usage_error("--fleet-member needs a member number from 0 to 999", kUsage);
      fleet_member = static_cast<int>(*k);
    } else if (a == "--log-format") {
      if (!value(&v) || (v != "text" && v != "json")) {
        return usage_error("--log-format needs text or json", kUsage);
      }
      format = v == "json" ? log::Format::kJson : log::Format::kText;
    } else if (a == "--log-level") {
      const auto l = value(&v) ? log_level(v) : std::nullopt;
      if (!l) return usage_error("--log-level needs debug, info, warn or error", kUsage);
      level = *l;
    } else if (command.empty() && !a.starts_with("-")) {
      command = a;
    } else if (command == "rules" && action.empty() && !a.starts_with("-")) {
      action = a;
    } else {
      return usage_error("unexpected argument '" + std::string(a) + "'", kUsage);
    }
  }
  log::configure(format, level);

  const char* help_text = command == "run"            ? kRunHelp
                          : command == "check-config" ? kCheckHelp
                          : command == "dq-report"    ? kDqHelp
                          : command == "rules"        ? kRulesHelp
                                                      : kUsage;
  if (help) {
    std::cout << help_text;
    return 0;
  }
  if (command.empty()) return usage_error("missing subcommand", kUsage);
  if (help_text == kUsage) return usage_error("unknown subcommand '" + command + "'", kUsage);
  if (config.empty()) return usage_error("--config FILE is required", help_text);
  if (command == "check-config") return check_config(config, offline, fleet_member, web_config);
  if (command == "dq-report") return dq_report(config, replay, out, fleet_member);
  if (command == "rules") {
    if (action != "generate") return usage_error("rules needs the action 'generate'", kRulesHelp);
    if (out.empty()) return usage_error("--out PATH|- is required", kRulesHelp);
    return rules_generate(config, out, rules_format);
  }
  return run({config, replay, listen, rebase, speed, fleet_member, web_config});
}

}  // namespace lle::app
