#!/usr/bin/env bash
# Local stack for Pylon: NATS (JetStream), PostgreSQL and ClickHouse on 127.0.0.1.
#
#   deploy/local/stack.sh up|down|status|env
#
# `up` uses any server that already answers on the configured port. Only when
# nothing answers does it install Debian's package and start the server itself,
# with data, logs and pid files under <repo>/.pylon/. `down` stops only what
# `up` started (found by those pid files), never the machine's own servers.
# Nothing here reads stdin, so it runs unattended in CI. See docs/local-stack.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="$ROOT/.pylon"
NATS_PORT="${PYLON_STACK_NATS_PORT:-4222}"
PG_PORT="${PYLON_STACK_PG_PORT:-5432}"
CH_HTTP_PORT="${PYLON_STACK_CH_HTTP_PORT:-8123}"
CH_TCP_PORT="${PYLON_STACK_CH_TCP_PORT:-9000}"
NATS_DIR="$STATE/nats" PG_DIR="$STATE/postgres" CH_DIR="$STATE/clickhouse"
# Pid files of the servers we start; PostgreSQL writes its own postmaster.pid.
NATS_PID="$NATS_DIR/nats.pid" PG_DATA="$PG_DIR/data" CH_PID="$CH_DIR/clickhouse.pid"
export PATH="$PATH:/usr/sbin:/sbin" # the servers live in /usr/sbin; a user's PATH may lack it

say() { echo "stack: $*"; }
die() { echo "stack: error: $*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }
is_root() { [ "$(id -u)" = 0 ]; }
as_root() { if is_root; then "$@"; elif have sudo; then sudo -n "$@"; else die "need root for: $*"; fi; }

# Is something accepting TCP connections on 127.0.0.1:$1?
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Is the process named in pid file $1 alive and one of ours? Its command line must
# name this checkout's .pylon/, so a stale pid reused by another process is not
# ours. A zombie (a killed daemon not yet reaped by init; `kill -0` would say it is
# alive) has an empty command line, so it does not count either.
pid_alive() {
  local pid
  [ -s "$1" ] && pid="$(head -n1 "$1")" && [ -r "/proc/$pid/cmdline" ] &&
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$STATE/"
}

# SIGTERM the process from pid file $1, wait up to 30 s, then SIGKILL.
stop_pid() {
  local pid _
  pid="$(head -n1 "$1")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 60); do pid_alive "$1" || break; sleep 0.5; done
  pid_alive "$1" && kill -9 "$pid" 2>/dev/null
  rm -f "$1"
}

# Install a Debian package. Refresh the package lists only if the first try fails
# (a fresh container may have none), so a normal run stays offline and fast.
apt_install() {
  local log="$STATE/apt-$1.log"
  mkdir -p "$STATE"
  say "installing $1 from Debian packages (log: $log)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get install -y -q "$1" </dev/null >"$log" 2>&1 && return
  { as_root apt-get update -q && as_root apt-get install -y -q "$1"; } </dev/null >>"$log" 2>&1 ||
    die "apt-get install $1 failed, see $log"
}

# wait_for SECONDS WHAT PIDFILE CMD...: poll CMD until it succeeds. With a PIDFILE,
# fail at once if that server has died instead of waiting out the timeout.
wait_for() {
  local secs="$1" what="$2" pidf="$3" _
  shift 3
  for _ in $(seq $((secs * 2))); do
    "$@" && return
    [ -z "$pidf" ] || pid_alive "$pidf" || die "$what exited during start-up, see its logs in ${pidf%/*}"
    sleep 0.5
  done
  die "$what did not become ready within $secs s"
}

# ---------------------------------------------------------------- NATS
# A JetStream request to $JS.API.INFO. With no_responders the server answers at once
# with a 503 status (HMSG) when JetStream is off, instead of letting us time out.
# Exit: 0 JetStream ok, 1 unreachable, 2 not NATS, 3 NATS without JetStream, 4 no python3.
nats_js_ok() {
  local py=/usr/bin/python3 # the system one first: a pyenv/venv shim may be set up oddly
  [ -x "$py" ] || py=python3
  have "$py" || return 4
  "$py" - "$NATS_PORT" 2>/dev/null <<'PY'
import json, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
f = s.makefile("rb")
if not f.readline().startswith(b"INFO "):
    sys.exit(2)
s.sendall(b'CONNECT {"verbose":false,"headers":true,"no_responders":true}\r\n'
          b"SUB _INBOX.pylonstack 1\r\nPUB $JS.API.INFO _INBOX.pylonstack 0\r\n\r\n")
line = f.readline()
if not line.startswith(b"MSG "):
    sys.exit(3)
reply = json.loads(f.read(int(line.split()[-1])))
sys.exit(3 if "error" in reply else 0)
PY
}

nats_why() { case "$1" in 2) echo "is not a NATS server" ;; 3) echo "has no JetStream" ;; 4) echo "cannot be checked (no python3)" ;; *) echo "gave no NATS reply" ;; esac; }

