#!/usr/bin/env bash
# Measures signet beside its baselines in one run and prints the ratios the issues set targets for:
#   1. token verification (Google Benchmark, one core) vs `openssl speed` on the same core, and
#      token issuing in process (client credentials, the authorization-code exchange) vs openssl's
#      signing rate;
#   2. wrk against `signet api` (server pinned to core 0, wrk to core 1): /api/private and
#      /api/private-scoped with a valid RS256 token vs /api/public, and /api/public vs nginx
#      (one process, same core) returning the same body as a static 200.
# Usage: bench/run.sh [build-dir] (default: build). Env: DURATION (seconds per wrk run, default 3),
# ROUNDS (alternating rounds of the three endpoints, default 5), SIGNET_API_FLAGS (extra flags for
# `signet api`; with --no-token-cache it also prints what a verification costs beyond /api/public),
# CONNECTIONS (default 32), BENCH_MIN_TIME (Google Benchmark seconds per case, default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
duration=${DURATION:-3}
rounds=${ROUNDS:-5}
connections=${CONNECTIONS:-32}
min_time=${BENCH_MIN_TIME:-1}
audience="https://quickstarts/api"
server_core=0
client_core=1
source bench/lib.sh  # start_work, free_port, ratio, median, json_field, measure (the script runs from the repository root)
start_work

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "== $(openssl version)"

echo "== openssl speed (core $server_core)"
taskset -c $server_core openssl speed -mr -seconds 3 rsa2048 ecdsap256 ed25519 2>/dev/null \
  | grep '^+F' > "$work/speed"
# -mr lines: +F2:n:bits:sign/s:verify/s (RSA), +F4:n:bits:sign/s:verify/s (ECDSA),
# +F6:n:bits:name:sign/s:verify/s (EdDSA)
rsa_sign=$(awk -F: '$1=="+F2" {print $4}' "$work/speed")
rsa_verify=$(awk -F: '$1=="+F2" {print $5}' "$work/speed")
ec_sign=$(awk -F: '$1=="+F4" {print $4}' "$work/speed")
ec_verify=$(awk -F: '$1=="+F4" {print $5}' "$work/speed")
ed_sign=$(awk -F: '$1=="+F6" {print $5}' "$work/speed")
ed_verify=$(awk -F: '$1=="+F6" {print $6}' "$work/speed")
printf '  rsa2048   sign %10.0f/s  verify %10.0f/s\n' "$rsa_sign" "$rsa_verify"
printf '  ecdsap256 sign %10.0f/s  verify %10.0f/s\n' "$ec_sign" "$ec_verify"
printf '  ed25519   sign %10.0f/s  verify %10.0f/s\n' "$ed_sign" "$ed_verify"

echo "== signet_bench (core $server_core)"
taskset -c $server_core "$build/signet_bench" --benchmark_min_time="$min_time" \
  --benchmark_format=json --benchmark_out="$work/bench.json" --benchmark_out_format=json >/dev/null
