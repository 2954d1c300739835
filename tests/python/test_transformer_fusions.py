"""A BERT-like encoder layer (self-attention with the score Div, residual Adds before
LayerNormalization, the feed-forward bias Add before the erf GELU): onyx at level 2 fuses it into
onnxruntime's com.microsoft BiasGelu, SkipLayerNormalization (the residual sum, read again by
the next residual, as SkipLayerNormalization's 4th output) and FusedMatMul (the scores' Div). The outputs equal onnxruntime's on the
original model, and the optimized model onyx saves loads and runs in onnxruntime with the same
outputs."""
import collections
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

RNG = np.random.default_rng(5)
H, HEADS, FF = 32, 4, 64


def _init(name, shape, scale=0.2):
    return numpy_helper.from_array((RNG.standard_normal(shape) * scale).astype(np.float32), name)


def _const(name, values, dtype=np.float32):
    return numpy_helper.from_array(np.array(values, dtype), name)


def encoder(layers=2, gelu="ms"):
    """x [batch, seq, H] (symbolic batch and seq) through `layers` post-norm encoder layers."""
    nodes, inits = [], [_const("sqrt_d", np.sqrt(H // HEADS)), _const("heads_shape", [0, 0, HEADS, H // HEADS], np.int64),
                        _const("merge_shape", [0, 0, H], np.int64)]
    x = "x"
    for i in range(layers):
        p = "l%d_" % i
        inits += [_init(p + w, [H, H]) for w in ("Wq", "Wk", "Wv", "Wo")]
        inits += [_init(p + b, [H]) for b in ("bq", "bk", "bv", "bo", "b2")]
        inits += [_init(p + "W1", [H, FF]), _init(p + "b1", [FF]), _init(p + "W2", [FF, H])]
        inits += [_init(p + g, [H], 1.0) for g in ("g1", "be1", "g2", "be2")]
        for t in ("q", "k", "v"):
            nodes += [helper.make_node("MatMul", [x, p + "W" + t], [p + t + "m"]),
                      helper.make_node("Add", [p + t + "m", p + "b" + t], [p + t + "a"]),
                      helper.make_node("Reshape", [p + t + "a", "heads_shape"], [p + t + "r"])]
        nodes += [helper.make_node("Transpose", [p + "qr"], [p + "qt"], perm=[0, 2, 1, 3]),
                  helper.make_node("Transpose", [p + "kr"], [p + "kt"], perm=[0, 2, 3, 1]),
                  helper.make_node("Transpose", [p + "vr"], [p + "vt"], perm=[0, 2, 1, 3]),
                  helper.make_node("MatMul", [p + "qt", p + "kt"], [p + "s"]),
                  helper.make_node("Div", [p + "s", "sqrt_d"], [p + "sd"]),
                  helper.make_node("Softmax", [p + "sd"], [p + "pr"], axis=-1),
                  helper.make_node("MatMul", [p + "pr", p + "vt"], [p + "ctx"]),
                  helper.make_node("Transpose", [p + "ctx"], [p + "ctxt"], perm=[0, 2, 1, 3]),
                  helper.make_node("Reshape", [p + "ctxt", "merge_shape"], [p + "ctxm"]),
                  helper.make_node("MatMul", [p + "ctxm", p + "Wo"], [p + "om"]),
                  helper.make_node("Add", [p + "bo", p + "om"], [p + "oa"]),
                  helper.make_node("Add", [p + "oa", x], [p + "res1"]),
                  helper.make_node("LayerNormalization", [p + "res1", p + "g1", p + "be1"], [p + "ln1"], epsilon=1e-12),
                  helper.make_node("MatMul", [p + "ln1", p + "W1"], [p + "f1"]),
                  helper.make_node("Add", [p + "b1", p + "f1"], [p + "f1a"])]
        if gelu == "ms":
            nodes.append(helper.make_node("Gelu", [p + "f1a"], [p + "f1g"], domain="com.microsoft"))
        else:  # the erf formula as exporters write it, which GeluFusion turns into Gelu first
            inits += [_const(p + "sqrt2", np.sqrt(2.0)), _const(p + "one", 1.0), _const(p + "half", 0.5)]
            nodes += [helper.make_node("Div", [p + "f1a", p + "sqrt2"], [p + "gd"]),
                      helper.make_node("Erf", [p + "gd"], [p + "ge"]),
                      helper.make_node("Add", [p + "ge", p + "one"], [p + "gp"]),
                      helper.make_node("Mul", [p + "f1a", p + "gp"], [p + "gm"]),
                      helper.make_node("Mul", [p + "gm", p + "half"], [p + "f1g"])]
        nodes += [helper.make_node("MatMul", [p + "f1g", p + "W2"], [p + "f2"]),
                  helper.make_node("Add", [p + "f2", p + "b2"], [p + "f2a"]),
                  helper.make_node("Add", [p + "ln1", p + "f2a"], [p + "res2"]),
                  helper.make_node("LayerNormalization", [p + "res2", p + "g2", p + "be2"], [p + "ln2"], epsilon=1e-12)]
        x = p + "ln2"
    # The last residual sum is read again (as a pre-norm model's next residual would).
    last = "l%d_res2" % (layers - 1)
    nodes.append(helper.make_node("Add", [x, last], ["y"]))
    g = helper.make_graph(nodes, "encoder", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", H])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 8
    return m


def _run_ort(ort, path, feeds, level):
    so = ort.SessionOptions()
    so.graph_optimization_level = level
    return ort.InferenceSession(path, sess_options=so, providers=["CPUExecutionProvider"]).run(None, feeds)


@pytest.mark.parametrize("gelu", ["ms", "erf_formula"])
def test_encoder_fusions_match_onnxruntime(gelu, runtime, ort, tmp_path):
    layers = 2
    model = encoder(layers, gelu)
    src, out = str(tmp_path / "model.onnx"), str(tmp_path / "optimized.onnx")
    onnx.save(model, src)
    feeds = {"x": RNG.standard_normal((2, 7, H)).astype(np.float32)}
    so = runtime.SessionOptions()
    so.graph_optimization_level = runtime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    so.optimized_model_filepath = out
    mine = runtime.InferenceSession(src, sess_options=so, providers=["CPUExecutionProvider"]).run(None, feeds)
    ref = _run_ort(ort, src, feeds, ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    np.testing.assert_allclose(mine[0], ref[0], rtol=1e-4, atol=1e-4)
    if os.environ.get("ONYX_TEST_RUNTIME", "onyx") != "onyx":
        return  # onnxruntime's own optimized model is not what these checks are about
    saved = onnx.load(out)
    onnx.checker.check_model(saved)
    ops = collections.Counter(n.op_type for n in saved.graph.node)
    assert ops["BiasGelu"] == layers, dict(ops)
    assert ops["SkipLayerNormalization"] == 2 * layers, dict(ops)
    assert ops["LayerNormalization"] == 0 and ops["Gelu"] == 0 and ops["Erf"] == 0, dict(ops)
    # AttentionFusion runs before MatMulScaleFusion: the scores' scale goes into MultiHeadAttention.
    assert ops["MultiHeadAttention"] == layers and ops["FusedMatMul"] == 0 and ops["Div"] == 0, dict(ops)
    # Left: the 5 bias Adds of the attention and output projections per layer, and the final Add.
    assert ops["Add"] == 5 * layers + 1, dict(ops)
    skips = [n for n in saved.graph.node if n.op_type == "SkipLayerNormalization"]
    assert all(n.domain == "com.microsoft" for n in skips)
    # The last layer's second residual sum is read by the final Add: the 4th output carries it.
    assert sum(len(n.output) == 4 and n.output[3] == "l%d_res2" % (layers - 1) for n in skips) == 1
    for level in (ort.GraphOptimizationLevel.ORT_DISABLE_ALL, ort.GraphOptimizationLevel.ORT_ENABLE_ALL):
        np.testing.assert_allclose(_run_ort(ort, out, feeds, level)[0], ref[0], rtol=1e-4, atol=1e-4)
    again = runtime.InferenceSession(out, providers=["CPUExecutionProvider"]).run(None, feeds)
    np.testing.assert_allclose(again[0], ref[0], rtol=1e-4, atol=1e-4)


def test_bias_gelu_and_skip_layer_norm_kernels_match_onnxruntime(runtime, ort, tmp_path):
    """The two kernels alone, with SkipLayerNormalization's bias input and every output, against
    onnxruntime's."""
    n = 40
    nodes = [helper.make_node("BiasGelu", ["a", "b"], ["g"], domain="com.microsoft"),
             helper.make_node("SkipLayerNormalization", ["g", "skip", "gamma", "beta", "bias"], ["y", "mean", "inv", "sum"],
                              domain="com.microsoft", epsilon=1e-5)]
    g = helper.make_graph(nodes, "k", [helper.make_tensor_value_info("a", TensorProto.FLOAT, [2, 3, n]),
                                       helper.make_tensor_value_info("skip", TensorProto.FLOAT, [2, 3, n])],
                          [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in ("y", "sum", "g")],
                          initializer=[_init("b", [n], 1.0), _init("gamma", [n], 1.0), _init("beta", [n], 1.0), _init("bias", [n], 1.0)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 8
    path = str(tmp_path / "k.onnx")
    onnx.save(m, path)
    feeds = {"a": (RNG.standard_normal((2, 3, n)) * 3).astype(np.float32), "skip": RNG.standard_normal((2, 3, n)).astype(np.float32)}
    mine = runtime.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, feeds)
    ref = _run_ort(ort, path, feeds, ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    for a, b in zip(mine, ref):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
