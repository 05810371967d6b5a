#!/usr/bin/env bash
# End-to-end checks of `ledge telemetry` against Debian's mosquitto on a free 127.0.0.1 port:
# record, stats, drain to the broker (seen by mosquitto_sub), privacy default, corrupt queue
# file, and one-line errors with their exit codes.
#   telemetry_test.sh PATH_TO_LEDGE
set -uo pipefail
ledge="$1"
tmp=$(mktemp -d)
broker_pid=
sub_pid=
cleanup() {
  [ -n "$sub_pid" ] && kill "$sub_pid" 2>/dev/null
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
passed=0
failed=0
check() {  # check NAME CONDITION...
  local name="$1"; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name"; fi
}
expect_error() {  # expect_error NAME EXIT_CODE CMD...: that exit code, last stderr line "ledge: "
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

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$port" >"$tmp/mosquitto.conf"
[ "$(id -u)" -eq 0 ] && echo 'user root' >>"$tmp/mosquitto.conf"
/usr/sbin/mosquitto -c "$tmp/mosquitto.conf" >"$tmp/mosquitto.log" 2>&1 &
broker_pid=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.05
done

state="$tmp/state"
for i in 0 1 2 3 4; do
  "$ledge" telemetry --state-dir "$state" --record tick --payload "{\"i\":$i}"
done
check "record exit 0" test $? -eq 0
"$ledge" telemetry --state-dir "$state" --record raw_input --payload '{"pixels":[1,2,3]}'
"$ledge" telemetry --state-dir "$state" --stats >"$tmp/stats.txt"
check "stats counts 6 queued" grep -q '^queued *6 events' "$tmp/stats.txt"
device=$("$ledge" telemetry --state-dir "$state" --stats --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["device_id"])')
check "a device id was generated" test -n "$device"

# The subscriber is ready once it holds its connection; then the backlog goes out.
mosquitto_sub -h 127.0.0.1 -p "$port" -q 1 -v -t 'ledge/#' >"$tmp/received.txt" &
sub_pid=$!
sleep 0.5
"$ledge" telemetry --state-dir "$state" --broker "mqtt://127.0.0.1:$port" --once >"$tmp/send.txt" 2>"$tmp/send.err"
check "--once exit 0" test $? -eq 0
check "sent 5, withheld 1" grep -q 'sent 5 events (5 acknowledged), 1 raw events withheld' "$tmp/send.txt"
for _ in $(seq 50); do
  [ "$(grep -c "^ledge/$device/events/tick " "$tmp/received.txt")" -ge 5 ] && break
  sleep 0.1
done
check "5 ticks received" test "$(grep -c "^ledge/$device/events/tick " "$tmp/received.txt")" -eq 5
check "in order" test "$(grep -o '"i":[0-9]' "$tmp/received.txt" | tr -d '\n')" = '"i":0"i":1"i":2"i":3"i":4'
check "raw input never sent" test "$(grep -c 'raw_input' "$tmp/received.txt")" -eq 0
check "stats message" grep -q "^ledge/$device/stats .*\"refused_raw\":1" "$tmp/received.txt"
"$ledge" telemetry --state-dir "$state" --stats --json >"$tmp/after.json"
check "queue empty after ack" grep -q '"count": 0' "$tmp/after.json"
check "refused raw counted" grep -q '"refused_raw": 1' "$tmp/after.json"

# --device-id names the topic; --duration runs the uplink in the background for that long.
"$ledge" telemetry --state-dir "$state" --record tick --payload '{"i":9}'
"$ledge" telemetry --state-dir "$state" --broker "mqtt://127.0.0.1:$port" --device-id cam-7 \
  --duration 1 >/dev/null 2>&1
check "--duration exit 0" test $? -eq 0
sleep 0.3
check "--device-id topic" grep -q '^ledge/cam-7/events/tick .*"i":9' "$tmp/received.txt"

# A corrupt queue file is set aside and the queue starts again.
printf 'this is not a database%.0s' $(seq 400) >"$state/telemetry.db"
rm -f "$state/telemetry.db-wal" "$state/telemetry.db-shm"
"$ledge" telemetry --state-dir "$state" --stats >"$tmp/q.txt" 2>"$tmp/q.err"
check "corrupt file: stats exit 0" test $? -eq 0
check "corrupt file: quarantined counted" grep -q '^quarantined *1' "$tmp/q.txt"
check "corrupt file: reported" grep -q 'moved to .*telemetry.db.corrupt-' "$tmp/q.err"
check "corrupt file kept aside" test -n "$(ls "$state" | grep 'telemetry.db.corrupt-')"

# Errors: exit 2 for bad arguments, 5 for an unreachable broker (nothing lost).
expect_error "bad broker URL" 2 "$ledge" telemetry --state-dir "$state" --broker "tcp://127.0.0.1:$port"
expect_error "no port" 2 "$ledge" telemetry --state-dir "$state" --broker mqtt://127.0.0.1
expect_error "no mode" 2 "$ledge" telemetry --state-dir "$state"
expect_error "two modes" 2 "$ledge" telemetry --state-dir "$state" --stats --record x
expect_error "bad kind" 2 "$ledge" telemetry --state-dir "$state" --record 'a/b'
expect_error "bad payload" 2 "$ledge" telemetry --state-dir "$state" --record x --payload '[1]'
expect_error "bad device id" 2 "$ledge" telemetry --state-dir "$state" --broker "mqtt://127.0.0.1:$port" --device-id 'a+b' --once
expect_error "state dir is a file" 5 "$ledge" telemetry --state-dir "$tmp/mosquitto.conf" --stats
kill "$broker_pid"; wait "$broker_pid" 2>/dev/null; broker_pid=
expect_error "broker down" 5 "$ledge" telemetry --state-dir "$state" --broker "mqtt://127.0.0.1:$port" --once --timeout 1
"$ledge" telemetry --state-dir "$state" --stats >"$tmp/kept.txt"
check "broker down: the events stay queued" grep -q '^queued *1 events' "$tmp/kept.txt"

echo "telemetry CLI: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
