#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: formatting, then the
# Boost.Test suites through ctest. Usage: test.sh [PRESET]  (release, asan, tsan,
# fuzz: the libFuzzer targets' smoke runs)
set -euo pipefail
cd "$(dirname "$0")/../.."
preset="${1:-release}"

./deploy/dev/install-deps.sh

if [ "$preset" = release ]; then
  echo "== clang-format"
  git ls-files -z '*.cc' '*.h' '*.cpp' | xargs -0 clang-format --dry-run --Werror
fi

echo "== build ($preset)"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"

echo "== tests ($preset)"
ctest --preset "$preset"
