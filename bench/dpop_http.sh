#!/usr/bin/env bash
# A DPoP call over HTTP (issue 12: a DPoP call with an ES256 proof and a cached token >= 0.8 x
# `openssl speed`'s ES256 verify rate): `signet api` on core 0, wrk on core 1 sending
# /api/private with a DPoP-bound RS256 token (cached after its first use) and a fresh ES256 proof
# per request, against `openssl speed ecdsap256` on core 0 in the same run, with Bearer calls to
# the same route for reference.
# A proof is good once and its jti is remembered for --dpop-proof-lifetime (raised to an hour so
# that proofs made before the run stay fresh): each round therefore gets a new `signet api` (an
# empty replay cache) and short wrk runs that do not use up the proofs made ahead.
# Usage: bench/dpop_http.sh [build-dir] (default: build). Env: DURATION (seconds per wrk run,
# default 1), ROUNDS (default 5), CONNECTIONS (default 32), PROOFS (made ahead, default 40000).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
duration=${DURATION:-1}
rounds=${ROUNDS:-5}
connections=${CONNECTIONS:-32}
proofs=${PROOFS:-40000}
audience="https://quickstarts/api"
server_core=0
client_core=1
source bench/lib.sh  # start_work, free_port, ratio, median, measure
start_work

issuer_port=$(free_port)
api_port=$(free_port)
url="http://127.0.0.1:$api_port/api/private"
echo "making $proofs ES256 proofs with PyJWT..."
DPOP_URL=$url DPOP_PROOFS=$proofs /usr/bin/python3 bench/issuer.py "$issuer_port" "$work" "$audience" &
pids+=($!)
for _ in $(seq 1200); do [ -f "$work/issuer_ready" ] && break; sleep 0.1; done
token=$(cat "$work/token_dpop")
bearer=$(cat "$work/token")
cat >"$work/dpop.lua" <<LUA
local proofs = {}
for line in io.lines("$work/dpop_proofs") do proofs[#proofs + 1] = line end
local i = 0
request = function()
  i = i + 1  -- past the last proof wrk gets no request: better than a replay
  return wrk.format("GET", nil, { ["Authorization"] = "DPoP $token", ["DPoP"] = proofs[i] })
end
LUA

echo "== $rounds rounds: openssl speed on core $server_core, then signet api (new each round) on core $server_core, wrk ${duration}s on core $client_core, $connections connections"
declare -A runs cpu
for round in $(seq "$rounds"); do
  speed=$(taskset -c $server_core openssl speed -mr -seconds 2 ecdsap256 2>/dev/null | grep '^+F4')
  runs[openssl]+=" $(awk -F: '{print $5}' <<<"$speed")"
  taskset -c $server_core "$build/signet" api --issuer "http://127.0.0.1:$issuer_port/" \
    --audience "$audience" --listen "127.0.0.1:$api_port" --threads 1 --no-access-log \
    --dpop-proof-lifetime 3600 2>"$work/api.log" &
  api_pid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$api_port/health/ready" >/dev/null && break; sleep 0.1; done
  read -r r c < <(measure "$api_pid" -H "Authorization: Bearer $bearer" "$url")
  runs[bearer]+=" $r"; cpu[bearer]+=" $c"
  read -r r c < <(measure "$api_pid" -s "$work/dpop.lua" "$url")
  runs[dpop]+=" $r"; cpu[dpop]+=" $c"
  kill "$api_pid"; wait "$api_pid" 2>/dev/null || true
done
openssl_verify=$(median <<<"${runs[openssl]}")
printf '  openssl ecdsap256 verify %9.0f/s (runs:%s)\n' "$openssl_verify" "${runs[openssl]}"
printf '  /api/private Bearer      %9.0f req/s, server CPU %.2f us (runs:%s)\n' \
  "$(median <<<"${runs[bearer]}")" "$(median <<<"${cpu[bearer]}")" "${runs[bearer]}"
dpop=$(median <<<"${runs[dpop]}")
dpop_cpu=$(median <<<"${cpu[dpop]}")
printf '  /api/private DPoP        %9.0f req/s = %s of openssl verify (target >= 80%%; runs:%s)\n' \
  "$dpop" "$(ratio "$dpop" "$openssl_verify")" "${runs[dpop]}"
printf '  %-24s server CPU %.2f us: capacity %s of openssl verify\n' "" "$dpop_cpu" \
  "$(ratio "$(awk -v us="$dpop_cpu" 'BEGIN { printf "%.0f", 1e6 / us }')" "$openssl_verify")"
