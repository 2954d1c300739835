"""benchmarks/run_benchmarks.py on a tiny generated model: it writes RESULTS.md with both runtimes'
numbers, lists a missing model as missing, and refuses missing models without --skip-missing."""
import importlib.util
import os
import re
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RUNNER = os.path.join(REPO, "benchmarks", "run_benchmarks.py")
NUM = r"\d+(?:\.\d+)?"


def _load_runner():
    spec = importlib.util.spec_from_file_location("run_benchmarks", RUNNER)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    """tiny.onnx: y = Relu(x @ W), x float [N, 64], W [64, 32]."""
    d = tmp_path_factory.mktemp("bench")
    w = numpy_helper.from_array(np.random.default_rng(1).standard_normal((64, 32)).astype(np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Relu", ["m"], ["y"])], "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 32])], initializer=[w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(d / "tiny.onnx"))
    return d


@pytest.fixture(scope="module")
def onyx_and_ort(runtime, ort):
    if os.environ.get("ONYX_TEST_RUNTIME", "onyx") != "onyx":
        pytest.skip("the runner compares onyx itself with onnxruntime")


def test_runner_writes_both_runtimes(onyx_and_ort, tiny_dir, tmp_path):
    out = tmp_path / "RESULTS.md"
    proc = subprocess.run(
        [sys.executable, RUNNER, "--dir", str(tiny_dir), "--models", "tiny,absent", "--skip-missing",
         "--threads", "1", "--runs", "3", "--warmup", "1", "--create-reps", "1", "--out", str(out)],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert "## 1 thread" in text and "## 2 threads" not in text
    assert "onnxruntime " in text and "git commit" in text and "## Method" in text
    row = next(line for line in text.splitlines() if line.startswith("| tiny |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert len(cells) == 10, row
    # onyx median, ort median, ratio, onyx p90, ort p90: numbers
    for c in cells[1:6]:
        assert re.fullmatch(NUM, c), row
    # creation ms and peak RSS MB, onyx / ort
    assert re.fullmatch(r"%s / %s" % (NUM, NUM), cells[6]), row
    assert re.fullmatch(r"{n}(?: \(\+-?{n}\))? / {n}(?: \(\+-?{n}\))?".format(n=NUM), cells[7]), row
    assert float(cells[8]) <= 1e-4, row
    assert cells[9] in ("yes", "no (latency)"), row
    assert re.search(r"^\| absent \| missing \|", text, re.M)
    assert "| tiny |" in proc.stdout  # the table is printed too


def test_runner_refuses_missing_models(tiny_dir, tmp_path):
    proc = subprocess.run([sys.executable, RUNNER, "--dir", str(tiny_dir), "--models", "absent",
                           "--out", str(tmp_path / "R.md")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "absent" in proc.stderr and not (tmp_path / "R.md").exists()


def test_max_rel_diff():
    r = _load_runner()
    ref = [np.array([1.0, -4.0], np.float32), np.array([[0.5]], np.float32)]
    got = [np.array([1.0, -4.002], np.float32), np.array([[0.5]], np.float32)]
    d, where = r.max_rel_diff(got, ref, ["a", "b"])
    assert where == "a" and abs(d - 0.002 / 4) < 1e-6
    assert r.max_rel_diff([np.array([np.nan])], [np.array([1.0])], ["a"])[0] == float("inf")
    with pytest.raises(ValueError):
        r.max_rel_diff([np.zeros(2)], [np.zeros(3)], ["a"])
