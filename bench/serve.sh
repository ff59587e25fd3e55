#!/usr/bin/env bash
# Measures `signet serve` beside its baselines in one run and prints the ratios issue 3 targets:
#   1. client_credentials tokens/s (wrk) vs `openssl speed` signatures/s, RS256 and ES256;
#   2. password-grant tokens/s vs raw argon2id verifications/s with the same parameters.
# The server is pinned to core 0 (one worker, one blocking thread), wrk and the baselines' client
# side to core 1; the baselines themselves run on core 0 like the server.
# Usage: bench/serve.sh [build-dir] (default: build). Env: DURATION (seconds per wrk run,
# default 5), ROUNDS (alternating rounds, default 3), CONNECTIONS (default 32, as bench/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
duration=${DURATION:-5}
rounds=${ROUNDS:-3}
connections=${CONNECTIONS:-32}
server_core=0
client_core=1
signet="$build/signet"
source bench/lib.sh  # start_work, free_port, ratio, median, json_field (the script runs from the repository root)
start_work
data="$work/data"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "== $(openssl version)"

# --- the tenant: one API per algorithm, an m2m client granted both, a user and a password client
admin() { "$signet" "$@" --data-dir "$data"; }
admin apis create --identifier https://bench/rs256 --name "bench RS256" --alg RS256 --scopes read:messages >/dev/null
admin apis create --identifier https://bench/es256 --name "bench ES256" --alg ES256 --scopes read:messages >/dev/null
m2m=$(admin clients create --name bench-m2m --json)
m2m_id=$(json_field client_id <<<"$m2m")
m2m_secret=$(json_field client_secret <<<"$m2m")
admin grants create --client-id "$m2m_id" --audience https://bench/rs256 --scopes read:messages >/dev/null
admin grants create --client-id "$m2m_id" --audience https://bench/es256 --scopes read:messages >/dev/null
web=$(admin clients create --name bench-web --type regular_web --grant-types password --json)
web_id=$(json_field client_id <<<"$web")
web_secret=$(json_field client_secret <<<"$web")
password="bench password $(date +%s)"
user=$(printf '%s\n' "$password" | admin users create --email bench@example.com --password-stdin --json)
admin users permissions add "$(json_field id <<<"$user")" --audience https://bench/rs256 read:messages >/dev/null

port=$(free_port)
taskset -c $server_core "$signet" serve --listen "127.0.0.1:$port" --issuer "http://127.0.0.1:$port/" \
  --data-dir "$data" --threads 1 --blocking-threads 1 --no-access-log \
  >"$work/events.jsonl" 2>"$work/serve.log" &  # the event log's lines are part of the cost, kept out of the report
server_pid=$!
pids+=("$server_pid")
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$port"

# One wrk script per request body: wrk repeats the same POST.
post_script() {  # name body
  form_post_script "$work/$1.lua" "$2"
}
post_script rs256 "grant_type=client_credentials&client_id=$m2m_id&client_secret=$m2m_secret&audience=https%3A%2F%2Fbench%2Frs256"
post_script es256 "grant_type=client_credentials&client_id=$m2m_id&client_secret=$m2m_secret&audience=https%3A%2F%2Fbench%2Fes256"
enc_password=$(/usr/bin/python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$password")
post_script password "grant_type=password&client_id=$web_id&client_secret=$web_secret&audience=https%3A%2F%2Fbench%2Frs256&username=bench%40example.com&password=$enc_password"
# Every body must really succeed, or the numbers below would measure refusals.
for name in rs256 es256 password; do
  body=$(sed -n 's/^wrk.body = "\(.*\)"$/\1/p' "$work/$name.lua")
  code=$(curl -s -o "$work/$name.out" -w '%{http_code}' -H 'Content-Type: application/x-www-form-urlencoded' --data "$body" "$base/oauth/token")
  if [ "$code" != 200 ]; then echo "bench: $name request answered $code: $(cat "$work/$name.out")" >&2; exit 1; fi
done

# One wrk run of script $1 with $2 connections: "tokens/s server-cpu-us-per-token" (measure).
rps() { connections=$2 measure "$server_pid" -s "$work/$1.lua" "$base/oauth/token"; }

echo "== rounds: $rounds x ${duration}s; openssl speed and argon2id alternate with wrk on core $server_core"
declare -A runs cpu
record() {  # name script connections
  local r c
  read -r r c < <(rps "$2" "$3")
  runs[$1]+=" $r"
  cpu[$1]+=" $c"
}
for round in $(seq "$rounds"); do
  speed=$(taskset -c $server_core openssl speed -mr -seconds 2 rsa2048 ecdsap256 2>/dev/null | grep '^+F')
  runs[openssl_rsa]+=" $(awk -F: '$1=="+F2" {print $4}' <<<"$speed")"
  runs[openssl_ec]+=" $(awk -F: '$1=="+F4" {print $4}' <<<"$speed")"
  record rs256 rs256 "$connections"
  record es256 es256 "$connections"
  argon=$(taskset -c $server_core "$build/signet_bench" --benchmark_filter=BM_Argon2idVerify \
    --benchmark_min_time=2 --benchmark_format=json 2>/dev/null \
    | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["benchmarks"][0]["items_per_second"])')
  runs[argon]+=" $argon"
  # Two connections keep the one blocking thread busy without queueing requests for seconds.
  record password password 2
done

m() { median <<<"${runs[$1]}"; }
mc() { median <<<"${cpu[$1]}"; }
# Capacity from CPU time: tokens one core could issue = 1e6 / (server CPU us per token).
capacity() { awk -v us="$(mc "$1")" 'BEGIN { printf "%.0f", (us > 0 ? 1e6 / us : 0) }'; }
report() {  # name label baseline-name baseline-label target
  printf '  %-24s %9.1f tokens/s = %s of %s (target >= %s; runs:%s)\n' "$2" "$(m "$1")" \
    "$(ratio "$(m "$1")" "$(m "$3")")" "$4" "$5" "${runs[$1]}"
  printf '  %-24s server CPU %.1f us/token (runs:%s): capacity %s/s = %s of %s\n' "" "$(mc "$1")" \
    "${cpu[$1]}" "$(capacity "$1")" "$(ratio "$(capacity "$1")" "$(m "$3")")" "$4"
}
printf '  openssl rsa2048 sign     %9.0f/s (runs:%s)\n' "$(m openssl_rsa)" "${runs[openssl_rsa]}"
report rs256 "client_credentials RS256" openssl_rsa "openssl rsa2048 sign" 85%
printf '  openssl ecdsap256 sign   %9.0f/s (runs:%s)\n' "$(m openssl_ec)" "${runs[openssl_ec]}"
report es256 "client_credentials ES256" openssl_ec "openssl ecdsap256 sign" 40%
printf '  argon2id verify (m=19456 KiB, t=2, p=1) %7.1f/s (runs:%s)\n' "$(m argon)" "${runs[argon]}"
report password "password grant" argon "raw argon2id" 90%
rss=$(ps -o rss= -p "$server_pid" | tr -d ' ')
echo "  signet serve resident memory after the runs: $((rss / 1024)) MiB"
