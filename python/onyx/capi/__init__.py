"""Compatibility with `onnxruntime.capi`: scripts that import exception classes from
onnxruntime.capi.onnxruntime_pybind11_state find them here."""
