#!/usr/bin/env bash
# Cross-builds the runtime and its unit tests for 64-bit ARM Linux (aarch64) and runs the
# tests under qemu-user. Ends with "aarch64: N passed, M failed" and exits non-zero when a
# test fails or nothing could be built.
#
# What it builds (build-arm/, LEDGE_RUNTIME_ONLY=ON): core, IR, reference operators, the
# runtime with the XNNPACK fast kernels and the memory planner, and the unit tests that need
# no ONNX import (the test files that include no onnx/ header: core, IR, operators, the fast
# path against the reference, memory plans, IDX/npy files). The ONNX importer (protobuf),
# the CLI, the conformance suite and the interop test stay x86-64 only.
#
# What it needs: Debian's cross compiler (g++-aarch64-linux-gnu), qemu-user, and the arm64
# builds of XNNPACK, pthreadpool, cpuinfo, googletest and zlib. Run as root, it installs the
# first two with apt. The arm64 libraries are not installed into the system: Debian's
# libxnnpack0/libpthreadpool0 are not co-installable for two architectures (the arm64 ones
# would remove the x86-64 ones, and with them python3-torch), so their arm64 packages are
# downloaded with apt-get download and unpacked into build-arm/sysroot, which the toolchain
# file (cmake/aarch64-linux-gnu.cmake) searches. That needs the arm64 package lists
# (dpkg --add-architecture arm64; done here when root).
#
#   LEDGE_ARM_FILTER   gtest filter for the unit tests (default: every test that was built)
#   LEDGE_ARM_CPUS     qemu CPU models to run on (default: "max cortex-a53")
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-arm
sysroot="$PWD/$build/sysroot"
filter="${LEDGE_ARM_FILTER:-*}"
start=$(date +%s)

