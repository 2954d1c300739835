#!/usr/bin/env bash
# Installs what onyx needs to build and test on Debian 12, skipping what is already there.
set -euo pipefail

debs=(build-essential cmake ninja-build ccache libeigen3-dev pybind11-dev libgtest-dev
      libonnx-testdata python3-torch python3-torchvision python3-sklearn pkg-config
      clang libclang-rt-14-dev  # clang: the sanitizer and libFuzzer builds (scripts/sanitize.sh)
      # ImageDecoder's codecs (cmake/ImageCodecs.cmake; onyx builds without them and refuses those formats)
      libjpeg62-turbo-dev libpng-dev libtiff-dev libwebp-dev libopenjp2-7-dev)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "== installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
# pillow: only tests/python/test_image_decoder.py (onnx.reference decodes images with it)
if ! "$PY" -c "import numpy, onnx, onnxruntime, pytest, pybind11, scikit_build_core, PIL" 2>/dev/null; then
  echo "== installing Python packages"
  "$PY" -m pip install -q numpy onnx onnxruntime pytest pybind11 scikit-build-core pillow
fi
