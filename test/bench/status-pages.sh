#!/usr/bin/env bash
# The status pages at 10,000 services in 500 teams (issue 17): the exporter replays a
# generated workload (fixed seed), then each page is fetched RUNS times with curl
# after one warm-up; the median time (request to last byte, on 127.0.0.1) and the
# size go to docs/perf/status-pages.txt. Whole process, whole HTTP round trip.
#
# Usage: test/bench/status-pages.sh [EXPORTER]
#   env: RUNS (15), SERVICES (10000), TEAMS (500), LINES (300000), WORK (/tmp/lle-pages)
# Needs: python3, curl. Never run by CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
exporter="$(realpath "${1:-build/release/exporter/app/loki-latency-exporter}")"
runs="${RUNS:-15}" services="${SERVICES:-10000}" teams="${TEAMS:-500}" lines="${LINES:-300000}"
work="${WORK:-/tmp/lle-pages}/${services}x${teams}"
out="$PWD/docs/perf/status-pages.txt"

[ -f "$work/tail.jsonl" ] ||
  python3 test/bench/gen_workload.py "$work" --lines "$lines" --services "$services" \
    --teams "$teams"
cd "$work"
"$exporter" run --config exporter.yaml --replay tail.jsonl --rebase-to-now \
  --listen 127.0.0.1:0 >/dev/null 2>err.log &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 600); do grep -q "replay finished" err.log && break; sleep 0.1; done
grep -q "replay finished" err.log || { echo "replay did not finish" >&2; exit 1; }
port=$(grep -o '127.0.0.1:[0-9]*/metrics' err.log | head -1 | cut -d: -f2 | cut -d/ -f1)

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
{
  echo "# status pages, $services services in $teams teams, $(date -u +%F), median of $runs"
  echo "# $(git -C "$OLDPWD" rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores; time is curl's time_total"
  printf "%-34s %10s %10s\n" page ms bytes
  for page in "/" "/?page=50" "/?team=team-007" "/?state=breaching&sort=p95" "/?name=svc-0999" \
    "/team/team-007" "/service/svc-00007"; do
    curl -s -o /dev/null "http://127.0.0.1:$port$page"  # warm-up
    for _ in $(seq "$runs"); do
      curl -s -o /dev/null -w '%{time_total} %{size_download}\n' "http://127.0.0.1:$port$page"
    done >"$work/page.times"
    ms=$(awk '{ print $1 * 1000 }' "$work/page.times" | median)
    bytes=$(awk '{ print $2 }' "$work/page.times" | median)
    printf "%-34s %10.1f %10d\n" "$page" "$ms" "$bytes"
  done
} | tee "$out"
