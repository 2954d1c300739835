"""The onnxruntime-compatible Python API: every check runs the same script against onnxruntime
and the runtime under test and compares what a user sees."""
import os
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper


def _model(opset=17):
    """x[N,3] float, b[3] -> y = Relu(x + b) (shape [N,3]), z = Neg(x) (shape ['N', ?])."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])
    z = helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", None])
    b = helper.make_tensor("b", TensorProto.FLOAT, [3], [0.5, -1.0, 2.0])
    nodes = [
        helper.make_node("Add", ["x", "b"], ["s"], name="add"),
        helper.make_node("Relu", ["s"], ["y"], name="relu"),
        helper.make_node("Neg", ["x"], ["z"], name="neg"),
    ]
    graph = helper.make_graph(nodes, "api_graph", [x], [y, z], initializer=[b], doc_string="graph doc")
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="onyx-api-test", doc_string="model doc", domain="ai.test",
                              model_version=7)
    helper.set_model_props(model, {"author": "tests", "purpose": "parity"})
    model.ir_version = 8
    return model


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    p = tmp_path_factory.mktemp("api") / "model.onnx"
    onnx.save(_model(), str(p))
    return str(p)


@pytest.fixture(scope="module")
def both(runtime, ort, model_path, providers):
    return (runtime.InferenceSession(model_path, providers=providers),
            ort.InferenceSession(model_path, providers=["CPUExecutionProvider"]))


def _args(args):
    return [(a.name, a.type, a.shape) for a in args]


def test_node_args_match(both):
    mine, ref = both
    assert _args(mine.get_inputs()) == _args(ref.get_inputs())
    assert _args(mine.get_outputs()) == _args(ref.get_outputs())
    assert mine.get_inputs()[0].shape == ["N", 3]
    # onnxruntime refines declared output shapes with shape inference: z is ['N', 3].
    assert mine.get_outputs()[1].shape == ["N", 3]


def test_metadata_matches(both):
    mine, ref = both
    a, b = mine.get_modelmeta(), ref.get_modelmeta()
    for field in ("producer_name", "graph_name", "domain", "description", "graph_description", "version",
                  "custom_metadata_map"):
        assert getattr(a, field) == getattr(b, field), field
    assert a.custom_metadata_map == {"author": "tests", "purpose": "parity"}


def test_outputs_match_and_subset_is_honoured(both):
    mine, ref = both
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    got, want = mine.run(None, {"x": x}), ref.run(None, {"x": x})
    assert len(got) == len(want) == 2
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6)
    (only_z,) = mine.run(["z"], {"x": x})
    np.testing.assert_array_equal(only_z, -x)
    zy = mine.run(["z", "y"], {"x": x})
    np.testing.assert_array_equal(zy[0], want[1])
    np.testing.assert_array_equal(zy[1], want[0])


def test_session_from_bytes(runtime, model_path, providers):
    with open(model_path, "rb") as f:
        sess = runtime.InferenceSession(f.read(), providers=providers)
    x = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(sess.run(["y"], {"x": x})[0], np.maximum(x + [0.5, -1.0, 2.0], 0))


def test_providers_and_device(runtime, ort, both):
    mine, ref = both
    assert mine.get_providers() == ref.get_providers() == ["CPUExecutionProvider"]
    assert "CPUExecutionProvider" in runtime.get_available_providers()
    assert runtime.get_device() in ("CPU", "GPU")


def test_session_options(runtime, ort, model_path):
    for name in ("ORT_DISABLE_ALL", "ORT_ENABLE_BASIC", "ORT_ENABLE_EXTENDED", "ORT_ENABLE_ALL"):
        assert int(getattr(runtime.GraphOptimizationLevel, name)) == int(getattr(ort.GraphOptimizationLevel, name))
    x = np.arange(6, dtype=np.float32).reshape(2, 3) - 3
    results = []
    for level in (runtime.GraphOptimizationLevel.ORT_DISABLE_ALL, runtime.GraphOptimizationLevel.ORT_ENABLE_ALL):
        so = runtime.SessionOptions()
        so.graph_optimization_level = level
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        sess = runtime.InferenceSession(model_path, sess_options=so, providers=["CPUExecutionProvider"])
        assert sess.get_session_options().intra_op_num_threads == 1
        results.append(sess.run(None, {"x": x}))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_cpu_mem_arena_on_and_off_agree_with_onnxruntime(runtime, ort, model_path):
    # Large outputs (64 KiB and more) come from the session's block cache when the arena is on;
    # outputs a caller still holds keep their values while later runs reuse freed blocks.
    sessions = []
    for arena in (True, False):
        so = runtime.SessionOptions()
        so.enable_cpu_mem_arena = arena
        sessions.append(runtime.InferenceSession(model_path, sess_options=so, providers=["CPUExecutionProvider"]))
    reference = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    held = []
    for rows in (20000, 3, 20000, 7000):
        x = np.random.default_rng(rows).standard_normal((rows, 3)).astype(np.float32)
        want = reference.run(None, {"x": x})
        for sess in sessions:
            got = sess.run(None, {"x": x})
            for a, b in zip(got, want):
                np.testing.assert_array_equal(a, b)
            held.append((got, want))
    for got, want in held:
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)


def _error_of(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the class is what is compared
        return e
    return None


BAD_FEEDS = {
    "wrong_name": {"nope": np.zeros((1, 3), np.float32)},
    "missing": {},
    "wrong_dtype": {"x": np.zeros((1, 3), np.float64)},
    "wrong_rank": {"x": np.zeros((3,), np.float32)},
    "wrong_dim": {"x": np.zeros((1, 4), np.float32)},
}


@pytest.mark.parametrize("case", sorted(BAD_FEEDS))
def test_bad_feed_raises_same_exception_class(both, case):
    mine, ref = both
    feed = BAD_FEEDS[case]
    e_mine = _error_of(lambda: mine.run(None, feed))
    e_ref = _error_of(lambda: ref.run(None, feed))
    assert e_ref is not None and e_mine is not None, (e_mine, e_ref)
    assert type(e_mine).__name__ == type(e_ref).__name__, (repr(e_mine), repr(e_ref))
    msg = str(e_mine)
    if case in ("wrong_name",):
        assert "nope" in msg
    if case in ("missing", "wrong_dtype", "wrong_rank", "wrong_dim"):
        assert "x" in msg
    if case == "wrong_dtype":
        assert "double" in msg and "float" in msg
    if case == "wrong_dim":
        assert "Got: 4" in msg and "Expected: 3" in msg


def test_invalid_output_name(both):
    mine, ref = both
    x = np.zeros((1, 3), np.float32)
    e_mine = _error_of(lambda: mine.run(["nope"], {"x": x}))
    e_ref = _error_of(lambda: ref.run(["nope"], {"x": x}))
    assert type(e_mine).__name__ == type(e_ref).__name__
    assert "nope" in str(e_mine)


def test_load_errors_match(runtime, ort, tmp_path):
    missing = str(tmp_path / "missing.onnx")
    for source in (missing, b"definitely not a model"):
        e_mine = _error_of(lambda: runtime.InferenceSession(source, providers=["CPUExecutionProvider"]))
        e_ref = _error_of(lambda: ort.InferenceSession(source, providers=["CPUExecutionProvider"]))
        assert e_mine is not None and e_ref is not None
        assert type(e_mine).__name__ == type(e_ref).__name__, (repr(e_mine), repr(e_ref))


def test_unknown_op_is_reported(runtime, tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    m = helper.make_model(helper.make_graph([helper.make_node("NoSuchOp", ["x"], ["y"], name="n1")], "g", [x], [y]),
                          opset_imports=[helper.make_opsetid("", 17)])
    e = _error_of(lambda: runtime.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"]))
    assert e is not None
    assert type(e).__name__ in ("InvalidGraph", "NotImplemented", "Fail")
    assert "NoSuchOp" in str(e)


def test_non_contiguous_and_big_endian_feeds(runtime, providers, model_path):
    if runtime.__name__ != "onyx":
        pytest.skip("onnxruntime reads big-endian arrays as if they were native (wrong values)")
    sess = runtime.InferenceSession(model_path, providers=providers)
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    x = base[:, ::2]  # non-contiguous view, shape (4, 3)
    np.testing.assert_array_equal(sess.run(["z"], {"x": x})[0], -np.ascontiguousarray(x))
    xb = np.ascontiguousarray(x).astype(">f4")
    np.testing.assert_array_equal(sess.run(["z"], {"x": xb})[0], -x.astype(np.float32))


def test_zero_size_and_non_finite_feeds_match_onnxruntime(both):
    mine, ref = both
    feeds = [
        np.zeros((0, 3), np.float32),
        np.array([[np.nan, np.inf, -np.inf], [0.0, -0.0, 1e-45]], np.float32),
        np.array([[3.4e38, -3.4e38, np.float32(1e-38)]], np.float32),
    ]
    for x in feeds:
        got, want = mine.run(None, {"x": x}), ref.run(None, {"x": x})
        for g, w in zip(got, want):
            assert g.shape == w.shape and g.dtype == w.dtype
            np.testing.assert_array_equal(g, w)


def test_outputs_do_not_alias_inputs(runtime, providers, tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    m = helper.make_model(helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y]),
                          opset_imports=[helper.make_opsetid("", 17)])
    sess = runtime.InferenceSession(m.SerializeToString(), providers=providers)
    arr = np.array([1, 2], np.float32)
    (out,) = sess.run(None, {"x": arr})
    arr[0] = 100
    assert out.tolist() == [1, 2]


def test_passed_through_inputs_keep_their_values(runtime, providers):
    """An output that is a view of a feed (Identity, Reshape) is a full, correct copy."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    nodes = [helper.make_node("Identity", ["x"], ["y"]), helper.make_node("Reshape", ["x", "s"], ["z"])]
    graph = helper.make_graph(nodes, "g", [x], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3]),
                                             helper.make_tensor_value_info("z", TensorProto.FLOAT, [3, 2])],
                              initializer=[helper.make_tensor("s", TensorProto.INT64, [2], [3, 2])])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    sess = runtime.InferenceSession(m.SerializeToString(), providers=providers)
    arr = np.arange(6, dtype=np.float32).reshape(2, 3) + 1
    y, z = sess.run(None, {"x": arr})
    np.testing.assert_array_equal(y, arr)
    np.testing.assert_array_equal(z, arr.reshape(3, 2))
    assert y.strides == (12, 4) and z.strides == (8, 4)


