"""Runs ONNX backend test folders with onyx and onnxruntime in one run, through their common
Python API, with the rules of `onyx test` (rtol 1e-3, atol 1e-7, NaN equals NaN), and prints
both counts per folder and the tests where the two disagree:

    PYTHONPATH=build/python python3 tests/conformance/compare_runtimes.py \
        /usr/share/libonnx-testdata/data --label onnx-1.12 [--runtimes onyx,onnxruntime] [--write-prefix P]

--write-prefix P writes P.<runtime>.txt with the names of each runtime's passing tests. Each test
runs in this process: a runtime that crashes ends the run (`onyx test` isolates tests instead).
"""
import argparse
import glob
import os
import sys
import warnings

import numpy as np


def load(path, vi):
    import onnx
    from onnx import numpy_helper
    data = open(path, "rb").read()
    t = vi.type.WhichOneof("value") if vi is not None else "tensor_type"
    if t == "sequence_type":
        s = onnx.SequenceProto()
        s.ParseFromString(data)
        return numpy_helper.to_list(s)
    if t == "optional_type":
        o = onnx.OptionalProto()
        o.ParseFromString(data)
        return numpy_helper.to_optional(o)
    p = onnx.TensorProto()
    p.ParseFromString(data)
    return numpy_helper.to_array(p)


def close(got, want):
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(close(g, w) for g, w in zip(got, want))
    if want is None:
        return got is None
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return False
    if want.dtype.kind in "fc":
        return np.allclose(got.astype(want.dtype), want, rtol=1e-3, atol=1e-7, equal_nan=True)
    if want.dtype.kind in "OUS":
        return [str(x) for x in got.ravel()] == [str(x) for x in want.ravel()]
    return np.array_equal(got, want)


def run_test(rt, test_dir):
    import onnx
    model = onnx.load(os.path.join(test_dir, "model.onnx"))
    so = rt.SessionOptions()
    so.intra_op_num_threads = 1
    so.log_severity_level = 4
    sess = rt.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    inits = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in inits]
    for ds in sorted(glob.glob(os.path.join(test_dir, "test_data_set_*"))):
        ins = sorted(glob.glob(os.path.join(ds, "input_*.pb")), key=lambda p: int(p.rsplit("_", 1)[1][:-3]))
        outs = sorted(glob.glob(os.path.join(ds, "output_*.pb")), key=lambda p: int(p.rsplit("_", 1)[1][:-3]))
        feed = {inputs[i].name: load(p, inputs[i]) for i, p in enumerate(ins)}
        got = sess.run(None, feed)
        for i, p in enumerate(outs):
            if not close(got[i], load(p, model.graph.output[i])):
                return False
    return True


def main():
    import importlib
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--runtimes", default="onyx,onnxruntime", help="comma-separated Python modules to compare")
    ap.add_argument("--write-prefix", help="write PREFIX.<runtime>.txt with the passing tests")
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    runtimes = [(name, importlib.import_module(name)) for name in args.runtimes.split(",")]
    tests = []
    for d in args.dirs:
        tests += [os.path.dirname(m) for m in glob.glob(os.path.join(d, "**", "model.onnx"), recursive=True)]
    counts = {}                                   # group -> runtime -> [passed, total]
    passed = {name: [] for name, _ in runtimes}
    for t in sorted(tests):
        group = os.path.basename(os.path.dirname(t))
        name = (args.label + "/" if args.label else "") + group + "/" + os.path.basename(t)
        for rt_name, rt in runtimes:
            try:
                ok = run_test(rt, t)
            except Exception:  # noqa: BLE001 - any failure to load or run is a failed test
                ok = False
            c = counts.setdefault(group, {}).setdefault(rt_name, [0, 0])
            c[1] += 1
            if ok:
                c[0] += 1
                passed[rt_name].append(name)
    names = [n for n, _ in runtimes]
    print("| folder | " + " | ".join(names) + " |")
    print("| --- |" + " ---: |" * len(names))
    totals = {n: [0, 0] for n in names}
    for g in sorted(counts):
        cells = []
        for n in names:
            p, k = counts[g][n]
            totals[n][0] += p
            totals[n][1] += k
            cells.append(f"{p}/{k}")
        print(f"| {(args.label + '/') if args.label else ''}{g} | " + " | ".join(cells) + " |")
    print("| total | " + " | ".join(f"{totals[n][0]}/{totals[n][1]}" for n in names) + " |")
    if len(names) == 2:
        a, b = (set(passed[n]) for n in names)
        for x, y, xs, ys in ((names[0], names[1], a, b), (names[1], names[0], b, a)):
            only = sorted(xs - ys)
            print(f"\npassed by {x} only ({len(only)}):" + "".join("\n  " + t for t in only))
    if args.write_prefix:
        for n in names:
            with open(f"{args.write_prefix}.{n}.txt", "w") as f:
                f.write("\n".join(passed[n]) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
