#!/usr/bin/env python3
"""onyx's CUDA provider against PyTorch eager on the same GPU, same weights, same inputs.

Runs where a GPU, torch (with torchvision) and a built onyx CLI are present:

    python3 benchmarks/gpu_vs_torch.py --onyx build/bin/onyx --out /tmp/gpu-bench

For ResNet-50 (batch 1 and 32) and the BERT-base encoder (sequence 128, batch 1 and 8), in
float32 and float16: exports the torch model (weights from benchmarks/export_models.py) to ONNX,
times torch eager and `onyx perf --providers cuda` on the same seeded inputs, and compares the
outputs of `onyx run` with torch's. Latency is end to end for both: host inputs in, host outputs
out (torch: .cuda() / model / .cpu(), synchronised), median of --runs calls after warm-up.
Writes a Markdown table to stdout and to OUT/results.md.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_models as em  # noqa: E402


def torch_latency(model, inputs, runs, warmup=10):
    times = []
    with torch.inference_mode():
        for i in range(warmup + runs):
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            dev = [torch.from_numpy(a).cuda() for a in inputs]
            out = model(*dev)
            out = out[0] if isinstance(out, (tuple, list)) else out
            host = out.float().cpu()
            torch.cuda.synchronize()
            if i >= warmup:
                times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), host.numpy()


def export(model, args, path, spec):
    kw = dict(input_names=spec["input_names"], output_names=spec["output_names"],
              dynamic_axes=spec["dynamic_axes"], opset_version=spec["opset"], do_constant_folding=True)
    with torch.no_grad():
        try:
            torch.onnx.export(model, args, path, dynamo=False, **kw)
        except TypeError:  # torch without the dynamo switch
            torch.onnx.export(model, args, path, **kw)


def onyx_cmd(onyx, *args, timeout=600):
    r = subprocess.run([onyx, *args], capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError("onyx %s failed: %s" % (" ".join(args[:2]), (r.stderr or r.stdout)[-2000:]))
    return r.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onyx", default="build/bin/onyx")
    ap.add_argument("--out", default="/tmp/gpu-bench")
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--cases", default="resnet50:1,resnet50:32,bert:1,bert:8")
    ap.add_argument("--dtypes", default="fp32,fp16")
    ap.add_argument("--onyx-options", default="", help="extra --provider-option KEY=VALUE list, comma separated")
    ap.add_argument("--opt-level", default="", help="onyx's graph optimization level (0-3; default: onyx's, 3)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.backends.cudnn.benchmark = False  # torch's default
    rows = []
    dev_name = torch.cuda.get_device_name(0)
    print("device: %s, torch %s, cudnn %s, matmul tf32 %s, cudnn tf32 %s" % (
        dev_name, torch.__version__, torch.backends.cudnn.version(),
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32), flush=True)
    for dtype in args.dtypes.split(","):
        tdt = torch.float16 if dtype == "fp16" else torch.float32
        models = {}
        for case in args.cases.split(","):
            name, batch = case.split(":")
            batch = int(batch)
            if name not in models:
                torch.manual_seed(em.SEEDS[name])
                spec = em.BUILDERS[name](name)
                model = spec["model"].eval().to("cuda", tdt)
                path = os.path.join(args.out, "%s_%s.onnx" % (name, dtype))
                if name == "bert":
                    ex = (torch.randint(0, 30522, (1, 128), device="cuda"), torch.ones(1, 128, dtype=torch.int64, device="cuda"),
                          torch.zeros(1, 128, dtype=torch.int64, device="cuda"))
                else:
                    ex = (torch.randn(1, 3, 224, 224, device="cuda", dtype=tdt),)
                t0 = time.time()
                export(model, ex, path, spec)
                print("exported %s %s in %.1f s" % (name, dtype, time.time() - t0), flush=True)
                models[name] = (model, path)
            model, path = models[name]
            rng = np.random.default_rng(batch)
            if name == "bert":
                ids = rng.integers(0, 30522, (batch, 128)).astype(np.int64)
                mask = np.ones((batch, 128), np.int64)
                mask[:, 100:] = 0  # padding on the tail
                inputs = [ids, mask, np.zeros((batch, 128), np.int64)]
            else:
                inputs = [rng.standard_normal((batch, 3, 224, 224)).astype(np.float16 if dtype == "fp16" else np.float32)]
            files = []
            for i, a in enumerate(inputs):
                f = os.path.join(args.out, "%s_%d_%s_in%d.npy" % (name, batch, dtype, i))
                np.save(f, a)
                files.append(f)
            t_ms, t_out = torch_latency(model, inputs, args.runs)
            extra = []
            for kv in filter(None, args.onyx_options.split(",")):
                extra += ["--provider-option", kv]
            if args.opt_level:
                extra += ["--opt-level", args.opt_level]
            perf = onyx_cmd(args.onyx, "perf", path, *files, "--providers", "cuda", "--runs", str(args.runs), *extra)
            o_ms = float(re.search(r"median latency:\s+([\d.]+)", perf).group(1))
            create = float(re.search(r"session creation:\s+([\d.]+)", perf).group(1))
            outdir = os.path.join(args.out, "out_%s_%d_%s" % (name, batch, dtype))
            onyx_cmd(args.onyx, "run", path, *files, "--providers", "cuda", "--output-dir", outdir, *extra)
            o_out = np.load(os.path.join(outdir, "output_0.npy")).astype(np.float32)
            diff = float(np.max(np.abs(o_out - t_out)) / max(1.0, float(np.max(np.abs(t_out)))))
            row = (name, batch, dtype, t_ms, o_ms, o_ms / t_ms, diff, create)
            rows.append(row)
            print("%-9s b=%-3d %s  torch %8.3f ms  onyx %8.3f ms  ratio %.2f  max rel diff %.2e  onyx session %.0f ms" % row, flush=True)
    lines = ["| model | batch | dtype | torch eager (ms) | onyx CUDA (ms) | onyx / torch | max diff (rel) |",
             "| --- | ---: | --- | ---: | ---: | ---: | ---: |"]
    for name, batch, dtype, t_ms, o_ms, ratio, diff, _ in rows:
        lines.append("| %s | %d | %s | %.3f | %.3f | %.2f | %.1e |" % (name, batch, dtype, t_ms, o_ms, ratio, diff))
    text = "device: %s, torch %s\n\n" % (dev_name, torch.__version__) + "\n".join(lines) + "\n"
    print(text)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
