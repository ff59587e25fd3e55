#!/usr/bin/env bash
# `make run`: the quickstart on this machine. Creates a demo tenant on first run (kept in the data
# directory and reused afterwards), starts the authorization server (`signet serve`, port 4000) and
# the messages API (`signet api`, port 3010) against it, and prints the quickstart's calls with
# the real client ids, secrets and password filled in. Ctrl-C stops both.
#
#   make run                      # http://localhost:4000/ and http://localhost:3010
#   make run HTTPS=1              # https://localhost:4443/ and https://localhost:3010, local CA
#   make run ISSUER=https://YOUR_DOMAIN/ AUDIENCE=https://quickstarts/api
#                                 # only the messages API, in front of another issuer (Auth0...)
#
# Environment: DATA_DIR (default ./signet-data), AUTH_PORT (4000, or 4443 with HTTPS=1),
# API_PORT (3010), METRICS_PORT (9464: the authorization server's /counters, on loopback only).
set -euo pipefail
bin=${1:-build/signet}
data=${DATA_DIR:-${SIGNET_DATA_DIR:-./signet-data}}
https=${HTTPS:-0}
audience=${AUDIENCE:-https://quickstarts/api}
api_port=${API_PORT:-3010}
metrics_port=${METRICS_PORT:-9464}
py=/usr/bin/python3

# --- another issuer: only the messages API ------------------------------------------------------
if [ -n "${ISSUER:-}" ]; then
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
admin() { "$bin" "$@" --data-dir "$data"; }
field() { "$py" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# --- the demo tenant, created once ----------------------------------------------------------------
demo="$data/demo.json"
if [ ! -f "$demo" ]; then
  echo "run-demo: creating the demo tenant in $data" >&2
  mkdir -p "$data"
  chmod 700 "$data"
  if ! admin apis show "$audience" >/dev/null 2>&1; then
    admin apis create --identifier "$audience" --name "Quickstart API" \
      --scopes "read:messages write:messages" --allow-offline-access >/dev/null
    admin apis permissions add "$audience" read:messages --description "Read messages" >/dev/null
    admin apis permissions add "$audience" write:messages --description "Write messages" >/dev/null
  fi
  m2m=$(admin clients create --name "Quickstart M2M" --type m2m --json)
  m2m_id=$(field client_id <<<"$m2m")
  admin grants create --client-id "$m2m_id" --audience "$audience" --scopes read:messages >/dev/null
  # Granted only write:messages: the quickstart's 403 step.
  other=$(admin clients create --name "Quickstart M2M without read:messages" --type m2m --json)
  other_id=$(field client_id <<<"$other")
  admin grants create --client-id "$other_id" --audience "$audience" --scopes write:messages >/dev/null
  web=$(admin clients create --name "Quickstart Web App" --type regular_web \
    --grant-types password,refresh_token --json)
  password=$("$py" -c 'import secrets; print(secrets.token_urlsafe(12))')
  user=$(printf '%s\n' "$password" | admin users create --email user@example.com --password-stdin --json)
  admin users permissions add "$(field id <<<"$user")" --audience "$audience" read:messages >/dev/null
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
pids=()
stop() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

"$bin" serve --data-dir "$data" --listen "127.0.0.1:${auth_port}" --issuer "$issuer" \
  --metrics-listen "127.0.0.1:${metrics_port}" "${tls_flags[@]}" &
pids+=($!)
ready() {  # url pid what
  for _ in $(seq 150); do
    curl -fs --max-time 2 "${curl_tls[@]}" "$1" >/dev/null 2>&1 && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  echo "run-demo: $3 did not answer on $1; its log is above" >&2
  exit 1
}
ready "${issuer}.well-known/openid-configuration" "${pids[0]}" "signet serve"
"$bin" api --issuer "$issuer" --audience "$audience" --listen "127.0.0.1:${api_port}" \
  "${tls_flags[@]}" "${api_trust[@]}" &
pids+=($!)
ready "${api_url}/api/public" "${pids[1]}" "signet api"

cat <<MSG

  signet is running: the quickstart, with your own authorization server.
    authorization server  ${issuer}          (signet serve)
    messages API          ${api_url}      (signet api, audience ${audience})
    data                  ${data_abs}  (tenant: signet.db; demo credentials: demo.json)
    counters              http://127.0.0.1:${metrics_port}/counters  (tokens issued, errors; loopback only)

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

  Manage the tenant while it runs: ${bin} apis|clients|grants|users|keys --data-dir ${data} --help
  Ctrl-C stops both servers.

MSG
wait -n "${pids[@]}" || true
echo "run-demo: a server stopped; stopping the other" >&2
exit 1
