#!/usr/bin/env bash
# `make run`: the quickstart on this machine. Creates a demo tenant on first run (kept in the data
# directory and reused afterwards), starts the authorization server (`signet serve`, port 4000),
# the messages API (`signet api`, port 3010) against it and the sample single-page app
# (samples/spa, port 3000), and prints the quickstart's calls with the real client ids, secrets
# and password filled in. Ctrl-C stops all three and exits 0.
#
#   make run                      # http://localhost:4000/, http://localhost:3010, and the SPA
#                                 # on http://localhost:3000/
#   make run HTTPS=1              # https://localhost:4443/ and https://localhost:3010, local CA;
#                                 # the SPA stays on http://localhost:3000/ (a secure context)
#   make run ISSUER=https://YOUR_DOMAIN/ AUDIENCE=https://quickstarts/api
#                                 # only the messages API, in front of another issuer (Auth0...)
#
# Environment: DATA_DIR (default ./signet-data), AUTH_PORT (4000, or 4443 with HTTPS=1),
# API_PORT (3010), SPA_PORT (3000: the sample single-page app), METRICS_PORT (9464: the
# authorization server's /metrics, on loopback only).
# SIGNET_DATA_DIR is not read: it names your own tenant (README), which the demo
# must not fill with its applications.
#
# Before starting anything it checks that its ports are free (naming what holds them) and that no
# other `make run` uses the data directory; it prints its banner only once the servers it started
# answer on their ports.
set -euo pipefail
bin=${1:-build/signet}
data=${DATA_DIR:-./signet-data}
# The admin commands below get --data-dir, but SIGNET_DATA_DIR would still win over it.
unset SIGNET_DATA_DIR
https=${HTTPS:-0}
audience=${AUDIENCE:-https://quickstarts/api}
api_port=${API_PORT:-3010}
spa_port=${SPA_PORT:-3000}
metrics_port=${METRICS_PORT:-9464}
py=/usr/bin/python3
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# What listens on TCP port $1, on any address ("python3 (pid 1234)"), or nothing when the port is
# free. Any address counts: a server on [::1] or 0.0.0.0 would answer the printed localhost URLs.
port_holder() {
  local line
  if ! command -v ss >/dev/null 2>&1; then  # iproute2 missing: only whether something answers
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
      echo "another process (install iproute2 to see which)"
    fi
    return 0
  fi
  line=$(ss -Hltnp "sport = :$1" 2>/dev/null | head -n 1)
  [ -n "$line" ] || return 0
  if [[ $line =~ users:\(\(\"([^\"]*)\",pid=([0-9]+) ]]; then
    echo "${BASH_REMATCH[1]} (pid ${BASH_REMATCH[2]})"
  else
    echo "a process of another user (sudo ss -ltnp 'sport = :$1' names it)"
  fi
}

# Stops with one line naming the holder when port $1 is taken; $2 is what needs it, $3 the variable
# that moves it.
require_free_port() {
  local holder
  holder=$(port_holder "$1")
  if [ -n "$holder" ]; then
    echo "run-demo: port $1 (for $2) is in use by $holder: stop it, or choose another port:" \
      "$3=$(($1 + 1)) make run" >&2
    exit 1
  fi
}

# Whether process $2 itself listens on port $1 (without ss: whether it is alive), so the banner is
# never printed for a server someone else started on the same port.
listens() {
  if command -v ss >/dev/null 2>&1; then
    ss -Hltnp "sport = :$1" 2>/dev/null | grep -q "pid=$2,"
  else
    kill -0 "$2" 2>/dev/null
  fi
}

# --- on a terminal, the demo is a job of its own ---------------------------------------------------
# Ctrl-C on a terminal signals its whole foreground process group, make included, and make then
# dies of SIGINT whatever its recipe does (status 130, and "make: *** [Makefile: run] Error 130"
# when the recipe says 130 too). So on a terminal this script runs itself again as a job of its
# own (set -m): Ctrl-C reaches only that job, which stops the servers and exits 0, and make sees
# that 0. RUN_DEMO_PARENT tells the job who started it.
in_foreground_of_a_terminal() {
  local pgid tpgid
  read -r pgid tpgid < <(ps -o pgid=,tpgid= -p $$ 2>/dev/null) || return 1
  [ -t 0 ] && [ -n "$tpgid" ] && [ "$tpgid" = "$pgid" ]
}
if [ -z "${RUN_DEMO_PARENT:-}" ] && in_foreground_of_a_terminal; then
  set -m
  status=0
  RUN_DEMO_PARENT=$$ bash "${BASH_SOURCE[0]}" "$@" || status=$?
  exit "$status"
fi
parent=${RUN_DEMO_PARENT:-}
unset RUN_DEMO_PARENT

# --- another issuer: only the messages API ------------------------------------------------------
if [ -n "${ISSUER:-}" ]; then
  require_free_port "$api_port" "signet api" API_PORT
  cat <<MSG

  signet messages API  ->  http://127.0.0.1:${api_port}
  issuer               ->  ${ISSUER}   (keys from its /.well-known/openid-configuration)
  audience             ->  ${audience}

  Try it (from another terminal):
    curl -i http://localhost:${api_port}/api/public
    curl -i http://localhost:${api_port}/api/private                    # 401: no token
    curl -i http://localhost:${api_port}/api/private-scoped \\
         -H "Authorization: Bearer \$ACCESS_TOKEN"                 # 200 with read:messages, else 403

  Every flag: ${bin} api --help.   Ctrl-C stops.

MSG
  exec "$bin" api --issuer "$ISSUER" --audience "$audience" --listen "127.0.0.1:${api_port}"
fi

if [ "$https" = 1 ]; then
  scheme=https
  auth_port=${AUTH_PORT:-4443}
else
  scheme=http
  auth_port=${AUTH_PORT:-4000}
fi
issuer="${scheme}://localhost:${auth_port}/"
api_url="${scheme}://localhost:${api_port}"
# The sample SPA stays on plain HTTP in both modes: http://localhost is a secure context, so its
# WebCrypto (PKCE) works, and it is the messages API's default CORS origin.
spa_origin="http://localhost:${spa_port}"
spa_url="${spa_origin}/"
admin() { "$bin" "$@" --data-dir "$data"; }
field() { "$py" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# --- one demo per data directory, on free ports ---------------------------------------------------
if [ ! -d "$data" ]; then
  mkdir -p "$data"
  chmod 700 "$data"
fi
# Held (flock, released when this script ends) while the demo runs; the servers do not inherit it.
lock="$data/make-run.lock"
exec 9>>"$lock"
if ! flock -n 9; then
  echo "run-demo: make run is already running on $data (pid $(cat "$lock" 2>/dev/null)): use" \
    "it, stop it with Ctrl-C, or start another with DATA_DIR=./other AUTH_PORT=$((auth_port + 1))" \
    "API_PORT=$((api_port + 1)) SPA_PORT=$((spa_port + 1)) make run" >&2
  exit 1
fi
echo $$ >"$lock"
# From here on Ctrl-C (or SIGTERM) stops whatever has started and ends quietly with status 0,
# also half-way through creating the tenant: a later run picks up what exists.
pids=()
stop() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap 'stop; exit 0' INT TERM HUP
trap stop EXIT

require_free_port "$auth_port" "signet serve" AUTH_PORT
require_free_port "$api_port" "signet api" API_PORT
require_free_port "$metrics_port" "the metrics of signet serve" METRICS_PORT
require_free_port "$spa_port" "the sample single-page app" SPA_PORT

# --- the demo tenant, created once ----------------------------------------------------------------
# The client_id of the demo's application named $1, or nothing.
client_named() {
  admin clients list --json | "$py" -c 'import json, sys
print(next((c["client_id"] for c in json.load(sys.stdin) if c["name"] == sys.argv[1]), ""))' "$1"
}
# The demo's application named $1 (further arguments: how to create it), printed as
# `clients create --json` prints it. One that exists already (demo.json lost, or a first run
# stopped half-way) gets a new secret instead of a twin, so retries never pile up applications.
demo_client() {
  local name=$1 id
  shift
  id=$(client_named "$name")
  if [ -n "$id" ]; then
    admin clients rotate-secret "$id" --json
  else
    admin clients create --name "$name" "$@" --json
  fi
}
# A client grant of $2 on the demo API for application $1, unless it has one.
demo_grant() {
  local granted
  granted=$(admin grants list --client-id "$1" --json | "$py" -c 'import json, sys
print(any(g["audience"] == sys.argv[1] for g in json.load(sys.stdin)))' "$audience")
  if [ "$granted" != True ]; then
    admin grants create --client-id "$1" --audience "$audience" --scopes "$2" >/dev/null
  fi
}

demo="$data/demo.json"
if [ ! -f "$demo" ]; then
  echo "run-demo: creating the demo tenant in $data" >&2
  if ! admin apis show "$audience" >/dev/null 2>&1; then
    admin apis create --identifier "$audience" --name "Quickstart API" \
      --scopes "read:messages write:messages" --allow-offline-access >/dev/null
    admin apis permissions add "$audience" read:messages --description "Read messages" >/dev/null
    admin apis permissions add "$audience" write:messages --description "Write messages" >/dev/null
  fi
  m2m=$(demo_client "Quickstart M2M" --type m2m)
  demo_grant "$(field client_id <<<"$m2m")" read:messages
  # Granted only write:messages: the quickstart's 403 step.
  other=$(demo_client "Quickstart M2M without read:messages" --type m2m)
  demo_grant "$(field client_id <<<"$other")" write:messages
  web=$(demo_client "Quickstart Web App" --type regular_web --grant-types password,refresh_token)
  password=$("$py" -c 'import secrets; print(secrets.token_urlsafe(12))')
  if admin users show user@example.com >/dev/null 2>&1; then
    printf '%s\n' "$password" | admin users set-password user@example.com --password-stdin >/dev/null
  else
    printf '%s\n' "$password" | admin users create --email user@example.com --password-stdin >/dev/null
  fi
  admin users permissions add user@example.com --audience "$audience" read:messages >/dev/null
  # The secrets are shown once by the CLI; the demo keeps them (owner-only, beside master.key) so
  # that every later `make run` can print ready-to-paste calls.
  (
    umask 077
    "$py" - "$demo" "$audience" "$m2m" "$other" "$web" "$password" <<'PY'
import json, sys
path, audience, m2m, other, web, password = sys.argv[1:]
pick = lambda j: {k: json.loads(j)[k] for k in ("client_id", "client_secret")}
json.dump({"audience": audience, "m2m": pick(m2m), "m2m_without_read": pick(other),
           "web": pick(web), "user": {"email": "user@example.com", "password": password}},
          open(path, "w"), indent=2)
PY
  )
fi
value() { "$py" -c 'import json, sys; d = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d = d[k]
print(d)' "$demo" "$1"; }
# --- the sample SPA's application ------------------------------------------------------------------
# A public client (no secret: a page cannot keep one) that signs users in through /authorize with
# PKCE. Made here rather than with the tenant above so that a tenant from an older make run gets
# it too, and its URLs follow SPA_PORT. The quickstart's user already holds read:messages on the
# API (above), and user tokens carry the user's permissions: no client grant is needed.
spa_name="Quickstart SPA"
spa_urls=(--callbacks "$spa_url" --logout-urls "$spa_url" --web-origins "$spa_origin")
spa_id=$(client_named "$spa_name")
if [ -z "$spa_id" ]; then
  spa_id=$(admin clients create --name "$spa_name" --type spa --auth-method none \
    --grant-types authorization_code,refresh_token "${spa_urls[@]}" --json | field client_id)
elif ! admin clients show "$spa_id" --json | "$py" -c 'import json, sys
c = json.load(sys.stdin)
sys.exit(0 if (c.get("callbacks"), c.get("allowed_logout_urls"), c.get("web_origins")) ==
         ([sys.argv[1]], [sys.argv[1]], [sys.argv[2]]) else 1)' "$spa_url" "$spa_origin"; then
  admin clients update "$spa_id" "${spa_urls[@]}" >/dev/null
fi

m2m_id=$(value m2m.client_id)
m2m_secret=$(value m2m.client_secret)
other_id=$(value m2m_without_read.client_id)
other_secret=$(value m2m_without_read.client_secret)
web_id=$(value web.client_id)
web_secret=$(value web.client_secret)
password=$(value user.password)

# --- TLS for HTTPS=1: a local CA and a certificate for localhost ----------------------------------
data_abs=$(cd "$data" && pwd)
bin_abs=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
token_ca=""
tls_flags=()
api_trust=()
curl_tls=()
curl_ca=""  # as printed in the calls below: absolute and quoted, so they paste anywhere
if [ "$https" = 1 ]; then
  admin dev-cert >&2  # says what it created and how to trust the CA
  tls_flags=(--tls-cert "$data_abs/tls/cert.pem" --tls-key "$data_abs/tls/key.pem")
  api_trust=(--ca-file "$data_abs/tls/ca.pem")  # signet api trusts the issuer's certificate
  curl_tls=(--cacert "$data_abs/tls/ca.pem")
  curl_ca=" --cacert '$data_abs/tls/ca.pem'"
  token_ca=" --ca-file '$data_abs/tls/ca.pem'"
fi

# --- the two servers -------------------------------------------------------------------------------
"$bin" serve --data-dir "$data" --listen "127.0.0.1:${auth_port}" --issuer "$issuer" \
  --metrics-listen "127.0.0.1:${metrics_port}" "${tls_flags[@]}" 9>&- &
pids+=($!)
ready() {  # url port pid what
  for _ in $(seq 600); do
    kill -0 "$3" 2>/dev/null || break
    if curl -fs --max-time 2 "${curl_tls[@]}" "$1" >/dev/null 2>&1; then
      listens "$2" "$3" && return 0
      echo "run-demo: something else answers on port $2: $(port_holder "$2")" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "run-demo: $4 did not answer on $1; its log is above" >&2
  exit 1
}
ready "${issuer}.well-known/openid-configuration" "$auth_port" "${pids[0]}" "signet serve"

# --- the console's first administrator, once signet serve has made the Management API -----------
# Every permission of the Management API, read from the API itself so that the demo never lags
# behind what this signet defines.
management="${issuer}api/v2/"
admin_password=$("$py" -c 'import json, sys; print(json.load(open(sys.argv[1])).get("admin", {}).get("password", ""))' "$demo")
if [ -z "$admin_password" ]; then
  admin_password=$("$py" -c 'import secrets; print(secrets.token_urlsafe(12))')
  if admin users show admin@example.com >/dev/null 2>&1; then
    printf '%s\n' "$admin_password" | admin users set-password admin@example.com --password-stdin >/dev/null
  else
    printf '%s\n' "$admin_password" | admin users create --email admin@example.com --password-stdin >/dev/null
  fi
  scopes=$(admin apis permissions list "$management" --json | "$py" -c 'import json, sys
print(" ".join(p["value"] for p in json.load(sys.stdin)))')
  admin users permissions add admin@example.com --audience "$management" $scopes >/dev/null
  (
    umask 077
    "$py" - "$demo" "$admin_password" <<'PY'
import json, sys
path, password = sys.argv[1:]
d = json.load(open(path))
d["admin"] = {"email": "admin@example.com", "password": password}
json.dump(d, open(path, "w"), indent=2)
PY
  )
fi
"$bin" api --issuer "$issuer" --audience "$audience" --listen "127.0.0.1:${api_port}" \
  --cors-origin "$spa_origin" "${tls_flags[@]}" "${api_trust[@]}" 9>&- &
pids+=($!)
ready "${api_url}/api/public" "$api_port" "${pids[1]}" "signet api"

# --- the sample SPA: samples/spa and its config.json, served as static files ----------------------
# A copy in the data directory, so the checkout stays clean and config.json (no secret in it: the
# application is public) always describes this tenant.
spa_dir="$data_abs/spa"
rm -rf -- "$spa_dir"
mkdir -p "$spa_dir"
cp "$repo"/samples/spa/*.html "$repo"/samples/spa/*.js "$repo"/samples/spa/*.css "$spa_dir/"
"$py" - "$spa_dir/config.json" "$issuer" "$spa_id" "$audience" "$api_url" <<'PY'
import json, sys
path, issuer, client_id, audience, api_base = sys.argv[1:]
json.dump({"issuer": issuer, "client_id": client_id, "audience": audience, "api_base": api_base},
          open(path, "w"), indent=2)
PY
# Its request log goes to a file: the terminal keeps the banner.
"$py" -m http.server "$spa_port" --bind 127.0.0.1 --directory "$spa_dir" \
  >"$data_abs/spa.log" 2>&1 9>&- &
pids+=($!)
if ! (ready "http://127.0.0.1:${spa_port}/config.json" "$spa_port" "${pids[2]}" \
  "the sample single-page app"); then
  cat "$data_abs/spa.log" >&2
  exit 1
fi

spa_tls_note=""
if [ "$https" = 1 ]; then
  spa_tls_note="
     Over HTTPS the browser must trust the local CA first (the dev-cert lines above say how),
     or the page cannot reach ${issuer} and ${api_url}."
fi
cat <<MSG

  signet is running: the quickstart, with your own authorization server.
    authorization server  ${issuer}          (signet serve)
    messages API          ${api_url}      (signet api, audience ${audience})
    data                  ${data_abs}  (tenant: signet.db; demo credentials: demo.json)
    metrics               http://127.0.0.1:${metrics_port}/metrics  (Prometheus; loopback only)
    sample SPA            ${spa_url}          (samples/spa, application ${spa_id})

  1. Get an access token with client credentials (machine to machine):

    curl${curl_ca} --request POST \\
      --url '${issuer}oauth/token' \\
      --header 'content-type: application/json' \\
      --data '{"grant_type":"client_credentials","client_id": "${m2m_id}","client_secret": "${m2m_secret}","audience": "${audience}"}'

  2. Or as the user, with the Resource Owner Password flow:

    curl${curl_ca} --request POST \\
      --url '${issuer}oauth/token' \\
      --header 'content-type: application/json' \\
      --data '{"grant_type":"password","username": "user@example.com","password": "${password}","audience": "${audience}", "scope": "read:messages", "client_id": "${web_id}", "client_secret": "${web_secret}"}'

  3. Call the API with the access_token from either answer:

    ACCESS_TOKEN=...   # paste it here, or let signet token get it (and reuse it until it expires):
    ACCESS_TOKEN=\$(printf '%s\n' '${m2m_secret}' | ${bin_abs} token --issuer ${issuer} \\
      --client-id ${m2m_id} --client-secret-stdin --audience ${audience}${token_ca})
    curl${curl_ca} --request GET --url ${api_url}/api/public                       # 200
    curl${curl_ca} --request GET --url ${api_url}/api/private                      # 401, no token
    curl${curl_ca} --request GET --url ${api_url}/api/private \\
      --header "authorization: Bearer \$ACCESS_TOKEN"                           # 200
    curl${curl_ca} --request GET --url ${api_url}/api/private-scoped \\
      --header "authorization: Bearer \$ACCESS_TOKEN"                           # 200: it has read:messages

  4. A token without read:messages gets 403 on /api/private-scoped: use this client in step 1:
       client_id ${other_id}   client_secret ${other_secret}

  5. Sign in from a browser: open ${spa_url} and log in as user@example.com with password
       ${password}
     (signet's login page, the authorization code flow with PKCE), then call the three endpoints
     with the user's token.${spa_tls_note}

  6. The console (APIs with their Test tab, applications, users, keys, logs, token debugger):
       ${issuer}console/   sign in as admin@example.com with password ${admin_password}
     or script the Management API: ${issuer}api/v2/ (docs/management-api.md)

  Manage the tenant while it runs: ${bin} apis|clients|grants|users|keys --data-dir ${data} --help
  Ctrl-C stops the servers.

MSG
# As a job of its own (above), the demo also ends when the script that started it is gone (make
# stopped with SIGTERM): the EXIT trap then stops the servers.
if [ -n "$parent" ]; then
  tail --pid="$parent" -f /dev/null 9>&- &
  pids+=($!)
fi
wait -n "${pids[@]}" || true
if [ -n "$parent" ] && ! kill -0 "$parent" 2>/dev/null; then
  exit 0
fi
echo "run-demo: a server stopped; stopping the others" >&2
exit 1
