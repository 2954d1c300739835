"""Runs ONNX backend test folders with onnxruntime, with the same rules as `onyx test`
(rtol 1e-3, atol 1e-7, NaN equals NaN), so that both runtimes' counts come from the same data:

    python3 tests/conformance/ort_runner.py /usr/share/libonnx-testdata/data [--write LIST]
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


def run_test(test_dir):
    import onnx
    import onnxruntime as ort
    model = onnx.load(os.path.join(test_dir, "model.onnx"))
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.log_severity_level = 4
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
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
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--write", help="write the names of the passing tests here")
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    tests = []
    for d in args.dirs:
        tests += [os.path.dirname(m) for m in glob.glob(os.path.join(d, "**", "model.onnx"), recursive=True)]
    counts, passed = {}, []
    for t in sorted(tests):
        group = os.path.basename(os.path.dirname(t))
        ok = False
        try:
            ok = run_test(t)
        except Exception:  # noqa: BLE001 - any failure to load or run is a failed test
            ok = False
        c = counts.setdefault(group, [0, 0])
        c[1] += 1
        if ok:
            c[0] += 1
            passed.append((args.label + "/" if args.label else "") + group + "/" + os.path.basename(t))
    total = [0, 0]
    for g, (p, n) in sorted(counts.items()):
        print(f"onnxruntime {args.label + '/' if args.label else ''}{g}: {p}/{n} passed")
        total[0] += p
        total[1] += n
    print(f"onnxruntime total: {total[0]}/{total[1]} passed")
    if args.write:
        with open(args.write, "w") as f:
            f.write("\n".join(passed) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
