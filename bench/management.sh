#!/usr/bin/env bash
# Measures the Management API (docs/management-api.md) of `signet serve` with 10,000 applications
# in the tenant, in one run, beside the cheapest answer the same server gives (the JWKS, served
# from memory):
#   1. how fast 10,000 applications are created through POST /api/v2/clients (one client, keep-alive);
#   2. GET of the first and the last page of 50 clients (with totals), and of one client, in
#      requests/s and latency (wrk), and as a ratio of the JWKS's requests/s.
# The console's list pages make exactly these page requests, so their latency is what a page
# waits for its data. The server is pinned to core 0 (one worker, one blocking thread), wrk to
# core 1.
# Usage: bench/management.sh [build-dir] (default: build). Env: APPS (default 10000), DURATION
# (seconds per wrk run, default 3), ROUNDS (default 3), CONNECTIONS (default 8).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
apps=${APPS:-10000}
duration=${DURATION:-3}
rounds=${ROUNDS:-3}
connections=${CONNECTIONS:-8}
server_core=0
client_core=1
signet="$build/signet"
source bench/lib.sh  # start_work, free_port, ratio, median, json_field (the script runs from the repository root)
start_work
data="$work/data"

admin() { "$signet" "$@" --data-dir "$data"; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

port=$(free_port)
base="http://127.0.0.1:$port"
taskset -c $server_core "$signet" serve --listen "127.0.0.1:$port" --issuer "$base/" \
  --data-dir "$data" --threads 1 --blocking-threads 1 --no-access-log \
  >"$work/events.jsonl" 2>"$work/serve.log" &  # the event log's lines are part of the cost, kept out of the report
pids+=($!)
for _ in $(seq 100); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.1; done

# A script's way in, as in Auth0: an application with a client grant for the Management API.
audience="$base/api/v2/"
m2m=$(admin clients create --name bench-management --json)
m2m_id=$(json_field client_id <<<"$m2m")
m2m_secret=$(json_field client_secret <<<"$m2m")
admin grants create --client-id "$m2m_id" --audience "$audience" \
  --scopes "read:clients create:clients" >/dev/null
token=""
for _ in $(seq 50); do
  token=$(curl -s -d grant_type=client_credentials -d "client_id=$m2m_id" \
    --data-urlencode "client_secret=$m2m_secret" --data-urlencode "audience=$audience" \
    "$base/oauth/token" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin).get("access_token",""))')
  [ -n "$token" ] && break
  sleep 0.1  # the server loads the new grant within a second
done
[ -n "$token" ] || { echo "bench: no Management API token" >&2; exit 1; }

echo "== creating $apps applications through POST /api/v2/clients"
created=$(taskset -c $client_core /usr/bin/python3 - "$base" "$token" "$apps" <<'PY'
import sys, time, requests
base, token, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = requests.Session()
s.headers["Authorization"] = f"Bearer {token}"
start = time.monotonic()
last = None
for i in range(n):
    r = s.post(f"{base}/api/v2/clients", json={"name": f"bench app {i}"})
    if r.status_code != 201:
        sys.exit(f"bench: create {i} answered {r.status_code}: {r.text}")
    last = r.json()["client_id"]
elapsed = time.monotonic() - start
print(f"{n / elapsed:.0f} {last}")
PY
)
read -r creates_per_s last_client <<<"$created"
echo "  $creates_per_s applications created/s (one keep-alive client, each a store write and a secret hash)"

last_page=$(( (apps + 2) / 50 ))  # the tenant also holds the bench client and the console's
cat >"$work/auth.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
LUA
for path in "/.well-known/jwks.json" "/api/v2/clients?per_page=50&include_totals=true" \
            "/api/v2/clients?page=$last_page&per_page=50&include_totals=true" "/api/v2/clients/$last_client"; do
  code=$(curl -s -o "$work/check.out" -w '%{http_code}' -H "Authorization: Bearer $token" "$base$path")
  if [ "$code" != 200 ]; then echo "bench: $path answered $code: $(head -c 300 "$work/check.out")" >&2; exit 1; fi
done
items=$(curl -s -H "Authorization: Bearer $token" "$base/api/v2/clients?page=$last_page&per_page=50&include_totals=true" \
  | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["clients"]), "clients of", d["total"])')

# One wrk run: prints "requests/s p99-latency-ms".
rps() {  # path
  local out
  out=$(taskset -c $client_core wrk -t1 -c"$connections" -d"${duration}s" --latency -s "$work/auth.lua" "$base$1")
  if grep -q Non-2xx <<<"$out"; then echo "bench: non-2xx responses for $1" >&2; exit 1; fi
  awk -v out="$out" 'BEGIN {
    n = split(out, lines, "\n")
    for (i = 1; i <= n; i++) {
      if (lines[i] ~ /^Requests\/sec:/) { split(lines[i], f, " "); rps = f[2] }
      if (lines[i] ~ /^ +99%/) { split(lines[i], f, " "); p99 = f[2] }
    }
    ms = p99; if (p99 ~ /us$/) { ms = p99 / 1000 } else if (p99 ~ /ms$/) { ms = p99 + 0 } else if (p99 ~ /s$/) { ms = p99 * 1000 }
    printf "%.1f %.2f\n", rps, ms
  }'
}

declare -A runs lat
names=(jwks first last one)
declare -A paths=([jwks]="/.well-known/jwks.json" [first]="/api/v2/clients?per_page=50&include_totals=true"
                  [last]="/api/v2/clients?page=$last_page&per_page=50&include_totals=true"
                  [one]="/api/v2/clients/$last_client")
echo "== wrk: $rounds rounds x ${duration}s, $connections connections; the last page holds $items"
for _ in $(seq "$rounds"); do
  for name in "${names[@]}"; do
    read -r r l < <(rps "${paths[$name]}")
    runs[$name]+=" $r"
    lat[$name]+=" $l"
  done
done
m() { median <<<"${runs[$1]}"; }
ml() { median <<<"${lat[$1]}"; }
printf '  %-44s %9.1f req/s  p99 %6.2f ms  (runs:%s)\n' "GET /.well-known/jwks.json (baseline)" "$(m jwks)" "$(ml jwks)" "${runs[jwks]}"
for name in first last one; do
  printf '  %-44s %9.1f req/s  p99 %6.2f ms  = %s of the JWKS (runs:%s)\n' "GET ${paths[$name]%%\?*} ($name)" \
    "$(m "$name")" "$(ml "$name")" "$(ratio "$(m "$name")" "$(m jwks)")" "${runs[$name]}"
done
