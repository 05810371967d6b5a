#!/usr/bin/env bash
# End-to-end checks of `ledge agent` as a daemon: bundles dropped into its inbox are installed
# (or refused, or rolled back), the active model is served on its socket and swapped on
# commit, a SIGKILL in the middle of an install leaves a runnable model, and every install
# and rollback reaches Debian's mosquitto on a free 127.0.0.1 port.
#   agent_test.sh PATH_TO_LEDGE
ledge="$1"
example="$(dirname "$0")/../../examples/fashion_mnist"
source "$(dirname "$0")/lib.sh"
infer_version() {  # the model version the agent's socket answers with
  "$ledge" agent infer --socket "$tmp/state/infer.sock" --input image="$example/sample_0.npy" \
    2>/dev/null | sed -n 's/^model version //p'
}
version_is() { test "$(infer_version)" = "$1"; }
received_at_least() {  # received_at_least N KIND: N events of KIND reached the subscriber
  test "$(grep -c "/events/$2 " "$tmp/received.txt")" -ge "$1"
}

# Keys, a delegation, the model, golden vectors (right ones and wrong ones).
"$ledge" keygen -o "$tmp/root" >/dev/null
"$ledge" keygen -o "$tmp/signer" >/dev/null
"$ledge" bundle delegate --root "$tmp/root.key" --key "$tmp/signer.pub" --version 1 \
  -o "$tmp/d1.json" >/dev/null
"$ledge" compile "$example/model.onnx" -o "$tmp/model.ledge" >/dev/null
mkdir -p "$tmp/golden" "$tmp/golden_wrong" "$tmp/inbox"
cp "$example/sample_0.npy" "$tmp/golden/case0.input.image.npy"
"$ledge" run "$tmp/model.ledge" --input image="$example/sample_0.npy" --output-dir "$tmp/run0" \
  --format npy >/dev/null
cp "$tmp/run0/logits.npy" "$tmp/golden/case0.output.logits.npy"
cp "$example/sample_0.npy" "$tmp/golden_wrong/case0.input.image.npy"
"$ledge" run "$tmp/model.ledge" --input image="$example/sample_1.npy" --output-dir "$tmp/run1" \
  --format npy >/dev/null
cp "$tmp/run1/logits.npy" "$tmp/golden_wrong/case0.output.logits.npy"
bundle() {  # bundle OUT VERSION [GOLDEN_DIR]
  "$ledge" bundle create --model "$tmp/model.ledge" --golden "${3:-$tmp/golden}" --name fashion \
    --version "$2" --key "$tmp/signer.key" --delegation "$tmp/d1.json" -o "$1" >/dev/null
}
# Bundles arrive as .partial and are renamed, as an uploader must do.
deliver() { cp "$1" "$tmp/inbox/$2.partial" && mv "$tmp/inbox/$2.partial" "$tmp/inbox/$2"; }

# The broker and a subscriber that logs every message.
start_broker
start_subscriber

# The daemon, empty at first.
"$ledge" agent --state-dir "$tmp/state" --trust "$tmp/root.pub" --inbox "$tmp/inbox" \
  --broker "mqtt://127.0.0.1:$port" --poll-ms 100 --summary-seconds 1 >"$tmp/agent.out" 2>"$tmp/agent.err" &
daemon_pid=$!
check "socket appears" wait_for 10 test -S "$tmp/state/infer.sock"
"$ledge" agent infer --socket "$tmp/state/infer.sock" --input image="$example/sample_0.npy" \
  >/dev/null 2>"$tmp/infer.err"
check "no model yet: an error" grep -q "no model is installed" "$tmp/infer.err"

bundle "$tmp/v1.bundle" 1 && deliver "$tmp/v1.bundle" v1.bundle
check "v1 installed and served" wait_for 20 version_is 1
"$ledge" agent infer --socket "$tmp/state/infer.sock" --input image="$example/sample_0.npy" \
  --output-dir "$tmp/served" >/dev/null
check "served output equals ledge run" cmp -s "$tmp/served/logits.npy" "$tmp/run0/logits.npy"

bundle "$tmp/v2.bundle" 2 && deliver "$tmp/v2.bundle" v2.bundle
check "v2 swapped in while serving" wait_for 20 version_is 2

