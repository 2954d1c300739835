"""Models that the graph optimizer rewrites (redundant nodes, transposes, common subexpressions,
Conv folding, MatMul + Add -> Gemm): the runtime under test gives onnxruntime's outputs, and the
optimized model it saves passes the ONNX checker, loads in onnxruntime and gives the same outputs."""
import collections
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

RNG = np.random.default_rng(7)


def _init(name, shape, lo=-1.0, hi=1.0, dtype=np.float32):
    return numpy_helper.from_array(RNG.uniform(lo, hi, shape).astype(dtype), name)


def _ints(name, values):
    return numpy_helper.from_array(np.array(values, np.int64), name)


def _model(nodes, inputs, outputs, inits, opset=17):
    g = helper.make_graph(nodes, "passes", inputs, outputs, initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def _vi(name, shape, t=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, t, shape)


def conv_bn_mul_add():
    """Conv -> BatchNormalization -> Mul [C,1,1] -> Add [1,C,1,1]: one Conv."""
    nodes = [
        helper.make_node("Conv", ["x", "W", "B"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c", "s", "b", "m", "v"], ["n"], epsilon=1e-3),
        helper.make_node("Mul", ["n", "k"], ["nm"]),
        helper.make_node("Add", ["a", "nm"], ["y"]),
    ]
    inits = [_init("W", [8, 3, 3, 3]), _init("B", [8]), _init("s", [8], 0.5, 2), _init("b", [8]),
             _init("m", [8]), _init("v", [8], 0.1, 2), _init("k", [8, 1, 1]), _init("a", [1, 8, 1, 1])]
    m = _model(nodes, [_vi("x", ["N", 3, 10, 10])], [_vi("y", None)], inits)
    return m, {"x": RNG.standard_normal((2, 3, 10, 10)).astype(np.float32)}, {"BatchNormalization": 0, "Mul": 0, "Add": 0}


def matmul_add():
    """Two equal x @ W products merge into one, which then has two readers and is not fused; the
    3-D product is not fused either."""
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["p"]),
        helper.make_node("Add", ["p", "c"], ["y"]),
        helper.make_node("MatMul", ["x", "W"], ["q"], name="again"),
        helper.make_node("Add", ["r", "q"], ["z"]),
        helper.make_node("MatMul", ["x3", "W"], ["p3"]),
        helper.make_node("Add", ["p3", "c"], ["w"]),
    ]
    inits = [_init("W", [16, 4]), _init("c", [4])]
    m = _model(nodes, [_vi("x", ["N", 16]), _vi("r", ["N", 1]), _vi("x3", [2, 3, 16])],
               [_vi("y", None), _vi("z", None), _vi("w", None)], inits)
    feeds = {"x": RNG.standard_normal((5, 16)).astype(np.float32), "r": RNG.standard_normal((5, 1)).astype(np.float32),
             "x3": RNG.standard_normal((2, 3, 16)).astype(np.float32)}
    return m, feeds, {"MatMul": 2, "Gemm": 0}


def matmul_add_single():
    nodes = [helper.make_node("MatMul", ["x", "W"], ["p"]), helper.make_node("Add", ["p", "c"], ["y"])]
    m = _model(nodes, [_vi("x", ["N", 16])], [_vi("y", None)], [_init("W", [16, 4]), _init("c", [1, 4])])
    return m, {"x": RNG.standard_normal((3, 16)).astype(np.float32)}, {"MatMul": 0, "Add": 0, "Gemm": 1}


def redundant_and_transposes():
    """Identity/Dropout/Cast no-ops, a reshape chain, inverse and composable transposes, and
    duplicated subexpressions, ending in graph outputs that must keep their names."""
    nodes = [
        helper.make_node("Relu", ["x"], ["r"]),
        helper.make_node("Identity", ["r"], ["i"]),
        helper.make_node("Dropout", ["i"], ["d"]),
        helper.make_node("Cast", ["d"], ["c"], to=TensorProto.FLOAT),
        helper.make_node("Transpose", ["c"], ["t1"], perm=[0, 2, 1]),
        helper.make_node("Transpose", ["t1"], ["t2"], perm=[0, 2, 1]),
        helper.make_node("Reshape", ["t2", "s1"], ["f1"]),
        helper.make_node("Unsqueeze", ["f1", "ax"], ["f2"]),
        helper.make_node("Flatten", ["f2"], ["f3"], axis=1),
        helper.make_node("Sigmoid", ["f3"], ["g1"]),
        helper.make_node("Sigmoid", ["f3"], ["g2"]),
        helper.make_node("Add", ["g1", "g2"], ["y"]),
        helper.make_node("Transpose", ["c"], ["u1"], perm=[2, 0, 1]),
        helper.make_node("Transpose", ["u1"], ["z"], perm=[0, 2, 1]),
        helper.make_node("Identity", ["r"], ["rr"]),
    ]
    inits = [_ints("s1", [2, 12]), _ints("ax", [0])]
    m = _model(nodes, [_vi("x", [2, 3, 4])], [_vi("y", None), _vi("z", None), _vi("rr", None)], inits)
    expect = {"Identity": 0, "Dropout": 0, "Cast": 0, "Transpose": 1, "Unsqueeze": 0, "Flatten": 0, "Reshape": 1,
              "Sigmoid": 1}
    return m, {"x": RNG.standard_normal((2, 3, 4)).astype(np.float32)}, expect


def lstm_then_identity():
    """An op that shape inference has no rule for (its outputs' types stay open) before an
    Identity: the saved model must still load."""
    h = 5
    nodes = [helper.make_node("LSTM", ["x", "W", "R"], ["Y", "Yh"], hidden_size=h),
             helper.make_node("Identity", ["Yh"], ["yh"]), helper.make_node("Relu", ["Y"], ["y"])]
    inits = [_init("W", [1, 4 * h, 4]), _init("R", [1, 4 * h, h])]
    m = _model(nodes, [_vi("x", [3, 2, 4])], [_vi("y", [3, 1, 2, h]), _vi("yh", [1, 2, h])], inits)
    return m, {"x": RNG.standard_normal((3, 2, 4)).astype(np.float32)}, {"Identity": 0}


CASES = {f.__name__: f for f in (conv_bn_mul_add, matmul_add, matmul_add_single, redundant_and_transposes,
                                 lstm_then_identity)}


@pytest.mark.parametrize("case", sorted(CASES))
def test_optimized_model_matches_onnxruntime(case, runtime, ort, tmp_path):
    model, feeds, expect = CASES[case]()
    src, out = str(tmp_path / "model.onnx"), str(tmp_path / "optimized.onnx")
    onnx.save(model, src)
    so = runtime.SessionOptions()
    so.optimized_model_filepath = out
    mine = runtime.InferenceSession(src, sess_options=so, providers=["CPUExecutionProvider"]).run(None, feeds)
    ref_opts = ort.SessionOptions()
    ref_opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    ref = ort.InferenceSession(src, sess_options=ref_opts, providers=["CPUExecutionProvider"]).run(None, feeds)
    for a, b in zip(mine, ref):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    if os.environ.get("ONYX_TEST_RUNTIME", "onyx") != "onyx":
        return  # onnxruntime's own optimized model is not what these checks are about
    saved = onnx.load(out)
    onnx.checker.check_model(saved)
    assert [o.name for o in saved.graph.output] == [o.name for o in model.graph.output]
    ops = collections.Counter(n.op_type for n in saved.graph.node)
    for op, n in expect.items():
        assert ops[op] == n, (op, dict(ops))
    reloaded = ort.InferenceSession(out, sess_options=ref_opts, providers=["CPUExecutionProvider"]).run(None, feeds)
    for a, b in zip(reloaded, ref):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
