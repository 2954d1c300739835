"""Median CPU latency of onyx and onnxruntime on the benchmark models, same inputs, same threads.

    PYTHONPATH=build/python python3 benchmarks/e2e_cpu.py --models bert,resnet50 --threads 1 --runs 10
"""
import argparse
import os
import statistics
import time

import numpy as np


def feeds_for(name):
    rng = np.random.default_rng(0)
    if name == "bert":
        seq = 128
        return {"input_ids": rng.integers(0, 30522, (1, seq), dtype=np.int64),
                "attention_mask": np.ones((1, seq), dtype=np.int64),
                "token_type_ids": np.zeros((1, seq), dtype=np.int64)}
    return {"input": rng.standard_normal((1, 3, 224, 224), dtype=np.float32)}


def median_ms(sess, feeds, runs):
    """Median wall and process-CPU milliseconds per run. On a shared machine the CPU time (with
    one intra-op thread) is the figure that neighbours disturb least."""
    sess.run(None, feeds)  # warm-up
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        sess.run(None, feeds)
        wall.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    return statistics.median(wall), statistics.median(cpu)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="bert,resnet50")
    ap.add_argument("--dir", default=os.path.join(os.path.dirname(__file__), "models"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--runtimes", default="onyx,ort")
    args = ap.parse_args()
    for name in args.models.split(","):
        path = os.path.join(args.dir, name + ".onnx")
        feeds = feeds_for(name)
        for rt in args.runtimes.split(","):
            if rt == "onyx":
                import onyx as mod
            else:
                import onnxruntime as mod
            so = mod.SessionOptions()
            so.intra_op_num_threads = args.threads
            if rt == "ort":
                so.inter_op_num_threads = 1
            t0 = time.perf_counter()
            sess = mod.InferenceSession(path, so, providers=["CPUExecutionProvider"])
            create_ms = (time.perf_counter() - t0) * 1e3
            wall, cpu = median_ms(sess, feeds, args.runs)
            print(f"{name:10s} {rt:5s} threads={args.threads} create {create_ms:8.1f} ms  "
                  f"median wall {wall:8.2f} ms  cpu {cpu:8.2f} ms", flush=True)


if __name__ == "__main__":
    main()
