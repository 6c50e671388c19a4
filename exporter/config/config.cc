#include "exporter/config/config.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/url/parse.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <initializer_list>
#include <set>
#include <string_view>

#include "exporter/config/yaml_at.h"

namespace lle::config {
namespace {

// The line parser extracts at most 8 fields: service, status, schema, 5 latencies.
constexpr std::size_t kMaxLatencyFields = 5;

bool valid_service_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

bool valid_label_name(std::string_view n) {
  if (n.empty() || (n[0] >= '0' && n[0] <= '9')) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

parse::Options load_parsing(const At& at) {
  parse::Options p;
  if (!at.present()) return p;
  at.require_map({"format", "fields", "latency_unit", "supported_schema_versions",
                  "default_schema_version", "max_latency", "max_line_bytes"});
  if (at.key("format").present()) {
    const auto f = at.key("format").str();
    if (f == "auto")
      p.format = parse::Format::kAuto;
    else if (f == "json")
      p.format = parse::Format::kJson;
    else if (f == "logfmt")
      p.format = parse::Format::kLogfmt;
    else
      at.key("format").fail("expected one of: auto, json, logfmt");
  }
  if (const auto f = at.key("fields"); f.present()) {
    f.require_map({"service", "latency", "status", "schema_version", "trace_id"});
    p.service_field =
        f.key("service").present() ? f.key("service").nonempty_str() : p.service_field;
    p.latency_field =
        f.key("latency").present() ? f.key("latency").nonempty_str() : p.latency_field;
    p.status_field = f.key("status").present() ? f.key("status").nonempty_str() : p.status_field;
    p.schema_version_field = f.key("schema_version").present()
                                 ? f.key("schema_version").nonempty_str()
                                 : p.schema_version_field;
    if (f.key("trace_id").present()) p.trace_id_field = f.key("trace_id").nonempty_str();
  }
  std::set<std::string> distinct = {p.service_field, p.latency_field, p.status_field,
                                    p.schema_version_field};
  if (!p.trace_id_field.empty()) distinct.insert(p.trace_id_field);
  if (distinct.size() != (p.trace_id_field.empty() ? 4u : 5u))
    at.key("fields").fail("service, latency, status, schema_version and trace_id must differ");
  if (at.key("latency_unit").present()) p.latency_unit = at.key("latency_unit").unit();
  if (const auto v = at.key("supported_schema_versions"); v.present()) {
    p.supported_schema_versions = v.string_list();
    if (p.supported_schema_versions.empty()) v.fail("expected at least one version");
  }
  p.default_schema_version = at.key("default_schema_version").str_or("");
  if (!p.default_schema_version.empty() &&
      std::find(p.supported_schema_versions.begin(), p.supported_schema_versions.end(),
                p.default_schema_version) == p.supported_schema_versions.end()) {
    at.key("default_schema_version").fail("must be one of supported_schema_versions");
  }
  p.max_latency_seconds =
      static_cast<double>(
          at.key("max_latency")
              .duration_or(static_cast<std::int64_t>(p.max_latency_seconds * 1e9), 0.001, 100)) /
      1e9;
  p.max_line_bytes = static_cast<std::size_t>(
      at.key("max_line_bytes").int_or(static_cast<int>(p.max_line_bytes), 64, 16 << 20));
  return p;
}

std::vector<ServiceConfig> load_services(const std::string& file, const parse::Options& parsing,
                                         std::map<std::string, std::vector<std::string>>* teams) {
  const At root{file, load_yaml(file), ""};
  root.require_map({"services", "teams"});
  if (const At t = root.key("teams"); t.present()) {
    if (!t.node.IsSequence()) t.fail("expected a list of teams");
    for (std::size_t i = 0; i < t.node.size(); ++i) {
      const At team = t.index(i);
      team.require_map({"id", "members"});
      const std::string id = team.key("id").nonempty_str();
      if (teams->contains(id)) team.key("id").fail("duplicate team id '" + id + "'");
      (*teams)[id] = team.key("members").string_list();
    }
  }
  const At list = root.key("services");
  if (!list.present() || !list.node.IsSequence()) list.fail("expected a list of services");
  std::vector<ServiceConfig> out;
  std::set<std::string> ids, fields, label_sets, latency_fields = {parsing.latency_field};
  for (std::size_t i = 0; i < list.node.size(); ++i) {
    const At s = list.index(i);
    s.require_map({"id", "display_name", "team", "owners", "tier", "match", "parsing"});
    ServiceConfig svc;
    svc.info.id = s.key("id").nonempty_str();
    if (!valid_service_id(svc.info.id)) {
      s.key("id").fail("expected 1-64 characters from a-z, 0-9, '_' and '-'");
    }
    if (!ids.insert(svc.info.id).second) {
      s.key("id").fail("duplicate service id '" + svc.info.id + "'");
    }
    if (svc.info.id == "unknown") s.key("id").fail("'unknown' is reserved for lines of no service");
    svc.info.display_name = s.key("display_name").str_or(svc.info.id);
    svc.info.team = s.key("team").nonempty_str();
    svc.info.tier = s.key("tier").str_or("");
    svc.info.owners = s.key("owners").string_list();
    if (svc.info.owners.empty()) s.key("owners").fail("expected at least one owner");
    if (const At m = s.key("match"); m.present()) {
      m.require_map({"labels", "field"});
      if (const At l = m.key("labels"); l.present()) {
        if (!l.node.IsMap() || l.node.size() == 0) l.fail("expected a mapping of label: value");
        l.keys();  // plain, unique keys
        for (const auto& kv : l.node) {
          const auto name = kv.first.Scalar();
          if (!valid_label_name(name)) l.fail("invalid label name '" + name + "'");
          svc.match_labels.emplace_back(name, l.key(name.c_str()).str());
        }
        std::sort(svc.match_labels.begin(), svc.match_labels.end());
        std::string canonical;
        for (const auto& [k, v] : svc.match_labels) canonical += k + "=" + v + '\n';
        if (!label_sets.insert(canonical).second)
          l.fail("another service has the same label matchers");
      }
      svc.match_field = m.key("field").str_or("");
      if (svc.match_labels.empty() && svc.match_field.empty()) {
        m.fail("expected labels and/or field");
      }
    } else {
      svc.match_field = svc.info.id;  // default: the line's service field names the id
    }
    if (!svc.match_field.empty() && !fields.insert(svc.match_field).second) {
      s.key("match").fail("another service is matched by " + parsing.service_field + "=" +
                          svc.match_field);
    }
    if (const At p = s.key("parsing"); p.present()) {
      p.require_map({"latency_field", "latency_unit"});
      svc.latency_field = p.key("latency_field").str_or("");
      if (svc.latency_field == parsing.service_field || svc.latency_field == parsing.status_field ||
          svc.latency_field == parsing.schema_version_field ||
          (!svc.latency_field.empty() && svc.latency_field == parsing.trace_id_field)) {
        p.key("latency_field")
            .fail("must differ from the service, status, schema_version and trace_id fields");
      }
      if (!svc.latency_field.empty()) latency_fields.insert(svc.latency_field);
      // The parser reads at most 8 fields per line: 3 fixed, the trace id, the latencies.
      const std::size_t most = kMaxLatencyFields - (parsing.trace_id_field.empty() ? 0 : 1);
      if (latency_fields.size() > most) {
        p.key("latency_field")
            .fail("at most " + std::to_string(most) +
                  " distinct latency fields across all services (one less with a trace_id field)");
      }
      if (p.key("latency_unit").present()) svc.latency_unit = p.key("latency_unit").unit();
    }
    out.push_back(std::move(svc));
  }
  return out;
}

LokiConfig load_loki(const At& l) {
  l.require_map({"url",
                 "tenant",
                 "selector",
                 "basic_auth",
                 "bearer_token_file",
                 "headers",
                 "tls",
                 "mode",
                 "shards",
                 "max_tails",
                 "limit",
                 "delay_for",
                 "connect_timeout",
                 "backoff_initial",
                 "backoff_max",
                 "reconcile_bucket",
                 "reconcile_settle",
                 "poll_interval",
                 "poll_lag",
                 "backfill",
                 "backfill_pages_per_second",
                 "identity_ignore_labels"});
  LokiConfig c;
  c.url = l.key("url").str_or("");
  if (!c.url.empty() && !c.url.starts_with("http://") && !c.url.starts_with("https://") &&
      !c.url.starts_with("ws://") && !c.url.starts_with("wss://")) {
    l.key("url").fail("expected an http://, https://, ws:// or wss:// URL");
  }
  if (c.url.find('@') != std::string::npos) {
    l.key("url").fail("credentials do not belong in the URL: use basic_auth.password_file");
  }
  c.tenant = l.key("tenant").str_or("");
  if (const auto why = tenant_id_error(c.tenant); !why.empty()) l.key("tenant").fail(why);
  c.selector = l.key("selector").str_or("");
  if (!c.selector.empty() && (c.selector.front() != '{' || c.selector.back() != '}')) {
    l.key("selector").fail("expected a stream selector such as {namespace=\"shop\"}");
  }
  if (const At b = l.key("basic_auth"); b.present()) {
    b.require_map({"username", "password_file"});
    c.username = b.key("username").nonempty_str();
    c.password_file = b.key("password_file").nonempty_str();
  }
  c.bearer_token_file = l.key("bearer_token_file").str_or("");
  if (!c.bearer_token_file.empty() && !c.password_file.empty()) {
    l.key("bearer_token_file").fail("choose basic_auth or bearer_token_file, not both");
  }
  if (const At h = l.key("headers"); h.present()) {
    if (!h.node.IsMap()) h.fail("expected a mapping of header names to values");
    h.keys();  // plain, unique keys
    for (const auto& kv : h.node) {
      const auto name = kv.first.Scalar();
      const At v = h.key(name.c_str());
      std::string lower(name);
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      if (lower == "authorization" || lower == "x-scope-orgid") {
        v.fail("set this through tenant, basic_auth or bearer_token_file");
      }
      c.headers.emplace_back(name, v.str());
    }
  }
  if (const At t = l.key("tls"); t.present()) {
    t.require_map({"ca_file", "insecure_skip_verify"});
    c.ca_file = t.key("ca_file").str_or("");
    c.insecure_skip_verify = t.key("insecure_skip_verify").boolean_or(false);
  }
  if (const At m = l.key("mode"); m.present()) {
    const auto v = m.str();
    if (v == "tail") {
      c.mode = LokiConfig::Mode::kTail;
    } else if (v == "poll") {
      c.mode = LokiConfig::Mode::kPoll;
    } else {
      m.fail("expected tail or poll");
    }
  }
  c.max_tails = l.key("max_tails").int_or(c.max_tails, 1, 10);
  c.shards = l.key("shards").int_or(c.shards, 1, 10);
  if (c.shards > c.max_tails) {
    l.key("shards").fail("more shards than max_tails (" + std::to_string(c.max_tails) + ")");
  }
  c.limit = l.key("limit").int_or(c.limit, 1, 5000);
  c.delay_for_s = static_cast<int>(l.key("delay_for").duration_or(0, 0, 5) / 1'000'000'000);
  c.connect_timeout_ns = l.key("connect_timeout").duration_or(c.connect_timeout_ns, 0.1, 300);
  c.backoff_initial_ns = l.key("backoff_initial").duration_or(c.backoff_initial_ns, 0.001, 60);
  c.backoff_max_ns = l.key("backoff_max").duration_or(c.backoff_max_ns, 0.001, 3600);
  if (c.backoff_max_ns < c.backoff_initial_ns) l.key("backoff_max").fail("below backoff_initial");
  c.reconcile_bucket_ns = l.key("reconcile_bucket").duration_or(c.reconcile_bucket_ns, 1, 3600);
  if (c.reconcile_bucket_ns % 1'000'000'000 != 0) {
    l.key("reconcile_bucket").fail("expected whole seconds");
  }
  c.reconcile_settle_ns = l.key("reconcile_settle").duration_or(c.reconcile_settle_ns, 0, 3600);
  c.poll_interval_ns = l.key("poll_interval").duration_or(c.poll_interval_ns, 0.1, 3600);
  c.poll_lag_ns = l.key("poll_lag").duration_or(c.poll_lag_ns, 0, 3600);
  c.backfill_ns = l.key("backfill").duration_or(0, 0, 14 * 24 * 3600);  // the trend's most
  c.backfill_pages_per_second = l.key("backfill_pages_per_second").number_or(5, 0.01, 1000);
  if (const At i = l.key("identity_ignore_labels"); i.present()) {
    c.identity_ignore_labels = i.string_list();
  }
  return c;
}

}  // namespace

std::string tenant_id_error(std::string_view id) {
  for (const char ch : id) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) &&
        std::string_view("!-_.*'()").find(ch) == std::string_view::npos) {
      return "'" + std::string(1, ch) +
             "' is not allowed in a tenant ID (Loki takes a-z A-Z 0-9 ! - _ . * ' ( ))";
    }
  }
  if (id.size() > 150) return "longer than 150 characters, Loki's limit for a tenant ID";
  if (id == "." || id == "..") return "'.' and '..' are not tenant IDs";
  return "";
}

