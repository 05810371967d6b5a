#!/usr/bin/env bash
# End-to-end checks of `ledge stream` with the Fashion-MNIST example model: a folder of test
# images (dir:, every frame decided, events checked against the labels), a synthetic 30 fps
# source (the frame accounting of the report), events through the durable queue to Debian's
# mosquitto, and clear errors for bad sources and rules.
#   stream_test.sh PATH_TO_LEDGE
ledge="$1"
model="$(dirname "$0")/../../examples/fashion_mnist/model.onnx"
images=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
labels=/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz
source "$(dirname "$0")/lib.sh"

if [ ! -f "$images" ]; then
  echo "stream_test.sh: dataset-fashion-mnist is not installed; skipped"
  exit 0
fi

# The first 16 test images as PNG files, and their labels, written with Python's standard
# library only.
/usr/bin/python3 - "$images" "$labels" "$tmp/frames" "$tmp/labels.txt" <<'PY'
import gzip, os, struct, sys, zlib
images, labels, out, label_file = sys.argv[1:5]
os.makedirs(out)
img = gzip.open(images).read()[16:]
lab = gzip.open(labels).read()[8:]
def png(pixels, w, h):
    def chunk(kind, data):
        c = kind + data
        return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c) & 0xffffffff)
    raw = b"".join(b"\0" + pixels[y * w:(y + 1) * w] for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
for i in range(16):
    open(os.path.join(out, "%03d.png" % i), "wb").write(png(img[i * 784:(i + 1) * 784], 28, 28))
open(label_file, "w").write(" ".join(str(b) for b in lab[:16]))
PY

# dir: every frame decided in order; --emit change fires where the top-1 class changes.
"$ledge" stream --model "$model" --source "dir:$tmp/frames" --emit change --json \
  >"$tmp/dir.out" 2>"$tmp/dir.err"
check "dir: exit 0" test $? -eq 0
grep '^{"event"' "$tmp/dir.out" >"$tmp/dir.events"
sed -n '/^{$/,$p' "$tmp/dir.out" >"$tmp/dir.json"
json_check "dir: 16 decided, none skipped" "$tmp/dir.json" \
  'j["produced"] == 16 and j["decided"] == 16 and j["skipped"] == 0 and j["pending"] == 0'
json_check "dir: report fields" "$tmp/dir.json" \
  'all(k in j for k in ("input_fps","output_fps","frame_age_ms","inference_ms","frame_to_decision_ms","cpu_temp_c","drift_alarms")) and j["inference_ms"]["p50"] > 0'
# The model gets most of these right: the change events, replayed over the labels, must
# name mostly correct classes, and every event must be a real change.
check "dir: change events" /usr/bin/python3 - "$tmp/dir.events" "$tmp/labels.txt" <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
labels = [int(x) for x in open(sys.argv[2]).read().split()]
assert events, "no change events"
assert all(e["event"] == "change" and e["class"] != e["previous"] for e in events), events
right = sum(e["class"] == labels[e["seq"]] for e in events)
assert right >= 0.8 * len(events), (right, len(events))
assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
PY

# A class rule: trousers (class 1) with probability >= 0.5; consecutive hits are one episode.
"$ledge" stream --model "$model" --source "dir:$tmp/frames" --emit 'class=1:0.5' \
  >"$tmp/class.out" 2>/dev/null
check "class rule: exit 0" test $? -eq 0
check "class rule: events are class 1 episodes" /usr/bin/python3 - "$tmp/class.out" "$tmp/labels.txt" <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{"event"')]
labels = [int(x) for x in open(sys.argv[2]).read().split()]
episodes = sum(1 for i, l in enumerate(labels) if l == 1 and (i == 0 or labels[i - 1] != 1))
assert events and all(e["class"] == 1 and e["confidence"] >= 0.5 for e in events), events
assert abs(len(events) - episodes) <= 1, (len(events), episodes)
PY

# synthetic: 30 fps of Fashion-MNIST images for 2 s; every frame accounted for.
"$ledge" stream --model "$model" --source "synthetic:fps=30,images=$images" --duration 2 \
  --json >"$tmp/syn.json" 2>"$tmp/syn.err"
check "synthetic: exit 0" test $? -eq 0
json_check "synthetic: produced = decided + skipped + pending" "$tmp/syn.json" \
  'j["produced"] == j["decided"] + j["skipped"] + j["pending"] and j["decided"] > 10'
json_check "synthetic: about 30 fps in" "$tmp/syn.json" '20 <= j["input_fps"] <= 34'
json_check "synthetic: soak summaries" "$tmp/syn.json" 'len(j["summaries"]) >= 1'
check "synthetic: summaries on stderr" grep -q 'fps in' "$tmp/syn.err"

# A rate drift (30 -> 20 fps after 1.5 s) raises the input-rate alarm, as an event too.
"$ledge" stream --model "$model" --source "synthetic:fps=30,drift_to=20,drift_after=1.5,images=$images" \
  --duration 3 --drift-baseline 1 --drift-window 0.7 --json >"$tmp/drift.out" 2>/dev/null
check "drift: exit 0" test $? -eq 0
check "drift: event line" grep -q '^{"event":"drift","measure":"input_fps"' "$tmp/drift.out"
sed -n '/^{$/,$p' "$tmp/drift.out" >"$tmp/drift.json"
json_check "drift: in the report" "$tmp/drift.json" \
  'any(a["measure"] == "input_fps" and a["current"] < 24 for a in j["drift_alarms"])'

# MQTT: events go through the durable queue (--state-dir) to the broker.
if have_broker; then
  start_broker
  start_subscriber
  "$ledge" stream --model "$model" --source "dir:$tmp/frames" --emit change \
    --to "mqtt://127.0.0.1:$port" --state-dir "$tmp/state" --device-id cam1 >"$tmp/mqtt.out" 2>"$tmp/mqtt.err"
  check "mqtt: exit 0" test $? -eq 0
  # Delivery is at least once (docs/telemetry.md): count distinct event ids.
  events=$(wc -l <"$tmp/dir.events")
  received() {
    grep '^ledge/cam1/events/stream_event ' "$tmp/received.txt" | grep -o '"id":"[0-9a-f]*"' | sort -u | wc -l
  }
  for _ in $(seq 50); do
    [ "$(received)" -ge "$events" ] && break
    sleep 0.1
  done
  check "mqtt: every change event received" test "$(received)" -eq "$events"
  check "mqtt: the final report received" grep -q '^ledge/cam1/events/stream_report ' "$tmp/received.txt"
  check "mqtt: no event lines on stdout" test "$(grep -c '^{"event"' "$tmp/mqtt.out")" -eq 0
  stop_subscriber
else
  echo "stream_test.sh: mosquitto not installed; MQTT part skipped"
fi

# --to agent: the events wait in the agent's durable queue (its uplink sends them).
"$ledge" stream --model "$model" --source "dir:$tmp/frames" --emit change --to agent \
  --state-dir "$tmp/agent_state" >"$tmp/agent.out" 2>"$tmp/agent.err"
check "to agent: exit 0" test $? -eq 0
queued=$("$ledge" telemetry --state-dir "$tmp/agent_state" --stats --json |
  /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
check "to agent: every event and the report queued" test "$queued" -eq $(($(wc -l <"$tmp/dir.events") + 1))
expect_error "agent without state dir" 2 "$ledge" stream --model "$model" --source "dir:$tmp/frames" --to agent

# --model agent:DIR: the device agent's active model, preprocessed as its signed bundle says.
"$ledge" keygen -o "$tmp/root" >/dev/null && "$ledge" keygen -o "$tmp/signer" >/dev/null
"$ledge" bundle delegate --root "$tmp/root.key" --key "$tmp/signer.pub" --version 1 -o "$tmp/d1.json" >/dev/null
"$ledge" compile "$model" -o "$tmp/model.ledge" >/dev/null
mkdir -p "$tmp/golden" "$tmp/inbox"
example="$(dirname "$model")"
cp "$example/sample_0.npy" "$tmp/golden/case0.input.image.npy"
"$ledge" run "$tmp/model.ledge" --input image="$example/sample_0.npy" --output-dir "$tmp/g" --format npy >/dev/null
cp "$tmp/g/logits.npy" "$tmp/golden/case0.output.logits.npy"
ship() {  # ship VERSION SPEC: a bundle with that preprocessing, installed by the agent
  "$ledge" bundle create --model "$tmp/model.ledge" --golden "$tmp/golden" --version "$1" \
    --key "$tmp/signer.key" --delegation "$tmp/d1.json" --preprocess "$2" -o "$tmp/inbox/v$1.bundle" >/dev/null &&
    "$ledge" agent --state-dir "$tmp/device" --trust "$tmp/root.pub" --inbox "$tmp/inbox" --once >/dev/null 2>&1
}
decisions() { grep '^{"event"' "$1" | /usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line); print(e["seq"], e.get("class"))'; }
ship 1 "channels=gray,scale=1/255"
"$ledge" stream --model "agent:$tmp/device" --source "dir:$tmp/frames" --emit change >"$tmp/agent_model.out" 2>&1
check "agent model: exit 0" test $? -eq 0
check "agent model: the same decisions as the model itself" test "$(decisions "$tmp/agent_model.out")" = "$(decisions "$tmp/dir.out")"
ship 2 "channels=gray,crop=20"  # the recorded spec is applied: 20x20 frames do not fit
expect_error "agent model: the bundle's preprocessing applies" 2 "$ledge" stream --model "agent:$tmp/device" --source "dir:$tmp/frames"
expect_error "agent model: not an agent folder" 2 "$ledge" stream --model "agent:$tmp/frames" --source "dir:$tmp/frames"
expect_error "bundle with a bad preprocess spec" 2 "$ledge" bundle create --model "$tmp/model.ledge" --golden "$tmp/golden" \
  --version 3 --key "$tmp/signer.key" --delegation "$tmp/d1.json" --preprocess normalize=often -o "$tmp/x.bundle"

expect_error "absent camera" 5 "$ledge" stream --model "$model" --source v4l2:/dev/video_ledge_absent
check "absent camera: names it" grep -q 'video_ledge_absent: cannot open' "$tmp/err"
expect_error "unknown source kind" 2 "$ledge" stream --model "$model" --source camera:0
expect_error "bad emit rule" 2 "$ledge" stream --model "$model" --source "dir:$tmp/frames" --emit 'class=x'
expect_error "mqtt without state dir" 2 "$ledge" stream --model "$model" --source "dir:$tmp/frames" --to mqtt://127.0.0.1:1
expect_error "bad preprocess" 2 "$ledge" stream --model "$model" --source "dir:$tmp/frames" --preprocess normalize=sometimes
expect_error "frames that do not fit the model" 2 "$ledge" stream --model "$model" --source "dir:$tmp/frames" --preprocess crop=20

finish "stream_test.sh"
