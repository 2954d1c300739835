"""ImageDecoder against ONNX's reference implementation (onnx.reference, which decodes with Pillow)
on images Pillow writes, in every format and pixel format onyx decodes. Skipped without Pillow."""
import io

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

PIL = pytest.importorskip("PIL")
from PIL import Image, features  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

PIXEL_FORMATS = ["RGB", "BGR", "Grayscale"]


def _model(pixel_format):
    node = helper.make_node("ImageDecoder", ["encoded"], ["image"], pixel_format=pixel_format)
    graph = helper.make_graph([node], "decode", [helper.make_tensor_value_info("encoded", TensorProto.UINT8, [None])],
                              [helper.make_tensor_value_info("image", TensorProto.UINT8, [None, None, None])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])
    model.ir_version = 9
    return model


def _picture(mode, width=37, height=23, seed=0):
    """A smooth gradient with noise on top: odd sizes exercise chroma subsampling edges."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 // (width - 1), y * 255 // (height - 1), (x + y) * 127 // (width + height)], axis=-1)
    rgb = np.clip(rgb + rng.integers(-20, 21, rgb.shape), 0, 255).astype(np.uint8)
    img = Image.fromarray(rgb, "RGB")
    return img if mode == "RGB" else img.convert(mode)


def _encode(img, fmt, **kwargs):
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return np.frombuffer(buf.getvalue(), np.uint8)


# (Pillow format, save options, Pillow feature it needs or None)
FORMATS = {
    "jpeg": ("JPEG", {"quality": 85}, "jpg"),
    "jpeg_444": ("JPEG", {"quality": 95, "subsampling": 0}, "jpg"),
    "jpeg_progressive": ("JPEG", {"quality": 80, "progressive": True}, "jpg"),
    "png": ("PNG", {}, "zlib"),
    "bmp": ("BMP", {}, None),
    "tiff": ("TIFF", {}, None),
    "tiff_deflate": ("TIFF", {"compression": "tiff_adobe_deflate"}, "libtiff"),
    "webp_lossy": ("WEBP", {"quality": 80}, "webp"),
    "webp_lossless": ("WEBP", {"lossless": True}, "webp"),
    "pnm": ("PPM", {}, None),
    "jpeg2000": ("JPEG2000", {}, "jpg_2000"),
    "jpeg2000_j2k": ("JPEG2000", {"no_jp2": True}, "jpg_2000"),
}


def _check(runtime, encoded, pixel_format):
    model = _model(pixel_format)
    expected = ReferenceEvaluator(model).run(None, {"encoded": encoded})[0]
    sess = runtime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"encoded": encoded})[0]
    assert got.dtype == np.uint8
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("pixel_format", PIXEL_FORMATS)
@pytest.mark.parametrize("name", sorted(FORMATS))
def test_rgb_images_match_the_reference(runtime, name, pixel_format):
    fmt, options, feature = FORMATS[name]
    if feature and not features.check(feature):
        pytest.skip("this Pillow cannot write %s (no %s)" % (fmt, feature))
    _check(runtime, _encode(_picture("RGB"), fmt, **options), pixel_format)


# Gray, palette, alpha and CMYK sources: for RGB the reference returns Pillow's raw array ([H, W]
# gray, palette indices, or 4 channels) where onyx returns the operator's [H, W, 3], so only
# Grayscale (Pillow's convert("L")) compares.
@pytest.mark.parametrize("mode,fmt,feature", [
    ("L", "PNG", "zlib"), ("L", "JPEG", "jpg"), ("L", "BMP", None), ("L", "TIFF", None), ("L", "PPM", None),
    ("RGBA", "PNG", "zlib"), ("RGBA", "TIFF", None), ("P", "PNG", "zlib"), ("P", "BMP", None),
    ("CMYK", "JPEG", "jpg"), ("LA", "PNG", "zlib"), ("RGBA", "WEBP", "webp"),
])
def test_gray_alpha_and_palette_sources_in_grayscale(runtime, mode, fmt, feature):
    if feature and not features.check(feature):
        pytest.skip("this Pillow cannot write %s" % fmt)
    _check(runtime, _encode(_picture(mode), fmt), "Grayscale")


@pytest.mark.parametrize("orientation", range(1, 9))
def test_tiff_orientation_is_applied_as_pillow_does(runtime, orientation):
    _check(runtime, _encode(_picture("RGB"), "TIFF", tiffinfo={274: orientation}), "RGB")


def test_a_truncated_image_is_refused(runtime):
    encoded = _encode(_picture("RGB"), "PNG")[:60]
    sess = runtime.InferenceSession(_model("RGB").SerializeToString(), providers=["CPUExecutionProvider"])
    with pytest.raises(Exception, match="PNG"):
        sess.run(None, {"encoded": encoded})
