"""Shared fixtures for the Python tests of onyx.

Environment switches:
    ONYX_TEST_RUNTIME=onnxruntime   run the tests with onnxruntime as the runtime under test
                                    (checks the test logic itself; default: onyx)
    ONYX_TEST_PROVIDERS=a,b         providers passed to the runtime under test
                                    (default: CPUExecutionProvider; "default" passes None)
    ONYX_TEST_MODEL_DIR=DIR         where the generated models live (default: tests/data/generated)
    ONYX_REQUIRE_RUNTIME=1          fail (not skip) when the runtime under test cannot be imported
    ONYX_TORCH_PYTHON=PATH          Python with torch + torchvision used to export missing models
                                    (default: /usr/bin/python3)

Markers:
    models   tests on big generated models (ResNet-50, MobileNetV2, EfficientNet-B0, BERT-base);
             deselect them with `-m "not models"`.
"""
import importlib
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXPORT_SCRIPT = os.path.join(REPO, "benchmarks", "export_models.py")
DIGITS_DIR = os.path.join(REPO, "examples", "digits")
GENERATED_MODELS = ["resnet50", "mobilenet_v2", "efficientnet_b0", "bert"]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "models: compares onyx with onnxruntime on big generated models "
                   "(exported on first use by benchmarks/export_models.py)")


def _runtime_name():
    return os.environ.get("ONYX_TEST_RUNTIME", "onyx").strip() or "onyx"


@pytest.fixture(scope="session")
def runtime():
    """The module under test: onyx, or whatever ONYX_TEST_RUNTIME names."""
    name = _runtime_name()
    try:
        return importlib.import_module(name)
    except ImportError as e:
        if os.environ.get("ONYX_REQUIRE_RUNTIME"):
            pytest.fail("runtime under test %r is not importable: %s" % (name, e))
        pytest.skip("runtime under test %r is not importable (%s): build the Python package "
                    "(ONYX_BUILD_PYTHON=ON) and put it on PYTHONPATH, or set "
                    "ONYX_TEST_RUNTIME=onnxruntime to check the tests themselves" % (name, e))


@pytest.fixture(scope="session")
def ort():
    """onnxruntime, the reference."""
    try:
        import onnxruntime
    except ImportError as e:
        pytest.skip("onnxruntime (the reference) is not importable: %s" % e)
    return onnxruntime


@pytest.fixture(scope="session")
def providers():
    value = os.environ.get("ONYX_TEST_PROVIDERS", "CPUExecutionProvider").strip()
    if value in ("", "default", "none"):
        return None
    return [p.strip() for p in value.split(",") if p.strip()]


@pytest.fixture(scope="session")
def model_dir():
    """Directory holding the generated models; exports the missing ones once per session."""
    out = os.environ.get("ONYX_TEST_MODEL_DIR") or os.path.join(REPO, "tests", "data", "generated")
    missing = [m for m in GENERATED_MODELS if not os.path.exists(os.path.join(out, m + ".onnx"))]
    if missing:
        torch_python = os.environ.get("ONYX_TORCH_PYTHON", "/usr/bin/python3")
        if not (os.path.exists(torch_python) or shutil.which(torch_python)):
            pytest.skip("models %s missing and no torch Python at %s (set ONYX_TORCH_PYTHON)"
                        % (",".join(missing), torch_python))
        probe = subprocess.run([torch_python, "-c", "import torch, torchvision"],
                               capture_output=True, text=True)
        if probe.returncode != 0:
            pytest.skip("models %s missing and %s cannot import torch/torchvision: %s"
                        % (",".join(missing), torch_python, probe.stderr.strip().splitlines()[-1:]))
        cmd = [torch_python, EXPORT_SCRIPT, "--out", out, "--models", ",".join(missing)]
        sys.stderr.write("\nexporting missing test models: %s\n" % " ".join(cmd))
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.fail("model export failed (%s):\n%s\n%s" % (" ".join(cmd), proc.stdout, proc.stderr[-4000:]))
        still = [m for m in missing if not os.path.exists(os.path.join(out, m + ".onnx"))]
        if still:
            pytest.fail("export_models.py did not produce %s in %s" % (",".join(still), out))
    return out


@pytest.fixture(scope="session")
def digits_dir():
    return DIGITS_DIR
