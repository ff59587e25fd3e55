#!/usr/bin/env bash
# What counting costs a request (issue 11): wrk against `signet api` built from two trees, the
# binaries taking turns round after round on the same pinned cores, /api/public and /api/private
# (a valid RS256 token, served from the verified-token cache) on each; medians compared. The
# second binary counts every request into /metrics (signet_http_*, signet_guard_*), the first is
# the baseline.
# Usage: bench/metrics_cost.sh BASELINE_BINARY NEW_BINARY. Env: DURATION (seconds per wrk run,
# default 3), ROUNDS (default 5), CONNECTIONS (default 32).
set -euo pipefail
cd "$(dirname "$0")/.."
baseline=$1
new=$2
duration=${DURATION:-3}
rounds=${ROUNDS:-5}
connections=${CONNECTIONS:-32}
audience="https://quickstarts/api"
server_core=0
client_core=1
source bench/lib.sh  # start_work, free_port, ratio, median, measure
start_work

issuer_port=$(free_port)
/usr/bin/python3 bench/issuer.py "$issuer_port" "$work" "$audience" &
pids+=($!)
for _ in $(seq 100); do [ -f "$work/issuer_ready" ] && break; sleep 0.1; done
token=$(cat "$work/token")

declare -A port pid
for which in baseline new; do
  port[$which]=$(free_port)
  binary=$baseline
  [ "$which" = new ] && binary=$new
  taskset -c $server_core "$binary" api --issuer "http://127.0.0.1:$issuer_port/" \
    --audience "$audience" --listen "127.0.0.1:${port[$which]}" --threads 1 --no-access-log \
    2>"$work/$which.log" &
  pids+=($!)
  pid[$which]=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:${port[$which]}/healthz" >/dev/null && break; sleep 0.1; done
  test "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
    "http://127.0.0.1:${port[$which]}/api/private")" = 200
done

echo "== wrk: signet api pinned to core $server_core (1 thread), wrk to core $client_core, $rounds rounds of ${duration}s, $connections connections"
declare -A runs cpu
for round in $(seq "$rounds"); do
  for which in baseline new; do
    for endpoint in public private; do
      header=()
      [ "$endpoint" = private ] && header=(-H "Authorization: Bearer $token")
      read -r r c < <(measure "${pid[$which]}" "${header[@]}" "http://127.0.0.1:${port[$which]}/api/$endpoint")
      runs[$which/$endpoint]+=" $r"
      cpu[$which/$endpoint]+=" $c"
    done
  done
done
for endpoint in public private; do
  for which in baseline new; do
    r=$(median <<<"${runs[$which/$endpoint]}")
    c=$(median <<<"${cpu[$which/$endpoint]}")
    printf '  %-9s /api/%-8s %9.0f req/s (median; runs:%s), server CPU %.2f us/request\n' \
      "$which" "$endpoint" "$r" "${runs[$which/$endpoint]}" "$c"
  done
  rb=$(median <<<"${runs[baseline/$endpoint]}")
  rn=$(median <<<"${runs[new/$endpoint]}")
  cb=$(median <<<"${cpu[baseline/$endpoint]}")
  cn=$(median <<<"${cpu[new/$endpoint]}")
  printf '  /api/%-8s new/baseline: throughput %s, server CPU per request %s\n' "$endpoint" \
    "$(ratio "$rn" "$rb")" "$(ratio "$cn" "$cb")"
done
