#!/usr/bin/env bash
# Whole-process throughput, side by side with Debian's mtail (issue 15): the same
# generated lines (fixed seed) through `dq-report` as a logcli export and as
# recorded tail messages, and through mtail with test/bench/latency.mtail.
# Each figure is the median of RUNS runs of CPU seconds (user+sys, /usr/bin/time)
# and max RSS; runs alternate between the programs. Writes docs/perf/whole-process.txt.
#
# Usage: test/bench/whole-process.sh [EXPORTER] [BEFORE_EXPORTER]
#   env: RUNS (5), LINES (1000000), SERVICES (200), WORK (/tmp/lle-whole-process)
# Needs: python3, mtail (apt-get install mtail). Never run by CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
exporter="${1:-build/release/exporter/app/loki-latency-exporter}"
before="${2:-}"
runs="${RUNS:-5}" lines="${LINES:-1000000}" services="${SERVICES:-200}"
work="${WORK:-/tmp/lle-whole-process}/${lines}x${services}"
out=docs/perf/whole-process.txt

[ -f "$work/lines.log" ] ||
  python3 test/bench/gen_workload.py "$work" --lines "$lines" --services "$services"

# measure NAME CMD...: appends "cpu_seconds max_rss_kb" to $work/NAME.times
measure() {
  local name=$1
  shift
  /usr/bin/time -f "%U %S %M" -o "$work/time.tmp" "$@" >"$work/$name.out" 2>/dev/null
  awk '{ printf "%.2f %d\n", $1 + $2, $3 }' "$work/time.tmp" >>"$work/$name.times"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

programs=(mtail logcli tail)
[ -n "$before" ] && programs+=(logcli-before tail-before)
for p in "${programs[@]}"; do rm -f "$work/$p.times"; done
for ((i = 0; i < runs; i++)); do
  measure mtail mtail --progs test/bench/latency.mtail --logs "$work/lines.log" --one_shot \
    --one_shot_format prometheus
  for f in logcli tail; do
    measure "$f" "$exporter" dq-report --config "$work/exporter.yaml" --replay "$work/$f.jsonl"
    [ -z "$before" ] ||
      measure "$f-before" "$before" dq-report --config "$work/exporter.yaml" --replay "$work/$f.jsonl"
  done
done

# The programs must have counted the same lines, or the comparison means nothing.
counted_mtail=$(awk '/^request_latency_ms_count/ { s += $2 } END { print s }' "$work/mtail.out")
counted=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["accepted"])' \
  "$work/logcli.out")
if [ "$counted_mtail" != "$lines" ] || [ "$counted" != "$lines" ]; then
  echo "whole-process: lines counted: mtail $counted_mtail, exporter $counted, expected $lines" >&2
  exit 1
fi

{
  echo "# test/bench/whole-process.sh, $(date -u +%F), $(git rev-parse --short HEAD), $runs runs"
  echo "# $lines lines of $services services; median CPU seconds (user+sys), lines per CPU-second, median max RSS"
  for p in "${programs[@]}"; do
    cpu=$(cut -d' ' -f1 "$work/$p.times" | median)
    rss=$(cut -d' ' -f2 "$work/$p.times" | median)
    awk -v p="$p" -v c="$cpu" -v r="$rss" -v n="$lines" \
      'BEGIN { printf "%-14s %6.2f s  %9.0f lines/CPU-s  %7.1f MB\n", p, c, n / c, r / 1024 }'
  done
} | tee "$out"
