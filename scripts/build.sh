#!/usr/bin/env bash
# Configures and builds ledge into build/ (the CLI lands at build/ledge).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DLEDGE_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)"