fail() {
  echo "test_arm.sh: $*" >&2
  echo "aarch64: 0 passed, 1 failed"
  exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# The cross compiler and the emulator.
tools=()
command -v aarch64-linux-gnu-g++ >/dev/null || tools+=(g++-aarch64-linux-gnu)
command -v qemu-aarch64 >/dev/null || command -v qemu-aarch64-static >/dev/null || tools+=(qemu-user)
if [ ${#tools[@]} -gt 0 ]; then
  is_root || fail "missing ${tools[*]}; run as root or install them"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -q && apt-get install -y -q --no-install-recommends "${tools[@]}"; } >/dev/null ||
    fail "apt-get install ${tools[*]} failed"
fi
qemu=$(command -v qemu-aarch64 || command -v qemu-aarch64-static)

# arm64 libraries, unpacked from Debian's packages. Re-unpacked when the list changes.
arm_packages=(libxnnpack0 libxnnpack-dev libpthreadpool0 libpthreadpool-dev libcpuinfo0
              libgtest-dev zlib1g zlib1g-dev)
stamp="$sysroot/.packages"
if [ "$(cat "$stamp" 2>/dev/null)" != "${arm_packages[*]}" ]; then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    is_root || fail "the arm64 package lists are missing; run as root (dpkg --add-architecture arm64)"
    dpkg --add-architecture arm64
    apt-get update -q >/dev/null || fail "apt-get update failed"
  elif ! apt-cache show libxnnpack0:arm64 >/dev/null 2>&1; then
    is_root || fail "the arm64 package lists are missing; run as root (apt-get update)"
    apt-get update -q >/dev/null || fail "apt-get update failed"
  fi
  echo "== arm64 libraries into $build/sysroot"
  rm -rf "$sysroot"
  mkdir -p "$sysroot"
  debs=$(mktemp -d)
  chmod 777 "$debs"  # apt downloads as the unprivileged _apt user
  (cd "$debs" && apt-get download -q "${arm_packages[@]/%/:arm64}" >/dev/null) ||
    fail "apt-get download of the arm64 packages failed"
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$sysroot" || fail "cannot unpack $deb"; done
  rm -rf "$debs"
  # Absolute links (libz.so -> /lib/...) point into the host; point them into the sysroot.
  while IFS= read -r link; do
    ln -sfn "$sysroot$(readlink "$link")" "$link"
  done < <(find "$sysroot" -type l -lname '/*')
  echo "${arm_packages[*]}" >"$stamp"
fi

echo "== aarch64 cross build ($build)"
configure=(-DLEDGE_ARM_SYSROOT="$sysroot" -DLEDGE_RUNTIME_ONLY=ON -DLEDGE_WERROR=ON
           -DCMAKE_BUILD_TYPE=Release)
# The toolchain file counts only when the build folder is first configured.
[ -f "$build/CMakeCache.txt" ] || configure+=(-DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake)
# ccache with paths relative to the checkout: another clone on the machine (CI's) reuses it.
command -v ccache >/dev/null && configure+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
cmake -S . -B "$build" "${configure[@]}" >/dev/null || fail "configure failed"
cmake --build "$build" -j"$(nproc)" --target ledge_unit_tests ledge_minimal_runtime ||
  fail "build failed"
built=$(date +%s)

libpath="$sysroot/usr/lib/aarch64-linux-gnu:$sysroot/lib/aarch64-linux-gnu"
emulate() { "$qemu" -L /usr/aarch64-linux-gnu -E LD_LIBRARY_PATH="$libpath" "$@"; }
report=$(mktemp)
trap 'rm -f "$report"' EXIT
passed=0
failed=0

# Each test run on two emulated CPUs, since XNNPACK picks its kernels by the CPU's
# features: qemu's "max" (ARMv8.x with FP16 arithmetic, dot product, ...) and a
# Cortex-A53 (ARMv8.0 NEON only, as on a Raspberry Pi 3). Every test that builds runs;
# under qemu the unit tests take seconds, so no subset is needed.
for cpu in ${LEDGE_ARM_CPUS:-max cortex-a53}; do
  echo "== unit tests under qemu-aarch64 -cpu $cpu (filter: $filter)"
  rm -f "$report"
  status=0
  QEMU_CPU=$cpu emulate "$build/tests/ledge_unit_tests" --gtest_filter="$filter" \
    --gtest_brief=1 --gtest_output="xml:$report" || status=$?
  # Counts from gtest's XML report: <testsuites tests="N" failures="F" disabled="D" ...>.
  tests="" failures=0 disabled=0
  counts='s/.*<testsuites tests="\([0-9]*\)" failures="\([0-9]*\)" disabled="\([0-9]*\)".*/\1 \2 \3/p'
  read -r tests failures disabled < <(sed -n "$counts" "$report" 2>/dev/null | head -1) || true
  if [ -z "$tests" ]; then
    echo "test_arm.sh: the unit tests ended without a report (exit status $status)" >&2
    failed=$((failed + 1))
    continue
  fi
  skipped=$(grep -c '<skipped' "$report" || true)
  [ "$status" -eq 0 ] || [ "$failures" -gt 0 ] || failures=1
  passed=$((passed + tests - failures - disabled - skipped))
  failed=$((failed + failures))

  echo "== minimal runtime under qemu-aarch64 -cpu $cpu"
  if QEMU_CPU=$cpu emulate "$build/tests/ledge_minimal_runtime"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
done
end=$(date +%s)

# Size of a device-style program: the runtime (with every reference operator) and
# libstdc++ linked in; the shared libraries it still needs are listed beside it.
stripped="$build/ledge_minimal_runtime.stripped"
aarch64-linux-gnu-strip -o "$stripped" "$build/tests/ledge_minimal_runtime"
needed=$(aarch64-linux-gnu-readelf -d "$stripped" |
  sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')
echo "aarch64: ledge_minimal_runtime stripped $(stat -c %s "$stripped") bytes; needs ${needed% }"
echo "aarch64: build $((built - start))s, tests $((end - built))s"
echo "aarch64: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
