#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (+ASan/UBSan) and runs each for a bounded time.
#   scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
# Seeds: the ONNX backend test models and tensors, plus the bundled example (also compiled
# to .ledge artifacts, with a few models that have subgraphs), and small PNG and JPEG pictures
# (fuzz/seeds/image), and signed bundles of a small model made with the fuzzing keys
# (fuzz/seeds/bundle_keys).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
data=/usr/share/libonnx-testdata/data

CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLEDGE_FUZZ=ON -DLEDGE_SANITIZE=ON -DLEDGE_TESTS=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link" >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target model_loader_fuzzer tensor_file_fuzzer \
  artifact_fuzzer image_decoder_fuzzer bundle_fuzzer ledge

corpus=build-fuzz/corpus
mkdir -p "$corpus/model" "$corpus/tensor" "$corpus/artifact" "$corpus/image" "$corpus/bundle"
[ -z "$(ls -A "$corpus/image")" ] && cp fuzz/seeds/image/* "$corpus/image/"
if [ -z "$(ls -A "$corpus/artifact")" ]; then
  cp tests/fuzz_regressions/*.ledge "$corpus/artifact/"
  i=0
  for f in examples/*/model.onnx "$data"/node/test_{if,loop11,scan9_sum,constant,cast_FLOAT_to_FLOAT16}/model.onnx; do
    [ -f "$f" ] && ./build-fuzz/ledge compile "$f" -o "$corpus/artifact/seed_$((i++)).ledge" >/dev/null
  done
fi
if [ -z "$(ls -A "$corpus/model")" ]; then
  i=0
  for f in tests/fuzz_regressions/*.onnx "$data"/node/*/model.onnx "$data"/pytorch-operator/*/model.onnx examples/*/model.onnx; do
    [ -f "$f" ] && [ "$(stat -c %s "$f")" -lt 200000 ] && cp "$f" "$corpus/model/seed_$((i++)).onnx"
  done
  i=0
  for f in "$data"/node/test_[a-c]*/test_data_set_0/*.pb examples/*/*.npy; do
    [ -f "$f" ] && [ "$(stat -c %s "$f")" -lt 100000 ] && cp "$f" "$corpus/tensor/seed_$((i++))"
  done
  # IDX (MNIST format), plain and gzip: a 2x3 uint8 array and 2 labels.
  printf '\0\0\x08\x02\0\0\0\x02\0\0\0\x03abcdef' >"$corpus/tensor/seed_idx3"
  printf '\0\0\x08\x01\0\0\0\x02\x07\x01' | gzip -9 >"$corpus/tensor/seed_idx1.gz"
fi

if [ -z "$(ls -A "$corpus/bundle")" ]; then
  keys=fuzz/seeds/bundle_keys work=build-fuzz/bundle_seed
  rm -rf "$work" && mkdir -p "$work/golden"
  relu="$data/node/test_relu"
  ./build-fuzz/ledge compile "$relu/model.onnx" -o "$work/relu.ledge" >/dev/null
  ./build-fuzz/ledge run "$work/relu.ledge" --output-dir "$work/out" --format npy \
    --input x="$relu/test_data_set_0/input_0.pb" >/dev/null
  # relu(y) = y for y = relu(x): one output serves as a golden input and its expected output.
  cp "$work/out/y.npy" "$work/golden/case0.input.x.npy"
  cp "$work/out/y.npy" "$work/golden/case0.output.y.npy"
  ./build-fuzz/ledge bundle delegate --root $keys/root.key --key $keys/signer.pub --key $keys/root.pub \
    --version 1 --expires @4000000000 -o "$work/d1.json" >/dev/null
  ./build-fuzz/ledge bundle delegate --root $keys/root.key --key $keys/signer.pub --key $keys/root.pub \
    --threshold 2 --version 2 --expires @4000000000 -o "$work/d2.json" >/dev/null
  common=(--model "$work/relu.ledge" --golden "$work/golden" --version 2 --expires @4000000000)
  ./build-fuzz/ledge bundle create "${common[@]}" --key $keys/signer.key --delegation "$work/d1.json" \
    --cpu-features sse4_2 -o "$corpus/bundle/seed_1" >/dev/null
  ./build-fuzz/ledge bundle create "${common[@]}" --key $keys/signer.key --key $keys/root.key \
    --delegation "$work/d2.json" --latency-budget-ms 5 -o "$corpus/bundle/seed_2" >/dev/null
fi

for target in model_loader_fuzzer tensor_file_fuzzer artifact_fuzzer image_decoder_fuzzer bundle_fuzzer; do
  dir="$corpus/${target%%_fuzzer}"
  dir="${dir/model_loader/model}"; dir="${dir/tensor_file/tensor}"; dir="${dir/image_decoder/image}"
  echo "fuzzing $target for ${seconds}s"
  ./build-fuzz/$target "$dir" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -seed=1 -max_len=262144 -print_final_stats=1 -artifact_prefix=build-fuzz/crash- 2>&1 | tail -n 12
done
