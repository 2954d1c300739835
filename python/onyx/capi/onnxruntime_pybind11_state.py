"""The exception classes, where onnxruntime scripts import them from."""
from .._onyx import (  # noqa: F401
    Fail,
    InvalidArgument,
    InvalidGraph,
    InvalidProtobuf,
    NoModel,
    NoSuchFile,
    NotImplemented,
    RuntimeException,
)
