#pragma once
// The exporter's configuration: exporter.yaml and the services.yaml it points at.
// Loading validates everything up front; errors name the file, the YAML path
// (e.g. `services[3].owners`) and what was expected. Unknown keys are errors.
// Thread safety: Config is a plain value; load() has no shared state.

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporter/config/alert_policy.h"
#include "exporter/core/printable.h"
#include "exporter/core/service_info.h"
#include "exporter/core/units.h"
#include "exporter/parse/line_parser.h"
#include "exporter/window/service_window.h"

namespace lle::config {

// "file: path: what". File names, keys and values in it come from config files:
// the message is made printable, so that none of them can cut it (a NUL) or forge
// a log line.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(const std::string& file, const std::string& path, const std::string& what)
      : std::runtime_error(
            core::printable(file + ": " + (path.empty() ? "" : path + ": ") + what)) {}
};

struct ServiceConfig {
  core::ServiceInfo info;
  // How lines are recognised: all label matchers equal (Loki stream labels),
  // and/or the value of parsing.fields.service in the line.
  std::vector<std::pair<std::string, std::string>> match_labels;  // sorted by name
  std::string match_field;                                        // "" = not by field
  // Parsing overrides ("" / nullopt = the global setting).
  std::string latency_field;
  std::optional<core::LatencyUnit> latency_unit;
};

// Each module declares the options it takes (parse::Options, window::Options, ...),
// one default per field; this file adds only what is the process's own and load()
// fills them all from YAML.

// What a replay reads and how (source::Replay); declared here because source
// builds on config.
struct ReplayOptions {
  std::string path;            // a file, or "-" for stdin ("" in a configuration: none)
  bool rebase_to_now = false;  // shift all timestamps so the newest is now
  double speed = 0;            // 0: as fast as possible; 1: real time; 10: ten times faster
};

// window::Options (hold_ns is derived in load(): the lateness, and with the Loki
// input also until its last reconciliation has fetched what was missing).
struct WindowsConfig : window::Options {
  // A line Loki received within this long of its own timestamp is counted.
  std::int64_t allowed_lateness_ns = 5 * 60'000'000'000LL;
  std::int64_t publish_interval_ns = 1'000'000'000LL;
};

// Grafana Loki as the live input (docs/loki.md). Secrets are never here: only the
// paths of files that hold them.
// The reconciler looks for due checks this often.
inline constexpr std::int64_t kReconcileTickNs = 1'000'000'000LL;

struct LokiConfig {
  std::string url;                      // http(s)://host[:port][/prefix]; "" = no Loki input
  std::string tenant;                   // X-Scope-OrgID; "" = none (auth_enabled: false)
  std::string selector;                 // stream selector for services matched by a line field only
  std::string password_file, username;  // basic auth (both or neither)
  std::string bearer_token_file;
  std::vector<std::pair<std::string, std::string>> headers;  // extra, not secret
  std::string ca_file;                                       // "" = the system's CAs
  bool insecure_skip_verify = false;
  enum class Mode { kTail, kPoll } mode = Mode::kTail;
  int shards = 1;     // tail connections wanted
  int max_tails = 4;  // never more than this per tenant (Loki's default limit is 10)
  int limit = 5000;   // history entries on (re)connect, and page size of query_range
  int delay_for_s = 0;
  std::int64_t connect_timeout_ns = 5'000'000'000LL;
  std::int64_t backoff_initial_ns = 250'000'000LL;
  std::int64_t backoff_max_ns = 30'000'000'000LL;
  std::int64_t reconcile_bucket_ns = 60'000'000'000LL;  // lines are counted per bucket
  std::int64_t reconcile_settle_ns = 30'000'000'000LL;  // after a bucket ends
  // The last check of a bucket, after it ends: windows.allowed_lateness +
  // reconcile_settle, once every line received within the lateness is in Loki.
  // Derived, not a key of its own.
  std::int64_t reconcile_final_ns = 5 * 60'000'000'000LL + 30'000'000'000LL;
  std::int64_t poll_interval_ns = 10'000'000'000LL;
  std::int64_t poll_lag_ns = 30'000'000'000LL;
  std::int64_t backfill_ns = 0;  // cold start: fetch this much history first
  double backfill_pages_per_second = 5;
  // Labels that are structured metadata, not stream labels: Loki 3.x adds them to
  // history entries but not to live ones, so they are left out of line identity.
  std::vector<std::string> identity_ignore_labels = {"detected_level"};
};

