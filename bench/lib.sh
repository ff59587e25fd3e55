# Helpers the bench scripts share; sourced, not run.

# Makes the scratch directory $work and the list $pids of processes to stop, and arranges that on
# exit every process in $pids is stopped, the function `before_cleanup` runs if the script defined
# one, and $work is removed (kept, and named, when KEEP is set). Add a server with `pids+=($!)`.
start_work() {
  work=$(mktemp -d)
  pids=()
  trap stop_work EXIT
}
stop_work() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if declare -F before_cleanup >/dev/null; then before_cleanup; fi
  if [ -n "${KEEP:-}" ]; then echo "kept $work" >&2; return; fi
  rm -rf "$work"
}
# A port free on 127.0.0.1 now that no earlier call of this script handed out (they are listed in
# $work/ports): the kernel may give two binds in a row the same port once the first is closed.
free_port() {
  /usr/bin/python3 - "$work/ports" <<'PY'
import os, socket, sys
taken = set(open(sys.argv[1]).read().split()) if os.path.exists(sys.argv[1]) else set()
for _ in range(1000):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    if port not in taken:
        open(sys.argv[1], "a").write(port + "\n")
        print(port)
        break
else:
    sys.exit("free_port: no port not handed out already in 1000 binds")
PY
}
# "a" as a percentage of "b", one decimal.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f%%", (b > 0 ? 100 * a / b : 0) }'; }
# The median of the numbers on stdin (separated by spaces or newlines).
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
# Writes to file $1 a wrk script that repeats one form POST with body $2.
form_post_script() {
  cat >"$1" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "$2"
LUA
}
# Member $1 of the JSON object on stdin.
json_field() { /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
# One wrk run against the server whose pid is $1 (wrk's arguments follow): prints
# "requests/s cpu-us-per-request", the second from the server's own CPU time in /proc over the
# requests it answered, which other processes' load barely moves. Reads $client_core,
# $connections and $duration. Any non-2xx answer stops the script: it would measure refusals.
measure() {
  local server_pid=$1 before after out
  shift
  before=$(awk '{ print $14 + $15 }' "/proc/$server_pid/stat")
  out=$(taskset -c "$client_core" wrk -t1 -c"$connections" -d"${duration}s" "$@")
  after=$(awk '{ print $14 + $15 }' "/proc/$server_pid/stat")
  if grep -q Non-2xx <<<"$out"; then echo "bench: non-2xx responses from wrk $*" >&2; exit 1; fi
  awk -v out="$out" -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" 'BEGIN {
    n = split(out, lines, "\n")
    for (i = 1; i <= n; i++) {
      if (lines[i] ~ /^Requests\/sec:/) { split(lines[i], f, " "); rps = f[2] }
      if (lines[i] ~ / requests in /) { split(lines[i], f, " "); reqs = f[1] }
    }
    printf "%.0f %.2f\n", rps, (reqs > 0 ? ticks / hz * 1e6 / reqs : 0)
  }'
}
