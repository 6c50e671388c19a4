#!/usr/bin/env bash
# From nothing to an alert on one machine: the exporter replays the bundled sample, in
# which payments-api's P95 is above its 250 ms threshold; Debian's Prometheus scrapes it
# and evaluates the rules generated from rules/alert-rules.yaml; Debian's Alertmanager,
# configured as deploy/alertmanager/alertmanager.yml, pages team payments. PagerDuty is
# a local stand-in printing each event, unless PAGERDUTY_ROUTING_KEY is set (then every
# team's routing key is that one, and the page reaches your PagerDuty service).
# Everything listens on 127.0.0.1. Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

usage() {
  cat <<'USAGE'
usage: deploy/dev/local-stack.sh [--policy FILE] [--until-paged SECONDS] [--no-build]
  --policy FILE          alert policy to generate the rules from (default rules/alert-rules.yaml)
  --until-paged SECONDS  exit 0 at the first PagerDuty trigger, 1 if none came in time
  --no-build             use the binaries already built (LLE_BINARY, LLE_PAGERDUTY_STAND_IN)
Ports (environment): LLE_EXPORTER_PORT 9464, LLE_PROMETHEUS_PORT 9090,
LLE_ALERTMANAGER_PORT 9093, LLE_PAGERDUTY_PORT 9095. Files: LLE_STACK_DIR
(default artifacts/local-stack).
USAGE
}

policy=$root/rules/alert-rules.yaml
build=1
until_paged=0
while (($#)); do
  case $1 in
    --policy) policy=$(realpath "${2:?--policy needs a file}"); shift 2 ;;
    --until-paged) until_paged=${2:?--until-paged needs seconds}; shift 2 ;;
    --no-build) build=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "local-stack.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
exporter_port=${LLE_EXPORTER_PORT:-9464}
prometheus_port=${LLE_PROMETHEUS_PORT:-9090}
alertmanager_port=${LLE_ALERTMANAGER_PORT:-9093}
pagerduty_port=${LLE_PAGERDUTY_PORT:-9095}
stack=${LLE_STACK_DIR:-$root/artifacts/local-stack}

if ((build)); then
  ./deploy/dev/install-deps.sh
  cmake --preset release >/dev/null
  cmake --build --preset release --target loki-latency-exporter pagerduty-stand-in
fi
exporter=${LLE_BINARY:-$root/build/release/exporter/app/loki-latency-exporter}
stand_in=${LLE_PAGERDUTY_STAND_IN:-$root/build/release/test/pagerduty-stand-in}

# Starts afresh, removing only a folder an earlier run made.
if [ -e "$stack" ] && [ ! -e "$stack/.local-stack" ] && [ -n "$(ls -A "$stack")" ]; then
  echo "local-stack.sh: $stack is not empty and not an earlier stack; choose another LLE_STACK_DIR" >&2
  exit 2
