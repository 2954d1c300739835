#!/usr/bin/env python3
"""Where the GPU time of one model goes, for torch eager and for onyx's CUDA provider.

Runs where a GPU, torch (with torchvision) and the onyx Python module are present:

    PYTHONPATH=<onyx module dir> python3 benchmarks/gpu_profile.py --model resnet50 --batch 32

Exports the torch model of benchmarks/export_models.py (or reuses --onnx), then runs each
runtime --runs times under torch.profiler in this one process. CUPTI records every kernel of the
process, onyx's included. Prints, per runtime, the wall time per run, the GPU kernel time per run
(the sum of kernel durations) and the --top kernels by total time.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_models as em  # noqa: E402
from gpu_vs_torch import export  # noqa: E402


def kernel_table(prof, runs, top):
    rows = {}
    for e in prof.events():
        if e.device_type == torch.autograd.DeviceType.CUDA:
            t, n = rows.get(e.name, (0.0, 0))
            rows[e.name] = (t + e.device_time_total if hasattr(e, "device_time_total") else t + e.cuda_time_total, n + 1)
    total = sum(t for t, _ in rows.values())
    lines = ["  GPU kernel time per run: %.3f ms over %d kernels per run" % (total / runs / 1e3,
                                                                           sum(n for _, n in rows.values()) // runs)]
    for name, (t, n) in sorted(rows.items(), key=lambda kv: -kv[1][0])[:top]:
        lines.append("  %7.3f ms %5d x  %s" % (t / runs / 1e3, n // runs, name[:150]))
    return "\n".join(lines)


def timed(fn, runs):
    for _ in range(5):
        fn()
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        t0 = time.perf_counter()
        for _ in range(runs):
            fn()
        torch.cuda.synchronize()
        wall = (time.perf_counter() - t0) * 1e3 / runs
    return wall, prof


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="resnet50")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--dtype", default="fp32")
    ap.add_argument("--onnx", default="", help="the exported model (default: export it to /tmp)")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--provider-option", action="append", default=[], help="KEY=VALUE for onyx's CUDA provider")
    args = ap.parse_args()
    import onyx

    tdt = torch.float16 if args.dtype == "fp16" else torch.float32
    torch.manual_seed(em.SEEDS[args.model])
    spec = em.BUILDERS[args.model](args.model)
    model = spec["model"].eval().to("cuda", tdt)
    path = args.onnx or "/tmp/%s_%s_profile.onnx" % (args.model, args.dtype)
    if not os.path.exists(path):
        export(model, (torch.randn(1, 3, 224, 224, device="cuda", dtype=tdt),), path, spec)
    x = np.random.default_rng(0).standard_normal((args.batch, 3, 224, 224)).astype(
        np.float16 if args.dtype == "fp16" else np.float32)

    def torch_run():
        with torch.inference_mode():
            return model(torch.from_numpy(x).cuda()).float().cpu()

    opts = dict(kv.split("=", 1) for kv in args.provider_option)
    sess = onyx.InferenceSession(path, providers=[("CUDAExecutionProvider", opts), "CPUExecutionProvider"])
    feed = {sess.get_inputs()[0].name: x}

    def onyx_run():
        return sess.run(None, feed)

    print("%s batch %d %s, %d runs each; torch %s, cudnn %s" % (args.model, args.batch, args.dtype, args.runs,
                                                                 torch.__version__, torch.backends.cudnn.version()))
    for label, fn in (("torch eager", torch_run), ("onyx CUDA", onyx_run)):
        wall, prof = timed(fn, args.runs)
        print("%s: wall %.3f ms per run (under the profiler)" % (label, wall))
        print(kernel_table(prof, args.runs, args.top), flush=True)


if __name__ == "__main__":
    main()
