#!/usr/bin/env bash
# Installs every Debian package ledge needs to build, run its demo and run its tests.
# Run as root on Debian 12. Safe to run again: apt skips what is already installed.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake g++ clang-14 libclang-rt-14-dev
  # libraries
  libonnx-dev libprotobuf-dev protobuf-compiler nlohmann-json3-dev libcli11-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # fast kernels and threads; the compiled artifact
  libxnnpack-dev libpthreadpool-dev libcpuinfo-dev libflatbuffers-dev flatbuffers-compiler
  # device side: signatures, the durable queue, MQTT uplink (and the broker its tests start)
  libsodium-dev libsqlite3-dev libmosquitto-dev mosquitto pkg-config
  # the telemetry CLI test subscribes with mosquitto_sub
  mosquitto-clients
  # data: images as data sets (PNG and JPEG decoding)
  libpng-dev libjpeg-dev
  # streams: video files through FFmpeg's libraries (src/stream/file_source.cpp)
  libavformat-dev libavcodec-dev libswscale-dev libavutil-dev
  # data: ONNX backend tests and the Fashion-MNIST dataset
  libonnx-testdata dataset-fashion-mnist
  # interop test (tests/interop): model export and output comparison
  python3-torch python3-torchvision python3-onnx python3-numpy
  # aarch64 cross build, its tests under qemu (scripts/test_arm.sh)
  g++-aarch64-linux-gnu qemu-user
)

# The interop test runs ONNX Runtime through Node.js (tools/ort). The machine image ships Node 20
# from NodeSource, whose nodejs package provides npm itself and conflicts with Debian's npm:
# installing Debian's nodejs/npm there would replace it, so they are added only where no node is
# installed. Debian's Node 18 and npm 9 should do (onnxruntime-node ships an N-API v6 binary,
# package-lock v3 needs npm >= 7), but only NodeSource's Node 20 has been tried.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install_deps.sh: run as root (apt-get needs it)" >&2
  exit 1
fi

# Only refresh the package lists when something is missing: a re-run costs nothing.
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# scripts/test_arm.sh unpacks Debian's arm64 builds of XNNPACK & co. (apt-get download),
# which needs the arm64 package lists; nothing is installed for arm64.
refresh=0
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
  refresh=1
elif ! apt-cache show libxnnpack0:arm64 >/dev/null 2>&1; then
  refresh=1
fi
if [ ${#missing[@]} -gt 0 ] || [ "$refresh" -eq 1 ]; then
  apt-get update -q
fi
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
