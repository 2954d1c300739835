"""Untrusted models and feeds (issue #6): every model of the malformed corpus is refused with the
exception class expected.tsv names (onnxruntime's class names) and a message naming the problem,
and onnxruntime refuses the same files, which shows they really are malformed."""
import os

import pytest

from conftest import REPO

CORPUS = os.path.join(REPO, "tests", "data", "malformed")


def _rows():
    with open(os.path.join(CORPUS, "expected.tsv")) as f:
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                name, cls, text = (line.split("\t") + [""])[:3]
                yield name, cls, text


ROWS = list(_rows())


def _load_error(module, path):
    try:
        module.InferenceSession(path, providers=["CPUExecutionProvider"])
    except Exception as e:  # noqa: BLE001 - the class is what is checked
        return e
    return None


@pytest.mark.parametrize("name,cls,text", ROWS, ids=[r[0] for r in ROWS])
def test_malformed_model_is_refused(runtime, ort, name, cls, text):
    path = os.path.join(CORPUS, name)
    err = _load_error(runtime, path)
    if cls == "OK":
        assert err is None, repr(err)
        return
    assert err is not None, f"{name} loaded without an error"
    if runtime.__name__ == "onyx":
        assert type(err).__name__ == cls, repr(err)
        assert text in str(err), str(err)
    assert _load_error(ort, path) is not None, f"onnxruntime accepts {name}"

