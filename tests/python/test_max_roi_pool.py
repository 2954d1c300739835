"""MaxRoiPool (no backend test data exists for it) against onnxruntime: regions inside, across and
outside the image, sub-pixel and scaled corners, bins that come out empty."""
import numpy as np
import pytest
from onnx import TensorProto, helper


def _model(pooled, scale):
    node = helper.make_node("MaxRoiPool", ["x", "rois"], ["y"], pooled_shape=pooled, spatial_scale=scale)
    graph = helper.make_graph([node], "maxroipool",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, None),
                               helper.make_tensor_value_info("rois", TensorProto.FLOAT, None)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


@pytest.mark.parametrize("pooled,scale", [([2, 2], 1.0), ([3, 5], 0.5), ([7, 7], 0.0625), ([1, 1], 2.0)])
def test_max_roi_pool_matches_onnxruntime(runtime, ort, pooled, scale):
    rng = np.random.default_rng(pooled[0] * 10 + pooled[1])
    x = rng.standard_normal((2, 3, 12, 10)).astype(np.float32)
    rois = np.array([[0, 0, 0, 9, 11], [1, 2.4, 3.6, 7.5, 8.5], [0, -5, -5, 3, 3], [1, 8, 10, 30, 40],
                     [0, 4, 4, 4, 4], [1, 50, 50, 60, 60], [0, 3, 7, 1, 2]], np.float32)
    rois[:, 1:] /= np.float32(scale)  # corners in input pixels once scaled
    data = _model(pooled, scale)
    got = runtime.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"x": x, "rois": rois})[0]
    want = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"x": x, "rois": rois})[0]
    assert got.shape == want.shape == (len(rois), 3, *pooled)
    np.testing.assert_array_equal(got, want)


def test_max_roi_pool_refuses_a_batch_index_outside_the_input(runtime):
    data = _model([2, 2], 1.0)
    sess = runtime.InferenceSession(data, providers=["CPUExecutionProvider"])
    with pytest.raises(Exception, match="batch index"):
        sess.run(None, {"x": np.zeros((1, 1, 4, 4), np.float32), "rois": np.array([[1, 0, 0, 2, 2]], np.float32)})
