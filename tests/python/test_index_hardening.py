"""Kernel hardening (issue #6): every index, size or count that a kernel reads from a tensor is
bounds-checked. Each case of index_cases.py runs one node on out-of-range values (too large, too
negative, INT64/INT32 extremes, overflowing products) through onyx and onnxruntime:
  - where the run must fail, onyx raises the class onnxruntime raises (or InvalidArgument /
    InvalidGraph where onnxruntime reports its generic FAIL) with a message naming the node and
    the offending value, and onnxruntime refuses the same feed;
  - where the spec defines a result (Slice clamping, OneHot off rows, Pad cropping, Trilu with a
    huge k, ...), onyx's outputs equal onnxruntime's, or the spec's (numpy) where onnxruntime
    lacks the kernel or disagrees with the spec (the case's note says how).
The same cases run under AddressSanitizer in tests/unit/index_hardening_test.cc."""
import numpy as np
import pytest

from index_cases import CASES, build


def _run(module, c):
    model, feed = build(c)
    try:
        sess = module.InferenceSession(model, providers=["CPUExecutionProvider"])
        return sess.run(None, feed), None
    except Exception as e:  # noqa: BLE001 - the class is what is checked
        return None, e


def _accepted_classes(c, ref_err):
    if c.cls:
        return set(c.cls)
    if ref_err is None:
        return {"InvalidArgument", "Fail"}
    ref = type(ref_err).__name__
    # onnxruntime reports FAIL for every ORT_ENFORCE and for load-time shape inference errors;
    # onyx names the problem: a bad input value (InvalidArgument) or a bad attribute (InvalidGraph).
    return {ref, "InvalidArgument", "InvalidGraph"} if ref == "Fail" else {ref}


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_index_hardening(runtime, ort, c):
    if runtime.__name__ != "onyx" and not c.ort:
        pytest.xfail("onnxruntime is not the reference here: " + c.note)
    got, err = _run(runtime, c)
    ref, ref_err = _run(ort, c) if c.ort else (None, None)
    if c.expect == "error":
        assert err is not None, "%s: expected an error, got %r" % (c.id, got)
        if c.ort:
            assert ref_err is not None, "%s: onnxruntime accepts this feed: %r" % (c.id, ref)
        if runtime.__name__ == "onyx":
            msg = str(err)
            assert type(err).__name__ in _accepted_classes(c, ref_err), "%s: %r (onnxruntime: %r)" % (c.id, err, ref_err)
            assert "node_" + c.op in msg, "%s: the message does not name the node: %s" % (c.id, msg)
            assert c.text in msg, "%s: the message does not name %r: %s" % (c.id, c.text, msg)
        return
    assert err is None, "%s: %r" % (c.id, err)
    if c.want is not None:
        want = c.want
        if c.ort and ref_err is None:  # the spec result and onnxruntime agree
            for r, w in zip(ref, want):
                np.testing.assert_allclose(r, w, rtol=1e-5, atol=1e-5)
    else:
        assert ref_err is None, "%s: onnxruntime fails: %r" % (c.id, ref_err)
        want = ref
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape, (c.id, g.dtype, g.shape, w.dtype, w.shape)
        if np.issubdtype(g.dtype, np.floating):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
        else:
            np.testing.assert_array_equal(g, w)
