#!/usr/bin/env bash
# End-to-end demo: a Fashion-MNIST CNN trained with PyTorch (examples/fashion_mnist), run and
# evaluated by ledge alone. Needs the build at build/ (cmake -S . -B build && make -C build
# ledge) and Debian's dataset-fashion-mnist package. Exits non-zero if any step fails, if
# ledge misclassifies sample_0, or if its test accuracy differs from PyTorch's by more than
# one sample (0.01 points).
#
#   scripts/demo.sh                     # LEDGE=path/to/ledge and DATA=dir override the defaults
set -euo pipefail

cd "$(dirname "$0")/.."
LEDGE=${LEDGE:-build/ledge}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
EXAMPLE=examples/fashion_mnist
MODEL=$EXAMPLE/model.onnx
OUT=out/demo
CLASSES=("T-shirt/top" "Trouser" "Pullover" "Dress" "Coat" "Sandal" "Shirt" "Sneaker" "Bag"
         "Ankle boot")
SAMPLE0_LABEL=9  # see examples/fashion_mnist/README.md

fail() {
  echo "demo: $*" >&2
  exit 1
}
[[ -x $LEDGE ]] || fail "$LEDGE not found; build it first: cmake -S . -B build && make -C build ledge"
for f in t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
  [[ -r $DATA/$f ]] || fail "$DATA/$f not found (Debian package dataset-fashion-mnist)"
done

echo "== ledge inspect $MODEL"
"$LEDGE" inspect "$MODEL"

echo
echo "== ledge run $MODEL --input image=$EXAMPLE/sample_0.npy --output-dir $OUT"
rm -f "$OUT/logits.npy"
"$LEDGE" run "$MODEL" --input "image=$EXAMPLE/sample_0.npy" --output-dir "$OUT"
# The argmax of the ten float32 logits in out/demo/logits.npy, read with od: an .npy file is
# a 10-byte preamble whose bytes 8-9 give the header length (little-endian), then the header,
# then the data.
npy=$OUT/logits.npy
[[ -r $npy ]] || fail "ledge run wrote no $npy"
read -r lo hi < <(od -A n -t u1 -j 8 -N 2 "$npy")
offset=$((10 + lo + 256 * hi))
predicted=$(od -A n -v -t f4 -j "$offset" -N 40 "$npy" | tr -s ' ' '\n' | grep -v '^$' |
  awk 'NR == 1 || $1 > best { best = $1; arg = NR - 1 } END { if (NR == 10) print arg }')
[[ -n $predicted ]] || fail "$npy does not hold 10 logits"
echo "predicted class: $predicted (${CLASSES[$predicted]}); label: $SAMPLE0_LABEL (${CLASSES[$SAMPLE0_LABEL]})"
[[ $predicted == "$SAMPLE0_LABEL" ]] || fail "sample_0 misclassified"

echo
echo "== ledge evaluate $MODEL (Fashion-MNIST test set)"
report=$("$LEDGE" evaluate "$MODEL" --images "$DATA/t10k-images-idx3-ubyte.gz" \
  --labels "$DATA/t10k-labels-idx1-ubyte.gz")
echo "$report"
correct=$(sed -n 's/^top-1 accuracy: .*(\([0-9]*\)\/[0-9]*)$/\1/p' <<<"$report")
reference=$(sed -n 's/^ *"correct": \([0-9]*\),$/\1/p' "$EXAMPLE/metrics.json" | head -n 1)
[[ -n $correct && -n $reference ]] || fail "cannot read the accuracies to compare"
diff=$((correct > reference ? correct - reference : reference - correct))
echo
echo "ledge: $correct correct; PyTorch: $reference correct (of 10000)"
((diff <= 1)) || fail "ledge's accuracy differs from PyTorch's by $diff samples"

# The deployable form: compile to a .ledge artifact (optimized, lowered for the CPU, weights
# laid out for the kernels), run it with the device runner, and time it.
RUNNER=${RUNNER:-$(dirname "$LEDGE")/ledge-run}
echo
echo "== ledge compile $MODEL -o $OUT/model.ledge"
"$LEDGE" compile "$MODEL" -o "$OUT/model.ledge"
if [[ -x $RUNNER ]]; then
  echo
  echo "== $RUNNER $OUT/model.ledge (the device runner: no protobuf)"
  "$RUNNER" "$OUT/model.ledge" --input "image=$EXAMPLE/sample_0.npy" --output-dir "$OUT/device"
  cmp -s "$OUT/device/logits.npy" "$OUT/logits.npy" || fail "the device runner's logits differ"
  echo "the device runner's logits equal ledge run's"