// State snapshots (docs/operations.md). Only the Loki input keeps state: a replay
// is deterministic input and always starts cold.
struct StateConfig {
  std::string dir;  // "" = no snapshots
  std::int64_t interval_ns = 60'000'000'000LL;
};

// The REST API's access control (docs/access-control.md). Secrets are never here:
// only the paths of the files that hold them. No mode configured: the API is off.
struct ApiConfig {
  enum class Read { kAnyEngineer, kOwnersOnly } read = Read::kAnyEngineer;
  // A trusted authenticating proxy names the engineer in `proxy_header`; it is
  // believed only when the request carries the shared secret (read from
  // proxy_secret_file) in proxy_secret_header, or comes from a trusted peer.
  std::string proxy_header;  // "" = proxy mode off
  std::string proxy_secret_header = "X-Proxy-Secret";
  std::string proxy_secret_file;
  std::vector<std::string> trusted_peers;  // IP addresses
  // Bearer tokens: a file of "<engineer> sha256:<hex of the token's SHA-256>" lines.
  std::string tokens_file;  // "" = token mode off
  std::size_t max_body_bytes = 4096;
  bool enabled() const { return !proxy_header.empty() || !tokens_file.empty(); }
};

// Where thresholds changed through the API go, and what follows a change.
struct ThresholdsConfig {
  std::string file;                    // API-set thresholds, JSON; "" = the API cannot change them
  std::string audit_log;               // one JSON line per change; required with `file`
  std::string rules_file;              // regenerated after each change; "" = none
  bool rules_prometheus_rule = false;  // rules_format: prometheusrule
  std::string prometheus_reload_url;   // POSTed after the rules change; "" = none
  int reload_attempts = 3;
};

struct DataQualityGates {
  double max_reject_ratio = 0.05;
  int min_baseline_buckets = 3;
};

// The web configuration file of the Prometheus exporter toolkit (--web.config.file,
// docs/security.md#tls-and-basic-auth-on-the-exporters-port): TLS, extra response
// headers, basic auth. Secrets stay in files: the key file is read by OpenSSL, and
// the users' passwords are bcrypt hashes.
struct WebConfig {
  std::string file;  // "" = none: plain HTTP, no basic auth
  struct Tls {
    std::string cert_file, key_file;
    enum class ClientAuth {
      kNone,              // NoClientCert
      kRequest,           // RequestClientCert: asked for, not verified
      kRequireAny,        // RequireAnyClientCert: required, not verified
      kVerifyIfGiven,     // VerifyClientCertIfGiven
      kRequireAndVerify,  // RequireAndVerifyClientCert
    } client_auth = ClientAuth::kNone;
    std::string client_ca_file;
    int min_version = 0x0303, max_version = 0x0304;  // TLS 1.2 .. TLS 1.3 (wire values)
    std::string cipher_list;  // OpenSSL names of cipher_suites (TLS 1.2 and below); "" = default
  };
  std::optional<Tls> tls;
  std::vector<std::pair<std::string, std::string>> headers;  // http_server_config.headers
  std::map<std::string, std::string> basic_auth_users;       // user -> bcrypt hash
};

// The exporter's own HTTP server (docs/configuration.md: http).
struct HttpConfig {
  int max_connections = 512;                         // more are answered 503 and closed
  std::int64_t request_timeout_ns = 10'000'000'000;  // to send a request, take an answer, or idle
  WebConfig web;                                     // http.web_config_file, --web.config.file
  bool probes_without_auth = false;  // /-/healthy and /-/ready exempt from basic auth (kubelet)
};

// What /metrics exposes (docs/metrics.md).
struct MetricsConfig {
  // The native histograms' schema in protobuf scrapes, 0 to 6: buckets grow by
  // 2^(2^-schema); 6 is the sketch's own grid, 3 about 100 buckets a service.
  int native_histogram_schema = 3;
  // Classic `_bucket{le}` bounds of the same histogram, in seconds, for scrapers
  // without native histograms (text and protobuf): powers of two only, so that each
  // is exact. Empty (the default): none, and the text format has no such family.
  std::vector<double> classic_buckets;
};

