#!/usr/bin/env bash
# Produces artifacts/evidence/: the test log (every suite, release build), the
# status page screenshots and the alert dry-run transcript those tests write, the
# data-quality report of the bundled sample, and index.md saying what each is.
# Usage: deploy/dev/evidence.sh   (installs what is missing, builds, runs the tests)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=artifacts/evidence

./deploy/dev/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
mkdir -p "$out"
rm -f "$out"/*.png "$out"/*.txt "$out"/*.json "$out"/index.md

echo "== tests (writing $out)"
status=0
ctest --preset release 2>&1 | tee "$out/test-log.txt" || status=$?

echo "== data-quality report of the bundled sample"
./build/release/exporter/app/loki-latency-exporter dq-report \
  --config deploy/config/exporter.yaml --replay test/testdata/sample/sample.jsonl \
  --out "$out/dq-report.json" || status=$?

revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
cat > "$out/index.md" <<INDEX
# Evidence, $(date -u +%Y-%m-%dT%H:%M:%SZ), revision $revision

Made by \`deploy/dev/evidence.sh\` on $(uname -n) ($(nproc) cores).

| file | what it shows | made by |
|---|---|---|
| dashboard.png | the built-in status page: the bundled sample's six services, payments-api breaching its 250 ms threshold | test/integration/status_page_browser_test.cc, headless Chromium |
| status-payments-api.png | payments-api's page: the 7-day trend of 5-minute P95s with threshold, baseline and the breach shaded; quantiles; data-quality counts | the same test |
| status-payments-api-phone.png | the same page at phone width (412 px) | the same test |
| alert-dry-run.txt | what PagerDuty received: one trigger for the regressed service with its team's routing key and mapped severity, then the resolve | test/integration/alert_e2e_test.cc: the exporter, Debian's Prometheus and Alertmanager, a local Events v2 receiver |
| dq-report.json | the data-quality gates on the bundled sample: accepted and rejected lines per service and reason | \`loki-latency-exporter dq-report\` |
| test-log.txt | every test suite of the release build, as ctest printed it | \`ctest --preset release\` |

$(if [ "$status" -eq 0 ]; then echo "All tests passed and the data-quality gates held."; else echo "**Something failed (exit $status): see test-log.txt.**"; fi)
INDEX
ls -l "$out"
exit "$status"