def test_imports_coexist():
    code = ("import onyx, onnx, onnxruntime, numpy as np\n"
            "from onnx import helper, TensorProto\n"
            "m = helper.make_model(helper.make_graph([helper.make_node('Relu', ['x'], ['y'])], 'g',"
            " [helper.make_tensor_value_info('x', TensorProto.FLOAT, [2])],"
            " [helper.make_tensor_value_info('y', TensorProto.FLOAT, [2])]),"
            " opset_imports=[helper.make_opsetid('', 17)])\n"
            "b = m.SerializeToString(); onnx.checker.check_model(m)\n"
            "x = np.array([-1, 2], np.float32)\n"
            "a = onyx.InferenceSession(b).run(None, {'x': x})[0]\n"
            "r = onnxruntime.InferenceSession(b, providers=['CPUExecutionProvider']).run(None, {'x': x})[0]\n"
            "assert (a == r).all(), (a, r); print('ok')\n")
    env = dict(os.environ)
    if os.environ.get("ONYX_TEST_RUNTIME", "onyx") != "onyx":
        pytest.skip("checks onyx itself")
    for order in (code, code.replace("import onyx, onnx, onnxruntime", "import onnxruntime, onnx, onyx")):
        proc = subprocess.run([sys.executable, "-c", order], capture_output=True, text=True, env=env)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == "ok"


