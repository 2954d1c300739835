"""onyx: an ONNX inference runtime with the onnxruntime Python API.

A script written for onnxruntime runs on onyx by changing its import::

    import onyx as ort
    sess = ort.InferenceSession("model.onnx")
    outputs = sess.run(None, {"input": x})
"""
from __future__ import annotations

import enum
import os
import warnings
from typing import Any, Dict, List, Optional, Sequence, Union

from . import _onyx
from ._onyx import (  # noqa: F401  (exception classes named as onnxruntime's)
    Fail,
    InvalidArgument,
    InvalidGraph,
    InvalidProtobuf,
    NoModel,
    NoSuchFile,
    NotImplemented,
    RuntimeException,
)

__version__ = _onyx.version()

__all__ = [
    "InferenceSession", "SessionOptions", "RunOptions", "NodeArg", "ModelMetadata", "GraphOptimizationLevel",
    "ExecutionMode", "OrtValue", "IOBinding", "get_available_providers", "get_device", "Fail", "InvalidArgument", "InvalidGraph",
    "InvalidProtobuf", "NoModel", "NoSuchFile", "NotImplemented", "RuntimeException",
]


class GraphOptimizationLevel(enum.IntEnum):
    ORT_DISABLE_ALL = 0
    ORT_ENABLE_BASIC = 1
    ORT_ENABLE_EXTENDED = 2
    ORT_ENABLE_ALL = 99


class ExecutionMode(enum.IntEnum):
    ORT_SEQUENTIAL = 0
    ORT_PARALLEL = 1


class SessionOptions:
    """Options for InferenceSession, with onnxruntime's attribute names and defaults."""

    def __init__(self) -> None:
        self.graph_optimization_level = GraphOptimizationLevel.ORT_ENABLE_ALL
        self.intra_op_num_threads = 0
        self.inter_op_num_threads = 0
        self.log_severity_level = 2
        self.log_verbosity_level = 0
        self.optimized_model_filepath = ""
        self.execution_mode = ExecutionMode.ORT_SEQUENTIAL
        self.enable_profiling = False
        # The trace goes to PREFIX_YYYY-MM-DD_HH-MM-SS_mmm.json, as onnxruntime names it.
        self.profile_file_prefix = "onyx_profile_"
        self.enable_cpu_mem_arena = True
        self.enable_mem_pattern = True
        self.logid = ""
        self._config: Dict[str, str] = {}

    def add_session_config_entry(self, key: str, value: str) -> None:
        """onnxruntime's config entries; onyx acts on "session.disable_cpu_ep_fallback"."""
        self._config[str(key)] = str(value)

    def get_session_config_entry(self, key: str) -> str:
        return self._config[key]

    def _to_dict(self) -> Dict[str, Any]:
        return {
            "disable_cpu_ep_fallback": self._config.get("session.disable_cpu_ep_fallback", "0") == "1",
            "graph_optimization_level": int(self.graph_optimization_level),
            "intra_op_num_threads": int(self.intra_op_num_threads),
            "inter_op_num_threads": int(self.inter_op_num_threads),
            "log_severity_level": int(self.log_severity_level),
            "optimized_model_filepath": str(self.optimized_model_filepath or ""),
            "enable_mem_pattern": bool(self.enable_mem_pattern),
            "enable_cpu_mem_arena": bool(self.enable_cpu_mem_arena),
            "enable_profiling": bool(self.enable_profiling),
            "profile_file_prefix": os.fspath(self.profile_file_prefix),
        }


class RunOptions:
    """Per-run options. Setting `terminate = True` from another thread stops a run that uses
    these options: it raises Fail before its next node."""

    def __init__(self) -> None:
        self.log_severity_level = 2
        self.log_verbosity_level = 0
        self.logid = ""
        self._flag = _onyx.TerminateFlag()

    @property
    def terminate(self) -> bool:
        return self._flag.get()

    @terminate.setter
    def terminate(self, value: bool) -> None:
        self._flag.set(bool(value))


class NodeArg:
    """A model input or output: name, type string such as 'tensor(float)', and shape
    (ints for fixed dims, strings for symbolic dims, None for unknown ones)."""

    def __init__(self, name: str, type: str, shape: Optional[List[Union[int, str, None]]]) -> None:
        self.name = name
        self.type = type
        self.shape = shape

    def __repr__(self) -> str:
        return f"NodeArg(name='{self.name}', type='{self.type}', shape={self.shape})"


class ModelMetadata:
    def __init__(self, d: Dict[str, Any]) -> None:
        self.producer_name: str = d["producer_name"]
        self.graph_name: str = d["graph_name"]
        self.domain: str = d["domain"]
        self.description: str = d["description"]
        self.graph_description: str = d["graph_description"]
        self.version: int = d["version"]
        self.custom_metadata_map: Dict[str, str] = dict(d["custom_metadata_map"])


