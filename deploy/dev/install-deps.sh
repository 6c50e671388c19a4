#!/usr/bin/env bash
# Installs what building and testing loki-latency-exporter needs on Debian 12,
# with apt only. Idempotent: installs only the packages that are missing.
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ git pkg-config
  prometheus-cpp-dev libyaml-cpp-dev libssl-dev zlib1g-dev
  libcrypt-dev   # bcrypt for basic auth (crypt_r); libc6-dev brings it, named for clarity
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-test1.81-dev
  libbenchmark-dev clang-format
  # the protobuf exposition of /metrics (native histograms)
  libprotobuf-dev protobuf-compiler
  # the libFuzzer targets (the fuzz preset)
  clang-14 libclang-rt-14-dev
  # tests and the local stack: real Prometheus and Alertmanager, headless Chromium,
  # the sample generator, test TLS certificates, curl
  prometheus prometheus-alertmanager chromium python3 openssl ca-certificates curl
  # the daemonless image build (deploy/container/)
  umoci skopeo
)

# Node.js and npm (the Grafana schema check in the tests fetches its checker from
# the npm registry). Machines that already have a node with npm keep theirs.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root (or with sudo)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
