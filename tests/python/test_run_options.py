"""RunOptions.terminate stops a run in flight from another thread, in onyx as in onnxruntime."""
import threading
import time

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper


@pytest.fixture(scope="module")
def long_loop_model(tmp_path_factory):
    """y = x + 1 repeated `n` times by a Loop (n is an input, so the run takes as long as asked)."""
    body = helper.make_graph(
        [helper.make_node("Add", ["acc_in", "one"], ["acc_out"]), helper.make_node("Identity", ["cond_in"], ["cond_out"])],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []), helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []), helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, [4])],
        initializer=[helper.make_tensor("one", TensorProto.FLOAT, [], [1.0])])
    graph = helper.make_graph(
        [helper.make_node("Loop", ["n", "cond", "x"], ["y"], body=body)], "loop",
        [helper.make_tensor_value_info("n", TensorProto.INT64, []), helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])],
        initializer=[helper.make_tensor("cond", TensorProto.BOOL, [], [True])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    p = tmp_path_factory.mktemp("loop") / "loop.onnx"
    onnx.save(model, str(p))
    return str(p)


@pytest.mark.parametrize("which", ["runtime", "ort"])
def test_terminate_stops_a_run_in_flight(request, long_loop_model, which):
    rt = request.getfixturevalue(which)
    sess = rt.InferenceSession(long_loop_model, providers=["CPUExecutionProvider"])
    x = np.zeros(4, np.float32)
    assert sess.run(None, {"n": np.array(3, np.int64), "x": x})[0].tolist() == [3.0] * 4
    opts = rt.RunOptions()
    assert opts.terminate is False
    errors = []

    def run():
        try:
            sess.run(None, {"n": np.array(10**10, np.int64), "x": x}, opts)
        except Exception as e:  # noqa: BLE001 - the class is checked below
            errors.append(e)

    t = threading.Thread(target=run)
    start = time.time()
    t.start()
    time.sleep(0.2)
    opts.terminate = True
    t.join(timeout=30)
    assert not t.is_alive(), "the run did not stop"
    assert time.time() - start < 30
    assert len(errors) == 1 and type(errors[0]).__name__ == "Fail", errors
    # A run with the flag already set fails at once; a fresh RunOptions runs normally.
    with pytest.raises(Exception) as e:
        sess.run(None, {"n": np.array(1, np.int64), "x": x}, opts)
    assert type(e.value).__name__ == "Fail"
    assert sess.run(None, {"n": np.array(2, np.int64), "x": x}, rt.RunOptions())[0].tolist() == [2.0] * 4
