#!/usr/bin/env bash
# The onyx command line on the bundled digits model: info, run (random and .npy/.pb inputs),
# perf, and a readable error for a missing file.
set -euo pipefail
onyx=$1; src=$2; tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
model=$src/examples/digits/digits_cnn.onnx

out=$("$onyx" info "$model")
echo "$out"
grep -q "producer:   onyx-examples-digits" <<<"$out"
grep -q "ai.onnx=17" <<<"$out"
grep -q "image: tensor(float) \[N, 1, 8, 8\]" <<<"$out"
grep -q "logits: tensor(float)" <<<"$out"
grep -qE "^ +[0-9]+  Conv$" <<<"$out"
grep -q "parameters: " <<<"$out"

out=$("$onyx" run "$model" --dim N=3)
echo "$out"
grep -q "output logits: float \[3,10\]" <<<"$out"

python3 - "$tmp" <<'PY'
import sys, numpy as np
np.save(sys.argv[1] + "/x.npy", np.zeros((2, 1, 8, 8), np.float32))
PY
out=$("$onyx" run "$model" "$tmp/x.npy")
grep -q "output logits: float \[2,10\]" <<<"$out"

out=$("$onyx" perf "$model" --runs 5 --threads 1)
echo "$out"
for k in "session creation" "first run" "median latency" "p90 latency" "peak memory"; do grep -q "$k" <<<"$out"; done

# --profile: a Chrome trace with one model_run per run (first run + 3) and valid JSON.
"$onyx" perf "$model" --runs 3 --threads 1 --profile "$tmp/trace.json" >/dev/null
python3 - "$tmp/trace.json" <<'PY'
import json, sys
trace = json.load(open(sys.argv[1]))
assert sum(e["name"] == "model_run" for e in trace) == 4, trace
assert any(e["cat"] == "Node" for e in trace)
PY

if "$onyx" info "$tmp/missing.onnx" 2>"$tmp/err"; then echo "expected failure"; exit 1; fi
grep -q "NoSuchFile" "$tmp/err"
echo "cli test passed"