fi
echo
echo "== ledge bench $OUT/model.ledge"
"$LEDGE" bench "$OUT/model.ledge" --iterations 200

# Quantization: int8 with 1,000 class-balanced calibration images, then where it differs
# from the float model, on the test set and on the same images at 35% brightness.
echo
echo "== ledge quantize $MODEL (int8, per-channel weights, 1000 calibration images)"
"$LEDGE" quantize "$MODEL" --calibration "$DATA/train-images-idx3-ubyte.gz" \
  --labels "$DATA/train-labels-idx1-ubyte.gz" --balance-classes --samples 1000 \
  -o "$OUT/model.int8.onnx"
for brightness in 1 0.35; do
  echo
  echo "== ledge validate: float vs int8, test set at brightness $brightness"
  "$LEDGE" validate --reference "$MODEL" --candidate "$OUT/model.int8.onnx" \
    --data "$DATA/t10k-images-idx3-ubyte.gz" --labels "$DATA/t10k-labels-idx1-ubyte.gz" \
    --brightness "$brightness" --html "$OUT/validate_$brightness.html" | sed -n '1,11p;/^layers/,/^disagreeing/p'
done
echo "(HTML reports: $OUT/validate_1.html, $OUT/validate_0.35.html)"

# The int8 artifact: the same quantization compiled for devices, on integer kernels.
echo
echo "== ledge quantize $MODEL -o $OUT/model.int8.ledge (integer kernels)"
"$LEDGE" quantize "$MODEL" --calibration "$DATA/train-images-idx3-ubyte.gz" \
  --labels "$DATA/train-labels-idx1-ubyte.gz" --balance-classes --samples 1000 \
  -o "$OUT/model.int8.ledge" | tail -n 2
echo "artifact sizes: float $(stat -c %s "$OUT/model.ledge") bytes, int8 $(stat -c %s "$OUT/model.int8.ledge") bytes"
"$LEDGE" evaluate "$OUT/model.int8.ledge" --images "$DATA/t10k-images-idx3-ubyte.gz" \
  --labels "$DATA/t10k-labels-idx1-ubyte.gz" | grep -E '^(top-1|throughput)'
if [[ -x $RUNNER ]]; then
  "$RUNNER" "$OUT/model.int8.ledge" --input "image=$EXAMPLE/sample_0.npy" --output-dir "$OUT/device_int8" \
    --iterations 200 | tail -n 1
fi
# Shipping: sign a bundle of the compiled model with golden vectors, have a local agent
# install it (A/B slots, health check, atomic switch), serve it on its socket, refuse a
# tampered bundle, roll back a bundle whose health check fails, and send every event to a
# local MQTT broker (Debian's mosquitto on a free 127.0.0.1 port).
SHIP=$OUT/ship
rm -rf "$SHIP" && mkdir -p "$SHIP/golden" "$SHIP/golden_wrong" "$SHIP/inbox"
broker_pid= sub_pid= agent_pid=
stop_ship() {
  [[ -n $agent_pid ]] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
  [[ -n $sub_pid ]] && kill "$sub_pid" 2>/dev/null
  [[ -n $broker_pid ]] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null
  return 0
}
trap stop_ship EXIT
wait_for() {  # wait_for SECONDS CONDITION...
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}
echo
echo "== ledge keygen, ledge bundle delegate: a root key delegates to a signing key"
"$LEDGE" keygen -o "$SHIP/root"
"$LEDGE" keygen -o "$SHIP/signer"
"$LEDGE" bundle delegate --root "$SHIP/root.key" --key "$SHIP/signer.pub" --version 1 -o "$SHIP/delegation.json"
cp "$EXAMPLE/sample_0.npy" "$SHIP/golden/case0.input.image.npy"
cp "$OUT/logits.npy" "$SHIP/golden/case0.output.logits.npy"
cp "$EXAMPLE/sample_0.npy" "$SHIP/golden_wrong/case0.input.image.npy"
"$LEDGE" run "$MODEL" --input "image=$EXAMPLE/sample_1.npy" --output-dir "$SHIP/other" >/dev/null
cp "$SHIP/other/logits.npy" "$SHIP/golden_wrong/case0.output.logits.npy"  # wrong on purpose
make_bundle() {  # make_bundle OUT VERSION GOLDEN_DIR
  "$LEDGE" bundle create --model "$OUT/model.ledge" --golden "$3" --name fashion-cnn \
    --version "$2" --key "$SHIP/signer.key" --delegation "$SHIP/delegation.json" -o "$1"
}
echo
echo "== ledge bundle create (version 1, signed) and verify"
make_bundle "$SHIP/v1.bundle" 1 "$SHIP/golden"
"$LEDGE" bundle verify "$SHIP/v1.bundle" --trust "$SHIP/root.pub"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$port" >"$SHIP/mosquitto.conf"
[[ $(id -u) -eq 0 ]] && echo 'user root' >>"$SHIP/mosquitto.conf"
/usr/sbin/mosquitto -c "$SHIP/mosquitto.conf" >"$SHIP/mosquitto.log" 2>&1 &
broker_pid=$!
wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null || fail "mosquitto did not start"
mosquitto_sub -h 127.0.0.1 -p "$port" -q 1 -v -t 'ledge/#' >"$SHIP/received.txt" &
sub_pid=$!
sleep 0.5

