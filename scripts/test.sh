#!/usr/bin/env bash
# Builds and runs every test: unit tests, the ONNX conformance suite, bad-input tests,
# then the same tests under AddressSanitizer + UndefinedBehaviorSanitizer, then the
# fuzz targets for a bounded time.
#   LEDGE_FUZZ_SECONDS (default 60 per target) bounds fuzzing; 0 skips it.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== release build and tests"
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"

echo "== sanitizer build (ASan + UBSan) and tests"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLEDGE_SANITIZE=ON -DLEDGE_WERROR=ON >/dev/null
cmake --build build-asan -j"$(nproc)"
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan --output-on-failure -j"$(nproc)"

fuzz_seconds="${LEDGE_FUZZ_SECONDS:-60}"
if [ "$fuzz_seconds" != "0" ]; then
  echo "== fuzzing (${fuzz_seconds}s per target)"
  bash scripts/fuzz.sh "$fuzz_seconds"
fi
echo "all tests passed"