fi
rm -rf "$stack"
mkdir -p "$stack/prometheus" "$stack/alertmanager/secrets/pagerduty"
touch "$stack/.local-stack"
pids=()
stop_all() {
  ((${#pids[@]})) && kill "${pids[@]}" 2>/dev/null && wait "${pids[@]}" 2>/dev/null
  return 0
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# The bundled configuration, on this port and with this policy.
sed -e "s|^listen: .*|listen: 127.0.0.1:$exporter_port|" \
  -e "s|^services_file: .*|services_file: $root/deploy/config/services.yaml|" \
  -e "s|^  policy_file: .*|  policy_file: $policy|" \
  deploy/config/exporter.yaml >"$stack/exporter.yaml"
"$exporter" rules generate --config "$stack/exporter.yaml" --out "$stack/prometheus/rules.yaml"

# Routing keys are files only readable by us, as in production; never in a config.
# One key per team, as many as the shipped routing reads.
teams=$(sed -n 's|^ *- routing_key_file: /etc/alertmanager/secrets/pagerduty/||p' \
  deploy/alertmanager/alertmanager.yml)
(
  umask 077
  for team in $teams; do
    printf '%s' "${PAGERDUTY_ROUTING_KEY:-local-$team}" >"$stack/alertmanager/secrets/pagerduty/$team"
  done
)
cp -r deploy/alertmanager/templates "$stack/alertmanager/"
{
  if [ -z "${PAGERDUTY_ROUTING_KEY:-}" ]; then
    sed "s|^global:|global:\n  pagerduty_url: http://127.0.0.1:$pagerduty_port/v2/enqueue|"
  else
    cat
  fi
} <deploy/alertmanager/alertmanager.yml |
  sed -e "s|/etc/alertmanager/secrets/|$stack/alertmanager/secrets/|" \
    -e "s|group_wait: 30s|group_wait: 10s|" >"$stack/alertmanager/alertmanager.yml"

cat >"$stack/prometheus/prometheus.yml" <<PROM
global: {scrape_interval: 5s, evaluation_interval: 5s}
rule_files: [rules.yaml]
alerting:
  alertmanagers: [{static_configs: [{targets: ['127.0.0.1:$alertmanager_port']}]}]
scrape_configs:
  - job_name: loki-latency-exporter
    static_configs: [{targets: ['127.0.0.1:$exporter_port']}]
PROM

wait_ready() {  # NAME URL LOG
  for _ in $(seq 300); do
    curl -fsS -o /dev/null "$2" 2>/dev/null && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "local-stack.sh: $1 did not start; its log, $3:" >&2
  tail -n 20 "$3" >&2
  exit 1
}

if [ -z "${PAGERDUTY_ROUTING_KEY:-}" ]; then
  "$stand_in" "$pagerduty_port" >"$stack/pagerduty-events.jsonl" 2>"$stack/pagerduty.log" &
  pids+=($!)
fi
prometheus-alertmanager --config.file="$stack/alertmanager/alertmanager.yml" \
  --storage.path="$stack/alertmanager/data" --cluster.listen-address= \
  --web.listen-address="127.0.0.1:$alertmanager_port" >"$stack/alertmanager.log" 2>&1 &
pids+=($!)
wait_ready Alertmanager "http://127.0.0.1:$alertmanager_port/-/ready" "$stack/alertmanager.log"
prometheus --config.file="$stack/prometheus/prometheus.yml" \
  --storage.tsdb.path="$stack/prometheus/data" --enable-feature=native-histograms \
  --web.listen-address="127.0.0.1:$prometheus_port" >"$stack/prometheus.log" 2>&1 &
pids+=($!)
wait_ready Prometheus "http://127.0.0.1:$prometheus_port/-/ready" "$stack/prometheus.log"
"$exporter" run --config "$stack/exporter.yaml" \
  --replay test/testdata/sample/sample.jsonl --rebase-to-now >"$stack/exporter.log" 2>&1 &
pids+=($!)
wait_ready exporter "http://127.0.0.1:$exporter_port/-/ready" "$stack/exporter.log"

cat <<INFO
The local stack is up; configuration and logs are in $stack/.
  exporter      http://127.0.0.1:$exporter_port/   (status pages; /metrics)
  Prometheus    http://127.0.0.1:$prometheus_port/alerts
  Alertmanager  http://127.0.0.1:$alertmanager_port/
payments-api's 5-minute P95 is above its threshold: its LatencyP95AboveThreshold alert
is pending now, fires once it has held for the policy's \`for\` (5m in the bundled
policy), and Alertmanager then pages team payments.
INFO

if [ -n "${PAGERDUTY_ROUTING_KEY:-}" ]; then
  echo "Pages go to PagerDuty with your routing key. Ctrl-C stops the stack."
  wait "${pids[@]}"
  exit 0
fi
echo "PagerDuty events (the local stand-in) follow. Ctrl-C stops the stack."
if ((until_paged)); then
  for _ in $(seq $((until_paged * 10))); do
    if grep -q '"event_action":"trigger"' "$stack/pagerduty-events.jsonl"; then
      cat "$stack/pagerduty-events.jsonl"
      exit 0
    fi
    sleep 0.1
  done
  echo "local-stack.sh: no page within ${until_paged}s; logs in $stack/" >&2
  exit 1
fi
tail -n +1 -f "$stack/pagerduty-events.jsonl" &
pids+=($!)
wait "${pids[@]}"
