"""Providers with options, OrtValue and io binding: the same script against onnxruntime and the
runtime under test. The CUDA cases run only where the runtime really gets a GPU."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])
    z = helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", 4])
    w = helper.make_tensor("w", TensorProto.FLOAT, [4, 4], list(np.linspace(-1, 1, 16)))
    nodes = [helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Relu", ["m"], ["y"]),
             helper.make_node("Sigmoid", ["x"], ["z"])]
    graph = helper.make_graph(nodes, "io", [x], [y, z], initializer=[w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    p = tmp_path_factory.mktemp("io") / "model.onnx"
    onnx.save(model, str(p))
    return str(p)


class _no_check:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _expected(x):
    w = np.linspace(-1, 1, 16).astype(np.float32).reshape(4, 4)
    return np.maximum(x @ w, 0), 1 / (1 + np.exp(-x))


def _cuda_session(rt, path, **kw):
    if "CUDAExecutionProvider" not in rt.get_available_providers():
        pytest.skip("runtime has no CUDA provider")
    import warnings
    so = rt.SessionOptions()
    so.log_severity_level = 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sess = rt.InferenceSession(path, so, providers=[("CUDAExecutionProvider", {"device_id": 0, "use_tf32": 0}), "CPUExecutionProvider"], **kw)
    if "CUDAExecutionProvider" not in sess.get_providers():
        pytest.skip("no usable CUDA device")
    return sess


@pytest.mark.parametrize("which", ["runtime", "ort"])
def test_provider_tuples_and_parallel_options(request, model_path, which):
    rt = request.getfixturevalue(which)
    sess = rt.InferenceSession(model_path, providers=[("CPUExecutionProvider", {})])
    assert sess.get_providers() == ["CPUExecutionProvider"]
    assert "CPUExecutionProvider" in sess.get_provider_options()
    # onnxruntime reports the mismatch and falls back to the CPU instead of raising.
    with pytest.warns(Warning) if which == "runtime" else _no_check():
        s2 = rt.InferenceSession(model_path, providers=["CPUExecutionProvider"], provider_options=[{}, {}])
    assert s2.get_providers() == ["CPUExecutionProvider"]


@pytest.mark.parametrize("which", ["runtime", "ort"])
def test_cpu_io_binding(request, model_path, which):
    rt = request.getfixturevalue(which)
    sess = rt.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    want_y, want_z = _expected(x)

    binding = sess.io_binding()
    binding.bind_cpu_input("x", x)
    binding.bind_output("y")
    binding.bind_output("z")
    sess.run_with_iobinding(binding)
    y, z = binding.copy_outputs_to_cpu()
    np.testing.assert_allclose(y, want_y, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(z, want_z, rtol=1e-5, atol=1e-6)
    outs = binding.get_outputs()
    assert [o.device_name() for o in outs] == ["cpu", "cpu"]
    assert outs[0].shape() == [3, 4] and outs[0].data_type() == "tensor(float)"

    # OrtValues in, a preallocated OrtValue out.
    xv = rt.OrtValue.ortvalue_from_numpy(x)
    assert xv.shape() == [3, 4] and xv.device_name() == "cpu"
    np.testing.assert_array_equal(xv.numpy(), x)
    yv = rt.OrtValue.ortvalue_from_shape_and_type([3, 4], np.float32)
    binding = sess.io_binding()
    binding.bind_ortvalue_input("x", xv)
    binding.bind_ortvalue_output("y", yv)
    sess.run_with_iobinding(binding)
    np.testing.assert_allclose(yv.numpy(), want_y, rtol=1e-5, atol=1e-6)


def test_cuda_io_binding_keeps_values_on_device(runtime, model_path):
    sess = _cuda_session(runtime, model_path)
    x = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    want_y, want_z = _expected(x)
    xv = runtime.OrtValue.ortvalue_from_numpy(x, "cuda", 0)
    assert xv.device_name() == "cuda"
    np.testing.assert_array_equal(xv.numpy(), x)
    binding = sess.io_binding()
    binding.bind_ortvalue_input("x", xv)
    binding.bind_output("y", "cuda")
    binding.bind_output("z", "cpu")
    sess.run_with_iobinding(binding)
    y, z = binding.get_outputs()
    assert y.device_name() == "cuda" and z.device_name() == "cpu"
    np.testing.assert_allclose(y.numpy(), want_y, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(z.numpy(), want_z, rtol=1e-4, atol=1e-5)
    # A device output fed to the next run stays on the device.
    binding = sess.io_binding()
    binding.bind_ortvalue_input("x", y)
    binding.bind_output("y", "cuda")
    sess.run_with_iobinding(binding)
    np.testing.assert_allclose(binding.copy_outputs_to_cpu()[0], _expected(want_y)[0], rtol=1e-4, atol=1e-5)


def test_cuda_run_matches_cpu_and_fallback_can_be_disabled(runtime, model_path):
    sess = _cuda_session(runtime, model_path)
    x = np.random.default_rng(2).standard_normal((2, 4)).astype(np.float32)
    y, z = sess.run(None, {"x": x})
    want_y, want_z = _expected(x)
    np.testing.assert_allclose(y, want_y, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(z, want_z, rtol=1e-4, atol=1e-5)
    assert sess.get_provider_options()["CUDAExecutionProvider"]["device_id"] == "0"