nats_up() {
  local rc=0
  have python3 || apt_install python3
  # Ours may still be starting (pid alive, port not yet open): give it time.
  if pid_alive "$NATS_PID" && ! port_open "$NATS_PORT"; then wait_for 15 "nats-server" "$NATS_PID" port_open "$NATS_PORT"; fi
  if port_open "$NATS_PORT"; then
    nats_js_ok || rc=$?
    [ "$rc" = 0 ] || die "127.0.0.1:$NATS_PORT answers but $(nats_why "$rc"); run nats-server with -js or set PYLON_STACK_NATS_PORT"
    say "nats: using server on 127.0.0.1:$NATS_PORT"
    return
  fi
  have nats-server || apt_install nats-server
  mkdir -p "$NATS_DIR"
  rm -f "$NATS_PID"
  # setsid: detach from our process group so the server outlives `make`/the shell.
  setsid nats-server -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$NATS_DIR/store" \
    -l "$NATS_DIR/nats.log" -P "$NATS_PID" </dev/null >>"$NATS_DIR/nats.out" 2>&1 &
  wait_for 15 "nats-server (log: $NATS_DIR/nats.log)" "" nats_js_ok
  say "nats: started on 127.0.0.1:$NATS_PORT (data in $NATS_DIR)"
}

# ---------------------------------------------------------------- PostgreSQL
pg_ready() { if have pg_isready; then pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; else port_open "$PG_PORT"; fi; }
# Newest installed server binaries (the client package alone has no initdb).
pg_bin() { local f; f="$(find /usr/lib/postgresql -path '*/bin/initdb' 2>/dev/null | sort -V | tail -n1)"; echo "${f%/initdb}"; }
# PostgreSQL refuses to run as root, so our own cluster belongs to the postgres user.
as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_start_own() {
  as_pg "$(pg_bin)/pg_ctl" -D "$PG_DATA" -l "$PG_DIR/postgres.log" -w -t 60 start \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1" >/dev/null ||
    die "could not start PostgreSQL in $PG_DATA, see $PG_DIR/postgres.log"
}

pg_up() {
  local cluster
  if pg_ready; then
    say "postgres: using server on 127.0.0.1:$PG_PORT"
  elif [ -f "$PG_DATA/PG_VERSION" ]; then # ours from an earlier `up`
    pg_start_own
    say "postgres: started own cluster $PG_DATA on 127.0.0.1:$PG_PORT"
  elif have pg_lsclusters && cluster="$(pg_lsclusters -h | awk -v p="$PG_PORT" '$3 == p { print $1, $2; exit }')" &&
    [ -n "$cluster" ]; then
    # The machine's own Debian cluster is merely down: start it (it stays external).
    # --skip-systemctl-redirect: there is no systemd in containers.
    # shellcheck disable=SC2086 # "$cluster" is "<version> <name>"
    as_root pg_ctlcluster --skip-systemctl-redirect $cluster start || die "pg_ctlcluster $cluster start failed"
    wait_for 30 "PostgreSQL cluster $cluster" "" pg_ready
    say "postgres: started Debian cluster $cluster on port $PG_PORT"
  else
    [ -n "$(pg_bin)" ] || apt_install postgresql
    mkdir -p "$PG_DIR"
    if is_root; then chown postgres:postgres "$PG_DIR"; fi
    as_pg "$(pg_bin)/initdb" -D "$PG_DATA" -A trust -U postgres -E UTF8 --locale=C >"$PG_DIR/initdb.log" 2>&1 ||
      die "initdb failed, see $PG_DIR/initdb.log"
    pg_start_own
    say "postgres: created and started own cluster $PG_DATA on 127.0.0.1:$PG_PORT"
  fi
  have psql || apt_install postgresql-client
  local exists q=(psql -w -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtAc)
  exists="$("${q[@]}" "SELECT 1 FROM pg_database WHERE datname = 'pylon'" </dev/null)" ||
    die "cannot connect as user postgres without a password to 127.0.0.1:$PG_PORT (needs trust for 127.0.0.1 in pg_hba.conf)"
  [ "$exists" = 1 ] || "${q[@]}" "CREATE DATABASE pylon" </dev/null || die "CREATE DATABASE pylon failed"
}