namespace {

// fleet: {members, member, max_tails_per_tenant, handoff_grace, peer_url,
// peer_check_interval}; this member's services stay in
// c.services, the others' move to c.fleet.elsewhere.
void load_fleet(const At& f, const Overrides& who, Config& c) {
  auto& fleet = c.fleet;
  if (f.present()) {
    f.require_map({"members", "member", "max_tails_per_tenant", "handoff_grace", "peer_url",
                   "peer_check_interval"});
    fleet.members = f.key("members").int_or(1, 1, 1000);
    fleet.max_tails_per_tenant =
        f.key("max_tails_per_tenant").int_or(fleet.max_tails_per_tenant, 1, 10000);
    fleet.handoff_grace_ns =
        f.key("handoff_grace").duration_or(fleet.handoff_grace_ns, 0, 14 * 86400);
    fleet.peer_url = f.key("peer_url").str_or("");
    if (!fleet.peer_url.empty()) {
      const std::string url = peer_url(fleet.peer_url, 0);  // outlives the view of it
      const auto u = boost::urls::parse_absolute_uri(url);
      if (!u || u->scheme() != "http" || u->host().empty())
        f.key("peer_url").fail("expected an http:// URL, \"{member}\" standing for the member");
      if (c.http.web.tls || !c.http.web.basic_auth_users.empty()) {
        const std::string why = "members ask each other in plain HTTP without credentials, but " +
                                c.http.web.file + " puts TLS or basic auth on this port: leave " +
                                "peer_url unset (the grace period then runs to its end)";
        f.key("peer_url").fail(why);
      }
    }
    fleet.peer_check_interval_ns =
        f.key("peer_check_interval").duration_or(fleet.peer_check_interval_ns, 1, 3600);
  }
  const auto range = "expected a member from 0 to " + std::to_string(fleet.members - 1) +
                     " (fleet.members is " + std::to_string(fleet.members) + ")";
  const auto fail = [&](const std::string& what) {
    if (f.present()) f.key("member").fail(what);
    throw ConfigError(c.exporter_file, "fleet.member", what);
  };
  if (const auto& flag = who.fleet_member) {
    if (*flag < 0 || *flag >= fleet.members)
      fail("--fleet-member " + std::to_string(*flag) + ": " + range);
    fleet.member = *flag;
  } else if (f.present() && f.key("member").present()) {
    fleet.member = f.key("member").int_or(0, 0, fleet.members - 1);
  } else if (fleet.members > 1 && !who.offline) {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0) name[0] = 0;
    const auto ordinal = pod_ordinal(name);
    if (!ordinal)
      fail("not given, and the host name '" + std::string(name) +
           "' does not end in -<ordinal> as a StatefulSet pod's does: set fleet.member or "
           "--fleet-member");
    if (*ordinal >= fleet.members)
      fail("the host name '" + std::string(name) + "' says member " + std::to_string(*ordinal) +
           ": " + range);
    fleet.member = *ordinal;
  }
  if (fleet.members == 1) return;  // no fleet: every service is this exporter's
  std::vector<ServiceConfig> mine;
  for (auto& s : c.services) {
    (fleet_owner(s.info.id, fleet.members) == fleet.member ? mine : fleet.elsewhere)
        .push_back(std::move(s));
  }
  c.services = std::move(mine);
}

}  // namespace

