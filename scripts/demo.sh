#!/usr/bin/env bash
# Sets up everything, pip-installs onyx, and classifies the bundled handwritten digits with it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-deps.sh
export CCACHE_BASEDIR="$PWD" CMAKE_CXX_COMPILER_LAUNCHER=ccache
PY=${PYTHON:-python3}
echo "== building and installing the onyx Python package (pip install .)"
"$PY" -m pip install -q .
echo "== onyx info examples/digits/digits_cnn.onnx"
bash scripts/build.sh >/dev/null
build/bin/onyx info examples/digits/digits_cnn.onnx
echo "== classifying the sample digits with onyx"
cd /tmp && "$PY" "$OLDPWD/examples/digits/demo.py"