per_sec() {  # items per second of one benchmark
  /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
print([b for b in d["benchmarks"] if b["name"]==sys.argv[2]][0]["items_per_second"])' "$work/bench.json" "$1"
}
for row in "RS256:$rsa_verify" "PS256:$rsa_verify" "ES256:$ec_verify" "EdDSA:$ed_verify"; do
  alg=${row%%:*}; raw=${row#*:}
  nocache=$(per_sec "BM_GuardVerify/${alg}_nocache")
  cache=$(per_sec "BM_GuardVerify/${alg}_cache")
  printf '  %-6s guard verify, cache off %9.0f/s = %s of openssl verify;  cache on %10.0f/s\n' \
    "$alg" "$nocache" "$(ratio "$nocache" "$raw")" "$cache"
done
for row in "ES256:$ec_verify" "EdDSA:$ed_verify"; do
  alg=${row%%:*}; raw=${row#*:}
  calls=$(per_sec "BM_AuthorizeDpop/${alg}/iterations:20000")
  printf '  %-6s DPoP call (cached token, fresh proof) %9.0f/s = %s of openssl verify\n' \
    "$alg" "$calls" "$(ratio "$calls" "$raw")"
done
for row in "RS256:$rsa_sign" "ES256:$ec_sign" "EdDSA:$ed_sign"; do
  alg=${row%%:*}; raw=${row#*:}
  signs=$(per_sec "BM_Sign/${alg}")
  printf '  %-6s sign_compact %9.0f/s = %s of openssl sign\n' "$alg" "$signs" "$(ratio "$signs" "$raw")"
done
# Issuing in process (bench/token_bench.cc): an exchange with openid signs twice (access and ID
# token), so its signature rate is what compares with openssl's.
cc=$(per_sec "BM_ClientCredentials/RS256")
printf '  %-40s %7.0f tokens/s = %s of openssl rsa2048 sign\n' \
  "client_credentials RS256" "$cc" "$(ratio "$cc" "$rsa_sign")"
for row in "RS256:1" "RS256_openid:2" "RS256_openid_offline:2"; do
  variant=${row%%:*}; signatures=${row#*:}
  exchanges=$(per_sec "BM_CodeExchange/$variant")
  sigs=$(awk -v a="$exchanges" -v n="$signatures" 'BEGIN { print a * n }')
  printf '  %-40s %7.0f tokens/s (%s signature(s) each) = %s of openssl rsa2048 sign\n' \
    "authorization_code $variant" "$exchanges" "$signatures" "$(ratio "$sigs" "$rsa_sign")"
done

echo "== wrk: signet api pinned to core $server_core (1 thread), wrk to core $client_core, $rounds rounds of ${duration}s, $connections connections"
issuer_port=$(free_port)
api_port=$(free_port)
/usr/bin/python3 bench/issuer.py "$issuer_port" "$work" "$audience" &
pids+=($!)
for _ in $(seq 100); do [ -f "$work/issuer_ready" ] && break; sleep 0.1; done
taskset -c $server_core "$build/signet" api --issuer "http://127.0.0.1:$issuer_port/" \
  --audience "$audience" --listen "127.0.0.1:$api_port" --threads 1 --no-access-log \
  ${SIGNET_API_FLAGS:-} 2>"$work/api.log" &
pids+=($!)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$api_port/healthz" >/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$api_port"
token=$(cat "$work/token")
token_scoped=$(cat "$work/token_scoped")
# Both tokens must really be accepted, or the numbers below would measure refusals.
test "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$base/api/private")" = 200
test "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token_scoped" "$base/api/private-scoped")" = 200
server_pid=${pids[1]}
# nginx, one process on the server's core, answers the same body as /api/public from its config:
# the static response an HTTP server cannot beat by much.
nginx_port=$(free_port)
public_body=$(curl -s "$base/api/public")
nginx_body=${public_body//\\/\\\\}
nginx_body=${nginx_body//\"/\\\"}  # a double-quoted nginx string: the body holds both quotes
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<NGINX
daemon off;
master_process off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 100000000;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 127.0.0.1:$nginx_port;
    location / { default_type application/json; return 200 "$nginx_body"; }
  }
}
NGINX
taskset -c $server_core nginx -p "$work/nginx" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" &
nginx_pid=$!
pids+=("$nginx_pid")
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$nginx_port/" >/dev/null && break; sleep 0.1; done
test "$(curl -s "http://127.0.0.1:$nginx_port/")" = "$public_body"
# The machine is shared and noisy: the three endpoints take turns, round after round, and the
# medians are compared, so a burst of someone else's load cannot favour one endpoint.
declare -A runs cpu
for round in $(seq "$rounds"); do
  for endpoint in nginx public private private-scoped; do
    pid=$server_pid url="$base/api/$endpoint"
    case $endpoint in
      nginx) header=() pid=$nginx_pid url="http://127.0.0.1:$nginx_port/" ;;
      public) header=() ;;
      private) header=(-H "Authorization: Bearer $token") ;;
      private-scoped) header=(-H "Authorization: Bearer $token_scoped") ;;
    esac
    read -r r c < <(measure "$pid" "${header[@]}" "$url")
    runs[$endpoint]+=" $r"
    cpu[$endpoint]+=" $c"
  done
done
nginx=$(median <<<"${runs[nginx]}")
nginx_cpu=$(median <<<"${cpu[nginx]}")
printf '  %-20s %9.0f req/s (median; runs:%s), server CPU %.2f us/request\n' "nginx static 200" "$nginx" "${runs[nginx]}" "$nginx_cpu"
public=$(median <<<"${runs[public]}")
public_cpu=$(median <<<"${cpu[public]}")
printf '  %-20s %9.0f req/s = %s of nginx (runs:%s), server CPU %.2f us/request: capacity %s of nginx\n' \
  /api/public "$public" "$(ratio "$public" "$nginx")" "${runs[public]}" "$public_cpu" "$(ratio "$nginx_cpu" "$public_cpu")"
for endpoint in private private-scoped; do
  r=$(median <<<"${runs[$endpoint]}")
  c=$(median <<<"${cpu[$endpoint]}")
  printf '  %-20s %9.0f req/s = %s of /api/public (runs:%s), server CPU %.2f us/request: capacity %s of /api/public\n' \
    "/api/$endpoint" "$r" "$(ratio "$r" "$public")" "${runs[$endpoint]}" "$c" "$(ratio "$public_cpu" "$c")"
done
if [[ " ${SIGNET_API_FLAGS:-} " == *" --no-token-cache "* ]]; then
  # Issue 12: what a verification costs beyond /api/public, against one openssl RSA-2048 verify.
  beyond=$(awk -v p="$(median <<<"${cpu[private]}")" -v q="$public_cpu" 'BEGIN { print p - q }')
  printf '  /api/private beyond /api/public without the cache: %.2f us = %.2f x one openssl rsa2048 verify (%.2f us)\n' \
    "$beyond" "$(awk -v b="$beyond" -v v="$rsa_verify" 'BEGIN { print b * v / 1e6 }')" \
    "$(awk -v v="$rsa_verify" 'BEGIN { print 1e6 / v }')"
fi
rss=$(ps -o rss= -p "${pids[1]}" | tr -d ' ')
echo "  signet api resident memory after the runs: $((rss / 1024)) MiB"
