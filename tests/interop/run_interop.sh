#!/usr/bin/env bash
# Interop test: real model architectures from the field (torchvision classifiers, OCR detector and
# recognizer, keyword spotter, TensorFlow- and Paddle-converter-style graphs) must load in ledge
# and give the same outputs as ONNX Runtime.
#   bash tests/interop/run_interop.sh BUILD_DIR
# Uses BUILD_DIR/ledge; generates the models once into BUILD_DIR/interop/models (again when
# make_models.py changes); installs onnxruntime-node into tools/ort/node_modules when missing.
# Prints one line per model and ends with "interop: N passed, N failed"; exits 1 on any failure.
# Environment: INTEROP_ONLY=name,name runs only those models; INTEROP_RTOL / INTEROP_ATOL change
# the tolerance (default rtol 1e-3, atol 1e-4); INTEROP_TIMEOUT bounds each run (seconds, 600);
# INTEROP_LOCALIZE=0 skips looking for the first differing node of a failing model.
# Each model is also optimized (`ledge optimize`) and ONNX Runtime must give the same results on
# the optimized file as on the original: one more line per model, "NAME.optimized"; the last
# line counts those separately. INTEROP_OPTIMIZE=0 skips this.
# The example model, resnet18, mobilenet_v2, squeezenet1_1 and mobilenet_v3_small are also quantized (`ledge
# quantize`) and ledge and ONNX Runtime must agree on the QDQ files; INTEROP_QDQ=0 skips this.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "$1" && pwd)"
ledge="$build/ledge"
py=/usr/bin/python3  # Debian's: it has torch, torchvision, onnx and numpy
here="$root/tests/interop"
rtol="${INTEROP_RTOL:-1e-3}"
atol="${INTEROP_ATOL:-1e-4}"
limit="${INTEROP_TIMEOUT:-600}"

[ -x "$ledge" ] || { echo "interop: $ledge not found (build the ledge target)" >&2; exit 2; }
command -v node >/dev/null || { echo "interop: node not found (scripts/install_deps.sh)" >&2; exit 2; }

# ONNX Runtime for Node: the package ships its native library; its install scripts only fetch
# optional GPU parts, so they are skipped. A lock keeps two concurrent test runs from racing.
ort_dir="$root/tools/ort"
if [ ! -f "$ort_dir/node_modules/onnxruntime-node/package.json" ]; then
  echo "interop: installing onnxruntime-node into $ort_dir/node_modules"
  (
    flock 9
    if [ ! -f "$ort_dir/node_modules/onnxruntime-node/package.json" ]; then
      cd "$ort_dir" && npm ci --ignore-scripts --no-audit --no-fund >&2
    fi
  ) 9>"$ort_dir/.install.lock"
fi

# Models: regenerated only when make_models.py changed (the stamp holds its hash).
models="$build/interop/models"
stamp="$(sha256sum "$here/make_models.py" | cut -d' ' -f1)"
if [ "$(cat "$models/.stamp" 2>/dev/null || true)" != "$stamp" ] || [ ! -f "$models/manifest.txt" ]; then
  echo "interop: generating models into $models"
  rm -rf "$models.tmp"
  if ! "$py" "$here/make_models.py" "$models.tmp" >"$build/interop.make_models.log" 2>&1; then
    tail -20 "$build/interop.make_models.log" >&2
    echo "interop: make_models.py failed (log: $build/interop.make_models.log)" >&2
    exit 1
  fi
  echo "$stamp" >"$models.tmp/.stamp"
  rm -rf "$models"
  mv "$models.tmp" "$models"
fi

out="$build/interop/out"
rm -rf "$out"
mkdir -p "$out"
only=",${INTEROP_ONLY:-},"
passed=0
failed=0
opt_passed=0
opt_failed=0
# check_optimized NAME MODEL ORT_ARGS...: ORT on the optimized model against ORT on the original.
check_optimized() {
  local name="$1" model="$2"
  shift 2
  local opt="$out/$name/optimized.onnx"
  if ! "$ledge" optimize "$models/$model" -o "$opt" --check >"$out/$name.optimize.log" 2>&1; then
    echo "$name.optimized  FAIL  ledge optimize: $(tail -1 "$out/$name.optimize.log")"
    return 1
  fi
  if ! timeout "$limit" node "$ort_dir/run.js" "$opt" "$out/$name/ort_optimized" "$@" \
       >"$out/$name.ort_optimized.log" 2>&1; then
    echo "$name.optimized  FAIL  ONNX Runtime: $(tail -1 "$out/$name.ort_optimized.log")"
    return 1
  fi
  "$py" "$here/compare.py" --model "$opt" --name "$name.optimized" --rtol "$rtol" --atol "$atol" \
    --ort "$out/$name/ort" --ledge "$out/$name/ort_optimized"
}

