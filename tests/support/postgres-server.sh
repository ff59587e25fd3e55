#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests, in a directory of its own:
#
#   postgres-server.sh start DIR   initdb in DIR/data, start on 127.0.0.1 and a free port, write
#                                  the URL (postgresql://signet@127.0.0.1:PORT/postgres) to DIR/url
#   postgres-server.sh stop DIR    stop it (fast shutdown) and remove DIR
#   postgres-server.sh pause DIR   stop it (fast shutdown) and keep DIR: its data and its port
#   postgres-server.sh resume DIR  start a paused server again, on the same port with the same data
#                                  (outage tests: the clients' URL stays valid)
#
# The server also speaks TLS, with a certificate for 127.0.0.1 from a throwaway CA whose
# certificate is DIR/ca.pem: a client that asks (sslmode=verify-full&sslrootcert=DIR/ca.pem) gets
# it, and libpq's default (sslmode=prefer) uses it too.
#
# Trust authentication for the superuser `signet`, on loopback only; fsync and friends off: speed
# over durability (a test that needs durability starts a server of its own). Starting a DIR whose
# server runs already does nothing; stopping a DIR that does not exist does nothing.
#
# initdb and postgres refuse to run as root, and CI runs as root: then the server runs as the
# `postgres` system user (Debian's server package makes it; `signet-test` is made when it is
# missing), in a directory of that user's under /tmp (DIR itself may sit under a home that user
# cannot enter), which DIR/server-dir names.
set -euo pipefail

readonly start_attempts=3  # a free port may be taken by someone else before postgres binds it
readonly socket_path_max=100  # sun_path holds 108 bytes, with the socket's own name after DIR

usage() {
  echo "usage: $0 start|stop|pause|resume DIR" >&2
  exit 2
}

[ $# -eq 2 ] || usage
command=$1
dir=$2

bin_dir=""
for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
  if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then
    bin_dir=$candidate
    break
  fi
done

as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  owner=postgres
  if ! id -u "$owner" >/dev/null 2>&1; then
    owner=signet-test
    id -u "$owner" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$owner"
  fi
  as_owner=(runuser -u "$owner" --)
fi

pg_ctl() {
  "${as_owner[@]}" "$bin_dir/pg_ctl" "$@"
}

# Where the server's files are: DIR, or (as root) the directory DIR/server-dir names.
server_dir() {
  if [ -s "$dir/server-dir" ]; then
    cat "$dir/server-dir"
  else
    echo "$dir"
  fi
}

running() {
  local srv
  srv=$(server_dir)
  [ -f "$srv/data/postmaster.pid" ] && [ -n "$bin_dir" ] && pg_ctl status -D "$srv/data" >/dev/null 2>&1
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

fail_with_log() {
  echo "postgres-server.sh: $1" >&2
  local srv
  srv=$(server_dir)
  if [ -f "$srv/server.log" ]; then
    echo "--- $srv/server.log" >&2
    tail -n 50 "$srv/server.log" >&2
  fi
  exit 1
}

start() {
  if [ -z "$bin_dir" ]; then
    echo "postgres-server.sh: no PostgreSQL server under /usr/lib/postgresql/*/bin; run scripts/install-deps.sh (it installs postgresql-15)" >&2
    exit 1
  fi
  if running && [ -s "$dir/url" ]; then
    echo "postgres-server.sh: already running: $(cat "$dir/url")"
    return
  fi
  # Whatever is left from a run that died half way goes.
  stop_quietly
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local srv=$dir
  if [ ${#as_owner[@]} -gt 0 ]; then
    srv=$(mktemp -d /tmp/signet-postgres.XXXXXX)
    chown "$owner" "$srv"
    chmod 0700 "$srv"
    echo "$srv" >"$dir/server-dir"
  fi
  "${as_owner[@]}" "$bin_dir/initdb" -D "$srv/data" -A trust -U signet --no-sync -E UTF8 \
    --locale=C >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    fail_with_log "initdb failed"
  }
  # A CA and a server certificate for 127.0.0.1 (P-256: cheap to make and to handshake with).
  local tls="$srv/tls"
  mkdir -p "$tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=signet-test-postgres-ca -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
    -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
    -CAcreateserial -days 2 -extfile <(printf 'subjectAltName=IP:127.0.0.1\n') \
    -out "$tls/server.crt" 2>/dev/null
  cp "$tls/ca.pem" "$dir/ca.pem"
  chmod 0600 "$tls/server.key"
  if [ ${#as_owner[@]} -gt 0 ]; then
    chown -R "$owner" "$tls"
  fi
  local sockets="$srv"
  if [ ${#srv} -gt $socket_path_max ]; then
    sockets=""  # too long for a unix socket path: TCP only
  fi
  echo "$sockets" >"$dir/sockets"
  local attempt port
  for attempt in $(seq 1 $start_attempts); do
    port=$(free_port)
    if start_server "$port" "$sockets"; then
      echo "postgresql://signet@127.0.0.1:$port/postgres" >"$dir/url.tmp"
      mv "$dir/url.tmp" "$dir/url"
      echo "postgres-server.sh: started $(cat "$dir/url")"
      return
    fi
    echo "postgres-server.sh: start attempt $attempt on port $port failed" >&2
  done
  fail_with_log "the server did not start"
}

# Starts the server whose files are in server_dir on port $1 with its unix socket in $2 ("" for
# none), speaking TLS with the certificate start() made.
start_server() {
  local srv
  srv=$(server_dir)
  pg_ctl start -w -t 60 -D "$srv/data" -l "$srv/server.log" -o "-c listen_addresses=127.0.0.1 -c port=$1 -c unix_socket_directories='$2' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c ssl=on -c ssl_cert_file=$srv/tls/server.crt -c ssl_key_file=$srv/tls/server.key" >/dev/null
}

pause() {
  if running; then
    pg_ctl stop -w -m fast -D "$(server_dir)/data" >/dev/null
  fi
}

resume() {
  if [ ! -s "$dir/url" ] || [ ! -d "$(server_dir)/data" ]; then
    echo "postgres-server.sh: $dir holds no server to resume: start one with '$0 start $dir'" >&2
    exit 1
  fi
  if running; then
    return
  fi
  local url port
  url=$(cat "$dir/url")
  port=${url##*:}
  port=${port%%/*}
  # The port was free when the server first took it; another process may have taken it since.
  start_server "$port" "$(cat "$dir/sockets")" || fail_with_log "the server did not start again on port $port"
  echo "postgres-server.sh: resumed $url"
}

stop_quietly() {
  local srv
  srv=$(server_dir)
  if running; then
    pg_ctl stop -w -m fast -D "$srv/data" >/dev/null
  fi
  if [ "$srv" != "$dir" ]; then
    rm -rf "$srv"
  fi
  rm -rf "$dir"
}

case "$command" in
  start) start ;;
  stop)
    if [ -d "$dir" ]; then
      stop_quietly
    fi
    ;;
  pause) pause ;;
  resume) resume ;;
  *) usage ;;
esac
