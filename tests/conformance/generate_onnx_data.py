"""Writes the ONNX backend test data of the installed `onnx` package into a folder.

The onnx wheel ships its node tests as Python generators (onnx/backend/test/case/node) rather
than as data files; this runs them through onnx's own writer (backend-test-tools generate-data)
so that `onyx test` can read them like Debian's libonnx-testdata. Usage:

    python3 tests/conformance/generate_onnx_data.py OUT_DIR
"""
import argparse
import os
import sys
import warnings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="output folder (gets node/, simple/, pytorch-converted/, ...)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    import onnx
    from onnx.backend.test import cmd_tools
    from onnx.backend.test.case import model as model_cases
    from onnx.backend.test.case import node as node_cases
    from onnx.backend.test.loader import load_model_tests

    stamp = os.path.join(args.out, "ONNX_VERSION")
    if os.path.exists(stamp) and open(stamp).read().strip() == onnx.__version__:
        print(f"{args.out}: data of onnx {onnx.__version__} already present")
        return 0

    # The shipped model folders (simple, pytorch-*) are read back as test cases too.
    shipped = [c for kind in ("simple", "pytorch-converted", "pytorch-operator")
               for c in load_model_tests(kind=kind)]
    cases = list(node_cases.collect_testcases()) + list(model_cases.collect_testcases())
    node_names = {c.name for c in cases}

    def collect():
        return cases

    cmd_tools.model_test.collect_testcases = collect
    cmd_tools.generate_data(argparse.Namespace(output=args.out))
    # Shipped folders are copied as they are (they already hold model.onnx and data sets).
    import shutil
    for c in shipped:
        if c.name in node_names or not c.model_dir:
            continue
        dst = os.path.join(args.out, c.kind, c.name)
        if os.path.exists(dst):
            shutil.rmtree(dst)
        shutil.copytree(c.model_dir, dst)
    with open(stamp, "w") as f:
        f.write(onnx.__version__ + "\n")
    counts = {k: len(os.listdir(os.path.join(args.out, k))) for k in sorted(os.listdir(args.out))
              if os.path.isdir(os.path.join(args.out, k))}
    print(f"onnx {onnx.__version__} backend test data in {args.out}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
