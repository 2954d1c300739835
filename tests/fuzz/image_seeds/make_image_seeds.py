"""Writes the seed images of the ImageDecoder fuzzer (tests/fuzz/image_fuzzer.cc): one small image
per format and colour layout, written by Pillow. Run from this folder: python3 make_image_seeds.py"""
import io

import numpy as np
from PIL import Image

rng = np.random.default_rng(1)
rgb = Image.fromarray(rng.integers(0, 255, (9, 13, 3), dtype=np.uint8))
seeds = {
    "progressive.jpg": (rgb, "JPEG", {"progressive": True}),
    "baseline.jpg": (rgb, "JPEG", {"quality": 90}),
    "gray.jpg": (rgb.convert("L"), "JPEG", {}),
    "cmyk.jpg": (rgb.convert("CMYK"), "JPEG", {}),
    "rgb.png": (rgb, "PNG", {}),
    "gray.png": (rgb.convert("L"), "PNG", {}),
    "palette.png": (rgb.convert("P"), "PNG", {}),
    "rgba.png": (rgb.convert("RGBA"), "PNG", {}),
    "rgb.bmp": (rgb, "BMP", {}),
    "palette.bmp": (rgb.convert("P"), "BMP", {}),
    "gray.bmp": (rgb.convert("L"), "BMP", {}),
    "lzw.tiff": (rgb, "TIFF", {"compression": "tiff_lzw"}),
    "jpeg.tiff": (rgb, "TIFF", {"compression": "jpeg"}),
    "rgba.tiff": (rgb.convert("RGBA"), "TIFF", {}),
    "lossless.webp": (rgb, "WEBP", {"lossless": True}),
    "lossy.webp": (rgb, "WEBP", {"quality": 70}),
    "rgb.ppm": (rgb, "PPM", {}),
    "bitmap.pbm": (rgb.convert("1"), "PPM", {}),
    "codestream.j2k": (rgb, "JPEG2000", {"no_jp2": True}),
    "boxes.jp2": (rgb, "JPEG2000", {}),
}
for name, (img, fmt, options) in seeds.items():
    buf = io.BytesIO()
    img.save(buf, fmt, **options)
    with open(name, "wb") as f:
        f.write(buf.getvalue())
# Plain (ASCII) PNM, which Pillow does not write.
with open("plain.pgm", "w") as f:
    f.write("P2\n3 2\n15\n0 5 10\n15 1 2\n")
with open("plain.pbm", "w") as f:
    f.write("P1\n4 2\n0101\n1 0 1 0\n")
