"""ai.onnx.preview.training Gradient, which onnxruntime does not run: onyx expands it at load
into ai.onnx nodes. The reference is numpy: each model's gradient written out by hand, and a
central finite difference of the forward graph (run by onyx itself, in float64)."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

RNG = np.random.default_rng(11)


def _model(nodes, xs, y, shapes, dtype=TensorProto.DOUBLE, opset=17, outputs_extra=()):
    grads = ["d_" + x for x in xs]
    nodes = list(nodes) + [helper.make_node("Gradient", xs, grads, domain="ai.onnx.preview.training", xs=xs, y=y)]
    inputs = [helper.make_tensor_value_info(n, dtype, s) for n, s in shapes.items()]
    outputs = [helper.make_tensor_value_info(n, dtype, None) for n in [y, *outputs_extra, *grads]]
    g = helper.make_graph(nodes, "gradient", inputs, outputs)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset),
                                               helper.make_opsetid("ai.onnx.preview.training", 1)])


@pytest.fixture(autouse=True)
def _onyx_only(runtime):
    if runtime.__name__ == "onnxruntime":
        pytest.skip("onnxruntime does not run Gradient")


def _session(runtime, model):
    return runtime.InferenceSession(model.SerializeToString())


def _finite_difference(runtime, model, feeds, xs, y, eps=1e-6):
    """d(sum y)/dx by central differences, through onyx's forward pass."""
    sess = _session(runtime, model)
    out = []
    for x in xs:
        g = np.zeros_like(feeds[x])
        for i in np.ndindex(feeds[x].shape):
            hi = dict(feeds); hi[x] = feeds[x].copy(); hi[x][i] += eps
            lo = dict(feeds); lo[x] = feeds[x].copy(); lo[x][i] -= eps
            g[i] = (sess.run([y], hi)[0].sum() - sess.run([y], lo)[0].sum()) / (2 * eps)
        out.append(g)
    return out


CASES = {
    # name: (nodes, xs, y, input shapes, numpy gradients of sum(y))
    "add_broadcast": ([helper.make_node("Add", ["a", "b"], ["y"])], ["a", "b"], "y", {"a": [2, 3], "b": [3]},
                      lambda a, b: [np.ones_like(a), np.full_like(b, 2.0)]),
    "sub_mul_div": ([helper.make_node("Sub", ["a", "b"], ["s"]), helper.make_node("Mul", ["s", "a"], ["m"]),
                     helper.make_node("Div", ["m", "b"], ["y"])], ["a", "b"], "y", {"a": [2, 1, 3], "b": [4, 1]},
                    None),
    "unary_chain": ([helper.make_node("Exp", ["a"], ["e"]), helper.make_node("Tanh", ["e"], ["t"]),
                     helper.make_node("Sigmoid", ["t"], ["s"]), helper.make_node("Neg", ["s"], ["n"]),
                     helper.make_node("Identity", ["n"], ["y"])], ["a"], "y", {"a": [5]},
                    lambda a: [-(lambda s: s * (1 - s))(1 / (1 + np.exp(-np.tanh(np.exp(a)))))
                               * (1 - np.tanh(np.exp(a)) ** 2) * np.exp(a)]),
    "relu_log_sqrt": ([helper.make_node("Relu", ["a"], ["r"]), helper.make_node("Mul", ["b", "b"], ["bb"]),
                       helper.make_node("Log", ["bb"], ["l"]), helper.make_node("Sqrt", ["bb"], ["q"]),
                       helper.make_node("Add", ["r", "l"], ["rl"]), helper.make_node("Add", ["rl", "q"], ["y"])],
                      ["a", "b"], "y", {"a": [6], "b": [6]},
                      lambda a, b: [(a > 0).astype(a.dtype), 2 / b + np.sign(b)]),
    "matmul_batched": ([helper.make_node("MatMul", ["a", "b"], ["y"])], ["a", "b"], "y",
                       {"a": [2, 3, 4], "b": [4, 5]},
                       lambda a, b: [np.broadcast_to(np.ones((3, 5)) @ b.T, a.shape),
                                     sum(a[i].T @ np.ones((3, 5)) for i in range(2))]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_matches_numpy_and_finite_differences(runtime, name):
    nodes, xs, y, shapes, reference = CASES[name]
    model = _model(nodes, xs, y, shapes)
    feeds = {n: RNG.uniform(0.5, 1.5, s) * RNG.choice([-1, 1], s) if name != "relu_log_sqrt" or n == "a"
             else RNG.uniform(0.5, 1.5, s) for n, s in shapes.items()}
    got = _session(runtime, model).run(None, feeds)
    grads = got[1:]
    fd = _finite_difference(runtime, model, feeds, xs, y)
    for x, g, f in zip(xs, grads, fd):
        assert g.shape == feeds[x].shape, (x, g.shape)
        np.testing.assert_allclose(g, f, rtol=1e-5, atol=1e-6, err_msg="d sum(%s)/d%s" % (y, x))
    if reference is not None:
        for x, g, r in zip(xs, grads, reference(*[feeds[x] for x in xs])):
            np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-12, err_msg="d sum(%s)/d%s" % (y, x))


def test_gradient_float32_and_opset12_reducesum_attribute(runtime):
    # Opset 12: the broadcast is undone with ReduceSum's axes attribute (an input from 13 on).
    model = _model([helper.make_node("Mul", ["a", "b"], ["y"])], ["a", "b"], "y", {"a": [2, 3], "b": [1, 3]},
                   dtype=TensorProto.FLOAT, opset=12)
    a = RNG.standard_normal((2, 3)).astype(np.float32)
    b = RNG.standard_normal((1, 3)).astype(np.float32)
    _, da, db = _session(runtime, model).run(None, {"a": a, "b": b})
    np.testing.assert_allclose(da, np.broadcast_to(b, a.shape), rtol=1e-6)
    np.testing.assert_allclose(db, a.sum(axis=0, keepdims=True), rtol=1e-6)


def test_gradient_of_x_that_y_does_not_depend_on_is_zero(runtime):
    model = _model([helper.make_node("Exp", ["a"], ["y"])], ["a", "b"], "y", {"a": [3], "b": [2, 2]})
    a, b = RNG.standard_normal(3), RNG.standard_normal((2, 2))
    _, da, db = _session(runtime, model).run(None, {"a": a, "b": b})
    np.testing.assert_allclose(da, np.exp(a))
    assert db.shape == (2, 2) and not db.any()


def test_gradient_refuses_an_op_without_a_derivative_rule(runtime):
    model = _model([helper.make_node("Cos", ["a"], ["y"])], ["a"], "y", {"a": [3]})
    with pytest.raises(Exception, match="derivative of Cos"):
        _session(runtime, model)


def test_gradient_refuses_broadcasting_over_unknown_dims(runtime):
    model = _model([helper.make_node("Add", ["a", "b"], ["y"])], ["a", "b"], "y", {"a": ["n", 3], "b": [1, 3]})
    with pytest.raises(Exception, match="broadcasting of 'b'"):
        _session(runtime, model)
