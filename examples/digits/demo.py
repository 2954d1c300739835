#!/usr/bin/env python3
"""Classify handwritten digits with onyx (or onnxruntime, for comparison).

    python3 examples/digits/demo.py                        # uses onyx
    python3 examples/digits/demo.py --runtime onnxruntime  # same API, reference runtime

Needs only numpy and the runtime. The model, the PGM samples and heldout.npz are made by train.py.
"""
import argparse
import glob
import importlib
import os
import re
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def read_pgm(path):
    """Read a binary (P5) or ASCII (P2) PGM with maxval < 256 into a uint8 [H, W] array."""
    with open(path, "rb") as f:
        data = f.read()
    # header: magic, width, height, maxval, separated by whitespace; '#' starts a comment
    tokens, pos = [], 0
    while len(tokens) < 4:
        while pos < len(data) and data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        start = pos
        while pos < len(data) and not data[pos:pos + 1].isspace():
            pos += 1
        if start == pos:
            raise ValueError("%s: truncated PGM header" % path)
        tokens.append(data[start:pos])
    magic, width, height, maxval = tokens[0], int(tokens[1]), int(tokens[2]), int(tokens[3])
    if not (0 < maxval < 256):
        raise ValueError("%s: only 8-bit PGM is supported (maxval %d)" % (path, maxval))
    if magic == b"P5":
        pix = np.frombuffer(data, dtype=np.uint8, count=width * height, offset=pos + 1)
    elif magic == b"P2":
        pix = np.array(data[pos:].split()[:width * height], dtype=np.uint8)
    else:
        raise ValueError("%s: not a PGM file (magic %r)" % (path, magic))
    if pix.size != width * height:
        raise ValueError("%s: expected %d pixels, found %d" % (path, width * height, pix.size))
    return pix.reshape(height, width).astype(np.float32) * (255.0 / maxval)


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def main():
    ap = argparse.ArgumentParser(description="onyx handwritten-digits demo")
    ap.add_argument("--runtime", choices=["onyx", "onnxruntime"], default="onyx")
    ap.add_argument("--model", default=os.path.join(HERE, "digits_cnn.onnx"))
    ap.add_argument("--runs", type=int, default=20, help="timed runs of the whole held-out batch")
    args = ap.parse_args()

    try:
        rt = importlib.import_module(args.runtime)
    except ImportError as e:
        sys.exit("cannot import %s: %s" % (args.runtime, e))

    t0 = time.perf_counter()
    sess = rt.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    create_ms = (time.perf_counter() - t0) * 1e3

    print("runtime: %s %s" % (args.runtime, getattr(rt, "__version__", "")))
    print("model:   %s" % os.path.relpath(args.model))
    for i in sess.get_inputs():
        print("  input  %-8s %-16s %s" % (i.name, i.type, i.shape))
    for o in sess.get_outputs():
        print("  output %-8s %-16s %s" % (o.name, o.type, o.shape))
    in_name = sess.get_inputs()[0].name
    out_name = sess.get_outputs()[0].name

    print("\nsamples:")
    correct = total = 0
    for path in sorted(glob.glob(os.path.join(HERE, "samples", "*.pgm"))):
        img = read_pgm(path) / 255.0  # PGM holds pixel*255/16; the model wants pixel/16
        x = img.astype(np.float32)[None, None, :, :]
        (logits,) = sess.run([out_name], {in_name: x})
        probs = softmax(logits[0])
        pred = int(np.argmax(probs))
        m = re.search(r"label(\d)", os.path.basename(path))
        label = int(m.group(1)) if m else -1
        correct += pred == label
        total += 1
        print("  %-24s predicted %d  label %d  confidence %5.1f%%  %s"
              % (os.path.basename(path), pred, label, 100 * probs[pred], "ok" if pred == label else "WRONG"))
    if total:
        print("  %d/%d samples correct" % (correct, total))

    held = np.load(os.path.join(HERE, "heldout.npz"))
    images, labels = held["images"].astype(np.float32), held["labels"]
    (logits,) = sess.run([out_name], {in_name: images})
    acc = float(np.mean(np.argmax(logits, axis=1) == labels))
    print("\nheld-out set: %d images in one batch, accuracy %.2f%%" % (len(labels), 100 * acc))

    sess.run([out_name], {in_name: images})  # warm-up
    times = []
    for _ in range(args.runs):
        t = time.perf_counter()
        sess.run([out_name], {in_name: images})
        times.append((time.perf_counter() - t) * 1e3)
    print("\ntiming (%s):" % args.runtime)
    print("  session creation        %8.2f ms" % create_ms)
    print("  batch of %-4d median    %8.3f ms over %d runs (min %.3f ms)"
          % (len(labels), statistics.median(times), args.runs, min(times)))


if __name__ == "__main__":
    main()
