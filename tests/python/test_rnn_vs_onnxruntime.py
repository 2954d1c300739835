"""RNN, GRU and LSTM against onnxruntime on the same random weights and inputs: one batch row
(the recurrent product is a matrix-vector product over R as stored) and several (R transposed
once), every direction, both layouts, weights as initializers or as graph inputs, float and double.
onnxruntime runs neither layout 1 nor double recurrences, so its reference is always the layout-0
float model, with inputs and outputs transposed and cast around it."""
import itertools
import zlib

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}
SEQ, INPUT, HIDDEN = 7, 5, 16

CASES = [(op, batch, direction, layout, weights_as_inputs, dtype)
         for op, batch, direction, layout, weights_as_inputs, dtype in itertools.product(
             GATES, [1, 3], ["forward", "reverse", "bidirectional"], [0, 1], [False, True], ["float32", "float64"])
         if dtype == "float32" or not weights_as_inputs]  # enough combinations without these


def _model(op, batch, direction, layout, weights_as_inputs, dtype, rng, extra_attrs):
    dirs = 2 if direction == "bidirectional" else 1
    g = GATES[op]
    elem = TensorProto.FLOAT if dtype == "float32" else TensorProto.DOUBLE
    values = {
        "W": rng.uniform(-0.5, 0.5, (dirs, g * HIDDEN, INPUT)).astype(dtype),
        "R": rng.uniform(-0.5, 0.5, (dirs, g * HIDDEN, HIDDEN)).astype(dtype),
        "B": rng.uniform(-0.5, 0.5, (dirs, 2 * g * HIDDEN)).astype(dtype),
    }
    x_shape = [SEQ, batch, INPUT] if layout == 0 else [batch, SEQ, INPUT]
    state_shape = [dirs, batch, HIDDEN] if layout == 0 else [batch, dirs, HIDDEN]
    inputs = [helper.make_tensor_value_info("X", elem, x_shape)]
    inits = []
    for name, v in values.items():
        if weights_as_inputs:
            inputs.append(helper.make_tensor_value_info(name, elem, list(v.shape)))
        else:
            inits.append(numpy_helper.from_array(v, name))
    inputs.append(helper.make_tensor_value_info("h0", elem, state_shape))
    names = ["X", "W", "R", "B", "", "h0"]
    if op == "LSTM":
        inputs.append(helper.make_tensor_value_info("c0", elem, state_shape))
        names.append("c0")
    outs = ["Y", "Y_h"] + (["Y_c"] if op == "LSTM" else [])
    node = helper.make_node(op, names, outs, hidden_size=HIDDEN, direction=direction, layout=layout, **extra_attrs)
    graph = helper.make_graph([node], "rnn", inputs, [helper.make_tensor_value_info(o, elem, None) for o in outs], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
    feeds = {"X": rng.standard_normal(x_shape).astype(dtype), "h0": rng.standard_normal(state_shape).astype(dtype)}
    if op == "LSTM":
        feeds["c0"] = rng.standard_normal(state_shape).astype(dtype)
    if weights_as_inputs:
        feeds.update(values)
    return model, feeds


@pytest.mark.parametrize("op,batch,direction,layout,weights_as_inputs,dtype", CASES)
def test_rnn_matches_onnxruntime(runtime, ort, op, batch, direction, layout, weights_as_inputs, dtype):
    rng = np.random.default_rng(zlib.crc32(repr((op, batch, direction, layout, weights_as_inputs, dtype)).encode()))
    extra = {"linear_before_reset": 1} if op == "GRU" and batch == 3 else {}
    model, feeds = _model(op, batch, direction, layout, weights_as_inputs, dtype, rng, extra)
    ref_model, _ = _model(op, batch, direction, 0, weights_as_inputs, "float32", np.random.default_rng(0), extra)
    # The reference model has its own random weights: give it these (as float) instead.
    weights = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    for t in ref_model.graph.initializer:
        t.CopyFrom(numpy_helper.from_array(weights[t.name].astype(np.float32), t.name))
    ref_feeds = {k: v.astype(np.float32) for k, v in feeds.items()}
    if layout == 1:  # X [B, S, I] -> [S, B, I]; states [B, D, H] -> [D, B, H]
        ref_feeds = {k: np.swapaxes(v, 0, 1) if k in ("X", "h0", "c0") else v for k, v in ref_feeds.items()}
    got = runtime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)
    want = ort.InferenceSession(ref_model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, ref_feeds)
    if layout == 1:  # Y [S, D, B, H] -> [B, S, D, H]; states [D, B, H] -> [B, D, H]
        want = [np.transpose(want[0], (2, 0, 1, 3))] + [np.swapaxes(w, 0, 1) for w in want[1:]]
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == np.dtype(dtype)
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


