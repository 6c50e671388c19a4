// The Kubernetes manifests as kubectl renders them (kubectl kustomize, offline):
// the exporter is a native sidecar of Prometheus (a plain container in the
// pre-1.29 overlay, its own Deployment with a PodMonitor and the generated
// PrometheusRule in the standalone variant, a StatefulSet of members in the fleet
// variant), every container meets Pod Security
// "restricted" with a read-only root filesystem and resources, probes are in place
// with readiness independent of Loki, secrets arrive as files, the NetworkPolicy
// allows Loki and DNS out, the configuration in the ConfigMap passes check-config, and
// the base's Alertmanager reads each team's PagerDuty key from a Secret file.
#include <yaml-cpp/yaml.h>

#include <boost/test/unit_test.hpp>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "test/support/files.h"
#include "test/support/npm_checker.h"
#include "test/support/process.h"

using lle::test::read_file;

namespace {

// The objects `kubectl kustomize DIR` renders, by "Kind/name", after checking them
// against Kubernetes' schemas offline, unknown fields included (test/kubernetes-schema).
std::map<std::string, YAML::Node> render(const std::string& dir) {
  lle::test::TempDir tmp;
  const std::string out = (tmp.path() / "out").string(), err = (tmp.path() / "err").string();
  BOOST_TEST_REQUIRE(lle::test::run_to_exit({"kubectl", "kustomize", dir}, out, err) == 0,
                     read_file(err));
  const std::string rendered = tmp.write("rendered.yaml", read_file(out));
  const auto checker = lle::test::npm_checker("kubernetes-schema");
  BOOST_TEST(
      lle::test::run_to_exit({"node", (checker / "check.mjs").string(), rendered}, out, err) == 0,
      dir << ": " << read_file(out) << read_file(err));
  std::map<std::string, YAML::Node> objects;
  for (const auto& doc : YAML::LoadAll(read_file(rendered)))
    objects.emplace(doc["kind"].as<std::string>() + "/" + doc["metadata"]["name"].as<std::string>(),
                    doc);
  return objects;
}

YAML::Node find(const YAML::Node& list, const std::string& name) {
  for (const auto& c : list)
    if (c["name"].as<std::string>() == name) return c;
  return YAML::Node();
}

// The ConfigMap generated as `name` (kustomize appends a content hash to its name).
YAML::Node config_map(const std::map<std::string, YAML::Node>& objects, const std::string& name) {
  for (const auto& [key, o] : objects)
    if (key.starts_with("ConfigMap/" + name + "-")) return o;
  return YAML::Node();
}

void restricted(const YAML::Node& c) {
  const std::string name = c["name"].as<std::string>();
  const auto sc = c["securityContext"];
  BOOST_TEST(sc["allowPrivilegeEscalation"].as<bool>() == false, name);
  BOOST_TEST(sc["readOnlyRootFilesystem"].as<bool>(), name);
  BOOST_TEST(sc["capabilities"]["drop"][0].as<std::string>() == "ALL", name);
  BOOST_TEST(c["resources"]["requests"]["memory"].IsDefined(), name);
  BOOST_TEST(c["resources"]["limits"]["memory"].IsDefined(), name);
}

std::map<std::string, YAML::Node> volumes_of(const YAML::Node& pod) {
  std::map<std::string, YAML::Node> volumes;
  for (const auto& v : pod["volumes"]) volumes.emplace(v["name"].as<std::string>(), YAML::Node(v));
  return volumes;
}

// Pod Security "restricted" at the pod level, and no service account token.
void restricted_pod(const YAML::Node& pod) {
  const auto psc = pod["securityContext"];
  BOOST_TEST(psc["runAsNonRoot"].as<bool>());
  BOOST_TEST(psc["runAsUser"].as<int>() > 0);
  BOOST_TEST(psc["seccompProfile"]["type"].as<std::string>() == "RuntimeDefault");
  BOOST_TEST(pod["automountServiceAccountToken"].as<bool>() == false);
}

// What every variant's exporter shares: a restricted pod and container, probes with
// readiness independent of Loki, and the two Secrets as read-only files.
void check_exporter(const YAML::Node& pod, const YAML::Node& exporter,
                    std::size_t secret_mounts = 2) {
  restricted_pod(pod);
  restricted(exporter);
  BOOST_TEST(exporter["readinessProbe"]["httpGet"]["path"].as<std::string>() == "/-/ready");
  BOOST_TEST(exporter["livenessProbe"]["httpGet"]["path"].as<std::string>() == "/-/healthy");
  BOOST_TEST(exporter["startupProbe"]["httpGet"]["path"].as<std::string>() == "/-/healthy");
  BOOST_TEST(!exporter["env"].IsDefined());  // no secret in the environment either

  const auto volumes = volumes_of(pod);
  std::size_t secrets = 0;
  for (const auto& m : exporter["volumeMounts"]) {
    const auto v = volumes.find(m["name"].as<std::string>());
    if (v != volumes.end() && v->second["secret"]) {
      ++secrets;
      BOOST_TEST(m["readOnly"].as<bool>(), m["name"].as<std::string>());
    }
  }
  BOOST_TEST(secrets == secret_mounts);
}

// The sidecar variants; returns the exporter container.
YAML::Node check_sidecar(const std::map<std::string, YAML::Node>& objects, bool native) {
  BOOST_TEST_REQUIRE(objects.count("StatefulSet/prometheus") == 1u);
  const auto pod = objects.at("StatefulSet/prometheus")["spec"]["template"]["spec"];
  const auto exporter =
      find(native ? pod["initContainers"] : pod["containers"], "loki-latency-exporter");
  BOOST_TEST_REQUIRE(exporter.IsDefined());
  if (native) {
    BOOST_TEST(exporter["restartPolicy"].as<std::string>() == "Always");
  } else {
    BOOST_TEST(!pod["initContainers"].IsDefined());
    BOOST_TEST(!exporter["restartPolicy"].IsDefined());
  }
  check_exporter(pod, exporter);
  const auto prometheus = find(pod["containers"], "prometheus");
  BOOST_TEST_REQUIRE(prometheus.IsDefined());
  restricted(prometheus);

  // The rule file is shared with Prometheus, which lets the exporter ask for reloads.
  bool shared_rules = false;
  for (const auto& m : prometheus["volumeMounts"])
    shared_rules = shared_rules || m["name"].as<std::string>() == "generated-rules";
  BOOST_TEST(shared_rules);
  bool lifecycle = false;
  for (const auto& a : prometheus["args"])
    lifecycle = lifecycle || a.as<std::string>() == "--web.enable-lifecycle";
  BOOST_TEST(lifecycle);
  return exporter;
}

// The egress ports of a NetworkPolicy, in order.
std::vector<int> egress_ports(const YAML::Node& policy) {
  std::vector<int> ports;
  for (const auto& rule : policy["spec"]["egress"])
    for (const auto& p : rule["ports"]) ports.push_back(p["port"].as<int>());
  return ports;
}

// The exporter's ConfigMap, written out as files and checked with check-config;
// returns its exporter.yaml. Its services and policy are the bundled ones (copies,
// since kustomize reads only below its folder).
std::string check_config_map(const std::map<std::string, YAML::Node>& objects) {
  const auto config = config_map(objects, "loki-latency-exporter");
  BOOST_TEST_REQUIRE(config.IsDefined());
  const auto root = lle::test::source_dir();
  lle::test::TempDir dir;
  for (const char* f : {"exporter.yaml", "services.yaml", "alert-rules.yaml"})
    dir.write(f, config["data"][f].as<std::string>());
  BOOST_TEST(read_file(dir.path() / "services.yaml") ==
             read_file(root / "deploy/config/services.yaml"));
  BOOST_TEST(read_file(dir.path() / "alert-rules.yaml") ==
             read_file(root / "rules/alert-rules.yaml"));
  const std::string out = (dir.path() / "out").string(), err = (dir.path() / "err").string();
  // --offline: the Secrets it names are mounted in the pod, not here.
  BOOST_TEST(lle::test::run_to_exit({lle::test::exporter_binary(), "check-config", "--offline",
                                     "--config", (dir.path() / "exporter.yaml").string()},
                                    out, err) == 0,
             read_file(err));
  const std::string text = config["data"]["exporter.yaml"].as<std::string>();
  BOOST_TEST(text.find("password_file: /run/secrets/") != std::string::npos);
  return text;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(integration_kubernetes_manifests)

BOOST_AUTO_TEST_CASE(the_base_runs_the_exporter_as_a_native_sidecar) {
  const auto objects = render((lle::test::source_dir() / "deploy/kubernetes/base").string());
  check_sidecar(objects, true);
  for (const auto& [key, o] : objects)
    BOOST_TEST(o["metadata"]["namespace"].as<std::string>() == "monitoring", key);

  // Loki and DNS out (and Alertmanager), nothing else; ingress to the two ports only.
  const auto np = objects.at("NetworkPolicy/prometheus-with-loki-latency-exporter");
  BOOST_TEST((egress_ports(np) == std::vector<int>{80, 3100, 9093, 53, 53}));
  for (const auto& rule : np["spec"]["ingress"])
    for (const auto& p : rule["ports"])
      BOOST_TEST((p["port"].as<int>() == 9464 || p["port"].as<int>() == 9090));

  const std::string config = check_config_map(objects);
  BOOST_TEST(config.find("rules_file: /var/lib/loki-latency-exporter/rules/") != std::string::npos);
}

// The Alertmanager of the base pages with the shipped routing; every team's routing key
// is a file of one read-only Secret, at the absolute path the configuration names.
BOOST_AUTO_TEST_CASE(the_base_alertmanager_reads_each_team_s_routing_key_from_a_secret_file) {
  const auto root = lle::test::source_dir();
  const auto objects = render((root / "deploy/kubernetes/base").string());
  BOOST_TEST_REQUIRE(objects.count("StatefulSet/alertmanager") == 1u);
  const auto pod = objects.at("StatefulSet/alertmanager")["spec"]["template"]["spec"];
  restricted_pod(pod);
  const auto am = find(pod["containers"], "alertmanager");
  BOOST_TEST_REQUIRE(am.IsDefined());
  restricted(am);

  const auto config = config_map(objects, "alertmanager");
  BOOST_TEST_REQUIRE(config.IsDefined());
  const std::string yml = config["data"]["alertmanager.yml"].as<std::string>();
  BOOST_TEST(yml == read_file(root / "deploy/alertmanager/alertmanager.yml"));
  BOOST_TEST(config["data"]["pagerduty.tmpl"].as<std::string>() ==
             read_file(root / "deploy/alertmanager/templates/pagerduty.tmpl"));

  // The template lands where the configuration's `templates/*.tmpl` looks.
  auto volumes = volumes_of(pod);
  bool template_in_place = false;
  for (const auto& item : volumes["config"]["configMap"]["items"])
    template_in_place =
        template_in_place || item["path"].as<std::string>() == "templates/pagerduty.tmpl";
  BOOST_TEST(template_in_place);
  BOOST_TEST(YAML::Load(yml)["templates"][0].as<std::string>() == "templates/*.tmpl");

  std::string keys_dir;
  for (const auto& m : am["volumeMounts"]) {
    if (!volumes[m["name"].as<std::string>()]["secret"]) continue;
    BOOST_TEST(m["readOnly"].as<bool>());
    keys_dir = m["mountPath"].as<std::string>() + "/";
  }
  BOOST_TEST_REQUIRE(!keys_dir.empty());
  std::size_t keys = 0;
  for (const auto& receiver : YAML::Load(yml)["receivers"]) {
    for (const auto& pd : receiver["pagerduty_configs"]) {
      ++keys;
      BOOST_TEST(pd["routing_key_file"].as<std::string>().starts_with(keys_dir),
                 receiver["name"].as<std::string>());
    }
  }
  BOOST_TEST(keys == 6u);
  // Prometheus sends to this Service.
  BOOST_TEST(objects.count("Service/alertmanager") == 1u);
  const auto prometheus_yml =
      config_map(objects, "prometheus")["data"]["prometheus.yml"].as<std::string>("");
  BOOST_TEST(prometheus_yml.find("alertmanager.monitoring.svc.cluster.local:9093") !=
             std::string::npos);
  BOOST_TEST(
      (egress_ports(objects.at("NetworkPolicy/alertmanager")) == std::vector<int>{443, 53, 53}));
}

// A field misspelt in a core object and in a Prometheus Operator object is reported
// by name (the API server would silently drop either).
BOOST_AUTO_TEST_CASE(the_schema_check_catches_a_misspelt_field) {
  struct Case {
    const char *dir, *field, *typo, *report;
  };
  for (const Case& c :
       {Case{"deploy/kubernetes/base", "readOnlyRootFilesystem", "readOnlyRootFileSystem",
             "readOnlyRootFileSystem: unknown field of V1SecurityContext"},
        Case{"deploy/kubernetes/standalone", "interval: 30s", "intervall: 30s",
             "PodMonitor/loki-latency-exporter: intervall: unknown field"}}) {
    lle::test::TempDir tmp;
    const std::string out = (tmp.path() / "out").string(), err = (tmp.path() / "err").string();
    BOOST_TEST_REQUIRE(
        lle::test::run_to_exit({"kubectl", "kustomize", (lle::test::source_dir() / c.dir).string()},
                               out, err) == 0);
    std::string text = read_file(out);
    const auto at = text.find(c.field);
    BOOST_TEST_REQUIRE(at != std::string::npos, c.field);
    text.replace(at, std::strlen(c.field), c.typo);
    const auto checker = lle::test::npm_checker("kubernetes-schema");
    BOOST_TEST(
        lle::test::run_to_exit(
            {"node", (checker / "check.mjs").string(), tmp.write("bad.yaml", text)}, out, err) == 1,
        c.dir);
    BOOST_TEST(read_file(out).find(c.report) != std::string::npos, read_file(out));
  }
}

BOOST_AUTO_TEST_CASE(before_1_29_the_exporter_is_a_plain_container) {
  const auto objects =
      render((lle::test::source_dir() / "deploy/kubernetes/overlays/pre-1.29").string());
  check_sidecar(objects, false);
}

BOOST_AUTO_TEST_CASE(the_standalone_variant_is_scraped_by_a_pod_monitor_with_the_generated_rules) {
  const auto root = lle::test::source_dir();
  const auto objects = render((root / "deploy/kubernetes/standalone").string());
  for (const auto& [key, o] : objects)
    BOOST_TEST(o["metadata"]["namespace"].as<std::string>() == "monitoring", key);

  // One replica (two would tail Loki twice), replaced rather than rolled: its state
  // volume is ReadWriteOnce.
  BOOST_TEST_REQUIRE(objects.count("Deployment/loki-latency-exporter") == 1u);
  const auto deployment = objects.at("Deployment/loki-latency-exporter")["spec"];
  BOOST_TEST(deployment["replicas"].as<int>() == 1);
  BOOST_TEST(deployment["strategy"]["type"].as<std::string>() == "Recreate");
  const auto pod = deployment["template"]["spec"];
  const auto exporter = find(pod["containers"], "loki-latency-exporter");
  BOOST_TEST_REQUIRE(exporter.IsDefined());
  check_exporter(pod, exporter);
  const auto claim = volumes_of(pod)["exporter-state"]["persistentVolumeClaim"]["claimName"];
  BOOST_TEST_REQUIRE(claim.IsDefined());
  BOOST_TEST(objects.count("PersistentVolumeClaim/" + claim.as<std::string>()) == 1u);

  // The PodMonitor selects this pod, scrapes a port it has, and names the job as the
  // rules and the dashboard expect it (job="loki-latency-exporter").
  BOOST_TEST_REQUIRE(objects.count("PodMonitor/loki-latency-exporter") == 1u);
  const auto monitor = objects.at("PodMonitor/loki-latency-exporter");
  const auto pod_labels = deployment["template"]["metadata"]["labels"];
  for (const auto& l : monitor["spec"]["selector"]["matchLabels"])
    BOOST_TEST(
        pod_labels[l.first.as<std::string>()].as<std::string>("") == l.second.as<std::string>(),
        l.first.as<std::string>());
  const auto endpoint = monitor["spec"]["podMetricsEndpoints"][0];
  BOOST_TEST(endpoint["path"].as<std::string>() == "/metrics");
  bool port = false;
  for (const auto& p : exporter["ports"])
    port = port || p["name"].as<std::string>() == endpoint["port"].as<std::string>();
  BOOST_TEST(port);
  BOOST_TEST(pod_labels[monitor["spec"]["jobLabel"].as<std::string>("")].as<std::string>("") ==
             "loki-latency-exporter");

  // The PrometheusRule is the generator's (a copy kustomize can read) and its spec is
  // a rule file promtool accepts; kube-prometheus-stack finds both by `release`.
  BOOST_TEST(read_file(root / "deploy/kubernetes/standalone/loki-latency-prometheusrule.yaml") ==
             read_file(root / "rules/generated/loki-latency-prometheusrule.yaml"));
  BOOST_TEST_REQUIRE(objects.count("PrometheusRule/loki-latency-exporter") == 1u);
  const auto rule = objects.at("PrometheusRule/loki-latency-exporter");
  for (const auto& o : {rule, monitor})
    BOOST_TEST(o["metadata"]["labels"]["release"].as<std::string>("") == "kube-prometheus-stack");
  lle::test::TempDir tmp;
  YAML::Emitter spec;
  spec << rule["spec"];
  const std::string out = (tmp.path() / "out").string(), err = (tmp.path() / "err").string();
  BOOST_TEST(lle::test::run_to_exit({"promtool", "check", "rules", "--lint=all", "--lint-fatal",
                                     tmp.write("spec.yaml", spec.c_str())},
                                    out, err) == 0,
             read_file(out) << read_file(err));
  BOOST_TEST(read_file(out).find("SUCCESS") != std::string::npos, read_file(out));

  // Loki and DNS out only; the thresholds are the policy file's (no rule file of its
  // own, so the API serves them read-only).
  const auto np = objects.at("NetworkPolicy/loki-latency-exporter");
  BOOST_TEST((egress_ports(np) == std::vector<int>{80, 3100, 53, 53}));
  // The Operator's Prometheus may live in another namespace: it is let in from any.
  bool prometheus_from_any_namespace = false;
  for (const auto& peer : np["spec"]["ingress"][0]["from"])
    prometheus_from_any_namespace =
        prometheus_from_any_namespace ||
        (peer["namespaceSelector"].IsMap() && peer["namespaceSelector"].size() == 0 &&
         peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"].as<std::string>("") ==
             "prometheus");
  BOOST_TEST(prometheus_from_any_namespace);
  const std::string config = check_config_map(objects);
  BOOST_TEST(config.find("rules_file:") == std::string::npos);
  BOOST_TEST(config.find("thresholds_file:") == std::string::npos);
}

// The fleet variant: the standalone's monitoring objects with a StatefulSet of members
// instead of the Deployment, as many as fleet.members says, each with a state volume
// of its own, a governing headless Service and a PodDisruptionBudget; each member's
// configuration passes check-config, the fleet's tails within the tenant's limit.
BOOST_AUTO_TEST_CASE(the_fleet_variant_runs_one_member_per_pod_of_a_statefulset) {
  const auto objects = render((lle::test::source_dir() / "deploy/kubernetes/fleet").string());
  for (const auto& [key, o] : objects)
    BOOST_TEST(o["metadata"]["namespace"].as<std::string>() == "monitoring", key);
  BOOST_TEST(objects.count("Deployment/loki-latency-exporter") == 0u);
  BOOST_TEST(objects.count("PersistentVolumeClaim/loki-latency-exporter-state") == 0u);
  BOOST_TEST_REQUIRE(objects.count("StatefulSet/loki-latency-exporter") == 1u);
  const auto set = objects.at("StatefulSet/loki-latency-exporter")["spec"];
  const auto pod = set["template"]["spec"];
  const auto exporter = find(pod["containers"], "loki-latency-exporter");
  BOOST_TEST_REQUIRE(exporter.IsDefined());
  check_exporter(pod, exporter);

  // As many members as the configuration's fleet; the member number is the ordinal.
  const std::string config = check_config_map(objects);
  const auto fleet = YAML::Load(config)["fleet"];
  BOOST_TEST(set["replicas"].as<int>() == fleet["members"].as<int>());
  BOOST_TEST(!fleet["member"].IsDefined());
  for (const auto& a : exporter["args"]) BOOST_TEST(a.as<std::string>() != "--fleet-member");

  // A state volume per member, mounted where state.dir says.
  const auto claim = set["volumeClaimTemplates"][0];
  bool mounted = false;
  for (const auto& m : exporter["volumeMounts"])
    mounted =
        mounted || (m["name"].as<std::string>() == claim["metadata"]["name"].as<std::string>() &&
                    config.find("dir: " + m["mountPath"].as<std::string>()) != std::string::npos);
  BOOST_TEST(mounted);

  // The governing Service is headless and selects the members; so does the budget.
  const auto pod_labels = set["template"]["metadata"]["labels"];
  const auto selects_members = [&](const YAML::Node& match) {
    bool all = match.size() > 0;
    for (const auto& l : match)
      all = all &&
            pod_labels[l.first.as<std::string>()].as<std::string>("") == l.second.as<std::string>();
    return all;
  };
  const std::string governing = set["serviceName"].as<std::string>();
  BOOST_TEST_REQUIRE(objects.count("Service/" + governing) == 1u);
  const auto headless = objects.at("Service/" + governing)["spec"];
  BOOST_TEST(headless["clusterIP"].as<std::string>() == "None");
  BOOST_TEST(selects_members(headless["selector"]));
  BOOST_TEST_REQUIRE(objects.count("PodDisruptionBudget/loki-latency-exporter") == 1u);
  const auto budget = objects.at("PodDisruptionBudget/loki-latency-exporter")["spec"];
  BOOST_TEST(budget["maxUnavailable"].as<int>() == 1);
  BOOST_TEST(selects_members(budget["selector"]["matchLabels"]));
  BOOST_TEST_REQUIRE(objects.count("PodMonitor/loki-latency-exporter") == 1u);
  BOOST_TEST(selects_members(
      objects.at("PodMonitor/loki-latency-exporter")["spec"]["selector"]["matchLabels"]));
  BOOST_TEST(objects.count("PrometheusRule/loki-latency-exporter") == 1u);

  // Members find each other by their stable names, member k at pod k, on the port
  // the governing Service names, and the NetworkPolicy lets them in and out.
  const std::string port = headless["ports"][0]["port"].as<std::string>();
  BOOST_TEST(
      fleet["peer_url"].as<std::string>("") ==
      "http://" +
          objects.at("StatefulSet/loki-latency-exporter")["metadata"]["name"].as<std::string>() +
          "-{member}." + governing + ":" + port);
  BOOST_TEST_REQUIRE(objects.count("NetworkPolicy/loki-latency-exporter") == 1u);
  const auto policy = objects.at("NetworkPolicy/loki-latency-exporter")["spec"];
  const auto lets_members = [&](const YAML::Node& rules, const char* peers) {
    bool found = false;
    for (const auto& r : rules) {
      bool members = false, on_port = false;
      for (const auto& p : r[peers])
        members = members || (!p["namespaceSelector"].IsDefined() &&
                              selects_members(p["podSelector"]["matchLabels"]));
      for (const auto& p : r["ports"]) on_port = on_port || p["port"].as<std::string>() == port;
      found = found || (members && on_port);
    }
    return found;
  };
  BOOST_TEST(lets_members(policy["ingress"], "from"));
  BOOST_TEST(lets_members(policy["egress"], "to"));
}

// The standalone variant with TLS on the exporter's port: the web configuration and
// the server's key arrive as read-only files of a Secret, the exporter is pointed at
// them, and the probes and the PodMonitor speak HTTPS, the latter verifying the
// certificate for the Service's name.
BOOST_AUTO_TEST_CASE(the_tls_overlay_mounts_the_web_configuration_and_scrapes_over_https) {
  const auto objects =
      render((lle::test::source_dir() / "deploy/kubernetes/overlays/standalone-tls").string());
  BOOST_TEST_REQUIRE(objects.count("Deployment/loki-latency-exporter") == 1u);
  const auto pod = objects.at("Deployment/loki-latency-exporter")["spec"]["template"]["spec"];
  const auto exporter = find(pod["containers"], "loki-latency-exporter");
  BOOST_TEST_REQUIRE(exporter.IsDefined());
  check_exporter(pod, exporter, 3);
  std::string web_config;
  const auto args = exporter["args"];
  for (std::size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i].as<std::string>() == "--web.config.file")
      web_config = args[i + 1].as<std::string>();
  BOOST_TEST_REQUIRE(!web_config.empty());
  // The file is in a Secret's read-only mount.
  const auto volumes = volumes_of(pod);
  bool in_secret = false;
  for (const auto& m : exporter["volumeMounts"]) {
    const std::string dir = m["mountPath"].as<std::string>() + "/";
    if (web_config.rfind(dir, 0) != 0) continue;
    const auto v = volumes.find(m["name"].as<std::string>());
    in_secret = v != volumes.end() && v->second["secret"].IsDefined() && m["readOnly"].as<bool>();
  }
  BOOST_TEST(in_secret, web_config);
  for (const char* probe : {"startupProbe", "livenessProbe", "readinessProbe"})
    BOOST_TEST(exporter[probe]["httpGet"]["scheme"].as<std::string>("") == "HTTPS", probe);
  const auto endpoint =
      objects.at("PodMonitor/loki-latency-exporter")["spec"]["podMetricsEndpoints"][0];
  BOOST_TEST(endpoint["scheme"].as<std::string>("") == "https");
  BOOST_TEST(endpoint["tlsConfig"]["ca"]["secret"]["name"].IsDefined());
  BOOST_TEST(endpoint["tlsConfig"]["serverName"].as<std::string>("") ==
             "loki-latency-exporter.monitoring.svc");
  BOOST_TEST(objects.count("Service/loki-latency-exporter") == 1u);
  check_config_map(objects);
}

BOOST_AUTO_TEST_SUITE_END()