bool valid_listen_address(const std::string& s) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  int port;
  const auto* b = s.data() + colon + 1;
  const auto* e = s.data() + s.size();
  const auto [p, ec] = std::from_chars(b, e, port);
  return ec == std::errc() && p == e && b != e && port >= 0 && port <= 65535;
}

Config load(const std::string& exporter_yaml_path, const Overrides& overrides) {
  Config c;
  c.exporter_file = exporter_yaml_path;
  const At root{exporter_yaml_path, load_yaml(exporter_yaml_path), ""};
  // A path in exporter.yaml is relative to the file's own directory.
  const auto relative_to = [&](const At& at) {
    const std::string name = at.nonempty_str();
    // The OS would read the name only up to the NUL: another file than the one written.
    if (name.find('\0') != std::string::npos) at.fail("expected a file name without NUL bytes");
    const std::filesystem::path p = name;
    return p.is_absolute() ? p.string()
                           : (std::filesystem::path(exporter_yaml_path).parent_path() / p)
                                 .lexically_normal()
                                 .string();
  };
  // The same for a key that may be absent or "" (meaning: none).
  const auto optional_path = [&](const At& at) {
    return at.str_or("").empty() ? std::string() : relative_to(at);
  };
  root.require_map({"listen", "http", "metrics", "services_file", "input", "state", "parsing",
                    "windows", "data_quality", "alerting", "api", "fleet"});
  c.listen = root.key("listen").str_or(c.listen);
  if (!valid_listen_address(c.listen)) root.key("listen").fail("expected HOST:PORT");
  std::string web_config_file = overrides.web_config_file;
  if (const At h = root.key("http"); h.present()) {
    h.require_map({"max_connections", "request_timeout", "web_config_file", "probes_without_auth"});
    c.http.max_connections = h.key("max_connections").int_or(c.http.max_connections, 1, 100000);
    c.http.request_timeout_ns =
        h.key("request_timeout").duration_or(c.http.request_timeout_ns, 0.1, 600);
    if (web_config_file.empty()) web_config_file = optional_path(h.key("web_config_file"));
    c.http.probes_without_auth = h.key("probes_without_auth").boolean_or(false);
  }
  if (!web_config_file.empty()) {
    c.http.web.file = web_config_file;
    if (!overrides.offline) c.http.web = load_web_config(web_config_file);
  }

  if (const At m = root.key("metrics"); m.present()) {
    m.require_map({"native_histogram_schema", "classic_buckets"});
    c.metrics.native_histogram_schema =
        m.key("native_histogram_schema").int_or(c.metrics.native_histogram_schema, 0, 6);
    if (const At b = m.key("classic_buckets"); b.present()) {
      c.metrics.classic_buckets = b.ascending_numbers(16, 1.0 / 8192, 64, "bounds");
      for (std::size_t i = 0; i < c.metrics.classic_buckets.size(); ++i) {
        int exponent;
        if (std::frexp(c.metrics.classic_buckets[i], &exponent) != 0.5)
          b.index(i).fail(
              "expected a power of two (0.125, 0.25, 0.5, 1, ...): other bounds are not exact");
      }
    }
  }

  if (const At in = root.key("input"); in.present()) {
    in.require_map({"replay", "loki"});
    if (const At l = in.key("loki"); l.present()) {
      c.loki = load_loki(l);
      // Its files too are relative to exporter.yaml, like every path in it.
      if (!c.loki.password_file.empty())
        c.loki.password_file = relative_to(l.key("basic_auth").key("password_file"));
      c.loki.bearer_token_file = optional_path(l.key("bearer_token_file"));
      if (const At t = l.key("tls"); t.present()) c.loki.ca_file = optional_path(t.key("ca_file"));
    }
    if (const At r = in.key("replay"); r.present()) {
      r.require_map({"path", "rebase_to_now", "speed"});
      c.replay.path = r.key("path").str_or("");
      c.replay.rebase_to_now = r.key("rebase_to_now").boolean_or(false);
      c.replay.speed = r.key("speed").number_or(0, 0, 1e6);
    }
  }
  if (const At st = root.key("state"); st.present()) {
    st.require_map({"dir", "interval"});
    c.state.dir = optional_path(st.key("dir"));
    c.state.interval_ns = st.key("interval").duration_or(c.state.interval_ns, 1, 3600);
  }
  c.parsing = load_parsing(root.key("parsing"));
  if (const At w = root.key("windows"); w.present()) {
    w.require_map({"allowed_lateness", "max_future_skew", "baseline_min_buckets",
                   "publish_interval", "slow_thresholds_ms"});
    c.windows.allowed_lateness_ns =
        w.key("allowed_lateness").duration_or(c.windows.allowed_lateness_ns, 0, 3600);
    c.windows.max_future_skew_ns =
        w.key("max_future_skew").duration_or(c.windows.max_future_skew_ns, 0, 3600);
    c.windows.baseline_min_buckets = w.key("baseline_min_buckets").int_or(3, 1, 2016);
    c.windows.publish_interval_ns =
        w.key("publish_interval").duration_or(c.windows.publish_interval_ns, 0.01, 60);
    if (const At t = w.key("slow_thresholds_ms"); t.present()) {
      // Within the sketches' range, 0.1 ms to 100 s.
      c.windows.slow = window::SlowThresholds::of(
          t.ascending_numbers(window::kMaxSlowThresholds, 0.1, 100'000, "thresholds"));
    }
  }
  // Late lines, one design (docs/loki.md): a line Loki received within the lateness
  // of its timestamp is in Loki by a bucket's end + lateness; settle later the
  // last check looks, and it has one settle and a tick more to fetch what it
  // found missing before the windows close the bucket's minutes.
  c.loki.reconcile_final_ns = c.windows.allowed_lateness_ns + c.loki.reconcile_settle_ns;
  c.windows.hold_ns = c.windows.allowed_lateness_ns;
  if (!c.loki.url.empty()) {
    c.windows.hold_ns +=
        c.loki.reconcile_bucket_ns + 2 * c.loki.reconcile_settle_ns + kReconcileTickNs;
  }
  if (const At d = root.key("data_quality"); d.present()) {
    d.require_map({"max_reject_ratio", "min_baseline_buckets"});
    c.data_quality.max_reject_ratio = d.key("max_reject_ratio").number_or(0.05, 0, 1);
    c.data_quality.min_baseline_buckets = d.key("min_baseline_buckets").int_or(3, 0, 2016);
  }

  c.services_file = relative_to(root.key("services_file"));
  c.services = load_services(c.services_file, c.parsing, &c.team_members);
  if (const At a = root.key("alerting"); a.present()) {
    a.require_map({"policy_file", "thresholds_file", "audit_log", "rules_file", "rules_format",
                   "prometheus_reload_url", "reload_attempts"});
    c.alert_policy = load_alert_policy(relative_to(a.key("policy_file")), c.services);
    // Every SLO's threshold is counted exactly, with the ladder.
    std::vector<double> ms = c.windows.slow->ms;
    for (const auto& [id, slo] : c.alert_policy->slos) ms.push_back(slo.threshold_ms);
    std::sort(ms.begin(), ms.end());
    ms.erase(std::unique(ms.begin(), ms.end()), ms.end());
    if (ms.size() > window::kMaxSlowThresholds) {
      std::string list;
      for (const double v : ms) list += (list.empty() ? "" : ", ") + core::shortest_text(v);
      a.key("policy_file")
          .fail("windows.slow_thresholds_ms and the SLO thresholds of the policy make " +
                std::to_string(ms.size()) + " thresholds (" + list + " ms); at most " +
                std::to_string(window::kMaxSlowThresholds) + " are counted");
    }
    c.windows.slow = window::SlowThresholds::of(std::move(ms));
    auto budgets = std::make_shared<window::Budgets>();
    for (const auto& [id, slo] : c.alert_policy->slos) {
      budgets->emplace(id, window::Budget{slo.threshold_ms, slo.objective,
                                          static_cast<int>(slo.period_ns / kDayNs)});
    }
    c.windows.budgets = std::move(budgets);
    auto& t = c.thresholds;
    t.file = optional_path(a.key("thresholds_file"));
    t.audit_log = optional_path(a.key("audit_log"));
    t.rules_file = optional_path(a.key("rules_file"));
    if (!t.file.empty() && t.audit_log.empty())
      a.key("audit_log").fail("required with thresholds_file: every change is audited");
    const std::string format = a.key("rules_format").str_or("prometheus");
    if (format != "prometheus" && format != "prometheusrule")
      a.key("rules_format").fail("expected prometheus or prometheusrule");
    t.rules_prometheus_rule = format == "prometheusrule";
    t.prometheus_reload_url = a.key("prometheus_reload_url").str_or("");
    if (!t.prometheus_reload_url.empty() && !t.prometheus_reload_url.starts_with("http://"))
      a.key("prometheus_reload_url").fail("expected an http:// URL");
    t.reload_attempts = a.key("reload_attempts").int_or(t.reload_attempts, 1, 10);
  }
  if (const At api = root.key("api"); api.present()) {
    api.require_map({"read_access", "auth", "max_body_bytes"});
    auto& x = c.api;
    const std::string read = api.key("read_access").str_or("any");
    if (read != "any" && read != "owners") api.key("read_access").fail("expected any or owners");
    x.read = read == "owners" ? ApiConfig::Read::kOwnersOnly : ApiConfig::Read::kAnyEngineer;
    x.max_body_bytes =
        static_cast<std::size_t>(api.key("max_body_bytes").int_or(4096, 64, 1 << 20));
    const At auth = api.key("auth");
    auth.require_map({"proxy", "tokens_file"});
    if (const At p = auth.key("proxy"); p.present()) {
      p.require_map({"header", "secret_header", "secret_file", "trusted_peers"});
      x.proxy_header = p.key("header").nonempty_str();
      x.proxy_secret_header = p.key("secret_header").str_or(x.proxy_secret_header);
      if (p.key("secret_file").present()) x.proxy_secret_file = relative_to(p.key("secret_file"));
      if (p.key("trusted_peers").present()) x.trusted_peers = p.key("trusted_peers").string_list();
      if (x.proxy_secret_file.empty() && x.trusted_peers.empty())
        p.fail("expected secret_file and/or trusted_peers: an unverified header is anyone's");
    }
    if (auth.key("tokens_file").present()) x.tokens_file = relative_to(auth.key("tokens_file"));
    if (!x.enabled()) auth.fail("expected proxy and/or tokens_file");
    if (!x.tokens_file.empty() && !c.http.web.basic_auth_users.empty())
      auth.key("tokens_file")
          .fail("the web configuration's basic auth (" + c.http.web.file +
                ") takes the Authorization header that API tokens are sent in: name engineers "
                "through api.auth.proxy instead");
    if (!c.alert_policy)
      api.fail("the API serves thresholds: alerting.policy_file must be set as well");
  }
  if (!c.loki.url.empty() && c.loki.selector.empty()) {
    for (const auto& s : c.services) {
      if (s.match_labels.empty()) {
        root.key("input")
            .key("loki")
            .key("selector")
            .fail("service '" + s.info.id +
                  "' is matched by a line field only: a stream selector must say where its lines "
                  "are");
      }
    }
  }
  // Last: everything above is checked against every service of the fleet.
  load_fleet(root.key("fleet"), overrides, c);
  return c;
}

}  // namespace lle::config
