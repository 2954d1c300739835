#!/usr/bin/env bash
# Configures and builds onyx (library, CLI, Python module, tests) in build/, with ccache.
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR="$PWD" CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
PY=${PYTHON:-python3}
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE="$(command -v "$PY")" \
  -DONYX_BUILD_TESTS=ON -DONYX_BUILD_PYTHON=ON -DONYX_BUILD_CLI=ON "$@" >/dev/null
ninja -C build
