#!/usr/bin/env python3
"""Train a small CNN on scikit-learn's bundled 8x8 handwritten digits and export it to ONNX.

Run with a Python that has torch and scikit-learn (on this box: /usr/bin/python3):

    /usr/bin/python3 examples/digits/train.py

Writes, next to this file:
    digits_cnn.onnx   opset 17, input "image" float32 [N,1,8,8] in 0..1, output "logits" [N,10]
    heldout.npz       all held-out images (float32 [M,1,8,8], 0..1) and labels (int64 [M])
    samples/          ~20 held-out images as binary 8x8 PGMs: digit_<idx>_label<k>.pgm

Everything is seeded; a run takes a few seconds of CPU.
"""
import argparse
import os
import random
import time

import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 1234
LABELS = ",".join(str(d) for d in range(10))


class DigitsCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 8x8 -> 4x4
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 4x4 -> 2x2
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(64 * 2 * 2, 64),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(64, 10),
        )

    def forward(self, image):
        return self.classifier(self.features(image))


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def write_pgm(path, img_0_16):
    """Binary (P5) 8-bit PGM; 0..16 pixel values scaled to 0..255."""
    pix = np.clip(np.rint(img_0_16 * (255.0 / 16.0)), 0, 255).astype(np.uint8)
    h, w = pix.shape
    with open(path, "wb") as f:
        f.write(b"P5\n%d %d\n255\n" % (w, h))
        f.write(pix.tobytes())


def set_metadata(model_path, accuracy, n_heldout):
    """Fill in producer/doc/graph name and custom metadata with the onnx package."""
    import onnx

    m = onnx.load(model_path)
    m.producer_name = "onyx-examples-digits"
    m.producer_version = "1.0"
    m.doc_string = ("Small CNN for scikit-learn's 8x8 handwritten digits. Input 'image': float32 "
                    "[N,1,8,8], pixel/16 in 0..1. Output 'logits': float32 [N,10] (argmax = digit).")
    m.graph.name = "digits_cnn"
    m.graph.doc_string = "Conv-BN-ReLU, Conv-ReLU-MaxPool, Conv-ReLU-MaxPool, Flatten, Gemm-ReLU-Gemm"
    del m.metadata_props[:]
    for k, v in [("labels", LABELS),
                 ("input_scale", "pixel value (0..16) / 16"),
                 ("heldout_accuracy", "%.4f" % accuracy),
                 ("heldout_size", str(n_heldout)),
                 ("dataset", "sklearn.datasets.load_digits")]:
        p = m.metadata_props.add()
        p.key, p.value = k, v
    onnx.checker.check_model(m)
    onnx.save(m, model_path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=HERE, help="output directory (default: next to this script)")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--samples", type=int, default=20, help="number of held-out PGM samples")
    args = ap.parse_args()

    torch.set_num_threads(1)
    seed_everything(SEED)
    t0 = time.time()

    digits = load_digits()
    x = (digits.images.astype(np.float32) / 16.0)[:, None, :, :]  # [1797,1,8,8]
    y = digits.target.astype(np.int64)
    idx = np.arange(len(y))
    tr_idx, te_idx = train_test_split(idx, test_size=0.2, random_state=SEED, stratify=y)
    te_idx = np.sort(te_idx)
    xtr, ytr = torch.from_numpy(x[tr_idx]), torch.from_numpy(y[tr_idx])
    xte, yte = torch.from_numpy(x[te_idx]), torch.from_numpy(y[te_idx])

    model = DigitsCNN()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(SEED)
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xtr), generator=gen)
        total = 0.0
        for i in range(0, len(perm), 64):
            b = perm[i:i + 64]
            xb = xtr[b]
            # light augmentation: shift by up to one pixel
            dx, dy = torch.randint(-1, 2, (2,), generator=gen).tolist()
            xb = torch.roll(xb, shifts=(dy, dx), dims=(2, 3))
            opt.zero_grad()
            loss = loss_fn(model(xb), ytr[b])
            loss.backward()
            opt.step()
            total += loss.item() * len(b)
        sched.step()
        if (epoch + 1) % 10 == 0:
            model.eval()
            with torch.no_grad():
                acc = (model(xte).argmax(1) == yte).float().mean().item()
            print("epoch %3d  loss %.4f  held-out acc %.4f" % (epoch + 1, total / len(xtr), acc))

    model.eval()
    with torch.no_grad():
        logits = model(xte)
    acc = (logits.argmax(1) == yte).float().mean().item()
    print("final held-out accuracy: %.4f (%d images), training took %.1f s" % (acc, len(yte), time.time() - t0))

    os.makedirs(args.out, exist_ok=True)
    model_path = os.path.join(args.out, "digits_cnn.onnx")
    torch.onnx.export(
        model, torch.zeros(1, 1, 8, 8), model_path,
        input_names=["image"], output_names=["logits"],
        dynamic_axes={"image": {0: "N"}, "logits": {0: "N"}},
        opset_version=17, do_constant_folding=True)

    try:
        set_metadata(model_path, acc, len(yte))
    except ImportError:
        print("note: the onnx package is not importable here; model metadata was left as exported")

    np.savez_compressed(os.path.join(args.out, "heldout.npz"),
                        images=x[te_idx], labels=y[te_idx], indices=te_idx.astype(np.int64))

    sdir = os.path.join(args.out, "samples")
    os.makedirs(sdir, exist_ok=True)
    for name in os.listdir(sdir):
        if name.endswith(".pgm"):
            os.remove(os.path.join(sdir, name))
    # two samples of each digit, chosen deterministically from the held-out set
    per_digit = max(1, args.samples // 10)
    picked = []
    for d in range(10):
        picked.extend(te_idx[y[te_idx] == d][:per_digit].tolist())
    for i in sorted(picked):
        write_pgm(os.path.join(sdir, "digit_%04d_label%d.pgm" % (i, y[i])), digits.images[i])
    print("wrote %s (%d bytes), heldout.npz, %d samples in %s"
          % (model_path, os.path.getsize(model_path), len(picked), sdir))


if __name__ == "__main__":
    main()
