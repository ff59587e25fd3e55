#!/usr/bin/env bash
# The verified-token cache against no cache when clients present many distinct tokens (issue 12):
# wrk cycles through N distinct valid RS256 tokens on /api/private-scoped, against one
# `signet api` with its cache (10,000 entries) and one with --no-token-cache, taking turns round
# after round on the same pinned cores; medians compared, with each server's peak RSS.
# N = 14,000 (more than the cache holds) and N = 1,000 (all fit).
# Usage: bench/cache_thrash.sh [BINARY]. Env: DURATION (seconds per wrk run, default 3),
# ROUNDS (default 5), CONNECTIONS (default 32), SIZES (default "14000 1000").
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-build/signet}
duration=${DURATION:-3}
rounds=${ROUNDS:-5}
connections=${CONNECTIONS:-32}
sizes=${SIZES:-"14000 1000"}
audience="https://quickstarts/api"
server_core=0
client_core=1
source bench/lib.sh  # start_work, free_port, ratio, median, measure
start_work

largest=0
for n in $sizes; do [ "$n" -gt "$largest" ] && largest=$n; done
issuer_port=$(free_port)
echo "minting $largest tokens with PyJWT..."
/usr/bin/python3 bench/issuer.py "$issuer_port" "$work" "$audience" "$largest" &
pids+=($!)
for _ in $(seq 1200); do [ -f "$work/issuer_ready" ] && break; sleep 0.1; done

# A wrk script that sends the tokens of file $2 in turn, written to $1.
cycle_script() {
  cat >"$1" <<LUA
local tokens = {}
for line in io.lines("$2") do tokens[#tokens + 1] = "Bearer " .. line end
local i = 0
request = function()
  i = i % #tokens + 1
  return wrk.format("GET", nil, { ["Authorization"] = tokens[i] })
end
LUA
}

declare -A port pid
for which in cache nocache; do
  port[$which]=$(free_port)
  flags=()
  [ "$which" = nocache ] && flags=(--no-token-cache)
  taskset -c $server_core "$binary" api --issuer "http://127.0.0.1:$issuer_port/" \
    --audience "$audience" --listen "127.0.0.1:${port[$which]}" --threads 1 --no-access-log \
    "${flags[@]}" 2>"$work/$which.log" &
  pids+=($!)
  pid[$which]=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:${port[$which]}/health/ready" >/dev/null && break; sleep 0.1; done
done

echo "== wrk: signet api pinned to core $server_core (1 thread), wrk to core $client_core, $rounds rounds of ${duration}s, $connections connections"
for n in $sizes; do
  head -n "$n" "$work/tokens_many" >"$work/tokens_$n"
  cycle_script "$work/cycle_$n.lua" "$work/tokens_$n"
  declare -A runs=()
  for _ in $(seq "$rounds"); do
    for which in cache nocache; do
      read -r r _ < <(measure "${pid[$which]}" -s "$work/cycle_$n.lua" \
        "http://127.0.0.1:${port[$which]}/api/private-scoped")
      runs[$which]+=" $r"
    done
  done
  for which in cache nocache; do
    printf '  %6s tokens  %-8s %9.0f req/s (median; runs:%s)\n' "$n" "$which" \
      "$(median <<<"${runs[$which]}")" "${runs[$which]}"
  done
  printf '  %6s tokens  cache/no-cache: %s\n' "$n" \
    "$(ratio "$(median <<<"${runs[cache]}")" "$(median <<<"${runs[nocache]}")")"
  unset runs
done
for which in cache nocache; do
  printf '  peak RSS %-8s %s\n' "$which" "$(awk '/^VmHWM/ { print $2, $3 }' "/proc/${pid[$which]}/status")"
done