def test_cpu_session_does_not_load_cublas(model_path):
    # cuBLAS (and cuBLASLt, ~150 MB resident once loaded) is opened by the first CUDA provider,
    # not at import: a CPU-only process must not carry it.
    if os.environ.get("ONYX_TEST_RUNTIME", "onyx") != "onyx":
        pytest.skip("checks onyx itself")
    code = ("import onyx, numpy as np\n"
            "s = onyx.InferenceSession(%r, providers=['CPUExecutionProvider'])\n"
            "s.run(None, {i.name: np.ones([d if isinstance(d, int) else 1 for d in i.shape], np.float32)"
            " for i in s.get_inputs()})\n"
            "print(sorted({l.split('/')[-1].strip() for l in open('/proc/self/maps') if 'libcublas' in l}))\n"
            % str(model_path))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_optimized_model_filepath_loads_in_onnxruntime(runtime, ort, model_path, tmp_path):
    out = str(tmp_path / "optimized.onnx")
    so = runtime.SessionOptions()
    so.optimized_model_filepath = out
    sess = runtime.InferenceSession(model_path, sess_options=so, providers=["CPUExecutionProvider"])
    assert os.path.exists(out)
    onnx.checker.check_model(onnx.load(out))
    x = np.random.default_rng(1).standard_normal((3, 3)).astype(np.float32)
    ref = ort.InferenceSession(out, providers=["CPUExecutionProvider"]).run(None, {"x": x})
    for a, b in zip(sess.run(None, {"x": x}), ref):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_string_outputs_match(runtime, ort):
    """String tensors come back as numpy object arrays of str, as onnxruntime returns them."""
    m = helper.make_model(helper.make_graph(
        [helper.make_node("Cast", ["x"], ["y"], to=TensorProto.STRING)], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.STRING, [2, 3])]), opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    x = np.array([[1.5, -2, 0], [3.25, 1e10, -0.5]], np.float32)
    mine = runtime.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    ref = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    assert mine.dtype == object and mine.shape == (2, 3)
    assert all(isinstance(v, str) for v in mine.ravel())
    assert [float(v) for v in mine.ravel()] == [float(v) for v in ref.ravel()]
    del mine  # the elements' references are numpy's: freeing them must not crash