// Fleet mode (docs/fleet.md): the services shared out among `members` exporters
// with no overlap, each owned by one member (rendezvous hashing of its id), so
// that Prometheus, Thanos or Mimir add the members' series up at query time.
struct FleetConfig {
  int members = 1;
  int member = 0;  // this exporter, 0 .. members-1
  // Loki's max_concurrent_tail_requests: the tails of all members together.
  int max_tails_per_tenant = 10;
  // After a rescale, how long a member keeps serving the services its snapshot
  // held that another member owns now (keep_leaving); 0: it drops them at once.
  std::int64_t handoff_grace_ns = 6 * 3600'000'000'000;
  // Where the other members answer GET /-/fleet: an http:// URL in which "{member}"
  // stands for the member's number ("http://lle-{member}.lle:9464"). Set, a member
  // in its grace period asks each new owner every peer_check_interval which services
  // it has ready, and drops those before the grace ends. Empty: only the grace ends it.
  std::string peer_url;
  std::int64_t peer_check_interval_ns = 30'000'000'000;
  // The services the other members own, in services.yaml order (Config::services
  // holds this member's). Rules are generated for both: they are the fleet's.
  std::vector<ServiceConfig> elsewhere;
};

struct Config {
  std::string exporter_file;
  std::string services_file;
  std::string listen = "127.0.0.1:9464";
  HttpConfig http;
  MetricsConfig metrics;
  ReplayOptions replay;
  LokiConfig loki;
  StateConfig state;
  parse::Options parsing;
  WindowsConfig windows;
  DataQualityGates data_quality;
  std::vector<ServiceConfig> services;  // the ones this exporter serves (fleet: its own)
  FleetConfig fleet;
  // alerting.policy_file (rules/alert-rules.yaml), loaded and checked with the rest.
  std::optional<AlertPolicy> alert_policy;
  ThresholdsConfig thresholds;
  ApiConfig api;
  // services.yaml `teams`: members by team id (owners of a team's services too).
  std::map<std::string, std::vector<std::string>> team_members;
};

// Loki's rule for a tenant ID (X-Scope-OrgID): up to 150 of the characters
// a-z A-Z 0-9 ! - _ . * ' ( ), and neither "." nor "..". "" if valid, else why not.
std::string tenant_id_error(std::string_view id);

// Reads a web configuration file (the exporter toolkit's format). Throws ConfigError
// naming the file and key.
WebConfig load_web_config(const std::string& file);

// What the command line says over exporter.yaml: the fleet member (--fleet-member;
// else fleet.member, else the host name's ordinal) and the web configuration file
// (--web.config.file; else http.web_config_file). offline: for rules generation and
// checks away from where the exporter runs, which depend on neither: member 0 when
// none is given, and the web configuration file (which lives with the secrets) not read.
struct Overrides {
  std::optional<int> fleet_member;
  std::string web_config_file;
  bool offline = false;
};

// Reads and validates exporter.yaml, its services file, the alert policy and the
// web configuration file. Throws ConfigError.
Config load(const std::string& exporter_yaml_path, const Overrides& overrides = {});

// The member that owns a service: the highest of the members' scores for its id
// (rendezvous hashing: going from N to N+1 members moves about 1/(N+1) of the
// services, all of them to the new member). Stable across builds and platforms.
int fleet_owner(std::string_view service_id, int members);
// The member that owns `id` if another member does (also when this one serves it
// for the handoff's grace period); nullopt if it is this member's or no service of
// the fleet.
std::optional<int> owned_elsewhere(const Config& c, std::string_view id);
// The handoff's grace period: moves the services of c.fleet.elsewhere that `held`
// names (what this member's snapshot holds) into c.services, marked leaving, so
// that they are tailed, counted and served here as before. Returns their ids.
std::vector<std::string> keep_leaving(Config& c, const std::vector<std::string>& held);
// fleet.peer_url (url_template) for `member`: every "{member}" replaced by its number.
std::string peer_url(std::string_view url_template, int member);
// The ordinal at the end of a StatefulSet pod's name ("lle-3" -> 3), if any.
std::optional<int> pod_ordinal(std::string_view hostname);
// Every service of the fleet: this member's, then the others'.
std::vector<ServiceConfig> fleet_services(const Config& c);

// "host:port" with a port in 1..65535 (0 allowed: pick a free port).
bool valid_listen_address(const std::string& s);

}  // namespace lle::config
