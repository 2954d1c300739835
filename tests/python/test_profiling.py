"""SessionOptions.enable_profiling: the runtime under test writes a Chrome trace shaped like
onnxruntime's for the same model (same categories, session events, node events and arg keys)."""
import json
import os
import time

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

# Keys every node event carries in both runtimes. onnxruntime adds memory-arena statistics and
# thread-pool scheduling stats that onyx does not keep (see DEVELOPERS.md, "Profiling").
NODE_ARG_KEYS = {"op_name", "provider", "node_index", "input_type_shape", "output_type_shape",
                 "activation_size", "parameter_size", "output_size"}


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    """s = MatMul(x, w); y = Relu(s + b); z = Neg(x); x float [N, 3]."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])
    z = helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", 3])
    w = helper.make_tensor("w", TensorProto.FLOAT, [3, 4], np.arange(12, dtype=np.float32).ravel())
    b = helper.make_tensor("b", TensorProto.FLOAT, [4], [0.5, -1.0, 2.0, 0.0])
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["m"], name="matmul"),
        helper.make_node("Add", ["m", "b"], ["s"], name="add"),
        helper.make_node("Relu", ["s"], ["y"], name="relu"),
        helper.make_node("Neg", ["x"], ["z"], name="neg"),
    ]
    graph = helper.make_graph(nodes, "profiled", [x], [y, z], initializer=[w, b])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    p = tmp_path_factory.mktemp("profiling") / "model.onnx"
    onnx.save(model, str(p))
    return str(p)


def _profile(rt, model_path, prefix, runs=2):
    so = rt.SessionOptions()
    so.enable_profiling = True
    so.profile_file_prefix = prefix
    so.graph_optimization_level = rt.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    before = time.time_ns()
    sess = rt.InferenceSession(model_path, so, providers=["CPUExecutionProvider"])
    start_ns = sess.get_profiling_start_time_ns()
    assert before <= start_ns <= time.time_ns()
    for _ in range(runs):
        sess.run(None, {"x": np.ones((2, 3), np.float32)})
    path = sess.end_profiling()
    assert sess.end_profiling() == ""  # a second call writes nothing
    with open(path) as f:
        return path, json.load(f)


def _node_events(trace):
    return [e for e in trace if e["cat"] == "Node"]


def test_profile_matches_onnxruntime_structure(runtime, ort, model_path, tmp_path):
    ours_path, ours = _profile(runtime, model_path, str(tmp_path / "ours"))
    ref_path, ref = _profile(ort, model_path, str(tmp_path / "ref"))
    # The file is named PREFIX_YYYY-MM-DD_HH-MM-SS_mmm.json by both.
    for path, prefix in ((ours_path, "ours_"), (ref_path, "ref_")):
        name = os.path.basename(path)
        assert name.startswith(prefix) and name.endswith(".json"), name
        assert len(name) == len(prefix) + len("2026-01-01_00-00-00_000.json"), name

    assert {e["cat"] for e in ours} == {e["cat"] for e in ref} == {"Session", "Node"}
    for trace in (ours, ref):
        for e in trace:
            assert e["ph"] == "X"
            assert set(e) == {"cat", "pid", "tid", "dur", "ts", "ph", "name", "args"}
            assert e["ts"] >= 0 and e["dur"] >= 0
    session_names = lambda t: sorted(e["name"] for e in t if e["cat"] == "Session" and e["name"] != "SequentialExecutor::Execute")
    assert session_names(ours) == session_names(ref)  # model_loading_uri, session_initialization, 2 x model_run

    ours_nodes, ref_nodes = _node_events(ours), _node_events(ref)
    assert sorted(e["name"] for e in ours_nodes) == sorted(e["name"] for e in ref_nodes)
    assert {e["name"] for e in ours_nodes} == {"matmul_kernel_time", "add_kernel_time", "relu_kernel_time", "neg_kernel_time"}
    ref_by_name = {e["name"]: e for e in ref_nodes}
    for e in ours_nodes:
        ref_e = ref_by_name[e["name"]]
        assert NODE_ARG_KEYS <= set(e["args"]) and NODE_ARG_KEYS <= set(ref_e["args"])
        assert set(e["args"]) - NODE_ARG_KEYS <= set(ref_e["args"]), "keys onnxruntime does not write"
        for key in ("op_name", "provider", "output_type_shape", "output_size"):
            assert e["args"][key] == ref_e["args"][key], (e["name"], key)
        if e["args"]["op_name"] != "MatMul":  # onnxruntime pre-packs w and then omits it
            for key in ("input_type_shape", "activation_size", "parameter_size"):
                assert e["args"][key] == ref_e["args"][key], (e["name"], key)
    by_name = {e["name"]: e for e in ours_nodes}
    assert by_name["add_kernel_time"]["args"]["input_type_shape"] == [{"float": [2, 4]}, {"float": [4]}]
    assert by_name["matmul_kernel_time"]["args"]["input_type_shape"][0] == {"float": [2, 3]}


def test_profiling_off(runtime, model_path):
    sess = runtime.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    assert sess.end_profiling() == ""
    assert sess.get_profiling_start_time_ns() == 0


def test_default_prefix(runtime):
    if runtime.__name__ != "onyx":
        pytest.skip("the default prefix names the runtime")
    assert runtime.SessionOptions().profile_file_prefix == "onyx_profile_"