def get_available_providers() -> List[str]:
    return list(_onyx.available_providers())


def get_all_providers() -> List[str]:
    return ["CUDAExecutionProvider", "CPUExecutionProvider"]


def get_device() -> str:
    return "GPU" if "CUDAExecutionProvider" in get_available_providers() else "CPU"


def _providers_and_options(providers: Optional[Sequence[Any]],
                            provider_options: Optional[Sequence[dict]]) -> List[Any]:
    """[(name, {option: str})] from onnxruntime's forms: names, (name, options) tuples, or names
    plus a parallel provider_options list."""
    if providers is None:
        return []
    if provider_options is not None and len(provider_options) != len(providers):
        # onnxruntime reports this and falls back to the CPU rather than raising.
        warnings.warn("'providers' and 'provider_options' should be the same length if both are given. "
                      "Falling back to ['CPUExecutionProvider'].")
        return [("CPUExecutionProvider", {})]
    available = get_available_providers()
    result = []
    for i, p in enumerate(providers):
        name, opts = (p[0], p[1]) if isinstance(p, (tuple, list)) else (p, {})
        if provider_options is not None:
            opts = provider_options[i]
        if not isinstance(name, str) or not isinstance(opts, dict):
            raise ValueError(f"a provider must be a name or a (name, options dict) tuple, got {p!r}")
        if name not in available:
            warnings.warn(f"Specified provider '{name}' is not in available provider names. "
                          f"Available providers: '{', '.join(available)}'")
            continue
        result.append((name, {str(k): str(int(v)) if isinstance(v, bool) else str(v) for k, v in opts.items()}))
    return result


class OrtValue:
    """A tensor in host or device memory, as onnxruntime.OrtValue: feeds and results of
    run_with_iobinding that can stay on the GPU between runs."""

    def __init__(self, tensor: Any, numpy_obj: Any = None) -> None:
        self._tensor = tensor
        self._numpy_obj = numpy_obj  # keeps a borrowed host array alive

    @staticmethod
    def ortvalue_from_numpy(numpy_obj: Any, device_type: str = "cpu", device_id: int = 0, vendor_id: int = -1) -> "OrtValue":
        import numpy as np
        return OrtValue(_onyx.Tensor.from_numpy(np.asarray(numpy_obj), device_type, int(device_id)))

    @staticmethod
    def ortvalue_from_shape_and_type(shape: Sequence[int], element_type: Any, device_type: str = "cpu",
                                     device_id: int = 0, vendor_id: int = -1) -> "OrtValue":
        return OrtValue(_onyx.Tensor.allocate([int(d) for d in shape], element_type, device_type, int(device_id)))

    def data_ptr(self) -> int:
        return self._tensor.data_ptr()

    def device_name(self) -> str:
        return self._tensor.device_name()

    def shape(self) -> List[int]:
        return list(self._tensor.shape())

    def data_type(self) -> str:
        return self._tensor.type_string()

    def element_type(self) -> Any:
        return self._tensor.dtype().type

    def has_value(self) -> bool:
        return True

    def is_tensor(self) -> bool:
        return True

    def is_tensor_sequence(self) -> bool:
        return False

    def numpy(self) -> Any:
        """The values as a numpy array (copied to the host if they live on a device)."""
        return self._tensor.numpy()


