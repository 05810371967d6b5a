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
echo "demo: OK"
