"""End-to-end comparisons of onyx against onnxruntime on real-sized models.

Each test feeds the same seeded random inputs to both runtimes and requires
max|onyx - ort| / max(1, max|ort|) <= 1e-4 for every output.
See conftest.py for the switches (ONYX_TEST_RUNTIME=onnxruntime checks the tests themselves).
"""
import os

import numpy as np
import pytest

RTOL = 1e-4


def image_feed(rng):
    return {"input": rng.standard_normal((1, 3, 224, 224), dtype=np.float32)}


def bert_feed(rng):
    batch, seq = 2, 16
    input_ids = rng.integers(0, 30522, size=(batch, seq), dtype=np.int64)
    input_ids[:, 0] = 101  # [CLS]
    attention_mask = np.ones((batch, seq), dtype=np.int64)
    attention_mask[1, 11:] = 0  # second sequence is padded
    input_ids[1, 11:] = 0       # [PAD]
    token_type_ids = np.zeros((batch, seq), dtype=np.int64)
    token_type_ids[:, seq // 2:] = 1
    return {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}


FEEDS = {"resnet50": image_feed, "mobilenet_v2": image_feed, "efficientnet_b0": image_feed,
         "bert": bert_feed}


def compare_outputs(name, got, expected, record_property=None):
    """Assert the relative max error bound; returns the max abs diff per output."""
    diffs = {}
    for out_name in expected:
        e, g = expected[out_name], got[out_name]
        assert g.dtype == e.dtype, "%s/%s: dtype %s, onnxruntime gives %s" % (name, out_name, g.dtype, e.dtype)
        assert g.shape == e.shape, "%s/%s: shape %s, onnxruntime gives %s" % (name, out_name, g.shape, e.shape)
        assert np.all(np.isfinite(g)), "%s/%s: non-finite values" % (name, out_name)
        max_abs = float(np.max(np.abs(g.astype(np.float64) - e.astype(np.float64)))) if e.size else 0.0
        scale = max(1.0, float(np.max(np.abs(e)))) if e.size else 1.0
        diffs[out_name] = max_abs
        print("%s/%s: max abs diff %.3g, max |ort| %.3g, relative %.3g"
              % (name, out_name, max_abs, scale, max_abs / scale))
        if record_property is not None:
            record_property("%s_max_abs_diff" % out_name, max_abs)
        assert max_abs / scale <= RTOL, (
            "%s/%s: max |onyx - ort| = %.3g, relative %.3g > %.0e"
            % (name, out_name, max_abs, max_abs / scale, RTOL))
    return diffs


def run_all(sess, feed, names):
    outs = sess.run(names, feed)
    assert len(outs) == len(names)
    return {n: np.asarray(o) for n, o in zip(names, outs)}


@pytest.mark.models
@pytest.mark.parametrize("name", ["resnet50", "mobilenet_v2", "efficientnet_b0", "bert"])
def test_model_matches_onnxruntime(name, runtime, ort, providers, model_dir, record_property):
    path = os.path.join(model_dir, name + ".onnx")
    ref = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    sess = runtime.InferenceSession(path, providers=providers)

    assert [i.name for i in sess.get_inputs()] == [i.name for i in ref.get_inputs()]
    assert [o.name for o in sess.get_outputs()] == [o.name for o in ref.get_outputs()]

    feed = FEEDS[name](np.random.default_rng(20240601))
    names = [o.name for o in ref.get_outputs()]
    expected = run_all(ref, feed, names)
    got = run_all(sess, feed, names)
    compare_outputs(name, got, expected, record_property)


def test_digits_accuracy_and_agreement(runtime, ort, providers, digits_dir):
    path = os.path.join(digits_dir, "digits_cnn.onnx")
    held = np.load(os.path.join(digits_dir, "heldout.npz"))
    images, labels = held["images"].astype(np.float32), held["labels"]

    sess = runtime.InferenceSession(path, providers=providers)
    (logits,) = sess.run(["logits"], {"image": images})
    logits = np.asarray(logits)
    assert logits.shape == (len(labels), 10)
    pred = np.argmax(logits, axis=1)
    accuracy = float(np.mean(pred == labels))
    print("digits: held-out accuracy %.4f on %d images" % (accuracy, len(labels)))
    assert accuracy >= 0.95

    ref = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (ref_logits,) = ref.run(["logits"], {"image": images})
    np.testing.assert_array_equal(pred, np.argmax(ref_logits, axis=1))
    compare_outputs("digits", {"logits": logits}, {"logits": ref_logits})


def test_digits_from_bytes_and_single_image(runtime, providers, digits_dir):
    """Loading from bytes gives the same results as loading from a path, at batch 1 too."""
    path = os.path.join(digits_dir, "digits_cnn.onnx")
    with open(path, "rb") as f:
        model_bytes = f.read()
    images = np.load(os.path.join(digits_dir, "heldout.npz"))["images"].astype(np.float32)[:5]
    from_path = runtime.InferenceSession(path, providers=providers)
    from_bytes = runtime.InferenceSession(model_bytes, providers=providers)
    (a,) = from_path.run(None, {"image": images})
    (b,) = from_bytes.run(None, {"image": images})
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    for i in range(len(images)):
        (one,) = from_bytes.run(None, {"image": images[i:i + 1]})
        np.testing.assert_allclose(np.asarray(one)[0], np.asarray(a)[i], rtol=1e-5, atol=1e-5)
