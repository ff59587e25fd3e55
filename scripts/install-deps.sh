#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing and benchmarking signet need, and the
# npm packages of tests/e2e/node (openid-client, pinned by its committed package-lock.json).
# Does nothing (and needs no network) when they are all present: this is the only place where
# anything is downloaded, so builds and `make test` run offline afterwards.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"

packages=(
  build-essential cmake ninja-build pkg-config clang-14 clang-format libclang-rt-14-dev
  libboost1.81-dev libboost-json1.81-dev
  libssl-dev openssl
  libargon2-dev libsqlite3-dev libpq-dev
  postgresql-15
  libcli11-dev libspdlog-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  wrk curl util-linux procps iproute2 nginx-light
  python3 python3-pytest python3-requests python3-jwt python3-cryptography python3-authlib
  chromium chromium-driver python3-selenium
)
# Node.js runs openid-client for tests/e2e/test_client_libraries.py. Debian 12's nodejs and npm
# give Node 18; a machine with a newer nodejs package bundles its own npm, and Debian's npm would
# conflict with it, so each is asked for only when its command is missing.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Services stay stopped: nginx (bench/run.sh's baseline) and PostgreSQL (the tests') are started
  # by the scripts that use them, on their own ports and directories. policy-rc.d answering 101
  # is Debian's way to tell invoke-rc.d so; one already there is left alone.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 0755 "$policy"
    trap '$sudo rm -f "$policy"' EXIT
  fi
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm writes node_modules/.package-lock.json last, so its absence also catches an interrupted
# install; a newer package-lock.json (a changed pin) installs again. --ignore-scripts: no package
# runs code at install time.
node_dir="$repo/tests/e2e/node"
installed="$node_dir/node_modules/.package-lock.json"
if [ ! -f "$installed" ] || [ "$node_dir/package-lock.json" -nt "$installed" ]; then
  echo "install-deps: installing tests/e2e/node's npm packages (npm ci)" >&2
  (cd "$node_dir" && npm ci --ignore-scripts --no-audit --no-fund)
fi
