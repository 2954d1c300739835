#!/usr/bin/env bash
# Sets up, builds once, and runs every test stage on that one build: GoogleTest unit tests,
# the conformance suites (checked-in pass lists), the install-tree test, pytest, then the
# sanitizer and fuzzing stage (scripts/sanitize.sh; ONYX_SKIP_SANITIZERS=1 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-deps.sh
bash scripts/build.sh
PY=${PYTHON:-python3}
# Newest onnx wheel's backend data, written once per onnx version.
"$PY" tests/conformance/generate_onnx_data.py build/onnx-backend-data
echo "== ctest (unit, conformance, install)"
(cd build && ctest --output-on-failure -j2 --timeout 1500)
echo "== pytest"
ONYX_REQUIRE_RUNTIME=1 PYTHONPATH="$PWD/build/python" "$PY" -m pytest -q tests/python
# Sanitizers and fuzzing on builds of their own (build-asan, build-tsan); see DEVELOPERS.md.
if [ -z "${ONYX_SKIP_SANITIZERS:-}" ]; then
  echo "== sanitizers and fuzzing"
  bash scripts/sanitize.sh
fi
