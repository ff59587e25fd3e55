#!/usr/bin/env bash
# Tokens/s of `signet serve` on PostgreSQL with 1, 2 and 3 replicas, against one server on the
# SQLite file, in one run (docs/postgresql.md): client credentials (no database write), password
# (argon2id, then a few rows) and refresh token (a rotation: a serializable transaction per token).
# Every server runs with one worker and one blocking thread; the load is one wrk per replica, its
# connections split between them, and the rates summed. PostgreSQL is Debian's, started for the
# run in a temporary directory (tests/support/postgres-server.sh: fsync off, a test server).
# Usage: bench/replicas.sh [build-dir] (default: build). Env: DURATION (seconds per run, default 5),
# CONNECTIONS (default 32, as bench/serve.sh), REPLICAS (default "1 2 3"), BLOCKING_THREADS (per
# server, default 1). Last, the cost of recording a DPoP proof in each store (BM_DpopProofCheck).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
duration=${DURATION:-5}
connections=${CONNECTIONS:-32}
replica_counts=${REPLICAS:-"1 2 3"}
blocking=${BLOCKING_THREADS:-1}  # per server: password hashing and store calls
signet="$build/signet"
source bench/lib.sh  # start_work, free_port, ratio, median, json_field, form_post_script
start_work
chmod 755 "$work"  # the PostgreSQL server runs as another user when this runs as root
before_cleanup() { bash tests/support/postgres-server.sh stop "$work/pg" >/dev/null 2>&1 || true; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
bash tests/support/postgres-server.sh start "$work/pg" >/dev/null
server_url=$(cat "$work/pg/url")
psql -X -q -d "$server_url" -c "CREATE DATABASE bench"
database=${server_url%/postgres}/bench
echo "== PostgreSQL $(psql -X -A -t -d "$server_url" -c "SHOW server_version") (a test server: fsync off)"
export SIGNET_MASTER_KEY
SIGNET_MASTER_KEY=$(/usr/bin/python3 -c 'import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode())')

# --- the same tenant in both stores: an API (RS256, offline access), an m2m client granted it,
# a web client for the password and refresh grants, and a user with the permission.
make_tenant() {  # store-args...
  "$signet" apis create --identifier https://bench/api --name bench --alg RS256 \
    --scopes read:messages --allow-offline-access "$@" >/dev/null
  local m2m web user
  m2m=$("$signet" clients create --name bench-m2m --json "$@")
  web=$("$signet" clients create --name bench-web --type regular_web \
    --grant-types "password refresh_token" --json "$@")
  "$signet" grants create --client-id "$(json_field client_id <<<"$m2m")" \
    --audience https://bench/api --scopes read:messages "$@" >/dev/null
  user=$(printf 'bench password\n' | "$signet" users create --email bench@example.com \
    --password-stdin --json "$@")
  "$signet" users permissions add "$(json_field id <<<"$user")" --audience https://bench/api \
    read:messages "$@" >/dev/null
  echo "$(json_field client_id <<<"$m2m") $(json_field client_secret <<<"$m2m") $(json_field client_id <<<"$web") $(json_field client_secret <<<"$web")"
}
"$signet" migrate --store "$database" >/dev/null
read -r pg_m2m pg_m2m_secret pg_web pg_web_secret < <(make_tenant --data-dir "$work/pg-data" --store "$database")
read -r sq_m2m sq_m2m_secret sq_web sq_web_secret < <(make_tenant --data-dir "$work/sqlite-data")

start_servers() {  # count store-args...
  local count=$1
  shift
  ports=()
  for i in $(seq "$count"); do
    local port
    port=$(free_port)
    "$signet" serve --listen "127.0.0.1:$port" --issuer "http://127.0.0.1:$port/" --threads 1 \
      --blocking-threads "$blocking" --no-access-log --refresh-reuse-grace 0 "$@" \
      >"$work/events-$i.jsonl" 2>"$work/serve-$i.log" &  # events: part of the cost, not the report
    pids+=($!)
    ports+=("$port")
  done
  for port in "${ports[@]}"; do
    for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  done
}
stop_servers() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}