while read -r -u 3 name model specs; do
  [ -n "$name" ] || continue
  if [ "$only" != ",," ] && [[ "$only" != *",$name,"* ]]; then continue; fi
  read -r -a inputs <<<"$specs"
  ort_args=()
  ledge_args=()
  for spec in "${inputs[@]}"; do
    ort_args+=("${spec%%=*}=$models/${spec#*=}")
    ledge_args+=(--input "${spec%%=*}=$models/${spec#*=}")
  done
  cmp=("$py" "$here/compare.py" --model "$models/$model" --name "$name" --rtol "$rtol"
       --atol "$atol" --ort "$out/$name/ort" --ledge "$out/$name/ledge")

  if ! timeout "$limit" node "$ort_dir/run.js" "$models/$model" "$out/$name/ort" "${ort_args[@]}" \
       >"$out/$name.ort.log" 2>&1; then
    # The reference itself failed: a broken model or tool, reported as this model's failure.
    echo "$name  FAIL  ONNX Runtime: $(tail -1 "$out/$name.ort.log")"
    failed=$((failed + 1))
    continue
  fi
  if [ "${INTEROP_OPTIMIZE:-1}" != "0" ]; then
    if check_optimized "$name" "$model" "${ort_args[@]}"; then
      opt_passed=$((opt_passed + 1))
    else
      opt_failed=$((opt_failed + 1))
    fi
  fi
  if timeout "$limit" "$ledge" run "$models/$model" "${ledge_args[@]}" \
       --output-dir "$out/$name/ledge" >"$out/$name.ledge.log" 2>&1; then
    if "${cmp[@]}"; then
      passed=$((passed + 1))
      continue
    fi
    failed=$((failed + 1))
    if [ "${INTEROP_LOCALIZE:-1}" != "0" ]; then
      "$py" "$here/localize.py" --model "$models/$model" --ledge "$ledge" --work "$out/$name/probe" \
        --rtol "$rtol" --atol "$atol" --timeout "$limit" "${ort_args[@]}" || true
    fi
  else
    rc=$?
    [ "$rc" -eq 124 ] && echo "ledge: timed out after ${limit}s" >>"$out/$name.ledge.log"
    "${cmp[@]}" --ledge-error "$out/$name.ledge.log" || true
    failed=$((failed + 1))
  fi
done 3<"$models/manifest.txt"

