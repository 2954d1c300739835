#!/usr/bin/env bash
# Installs onyx from the build tree into a temporary prefix, then builds an external app with
# find_package(onyx) and a second one with pkg-config, and runs both on the digits model.
set -euo pipefail
src=$1; build=$2
prefix=$build/install-test
rm -rf "$prefix" "$build/install-app"
cmake --install "$build" --prefix "$prefix" >/dev/null
model=$src/examples/digits/digits_cnn.onnx

cmake -S "$src/tests/install/app" -B "$build/install-app" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
ninja -C "$build/install-app" >/dev/null
out=$("$build/install-app/app" "$model")
echo "$out"
grep -q "error code InvalidArgument" <<<"$out"
grep -q "shape \[1,10\]" <<<"$out"

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig:$prefix/lib/x86_64-linux-gnu/pkgconfig"
g++ "$src/tests/install/app/main.cc" -o "$build/install-app/app_pc" $(pkg-config --cflags --libs onyx)
out2=$(LD_LIBRARY_PATH="$(pkg-config --variable=libdir onyx)" "$build/install-app/app_pc" "$model")
[ "$out" = "$out2" ] || { echo "pkg-config build gives different output"; exit 1; }
echo "install test passed (CMake package and pkg-config)"