# Refresh: each request spends one refresh token and each response brings its successor, so a
# token is never in flight twice (no reuse, no grace). Each wrk thread takes its tokens from a file.
refresh_script() {  # file client secret tokens-file
  cat >"$1" <<LUA
local tokens = {}
function init(args)
  for line in io.lines("$4") do tokens[#tokens + 1] = line end
end
function request()
  -- wrk also builds one request on its main Lua state to check the script, where init() never
  -- ran: that one is never sent.
  local token = table.remove(tokens) or "none"
  return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded"},
    "grant_type=refresh_token&client_id=$2&client_secret=$3&refresh_token=" .. token)
end
function response(status, headers, body)
  local token = body:match('"refresh_token":"([^"]+)"')
  if token then tokens[#tokens + 1] = token end
end
LUA
}

# The password grant, as many times as there are connections, for refresh tokens to start from.
issue_refresh_tokens() {  # port web secret count file
  : >"$5"
  for _ in $(seq "$4"); do
    curl -fs "http://127.0.0.1:$1/oauth/token" -d grant_type=password -d "client_id=$2" \
      -d "client_secret=$3" -d username=bench@example.com --data-urlencode "password=bench password" \
      -d audience=https://bench/api -d "scope=offline_access read:messages" \
      | json_field refresh_token >>"$5"
  done
}

# One concurrent wrk per server, connections split; prints the summed requests/s and non-2xx.
load() {  # kind m2m secret web secret
  local kind=$1 per=$((connections / ${#ports[@]}))
  local outs=() i=0
  rm -f "$work"/wrk-"$kind"-*.out  # an earlier configuration's
  for port in "${ports[@]}"; do
    local script="$work/$kind-$port.lua"
    case $kind in
      client_credentials) form_post_script "$script" "grant_type=client_credentials&client_id=$2&client_secret=$3&audience=https%3A%2F%2Fbench%2Fapi" ;;
      password) form_post_script "$script" "grant_type=password&client_id=$4&client_secret=$5&audience=https%3A%2F%2Fbench%2Fapi&username=bench%40example.com&password=bench%20password" ;;
      refresh)
        # A few spare tokens: wrk builds a request or two it never sends.
        issue_refresh_tokens "$port" "$4" "$5" $((per + 4)) "$work/tokens-$port"
        refresh_script "$script" "$4" "$5" "$work/tokens-$port" ;;
    esac
    # The password grant is argon2id-bound: two connections per server keep its one blocking
    # thread busy without queueing for seconds.
    local c=$per
    [ "$kind" = password ] && c=2
    wrk -t1 -c"$c" -d"${duration}s" --timeout 10s -s "$script" "http://127.0.0.1:$port/oauth/token" >"$work/wrk-$kind-$i.out" 2>&1 &
    outs+=($!)
    i=$((i + 1))
  done
  wait "${outs[@]}"
  if ! grep -q '^Requests/sec:' "$work"/wrk-"$kind"-*.out; then
    echo "bench: wrk measured nothing for $kind:" >&2
    cat "$work"/wrk-"$kind"-*.out >&2
  fi
  # Each kind has its own files: this runs in a process substitution, which the caller does not
  # wait for, so a clean-up here could remove the next kind's files.
  cat "$work"/wrk-"$kind"-*.out | awk '
    /^Requests\/sec:/ { rps += $2 }
    /Non-2xx/ { bad += $NF }
    END { printf "%.1f %d\n", rps, bad }'
}

declare -A result
measure() {  # label count store-args...
  local label=$1 count=$2
  shift 2
  start_servers "$count" "$@"
  local creds=("$sq_m2m" "$sq_m2m_secret" "$sq_web" "$sq_web_secret")
  [ "$label" != sqlite ] && creds=("$pg_m2m" "$pg_m2m_secret" "$pg_web" "$pg_web_secret")
  for kind in client_credentials password refresh; do
    read -r rps bad < <(load "$kind" "${creds[@]}")
    result[$label-$kind]=$rps
    [ "$bad" -gt 0 ] && echo "  ($label $kind: $bad non-2xx responses)" >&2
  done
  stop_servers
}

measure sqlite 1 --data-dir "$work/sqlite-data"
for n in $replica_counts; do
  # The replicas share the data directory the tenant was made with: on a database it holds
  # nothing but the master key, and SIGNET_MASTER_KEY gives that anyway.
  measure "pg$n" "$n" --store "$database" --data-dir "$work/pg-data"
done

echo "== tokens/s, ${duration}s per run, $connections connections (password: 2 per server)"
printf '  %-22s %12s %12s %12s\n' store client_creds password refresh
printf '  %-22s %12.1f %12.1f %12.1f\n' "SQLite, 1 server" "${result[sqlite-client_credentials]}" \
  "${result[sqlite-password]}" "${result[sqlite-refresh]}"
for n in $replica_counts; do
  printf '  %-22s %12.1f %12.1f %12.1f   (%s / %s / %s of SQLite)\n' "PostgreSQL, $n replica(s)" \
    "${result[pg$n-client_credentials]}" "${result[pg$n-password]}" "${result[pg$n-refresh]}" \
    "$(ratio "${result[pg$n-client_credentials]}" "${result[sqlite-client_credentials]}")" \
    "$(ratio "${result[pg$n-password]}" "${result[sqlite-password]}")" \
    "$(ratio "${result[pg$n-refresh]}" "${result[sqlite-refresh]}")"
done

# Recording DPoP proofs for every replica (RFC 9449 §11.1): one ES256 proof check per call,
# without a record (serve on the SQLite file), with a row in the SQLite file (what serve does not
# do), and with a row in this PostgreSQL database (what replicas do), in process on one core.
echo "== DPoP proof check (token endpoint, ES256), in process"
SIGNET_BENCH_POSTGRES=$database "$build/signet_bench" --benchmark_filter='BM_DpopProofCheck' \
  --benchmark_format=json --benchmark_out="$work/dpop.json" --benchmark_out_format=json >/dev/null
/usr/bin/python3 - "$work/dpop.json" <<'PY'
import json, sys
rows = {b["name"].split("/iterations")[0]: b for b in json.load(open(sys.argv[1]))["benchmarks"]}
base = rows["BM_DpopProofCheck/ES256"]
for name, label in (("BM_DpopProofCheck/ES256", "no record"),
                    ("BM_DpopProofCheck/ES256_sqlite_ledger", "row in the SQLite file"),
                    ("BM_DpopProofCheckPostgres", "row in PostgreSQL")):
    b = rows[name]
    if b.get("error_occurred"):
        print(f"  {label:24} {b.get('error_message')}")
        continue
    print(f"  {label:24} {b['real_time'] / 1e3:8.1f} us wall, {b['cpu_time'] / 1e3:8.1f} us CPU"
          f" = {100 * b['items_per_second'] / base['items_per_second']:.1f}% of the rate without")
PY