class IOBinding:
    """Inputs and outputs bound to host or device memory for run_with_iobinding, as
    onnxruntime.IOBinding. onyx runs are synchronous, so the synchronize_* calls have nothing to wait for."""

    def __init__(self, session: "InferenceSession") -> None:
        self._session = session
        self._inputs: Dict[str, Any] = {}
        self._outputs: List[Any] = []  # (name, device_type, device_id, preallocated OrtValue or None)
        self._results: List[OrtValue] = []

    def bind_cpu_input(self, name: str, arr_on_cpu: Any) -> None:
        self._inputs[name] = arr_on_cpu

    def bind_input(self, name: str, device_type: str, device_id: int, element_type: Any, shape: Sequence[int],
                   buffer_ptr: int) -> None:
        self._inputs[name] = _onyx.Tensor.borrow(int(buffer_ptr), [int(d) for d in shape], element_type, device_type, int(device_id))

    def bind_ortvalue_input(self, name: str, ortvalue: OrtValue) -> None:
        self._inputs[name] = ortvalue._tensor

    def bind_output(self, name: str, device_type: str = "cpu", device_id: int = 0, element_type: Any = None,
                    shape: Optional[Sequence[int]] = None, buffer_ptr: Optional[int] = None) -> None:
        buffer = None
        if buffer_ptr is not None:
            if element_type is None or shape is None:
                raise ValueError("bind_output with buffer_ptr needs element_type and shape")
            buffer = OrtValue(_onyx.Tensor.borrow(int(buffer_ptr), [int(d) for d in shape], element_type, device_type, int(device_id)))
        self._bind_output(name, device_type, device_id, buffer)

    def bind_ortvalue_output(self, name: str, ortvalue: OrtValue) -> None:
        self._bind_output(name, ortvalue.device_name(), 0, ortvalue)

    def _bind_output(self, name: str, device_type: str, device_id: int, buffer: Optional[OrtValue]) -> None:
        self._outputs = [o for o in self._outputs if o[0] != name]
        self._outputs.append((name, str(device_type).lower(), int(device_id), buffer))

    def synchronize_inputs(self) -> None:
        pass

    def synchronize_outputs(self) -> None:
        pass

    def clear_binding_inputs(self) -> None:
        self._inputs = {}

    def clear_binding_outputs(self) -> None:
        self._outputs = []

    def get_outputs(self) -> List[OrtValue]:
        return list(self._results)

    def get_outputs_as_ortvaluevector(self) -> List[OrtValue]:
        return self.get_outputs()

    def copy_outputs_to_cpu(self) -> List[Any]:
        return [v.numpy() for v in self._results]

    def _run(self) -> None:
        outputs = self._outputs or [(o.name, "cpu", 0, None) for o in self._session.get_outputs()]
        names = [o[0] for o in outputs]
        on_device = any(o[1] != "cpu" for o in outputs)
        tensors = self._session._sess.run_tensors(names, self._inputs, on_device)
        results = []
        for (name, device_type, device_id, buffer), t in zip(outputs, tensors):
            if buffer is not None:
                t.copy_into(buffer._tensor)
                results.append(buffer)
                continue
            if device_type == "cpu" and t.device_name() != "cpu":
                t = t.to("cpu", 0)
            results.append(OrtValue(t))
        self._results = results


class InferenceSession:
    """Loads an ONNX model (path or bytes) and runs it, like onnxruntime.InferenceSession."""

    def __init__(self, path_or_bytes: Union[str, bytes, os.PathLike], sess_options: Optional[SessionOptions] = None,
                 providers: Optional[Sequence[Any]] = None, provider_options: Optional[Sequence[dict]] = None,
                 **kwargs: Any) -> None:
        if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
            model: Any = bytes(path_or_bytes)
            self._model_path = None
        elif isinstance(path_or_bytes, (str, os.PathLike)):
            model = os.fspath(path_or_bytes)
            self._model_path = model
        else:
            raise TypeError(f"Unable to load from type '{type(path_or_bytes)}'")
        self._sess_options = sess_options if sess_options is not None else SessionOptions()
        self._provider_options = _providers_and_options(providers, provider_options)
        self._sess = _onyx.Session(model, self._sess_options._to_dict(), self._provider_options)
        self._inputs = [NodeArg(*t) for t in self._sess.inputs()]
        self._outputs = [NodeArg(*t) for t in self._sess.outputs()]

    def get_inputs(self) -> List[NodeArg]:
        return list(self._inputs)

    def get_outputs(self) -> List[NodeArg]:
        return list(self._outputs)

    def get_overridable_initializers(self) -> List[NodeArg]:
        return []

    def get_modelmeta(self) -> ModelMetadata:
        return ModelMetadata(self._sess.metadata())

    def get_providers(self) -> List[str]:
        return list(self._sess.providers())

    def get_provider_options(self) -> Dict[str, Dict[str, str]]:
        given = dict(self._provider_options)
        return {p: dict(given.get(p, {})) for p in self.get_providers()}

    def end_profiling(self) -> str:
        """Writes the Chrome-trace profile and stops profiling; returns the file's path, or ''
        when profiling is off or already ended."""
        return self._sess.end_profiling()

    def get_profiling_start_time_ns(self) -> int:
        """When profiling started, in nanoseconds since the Unix epoch (0 when it is off)."""
        return self._sess.profiling_start_time_ns()

    def io_binding(self) -> IOBinding:
        return IOBinding(self)

    def run_with_iobinding(self, iobinding: IOBinding, run_options: Optional[RunOptions] = None) -> None:
        iobinding._run()

    def get_session_options(self) -> SessionOptions:
        return self._sess_options

    def run(self, output_names: Optional[Sequence[str]], input_feed: Dict[str, Any],
            run_options: Optional[RunOptions] = None) -> List[Any]:
        """Runs the model; returns a list of numpy arrays (lists for sequences, None for empty
        optionals) for output_names, or for all outputs when output_names is None or empty."""
        if not isinstance(input_feed, dict):
            raise TypeError(f"input_feed must be a dict of name -> numpy array, got {type(input_feed).__name__}")
        names = list(output_names) if output_names else None
        return self._sess.run(names, input_feed, run_options._flag if run_options is not None else None)
