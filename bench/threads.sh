#!/usr/bin/env bash
# Does a second worker thread double what a server can do (issue 12: --threads 2 on two cores
# >= 1.8 x one thread on one core)? The machine has two cores and the load generator needs one,
# so throughput cannot show it: each server's own CPU time per request (/proc) is measured
# instead, taking turns round after round, in three setups:
#   apart:  --threads 1 pinned to core 0, wrk on core 1 (as bench/run.sh);
#   shared: the same server, wrk on core 0 with it;
#   two:    --threads 2 on cores 0 and 1, wrk on both too.
# Two cores' capacity against one core's is 2 x (us per request, one thread) / (us per request,
# two threads), printed against both one-thread setups; "shared" pays for wrk beside it on its
# core as "two" does, so it is the like-for-like one.
# Loads: `signet api` /api/private with a cached RS256 token, and `signet serve` issuing ES256
# client-credentials tokens.
# Usage: bench/threads.sh [build-dir] (default: build). Env: DURATION (default 3), ROUNDS
# (default 5), CONNECTIONS (default 32).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
duration=${DURATION:-3}
rounds=${ROUNDS:-5}
connections=${CONNECTIONS:-32}
signet="$build/signet"
audience="https://quickstarts/api"
source bench/lib.sh  # start_work, free_port, ratio, median, json_field, form_post_script, measure
start_work

wait_for() { for _ in $(seq 100); do curl -fs "$1" >/dev/null && return; sleep 0.1; done; echo "bench: $1 never answered" >&2; exit 1; }

# --- signet api, one and two workers
issuer_port=$(free_port)
/usr/bin/python3 bench/issuer.py "$issuer_port" "$work" "$audience" &
pids+=($!)
for _ in $(seq 100); do [ -f "$work/issuer_ready" ] && break; sleep 0.1; done
declare -A api_port api_pid
for threads in 1 2; do
  cores=$([ "$threads" = 1 ] && echo 0 || echo 0,1)
  api_port[$threads]=$(free_port)
  taskset -c "$cores" "$signet" api --issuer "http://127.0.0.1:$issuer_port/" --audience "$audience" \
    --listen "127.0.0.1:${api_port[$threads]}" --threads "$threads" --no-access-log 2>"$work/api$threads.log" &
  api_pid[$threads]=$!
  pids+=($!)
  wait_for "http://127.0.0.1:${api_port[$threads]}/api/public"
done
token=$(cat "$work/token")

# --- signet serve, one and two workers: an ES256 API and an m2m client granted it
admin() { "$signet" "$@" --data-dir "$work/data"; }
admin apis create --identifier https://bench/es256 --name "bench ES256" --alg ES256 --scopes read:messages >/dev/null
m2m=$(admin clients create --name bench-m2m --json)
admin grants create --client-id "$(json_field client_id <<<"$m2m")" --audience https://bench/es256 --scopes read:messages >/dev/null
form_post_script "$work/es256.lua" "grant_type=client_credentials&client_id=$(json_field client_id <<<"$m2m")&client_secret=$(json_field client_secret <<<"$m2m")&audience=https%3A%2F%2Fbench%2Fes256"
declare -A serve_port serve_pid
for threads in 1 2; do
  cores=$([ "$threads" = 1 ] && echo 0 || echo 0,1)
  serve_port[$threads]=$(free_port)
  # Each server its own copy of the tenant: two servers on one SQLite file would contend for it.
  cp -r "$work/data" "$work/data$threads"
  taskset -c "$cores" "$signet" serve --listen "127.0.0.1:${serve_port[$threads]}" \
    --issuer "http://127.0.0.1:${serve_port[$threads]}/" --data-dir "$work/data$threads" \
    --threads "$threads" --blocking-threads "$threads" --no-access-log \
    >"$work/events$threads.jsonl" 2>"$work/serve$threads.log" &
  serve_pid[$threads]=$!
  pids+=($!)
  wait_for "http://127.0.0.1:${serve_port[$threads]}/health/ready"
done

echo "== $rounds rounds of ${duration}s, $connections connections: apart, shared, two (see the top of this script)"
declare -A runs cpu
for round in $(seq "$rounds"); do
  for setup in apart shared two; do
    case $setup in
      apart) threads=1 client_core=1 ;;
      shared) threads=1 client_core=0 ;;
      two) threads=2 client_core=0,1 ;;
    esac
    read -r r c < <(measure "${api_pid[$threads]}" -H "Authorization: Bearer $token" \
      "http://127.0.0.1:${api_port[$threads]}/api/private")
    runs[api_$setup]+=" $r"; cpu[api_$setup]+=" $c"
    read -r r c < <(measure "${serve_pid[$threads]}" -s "$work/es256.lua" \
      "http://127.0.0.1:${serve_port[$threads]}/oauth/token")
    runs[serve_$setup]+=" $r"; cpu[serve_$setup]+=" $c"
  done
done
for name in api serve; do
  label=$([ "$name" = api ] && echo "signet api /api/private" || echo "signet serve ES256 tokens")
  two=$(median <<<"${cpu[${name}_two]}")
  for setup in apart shared two; do
    c=$(median <<<"${cpu[${name}_$setup]}")
    scaling=""
    if [ "$setup" != two ]; then
      scaling=": two threads = $(ratio "$(awk -v a="$c" 'BEGIN { print 2 * a }')" "$two") of this (target >= 180%)"
    fi
    printf '  %-26s %-6s %8.0f/s, %6.2f us CPU each (runs:%s)%s\n' "$label" "$setup" \
      "$(median <<<"${runs[${name}_$setup]}")" "$c" "${cpu[${name}_$setup]}" "$scaling"
    label=""
  done
done