# The LSTM's own per-step path (batch 1: R times the hidden state, the hidden units split over the
# threads, the cell in one pass) and its packed input weights, at sizes where the split happens:
# peepholes, clip, sequence_lens and initial states, against onnxruntime at 1 and 2 threads.
LSTM_CASES = [(batch, hidden, direction, extras, threads)
              for batch, hidden, direction, extras in [
                  (1, 256, "forward", ()), (1, 75, "reverse", ("peepholes", "clip")),
                  (1, 96, "bidirectional", ("peepholes", "lens", "states")), (1, 13, "forward", ("clip", "states")),
                  (2, 96, "bidirectional", ("peepholes", "clip", "lens", "states")), (3, 40, "forward", ("lens",))]
              for threads in (1, 2)]


@pytest.mark.parametrize("batch,hidden,direction,extras,threads", LSTM_CASES)
def test_lstm_step_path_matches_onnxruntime(runtime, ort, batch, hidden, direction, extras, threads):
    rng = np.random.default_rng(zlib.crc32(repr((batch, hidden, direction, extras)).encode()))
    seq, inp = 11, 24
    dirs = 2 if direction == "bidirectional" else 1
    s = 1.0 / np.sqrt(hidden)
    inits = [numpy_helper.from_array(rng.uniform(-s, s, (dirs, 4 * hidden, inp)).astype(np.float32), "W"),
             numpy_helper.from_array(rng.uniform(-s, s, (dirs, 4 * hidden, hidden)).astype(np.float32), "R"),
             numpy_helper.from_array(rng.uniform(-s, s, (dirs, 8 * hidden)).astype(np.float32), "B")]
    names = ["X", "W", "R", "B", "", "", "", ""]
    inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, [seq, batch, inp])]
    feeds = {"X": rng.standard_normal((seq, batch, inp)).astype(np.float32)}
    if "lens" in extras:
        names[4] = "lens"
        inputs.append(helper.make_tensor_value_info("lens", TensorProto.INT32, [batch]))
        feeds["lens"] = np.array([seq - 3 - b for b in range(batch)], dtype=np.int32)
    if "states" in extras:
        names[5], names[6] = "h0", "c0"
        for n in ("h0", "c0"):
            inputs.append(helper.make_tensor_value_info(n, TensorProto.FLOAT, [dirs, batch, hidden]))
            feeds[n] = rng.standard_normal((dirs, batch, hidden)).astype(np.float32)
    if "peepholes" in extras:
        names[7] = "P"
        inits.append(numpy_helper.from_array(rng.uniform(-0.5, 0.5, (dirs, 3 * hidden)).astype(np.float32), "P"))
    while names and names[-1] == "":
        names.pop()
    attrs = {"hidden_size": hidden, "direction": direction}
    if "clip" in extras:
        attrs["clip"] = 0.8
    node = helper.make_node("LSTM", names, ["Y", "Y_h", "Y_c"], **attrs)
    outs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in ("Y", "Y_h", "Y_c")]
    model = helper.make_model(helper.make_graph([node], "lstm", inputs, outs, inits),
                              opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
    data = model.SerializeToString()

    def session(mod):
        so = mod.SessionOptions()
        so.intra_op_num_threads = threads
        return mod.InferenceSession(data, so, providers=["CPUExecutionProvider"])

    got = session(runtime).run(None, feeds)
    want = session(ort).run(None, feeds)
    for g, w in zip(got, want):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=2e-5)
