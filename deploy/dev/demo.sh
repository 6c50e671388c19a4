#!/usr/bin/env bash
# Installs what is missing, builds, and runs the exporter on the bundled sample
# (no Loki needed). Prints the URL of /metrics and serves until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/../.."

./deploy/dev/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target loki-latency-exporter
exec ./build/release/exporter/app/loki-latency-exporter run \
  --config deploy/config/exporter.yaml \
  --replay test/testdata/sample/sample.jsonl --rebase-to-now "$@"
