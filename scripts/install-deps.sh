#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing and benchmarking signet need.
# Does nothing (and needs no network) when they are all present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang-14 clang-format libclang-rt-14-dev
  libboost1.81-dev libboost-json1.81-dev
  libssl-dev openssl
  libargon2-dev libsqlite3-dev libpq-dev
  libcli11-dev libspdlog-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  wrk curl util-linux procps iproute2
  python3 python3-pytest python3-requests python3-jwt python3-cryptography python3-authlib
  chromium chromium-driver python3-selenium
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
