#!/bin/sh
# What per-image standardization recovers on darkened Fashion-MNIST test images.
#
#   examples/fashion_mnist/brightness_experiment.sh            # from the repository root
#   RETRAIN=1 examples/fashion_mnist/brightness_experiment.sh  # also retrain the second model
#
# Accuracy (all measured by ledge, not PyTorch) at 100 % and 35 % brightness of:
#   1. model.onnx as it is (trained on pixel / 255);
#   2. model.onnx with each test image standardized at inference only;
#   3. model_standardized.onnx (the same architecture and training run as model.onnx, but on
#      standardized images: train.py --normalize standardize) with standardized test images;
#   4. model_brightness_augmented.onnx (the same, but on pixel / 255 with each training image
#      darkened by a random factor in [0.3, 1]: train.py --brightness-augment 0.3).
# `ledge validate --brightness F` multiplies every pixel value by F, then `--normalize
# standardize` standardizes each image, as a camera pipeline would after the light changed.
# The model is given as both reference and candidate; its accuracy is `reference_correct`.
#
# Environment: LEDGE (default build/ledge), DATA (default /usr/share/datasets/fashion-mnist),
# OUT (default out/brightness: logs and a retrained model), PYTHON (default /usr/bin/python3),
# EPOCHS (default 8, as model.onnx), RETRAIN=1 to retrain models 3 and 4 into $OUT instead of
# using the committed ones (8 epochs each, about 5 minutes on one CPU thread).
set -eu

HERE=$(dirname "$0")
LEDGE=${LEDGE:-build/ledge}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
OUT=${OUT:-out/brightness}
PYTHON=${PYTHON:-/usr/bin/python3}
EPOCHS=${EPOCHS:-8}
mkdir -p "$OUT"

# trained NAME TRAIN_OPTIONS...: the committed examples/fashion_mnist/NAME.onnx, or one trained
# into $OUT/NAME/model.onnx when it is missing or RETRAIN=1. Prints the model's path.
trained() {
  name=$1
  shift
  if [ "${RETRAIN:-0}" != 1 ] && [ -f "$HERE/$name.onnx" ]; then
    echo "$HERE/$name.onnx"
    return
  fi
  t0=$(date +%s)
  "$PYTHON" "$HERE/train.py" "$@" --epochs "$EPOCHS" --threads 1 --out-dir "$OUT/$name" \
    >"$OUT/train_$name.log"
  echo "$name: trained in $(($(date +%s) - t0)) s of wall time ($OUT/train_$name.log)" >&2
  cp "$OUT/$name/model.onnx" "$OUT/$name.onnx"
  echo "$OUT/$name.onnx"
}

STD_MODEL=$(trained model_standardized --normalize standardize)
AUG_MODEL=$(trained model_brightness_augmented --brightness-augment 0.3)

# accuracy MODEL BRIGHTNESS [NORMALIZE]: prints "accuracy % (correct/total)".
accuracy() {
  json=$OUT/validate_$(basename "$1" .onnx)_$2_${3:-none}.json
  if [ -n "${3:-}" ]; then set -- "$1" "$2" --normalize "$3"; else set -- "$1" "$2"; fi
  model=$1 brightness=$2
  shift 2
  "$LEDGE" validate --reference "$model" --candidate "$model" \
    --data "$DATA/t10k-images-idx3-ubyte.gz" --labels "$DATA/t10k-labels-idx1-ubyte.gz" \
    --brightness "$brightness" --layer-samples 0 --json "$@" >"$json"
  "$PYTHON" -c 'import json, sys; r = json.load(open(sys.argv[1]))
print("%.2f %% (%d/%d)" % (100 * r["reference_top1"], r["reference_correct"], r["samples"]))' \
    "$json"
}

start=$(date +%s)
echo "| model | inference input | 100 % brightness | 35 % brightness |"
echo "|---|---|---|---|"
echo "| model.onnx | pixel / 255 | $(accuracy "$HERE/model.onnx" 1.0) | $(accuracy "$HERE/model.onnx" 0.35) |"
echo "| model.onnx | standardized | $(accuracy "$HERE/model.onnx" 1.0 standardize) |" \
  "$(accuracy "$HERE/model.onnx" 0.35 standardize) |"
echo "| $(basename "$STD_MODEL") (trained standardized) | standardized |" \
  "$(accuracy "$STD_MODEL" 1.0 standardize) | $(accuracy "$STD_MODEL" 0.35 standardize) |"
echo "| $(basename "$AUG_MODEL") (trained on darkened copies) | pixel / 255 |" \
  "$(accuracy "$AUG_MODEL" 1.0) | $(accuracy "$AUG_MODEL" 0.35) |"
echo "evaluation took $(($(date +%s) - start)) s of wall time"
