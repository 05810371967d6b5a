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
  # data: ONNX backend tests and the Fashion-MNIST dataset
  libonnx-testdata dataset-fashion-mnist
)

if [ "$(id -u)" -ne 0 ]; then
  echo "install_deps.sh: run as root (apt-get needs it)" >&2
  exit 1
fi

# Only refresh the package lists when something is missing: a re-run costs nothing.
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
