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
    "ExecutionMode", "get_available_providers", "get_device", "Fail", "InvalidArgument", "InvalidGraph",
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
        self.enable_cpu_mem_arena = True
        self.enable_mem_pattern = True
        self.logid = ""

    def _to_dict(self) -> Dict[str, Any]:
        return {
            "graph_optimization_level": int(self.graph_optimization_level),
            "intra_op_num_threads": int(self.intra_op_num_threads),
            "inter_op_num_threads": int(self.inter_op_num_threads),
            "log_severity_level": int(self.log_severity_level),
            "optimized_model_filepath": str(self.optimized_model_filepath or ""),
        }


class RunOptions:
    def __init__(self) -> None:
        self.log_severity_level = 2
        self.log_verbosity_level = 0
        self.logid = ""
        self.terminate = False


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


def _provider_names(providers: Optional[Sequence[Any]]) -> List[str]:
    if providers is None:
        return []
    available = get_available_providers()
    names = []
    for p in providers:
        name = p[0] if isinstance(p, (tuple, list)) else p
        if not isinstance(name, str):
            raise ValueError(f"a provider must be a name or a (name, options) tuple, got {p!r}")
        if name not in available:
            warnings.warn(f"Specified provider '{name}' is not in available provider names. "
                          f"Available providers: '{', '.join(available)}'")
            continue
        names.append(name)
    return names


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
        self._sess = _onyx.Session(model, self._sess_options._to_dict(), _provider_names(providers))
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
        return {p: {} for p in self.get_providers()}

    def get_session_options(self) -> SessionOptions:
        return self._sess_options

    def run(self, output_names: Optional[Sequence[str]], input_feed: Dict[str, Any],
            run_options: Optional[RunOptions] = None) -> List[Any]:
        """Runs the model; returns a list of numpy arrays (lists for sequences, None for empty
        optionals) for output_names, or for all outputs when output_names is None or empty."""
        if not isinstance(input_feed, dict):
            raise TypeError(f"input_feed must be a dict of name -> numpy array, got {type(input_feed).__name__}")
        names = list(output_names) if output_names else None
        return self._sess.run(names, input_feed)