def test_ml_dtypes_feeds_and_outputs(runtime):
    """bfloat16, float8 and int4 arrays (ml_dtypes, as onnx.numpy_helper returns them) go in and
    come back with their ml_dtypes dtype."""
    ml_dtypes = pytest.importorskip("ml_dtypes")
    if getattr(runtime, "__name__", "") != "onyx":
        pytest.skip("onnxruntime's Python API does not take ml_dtypes arrays")
    cases = [(TensorProto.BFLOAT16, ml_dtypes.bfloat16), (TensorProto.FLOAT8E4M3FN, ml_dtypes.float8_e4m3fn),
             (TensorProto.FLOAT8E5M2, ml_dtypes.float8_e5m2), (TensorProto.INT4, ml_dtypes.int4)]
    x = np.array([1.5, 3.0, -2.0, 0.0], np.float32)
    for code, dtype in cases:
        m = helper.make_model(helper.make_graph(
            [helper.make_node("Cast", ["x"], ["y"], to=code), helper.make_node("Cast", ["y"], ["z"], to=TensorProto.FLOAT)], "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
            [helper.make_tensor_value_info("y", code, [4]), helper.make_tensor_value_info("z", TensorProto.FLOAT, [4])]),
            opset_imports=[helper.make_opsetid("", 21)])
        m.ir_version = 10
        y, z = runtime.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})
        assert y.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(z, x.astype(dtype).astype(np.float32))
        # and as a feed
        m2 = helper.make_model(helper.make_graph([helper.make_node("Cast", ["y"], ["z"], to=TensorProto.FLOAT)], "g",
                                                 [helper.make_tensor_value_info("y", code, [4])],
                                                 [helper.make_tensor_value_info("z", TensorProto.FLOAT, [4])]),
                               opset_imports=[helper.make_opsetid("", 21)])
        m2.ir_version = 10
        (z2,) = runtime.InferenceSession(m2.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"y": y})
        np.testing.assert_array_equal(z2, z)
