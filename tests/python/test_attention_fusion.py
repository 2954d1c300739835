"""Multi-head attention as torch exports it (BERT: head splits whose Reshape targets come from
Shape/Gather/Unsqueeze/Concat, Div by sqrt(head size), a [B, 1, 1, S] padding mask; GPT-style: a
constant additive causal mask [1, 1, S, S]) becomes com.microsoft MultiHeadAttention at level 2.
onyx's outputs equal onnxruntime's on the original model, and the optimized model onyx saves loads
and runs in onnxruntime with the same outputs. onyx's MultiHeadAttention kernel matches
onnxruntime's on single-node models (attention_bias, key_padding_mask, unidirectional, bias)."""
import collections
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

RNG = np.random.default_rng(5)
HEADS, HEAD = 4, 8
HIDDEN = HEADS * HEAD


def _ints(name, v, scalar=False):
    return numpy_helper.from_array(np.array(v[0] if scalar else v, np.int64), name)


def _floats(name, a):
    return numpy_helper.from_array(np.asarray(a, np.float32), name)


def attention_model(kind, condition=None):
    """One attention block + output projection; kind 'bert' (padding mask input, symbolic
    sizes), 'fused_matmul' (the same with the scores as com.microsoft FusedMatMul(Qh, Kh, alpha,
    transB=1), as onnxruntime's MatMul-scale fusion leaves them) or 'gpt' (constant causal
    additive mask, fixed sequence length 6) or 'gpt_where' (GPT-2's Where(constant lower-triangular
condition, scores, -10000) before the padding mask, fixed sequence length 6)."""
    seq = 6 if kind.startswith("gpt") else "seq"
    nodes, inits = [], []
    inits += [_ints("ax0", [0]), _ints("ax1", [1]), _ints("ax2", [2]), _ints("i0", [0], True), _ints("i1", [1], True),
              _ints("heads", [HEADS, HEAD]), _ints("hidden", [HIDDEN]), _floats("div", np.sqrt(HEAD)),
              _floats("one", 1.0), _floats("neg", -10000.0)]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", seq, HIDDEN])]

    def split(v, out):
        nodes.extend([
            helper.make_node("Shape", [v], [v + "_sh"]),
            helper.make_node("Gather", [v + "_sh", "i0"], [v + "_b"], axis=0),
            helper.make_node("Gather", [v + "_sh", "i1"], [v + "_s"], axis=0),
            helper.make_node("Unsqueeze", [v + "_b", "ax0"], [v + "_b1"]),
            helper.make_node("Unsqueeze", [v + "_s", "ax0"], [v + "_s1"]),
            helper.make_node("Concat", [v + "_b1", v + "_s1", "heads"], [v + "_t"], axis=0),
            helper.make_node("Reshape", [v, v + "_t"], [out])])

    for w in "qkvo":
        inits += [_floats("W" + w, RNG.uniform(-0.3, 0.3, (HIDDEN, HIDDEN))), _floats("b" + w, RNG.uniform(-0.1, 0.1, HIDDEN))]
    for w in "qkv":
        nodes += [helper.make_node("MatMul", ["x", "W" + w], [w + "_mm"]), helper.make_node("Add", ["b" + w, w + "_mm"], [w])]
        split(w, w + "_h")
    nodes += [helper.make_node("Transpose", ["q_h"], ["qt"], perm=[0, 2, 1, 3]),
              helper.make_node("Transpose", ["v_h"], ["vt"], perm=[0, 2, 1, 3])]
    if kind == "fused_matmul":
        nodes += [helper.make_node("Transpose", ["k_h"], ["kh"], perm=[0, 2, 1, 3]),
                  helper.make_node("FusedMatMul", ["qt", "kh"], ["scaled"], domain="com.microsoft",
                                   alpha=float(1 / np.sqrt(HEAD)), transB=1)]
    else:
        nodes += [helper.make_node("Transpose", ["k_h"], ["kt"], perm=[0, 2, 3, 1]),
                  helper.make_node("MatMul", ["qt", "kt"], ["qk"]),
                  helper.make_node("Div", ["qk", "div"], ["scaled"])]
    if kind == "gpt_where":
        cond = np.tril(np.ones((6, 6), bool)) if condition is None else condition
        inits += [numpy_helper.from_array(cond[None, None], "causal"),
                  _floats("masked_bias", -10000.0)]
        nodes.append(helper.make_node("Where", ["causal", "scaled", "masked_bias"], ["scaled_causal"]))
        scaled = "scaled_causal"
    else:
        scaled = "scaled"
    if kind != "gpt":
        inputs.append(helper.make_tensor_value_info("mask", TensorProto.INT64, ["batch", seq]))
        nodes += [helper.make_node("Unsqueeze", ["mask", "ax1"], ["m1"]), helper.make_node("Unsqueeze", ["m1", "ax2"], ["m2"]),
                  helper.make_node("Cast", ["m2"], ["mf"], to=TensorProto.FLOAT), helper.make_node("Sub", ["one", "mf"], ["inv"]),
                  helper.make_node("Mul", ["inv", "neg"], ["bias_mask"])]
    else:
        causal = np.triu(np.full((6, 6), -10000.0, np.float32), 1)[None, None]
        inits.append(_floats("bias_mask", causal))
    nodes += [helper.make_node("Add", [scaled, "bias_mask"], ["masked"]),
              helper.make_node("Softmax", ["masked"], ["probs"], axis=-1),
              helper.make_node("MatMul", ["probs", "vt"], ["ctx"]),
              helper.make_node("Transpose", ["ctx"], ["ctx_t"], perm=[0, 2, 1, 3]),
              helper.make_node("Shape", ["ctx_t"], ["c_sh"]),
              helper.make_node("Gather", ["c_sh", "i0"], ["c_b"], axis=0),
              helper.make_node("Gather", ["c_sh", "i1"], ["c_s"], axis=0),
              helper.make_node("Unsqueeze", ["c_b", "ax0"], ["c_b1"]),
              helper.make_node("Unsqueeze", ["c_s", "ax0"], ["c_s1"]),
              helper.make_node("Concat", ["c_b1", "c_s1", "hidden"], ["c_t"], axis=0),
              helper.make_node("Reshape", ["ctx_t", "c_t"], ["merged"]),
              helper.make_node("MatMul", ["merged", "Wo"], ["o_mm"]),
              helper.make_node("Add", ["o_mm", "bo"], ["y"])]
    g = helper.make_graph(nodes, "attention", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                          initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14), helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 8
    return m