# A failed health check: rolled back, v2 keeps serving, the reason is on record.
bundle "$tmp/v3.bundle" 3 "$tmp/golden_wrong" && deliver "$tmp/v3.bundle" v3.bundle
check "v3 rolled back" wait_for 20 grep -q "v3.bundle: rolled_back" "$tmp/agent.out"
check "v2 still served" test "$(infer_version)" = 2

# A tampered bundle: rejected before any slot is touched.
bundle "$tmp/v4.bundle" 4
/usr/bin/python3 -c "
import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[len(b)//2]^=1; open(p,'wb').write(b)" "$tmp/v4.bundle"
deliver "$tmp/v4.bundle" v4.bundle
check "tampered v4 rejected" wait_for 20 grep -q "v4.bundle: rejected: tampered" "$tmp/agent.out"
check "v2 still served after v4" test "$(infer_version)" = 2

# A downgrade: refused as a rollback attack.
bundle "$tmp/v1b.bundle" 1 && deliver "$tmp/v1b.bundle" v1b.bundle
check "downgrade refused" wait_for 20 grep -q "v1b.bundle: rejected: rollback" "$tmp/agent.out"

"$ledge" agent status --state-dir "$tmp/state" --json >"$tmp/status.json"
check "status: v2 active" /usr/bin/python3 -c "
import json,sys; s=json.load(open(sys.argv[1])); assert s['active']['version']==2 and s['journal'] is None
assert sorted(r['bundle'] for r in s['rejected'])==['v1b.bundle','v3.bundle','v4.bundle'], s" "$tmp/status.json"

# Telemetry reached the broker: both installs, the rollback with its reason, the refusals.
check "commit events at the broker" wait_for 20 received_at_least 2 install_committed
check "rollback event with its reason" wait_for 20 grep -q '/events/rollback .*health check failed' "$tmp/received.txt"
check "rejection events" wait_for 20 received_at_least 2 install_rejected
check "inference summary" wait_for 20 grep -q '/events/inference_summary .*"count"' "$tmp/received.txt"
check "log lines as events" wait_for 20 grep -q "/events/log .*v3.bundle: rolled_back" "$tmp/received.txt"
kill "$daemon_pid" && wait "$daemon_pid"
check "SIGTERM: clean exit" test $? -eq 0
daemon_pid=
check "socket removed at exit" test ! -e "$tmp/state/infer.sock"

# SIGKILL in the middle of an install (at its 20th durable step: the slot is half written),
# then a restart: the install is finished, never neither model.
bundle "$tmp/v5.bundle" 5 && deliver "$tmp/v5.bundle" v5.bundle
(LEDGE_AGENT_FAULT=kill:20 "$ledge" agent --state-dir "$tmp/state" --trust "$tmp/root.pub" \
  --inbox "$tmp/inbox" --once >/dev/null 2>"$tmp/killed.err"; echo $? >"$tmp/killed.rc") 2>/dev/null
check "killed by the fault" test "$(cat "$tmp/killed.rc")" -eq 137
check "journal left behind" test -f "$tmp/state/journal.json"
"$ledge" agent status --state-dir "$tmp/state" >"$tmp/status.txt"
check "v2 active after the kill" grep -q '^active    fashion version 2' "$tmp/status.txt"
"$ledge" agent --state-dir "$tmp/state" --trust "$tmp/root.pub" --inbox "$tmp/inbox" --once \
  >/dev/null 2>"$tmp/recover.err"
check "restart recovers" grep -q "recovery: install of v5.bundle interrupted" "$tmp/recover.err"
"$ledge" agent status --state-dir "$tmp/state" >"$tmp/status.txt"
check "v5 active after recovery" grep -q '^active    fashion version 5' "$tmp/status.txt"

# Usage errors.
"$ledge" agent --state-dir "$tmp/state" >/dev/null 2>&1
check "missing --trust: exit 2" test $? -eq 2
"$ledge" agent infer --socket "$tmp/nowhere.sock" --input image="$example/sample_0.npy" >/dev/null 2>&1
check "no agent listening: I/O error" test $? -ne 0

finish "agent CLI"