# ---------------------------------------------------------------- ClickHouse
ch_ping() { [ "$(curl -s -m 2 "http://127.0.0.1:$CH_HTTP_PORT/ping" 2>/dev/null)" = "Ok." ]; }
ch_query() { curl -sS -m 30 --fail-with-body --data-binary "$1" "http://127.0.0.1:$CH_HTTP_PORT/"; }

# Config for clickhouse-server 18.16 (Debian bookworm): only the settings we need,
# everything kept under $CH_DIR. No interserver port, no query_log. Rewritten on
# every start so that port overrides take effect.
ch_write_config() {
  cat >"$CH_DIR/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>information</level><log>$CH_DIR/log/server.log</log>
    <errorlog>$CH_DIR/log/error.log</errorlog><size>100M</size><count>3</count></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$CH_HTTP_PORT</http_port> <tcp_port>$CH_TCP_PORT</tcp_port>
  <path>$CH_DIR/data/</path> <tmp_path>$CH_DIR/tmp/</tmp_path>
  <user_files_path>$CH_DIR/user_files/</user_files_path>
  <format_schema_path>$CH_DIR/format_schemas/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile> <default_database>default</default_database>
  <timezone>UTC</timezone> <mark_cache_size>268435456</mark_cache_size>
</yandex>
EOF
  # User "default", no password, loopback only.
  cat >"$CH_DIR/users.xml" <<'EOF'
<?xml version="1.0"?>
<yandex>
  <profiles><default/></profiles>
  <users><default><password></password>
    <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default/></quotas>
</yandex>
EOF
}

ch_up() {
  have curl || apt_install curl
  if pid_alive "$CH_PID" && ! port_open "$CH_HTTP_PORT"; then # ours: starting, or on other ports
    grep -q "<http_port>$CH_HTTP_PORT<" "$CH_DIR/config.xml" || die "our ClickHouse runs on other ports; run '$0 down' first"
    wait_for 60 "ClickHouse" "$CH_PID" ch_ping
  fi
  if port_open "$CH_HTTP_PORT"; then
    ch_ping || die "127.0.0.1:$CH_HTTP_PORT answers but not as ClickHouse (/ping is not Ok.)"
    say "clickhouse: using server on 127.0.0.1:$CH_HTTP_PORT"
  else
    have clickhouse-server || apt_install clickhouse-server
    mkdir -p "$CH_DIR"/{data,tmp,log,user_files,format_schemas}
    ch_write_config
    # 18.16 runs fine as root. Its --daemon quietly exits (code 78) if the pid file
    # names a live or zombie process, so drop a stale one first.
    rm -f "$CH_PID"
    clickhouse-server --config-file="$CH_DIR/config.xml" --pid-file="$CH_PID" --daemon </dev/null ||
      die "clickhouse-server did not start, see $CH_DIR/log/"
    # --daemon returns before the forked server has written its pid file.
    wait_for 10 "clickhouse-server (logs: $CH_DIR/log/)" "" test -s "$CH_PID"
    wait_for 60 "ClickHouse" "$CH_PID" ch_ping
    say "clickhouse: started on 127.0.0.1:$CH_HTTP_PORT/$CH_TCP_PORT (data in $CH_DIR)"
  fi
  ch_query "CREATE DATABASE IF NOT EXISTS pylon" >/dev/null || die "CREATE DATABASE pylon failed on ClickHouse"
}

# ---------------------------------------------------------------- commands
print_env() {
  echo "export PYLON_DATABASE__URL=postgres://postgres@127.0.0.1:$PG_PORT/pylon"
  echo "export PYLON_NATS__URL=nats://127.0.0.1:$NATS_PORT"
  echo "export PYLON_CLICKHOUSE__URL=http://127.0.0.1:$CH_HTTP_PORT"
}

# One line: name, reachable or not, who runs it.
status_line() {
  local name="$1" addr="$2" pidf="$3" ok="$4" owner="external" why="${5:-}" state
  pid_alive "$pidf" && owner="managed by stack.sh (pid $(head -n1 "$pidf"))"
  if [ "$ok" = 0 ]; then state="reachable"; else state="NOT reachable" owner="${owner/#external/-}"; fi
  printf '%-10s %-14s %-22s %s%s\n' "$name" "$state" "$addr" "$owner" "${why:+ ($why)}"
}

cmd_status() {
  local n=0 p=0 c=0
  nats_js_ok || n=$?
  pg_ready || p=$?
  ch_ping || c=$?
  status_line nats "127.0.0.1:$NATS_PORT" "$NATS_PID" "$n" "$([ "$n" -lt 2 ] || nats_why "$n")"
  status_line postgres "127.0.0.1:$PG_PORT" "$PG_DATA/postmaster.pid" "$p"
  status_line clickhouse "127.0.0.1:$CH_HTTP_PORT" "$CH_PID" "$c"
  [ $((n + p + c)) = 0 ] # exit status: 0 only when all three are reachable
}

cmd_down() {
  if pid_alive "$CH_PID"; then stop_pid "$CH_PID" && say "clickhouse: stopped"; else say "clickhouse: not started by stack.sh, left alone"; fi
  if pid_alive "$PG_DATA/postmaster.pid"; then
    as_pg "$(pg_bin)/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null && say "postgres: stopped"
  else say "postgres: not started by stack.sh, left alone"; fi
  if pid_alive "$NATS_PID"; then stop_pid "$NATS_PID" && say "nats: stopped"; else say "nats: not started by stack.sh, left alone"; fi
}

case "${1:-}" in
  up) nats_up; pg_up; ch_up; say "ready; environment for Pylon:"; print_env ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) print_env ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