# Quantized models: `ledge quantize` writes QDQ ONNX (calibrated on the model's own input);
# both runtimes run it on integer kernels. Each 8-bit tensor can differ by a step where an
# accumulator lands near a rounding boundary (ONNX Runtime's QLinearAdd and integer average
# pooling round in fixed point; ledge keeps the QDQ float arithmetic for those), and a step
# early in a deep network moves logits by a few hundredths (mobilenet_v2: 0.06 on logits of
# magnitude 3.5; the float-kernel QDQ path differs from both by as much).
q_passed=0
q_failed=0
qdq_check() {  # qdq_check NAME MODEL CALIBRATION INPUT_SPEC [ATOL]
  local name="$1" model="$2" calibration="$3" spec="$4" atol="${5:-0.1}"
  local q="$out/$name.qdq/model.onnx"
  mkdir -p "$out/$name.qdq"
  if ! "$ledge" quantize "$model" --calibration "$calibration" --samples 200 -o "$q" \
       >"$out/$name.qdq.log" 2>&1; then
    echo "$name.qdq  FAIL  ledge quantize: $(tail -1 "$out/$name.qdq.log")"
    return 1
  fi
  node "$ort_dir/run.js" "$q" "$out/$name.qdq/ort" "$spec" >"$out/$name.qdq.ort.log" 2>&1 &&
    "$ledge" run "$q" --input "$spec" --output-dir "$out/$name.qdq/ledge" \
      >"$out/$name.qdq.ledge.log" 2>&1 &&
    "$py" "$here/compare.py" --model "$q" --name "$name.qdq" --rtol 0.02 --atol "$atol" \
      --ort "$out/$name.qdq/ort" --ledge "$out/$name.qdq/ledge"
}
# Weight-only int4 (`ledge quantize --weights int4`): the Gemm/MatMul layers and 1x1
# convolutions become com.microsoft MatMulNBits, which ONNX Runtime runs too; both dequantize
# the same codes, so only float rounding separates them. With int8 compute (the default,
# accuracy_level 4) ONNX Runtime rounds the activations of every product to int8, while
# ledge does so only for products of a few rows (a convolution's many pixels take the float
# GEMM): models with int4 convolutions are compared with --int4-compute float.
int4_check() {  # int4_check NAME MODEL INPUT_SPEC [COMPUTE]
  local name="$1" model="$2" spec="$3" compute="${4:-int8}"
  local q="$out/$name.int4/model.onnx"
  mkdir -p "$out/$name.int4"
  if ! "$ledge" quantize "$model" --weights int4 --int4-compute "$compute" -o "$q" \
       >"$out/$name.int4.log" 2>&1; then
    echo "$name.int4  FAIL  ledge quantize: $(tail -1 "$out/$name.int4.log")"
    return 1
  fi
  node "$ort_dir/run.js" "$q" "$out/$name.int4/ort" "$spec" >"$out/$name.int4.ort.log" 2>&1 &&
    "$ledge" run "$q" --input "$spec" --output-dir "$out/$name.int4/ledge" \
      >"$out/$name.int4.ledge.log" 2>&1 &&
    "$py" "$here/compare.py" --model "$q" --name "$name.int4" --rtol 1e-3 --atol 1e-4 \
      --ort "$out/$name.int4/ort" --ledge "$out/$name.int4/ledge"
}
if [ "${INTEROP_QDQ:-1}" != "0" ] && { [ "$only" = ",," ] || [[ "$only" == *",fashion_mnist,"* ]]; }; then
  fm="$root/examples/fashion_mnist"
  if qdq_check fashion_mnist "$fm/model.onnx" /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz \
       "image=$fm/sample_0.npy"; then q_passed=$((q_passed + 1)); else q_failed=$((q_failed + 1)); fi
  if int4_check fashion_mnist "$fm/model.onnx" "image=$fm/sample_0.npy"; then
    q_passed=$((q_passed + 1)); else q_failed=$((q_failed + 1)); fi
  # squeezenet: its Concats run on the integers (one scale for a Concat's inputs and output).
  for name in resnet18 mobilenet_v2 squeezenet1_1; do
    if qdq_check "$name" "$models/$name.onnx" "$models/$name.input.npy" \
         "input=$models/$name.input.npy"; then q_passed=$((q_passed + 1)); else q_failed=$((q_failed + 1)); fi
  done
  # mobilenet_v3_small: lookups (HardSwish, HardSigmoid), QMul and QGlobalAveragePool of its
  # squeeze-and-excitation blocks: integer from the first Q to the logits. Its nine SE blocks
  # amplify single-step differences: ledge's reference kernels on the same QDQ file
  # (`ledge run --no-optimize`, float arithmetic as written) differ from ONNX Runtime's by
  # 0.28 on logits of magnitude 4.2, more than ledge's integer path differs from them (0.08).
  name=mobilenet_v3_small
  if qdq_check "$name" "$models/$name.onnx" "$models/$name.input.npy" \
       "input=$models/$name.input.npy" 0.4; then q_passed=$((q_passed + 1)); else q_failed=$((q_failed + 1)); fi
  # resnet18: only its classifier (its 1x1 convolutions have stride 2); mobilenet_v2: 35 of
  # its 52 convolutions are 1x1.
  for check in "resnet18 int8" "mobilenet_v2 float"; do
    read -r name compute <<<"$check"
    if int4_check "$name" "$models/$name.onnx" "input=$models/$name.input.npy" "$compute"; then
      q_passed=$((q_passed + 1)); else q_failed=$((q_failed + 1)); fi
  done
fi

echo "interop: $passed passed, $failed failed"
[ "${INTEROP_QDQ:-1}" = "0" ] ||
  echo "interop quantized (ONNX Runtime vs ledge on ledge's QDQ and int4 models): $q_passed passed, $q_failed failed"
[ "${INTEROP_OPTIMIZE:-1}" = "0" ] ||
  echo "interop optimized (ONNX Runtime, optimized vs original): $opt_passed passed, $opt_failed failed"
[ "$failed" -eq 0 ] && [ "$opt_failed" -eq 0 ] && [ "$q_failed" -eq 0 ]
