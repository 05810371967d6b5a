#!/usr/bin/env bash
# ledge-run-small, the selective device runner (docs/artifact.md): it runs the example's float
# and int8 artifacts with the same outputs as ledge-run, refuses an operator it left out with
# one clear line, and stays within issue 3's 2 MB (stripped).
#   runner_small_test.sh PATH_TO_LEDGE PATH_TO_LEDGE_RUN PATH_TO_LEDGE_RUN_SMALL EXAMPLE_DIR
ledge="$1" runner="$2" small="$3" example="$4"
source "$(dirname "$0")/lib.sh"
fm=/usr/share/datasets/fashion-mnist

size=$(stat -c %s "$small")
echo "ledge-run-small: $size bytes"
check "ledge-run-small is at most 2 MB stripped ($size bytes)" test "$size" -le 2000000

"$ledge" compile "$example/model.onnx" -o "$tmp/f.ledge" >/dev/null
"$ledge" quantize "$example/model.onnx" --calibration "$fm/train-images-idx3-ubyte.gz" \
  --samples 100 -o "$tmp/q.ledge" >/dev/null
for m in f q; do
  mkdir -p "$tmp/$m.full" "$tmp/$m.small"
  "$runner" "$tmp/$m.ledge" --input image="$example/sample_0.npy" --output-dir "$tmp/$m.full" \
    >/dev/null
  check "$m: ledge-run-small runs it" "$small" "$tmp/$m.ledge" --input \
    image="$example/sample_0.npy" --output-dir "$tmp/$m.small"
  check "$m: same outputs as ledge-run" cmp "$tmp/$m.full/logits.npy" "$tmp/$m.small/logits.npy"
done

# An operator outside its list: one line naming it, a non-zero exit.
"$ledge" compile /usr/share/libonnx-testdata/data/node/test_abs/model.onnx -o "$tmp/abs.ledge" \
  >/dev/null
"$small" "$tmp/abs.ledge" --bench --iterations 1 >"$tmp/out" 2>"$tmp/err"
rc=$?
check "an operator left out is refused (exit $rc)" test "$rc" -ne 0
check "the refusal is one line naming Abs" bash -c \
  "[ \$(wc -l <'$tmp/err') -eq 1 ] && grep -q 'Abs' '$tmp/err'"

finish runner_small
