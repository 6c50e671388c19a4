#!/usr/bin/env bash
# A bounded fuzz run for CI: TARGET SEED_DIR [DICT]. New inputs go to a temp dir, so the
# committed corpus never changes; a crash fails the test (libFuzzer's exit
# status) and its input is printed in the log. A fixed seed makes every run try
# the same inputs in the same order, so CI does not turn red at random; longer
# runs with other seeds are for finding bugs (docs/security.md).
set -euo pipefail
target="$1"
seeds="$2"
dict=()
[ -n "${3:-}" ] && dict=(-dict="$3")
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$target" -seed=1 -max_total_time="${LLE_FUZZ_SECONDS:-10}" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 "${dict[@]}" -artifact_prefix="$work/" "$work" "$seeds"