echo
echo "== ledge agent --state-dir $SHIP/state --inbox $SHIP/inbox --broker mqtt://127.0.0.1:$port"
"$LEDGE" agent --state-dir "$SHIP/state" --trust "$SHIP/root.pub" --inbox "$SHIP/inbox" \
  --broker "mqtt://127.0.0.1:$port" --poll-ms 100 --summary-seconds 1 >"$SHIP/agent.out" 2>&1 &
agent_pid=$!
deliver() { cp "$1" "$SHIP/inbox/$2.partial" && mv "$SHIP/inbox/$2.partial" "$SHIP/inbox/$2"; }
infer() { "$LEDGE" agent infer --socket "$SHIP/state/infer.sock" --input "image=$EXAMPLE/sample_0.npy"; }
served_version() { infer 2>/dev/null | grep -q "^model version $1$"; }
deliver "$SHIP/v1.bundle" v1.bundle
wait_for 30 served_version 1 || fail "the agent did not install version 1"
echo "installed: $(grep 'v1.bundle' "$SHIP/agent.out")"
echo "== ledge agent infer (the agent's socket answers with the active model)"
infer

echo
echo "== a tampered bundle (one bit flipped after signing) is rejected"
make_bundle "$SHIP/v2.bundle" 2 "$SHIP/golden" >/dev/null
python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[len(b)//2]^=1; open(p,'wb').write(b)" "$SHIP/v2.bundle"
deliver "$SHIP/v2.bundle" v2-tampered.bundle
wait_for 30 grep -q "v2-tampered.bundle: rejected" "$SHIP/agent.out" || fail "tampered bundle not rejected"
grep "v2-tampered.bundle" "$SHIP/agent.out"

echo
echo "== a bundle whose health check fails (wrong golden outputs) is rolled back"
make_bundle "$SHIP/v3.bundle" 3 "$SHIP/golden_wrong" >/dev/null
deliver "$SHIP/v3.bundle" v3.bundle
wait_for 30 grep -q "v3.bundle: rolled_back" "$SHIP/agent.out" || fail "bad bundle not rolled back"
grep "v3.bundle" "$SHIP/agent.out"
served_version 1 || fail "version 1 is no longer served after the rollback"
echo "still serving version 1"

echo
echo "== a good version 4 is installed and swapped in while serving"
make_bundle "$SHIP/v4.bundle" 4 "$SHIP/golden" >/dev/null
deliver "$SHIP/v4.bundle" v4.bundle
wait_for 30 served_version 4 || fail "the agent did not install version 4"
"$LEDGE" agent status --state-dir "$SHIP/state"

echo
echo "== telemetry at the local broker (mosquitto_sub on ledge/#)"
wait_for 30 grep -q '/events/install_committed .*"version":4' "$SHIP/received.txt" ||
  fail "the broker did not receive the install of version 4"
wait_for 10 grep -q '/events/rollback ' "$SHIP/received.txt" || fail "no rollback event at the broker"
echo "$(grep -c . "$SHIP/received.txt") messages received; installs, refusals and rollbacks:"
grep -E '/events/(install_committed|install_rejected|rollback) ' "$SHIP/received.txt" |
  python3 -c '
import json, sys
for line in sys.stdin:
    topic, message = line.split(" ", 1)
    m = json.loads(message)
    print("  %s  seq %d  %s" % (topic, m["seq"], json.dumps(m["payload"])[:150]))'
stop_ship
agent_pid= sub_pid= broker_pid=
echo "demo: OK"
