#!/usr/bin/env bash
# End-to-end checks of `ledge telemetry` against Debian's mosquitto on a free 127.0.0.1 port:
# record, stats, drain to the broker (seen by mosquitto_sub), privacy default, corrupt queue
# file, and one-line errors with their exit codes.
#   telemetry_test.sh PATH_TO_LEDGE
ledge="$1"
source "$(dirname "$0")/lib.sh"

start_broker

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
start_subscriber
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
stop_broker
expect_error "broker down" 5 "$ledge" telemetry --state-dir "$state" --broker "mqtt://127.0.0.1:$port" --once --timeout 1
"$ledge" telemetry --state-dir "$state" --stats >"$tmp/kept.txt"
check "broker down: the events stay queued" grep -q '^queued *1 events' "$tmp/kept.txt"

finish "telemetry CLI"
