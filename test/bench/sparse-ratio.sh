#!/usr/bin/env bash
# Many sparse services against few dense ones (issue 15): dq-report on 2,000,000
# generated lines (fixed seed) of 200 services and of 10,000, and the fixed cost of
# 10,000 services (a replay of their first 100 records). Runs alternate between the
# binaries given; each figure is the median of RUNS runs of CPU seconds (user+sys,
# /usr/bin/time) with the max RSS. Prints, per binary, the per-line cost ratio
# (sparse - fixed) / dense. Cache misses: see docs/perf/README.md (cachegrind).
#
# Usage: test/bench/sparse-ratio.sh EXPORTER [EXPORTER...]
#   env: RUNS (11), WORK (/tmp/lle-sparse-ratio)
# Needs: python3. Never run by CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 1 ] || { echo "usage: $0 EXPORTER [EXPORTER...]" >&2; exit 2; }
runs="${RUNS:-11}" work="${WORK:-/tmp/lle-sparse-ratio}"
for w in dense:200 sparse:10000; do
  [ -f "$work/${w%%:*}/tail.jsonl" ] ||
    python3 test/bench/gen_workload.py "$work/${w%%:*}" --lines 2000000 --services "${w##*:}"
done
head -n 100 "$work/sparse/tail.jsonl" >"$work/sparse/head.jsonl"

: >"$work/times"
for _ in $(seq "$runs"); do
  for bin in "$@"; do
    for w in dense sparse fixed; do
      dir="$work/${w/fixed/sparse}"
      input="$dir/tail.jsonl"
      [ "$w" = fixed ] && input="$dir/head.jsonl"
      # dq-report exits 1 when a quality gate fails (the fixed run's few lines do)
      /usr/bin/time -f "%U %S %M" -o "$work/time.tmp" "$bin" dq-report \
        --config "$dir/exporter.yaml" --replay "$input" --out /dev/null >/dev/null 2>&1 || true
      echo "$bin $w $(tail -n 1 "$work/time.tmp")" >>"$work/times"
    done
  done
done
python3 - "$work/times" <<'PY'
import collections, statistics, sys
cpu, rss = collections.defaultdict(list), collections.defaultdict(list)
for line in open(sys.argv[1]):
    b, w, user, system, kb = line.split()
    cpu[b, w].append(float(user) + float(system))
    rss[b, w].append(int(kb))
for b in dict.fromkeys(k[0] for k in cpu):
    m = {w: statistics.median(cpu[b, w]) for w in ("dense", "sparse", "fixed")}
    print(b)
    for w in m:
        print("  %-6s %.2f s (%.2f-%.2f), %.1f MB" % (w, m[w], min(cpu[b, w]), max(cpu[b, w]),
                                                     statistics.median(rss[b, w]) / 1000))
    print("  per line, sparse/dense: (%.2f-%.2f)/%.2f = %.2fx"
          % (m["sparse"], m["fixed"], m["dense"], (m["sparse"] - m["fixed"]) / m["dense"]))
PY
