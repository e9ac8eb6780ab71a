#!/usr/bin/env bash
# Installs, with apt-get only, every Debian 12 package mxconform needs to
# build and test. Idempotent: does nothing when all are present.
set -euo pipefail

# libnet-ssleay-perl gives swaks its TLS (only a Recommends of swaks, which
# --no-install-recommends leaves out; without it the swaks test skips).
PKGS=(
  cmake ninja-build g++ clang clang-format libclang-rt-14-dev pkg-config
  libboost1.81-dev libssl-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev libpsl-dev publicsuffix libidn2-dev zlib1g-dev
  python3 python3-yaml bind9-dnsutils curl openssl swaks libnet-ssleay-perl chromium
  python3-websocket
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
