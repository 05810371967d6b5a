#!/usr/bin/env bash
# Builds and runs every test: unit tests, the ONNX conformance suite, CLI and bad-input
# tests, then the same tests under AddressSanitizer + UndefinedBehaviorSanitizer, then the
# fuzz targets for a bounded time.
#   LEDGE_FUZZ_SECONDS (default 60 per target) bounds fuzzing; 0 skips it.
#   LEDGE_ARM_TESTS (default 1): 0 skips the last stage, the aarch64 cross build of the
#   runtime and its unit tests under qemu (scripts/test_arm.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log" "$log.arm"' EXIT

# Runs ctest in a build folder, keeping its summary line for the final count.
run_ctest() {
  local dir="$1"
  shift
  ctest --test-dir "$dir" --output-on-failure -j"$(nproc)" "$@" | tee -a "$log"
}

echo "== release build and tests"
bash scripts/build.sh
run_ctest build

echo "== sanitizer build (ASan + UBSan) and tests"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLEDGE_SANITIZE=ON -DLEDGE_WERROR=ON >/dev/null
cmake --build build-asan -j"$(nproc)"
# The interop models run the same code as in the release run, 10x slower: left out here; the
# CLI test skips its whole-test-set quality checks (LEDGE_CLI_FULL=0).
ASAN_OPTIONS=detect_leaks=1 LEDGE_CLI_FULL=0 run_ctest build-asan -E interop

fuzz_seconds="${LEDGE_FUZZ_SECONDS:-60}"
fuzzed=0
if [ "$fuzz_seconds" != "0" ]; then
  echo "== fuzzing (${fuzz_seconds}s per target)"
  bash scripts/fuzz.sh "$fuzz_seconds"
  fuzzed=4
fi

arm=0
if [ "${LEDGE_ARM_TESTS:-1}" != "0" ]; then
  echo "== aarch64 cross build and tests under qemu"
  bash scripts/test_arm.sh | tee "$log.arm"
  arm=$(sed -n 's/^aarch64: \([0-9]*\) passed, 0 failed$/\1/p' "$log.arm")
  rm -f "$log.arm"
fi

# ctest prints "100% tests passed, 0 tests failed out of N" per run; sum them up.
total=$(grep -oE 'tests failed out of [0-9]+' "$log" | awk '{s += $5} END {print s + 0}')
echo "$((total + fuzzed + ${arm:-0})) passed, 0 failed"
