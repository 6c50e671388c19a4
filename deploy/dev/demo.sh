#!/usr/bin/env bash
# Installs what is missing, builds, and runs the exporter on the bundled sample
# (no Loki needed) with 14 days of generated history before it, so that the status
# pages have this week and the week before to compare. Prints the URL of /metrics
# and serves until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/../.."

./deploy/dev/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target loki-latency-exporter
# Fixed seeds: the same file every time (about 60 MB, a few seconds to write).
sample=build/sample-14d.jsonl
[ -s "$sample" ] || { python3 test/testdata/generate_sample.py --days 14 "$sample.part" && mv "$sample.part" "$sample"; }
exec ./build/release/exporter/app/loki-latency-exporter run \
  --config deploy/config/exporter.yaml --replay "$sample" --rebase-to-now "$@"