def feeds_for(kind, batch, seq):
    f = {"x": RNG.standard_normal((batch, seq, HIDDEN)).astype(np.float32)}
    if kind != "gpt":
        mask = np.ones((batch, seq), np.int64)
        mask[-1, seq - 3:] = 0  # padding in the last sequence
        f["mask"] = mask
    return f


def _ort(ort, path, feeds, level=None):
    so = ort.SessionOptions()
    if level is not None:
        so.graph_optimization_level = level
    return ort.InferenceSession(path, sess_options=so, providers=["CPUExecutionProvider"]).run(None, feeds)[0]


@pytest.mark.parametrize("kind,shapes", [("bert", [(2, 7), (1, 5)]), ("fused_matmul", [(2, 7)]), ("gpt", [(2, 6)]),
                                         ("gpt_where", [(2, 6)])])
def test_attention_fusion_matches_onnxruntime(kind, shapes, runtime, ort, tmp_path):
    src, out = str(tmp_path / "model.onnx"), str(tmp_path / "optimized.onnx")
    onnx.save(attention_model(kind), src)
    so = runtime.SessionOptions()
    so.graph_optimization_level = runtime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    so.optimized_model_filepath = out
    sess = runtime.InferenceSession(src, sess_options=so, providers=["CPUExecutionProvider"])
    for batch, seq in shapes:
        feeds = feeds_for(kind, batch, seq)
        ref = _ort(ort, src, feeds, ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
        np.testing.assert_allclose(sess.run(None, feeds)[0], ref, rtol=1e-4, atol=1e-5)
        if os.environ.get("ONYX_TEST_RUNTIME", "onyx") != "onyx":
            continue
        saved = onnx.load(out)
        ops = collections.Counter(n.op_type for n in saved.graph.node)
        assert ops["MultiHeadAttention"] == 1 and ops["Softmax"] == 0 and ops["Transpose"] == 0, dict(ops)
        mha = next(n for n in saved.graph.node if n.op_type == "MultiHeadAttention")
        assert mha.domain == "com.microsoft"
        unidirectional = next((a.i for a in mha.attribute if a.name == "unidirectional"), 0)
        assert unidirectional == (kind == "gpt_where")
        for level in (ort.GraphOptimizationLevel.ORT_DISABLE_ALL, ort.GraphOptimizationLevel.ORT_ENABLE_ALL):
            np.testing.assert_allclose(_ort(ort, out, feeds, level), ref, rtol=1e-4, atol=1e-5)


def test_where_that_is_not_causal_stays(runtime, ort, tmp_path):
    """A Where whose condition is not the causal triangle (a key masked above the diagonal
    missing) is not unidirectional attention: nothing fuses and the outputs stay onnxruntime's."""
    cond = np.tril(np.ones((6, 6), bool))
    cond[4, 1] = False
    src, out = str(tmp_path / "model.onnx"), str(tmp_path / "optimized.onnx")
    onnx.save(attention_model("gpt_where", cond), src)
    so = runtime.SessionOptions()
    so.optimized_model_filepath = out
    feeds = feeds_for("gpt_where", 2, 6)
    got = runtime.InferenceSession(src, sess_options=so, providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    np.testing.assert_allclose(got, _ort(ort, src, feeds), rtol=1e-4, atol=1e-5)
    if os.environ.get("ONYX_TEST_RUNTIME", "onyx") == "onyx":
        ops = collections.Counter(n.op_type for n in onnx.load(out).graph.node)
        assert ops["MultiHeadAttention"] == 0 and ops["Softmax"] == 1, dict(ops)


def _mha_model(inputs, attrs):
    names = ["q", "k", "v", "bias", "kpm", "ab"]
    used = [n if n in inputs else "" for n in names]
    while used and not used[-1]:
        used.pop()
    vis = [helper.make_tensor_value_info(n, TensorProto.INT32 if n == "kpm" else TensorProto.FLOAT, inputs[n].shape)
           for n in names if n in inputs]
    node = helper.make_node("MultiHeadAttention", used, ["y"], domain="com.microsoft", **attrs)
    g = helper.make_graph([node], "mha", vis, [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 8
    return m


@pytest.mark.parametrize("case", ["plain", "bias_per_batch", "bias_per_head", "padding", "unidirectional", "packed_bias",
                                  "cross"])
def test_multihead_attention_kernel_matches_onnxruntime(case, runtime, ort, tmp_path):
    b, s, t, n, h = 2, 5, 5, 3, 4
    if case == "cross":
        t = 7
    f = {"q": RNG.standard_normal((b, s, n * h)).astype(np.float32),
         "k": RNG.standard_normal((b, t, n * h)).astype(np.float32),
         "v": RNG.standard_normal((b, t, n * h)).astype(np.float32)}
    attrs = {"num_heads": n}
    if case == "bias_per_batch":
        f["ab"] = RNG.standard_normal((b, 1, s, t)).astype(np.float32)
    if case == "bias_per_head":
        f["ab"] = RNG.standard_normal((1, n, s, t)).astype(np.float32)
        attrs["scale"] = 0.7
    if case == "padding":
        kpm = np.ones((b, t), np.int32)
        kpm[1, -2:] = 0
        f["kpm"] = kpm
    if case == "unidirectional":
        attrs["unidirectional"] = 1
    if case == "packed_bias":
        f["bias"] = RNG.standard_normal(3 * n * h).astype(np.float32)
    path = str(tmp_path / "mha.onnx")
    onnx.save(_mha_model(f, attrs), path)
    ref = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, f)[0]
    got = runtime.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, f)[0]
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-5)
