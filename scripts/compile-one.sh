#!/usr/bin/env bash
# Compiles one source file with the flags of build/ (no link), for a quick check while others
# build: scripts/compile-one.sh providers/cuda/math/foo.cu
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
f=$1
case "$f" in
  *.cu) exec /usr/local/cuda/bin/nvcc -std=c++17 -O3 --generate-code=arch=compute_90,code=[compute_90,sm_90] \
          -Xcompiler=-fPIC -I"$root/providers/cuda" -I"$root/src" -I"$root/include" -c "$root/$f" \
          -o "/tmp/compile-one-$(echo "$f" | tr / _).o" ;;
  tests/*) like="$root/tests/unit/tensor_test.cc" ;;
  *) like="$root/providers/cuda/cuda_provider.cc" ;;
esac
[ -n "$like" ] || { echo "no template command for $f (reconfigure build/ first)"; exit 2; }
python3 - "$root" "$like" "$root/$f" <<'PY'
import json, sys, shlex, subprocess
root, like, f = sys.argv[1:]
for e in json.load(open(f"{root}/build/compile_commands.json")):
    if e["file"] == like:
        cmd = e["command"].replace(like, f)
        args = shlex.split(cmd)
        if "-o" in args:
            args[args.index("-o") + 1] = "/tmp/compile-one-" + f.replace("/", "_") + ".o"
        sys.exit(subprocess.call(args, cwd=e["directory"]))
print("template not found:", like); sys.exit(2)
PY
