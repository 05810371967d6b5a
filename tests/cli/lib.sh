# Shared by the CLI tests, sourced at their top after `ledge="$1"`: a temporary folder removed
# at exit (with any broker, subscriber and daemon the test started), pass/fail counters, and
# the checks they all use.
#   source "$(dirname "$0")/lib.sh"
#   check NAME CMD...                 CMD succeeds
#   expect_error NAME CODE CMD...     CMD exits with CODE, its last stderr line starts "ledge: "
#   json_check NAME FILE EXPR         the Python expression over j (FILE parsed) is true
#   wait_for SECONDS CMD...           polls CMD until it succeeds (CMD is re-run, so pass a
#                                     function, not "$(...)" evaluated once)
#   start_broker                      Debian's mosquitto on a free 127.0.0.1 port ($port)
#   start_subscriber                  logs every ledge/# message to $tmp/received.txt
#   finish NAME                       prints the counts; the script's exit status
set -uo pipefail
tmp=$(mktemp -d)
passed=0
failed=0
broker_pid=
sub_pid=
daemon_pid=  # a test's long-running ledge process, stopped (and waited for) at exit

lib_cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  [ -n "$sub_pid" ] && kill "$sub_pid" 2>/dev/null
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap lib_cleanup EXIT

check() {
  local name="$1"; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name"; fi
}

expect_error() {
  local name="$1" code="$2"; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [ "$rc" -eq "$code" ] && tail -n 1 "$tmp/err" | grep -q '^ledge: '; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $name (exit $rc, want $code; stderr:)"; cat "$tmp/err"
  fi
}

json_check() {
  local name="$1" file="$2" expr="$3"
  check "$name" /usr/bin/python3 -c "import json,sys; j=json.load(open('$file')); sys.exit(0 if ($expr) else 1)"
}

wait_for() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.1
  done
}

have_broker() { [ -x /usr/sbin/mosquitto ] && command -v mosquitto_sub >/dev/null; }

start_broker() {
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$port" >"$tmp/mosquitto.conf"
  [ "$(id -u)" -eq 0 ] && echo 'user root' >>"$tmp/mosquitto.conf"
  /usr/sbin/mosquitto -c "$tmp/mosquitto.conf" >"$tmp/mosquitto.log" 2>&1 &
  broker_pid=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.05
  done
}

stop_broker() {
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null
  broker_pid=
}

start_subscriber() {
  mosquitto_sub -h 127.0.0.1 -p "$port" -q 1 -v -t 'ledge/#' >"$tmp/received.txt" &
  sub_pid=$!
  sleep 0.5  # subscribed before the test publishes
}

stop_subscriber() {
  [ -n "$sub_pid" ] && kill "$sub_pid" 2>/dev/null && wait "$sub_pid" 2>/dev/null
  sub_pid=
}

finish() {
  echo "$1: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
