#!/usr/bin/env bash
# The CUDA checks, run on a machine with a GPU (see docs/gpu-results.md). Uses binaries built
# elsewhere (build/bin, carried), cuDNN/cuBLAS from the machine (CUDA toolkit or the nvidia-*
# Python wheels), the ONNX 1.12 backend data under .gpu/data112 if present, and torch for the
# benchmark. Logs go to $OUT (or /tmp/gpu-out).
# Switches: SKIP_UNIT/SKIP_BENCH/SKIP_CONFORMANCE/SKIP_PYTHON=1, UNIT_FILTER (gtest filter, default
# the CUDA and partitioner tests), PYMODULE_DIR (a Python module built elsewhere for this
# machine's Python, e.g. carried in .gpu/py.tar.xz, instead of building one here), PROFILE=1
# (benchmarks/gpu_profile.py: the kernels of ResNet-50 batch 32 in torch and in onyx).
set -u
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -f .gpu/bin.tar.xz ] && tar -xJf .gpu/bin.tar.xz
[ -f .gpu/py.tar.xz ] && tar -xJf .gpu/py.tar.xz
libs=/usr/local/cuda/lib64
nv=$(python3 -c 'import nvidia, os; print(list(nvidia.__path__)[0])' 2>/dev/null)
if [ -n "$nv" ]; then
  libs="$(find "$nv" -name 'lib*.so*' -printf '%h\n' | sort -u | tr '\n' ':')$libs"
fi
# Image codec libraries carried from the build machine (.gpu/lib), last so the machine's own win.
[ -d .gpu/lib ] && libs="$libs:$root/.gpu/lib"
export LD_LIBRARY_PATH="$libs:${LD_LIBRARY_PATH:-}"
{
  date -u; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  echo "missing libraries:"; ldd build/bin/onyx | grep 'not found' || echo "  none"
} 2>&1 | tee "$OUT/env.log"

if [ "${SKIP_UNIT:-0}" != 1 ]; then
  echo "== unit tests (CUDA kernels vs CPU, partitioner)"
  timeout 120 build/bin/onyx_unit_tests --gtest_filter="${UNIT_FILTER:-Cuda*:Partitioner*}" --gtest_brief=1 > "$OUT/unit.log" 2>&1
  echo "unit tests rc=$?"; tail -5 "$OUT/unit.log"; grep -E '^\[  FAILED|SKIPPED \]' "$OUT/unit.log" | head -40
fi

if [ "${SKIP_BENCH:-0}" != 1 ]; then
  echo "== benchmark vs torch eager"
  timeout 200 python3 -u benchmarks/gpu_vs_torch.py --onyx build/bin/onyx --out /tmp/gpu-bench --runs 30 ${BENCH_ARGS:-} > "$OUT/bench.log" 2>&1
  echo "bench rc=$?"; cat "$OUT/bench.log" | tail -30
  if [ -n "${BENCH2_ARGS:-}" ]; then
    echo "== benchmark, second configuration: $BENCH2_ARGS"
    timeout 150 python3 -u benchmarks/gpu_vs_torch.py --onyx build/bin/onyx --out /tmp/gpu-bench2 --runs 30 $BENCH2_ARGS > "$OUT/bench2.log" 2>&1
    echo "bench2 rc=$?"; grep -A12 "^| model" "$OUT/bench2.log"
  fi
  for m in /tmp/gpu-bench/resnet50_fp32.onnx /tmp/gpu-bench/bert_fp16.onnx; do
    [ -f "$m" ] && build/bin/onyx info "$m" --providers cuda 2>&1 | head -30
  done > "$OUT/placement.log"
fi

if [ -d .gpu/data112 ] && [ "${SKIP_CONFORMANCE:-0}" != 1 ]; then
  echo "== ONNX 1.12 conformance with providers cuda,cpu"
  timeout 100 build/bin/onyx test .gpu/data112/* --label onnx-1.12 --providers cuda --no-fork ${CONFORMANCE_ARGS:-} \
    --expect tests/conformance/passing_onnx_1_12.txt --write /tmp/passing_cuda_1_12.txt > "$OUT/conformance.log" 2>&1
  echo "conformance rc=$?"; grep -iE "passed|regression" "$OUT/conformance.log" | head -60
fi

if [ "${SKIP_PYTHON:-0}" != 1 ]; then
  if [ -n "${PYMODULE_DIR:-}" ]; then
    echo "== Python module carried in $PYMODULE_DIR, io binding and API tests"
    pydir=$PYMODULE_DIR
  else
    echo "== Python module built here (this machine's Python), io binding and API tests"
    { cmake -S . -B /tmp/onyx-py -G Ninja -DCMAKE_BUILD_TYPE=Release -DONYX_BUILD_TESTS=OFF -DONYX_BUILD_CLI=OFF \
        -DONYX_BUILD_PYTHON=ON -Dpybind11_DIR="$(python3 -m pybind11 --cmakedir)" -DPython3_EXECUTABLE="$(command -v python3)" &&
      timeout 90 ninja -C /tmp/onyx-py _onyx; } > /tmp/pybuild.log 2>&1
    echo "python build rc=$?"; tail -3 /tmp/pybuild.log
    pydir=/tmp/onyx-py/python
  fi
  PYTHONPATH=$pydir timeout 60 python3 -m pytest -q -p no:cacheprovider tests/python/test_iobinding.py \
    tests/python/test_api.py > "$OUT/pytest.log" 2>&1
  echo "pytest rc=$?"; tail -4 "$OUT/pytest.log"; grep -E "^E |Error" "$OUT/pytest.log" | head -20
  # onyx, onnx and onnxruntime in one process (with a traceback if it crashes).
  PYTHONPATH=$pydir timeout 30 python3 -X faulthandler -c "
import onyx, onnx, onnxruntime, numpy as np
from onnx import helper, TensorProto
m = helper.make_model(helper.make_graph([helper.make_node('Relu', ['x'], ['y'])], 'g', [helper.make_tensor_value_info('x', TensorProto.FLOAT, [2])], [helper.make_tensor_value_info('y', TensorProto.FLOAT, [2])]), opset_imports=[helper.make_opsetid('', 17)])
b = m.SerializeToString()
x = np.array([-1, 2], np.float32)
print('onyx', onyx.InferenceSession(b).run(None, {'x': x})[0], flush=True)
print('ort', onnxruntime.InferenceSession(b, providers=['CPUExecutionProvider']).run(None, {'x': x})[0], flush=True)
print('done', flush=True)
" 2>&1 | tail -25; echo "coexist rc=${PIPESTATUS[0]}"
fi

if [ "${PROFILE:-0}" = 1 ]; then
  echo "== kernel profile, ResNet-50 batch 32 fp32 (torch eager vs onyx CUDA)"
  m=/tmp/gpu-bench/resnet50_fp32.onnx
  PYTHONPATH=${pydir:-${PYMODULE_DIR:-/tmp/onyx-py/python}} timeout 120 python3 -u benchmarks/gpu_profile.py --batch 32 \
    $([ -f "$m" ] && echo --onnx "$m") > "$OUT/profile.log" 2>&1
  echo "profile rc=$?"; cat "$OUT/profile.log" | grep -v Warning | head -60
fi
