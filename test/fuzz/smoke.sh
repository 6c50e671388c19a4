#!/usr/bin/env bash
# A bounded fuzz run for CI: TARGET SEED_DIR. New inputs go to a temp dir, so the
# committed corpus never changes; a crash leaves its input in the temp dir and
# fails the test (libFuzzer's exit status).
set -euo pipefail
target="$1"
seeds="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$target" -max_total_time="${LLE_FUZZ_SECONDS:-10}" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$work/" "$work" "$seeds"
